"""Bad input through the command line: exit code 1 (2 for usage), every error with its file, line
and column, no traceback, and the previous build left exactly as it was."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import run_installed, tree_digest, write_tree

BAD_INPUTS = {
    "yaml-syntax": ({"streams/a.yaml": "a.b:\n  schema_title: [x\n"}, "streams/a.yaml:3:1: error SC001: YAML syntax error"),
    "duplicate-key": ({"streams/a.yaml": "a.b:\n  schema_title: x\n  schema_title: y\n"},
                      "streams/a.yaml:3:3: error SC001 at a.b › schema_title: duplicate key 'schema_title': it is also at line 2, column 3"),
    "wrong-type": ({"streams/a.yaml": "a.b:\n  sample:\n    rate: high\n"},
                   "streams/a.yaml:3:5: error SC002 at a.b › sample › rate: 'high' is not of type 'number'"),
    "rate-out-of-range": ({"streams/a.yaml": "a.b:\n  sample:\n    rate: 2\n"},
                          "streams/a.yaml:3:5: error SC002 at a.b › sample › rate: 2 is greater than the maximum of 1"),
    "yes-is-not-a-boolean": ({"streams/a.yaml": "a.b:\n  canary_events_enabled: yes\n"},
                             "'yes' is a string here (YAML 1.2); write true or false"),
    "unknown-wiki": ({"overrides/production/x.yaml": "+enwikii:\n  streams:\n    a.b: {}\n"},
                     "overrides/production/x.yaml:1:1: error SL001 at +enwikii: key '+enwikii': 'enwikii' is neither a wiki nor a tag of realm 'production'"),
    "invalid-pattern": ({"streams/p.yaml": "/^mediawiki\\.job\\.(+/:\n  schema_title: mediawiki/job\n"},
                        "streams/p.yaml:1:1: error SC005 at /^mediawiki\\.job\\.(+/: stream key /^mediawiki\\.job\\.(+/ is not a valid PCRE pattern: "
                        "compilation failed at position 19; quantifier does not follow a repeatable item"),
    "duplicate-stream-across-files": ({"streams/z.yaml": "a.b:\n  schema_title: other\n"},
                                      "streams/z.yaml:1:1: error SC003 at a.b: 'a.b' is declared twice for 'default' streams: also at streams/a.yaml:1:1"),
    "default-in-root-overrides": ({"overrides/production/d.yaml": "default:\n  streams: {}\n"}, "`default` in the overrides of realm 'production'"),
    "unknown-override-key": ({"overrides/production/x.yaml": "+enwiki:\n  stream: {}\n"}, "unknown key ('stream' was unexpected)"),
    "stream-control-character": ({"streams/c.yaml": '"a\\x01b":\n  schema_title: x\n'}, "streams/c.yaml:1:1: error SC002"),
    "unknown-base-realm": ({"realms/beta.yaml": "base: prod\nwikis: {enwiki: [en]}\n"}, "base realm 'prod' of 'beta' does not exist"),
    "dblist-member-unknown": ({"realms/production.yaml": "dblists: [private]\nwikis: {enwiki: [en]}\n",
                               "realms/production/private.dblist": "enwiki\nofficewikii\n"},
                              "realms/production/private.dblist:2:1: error SC003: 'officewikii' is listed in a dblist but is not a wiki"),
    "dangerous-wiki-id": ({"realms/production.yaml": "wikis:\n  ../../etc: [en]\n"}, "realms/production.yaml:2:3: error SC003 at wikis › ../../etc: '../../etc' is not a valid wiki id"),
    "top-level-list": ({"streams/a.yaml": "- a.b\n- c.d\n"},
                       "streams/a.yaml:1:1: error SC002: ['a.b', 'c.d'] is not of type 'object'\n    hint: this file holds a map from stream names"),
    "empty-realm-file": ({"realms/production.yaml": "# to do\n"}, "realms/production.yaml:1:1: error SC003: the realm file is empty"),
    "dangerous-realm-name": ({"realms/pro..d.yaml": "wikis: {enwiki: []}\n"}, "'pro..d' is not a valid realm name"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_fails_cleanly_and_keeps_the_build(case, repo: Path, run):
    files, expected = BAD_INPUTS[case]
    assert run("compile", "--root", repo).exit_code == 0
    before = tree_digest(repo / "build")
    write_tree(repo, files)
    for command in (["validate"], ["compile"]):
        result = run(*command, "--root", repo)
        assert result.exit_code == 1, result.output
        assert expected in result.output
        assert "Traceback" not in result.output
    assert tree_digest(repo / "build") == before


def test_empty_and_comment_only_files_declare_nothing(repo: Path, run):
    write_tree(repo, {"streams/empty.yaml": "", "streams/later.yaml": "# streams of the next quarter\n",
                      "overrides/production/none.yaml": "\n", "streamconf.yaml": ""})
    result = run("validate", "--root", repo)
    assert result.exit_code == 0, result.output


def test_several_errors_are_all_reported(repo: Path, run):
    write_tree(repo, {
        "streams/x.yaml": "x.y:\n  sample:\n    rate: -1\n",
        "streams/y.yaml": "y.z: [\n",
        "overrides/production/o.yaml": "+nowiki:\n  streams: {a.b: {}}\n",
    })
    result = run("validate", "--root", repo)
    assert result.exit_code == 1
    assert "streams/x.yaml:3:5" in result.output
    assert "streams/y.yaml:2:1" in result.output
    assert "overrides/production/o.yaml:1:1" in result.output


def test_validate_json_format(repo: Path, run):
    write_tree(repo, {"streams/x.yaml": "x.y:\n  sample:\n    rate: -1\n"})
    result = run("validate", "--root", repo, "--format", "json")
    assert result.exit_code == 1
    (finding,) = json.loads(result.stdout)
    assert finding == {"file": "streams/x.yaml", "line": 3, "column": 5, "path": ["x.y", "sample", "rate"],
                       "severity": "error", "code": "SC002", "message": "-1 is less than the minimum of 0",
                       "hint": "a sample rate is a fraction from 0 to 1"}


def test_valid_repository(repo: Path, run):
    result = run("validate", "--root", repo)
    assert result.exit_code == 0
    assert "valid: 1 realms, production 3 wikis" in result.output


@pytest.mark.parametrize("args, message", [
    (["compile", "--wiki", "enwik"], "unknown wiki 'enwik'"),
    (["compile", "--realm", "beta"], "unknown realm 'beta'"),
    (["show", "frwiki"], "unknown wiki 'frwiki'"),
    (["compile", "--no-such-option"], "No such option '--no-such-option'"),
])
def test_usage_errors_exit_2(args, message, repo: Path, run):
    result = run(*args, "--root", repo)
    assert result.exit_code == 2
    assert message in result.output


def test_missing_repository(tmp_path: Path, run):
    result = run("validate", "--root", tmp_path / "nowhere")
    assert result.exit_code == 1
    assert "the config repository does not exist" in result.output


def test_installed_program_exit_codes_and_messages(repo: Path):
    assert run_installed("validate", "--root", repo).returncode == 0
    write_tree(repo, {"streams/a.yaml": "a.b:\n  sample:\n    rate: high\n"})
    invalid = run_installed("validate", "--root", repo)
    assert invalid.returncode == 1
    assert invalid.stderr.startswith("streams/a.yaml:3:5: error SC002 at a.b › sample › rate:")
    assert "Traceback" not in invalid.stderr
    usage = run_installed("compile", "--root", repo, "--bogus")
    assert usage.returncode == 2


def test_internal_errors_are_reported_without_traceback(repo: Path, run, monkeypatch):
    import streamconf.workflow

    def broken(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(streamconf.workflow, "compile_config", broken)
    result = run("compile", "--root", repo)
    assert result.exit_code == 1
    assert "internal error: RuntimeError: boom" in result.output
    assert "--debug" in result.output
    with pytest.raises(RuntimeError):
        run("--debug", "compile", "--root", repo)
    with pytest.raises(RuntimeError):
        run("compile", "--root", repo, "--debug")


def test_debug_is_accepted_after_the_command(repo: Path):
    for args in (("--debug", "validate"), ("validate", "--debug"), ("show", "enwiki", "--debug")):
        result = run_installed(*args, "--root", repo)
        assert result.returncode == 0, result.stderr


def test_every_command_has_help_with_an_example(run):
    from streamconf.cli import cli

    assert sorted(cli.commands) == ["compile", "completion", "diff", "explain", "export", "import", "log", "new", "owners",
                                    "publish", "rules", "schedule", "serve", "show", "site", "validate"]
    commands = [(name,) for name in cli.commands] + [(group, name) for group in ("new", "export")
                                                     for name in cli.commands[group].commands]
    for command in commands:
        result = run(*command, "--help")
        assert result.exit_code == 0
        assert "Example:" in result.output, command
        assert "--root" in result.output or command in (("publish",), ("rules",), ("serve",), ("completion",), ("new",), ("export",)) \
            or command[0] == "new", command


def test_an_unknown_key_and_a_schema_error_in_one_file_are_both_reported(repo: Path, run):
    write_tree(repo, {"overrides/production/typo.yaml": "+enwikii:\n  streams:\n    a.b:\n      sample:\n        rate: 2\n"})
    result = run("validate", "--root", repo)
    assert "typo.yaml:1:1: error SL001 at +enwikii: key '+enwikii'" in result.output
    assert "hint: did you mean enwiki" in result.output
    assert "typo.yaml:5:9: error SC002 at +enwikii › streams › a.b › sample › rate: 2 is greater than the maximum of 1" in result.output
