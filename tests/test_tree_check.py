"""tree_check: the check of an output against its manifest finds every change, also where a record
of the last check lets it skip what did not change."""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import pytest

from conftest import read_json, write_tree
from streamconf import emit, tree_check
from streamconf.tree_check import TreeCheck, sha256

FILES = {"production/enwiki/streamconfigs.json": b'{"streams":{}}\n', "production/dewiki/streamconfigs.json": b'{"streams":{}}\n',
         "production/enwiki/eventlogging.json": b"{}\n", "production/serving.json": b'{"base":"a"}\n'}
MANIFEST = "sha256:" + "0" * 64  # stands for the manifest the record belongs to


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    for path, data in FILES.items():
        (out / path).parent.mkdir(parents=True, exist_ok=True)
        (out / path).write_bytes(data)
    (out / "manifest.json").write_text("{}")
    return out


def digests() -> dict[str, str]:
    return {path: sha256(data) for path, data in FILES.items()}


def check(out: Path, record: Path) -> TreeCheck:
    tree = TreeCheck(out, digests(), MANIFEST, record)
    tree.record()
    return tree


def recorded(out: Path, record: Path) -> dict:
    """Check the intact tree until the record holds every file and directory: an entry is recorded
    only once the file system's clock has moved past its ctime (one tick, milliseconds)."""
    for _ in range(200):
        tree = check(out, record)
        assert tree.changed() == [] and tree.unlisted() == []
        tree.save()
        document = json.loads(record.read_text())
        if len(document["files"]) == len(FILES) and len(document["directories"]) == len(tree_check.parents(FILES)):
            return document
        time.sleep(0.005)
    raise AssertionError("the file system's clock did not move")


def test_a_recorded_tree_is_not_read_again(tree: Path, tmp_path: Path, monkeypatch):
    record = tmp_path / "record.json"
    recorded(tree, record)
    monkeypatch.setattr(tree_check, "read_regular", lambda *args: pytest.fail("a recorded file was read"))
    monkeypatch.setattr(tree_check, "list_directory", lambda *args: pytest.fail("a recorded directory was listed"))
    again = check(tree, record)
    assert again.changed() == [] and again.unlisted() == []


def test_an_edit_that_keeps_size_and_mtime_is_found_by_its_ctime(tree: Path, tmp_path: Path):
    record = tmp_path / "record.json"
    document = recorded(tree, record)
    target = tree / "production/enwiki/eventlogging.json"
    before = os.lstat(target)
    target.write_bytes(b"[]\n")
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = os.lstat(target)
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (before.st_size, before.st_mtime_ns, before.st_ino)
    assert document["files"]["production/enwiki/eventlogging.json"][:4] == [after.st_dev, after.st_ino, after.st_size,
                                                                            after.st_mtime_ns]
    assert check(tree, record).changed() == ["production/enwiki/eventlogging.json"]


def test_a_file_added_to_a_recorded_directory_is_found_though_its_mtime_is_set_back(tree: Path, tmp_path: Path):
    record = tmp_path / "record.json"
    recorded(tree, record)
    directory = tree / "production/enwiki"
    before = os.lstat(directory)
    (directory / "planted.json").write_text("{}")
    os.utime(directory, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert os.lstat(directory).st_mtime_ns == before.st_mtime_ns
    assert check(tree, record).unlisted() == ["production/enwiki/planted.json"]


@pytest.mark.parametrize("change", ["removed", "replaced", "linked", "directory", "symlinked directory"])
def test_every_change_to_a_recorded_tree_is_found(tree: Path, tmp_path: Path, change: str):
    record = tmp_path / "record.json"
    recorded(tree, record)
    target = tree / "production/enwiki/streamconfigs.json"
    elsewhere = write_tree(tmp_path / "elsewhere", {"same-size.json": '{"streams":{1}}\n', "x/planted.json": "{}"})
    stamp = os.lstat(target)
    if change == "removed":
        target.unlink()
    elif change == "replaced":  # same size, same mtime, another inode
        os.utime(elsewhere / "same-size.json", ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
        os.replace(elsewhere / "same-size.json", target)
    elif change == "linked":  # a hard link to a file outside, in place of a listed file
        target.unlink()
        os.link(elsewhere / "same-size.json", target)
    elif change == "directory":
        (tree / "production/extra").mkdir()
    else:
        (tree / "production/enwiki").rename(tmp_path / "moved")
        (tree / "production/enwiki").symlink_to(elsewhere / "x")
    found = check(tree, record)
    reported = found.changed() + found.unlisted()
    expected = {"removed": ["production/enwiki/streamconfigs.json"], "replaced": ["production/enwiki/streamconfigs.json"],
                "linked": ["production/enwiki/streamconfigs.json"], "directory": ["production/extra"],
                "symlinked directory": ["production/enwiki/eventlogging.json", "production/enwiki/streamconfigs.json",
                                        "production/enwiki"]}[change]
    assert sorted(reported) == sorted(expected)


def test_an_entry_as_new_as_the_probe_is_not_recorded(tree: Path, tmp_path: Path):
    """Changed again in the same tick of the file system's clock, it would keep its ctime."""
    record = tmp_path / "record.json"
    found = TreeCheck(tree, digests(), MANIFEST, record)
    found.since = min(os.lstat(tree / path).st_ctime_ns for path in FILES)
    assert found.changed() == [] and found.unlisted() == []
    found.save()
    document = json.loads(record.read_text()) if record.exists() else {"files": {}, "directories": {}}
    assert document["files"] == {} and document["directories"] == {}


def test_a_record_of_another_manifest_is_not_trusted(tree: Path, tmp_path: Path):
    record = tmp_path / "record.json"
    recorded(tree, record)
    target = tree / "production/serving.json"
    stamp = os.lstat(target)
    target.write_bytes(b'{"base":"b"}\n')
    os.utime(target, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    document = json.loads(record.read_text())
    document["files"]["production/serving.json"] = tree_check.file_stat(os.lstat(target))  # a record made after the edit
    record.write_text(json.dumps(document))
    assert TreeCheck(tree, digests(), MANIFEST, record).changed() == []  # the record is the cache's word: trusted
    assert TreeCheck(tree, digests(), "sha256:" + "1" * 64, record).changed() == ["production/serving.json"]


def test_compile_records_its_build_and_an_unchanged_compile_reads_nothing(repo: Path, run, monkeypatch):
    run("compile", "--root", repo)
    manifest = (repo / "build/manifest.json").read_bytes()
    record = tree_check.record_file(repo / "build")
    assert json.loads(record.read_text())["manifest"] == "sha256:" + hashlib.sha256(manifest).hexdigest()
    for _ in range(200):  # what was written in the manifest's tick is recorded by a later check
        assert "is up to date" in run("compile", "--root", repo).output
        if len(json.loads(record.read_text())["files"]) == len(read_json(repo / "build/manifest.json")["files"]):
            break
        time.sleep(0.005)
    monkeypatch.setattr(tree_check, "read_regular", lambda *args: pytest.fail("a recorded file was read"))
    assert "is up to date" in run("compile", "--root", repo).output


def test_an_output_edit_that_keeps_size_and_mtime_makes_compile_rebuild(repo: Path, run):
    run("compile", "--root", repo)
    for _ in range(3):
        run("compile", "--root", repo)
    target = repo / "build/production/dewiki/eventlogging.json"
    data, stamp = target.read_bytes(), os.lstat(target)
    target.write_bytes(data.replace(b"{", b"[", 1))
    os.utime(target, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert "compiled" in run("compile", "--root", repo).output
    assert target.read_bytes() == data


def test_without_a_cache_nothing_is_recorded_and_changes_are_found(repo: Path, run, monkeypatch, tmp_path: Path):
    monkeypatch.setenv("STREAMCONF_CACHE_DIR", "")
    run("compile", "--root", repo)
    assert tree_check.record_file(repo / "build") is None
    assert "is up to date" in run("compile", "--root", repo).output
    (repo / "build/production/enwiki/streamconfigs.json").write_text("{}")
    assert "compiled" in run("compile", "--root", repo).output
    assert not list(repo.glob(".build.new-*")), "no probe is left beside the output"
    assert emit.OutputCheck().foreign(repo / "build") == []
