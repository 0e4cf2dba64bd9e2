"""publish trusts nothing: provenance only from git's positive answer, one reading of the
manifest, a release verified as written, a served history that rollback and pruning follow, and a
--dry-run that changes nothing. Run through the installed program."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import EXECUTABLE, MINIMAL, read_json, run_installed, tree_digest, write_tree
from test_git_workflow import commit, git
from streamconf.tree_check import unlisted, verify
from test_outputs import snapshot


@pytest.fixture
def config(tmp_path: Path) -> Path:
    root = tmp_path / "config"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    commit(root, "Add the streams", {**MINIMAL, ".gitignore": "/build*/\n"})
    return root


def build_with(root: Path, prefix: str, out: str = "build") -> Path:
    """Commit a stream-defaults.yaml with this topic prefix and compile it into ROOT/OUT."""
    commit(root, f"Prefix {prefix}", {"stream-defaults.yaml": f"topic_prefixes: [{prefix}.]\n"})
    result = run_installed("compile", "--root", root, "--out", root / out)
    assert result.returncode == 0, result.stderr
    return root / out


def publish(*args) -> subprocess.CompletedProcess:
    return run_installed("publish", *args)


def release_of(line: str) -> str:
    return line.split("release ", 1)[1].split(" ", 1)[0]


def served_prefix(dest: Path) -> str:
    return read_json(dest / "current/production/enwiki/streamconfigs.json")["streams"]["a.b"]["topics"][0].split(".")[0]


def test_rollback_returns_to_the_last_different_release_served(config, tmp_path):
    """Publishing the same output twice (two commits, identical bundles) makes two releases;
    a rollback skips the identical one."""
    dest = tmp_path / "www"
    for prefix in ("one", "two"):
        assert publish(build_with(config, prefix), dest).returncode == 0
    commit(config, "Only a comment", {"eventlogging.yaml": "# embedded\n- a.b\n"})
    assert run_installed("compile", "--root", config).returncode == 0
    same = publish(config / "build", dest)
    assert same.returncode == 0 and "0 files added, 0 removed, 0 changed" in same.stdout
    rolled = publish("--rollback", dest)
    assert rolled.returncode == 0, rolled.stderr
    assert served_prefix(dest) == "one"
    assert "0 changed" not in rolled.stdout


def test_rollback_follows_what_was_served_not_release_names(config, tmp_path):
    dest = tmp_path / "www"
    first = release_of(publish(build_with(config, "one"), dest).stdout)
    publish(build_with(config, "two"), dest)
    assert release_of(publish("--rollback", dest).stdout) == first
    publish(build_with(config, "three"), dest)
    rolled = publish("--rollback", dest)
    assert release_of(rolled.stdout) == first and served_prefix(dest) == "one"
    refused = publish("--rollback", dest)
    assert refused.returncode == 1 and "no earlier release that differs from the current one was served" in refused.stderr
    assert served_prefix(dest) == "one"


def test_repeated_rollbacks_walk_back_through_the_history(config, tmp_path):
    dest = tmp_path / "www"
    for prefix in ("one", "two", "three"):
        publish(build_with(config, prefix), dest)
    assert publish("--rollback", dest).returncode == 0 and served_prefix(dest) == "two"
    assert publish("--rollback", dest).returncode == 0 and served_prefix(dest) == "one"
    assert json.loads((dest / "served.json").read_text())["served"] == [os.readlink(dest / "current").split("/")[1]]


def test_pruning_keeps_the_release_a_rollback_returns_to(config, tmp_path):
    dest = tmp_path / "www"
    publish(build_with(config, "one"), dest, "--keep", "1")
    publish(build_with(config, "two"), dest, "--keep", "1")
    commit(config, "Only a comment", {"eventlogging.yaml": "# embedded\n- a.b\n"})
    run_installed("compile", "--root", config)
    assert publish(config / "build", dest, "--keep", "1").returncode == 0
    assert len(list((dest / "releases").iterdir())) == 2
    assert publish("--rollback", dest).returncode == 0 and served_prefix(dest) == "one"


def test_a_release_never_switched_to_is_never_a_rollback_target(config, tmp_path):
    """A publish killed between copying and switching leaves a release no history names."""
    dest = tmp_path / "www"
    publish(build_with(config, "one"), dest)
    orphan = dest / "releases" / "99991231T235959999999Z-000000000000"
    shutil.copytree(build_with(config, "stray"), orphan)
    assert publish(build_with(config, "two"), dest).returncode == 0
    assert not orphan.exists(), "pruned: nothing could ever switch to it"
    assert publish("--rollback", dest).returncode == 0 and served_prefix(dest) == "one"


def test_publish_repairs_a_dangling_current_and_a_release_without_manifest(config, tmp_path):
    dest = tmp_path / "www"
    build = build_with(config, "one")
    publish(build, dest)
    shutil.rmtree(dest / os.readlink(dest / "current"))
    repaired = publish(build, dest)
    assert repaired.returncode == 0 and repaired.stdout.startswith("published"), repaired.stderr
    assert tree_digest(dest / "current") == tree_digest(build)
    (dest / "current" / "production" / "enwiki" / "streamconfigs.json").unlink()
    again = publish(build, dest)
    assert again.returncode == 0 and again.stdout.startswith("published"), "a damaged release is not current"
    (dest / "current" / "manifest.json").unlink()
    assert publish(build, dest).stdout.startswith("published")
    assert tree_digest(dest / "current") == tree_digest(build)


def test_dry_run_changes_nothing(config, tmp_path):
    build = build_with(config, "one")
    dest = tmp_path / "www"
    assert publish(build, dest, "--dry-run").stdout.startswith("would publish")
    assert not dest.exists()
    publish(build, dest)
    publish(build_with(config, "two"), dest)
    (dest / ".incoming-leftover").mkdir()
    three = build_with(config, "three", "build-three")
    before = snapshot(tmp_path)
    assert publish(three, dest, "--dry-run").returncode == 0
    assert publish("--rollback", dest, "--dry-run").stdout.startswith("would roll back")
    assert snapshot(tmp_path) == before
    publish(build, dest)
    assert not (dest / ".incoming-leftover").exists(), "a real publish cleans leftovers"


def test_rollback_of_a_missing_destination(tmp_path):
    result = publish("--rollback", tmp_path / "nowhere")
    assert result.returncode == 1 and "does not exist" in result.stderr and "internal error" not in result.stderr
    assert not (tmp_path / "nowhere").exists()


def test_provenance_is_clean_only_when_git_says_so_for_every_input(config, tmp_path):
    dest = tmp_path / "www"

    def refused_as(reason: str) -> None:
        assert run_installed("compile", "--root", config, "--force", env=env).returncode == 0
        result = publish(config / "build", dest)
        assert result.returncode == 1 and "error SC206" in result.stderr and reason in result.stderr, result.stderr
        assert not dest.exists()
        assert publish(config / "build", dest, "--allow-dirty", "--dry-run").returncode == 0

    env = None
    write_tree(config, {".gitignore": "/build*/\nstreams/local.yaml\n", "streams/local.yaml":
                        "x.y:\n  schema_title: analytics/x\n  destination_event_service: eventgate-analytics-external\n"})
    commit(config, "Ignore a local file")
    refused_as("uncommitted changes")  # an ignored input file
    (config / "streams/local.yaml").unlink()
    write_tree(config, {"streams/a.yaml": (config / "streams/a.yaml").read_text() + "# changed\n"})
    git(config, "update-index", "--assume-unchanged", "streams/a.yaml")
    refused_as("uncommitted changes")  # git status would say clean
    git(config, "update-index", "--no-assume-unchanged", "streams/a.yaml")
    git(config, "checkout", "--", "streams/a.yaml")
    env = {**os.environ, "PATH": str(tmp_path / "no-git")}
    refused_as("provenance is unknown")  # git missing
    env = {**os.environ, "GIT_DIR": str(tmp_path / "not-a-repository")}
    refused_as("provenance is unknown")  # git refusing the repository
    env = None
    assert run_installed("compile", "--root", config, "--force").returncode == 0
    assert publish(config / "build", dest).returncode == 0


def test_a_build_that_changes_during_the_copy_is_never_released(config, tmp_path, monkeypatch, run):
    """The copy checks each file against the manifest as read once, and nothing is switched."""
    from streamconf import publish as publishing

    dest = tmp_path / "www"
    build = build_with(config, "one")
    run("publish", build, dest)
    serving = tree_digest(dest)
    two = build_with(config, "two", "build-two")
    checked = publishing.check_build

    def then_rewritten(path, allow_dirty):
        manifest = checked(path, allow_dirty)
        shutil.rmtree(two)
        shutil.copytree(build, two)
        return manifest

    monkeypatch.setattr(publishing, "check_build", then_rewritten)
    result = run("publish", two, dest)
    assert result.exit_code == 1 and "error SC205" in result.output and "the build changed while it was being copied" in result.output
    assert tree_digest(dest) == serving


def test_compile_waits_for_a_publish_copying_the_build(config, tmp_path):
    """Both take the lock of the build's parent: compiles racing publishes never give a release
    whose files disagree with its manifest, and the last publish serves the last build."""
    dest = tmp_path / "www"
    build_with(config, "one")
    publish(config / "build", dest)
    for index in range(4):
        commit(config, f"Step {index}", {"stream-defaults.yaml": f"topic_prefixes: [p{index}.]\n"})
        processes = [subprocess.Popen([str(p) for p in (EXECUTABLE, "compile", "--root", config, "--force")],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
                     subprocess.Popen([str(p) for p in (EXECUTABLE, "publish", config / "build", dest)],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
        for process in processes:
            process.wait()
        current = dest / "current"
        manifest = read_json(current / "manifest.json")
        assert not verify(current, manifest["files"]) and not unlisted(current, manifest["files"])
    assert publish(config / "build", dest).returncode == 0
    assert tree_digest(dest / "current") == tree_digest(config / "build")


def test_serve_refuses_a_manifest_that_is_a_fifo_without_blocking(config):
    from streamconf.serve import release

    build = build_with(config, "one")
    (build / "manifest.json").unlink()
    os.mkfifo(build / "manifest.json")
    with pytest.raises(release.ReleaseError, match="not a regular file"):
        release.load(build)


@pytest.mark.parametrize("source", ['"abc"', "[]", "null", "7"])
def test_a_manifest_whose_source_is_not_an_object_is_refused(config, tmp_path, source):
    build = build_with(config, "eqiad")
    manifest = build / "manifest.json"
    document = json.loads(manifest.read_text())
    manifest.write_text(json.dumps(document).replace(json.dumps(document["source"]), source, 1))
    result = publish(build, tmp_path / "dest")
    assert result.returncode == 1, result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert f"{manifest}: error SC204" in result.stderr and "`source` is not an object" in result.stderr, result.stderr
    assert not (tmp_path / "dest").exists()
