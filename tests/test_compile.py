"""compile: deterministic bundles, shared content written once, a manifest that verifies, and an
output directory that always holds one complete build."""

from __future__ import annotations

import errno
import hashlib
import os
import subprocess
from contextlib import contextmanager
from pathlib import Path


from conftest import read_json, tree_digest, write_tree
from streamconf import emit


def files_of(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def test_output_layout_and_bodies(repo: Path, run):
    result = run("compile", "--root", repo)
    assert result.exit_code == 0, result.output
    assert "compiled 3 wikis in 1 realms: 6 bundles" in result.output
    build = repo / "build"
    assert sorted(files_of(build)) == [
        "manifest.json",
        *[f"production/{wiki}/{name}" for wiki in ("dewiki", "enwiki", "officewiki")
          for name in ("eventlogging.json", "streamconfigs.json")],
        "production/serving.json"]
    assert read_json(build / "production/serving.json") == {"base": None, "domains": {
        "de.m.wikipedia.org": "dewiki", "de.wikipedia.org": "dewiki", "en.m.wikipedia.org": "enwiki",
        "en.wikipedia.org": "enwiki"}, "explicit_topics": {}}
    assert read_json(build / "production/enwiki/streamconfigs.json") == {"streams": {"a.b": {
        "topic_prefixes": ["eqiad.", "codfw."], "schema_title": "analytics/link_hover",
        "destination_event_service": "eventgate-analytics-external", "stream": "a.b",
        "topics": ["eqiad.a.b", "codfw.a.b"]}}}
    assert read_json(build / "production/enwiki/eventlogging.json") == {"a.b": {}}


def test_same_input_gives_byte_identical_output(repo: Path, run, tmp_path: Path):
    assert run("compile", "--root", repo, "--out", tmp_path / "one").exit_code == 0
    assert run("compile", "--root", repo, "--out", tmp_path / "two").exit_code == 0
    assert files_of(tmp_path / "one") == files_of(tmp_path / "two")


def test_identical_bundles_are_hard_links(repo: Path, run):
    run("compile", "--root", repo)
    build = repo / "build" / "production"
    inodes = {(build / wiki / "streamconfigs.json").stat().st_ino for wiki in ("enwiki", "dewiki", "officewiki")}
    assert len(inodes) == 1


def test_manifest_lists_every_file_with_its_sha256(repo: Path, run):
    run("compile", "--root", repo)
    build = repo / "build"
    manifest = read_json(build / "manifest.json")
    assert manifest["generator"].startswith("streamconf ")
    assert manifest["realms"] == {"production": ["dewiki", "enwiki", "officewiki"]}
    assert manifest["source"]["digest"].startswith("sha256:")
    on_disk = {name: data for name, data in files_of(build).items() if name != "manifest.json"}
    assert manifest["files"] == {name: "sha256:" + hashlib.sha256(data).hexdigest() for name, data in on_disk.items()}


def test_unchanged_repository_is_not_rebuilt(repo: Path, run):
    run("compile", "--root", repo)
    first = (repo / "build" / "manifest.json").stat().st_ino
    result = run("compile", "--root", repo)
    assert "is up to date" in result.output
    assert (repo / "build" / "manifest.json").stat().st_ino == first
    assert "compiled" in run("compile", "--root", repo, "--force").output


def test_an_edit_rebuilds_and_changes_the_digest(repo: Path, run):
    run("compile", "--root", repo)
    digest = read_json(repo / "build" / "manifest.json")["source"]["digest"]
    write_tree(repo, {"overrides/production/en.yaml": "+enwiki:\n  streams:\n    a.b:\n      sample:\n        rate: 0.5\n"})
    assert "compiled" in run("compile", "--root", repo).output
    assert read_json(repo / "build" / "manifest.json")["source"]["digest"] != digest
    assert read_json(repo / "build/production/enwiki/streamconfigs.json")["streams"]["a.b"]["sample"] == {"rate": 0.5}


def test_a_tampered_build_is_rebuilt(repo: Path, run):
    run("compile", "--root", repo)
    target = repo / "build/production/dewiki/streamconfigs.json"
    os.unlink(target)
    target.write_text("{}")
    assert "compiled" in run("compile", "--root", repo).output
    assert read_json(target)["streams"]


def test_selection_by_realm_and_wiki(repo: Path, run, tmp_path: Path):
    out = tmp_path / "out"
    assert run("compile", "--root", repo, "--out", out, "--wiki", "enwiki").exit_code == 0
    assert sorted(files_of(out)) == ["manifest.json", "production/enwiki/eventlogging.json",
                                     "production/enwiki/streamconfigs.json", "production/serving.json"]
    assert read_json(out / "production/serving.json")["domains"] == {"en.m.wikipedia.org": "enwiki", "en.wikipedia.org": "enwiki"}
    assert read_json(out / "manifest.json")["source"]["selection"] == {"realms": None, "wikis": ["enwiki"]}


def test_show_api_body_stream_and_eventlogging(repo: Path, run):
    body = run("show", "enwiki", "--root", repo)
    assert body.exit_code == 0
    assert '"streams"' in body.output
    one = run("show", "enwiki", "a.b", "--root", repo)
    assert '"topics": [\n    "eqiad.a.b",' in one.output
    embedded = run("show", "enwiki", "--eventlogging", "--root", repo)
    assert embedded.output.strip() == '{\n  "a.b": {}\n}'


def test_disk_full_mid_write_keeps_the_previous_build(repo: Path, run, monkeypatch):
    run("compile", "--root", repo)
    before = tree_digest(repo / "build")
    write_tree(repo, {"stream-defaults.yaml": "topic_prefixes: [west.]\n"})
    real_open = open
    calls = {"n": 0}

    def filling_open(path, mode="r", *args, **kwargs):
        if "x" in mode:
            calls["n"] += 1
            if calls["n"] == 2:
                raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real_open(path, mode, *args, **kwargs)

    monkeypatch.setattr("builtins.open", filling_open)
    result = run("compile", "--root", repo)
    monkeypatch.undo()
    assert result.exit_code == 1
    assert "cannot write the build: No space left on device" in result.output
    assert "keeps its previous content" in result.output
    assert tree_digest(repo / "build") == before
    assert not list(repo.glob(".build.*")), "the staging directory is cleaned up"


def test_output_directory_that_is_a_symlink_is_refused(repo: Path, run, tmp_path: Path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (repo / "build").symlink_to(elsewhere)
    result = run("compile", "--root", repo)
    assert result.exit_code == 1
    assert "is a symbolic link; it is never written through" in result.output
    assert list(elsewhere.iterdir()) == []


def test_symlinks_planted_in_the_old_build_are_not_followed_nor_adopted(repo: Path, run, tmp_path: Path):
    run("compile", "--root", repo)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious").write_text("keep me")
    (repo / "build/production/enwiki/streamconfigs.json").unlink()
    (repo / "build/production/enwiki/streamconfigs.json").symlink_to(outside / "precious")
    (repo / "build/production/planted").symlink_to(outside)
    before = tree_digest(repo / "build")
    refused = run("compile", "--root", repo, "--force")
    assert refused.exit_code == 1
    assert "holds files streamconf did not write: production/planted" in refused.output
    assert tree_digest(repo / "build") == before
    (repo / "build/production/planted").unlink()
    assert run("compile", "--root", repo, "--force").exit_code == 0
    assert (outside / "precious").read_text() == "keep me"
    assert not (repo / "build/production/enwiki/streamconfigs.json").is_symlink()


def test_interrupted_fallback_swap_is_recovered(repo: Path, run):
    """Where an atomic exchange is unavailable, a stop between the two renames leaves the old
    build aside; the next compile puts it back before anything else."""
    run("compile", "--root", repo)
    before = tree_digest(repo / "build")
    aside = repo / ".build.old-test"
    aside.mkdir()
    os.rename(repo / "build", aside / "build")
    emit._recover(repo / "build")
    assert tree_digest(repo / "build") == before
    assert not aside.exists()


def test_fallback_swap_without_renameat2(repo: Path, run, monkeypatch):
    run("compile", "--root", repo)

    def unsupported(*_args):
        raise OSError(errno.ENOSYS, "not here")

    monkeypatch.setattr(emit, "_exchange", unsupported)
    write_tree(repo, {"stream-defaults.yaml": "topic_prefixes: [west.]\n"})
    assert run("compile", "--root", repo).exit_code == 0
    assert read_json(repo / "build/production/enwiki/streamconfigs.json")["streams"]["a.b"]["topics"] == ["west.a.b"]
    assert sorted(p.name for p in repo.iterdir() if p.name.startswith(".build")) == []


def test_read_only_output_location(repo: Path, run):
    """Even root cannot write into an immutable directory; others get a read-only one."""
    run("compile", "--root", repo)
    before = tree_digest(repo / "build")
    write_tree(repo, {"stream-defaults.yaml": "topic_prefixes: [west.]\n"})
    with read_only(repo):
        result = run("compile", "--root", repo)
    assert result.exit_code == 1
    assert "cannot write the build" in result.output
    assert tree_digest(repo / "build") == before


@contextmanager
def read_only(directory: Path):
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i", str(directory)], check=True)
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(directory)], check=True)
    else:
        os.chmod(directory, 0o555)
        try:
            yield
        finally:
            os.chmod(directory, 0o755)


def test_an_up_to_date_compile_clears_what_a_killed_one_left(repo: Path, run):
    run("compile", "--root", repo)
    left = repo / ".build.new-killed"
    write_tree(left, {"production/enwiki/streamconfigs.json": "{}"})
    result = run("compile", "--root", repo)
    assert "is up to date" in result.output
    assert not left.exists()


def test_a_failed_switch_leaves_no_staging_directory(repo: Path, run, monkeypatch):
    """A mount point as the output fails the exchange with EBUSY."""
    run("compile", "--root", repo)
    before = tree_digest(repo / "build")

    def busy(*_args):
        raise OSError(errno.EBUSY, "Device or resource busy")

    monkeypatch.setattr(emit, "_exchange", busy)
    result = run("compile", "--root", repo, "--force")
    assert result.exit_code == 1 and "Device or resource busy" in result.output
    assert tree_digest(repo / "build") == before
    assert sorted(p.name for p in repo.iterdir() if p.name.startswith(".build")) == []


def test_a_file_the_manifest_does_not_list_is_noticed_even_when_up_to_date(repo: Path, run):
    run("compile", "--root", repo)
    (repo / "build" / "production" / "stray.json").write_text("{}")
    result = run("compile", "--root", repo)
    assert result.exit_code == 1 and "holds files streamconf did not write: production/stray.json" in result.output


def test_without_syncfs_every_file_and_directory_is_flushed(tmp_path: Path, monkeypatch):
    tree = write_tree(tmp_path / "tree", {"production/enwiki/streamconfigs.json": "{}", "manifest.json": "{}"})
    monkeypatch.setattr(emit.ctypes, "CDLL", lambda *args, **kwargs: object())
    flushed = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: flushed.append(os.readlink(f"/proc/self/fd/{fd}")) or real_fsync(fd))
    emit.sync_tree(tree)
    expected = [tree / "manifest.json", tree / "production", tree / "production/enwiki",
                tree / "production/enwiki/streamconfigs.json", tree]
    assert sorted(flushed) == sorted(map(str, expected))


def test_the_build_replaced_is_kept_as_the_spare_and_updated_in_place(repo: Path, run, tmp_path: Path):
    build, spare = repo / "build", repo / ".build.spare"
    run("compile", "--root", repo)
    first = files_of(build)
    write_tree(repo, {"overrides/production/en.yaml": "+enwiki:\n  streams:\n    a.b:\n      sample:\n        rate: 0.5\n"})
    run("compile", "--root", repo)
    assert files_of(spare) == first, "the build replaced is the spare"
    unchanged = (spare / "production/dewiki/streamconfigs.json").stat().st_ino
    write_tree(repo, {"overrides/production/en.yaml": "+enwiki:\n  streams:\n    a.b:\n      sample:\n        rate: 0.25\n"})
    assert "compiled" in run("compile", "--root", repo).output
    assert (build / "production/dewiki/streamconfigs.json").stat().st_ino == unchanged, "a file that did not change is kept"
    assert run("compile", "--root", repo, "--out", tmp_path / "fresh").exit_code == 0
    assert files_of(build) == files_of(tmp_path / "fresh")
    assert read_json(build / "production/enwiki/streamconfigs.json")["streams"]["a.b"]["sample"] == {"rate": 0.25}


def test_a_spare_that_does_not_verify_is_written_afresh(repo: Path, run, tmp_path: Path):
    run("compile", "--root", repo)
    write_tree(repo, {"stream-defaults.yaml": "topic_prefixes: [west.]\n"})
    run("compile", "--root", repo)
    (repo / ".build.spare/production/enwiki/streamconfigs.json").write_text("{}")
    write_tree(repo, {"stream-defaults.yaml": "topic_prefixes: [east.]\n"})
    assert "compiled" in run("compile", "--root", repo).output
    assert run("compile", "--root", repo, "--out", tmp_path / "fresh").exit_code == 0
    assert files_of(repo / "build") == files_of(tmp_path / "fresh")
    assert read_json(repo / ".build.spare/manifest.json")["files"].keys() == read_json(repo / "build/manifest.json")["files"].keys()


def test_a_spare_name_holding_something_else_is_left_alone(repo: Path, run):
    run("compile", "--root", repo)
    mine = write_tree(repo / ".build.spare", {"notes.txt": "mine\n"})
    before = tree_digest(mine)
    write_tree(repo, {"stream-defaults.yaml": "topic_prefixes: [west.]\n"})
    assert "compiled" in run("compile", "--root", repo).output
    assert tree_digest(mine) == before
    assert sorted(p.name for p in repo.iterdir() if p.name.startswith(".build")) == [".build.spare"]
