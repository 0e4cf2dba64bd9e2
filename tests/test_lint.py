"""Every lint rule, with a case that fires and one that must not; disabling rules; the reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import PROJECT, assert_rule_case, write_tree
from streamconf.lint import lint
from streamconf.lint.patterns import risky_reason
from streamconf.load import read_sources
from streamconf.validate import validate

REALM = "wikis:\n  enwiki: [en, wiki]\n  dewiki: [de, wiki]\n  metawiki: [meta, wiki]\n  officewiki: [private, en, wiki]\n  w1wiki: [small, private]\n"
STREAM = "  schema_title: analytics/a\n  destination_event_service: eventgate-analytics-external\n"


def findings(tmp_path: Path, files: dict[str, str], rule: str, schema_repository: Path | None = None) -> list[str]:
    root = write_tree(tmp_path / "repo", {"realms/production.yaml": REALM, **files})
    config, diagnostics = validate(read_sources(root))
    assert config is not None, "\n".join(d.render() for d in diagnostics)
    return [d.render() for d in lint(config, root, schema_repository=schema_repository) if d.code == rule]


CASES = {
    "SL001": ({"streams/a.yaml": "a.b:\n" + STREAM, "overrides/production/o.yaml": "+enwikii:\n  streams: {a.b: {}}\n"},
              {"streams/a.yaml": "a.b:\n" + STREAM, "overrides/production/o.yaml": "+enwiki:\n  streams: {a.b: {}}\n"},
              "overrides/production/o.yaml:1:1: error SL001 at +enwikii: key '+enwikii': 'enwikii' is neither a wiki nor a tag"),
    "SL002": ({"streams/a.yaml": "a.b:\n" + STREAM, "overrides/production/o.yaml": "+enwiki:\n  streams:\n    a.c:\n      sample: {rate: 1}\n"},
              {"streams/a.yaml": "a.b:\n" + STREAM, "overrides/production/o.yaml": "+enwiki:\n  streams:\n    a.b:\n      sample: {rate: 1}\n"},
              "overrides/production/o.yaml:3:5: error SL002 at +enwiki › a.c: `+enwiki` sets stream 'a.c', which no layer of realm 'production' declares"),
    "SL003": ({"streams/a.yaml": "a.b:\n" + STREAM + "  canary_events_enabled: true\n",
               "overrides/production/o.yaml": "+metawiki:\n  streams:\n    a.b:\n      canary_events_enabled: false\n"},
              {"streams/a.yaml": "a.b:\n" + STREAM, "overrides/production/o.yaml": "+metawiki:\n  streams:\n    a.b:\n      canary_events_enabled: false\n"},
              "overrides/production/o.yaml:4:7: warning SL003 at +metawiki › a.b › canary_events_enabled: `false` under `+metawiki` "
              "does not hold on metawiki: in a `+` merge the `default` value true at streams/a.yaml:4:3 replaces it"),
    "SL004": ({"streams/a.yaml": "a.b:\n" + STREAM + "  topic_prefixes: [p.]\n",
               "overrides/production/o.yaml": "+enwiki:\n  streams:\n    a.b:\n      topic_prefixes: null\n"},
              {"streams/a.yaml": "a.b:\n" + STREAM, "overrides/production/o.yaml": "+enwiki:\n  streams:\n    a.b:\n      topic_prefixes: null\n"},
              "overrides/production/o.yaml:4:7: warning SL004 at +enwiki › a.b › topic_prefixes: `null` under `+enwiki` counts as unset on enwiki"),
    "SL005": ({"streams/a.yaml": "a.b:\n" + STREAM,
               "overrides/production/o.yaml": "enwiki:\n  streams:\n    a.b:\n" + STREAM.replace("  ", "      ") + "+enwiki:\n  streams:\n    a.b: {sample: {rate: 1}}\n"},
              {"streams/a.yaml": "a.b:\n" + STREAM, "overrides/production/o.yaml": "+enwiki:\n  streams:\n    a.b: {sample: {rate: 1}}\n"},
              "overrides/production/o.yaml:6:1: warning SL005 at +enwiki: `+enwiki` (streams) is never read: the plain key `enwiki` at "
              "overrides/production/o.yaml:1:1 replaces the whole setting first"),
    "SL006": ({"streams/a.yaml": "a.b:\n" + STREAM, "overrides/production/o.yaml": "small:\n  eventlogging_streams: [a.b]\nprivate:\n  eventlogging_streams: []\n"},
              {"streams/a.yaml": "a.b:\n" + STREAM, "overrides/production/o.yaml": "private:\n  eventlogging_streams: []\n"},
              "overrides/production/o.yaml:3:1: warning SL006 at private: `small` and `private` both apply to w1wiki: `small` comes first"),
    "SL007": ({"streams/a.yaml": "a.b:\n" + STREAM + "  topic_prefixes: [west.]\n", "stream-defaults.yaml": "topic_prefixes: [eqiad., codfw.]\n"},
              {"streams/a.yaml": "a.b:\n" + STREAM + "  topic_prefixes: [west., east.]\n", "stream-defaults.yaml": "topic_prefixes: [eqiad., codfw.]\n"},
              'streams/a.yaml:4:3: warning SL007 at default › a.b › topic_prefixes: a.b sets topic_prefixes to ["west."], shorter than the '
              'default ["eqiad.", "codfw."]: lists are replaced item by item, so it is ["west.", "codfw."] on all 5 production wikis'),
    "SL008": ({"streams/a.yaml": "/^(a+)+$/:\n" + STREAM}, {"streams/a.yaml": "/^a+$/:\n" + STREAM},
              "streams/a.yaml:1:1: warning SL008 at default › /^(a+)+$/: pattern /^(a+)+$/: a quantified group holds another unbounded quantifier"),
    "SL009": ({"streams/a.yaml": "/^a\\./:\n" + STREAM + "a.b:\n" + STREAM}, {"streams/a.yaml": "/^c\\./:\n" + STREAM + "a.b:\n" + STREAM},
              "streams/a.yaml:1:1: warning SL009 at default › /^a\\./: pattern /^a\\./ matches the stream a.b declared by name, whose own key wins"),
    "SL010": ({"streams/a.yaml": "a.b:\n" + STREAM, "eventlogging.yaml": "- a.b\n- a.c\n"},
              {"streams/a.yaml": "a.b:\n" + STREAM, "eventlogging.yaml": "- a.b\n"},
              "eventlogging.yaml:2:3: warning SL010 at default › a.c: EventLogging stream 'a.c' has no stream config on all 5 production wikis"),
    "SL011": ({"streams/a.yaml": "a.b:\n" + STREAM + "  sample: {unit: sesion, rate: 0.5}\n"},
              {"streams/a.yaml": "a.b:\n" + STREAM + "  sample: {unit: session, rate: 0.5}\n"},
              'streams/a.yaml:4:12: error SL011 at default › a.b › sample › unit: sample.unit "sesion" is not a unit the clients support'),
    "SL014": ({"streams/a.yaml": "a.b:\n" + STREAM.replace("eventgate-analytics-external", "eventgate-analytic")},
              {"streams/a.yaml": "a.b:\n" + STREAM},
              'streams/a.yaml:3:3: error SL014 at default › a.b › destination_event_service: destination_event_service "eventgate-analytic" is not a configured service'),
    "SL015": ({"streams/a.yaml": "Bad_Name:\n" + STREAM}, {"streams/a.yaml": "eventlogging_NavigationTiming:\n" + STREAM + "good.name-2:\n" + STREAM},
              "streams/a.yaml:1:1: warning SL015 at default › Bad_Name: stream name 'Bad_Name' does not follow the naming convention"),
    "SL301": ({"streams/a.yaml": "a.b:\n" + STREAM + "  smaple: {rate: 0.5}\n"},
              {"streams/a.yaml": "a.b:\n" + STREAM + "  sample: {rate: 0.5}\n"},
              "streams/a.yaml:4:3: warning SL301 at default › a.b › smaple: `smaple` is set only here and no schema defines it: "
              "did you mean `sample`?"),
}


@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule_fires_and_does_not(rule: str, tmp_path: Path):
    assert_rule_case(lambda directory, files: findings(directory, files, rule), CASES[rule], tmp_path)


def test_tag_order_for_plus_keys(tmp_path: Path):
    files = {"streams/a.yaml": "a.b:\n" + STREAM, "overrides/production/o.yaml":
             "+private:\n  streams:\n    a.b: {sample: {rate: 0.1}}\n+en:\n  streams:\n    a.b: {sample: {rate: 0.2}}\n"}
    assert findings(tmp_path, files, "SL006")[0].startswith(
        "overrides/production/o.yaml:6:20: warning SL006 at +en › a.b › sample › rate: `+private` and `+en` set a.b.sample.rate "
        "differently on officewiki: `+private` wins")


def test_two_patterns_matching_one_name(tmp_path: Path):
    files = {"streams/a.yaml": "/^a\\./:\n" + STREAM + "/\\.b$/:\n" + STREAM, "eventlogging.yaml": "- a.b\n"}
    assert findings(tmp_path, files, "SL009") == [
        "streams/a.yaml:4:1: warning SL009 at default › /\\.b$/: patterns /^a\\./ and /\\.b$/ both match a.b: the first in order (/^a\\./) wins\n"
        "    hint: make the patterns disjoint"]


@pytest.mark.parametrize("body, risky", [("(a+)+$", True), ("^(a|aa)+$", True), ("(x*)*", True), ("^(a|b)+$", False),
                                         ("^mediawiki\\.job\\..+", False), ("(ab)+", False), ("[(+]+", False), ("(a{1,})*", True)])
def test_risky_pattern_heuristic(body: str, risky: bool):
    assert bool(risky_reason(body)) is risky


SCHEMAS = PROJECT / "tests" / "fixtures" / "event-schemas"


def test_schema_titles_against_a_schema_repository(tmp_path: Path):
    files = {"streams/a.yaml": "a.b:\n" + STREAM + "c.d:\n" + STREAM.replace("analytics/a", "analytics/link_hover")
             + "e.f:\n" + STREAM.replace("analytics/a", "analytics/legacy/old") + "g.h:\n" + STREAM.replace("analytics/a", "test/unmaterialized")}
    unknown = findings(tmp_path / "one", files, "SL012", SCHEMAS)
    assert [text.split("\n")[0] for text in unknown] == [
        'streams/a.yaml:2:3: error SL012 at default › a.b › schema_title: schema_title "analytics/a" is not in the schema repository '
        f"{SCHEMAS}"]
    stale = findings(tmp_path / "two", files, "SL013", SCHEMAS)
    assert [text.split("\n")[0] for text in stale] == [
        "streams/a.yaml:8:3: warning SL013 at default › e.f › schema_title: schema analytics/legacy/old: its latest version is marked deprecated",
        "streams/a.yaml:11:3: warning SL013 at default › g.h › schema_title: schema test/unmaterialized: version 1.1.0 is not materialised "
        "(test/unmaterialized/1.1.0.yaml is missing)"]
    assert findings(tmp_path / "three", files, "SL012") == [], "no schema repository, no check"
    missing = findings(tmp_path / "four", {**files, "streamconf.yaml": "schema_repository: nowhere\n"}, "SL012")
    assert len(missing) == 1 and "has no jsonschema/ directory" in missing[0]


def test_disabling_rules_per_repository_and_per_line(tmp_path: Path, run):
    files = {"streams/a.yaml": "Bad_Name:\n" + STREAM + "Other_Bad:  # streamconf: disable=SL015\n" + STREAM
             + "# streamconf: disable-next-line=SL015\nThird_Bad:\n" + STREAM}
    assert [text.split(":")[1] for text in findings(tmp_path / "one", files, "SL015")] == ["1"]
    files["streamconf.yaml"] = "rules:\n  disable: [SL015]\n"
    assert findings(tmp_path / "two", files, "SL015") == []


def test_a_repository_sets_the_severity_of_a_rule(tmp_path: Path, run):
    """An unknown key lowered to a warning no longer stops compile, and validate still names it; a
    warning rule raised to an error stops both."""
    stale = {"realms/production.yaml": REALM, "streams/a.yaml": "a.b:\n" + STREAM,
             "overrides/production/o.yaml": "+enwikii:\n  streams: {a.b: {}}\n"}
    root = write_tree(tmp_path / "stale", stale)
    assert run("compile", "--root", root).exit_code == 1
    write_tree(root, {"streamconf.yaml": "rules:\n  severity: {SL001: warning}\n"})
    compiled = run("compile", "--root", root)
    assert compiled.exit_code == 0, compiled.output
    validated = run("validate", "--root", root)
    assert validated.exit_code == 0
    assert "warning SL001 at +enwikii" in validated.output
    named = write_tree(tmp_path / "named", {"realms/production.yaml": REALM, "streams/a.yaml": "Bad_Name:\n" + STREAM,
                                            "streamconf.yaml": "rules:\n  severity: {SL015: error}\n"})
    assert run("compile", "--root", named).exit_code == 1
    assert "error SL015 at default › Bad_Name" in run("validate", "--root", named).output


def test_severity_is_only_for_lint_rules(tmp_path: Path, run):
    root = write_tree(tmp_path / "repo", {"realms/production.yaml": REALM, "streamconf.yaml": "rules:\n  severity: {SC002: warning}\n"})
    assert "error SC002 at rules › severity › SC002" in run("validate", "--root", root).output


def test_validate_exit_codes_strict_and_formats(tmp_path: Path, run):
    root = write_tree(tmp_path / "repo", {"realms/production.yaml": REALM, "streams/a.yaml": "Bad_Name:\n" + STREAM})
    assert run("validate", "--root", root).exit_code == 0
    assert "1 warning" in run("validate", "--root", root).output
    assert run("validate", "--root", root, "--strict").exit_code == 1
    report = json.loads(run("validate", "--root", root, "--format", "json").stdout)
    assert [finding["code"] for finding in report] == ["SL015"]


GITLAB_CODE_QUALITY_SCHEMA = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["description", "check_name", "fingerprint", "severity", "location"],
        "properties": {
            "description": {"type": "string"}, "check_name": {"type": "string"}, "fingerprint": {"type": "string"},
            "severity": {"enum": ["info", "minor", "major", "critical", "blocker"]},
            "location": {"type": "object", "required": ["path", "lines"], "properties": {
                "path": {"type": "string"},
                "lines": {"type": "object", "required": ["begin"], "properties": {"begin": {"type": "integer", "minimum": 1}}}}},
        },
    },
}


def test_gitlab_code_quality_report(tmp_path: Path, run):
    from jsonschema import validate as check

    root = write_tree(tmp_path / "repo", {"realms/production.yaml": REALM, "streams/a.yaml": "Bad_Name:\n" + STREAM,
                                          "overrides/production/o.yaml": "+enwikii:\n  streams: {Bad_Name: {}}\n"})
    result = run("validate", "--root", root, "--format", "gitlab")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    check(report, GITLAB_CODE_QUALITY_SCHEMA)
    assert {(issue["check_name"], issue["severity"], issue["location"]["path"], issue["location"]["lines"]["begin"]) for issue in report} == {
        ("SL001", "major", "overrides/production/o.yaml", 1), ("SL015", "minor", "streams/a.yaml", 1)}
    assert len({issue["fingerprint"] for issue in report}) == len(report)


def test_compile_refuses_lint_errors_but_not_warnings(tmp_path: Path, run):
    root = write_tree(tmp_path / "repo", {"realms/production.yaml": REALM, "streams/a.yaml": "Bad_Name:\n" + STREAM})
    assert run("compile", "--root", root).exit_code == 0
    write_tree(root, {"overrides/production/o.yaml": "+enwiki:\n  streams:\n    typo.stream: {sample: {rate: 1}}\n"})
    result = run("compile", "--root", root)
    assert result.exit_code == 1 and "SL002" in result.output
