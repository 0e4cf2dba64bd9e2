"""lint/instruments.py: every instrument rule (SL101–SL115), with a case that fires and one that must
not."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import assert_rule_case, run_installed, write_tree
from streamconf.instruments.timestamps import parse_instant
from streamconf.lint import lint
from streamconf.load import read_sources
from streamconf.validate import validate

AT = parse_instant("2026-12-01T00:00:00Z")
REALM = "wikis:\n  enwiki: [en, wiki]\n  dewiki: [de, wiki]\n  metawiki: [meta, wiki]\n  officewiki: [private, en, wiki]\n"
STREAMS = """
tk.clicks:
  schema_title: analytics/product_metrics/web/base
  destination_event_service: eventgate-analytics-external
  producers:
    test_kitchen: {is_test_kitchen_stream: true}
plain.stream:
  schema_title: analytics/product_metrics/web/base
  destination_event_service: eventgate-analytics-external
"""
FIELDS = {
    "start": "2026-11-01T00:00:00Z", "end": "2027-01-31T23:59:59Z", "stream_name": "tk.clicks",
    "schema_title": "analytics/product_metrics/web/base", "contextual_attributes": "[page_id, performer_is_logged_in]",
    "sample": "\n    unit: pageview\n    rate:\n      default: 0\n      '0.5': [enwiki, private]\n",
}


def instrument(name: str = "web-clicks", **changes: str) -> str:
    fields = {**FIELDS, **changes}
    return f"{name}:\n" + "".join(f"  {key}: {value}\n" for key, value in fields.items() if value is not None)


def sample(default: str = "0", **lists: str) -> str:
    return "\n    rate:\n      default: " + default + "\n" + "".join(f"      '{rate}': {wikis}\n" for rate, wikis in lists.items())


def findings(tmp_path: Path, instruments: str, rule: str, files: dict | None = None) -> list[str]:
    root = write_tree(tmp_path / "repo", {"realms/production.yaml": REALM, "streams/a.yaml": STREAMS,
                                          "instruments/web.yaml": instruments, **(files or {})})
    config, diagnostics = validate(read_sources(root))
    assert config is not None, "\n".join(d.render() for d in diagnostics)
    return [d.render() for d in lint(config, root, at=AT) if d.code == rule]


def rates(**lists: str) -> str:
    return sample("0", **lists)


CASES = {
    "SL101": (instrument(stream_name="tk.missing", schema_title="x"), instrument(),
              "instruments/web.yaml:4:3: error SL101 at web-clicks › stream_name: instrument 'web-clicks': stream 'tk.missing' "
              "has no config on the 2 `en` wikis, where its rate is above 0"),
    "SL102": (instrument(schema_title="analytics/other"), instrument(),
              "instruments/web.yaml:4:3: error SL102 at web-clicks › stream_name: instrument 'web-clicks': schema_title "
              "'analytics/other' is not the stream's 'analytics/product_metrics/web/base' on the 2 `en` wikis"),
    "SL103": (instrument(contextual_attributes="[page_id, page_colour]"), instrument(),
              "instruments/web.yaml:6:36: error SL103 at web-clicks › contextual_attributes › 1: instrument 'web-clicks': the "
              "client provides no contextual attribute 'page_colour'"),
    "SL104": (instrument(contextual_attributes="[page_id, page_id]"), instrument(),
              "instruments/web.yaml:6:36: warning SL104 at web-clicks › contextual_attributes › 1: instrument 'web-clicks' lists "
              "the contextual attribute 'page_id' twice"),
    "SL105": (instrument(end="2026-10-31T00:00:00Z"), instrument(),
              "instruments/web.yaml:3:3: error SL105 at web-clicks › end: instrument 'web-clicks' ends (2026-10-31T00:00:00Z) "
              "no later than it starts (2026-11-01T00:00:00Z)"),
    "SL106": (instrument(end="2028-01-01T00:00:00Z"), instrument(end="2027-10-31T00:00:00Z"),
              "instruments/web.yaml:3:3: warning SL106 at web-clicks › end: instrument 'web-clicks' runs 426 days, longer than 365"),
    "SL107": (instrument(end="2026-11-30T23:59:59Z"), instrument(end="2026-12-01T00:00:00Z"),
              "instruments/web.yaml:3:3: warning SL107 at web-clicks › end: instrument 'web-clicks' ended at 2026-11-30T23:59:59Z"),
    "SL108": (instrument(end="2026-12-07T23:59:59Z"), instrument(end="2026-12-08T00:00:00Z"),
              "instruments/web.yaml:3:3: notice SL108 at web-clicks › end: instrument 'web-clicks' ends at 2026-12-07T23:59:59Z, within 7 days"),
    "SL109": (instrument(sample=sample("half", **{"1.5": "[dewiki]"})), instrument(sample=sample("0.25", **{"1": "[dewiki]"})),
              "instruments/web.yaml:9:7: error SL109 at web-clicks › sample › rate › default: instrument 'web-clicks': rate "
              "'half' is not a number: MediaWiki samples it at 0.0"),
    "SL110": (instrument(sample=rates(**{"0.5": "[enwiki, frwiki]"})), instrument(sample=rates(**{"0.5": "[enwiki, private]"})),
              "instruments/web.yaml:10:23: error SL110 at web-clicks › sample › rate › 0.5 › 1: instrument 'web-clicks': 'frwiki' "
              "is neither a wiki nor a tag of realm 'production'"),
    "SL111": (instrument(sample=rates(**{"0.5": "[private]", "1": "[officewiki, dewiki]"})),
              instrument(sample=rates(**{"0.5": "[private]", "1": "[dewiki]"})),
              "instruments/web.yaml:11:13: error SL111 at web-clicks › sample › rate › 1 › 0: instrument 'web-clicks': officewiki "
              "already gets rate 0.5; 'officewiki' under 1 does not hold there"),
    "SL112": (instrument("Web_Clicks") + instrument("12"), instrument("web-clicks-2"),
              "instruments/web.yaml:1:1: error SL112 at Web_Clicks: instrument name 'Web_Clicks' is not slug-like"),
    "SL113": (instrument(stream_name="plain.stream"), instrument(),
              "instruments/web.yaml:4:3: warning SL113 at web-clicks › stream_name: instrument 'web-clicks': stream 'plain.stream' "
              "is not marked producers.test_kitchen.is_test_kitchen_stream: true on the 2 `en` wikis"),
    "SL114": (instrument(sample="\n    unit: device\n    rate: {default: 1}\n"), instrument(sample="\n    rate: {default: 1}\n"),
              "instruments/web.yaml:8:5: error SL114 at web-clicks › sample › unit: instrument 'web-clicks': sample unit 'device' "
              "is not one of pageview, session"),
}


@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule_fires_and_does_not(rule: str, tmp_path: Path):
    assert_rule_case(lambda directory, text: findings(directory, text, rule), CASES[rule], tmp_path)


APPS_ATTRIBUTES = ("agent_app_flavor", "agent_app_theme", "agent_app_version", "agent_app_version_name", "agent_device_family",
                   "agent_device_language", "agent_release_status", "performer_language_groups", "performer_language_primary")


def test_the_apps_client_s_attributes_are_known_by_default(tmp_path: Path):
    apps = instrument("apps-clicks", contextual_attributes="[" + ", ".join(APPS_ATTRIBUTES) + "]")
    root = write_tree(tmp_path / "repo", {"realms/production.yaml": REALM, "streams/a.yaml": STREAMS,
                                          "instruments/apps/clicks.yaml": apps})
    config, diagnostics = validate(read_sources(root))
    assert config is not None and not any(d.code == "SL103" for d in lint(config, root, at=AT))
    result = run_installed("validate", "--root", root)
    assert result.returncode == 0 and "SL103" not in result.stdout + result.stderr, result.stdout + result.stderr


def test_integer_like_names_are_not_slug_like(tmp_path: Path):
    assert any("'12' is not slug-like" in text for text in findings(tmp_path, instrument("12"), "SL112"))


def test_a_stream_missing_only_where_the_rate_is_above_0(tmp_path: Path):
    files = {"overrides/production/o.yaml": "dewiki:\n  streams:\n    plain.stream:\n      schema_title: analytics/product_metrics/web/base\n"}
    assert findings(tmp_path / "zero", instrument(), "SL101", files) == [], "dewiki samples 0: no stream needed there"
    found = findings(tmp_path / "one", instrument(sample=rates(**{"1": "[dewiki]"})), "SL101", files)
    assert len(found) == 1 and "stream 'tk.clicks' has no config on dewiki, where its rate is above 0" in found[0]


def test_owner_is_checked_once_owners_exist(tmp_path: Path):
    owned = instrument(owner="webb")
    assert findings(tmp_path / "none", owned, "SL115") == [], "no owners.yaml, no check"
    owners = {"owners.yaml": "teams:\n  web: {description: Web, contact: c, gitlab: ['@web']}\n"
                             "  growth: {description: Growth, contact: c, gitlab: ['@growth']}\n"}
    found = findings(tmp_path / "some", owned, "SL115", owners)
    assert found[0].startswith("instruments/web.yaml:13:3: error SL115 at web-clicks › owner: instrument 'web-clicks': owner "
                               "'webb' is not a team of owners.yaml") and "did you mean web?" in found[0]
    assert findings(tmp_path / "good", instrument(owner="web"), "SL115", owners) == []


def test_rules_judge_a_realm_s_own_instruments_with_its_wikis(tmp_path: Path):
    files = {"realms/beta.yaml": "base: production\nwikis:\n  enwiki: [en, wiki]\n",
             "overrides/beta/instruments/web.yaml": "web-clicks:\n  sample:\n    rate: {default: 1, '0.5': [dewiki]}\n"}
    found = findings(tmp_path, instrument(), "SL110", files)
    assert found[0].startswith("overrides/beta/instruments/web.yaml:3:32: error SL110 at web-clicks › sample › rate › 0.5 › 0: "
                               "instrument 'web-clicks': 'dewiki' is neither a wiki nor a tag of realm 'beta'")


def test_disabled_per_line(tmp_path: Path):
    text = instrument(end="2026-11-30T23:59:59Z  # streamconf: disable=SL107")
    assert findings(tmp_path, text, "SL107") == []


def test_notices_never_fail_validate(tmp_path: Path, run):
    root = write_tree(tmp_path / "repo", {"realms/production.yaml": REALM, "streams/a.yaml": STREAMS,
                                          "instruments/web.yaml": instrument(end="2026-12-07T23:59:59Z")})
    result = run("validate", "--root", root, "--at", "2026-12-01T00:00:00Z", "--strict")
    assert result.exit_code == 0 and "valid: 1 realms, production 4 wikis; 1 notice" in result.output
    assert "1 warning" in run("validate", "--root", root, "--at", "2026-12-08T00:00:00Z").output  # ended by then
