"""Input that used to be accepted, hang or crash: each gets a clean error naming the file, key or
ref, through the installed program, and nothing is written where it should not be."""

from __future__ import annotations

import json
import os
import socket
import subprocess
from pathlib import Path

import pytest

from conftest import MINIMAL, run_installed, write_tree
from test_git_workflow import commit, git
from test_outputs import snapshot


def refused(*args, cwd: Path | None = None) -> str:
    result = run_installed(*args, cwd=cwd)
    assert result.returncode in (1, 2), (args, result.stdout, result.stderr)
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr, result.stderr
    return result.stderr


# import ---------------------------------------------------------------------------------------

CASE = {"realms": {"production": {
    "settings": {"wgEventStreams": {"default": {"a.b": {"schema_title": "s"}}}},
    "wikis": {"enwiki": ["en", "wiki"]}}}}


@pytest.mark.parametrize("mutate, expected", [
    (lambda case: case["realms"].update({"../../escaped": case["realms"].pop("production")}), "../../escaped"),
    (lambda case: case["realms"]["production"]["settings"]["wgEventStreams"].update({"../../escaped": {}}),
     "../../escaped"),
    (lambda case: case["realms"]["production"]["wikis"].update({"bad\nwiki": ["en"]}), "bad\\nwiki"),
    (lambda case: case["realms"].update({"beta": {"base": ["production"], "wikis": {}}}), "base"),
    (lambda case: case["realms"].update({"be\u0000ta": {"base": "production", "wikis": {}}}), "be\\x00ta"),
])
def test_import_validates_names_before_writing_anything(tmp_path: Path, mutate, expected):
    case = json.loads(json.dumps(CASE))
    mutate(case)
    document = tmp_path / "case.json"
    document.write_text(json.dumps(case))
    (tmp_path / "work").mkdir()
    before = snapshot(tmp_path)
    message = refused("import", document, "--root", tmp_path / "work" / "repo")
    assert "case.json" in message and expected in message, message
    assert snapshot(tmp_path) == before


# names ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("realm", [
    "wikis:\n  enwiki: [en]\n  ? |\n    dewiki\n  : [de]\n",  # a block scalar key ends with a newline
    "wikis:\n  enwiki: [\"en\\n\"]\n",
    "wikis:\n  \"en wiki\": [en]\n",
    "wikis:\n  enwiki: [\"e\\tn\"]\n",
])
def test_wiki_ids_and_tags_must_match_the_naming_rule(tmp_path: Path, realm):
    root = write_tree(tmp_path / "repo", {**MINIMAL, "realms/production.yaml": realm})
    message = refused("compile", "--root", root)
    assert "realms/production.yaml" in message and ("not a valid" in message or "does not match" in message), message
    assert not (root / "build").exists()


@pytest.mark.parametrize("pattern, admitted, refused_name", [
    ("'[a-z0-9_]+'", "en_gb", "en-gb"),  # narrower than the default
    ("'[A-Za-z0-9_.-]+'", "En.gb", "en gb"),  # wider, but never whitespace
    ("'.+'", "en-gb", "../gb"),  # anything, but never a path
    ("'.+'", "en-gb", "en/gb"),
    ("'.+'", "en-gb", ".gb"),
])
def test_wiki_name_pattern_in_streamconf_yaml_sets_the_naming_rule(tmp_path: Path, pattern, admitted, refused_name):
    def realm(tag: str) -> str:
        return f"wikis:\n  enwiki: [en, wiki]\n  {json.dumps(tag)}: [x]\n"

    config = {**MINIMAL, "streamconf.yaml": f"wiki_name_pattern: {pattern}\n"}
    good = write_tree(tmp_path / "good", {**config, "realms/production.yaml": realm(admitted)})
    result = run_installed("compile", "--root", good, "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "production" / admitted / "streamconfigs.json").is_file()
    bad = write_tree(tmp_path / "bad", {**config, "realms/production.yaml": realm(refused_name)})
    message = refused("compile", "--root", bad)
    assert "realms/production.yaml" in message and f"{refused_name!r} is not a valid wiki id" in message, message
    assert not (bad / "build").exists()


def test_the_default_wiki_name_rule_refuses_a_trailing_newline_and_a_custom_one_too(tmp_path: Path):
    realm = "wikis:\n  enwiki: [en]\n  ? |\n    dewiki\n  : [de]\n"
    for name, config in (("default", {}), ("custom", {"streamconf.yaml": "wiki_name_pattern: '[a-z]+$'\n"})):
        root = write_tree(tmp_path / name, {**MINIMAL, **config, "realms/production.yaml": realm})
        message = refused("validate", "--root", root)
        assert "'dewiki\\n' is not a valid wiki id" in message, message


def test_an_invalid_or_catastrophic_wiki_name_pattern_is_a_clean_error(tmp_path: Path):
    invalid = write_tree(tmp_path / "invalid", {**MINIMAL, "streamconf.yaml": "wiki_name_pattern: '[a-z'\n"})
    message = refused("validate", "--root", invalid)
    assert "streamconf.yaml" in message and "wiki_name_pattern is not a valid regular expression" in message, message
    hostile = write_tree(tmp_path / "hostile", {**MINIMAL, "streamconf.yaml": "wiki_name_pattern: '(a|a)*b'\n",
                                                "realms/production.yaml": f"wikis:\n  {'a' * 40}: [en]\n"})
    message = refused("validate", "--root", hostile)
    assert f"{'a' * 40!r} is not a valid wiki id" in message, message


# files that are not files ---------------------------------------------------------------------


@pytest.mark.parametrize("where", ["eventlogging.yaml", "streams/web.yaml", "realms/production/x.dblist"])
@pytest.mark.parametrize("kind", ["directory", "fifo", "socket"])
def test_an_input_that_is_not_a_regular_file_is_an_error(tmp_path: Path, where, kind, monkeypatch):
    root = write_tree(tmp_path / "repo", MINIMAL)
    target = root / where
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    if kind == "directory":
        target.mkdir()
    elif kind == "fifo":
        os.mkfifo(target)
    else:
        monkeypatch.chdir(target.parent)  # a socket's name is at most 107 bytes; a bare file name always fits
        with socket.socket(socket.AF_UNIX) as server:
            server.bind(target.name)
    message = refused("validate", "--root", root)
    assert f"{where}: error SC001" in message and "not a regular file" in message, message


def test_a_gitlink_among_the_inputs_is_an_error(tmp_path: Path):
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    commit(root, "Add the streams", MINIMAL)
    sha = git(root, "rev-parse", "HEAD")
    git(root, "update-index", "--add", "--cacheinfo", f"160000,{sha},streams/vendor")
    git(root, "commit", "-q", "-m", "A submodule in streams/")
    message = refused("compile", "--root", root, "--ref", "HEAD", "--out", tmp_path / "out")
    assert "streams/vendor" in message and "submodule" in message


# values and refs ------------------------------------------------------------------------------


def test_an_integer_of_more_than_4300_digits(tmp_path: Path):
    root = write_tree(tmp_path / "repo", {**MINIMAL, "stream-defaults.yaml": f"size: {'9' * 5000}\n"})
    message = refused("validate", "--root", root)
    assert "stream-defaults.yaml:1:7: error SC001" in message and "digits" in message


@pytest.mark.parametrize("text", ["x: !!str\n  a: 1\n", "x: !!str\n  - a\n"])
def test_str_tag_on_a_map_or_list(tmp_path: Path, text):
    root = write_tree(tmp_path / "repo", {**MINIMAL, "stream-defaults.yaml": text})
    assert "!!str" in refused("validate", "--root", root)


def test_refs_that_name_nothing_here(tmp_path: Path):
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    commit(root, "One", MINIMAL)
    commit(root, "Two", {"eventlogging.yaml": "- a.b\n# two\n"})
    assert "HEAD@{99}" in refused("compile", "--root", root, "--ref", "HEAD@{99}", "--out", tmp_path / "out")
    shallow = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{root}", str(shallow)], check=True)
    message = refused("diff", "HEAD~1", "HEAD", "--root", shallow)
    assert "HEAD~1" in message and "shallow" in message


# bounds ---------------------------------------------------------------------------------------


def test_a_huge_key_is_quoted_in_a_bounded_excerpt(tmp_path: Path):
    key = "k" * (4 * 1024 * 1024)
    root = write_tree(tmp_path / "repo", {**MINIMAL, "overrides/production/x.yaml": f"? {key}\n:\n  streams: {{}}\n"})
    result = run_installed("validate", "--root", root)
    assert result.returncode == 1
    assert len(result.stderr) < 10_000, len(result.stderr)
    assert "kkkk…" in result.stderr


def test_a_catastrophic_stream_name_pattern_is_bounded(tmp_path: Path):
    names = {f"streams/s{index}.yaml": f"{'a' * 40}{index}!:\n  schema_title: analytics/x\n"
             f"  destination_event_service: eventgate-analytics-external\n" for index in range(50)}
    root = write_tree(tmp_path / "repo", {**MINIMAL, **names, "streamconf.yaml": "stream_name_pattern: '(a|a)*$'\n"})
    result = run_installed("validate", "--root", root, timeout=120)
    assert "internal error" not in result.stderr
    assert "stream_name_pattern" in result.stderr
