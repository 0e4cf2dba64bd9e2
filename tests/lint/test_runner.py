"""lint/runner.py and lint/registry.py: rules turned off per repository and per line, severities a
repository sets, what validate and compile do with errors and warnings, the reports."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import write_tree

from .common import REALM, STREAM, findings


def test_disabling_rules_per_repository_and_per_line(tmp_path: Path, run):
    files = {"streams/a.yaml": "Bad_Name:\n" + STREAM + "Other_Bad:  # streamconf: disable=SL015\n" + STREAM
             + "# streamconf: disable-next-line=SL015\nThird_Bad:\n" + STREAM}
    assert [text.split(":")[1] for text in findings(tmp_path / "one", files, "SL015")] == ["1"]
    files["streamconf.yaml"] = "rules:\n  disable: [SL015]\n"
    assert findings(tmp_path / "two", files, "SL015") == []


def test_disabling_rules_per_line_in_owners_metadata(tmp_path: Path, run):
    """owners.yaml and metadata/ take the same comments as the config's layers."""
    teams = "teams:\n  web: {description: Web., contact: web@example.org, gitlab: ['@org/web']}\n"
    files = {"streams/a.yaml": "a.b:\n" + STREAM, "owners.yaml": "maintainers: wbe\n" + teams,
             "metadata/web.yaml": "a.b: {owner: wbe}\na.bb: {owner: web}\n"}
    assert sorted(text.split(": ")[0] for text in findings(tmp_path / "one", files, "SL202")) == ["metadata/web.yaml:1:7", "owners.yaml:1:1"]
    assert len(findings(tmp_path / "one", files, "SL203")) == 1
    files["owners.yaml"] = "maintainers: wbe  # streamconf: disable=SL202\n" + teams
    files["metadata/web.yaml"] = ("a.b: {owner: wbe}  # streamconf: disable=SL202\n"
                                  "# streamconf: disable-next-line=SL203\na.bb: {owner: web}\n")
    assert findings(tmp_path / "two", files, "SL202") == []
    assert findings(tmp_path / "two", files, "SL203") == []


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
