"""lint/merges.py: SL003 ineffective-false, SL004 ineffective-null, SL006 tag-order, SL007
short-list; each with a case that fires and one that must not."""

from __future__ import annotations

from pathlib import Path

from .common import STREAM, findings, rule_cases

CASES = {
    "SL003": ({"streams/a.yaml": "a.b:\n" + STREAM + "  canary_events_enabled: true\n",
               "overrides/production/o.yaml": "+metawiki:\n  streams:\n    a.b:\n      canary_events_enabled: false\n"},
              {"streams/a.yaml": "a.b:\n" + STREAM, "overrides/production/o.yaml": "+metawiki:\n  streams:\n    a.b:\n      canary_events_enabled: false\n"},
              "overrides/production/o.yaml:4:7: warning SL003 at +metawiki › a.b › canary_events_enabled: `false` under `+metawiki` "
              "does not hold on metawiki: in a `+` merge the `default` value true at streams/a.yaml:4:3 replaces it"),
    "SL004": ({"streams/a.yaml": "a.b:\n" + STREAM + "  topic_prefixes: [p.]\n",
               "overrides/production/o.yaml": "+enwiki:\n  streams:\n    a.b:\n      topic_prefixes: null\n"},
              {"streams/a.yaml": "a.b:\n" + STREAM, "overrides/production/o.yaml": "+enwiki:\n  streams:\n    a.b:\n      topic_prefixes: null\n"},
              "overrides/production/o.yaml:4:7: warning SL004 at +enwiki › a.b › topic_prefixes: `null` under `+enwiki` counts as unset on enwiki"),
    "SL006": ({"streams/a.yaml": "a.b:\n" + STREAM, "overrides/production/o.yaml": "small:\n  eventlogging_streams: [a.b]\nprivate:\n  eventlogging_streams: []\n"},
              {"streams/a.yaml": "a.b:\n" + STREAM, "overrides/production/o.yaml": "private:\n  eventlogging_streams: []\n"},
              "overrides/production/o.yaml:3:1: warning SL006 at private: `small` and `private` both apply to w1wiki: `small` comes first"),
    "SL007": ({"streams/a.yaml": "a.b:\n" + STREAM + "  topic_prefixes: [west.]\n", "stream-defaults.yaml": "topic_prefixes: [eqiad., codfw.]\n"},
              {"streams/a.yaml": "a.b:\n" + STREAM + "  topic_prefixes: [west., east.]\n", "stream-defaults.yaml": "topic_prefixes: [eqiad., codfw.]\n"},
              'streams/a.yaml:4:3: warning SL007 at default › a.b › topic_prefixes: a.b sets topic_prefixes to ["west."], shorter than the '
              'default ["eqiad.", "codfw."]: lists are replaced item by item, so it is ["west.", "codfw."] on all 5 production wikis'),
}


test_rule_fires_and_does_not = rule_cases(CASES)


def test_tag_order_for_plus_keys(tmp_path: Path):
    files = {"streams/a.yaml": "a.b:\n" + STREAM, "overrides/production/o.yaml":
             "+private:\n  streams:\n    a.b: {sample: {rate: 0.1}}\n+en:\n  streams:\n    a.b: {sample: {rate: 0.2}}\n"}
    assert findings(tmp_path, files, "SL006")[0].startswith(
        "overrides/production/o.yaml:6:20: warning SL006 at +en › a.b › sample › rate: `+private` and `+en` set a.b.sample.rate "
        "differently on officewiki: `+private` wins")


def test_short_list_in_a_stream_of_the_old_list_form(tmp_path: Path):
    """A stream under an integer key, named by its `stream` setting, as import writes the old form."""
    found = findings(tmp_path, {"streams/a.yaml": "'0':\n  stream: a.b\n" + STREAM + "  topic_prefixes: [west.]\n",
                                "stream-defaults.yaml": "topic_prefixes: [eqiad., codfw.]\n"}, "SL007")
    assert len(found) == 1 and 'a.b sets topic_prefixes to ["west."], shorter than the default' in found[0]
