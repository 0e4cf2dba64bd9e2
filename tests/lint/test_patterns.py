"""lint/patterns.py: SL008 risky-pattern, SL009 pattern-overlap; each with a case that fires and one
that must not."""

from __future__ import annotations

from pathlib import Path

import pytest

from streamconf.lint.patterns import risky_reason

from .common import STREAM, findings, rule_cases

CASES = {
    "SL008": ({"streams/a.yaml": "/^(a+)+$/:\n" + STREAM}, {"streams/a.yaml": "/^a+$/:\n" + STREAM},
              "streams/a.yaml:1:1: warning SL008 at default › /^(a+)+$/: pattern /^(a+)+$/: a quantified group holds another unbounded quantifier"),
    "SL009": ({"streams/a.yaml": "/^a\\./:\n" + STREAM + "a.b:\n" + STREAM}, {"streams/a.yaml": "/^c\\./:\n" + STREAM + "a.b:\n" + STREAM},
              "streams/a.yaml:1:1: warning SL009 at default › /^a\\./: pattern /^a\\./ matches the stream a.b declared by name, whose own key wins"),
}


test_rule_fires_and_does_not = rule_cases(CASES)


def test_two_patterns_matching_one_name(tmp_path: Path):
    files = {"streams/a.yaml": "/^a\\./:\n" + STREAM + "/\\.b$/:\n" + STREAM, "eventlogging.yaml": "- a.b\n"}
    assert findings(tmp_path, files, "SL009") == [
        "streams/a.yaml:4:1: warning SL009 at default › /\\.b$/: patterns /^a\\./ and /\\.b$/ both match a.b: the first in order (/^a\\./) wins\n"
        "    hint: make the patterns disjoint"]


@pytest.mark.parametrize("body, risky", [("(a+)+$", True), ("^(a|aa)+$", True), ("(x*)*", True), ("^(a|b)+$", False),
                                         ("^mediawiki\\.job\\..+", False), ("(ab)+", False), ("[(+]+", False), ("(a{1,})*", True)])
def test_risky_pattern_heuristic(body: str, risky: bool):
    assert bool(risky_reason(body)) is risky
