"""diff tells a reviewer what every wiki is served before and after a change. For random edits of a
generated repository, every record of `diff --format json` (the installed program) must carry, for
each of its wikis, exactly the value `show` prints on that wiki before and after; and the records
of a wiki, applied to what it was served before, must give what it is served after."""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import php_equal, run_installed
from synthetic import Size, generate
from test_git_workflow import git

TINY = Size(streams=8, patterns=1, wikis=10, beta_wikis=3, tags=5, override_keys=8, eventlogging_names=4, tag_key_share=0.4)
SEEDS = (1, 2)
RATES = st.sampled_from([0, 0.01, 0.1, 0.5, 1])
ABSENT: Any = object()


def read_files(root: Path) -> dict[str, Any]:
    """The generated repository's YAML files as data; dblists stay text."""
    return {str(path.relative_to(root)): path.read_text() if path.suffix == ".dblist" else yaml.safe_load(path.read_text())
            for path in sorted(root.rglob("*")) if path.is_file() and ".git" not in path.parts}


def write_files(root: Path, files: dict[str, Any]) -> None:
    for relative, value in files.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(value if isinstance(value, str) else yaml.safe_dump(value, sort_keys=False))


def served(run, root: Path, realm: str, wiki: str) -> dict[str, Any]:
    """What `show` prints for the wiki: its API body's streams and EventLogging's map."""
    documents = {}
    for section, extra in (("streamconfigs", ()), ("eventlogging", ("--eventlogging",))):
        result = run("show", wiki, "--realm", realm, "--root", root, *extra)
        assert result.exit_code == 0, result.output
        document = json.loads(result.output)
        documents[section] = document["streams"] if section == "streamconfigs" else document
    return documents


def everything_served(run, root: Path, files: dict[str, Any]) -> dict[tuple[str, str], dict]:
    return {(realm, wiki): served(run, root, realm, wiki) for realm in ("production", "beta")
            for wiki in files[f"realms/{realm}.yaml"]["wikis"]}


# Edits ----------------------------------------------------------------------------------------


def stream_files(files: dict) -> list[str]:
    return [path for path in files if path.startswith("streams/")]


def declared(files: dict) -> list[str]:
    return [name for path in stream_files(files) for name in files[path]]


def override_files(files: dict, realm: str = "") -> list[str]:
    return [path for path in files if path.startswith(f"overrides/{realm}")]


def add_stream(files: dict, draw) -> None:
    """A new stream, sampled at one rate, and at another on a wiki or tag (in production or beta)."""
    name = f"review.added_{draw(st.integers(0, 3))}"
    if name in declared(files):
        return
    files.setdefault("streams/review/added.yaml", {})[name] = {
        "schema_title": "analytics/review", "destination_event_service": "eventgate-analytics-external",
        "sample": {"unit": "session", "rate": draw(RATES)}}
    realm = draw(st.sampled_from(["production", "beta"]))
    wikis = files[f"realms/{realm}.yaml"]["wikis"]
    tags = sorted({tag for tags in wikis.values() for tag in tags})
    key = draw(st.sampled_from(["+" + wiki for wiki in wikis] + ["+" + tag for tag in tags]))
    keys = files.setdefault(f"overrides/{realm}/review.yaml", {})
    keys.setdefault(key, {}).setdefault("streams", {})[name] = {"sample": {"rate": draw(RATES)}}
    if draw(st.booleans()):
        files["eventlogging.yaml"].append(name)


def change_rate(files: dict, draw) -> None:
    """Another rate in an override that sets one."""
    found = [(path, key, name) for path in override_files(files) for key, value in files[path].items()
             for name, settings in value.get("streams", {}).items() if "rate" in settings.get("sample", {})]
    if found:
        path, key, name = draw(st.sampled_from(found))
        files[path][key]["streams"][name]["sample"]["rate"] = draw(RATES)


def remove_stream(files: dict, draw) -> None:
    """A stream declaration removed, with every override and EventLogging name of it."""
    path = draw(st.sampled_from(stream_files(files)))
    if not files[path]:
        return
    name = draw(st.sampled_from(sorted(files[path])))
    del files[path][name]
    for override in override_files(files):
        for key, value in list(files[override].items()):
            value.get("streams", {}).pop(name, None)
            if value.get("streams") == {}:
                del value["streams"]
            if not value:
                del files[override][key]
    files["eventlogging.yaml"] = [listed for listed in files["eventlogging.yaml"] if listed != name]


def plain_key(files: dict, draw) -> None:
    """A `+key` written as a plain key: it replaces the whole setting on its wikis."""
    found = [(path, key) for path in override_files(files) for key in files[path] if key.startswith("+")]
    if found:
        path, key = draw(st.sampled_from(found))
        realm = path.split("/")[1]
        if not any(key[1:] in files[other] for other in override_files(files, realm)):
            files[path][key[1:]] = files[path].pop(key)


def toggle_eventlogging(files: dict, draw) -> None:
    name = draw(st.sampled_from(declared(files)))
    names = files["eventlogging.yaml"]
    files["eventlogging.yaml"] = [listed for listed in names if listed != name] if name in names else names + [name]


def change_defaults(files: dict, draw) -> None:
    defaults = files["stream-defaults.yaml"]
    defaults["canary_events_enabled"] = draw(st.booleans())
    defaults["topic_prefixes"] = draw(st.sampled_from([["eqiad.", "codfw."], ["eqiad."], ["codfw.", "eqiad.", "west."]]))


EDITS = (add_stream, change_rate, remove_stream, plain_key, toggle_eventlogging, change_defaults)


# The property ---------------------------------------------------------------------------------


def at(document: Any, stream: str, path: list) -> Any:
    value = document.get(stream, ABSENT)
    for part in path:
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and str(part).isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return ABSENT
    return value


def put(document: dict, stream: str, path: list, value: Any) -> None:
    keys = [stream, *path]
    for part in keys[:-1]:
        document = document.setdefault(part, {})
    if value is ABSENT:
        document.pop(keys[-1], None)
    else:
        document[keys[-1]] = value


def equal(left: Any, right: Any) -> bool:
    return left is right if ABSENT in (left, right) else php_equal(left, right)


@pytest.fixture(scope="module")
def bases(tmp_path_factory) -> dict[int, tuple[dict, dict]]:
    """Per seed: the generated repository's files, and what every wiki is served from them."""
    from click.testing import CliRunner
    from streamconf.cli import cli

    runner = CliRunner()

    def run(*args):
        return runner.invoke(cli, [str(arg) for arg in args], catch_exceptions=False)
    found = {}
    for seed in SEEDS:
        root = generate(tmp_path_factory.mktemp(f"base{seed}"), TINY, seed)
        files = read_files(root)
        found[seed] = files, everything_served(run, root, files)
    return found


@given(seed=st.sampled_from(SEEDS), edits=st.lists(st.sampled_from(EDITS), min_size=1, max_size=3), data=st.data())
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
def test_every_wiki_in_diff_json_is_what_show_prints_before_and_after(bases, run, tmp_path_factory, seed, edits, data):
    files, before = bases[seed]
    root = tmp_path_factory.mktemp("edited")
    write_files(root, files)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "Generated")
    edited = copy.deepcopy(files)
    for edit in edits:
        edit(edited, data.draw)
    write_files(root, edited)
    result = run_installed("diff", "main", "--root", root, "--format", "json")
    assert result.returncode == 0, result.stderr
    records = json.loads(result.stdout)["changes"]
    after = everything_served(run, root, edited)
    assert set(after) == set(before)
    for (realm, wiki), sections in before.items():
        for section, old_document in sections.items():
            mine = [r for r in records if r["realm"] == realm and r["section"] == section and wiki in r["wikis"]]
            places = [(r["stream"], tuple(r["path"])) for r in mine]
            assert len(places) == len(set(places)), f"{wiki}: two records of one place"
            new_document = after[realm, wiki][section]
            patched = copy.deepcopy(old_document)
            for record in mine:
                old = ABSENT if record["old_absent"] else record["old"]
                new = ABSENT if record["new_absent"] else record["new"]
                where = f"{realm} {wiki} {section} {record['stream']} {record['path']}"
                assert equal(old, at(old_document, record["stream"], record["path"])), f"old value on {where}"
                assert equal(new, at(new_document, record["stream"], record["path"])), f"new value on {where}"
                put(patched, record["stream"], record["path"], new)
            assert php_equal(patched, new_document), f"{realm} {wiki} {section}: the records do not add up to what it is served"


def test_an_added_stream_reports_each_wikis_own_rate(tmp_path: Path, run):
    """The case that went wrong: sampled at 0.1 on one wiki and 0.01 everywhere else, a new stream
    was reported with the one wiki's rate for every wiki."""
    root = generate(tmp_path / "repo", TINY, 1)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "Generated")
    write_files(root, {"streams/review/added.yaml": {"review.added": {
        "schema_title": "analytics/review", "destination_event_service": "eventgate-analytics-external",
        "sample": {"unit": "session", "rate": 0.01}}},
        "overrides/production/review.yaml": {"+l000wiki": {"streams": {"review.added": {"sample": {"rate": 0.1}}}}}})
    records = json.loads(run_installed("diff", "main", "--root", root, "--format", "json").stdout)["changes"]
    rates = {wiki: r["new"]["sample"]["rate"] for r in records if r["realm"] == "production" for wiki in r["wikis"]}
    assert rates == {wiki: 0.1 if wiki == "l000wiki" else 0.01 for wiki in read_files(root)["realms/production.yaml"]["wikis"]}
    text = run_installed("diff", "main", "--root", root).stdout
    assert ("production\n  review.added\n    stream added   on all 10 production wikis\n"
            "      topic_prefixes: [\"eqiad.\", \"codfw.\"]   on all production wikis but l000wikisource\n"
            "      topic_prefixes: absent   on l000wikisource\n") in text
    assert ("      sample.rate: 0.01   on all production wikis but l000wiki\n"
            "      sample.rate: 0.1   on l000wiki\n"
            "      sample.unit: \"session\"\n") in text
    markdown = run_installed("diff", "main", "--root", root, "--format", "markdown").stdout
    assert "| production | `review.added` | stream added | all 10 production wikis |  |" in markdown
    assert "|  |  | ↳ sample.rate: 0.1 | l000wiki |  |" in markdown
