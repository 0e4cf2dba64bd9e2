"""lint/keys.py: SL001 unknown-key, SL002 undeclared-stream, SL005 unread-key; each with a case that
fires and one that must not."""

from __future__ import annotations

from .common import STREAM, rule_cases

CASES = {
    "SL001": ({"streams/a.yaml": "a.b:\n" + STREAM, "overrides/production/o.yaml": "+enwikii:\n  streams: {a.b: {}}\n"},
              {"streams/a.yaml": "a.b:\n" + STREAM, "overrides/production/o.yaml": "+enwiki:\n  streams: {a.b: {}}\n"},
              "overrides/production/o.yaml:1:1: error SL001 at +enwikii: key '+enwikii': 'enwikii' is neither a wiki nor a tag"),
    "SL002": ({"streams/a.yaml": "a.b:\n" + STREAM, "overrides/production/o.yaml": "+enwiki:\n  streams:\n    a.c:\n      sample: {rate: 1}\n"},
              {"streams/a.yaml": "a.b:\n" + STREAM, "overrides/production/o.yaml": "+enwiki:\n  streams:\n    a.b:\n      sample: {rate: 1}\n"},
              "overrides/production/o.yaml:3:5: error SL002 at +enwiki › a.c: `+enwiki` sets stream 'a.c', which no layer of realm 'production' declares"),
    "SL005": ({"streams/a.yaml": "a.b:\n" + STREAM,
               "overrides/production/o.yaml": "enwiki:\n  streams:\n    a.b:\n" + STREAM.replace("  ", "      ") + "+enwiki:\n  streams:\n    a.b: {sample: {rate: 1}}\n"},
              {"streams/a.yaml": "a.b:\n" + STREAM, "overrides/production/o.yaml": "+enwiki:\n  streams:\n    a.b: {sample: {rate: 1}}\n"},
              "overrides/production/o.yaml:6:1: warning SL005 at +enwiki: `+enwiki` (streams) is never read: the plain key `enwiki` at "
              "overrides/production/o.yaml:1:1 replaces the whole setting first"),
}


test_rule_fires_and_does_not = rule_cases(CASES)
