"""lint/owners.py: SL201 missing-owner, SL202 unknown-team, SL203 undeclared-metadata; each with a
case that fires and one that must not. tests/test_owners.py has the rest: severities, instruments,
CODEOWNERS."""

from __future__ import annotations

from .common import STREAM, rule_cases

TEAMS = "maintainers: web\nteams:\n  web: {description: Web., contact: web@example.org, gitlab: ['@org/web']}\n"

CASES = {
    "SL201": ({"streams/a.yaml": "a.b:\n" + STREAM + "a.c:\n" + STREAM, "owners.yaml": TEAMS, "metadata/web.yaml": "a.b: {owner: web}\n"},
              {"streams/a.yaml": "a.b:\n" + STREAM, "owners.yaml": TEAMS, "metadata/web.yaml": "a.b: {owner: web}\n"},
              "streams/a.yaml:4:1: warning SL201 at a.c: stream 'a.c' has no owner"),
    "SL202": ({"streams/a.yaml": "a.b:\n" + STREAM, "owners.yaml": TEAMS, "metadata/web.yaml": "a.b: {owner: wbe}\n"},
              {"streams/a.yaml": "a.b:\n" + STREAM, "metadata/web.yaml": "a.b: {owner: wbe}\n"},
              "metadata/web.yaml:1:7: error SL202 at a.b › owner: 'wbe' is not a team of owners.yaml"),
    "SL203": ({"streams/a.yaml": "a.b:\n" + STREAM, "owners.yaml": TEAMS, "metadata/web.yaml": "a.b: {owner: web}\na.bb: {owner: web}\n"},
              {"streams/a.yaml": "a.b:\n" + STREAM, "owners.yaml": TEAMS, "metadata/web.yaml": "a.b: {owner: web}\n"},
              "metadata/web.yaml:2:1: error SL203 at a.bb: metadata for 'a.bb', which no layer declares"),
}


test_rule_fires_and_does_not = rule_cases(CASES)
