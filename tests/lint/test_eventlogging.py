"""lint/eventlogging.py: SL010 unresolved-eventlogging-name; each with a case that fires and one
that must not."""

from __future__ import annotations

from .common import STREAM, rule_cases

CASES = {
    "SL010": ({"streams/a.yaml": "a.b:\n" + STREAM, "eventlogging.yaml": "- a.b\n- a.c\n"},
              {"streams/a.yaml": "a.b:\n" + STREAM, "eventlogging.yaml": "- a.b\n"},
              "eventlogging.yaml:2:3: warning SL010 at default › a.c: EventLogging stream 'a.c' has no stream config on all 5 production wikis"),
}


test_rule_fires_and_does_not = rule_cases(CASES)
