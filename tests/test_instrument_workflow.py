"""Instruments in the review workflow, on real git repositories: diff, log and explain; and
import of a configurator document, which compiles back to the same service body."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import copy_project_config, read_json, run_installed, write_tree
from test_git_workflow import REPO, commit, git, new_repository

AT = "2026-12-01T00:00:00Z"
INSTRUMENT = """
    web-clicks:
      owner: web
      start: 2026-10-01T00:00:00Z
      end: 2027-01-31T23:59:59Z
      stream_name: a.b
      schema_title: analytics/a
      contextual_attributes: [page_id]
      sample:
        unit: pageview
        rate:
          default: 0
          '0.5': [private]
          '1': [enwiki]
    """


@pytest.fixture
def history(tmp_path: Path):
    root = new_repository(tmp_path)
    steps = {"streams": commit(root, "Add the streams", REPO)}
    steps["added"] = commit(root, "Count clicks", {"instruments/web.yaml": INSTRUMENT})
    steps["rate"] = commit(root, "Count more clicks on private wikis", {"instruments/web.yaml": INSTRUMENT.replace("'0.5'", "'0.75'")})
    steps["target"] = commit(root, "Clicks go to c.d", {"instruments/web.yaml": INSTRUMENT.replace("'0.5'", "'0.75'")
                             .replace("stream_name: a.b", "stream_name: c.d").replace("analytics/a\n", "analytics/c\n")})
    steps["removed"] = commit(root, "Stop counting clicks", remove=("instruments/web.yaml",))
    return root, steps


def diff_lines(run, root: Path, base: str, head: str) -> list[str]:
    result = run("diff", base, head, "--root", root)
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def test_diff_reports_instrument_changes_per_wiki_set(history, run):
    root, steps = history
    assert diff_lines(run, root, steps["streams"], steps["added"]) == [
        "beta", "  web-clicks (instrument)", "    instrument added   on all 2 beta wikis",
        "production", "  web-clicks (instrument)", "    instrument added   on all 6 production wikis",
        "2 changes, 0 breaking"]
    assert diff_lines(run, root, steps["added"], steps["rate"]) == [
        "production", "  web-clicks (instrument)", "    sample.rate: 0.5 → 0.75   on the 2 `private` wikis",
        "1 change, 0 breaking"]


def test_diff_marks_a_new_target_and_an_active_removal_as_breaking(history, run):
    root, steps = history
    target = diff_lines(run, root, steps["rate"], steps["target"])
    assert "    schema_title: \"analytics/a\" → \"analytics/c\"   on all 6 production wikis   [breaking: schema_title changed]" in target
    assert "    stream_name: \"a.b\" → \"c.d\"   on all 6 production wikis   [breaking: stream_name changed]" in target
    removed = run("diff", steps["target"], steps["removed"], "--root", root, "--format", "json", "--fail-on", "breaking")
    assert removed.exit_code == 3
    records = json.loads(removed.output)["changes"]
    assert {(r["realm"], r["section"], r["stream"], r["breaking"]) for r in records} == {
        ("beta", "instruments", "web-clicks", "active instrument removed"),
        ("production", "instruments", "web-clicks", "active instrument removed")}


def test_removing_an_instrument_that_has_ended_is_not_breaking(history, run):
    root, steps = history
    ended = commit(root, "Clicks ended", {"instruments/web.yaml": INSTRUMENT.replace("2027-01-31", "2026-10-31")})
    gone = commit(root, "Remove the ended instrument", remove=("instruments/web.yaml",))
    assert diff_lines(run, root, ended, gone)[-1] == "2 changes, 0 breaking"


def test_window_changes(history, run):
    root, steps = history
    later = commit(root, "Run longer", {"instruments/web.yaml": INSTRUMENT.replace("2027-01-31T23:59:59Z", "2027-02-28T23:59:59Z")})
    assert "    end: \"2027-01-31T23:59:59Z\" → \"2027-02-28T23:59:59Z\"   on all 6 production wikis" in \
        diff_lines(run, root, steps["added"], later)


def test_log_of_an_instrument(history, run):
    root, steps = history
    lines = run("log", "web-clicks", "--root", root).output.splitlines()
    assert [line.split("Ana Editor: ")[-1] for line in lines if not line.startswith(" ")] == [
        "Count clicks", "Count more clicks on private wikis", "Clicks go to c.d", "Stop counting clicks"]
    assert "    sample.rate: 0.5 → 0.75   on boardwiki, officewiki" in lines
    assert any(line.startswith("    instrument removed   on 6 wikis: boardwiki") for line in lines)
    enwiki = run("log", "web-clicks", "--root", root, "--wiki", "enwiki").output
    assert "private" not in enwiki and "Stop counting clicks" in enwiki


def test_explain_an_instrument_on_a_wiki(history, run):
    root, steps = history
    git(root, "checkout", "-q", steps["rate"])
    result = run("explain", "officewiki", "web-clicks", "--root", root, "--at", AT, "--blame")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "officewiki › web-clicks (production, instrument, at 2026-12-01T00:00:00Z)"
    assert "  sample.rate = 0.75" in lines
    assert any(line.startswith("    set by the list '0.75', which names it through the tag `private` (the first list that does) "
                               "at instruments/web.yaml:12:16 — ") and "Ana Editor" in line for line in lines)
    frwiki = run("explain", "frwiki", "web-clicks", "--root", root, "--at", "2027-03-01T00:00:00Z").output
    assert "  active = false" in frwiki and "  sample.rate = 0.0" in frwiki
    assert "    set by `default`, as no list names it at instruments/web.yaml:11:7" in frwiki
    document = json.loads(run("explain", "officewiki", "web-clicks", "--root", root, "--at", AT, "--format", "json").output)
    (rate,) = [value for value in document["values"] if value["name"] == "sample.rate"]
    assert rate["value"] == 0.75 and (rate["set_by"][0]["file"], rate["set_by"][0]["line"]) == ("instruments/web.yaml", 12)


def test_a_later_list_naming_the_wiki_is_explained_as_not_holding(tmp_path: Path, run):
    root = write_tree(tmp_path / "repo", {**REPO, "instruments/web.yaml": INSTRUMENT.replace("'1': [enwiki]", "'1': [enwiki, officewiki]  # streamconf: disable=SL111")})
    result = run("explain", "officewiki", "web-clicks", "--root", root, "--at", AT)
    assert "    the list '1' at instruments/web.yaml:13:21 names it too, but only the first list holds" in result.output


# import ------------------------------------------------------------------------------------------


def test_import_of_a_configurator_document_round_trips(tmp_path: Path, run):
    own = copy_project_config(tmp_path / "own")
    assert run("compile", "--root", own, "--at", AT).exit_code == 0
    service = own / "build/production/instruments.json"
    fresh = copy_project_config(tmp_path / "fresh")
    shutil.rmtree(fresh / "instruments")
    shutil.rmtree(fresh / "overrides/beta/instruments")
    result = run_installed("import", service, "--root", fresh)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"wrote 1 file under {fresh}\n"
    owners = owners_of_instruments(own)
    missing = [line for line in result.stderr.splitlines() if " SL201 " in line]
    assert missing == [f"instruments/imported.yaml:{line}: error SL201 at {name}: instrument {name!r} has no owner"
                       for name, line in imported_lines(fresh).items()], "the service names no owners: require_owners asks for them"
    assert "hint: add `owner: TEAM`, TEAM one of owners.yaml's teams (its stream's owner is apps)" in result.stderr
    refused = run("compile", "--root", fresh, "--at", AT)
    assert refused.exit_code == 1 and refused.output.count("error SL201") == len(missing)
    imported = fresh / "instruments/imported.yaml"
    text = imported.read_text()
    for name, team in owners.items():
        text = text.replace(f"\n{name}:\n", f"\n{name}:\n  owner: {team}\n", 1)
    imported.write_text(text)
    assert run("compile", "--root", fresh, "--at", AT).exit_code == 0
    assert (fresh / "build/production/instruments.json").read_bytes() == service.read_bytes()
    assert run("validate", "--root", fresh, "--at", AT).exit_code == 0
    again = run("import", service, "--root", fresh)
    assert again.exit_code == 1 and "instruments/imported.yaml already exists" in again.output
    assert run("import", service, "--root", fresh, "--force").exit_code == 0
    assert (fresh / "streams").is_dir(), "an instruments import touches nothing else"


def owners_of_instruments(root: Path) -> dict[str, str]:
    """Instrument name -> owner, as the repository's instrument files give them."""
    import yaml

    return {name: spec["owner"] for path in sorted((root / "instruments").rglob("*.yaml"))
            for name, spec in yaml.safe_load(path.read_text("utf-8")).items()}


def imported_lines(root: Path) -> dict[str, str]:
    """Instrument name -> line:column of its key in instruments/imported.yaml, in file order."""
    lines = (root / "instruments/imported.yaml").read_text("utf-8").splitlines()
    return {line[:-1]: f"{number}:1" for number, line in enumerate(lines, 1) if line.endswith(":") and not line.startswith((" ", "#"))}


def test_import_says_what_validate_says_of_the_file_and_asks_for_owners_only_once_they_are_used(tmp_path: Path):
    root = write_tree(tmp_path / "repo", REPO)
    document = tmp_path / "service.json"
    document.write_text(json.dumps([{"name": "web-clicks", "start": "2026-10-01T00:00:00Z", "end": "2027-01-31T23:59:59Z",
                                     "stream_name": "a.b", "schema_title": "analytics/a", "sample_rate": {"default": 1}}]))
    result = run_installed("import", document, "--root", root)
    assert result.returncode == 0, result.stderr
    assert "instruments/imported.yaml:6:3: warning SL113 at web-clicks › stream_name" in result.stderr
    assert "SL201" not in result.stderr, "owners are asked for only once the repository has them"


@pytest.mark.parametrize("document, message", [
    ({"name": "x"}, "the case document has no `realms` object"),
    ([{"name": "x", "start": "2026-01-01T00:00:00Z"}], "instrument 'x' (entry 0) has no valid end, stream_name, schema_title, "
                                                         "sample_rate (default, and rate -> wikis)"),
    ([42], "entry 0 is not an instrument object with a name"),
])
def test_import_refuses_what_is_not_a_configurator_document(tmp_path: Path, run, document, message):
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(document))
    result = run("import", path, "--root", tmp_path / "repo")
    assert result.exit_code == 1 and message in result.output
