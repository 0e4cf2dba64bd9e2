"""The review and deploy workflow on real temporary git repositories with several commits:
compile --ref, diff, explain, log and publish."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import textwrap
import time
from pathlib import Path

import pytest

from conftest import EXECUTABLE, read_json, run_installed, tree_digest, write_tree

REPO = {
    "realms/production.yaml": """
        dblists: [private]
        wikis:
          enwiki: [en, wiki]
          dewiki: [de, wiki]
          frwiki: [fr, wiki]
          metawiki: [meta, wiki]
          officewiki: [office, wiki]
          boardwiki: [board, wiki]
        """,
    "realms/production/private.dblist": "officewiki\nboardwiki\n",
    "realms/beta.yaml": "base: production\nwikis:\n  enwiki: [en, wiki]\n  dewiki: [de, wiki]\n",
    "streams/web.yaml": """
        a.b:
          schema_title: analytics/a
          destination_event_service: eventgate-analytics-external
          sample:
            rate: 0.5
          producers:
            eventgate:
              enrich:
                ua: user-agent
        c.d:
          schema_title: analytics/c
          destination_event_service: eventgate-analytics-external
        """,
    "stream-defaults.yaml": "topic_prefixes: [eqiad., codfw.]\n",
    "eventlogging.yaml": "- a.b\n- c.d\n",
    "overrides/production/private.yaml": """
        +private:
          streams:
            a.b:
              sample:
                rate: 0.1
        """,
    "overrides/production/meta.yaml": """
        +metawiki:
          streams:
            a.b:
              producers:
                eventgate:
                  enrich:
                    ua: false
        """,
    "overrides/beta/enwiki.yaml": """
        +enwiki:
          streams:
            a.b:
              sample:
                rate: 1
        """,
}


def git(root: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "Ana Editor", "GIT_AUTHOR_EMAIL": "ana@example.org",
           "GIT_COMMITTER_NAME": "Ana Editor", "GIT_COMMITTER_EMAIL": "ana@example.org",
           "GIT_AUTHOR_DATE": "2026-11-01T12:00:00Z", "GIT_COMMITTER_DATE": "2026-11-01T12:00:00Z"}
    return subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True, text=True).stdout.strip()


def commit(root: Path, message: str, files: dict[str, str] | None = None, remove: tuple[str, ...] = ()) -> str:
    write_tree(root, files or {})
    for path in remove:
        (root / path).unlink()
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)
    return git(root, "rev-parse", "HEAD")


def new_repository(tmp_path: Path) -> Path:
    """An empty git repository on main that ignores build/."""
    root = tmp_path / "config"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    write_tree(root, {".gitignore": "/build/\n"})
    return root


@pytest.fixture
def history(tmp_path: Path):
    """A repository with five commits on main; returns the root and the commit of each step."""
    root = new_repository(tmp_path)
    steps = {"initial": commit(root, "Add the streams", REPO)}
    steps["rate"] = commit(root, "Sample a.b less on private wikis", {"overrides/production/private.yaml":
                           REPO["overrides/production/private.yaml"].replace("rate: 0.1", "rate: 0.05")})
    steps["comment"] = commit(root, "Explain the streams", {"streams/web.yaml": "# Web streams.\n" + textwrap.dedent(REPO["streams/web.yaml"]).lstrip()})
    steps["other"] = commit(root, "Sample c.d", {"overrides/production/en.yaml": "+enwiki:\n  streams:\n    c.d:\n      sample:\n        rate: 0.2\n"})
    steps["schema"] = commit(root, "New schema for a.b", {"streams/web.yaml": (root / "streams/web.yaml").read_text().replace("analytics/a\n", "analytics/a2\n")})
    return root, steps


def files_of(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


# compile --ref --------------------------------------------------------------------------------


def test_compile_ref_equals_compiling_a_checkout(history, tmp_path: Path, run):
    root, steps = history
    before = tree_digest(root), git(root, "status", "--porcelain")
    assert run("compile", "--root", root, "--ref", steps["rate"], "--out", tmp_path / "from-ref").exit_code == 0
    assert (tree_digest(root), git(root, "status", "--porcelain")) == before, "the working tree is not touched"
    checkout = tmp_path / "checkout"
    subprocess.run(["git", "clone", "-q", str(root), str(checkout)], check=True)
    git(checkout, "checkout", "-q", steps["rate"])
    assert run("compile", "--root", checkout, "--out", tmp_path / "from-checkout").exit_code == 0
    assert files_of(tmp_path / "from-ref") == files_of(tmp_path / "from-checkout")
    manifest = read_json(tmp_path / "from-ref" / "manifest.json")
    assert manifest["source"]["commit"] == steps["rate"]
    assert manifest["source"]["dirty"] is False
    assert manifest["generator"].startswith("streamconf ")
    rates = read_json(tmp_path / "from-ref/production/officewiki/streamconfigs.json")["streams"]["a.b"]["sample"]
    assert rates == {"rate": 0.05}


def test_manifest_records_a_dirty_tree(history, run):
    root, steps = history
    run("compile", "--root", root)
    assert read_json(root / "build/manifest.json")["source"]["dirty"] is False
    write_tree(root, {"eventlogging.yaml": "- a.b\n"})
    run("compile", "--root", root)
    source = read_json(root / "build/manifest.json")["source"]
    assert source["dirty"] is True and source["commit"] == steps["schema"]


def test_unknown_ref_and_no_git(history, tmp_path: Path, run, repo):
    root, _ = history
    result = run("compile", "--root", root, "--ref", "no-such-branch")
    assert result.exit_code == 2 and "'no-such-branch' names no commit" in result.output
    result = run("compile", "--root", repo, "--ref", "main")
    assert result.exit_code == 2 and "not in a git repository" in result.output


# diff -----------------------------------------------------------------------------------------


def diff_json(run, root: Path, *args: str) -> list[dict]:
    result = run("diff", "--root", root, "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)["changes"]


def test_diff_between_two_refs_reports_exactly_the_changed_settings(history, run):
    root, steps = history
    changes = diff_json(run, root, steps["initial"], steps["rate"])
    assert [(c["realm"], c["section"], c["stream"], c["path"], c["old"], c["new"], c["wikis_summary"]) for c in changes] == [
        ("production", "eventlogging", "a.b", ["sample", "rate"], 0.1, 0.05, "the 2 `private` wikis"),
        ("production", "streamconfigs", "a.b", ["sample", "rate"], 0.1, 0.05, "the 2 `private` wikis"),
    ]
    assert diff_json(run, root, steps["rate"], steps["comment"]) == []


def test_diff_wiki_sets_and_breaking_changes(history, run):
    root, steps = history
    changes = diff_json(run, root, steps["other"], steps["schema"])
    assert {(c["realm"], c["path"][0], c["breaking"], c["wikis_summary"]) for c in changes} == {
        ("production", "schema_title", "schema_title changed", "all 6 production wikis"),
        ("beta", "schema_title", "schema_title changed", "all 2 beta wikis"),
    }
    result = run("diff", "--root", root, steps["other"], steps["schema"], "--fail-on", "breaking")
    assert result.exit_code == 3
    assert "[breaking: schema_title changed]" in result.output


def test_diff_of_the_working_tree_against_the_merge_base(history, run):
    root, steps = history
    git(root, "checkout", "-q", "-b", "feature")
    commit(root, "Stop embedding c.d", {"eventlogging.yaml": "- a.b\n"})
    write_tree(root, {"overrides/production/ua.yaml": "+dewiki:\n  streams:\n    a.b:\n      producers:\n        eventgate:\n          enrich:\n            ua: de-ua\n"})
    changes = diff_json(run, root)
    assert [(c["section"], c["stream"], c["path"], c["new"], c["breaking"], c["wikis_summary"]) for c in changes if c["realm"] == "production"] == [
        ("eventlogging", "a.b", ["producers", "eventgate", "enrich", "ua"], "de-ua", None, "dewiki"),
        ("eventlogging", "c.d", [], None, "dropped from EventLogging", "all production wikis but enwiki"),
        ("eventlogging", "c.d", [], None, "dropped from EventLogging", "enwiki"),
        ("streamconfigs", "a.b", ["producers", "eventgate", "enrich", "ua"], "de-ua", None, "dewiki"),
    ]
    embedded = {tuple(c["wikis"]): c["old"] for c in changes if c["realm"] == "production" and c["stream"] == "c.d"}
    assert embedded[("enwiki",)] == {"sample": {"rate": 0.2}}, "each record carries what its wikis embedded"
    assert embedded[("boardwiki", "dewiki", "frwiki", "metawiki", "officewiki")] == {}
    markdown = run("diff", "--root", root, "--format", "markdown")
    assert "**2 breaking changes** for consumers." in markdown.output
    assert "| production | `c.d (EventLogging)` | dropped from EventLogging | all 6 production wikis | ⚠️ breaking: dropped from EventLogging |" in markdown.output


def test_diff_removed_stream_is_breaking(history, run):
    root, steps = history
    write_tree(root, {"streams/web.yaml": "a.b:\n  schema_title: analytics/a2\n  destination_event_service: eventgate-analytics-external\n"
                      "  sample:\n    rate: 0.5\n  producers:\n    eventgate:\n      enrich:\n        ua: user-agent\n"})
    # The `+enwiki` override of c.d still names it: a half-config stream, refused by lint rule SL002.
    result = run("diff", "--root", root, "HEAD")
    assert result.exit_code == 1
    assert "overrides/production/en.yaml:3:5: error SL002 at +enwiki › c.d: `+enwiki` sets stream 'c.d'" in result.output
    (root / "overrides/production/en.yaml").unlink()
    changes = diff_json(run, root, "HEAD")
    removed = [(c["realm"], c["path"], c["breaking"], c["wikis_summary"]) for c in changes
               if c["section"] == "streamconfigs" and c["stream"] == "c.d"]
    assert removed == [("beta", [], "stream removed", "all 2 beta wikis"),
                       ("production", [], "stream removed", "all production wikis but enwiki"),
                       ("production", [], "stream removed", "enwiki")]
    text = run("diff", "--root", root, "HEAD").output
    assert "    stream removed   on all 6 production wikis   [breaking: stream removed]\n" in text
    assert "      sample.rate: 0.2   on enwiki\n      sample.rate: absent   on all production wikis but enwiki\n" in text
    assert text.endswith("4 changes, 4 breaking\n"), "a stream removed is one change, whatever its configs"


# explain --------------------------------------------------------------------------------------


def explain(run, root: Path, *args: str) -> str:
    result = run("explain", "--root", root, *args)
    assert result.exit_code == 0, result.output
    return result.output


def test_explain_names_file_and_line_for_each_kind_of_layer(history, run):
    root, _ = history
    assert "set by `default` at streams/web.yaml:6:5 (production)" in explain(run, root, "dewiki", "a.b", "sample.rate")
    assert "set by `+private` at overrides/production/private.yaml:5:9 (production)" in explain(run, root, "officewiki", "a.b", "sample.rate")
    assert "`default` value 0.5 at streams/web.yaml:6:5 is shadowed by `+private`, which comes first" in \
        explain(run, root, "officewiki", "a.b", "sample.rate")
    beta = run_installed("explain", "enwiki", "a.b", "sample.rate", "--realm", "beta", "--root", root).stdout
    assert "set by `+enwiki` at overrides/beta/enwiki.yaml:5:9 (beta)" in beta
    topics = explain(run, root, "enwiki", "a.b", "topic_prefixes")
    assert "set by `default` at stream-defaults.yaml:1:1 (production)" in topics
    assert "from the stream defaults: the stream does not set it" in topics


def test_explain_in_beta_names_the_production_key_that_beta_replaced(history, run):
    root, _ = history
    commit(root, "Sample a.b on enwiki", {"overrides/production/en.yaml": "+enwiki:\n  streams:\n    a.b:\n      sample:\n        rate: 0.3\n"})
    production = explain(run, root, "enwiki", "a.b", "sample.rate")
    assert "set by `+enwiki` at overrides/production/en.yaml:5:9 (production)" in production
    beta = run_installed("explain", "enwiki", "a.b", "sample.rate", "--realm", "beta", "--root", root).stdout
    assert "set by `+enwiki` at overrides/beta/enwiki.yaml:5:9 (beta)" in beta
    assert ("`+enwiki` value 0.3 at overrides/production/en.yaml:5:9 (production) is not read in beta: it is replaced "
            "whole by beta's own `+enwiki` at overrides/beta/enwiki.yaml:1:1, which sets it to 1 "
            "(a realm's key replaces its base realm's key of the same name)") in beta
    on_dewiki = explain(run, root, "dewiki", "a.b", "sample.rate", "--realm", "beta")
    assert "not read in beta" not in on_dewiki, "no realm key replaced a key that applies to dewiki"


def test_explain_in_a_realm_that_replaces_a_setting(history, run):
    root, _ = history
    write_tree(root, {"realms/beta.yaml": "base: production\nreplace: [stream_defaults]\nwikis:\n  enwiki: [en, wiki]\n",
                      "overrides/beta/defaults.yaml": "default:\n  stream_defaults:\n    topic_prefixes: [beta.]\n"})
    beta = explain(run, root, "enwiki", "a.b", "topic_prefixes", "--realm", "beta")
    assert "set by `default` at overrides/beta/defaults.yaml:3:5 (beta)" in beta
    assert ('`default` value ["eqiad.", "codfw."] at stream-defaults.yaml:1:1 (production) is not read in beta: '
            "beta replaces the whole stream_defaults setting of production (`replace` at realms/beta.yaml:1:1)") in beta


def test_explain_the_ineffective_false(history, run):
    root, _ = history
    output = explain(run, root, "metawiki", "a.b", "producers.eventgate.enrich.ua")
    assert 'producers.eventgate.enrich.ua = "user-agent"' in output
    assert "set by `default` at streams/web.yaml:10:9 (production)" in output
    assert ("`false` at overrides/production/meta.yaml:7:13 under `+metawiki` does not hold: a `+` merge lets the "
            "`default` value \"user-agent\" replace a `false`") in output


def test_explain_with_blame(history, run):
    root, steps = history
    output = explain(run, root, "officewiki", "a.b", "sample.rate", "--blame")
    assert f"— {steps['rate'][:10]} Ana Editor, 2026-11-01T12:00:00+00:00" in output
    write_tree(root, {"overrides/production/private.yaml": REPO["overrides/production/private.yaml"].replace("rate: 0.1", "rate: 0.07")})
    assert "— not committed yet" in explain(run, root, "officewiki", "a.b", "sample.rate", "--blame")


def test_explain_a_plain_key_that_hides_others(repo, run):
    write_tree(repo, {"overrides/production/en.yaml": "enwiki:\n  streams:\n    a.b:\n      schema_title: only/enwiki\n"
                      "+enwiki:\n  streams:\n    a.b:\n      schema_title: never/read\n"})
    output = explain(run, repo, "enwiki", "a.b", "schema_title")
    assert "set by `enwiki` at overrides/production/en.yaml:4:7 (production)" in output
    assert ('`+enwiki` value "never/read" at overrides/production/en.yaml:8:7 is not read: the plain key `enwiki` '
            "replaces the whole streams setting for enwiki") in output
    assert ('`default` value "analytics/link_hover" at streams/a.yaml:2:3 is not read: the plain key `enwiki` '
            "replaces the whole streams setting for enwiki") in output


def test_explain_an_absent_setting_names_the_layers_that_would_set_it(history, run):
    root, _ = history
    commit(root, "Absent here and there", {
        "overrides/production/fr.yaml": "frwiki:\n  streams:\n    a.b:\n      schema_title: analytics/a\n",
        "overrides/production/de.yaml": "+dewiki:\n  streams:\n    a.b:\n      producers:\n        eventgate:\n          enrich: 0\n",
        "stream-defaults.yaml": "topic_prefixes: [eqiad., codfw.]\nproducers:\n  eventgate:\n    use_walltime: true\n",
        "streams/x.yaml": "x.y:\n  schema_title: analytics/x\n  destination_event_service: eventgate-analytics-external\n"
                          "  producers:\n    eventgate: false\n"})
    beta = run_installed("explain", "enwiki", "c.d", "sample.rate", "--realm", "beta", "--root", root)
    assert beta.returncode == 1 and beta.stderr == "", beta.stderr
    assert beta.stdout.splitlines()[:4] == [
        "enwiki › c.d (beta)",
        "  sample.rate: absent",
        "    absent on enwiki: `+enwiki` at overrides/production/en.yaml:5:9 (production) would set it, but it does not "
        "take effect there",
        "    `+enwiki` value 0.2 at overrides/production/en.yaml:5:9 (production) is not read in beta: it is replaced whole "
        "by beta's own `+enwiki` at overrides/beta/enwiki.yaml:1:1, which does not set it (a realm's key replaces its "
        "base realm's key of the same name)"]
    plain = run("explain", "--root", root, "frwiki", "a.b", "sample.rate")
    assert plain.exit_code == 1
    assert ("`default` value 0.5 at streams/web.yaml:6:5 is not read: the plain key `frwiki` replaces the whole streams "
            "setting for frwiki") in plain.output
    cut = run("explain", "--root", root, "dewiki", "a.b", "producers.eventgate.enrich.ua")
    assert cut.exit_code == 1
    assert ('`default` value "user-agent" at streams/web.yaml:10:9 does not take effect on dewiki: `+dewiki` at '
            "overrides/production/de.yaml:6:11 (production) sets producers.eventgate.enrich to 0, which holds nothing "
            "below it") in cut.output
    wiped = run("explain", "--root", root, "dewiki", "x.y", "producers.eventgate.use_walltime")
    assert wiped.exit_code == 1
    assert ("the stream default true at stream-defaults.yaml:4:5 (`default`) does not take effect: the stream's own "
            "`default` at streams/x.yaml:5:5 (production) sets producers.eventgate to false, which replaces the defaults "
            "below it") in wiped.output
    present = run("explain", "--root", root, "enwiki", "c.d", "sample.rate")
    assert (present.exit_code, "absent" in present.output) == (0, False), "production reads its own `+enwiki`"


def test_explain_an_absent_setting_as_json_and_a_setting_no_layer_sets(history, run):
    root, _ = history
    installed = run_installed("explain", "enwiki", "c.d", "sample.rate", "--realm", "beta", "--format", "json", "--root", root)
    assert installed.returncode == 1, installed.stderr
    (value,) = json.loads(installed.stdout)["values"]
    assert (value["path"], value["absent"], value["value"], value["set_by"]) == (["sample", "rate"], True, None, [])
    assert value["note"].startswith("absent on enwiki: `+enwiki` at overrides/production/en.yaml:5:9 (production) would set it")
    assert [(s["key"], s["realm"], s["file"], s["line"], s["value"]) for s in value["shadowed"]] == \
        [("+enwiki", "production", "overrides/production/en.yaml", 5, 0.2)]
    assert "replaced whole by beta's own `+enwiki` at overrides/beta/enwiki.yaml:1:1" in value["shadowed"][0]["why"]
    present = json.loads(explain(run, root, "enwiki", "c.d", "sample.rate", "--format", "json"))
    assert [(item["absent"], item["value"]) for item in present["values"]] == [(False, 0.2)]
    unknown = run_installed("explain", "enwiki", "a.b", "sample.rat", "--format", "json", "--root", root)
    assert (unknown.returncode, unknown.stdout) == (1, "")
    assert "error SC033: a.b has no setting sample.rat on enwiki" in unknown.stderr


def test_explain_eventlogging_says_which_key_of_the_names_list_decided(history, run):
    root, _ = history
    commit(root, "Embed more", {
        "streams/more.yaml": "e.f:\n  schema_title: analytics/e\n  destination_event_service: eventgate-analytics-external\n",
        "overrides/production/names.yaml": "+enwiki:\n  eventlogging_streams: [e.f]\n+dewiki:\n  eventlogging_streams: [x.y]\n"
                                           "officewiki:\n  eventlogging_streams: [a.b]\n+officewiki:\n  eventlogging_streams: [c.d]\n",
        "overrides/beta/names.yaml": "+enwiki:\n  eventlogging_streams: [c.d]\n"})
    embedded = explain(run, root, "enwiki", "e.f", "--eventlogging")
    assert embedded.splitlines()[:4] == [
        "enwiki › e.f (production), EventLogging",
        "  embedded: {}",
        "    embedded on enwiki: listed by `+enwiki`, configured by the stream key `e.f`",
        "    listed by `+enwiki` at overrides/production/names.yaml:2:26 (production)"]
    unread = explain(run, root, "officewiki", "c.d", "--eventlogging")
    assert "  not embedded\n    not embedded on officewiki: no key of the EventLogging names that officewiki reads lists it\n" in unread
    assert ("`+officewiki` value \"c.d\" at overrides/production/names.yaml:8:26 is not read: the plain key `officewiki` "
            "replaces the whole eventlogging_streams setting for officewiki") in unread
    assert ("`default` value \"c.d\" at eventlogging.yaml:2:3 is not read: the plain key `officewiki` replaces the whole "
            "eventlogging_streams setting for officewiki") in unread
    no_config = explain(run, root, "dewiki", "x.y", "--eventlogging")
    assert ("not embedded on dewiki: listed, but no stream config of dewiki is or matches 'x.y', and EventLogging leaves "
            "out a name without one") in no_config
    assert "listed by `+dewiki` at overrides/production/names.yaml:4:26 (production)" in no_config
    beta = explain(run, root, "enwiki", "e.f", "--eventlogging", "--realm", "beta")
    assert "  not embedded\n" in beta
    assert ("`+enwiki` value \"e.f\" at overrides/production/names.yaml:2:26 (production) is not read in beta: it is replaced "
            "whole by beta's own `+enwiki` at overrides/beta/names.yaml:1:1, which does not set it") in beta


def test_explain_and_log_as_json(history, run):
    root, steps = history
    document = json.loads(explain(run, root, "officewiki", "a.b", "sample.rate", "--format", "json", "--blame"))
    (value,) = document["values"]
    assert (value["path"], value["value"]) == (["sample", "rate"], 0.05)
    assert [(s["key"], s["file"], s["line"], s["revision"]["commit"]) for s in value["set_by"]] == \
        [("+private", "overrides/production/private.yaml", 5, steps["rate"])]
    assert value["shadowed"][0]["key"] == "default" and "shadowed by `+private`" in value["shadowed"][0]["why"]
    installed = run_installed("explain", "enwiki", "c.d", "--eventlogging", "--format", "json", cwd=root / "streams")
    assert installed.returncode == 0, installed.stderr
    embedding = json.loads(installed.stdout)
    assert (embedding["embedded"], embedding["key"], [s["key"] for s in embedding["listed_by"]]) == (True, "c.d", ["default"])
    assert embedding["config"] == {"sample": {"rate": 0.2}}
    log = json.loads(run("log", "a.b", "--root", root, "--wiki", "officewiki", "--format", "json").output)
    assert [entry["commit"] for entry in log] == [steps["initial"], steps["rate"], steps["schema"]]
    assert [(c["section"], c["path"], c["old"], c["new"], c["wikis"]) for c in log[1]["changes"]] == [
        ("eventlogging", ["sample", "rate"], 0.1, 0.05, ["officewiki"]),
        ("streamconfigs", ["sample", "rate"], 0.1, 0.05, ["officewiki"])]


# log ------------------------------------------------------------------------------------------


def test_log_lists_exactly_the_commits_that_changed_the_stream(history, run):
    root, steps = history
    result = run("log", "a.b", "--root", root, "--wiki", "officewiki")
    lines = [line for line in result.output.splitlines() if not line.startswith(" ")]
    assert [line.split()[0] for line in lines] == [steps["initial"][:10], steps["rate"][:10], steps["schema"][:10]]
    assert 'sample.rate: 0.1 → 0.05   on officewiki' in result.output
    on_enwiki = run("log", "c.d", "--root", root, "--wiki", "enwiki").output
    assert [line.split()[0] for line in on_enwiki.splitlines() if not line.startswith(" ")] == [steps["initial"][:10], steps["other"][:10]]
    on_dewiki = run("log", "c.d", "--root", root, "--wiki", "dewiki").output
    assert [line.split()[0] for line in on_dewiki.splitlines() if not line.startswith(" ")] == [steps["initial"][:10]]


# publish --------------------------------------------------------------------------------------


def test_publish_verifies_switches_and_rolls_back(history, run, tmp_path: Path):
    root, _ = history
    dest = tmp_path / "www"
    run("compile", "--root", root)
    dry = run("publish", root / "build", dest, "--dry-run")
    assert dry.exit_code == 0 and dry.output.startswith("would publish release")
    assert not dest.exists() or not (dest / "current").exists()
    first = run("publish", root / "build", dest)
    assert first.exit_code == 0 and first.output.startswith("published release")
    served = dest / "current/production/enwiki/streamconfigs.json"
    assert read_json(served)["streams"]["a.b"]["schema_title"] == "analytics/a2"
    assert "already current" in run("publish", root / "build", dest).output
    commit(root, "Back to the old schema", {"streams/web.yaml": REPO["streams/web.yaml"]})
    run("compile", "--root", root)
    run("publish", root / "build", dest)
    assert read_json(served)["streams"]["a.b"]["schema_title"] == "analytics/a"
    rolled = run("publish", "--rollback", dest)
    assert rolled.exit_code == 0 and rolled.output.startswith("rolled back to release")
    assert read_json(served)["streams"]["a.b"]["schema_title"] == "analytics/a2"


def test_publish_refuses_a_tampered_build_and_keeps_serving(history, run, tmp_path: Path):
    root, _ = history
    dest = tmp_path / "www"
    run("compile", "--root", root)
    run("publish", root / "build", dest)
    serving = tree_digest(dest)
    target = root / "build/production/dewiki/streamconfigs.json"
    data = target.read_bytes()
    target.unlink()
    target.write_bytes(data.replace(b"analytics", b"hacked"))
    result = run("publish", root / "build", dest)
    assert result.exit_code == 1
    assert "the build does not match its manifest (1 missing or modified, 0 not listed): production/dewiki/streamconfigs.json" in result.output
    assert tree_digest(dest) == serving
    target.unlink()
    result = run("publish", root / "build", dest)
    assert result.exit_code == 1 and "1 missing or modified" in result.output
    run("compile", "--root", root, "--force")
    (root / "build/production/extra.json").write_text("{}")
    result = run("publish", root / "build", dest)
    assert result.exit_code == 1 and "1 not listed): production/extra.json" in result.output
    assert tree_digest(dest) == serving


def test_publish_refuses_a_dirty_build_unless_allowed(history, run, tmp_path: Path):
    root, _ = history
    write_tree(root, {"eventlogging.yaml": "- a.b\n"})
    run("compile", "--root", root)
    result = run("publish", root / "build", tmp_path / "www")
    assert result.exit_code == 1 and "uncommitted changes" in result.output
    assert run("publish", root / "build", tmp_path / "www", "--allow-dirty").exit_code == 0


def test_publish_keeps_the_last_releases(history, run, tmp_path: Path):
    root, _ = history
    dest = tmp_path / "www"
    for rate in ("0.2", "0.3", "0.4"):
        write_tree(root, {"eventlogging.yaml": f"- a.b\n# {rate}\n"})
        commit(root, f"Step {rate}")
        run("compile", "--root", root)
        assert run("publish", root / "build", dest, "--keep", "2").exit_code == 0
    assert len(list((dest / "releases").iterdir())) == 2


def test_killed_publishes_leave_one_complete_release_serving(history, tmp_path: Path):
    root, _ = history
    dest = tmp_path / "www"
    builds = []
    for index in range(2):
        write_tree(root, {"stream-defaults.yaml": f"topic_prefixes: [p{index}.]\n"})
        commit(root, f"Prefix {index}")
        out = tmp_path / f"build{index}"
        assert run_installed("compile", "--root", root, "--out", out).returncode == 0
        builds.append(out)
    assert run_installed("publish", builds[0], dest).returncode == 0
    complete = {tree_digest(build) for build in builds}
    rng = random.Random(5)
    for attempt in range(10):
        process = subprocess.Popen([str(EXECUTABLE), "publish", str(builds[attempt % 2]), str(dest)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0, 0.4))
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert tree_digest(dest / "current") in complete
    assert run_installed("publish", builds[1], dest).returncode == 0
    assert tree_digest(dest / "current") == tree_digest(builds[1])
    assert not list(dest.glob(".incoming-*"))


def test_describe_wiki_sets():
    from streamconf.wikisets import describe_wikis
    from streamconf.model import Realm

    wikis = {f"w{i}wiki": (("private",) if i < 3 else ()) + (("big",) if i == 9 else ()) for i in range(12)}
    realm = Realm("production", wikis)
    everyone = set(wikis)
    private = {"w0wiki", "w1wiki", "w2wiki"}
    assert describe_wikis(everyone, realm, "production") == "all 12 production wikis"
    assert describe_wikis(private, realm, "production") == "the 3 `private` wikis"
    assert describe_wikis(everyone - private, realm, "production") == "all but the 3 `private` wikis"
    assert describe_wikis(everyone - {"w9wiki", "w4wiki"}, realm, "production") == "all production wikis but w4wiki, w9wiki"
    assert describe_wikis({"w4wiki"}, realm, "production") == "w4wiki"
    assert describe_wikis({"w4wiki", "w5wiki"}, realm, "production") == "w4wiki, w5wiki"
    assert describe_wikis({f"w{i}wiki" for i in range(3, 9)}, realm, "production") == \
        "6 wikis: w3wiki, w4wiki, w5wiki, w6wiki, w7wiki, … (+1 more)"
