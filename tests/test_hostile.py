"""Hostile conditions around a compile: names that could escape the output, unreadable files,
processes killed at random points, and two compiles at once. Real processes of the installed
program are killed and raced here."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import EXECUTABLE, run_installed, tree_digest, write_tree
from streamconf import emit
from streamconf.cli import cli
from synthetic import SMALL, generate


@pytest.mark.parametrize("files, message", [
    ({"realms/production.yaml": "wikis:\n  ../escape: [en]\n"}, "'../escape' is not a valid wiki id"),
    ({"realms/production.yaml": "wikis:\n  en/wiki: [en]\n"}, "'en/wiki' is not a valid wiki id"),
    ({"realms/production.yaml": "wikis:\n  .hidden: [en]\n"}, "'.hidden' is not a valid wiki id"),
    ({"realms/production.yaml": 'wikis:\n  "en\\0wiki": [en]\n'}, "'en\\x00wiki' is not a valid wiki id"),
    ({"realms/production.yaml": "wikis:\n  enwiki: [../tag]\n"}, "'../tag' is not a valid tag"),
    ({"realms/production.yaml": "wikis:\n  default: [en]\n"}, "'default' is reserved"),
    ({"realms/pro.duction.yaml": "wikis: {enwiki: []}\n"}, "'pro.duction' is not a valid realm name"),
    ({"realms/production.yaml": "dblists: [x]\nwikis: {enwiki: []}\n", "realms/production/x.dblist": "../../etc\n"},
     "'../../etc' is not a valid wiki id"),
    ({"streams/c.yaml": '"a\\tb":\n  schema_title: x\n'}, "is not allowed as a key here"),
])
def test_dangerous_names_are_refused_before_anything_is_written(files, message, repo: Path, run):
    (repo / "realms" / "production.yaml").unlink()
    write_tree(repo, files)
    result = run("compile", "--root", repo)
    assert result.exit_code == 1
    assert message in result.output
    assert not (repo / "build").exists()
    assert not any(path.name.startswith(".build") for path in repo.iterdir())


def test_unreadable_file_is_a_clear_error(repo: Path, run, monkeypatch):
    target = repo / "streams" / "a.yaml"
    if os.geteuid() != 0:
        os.chmod(target, 0)
    else:  # root reads any file: refuse the read the way the kernel would
        real_open = open

        def refusing_open(path, *args, **kwargs):
            if Path(path) == target:
                raise PermissionError(13, "Permission denied", str(path))
            return real_open(path, *args, **kwargs)
        monkeypatch.setattr("builtins.open", refusing_open)
    result = run("validate", "--root", repo)
    assert result.exit_code == 1
    assert "streams/a.yaml: error SC001: cannot read the file: Permission denied" in result.output


def test_symlinked_input_is_not_followed(repo: Path, run, tmp_path: Path):
    secret = tmp_path / "secret.yaml"
    secret.write_text("x.y:\n  schema_title: secret\n")
    (repo / "streams" / "link.yaml").symlink_to(secret)
    result = run("validate", "--root", repo)
    assert result.exit_code == 1
    assert "streams/link.yaml: error SC001: symbolic links are not followed" in result.output


NEW_DEFAULTS = "topic_prefixes: [west.]\ncanary_events_enabled: false\n"


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory):
    """A repository in its old state, the text of its old and new stream defaults, and the tree
    digests of the complete builds of both states."""
    root = generate(tmp_path_factory.mktemp("kill") / "repo", SMALL, seed=7)
    texts = {"old": (root / "stream-defaults.yaml").read_text(), "new": NEW_DEFAULTS}
    builds = {}
    for state in ("new", "old"):
        write_tree(root, {"stream-defaults.yaml": texts[state]})
        out = root.parent / f"expected-{state}"
        assert run_installed("compile", "--root", root, "--out", out).returncode == 0
        builds[state] = tree_digest(out)
    return root, texts, builds


def test_killed_compiles_leave_the_old_build_or_the_new_one(two_builds):
    root, texts, builds = two_builds
    out = root.parent / "out"
    assert run_installed("compile", "--root", root, "--out", out).returncode == 0
    started = time.perf_counter()
    assert run_installed("compile", "--root", root, "--out", root.parent / "timing").returncode == 0
    duration = time.perf_counter() - started
    rng = random.Random(3)
    outcomes = []
    for _ in range(12):
        previous = tree_digest(out)
        state = "new" if previous == builds["old"] else "old"
        write_tree(root, {"stream-defaults.yaml": texts[state]})
        process = subprocess.Popen([str(EXECUTABLE), "compile", "--root", str(root), "--out", str(out)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0, duration * 1.2))
        process.send_signal(signal.SIGKILL)
        process.wait()
        after = tree_digest(out)
        assert after in (previous, builds[state]), "a killed compile left a mixed or partial build"
        outcomes.append(after == builds[state])
    # After any kill, the next compile finishes and cleans up what the killed one left.
    assert run_installed("compile", "--root", root, "--out", out).returncode == 0
    assert tree_digest(out) == builds[state]
    assert [p.name for p in root.parent.iterdir() if p.name.startswith(".out.")] == [".out.spare"]
    assert tree_digest(root.parent / ".out.spare") in builds.values(), "the spare is the build before, whole"
    assert not all(outcomes), "some kills must land before the swap, or the test proves nothing"


def test_a_compile_killed_while_it_updates_the_spare_in_place_leaves_the_old_build(two_builds, tmp_path: Path):
    """The previous build but one is kept as the spare and updated in place; a compile killed
    half-way through that update (os._exit: no cleanup runs, as under SIGKILL) leaves the output
    as it was, and the next compile, finding a spare that no longer verifies, starts afresh."""
    root, texts, builds = two_builds
    out, spare = tmp_path / "out", tmp_path / ".out.spare"
    for state in ("new", "old"):
        write_tree(root, {"stream-defaults.yaml": texts[state]})
        assert run_installed("compile", "--root", root, "--out", out).returncode == 0
    assert (tree_digest(out), tree_digest(spare)) == (builds["old"], builds["new"])
    spare_before = tree_digest(spare)
    write_tree(root, {"stream-defaults.yaml": texts["new"].replace("west.", "south.")})
    child = os.fork()
    if child == 0:  # a compile that dies after writing three files into the spare
        written = []
        real_write_new = emit.write_new

        def dying_write_new(target, data):
            real_write_new(target, data)
            written.append(target)
            if len(written) == 3:
                os._exit(9)

        emit.write_new = dying_write_new
        try:
            CliRunner().invoke(cli, ["compile", "--root", str(root), "--out", str(out)])
        finally:
            os._exit(3)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 9, "the compile died while writing the spare"
    assert tree_digest(out) == builds["old"], "the output is the old build, whole"
    assert tree_digest(spare) != spare_before, "the kill landed in the middle of the update in place"
    write_tree(root, {"stream-defaults.yaml": texts["new"]})
    assert run_installed("compile", "--root", root, "--out", out).returncode == 0
    assert (tree_digest(out), tree_digest(spare)) == (builds["new"], builds["old"])


def test_an_up_to_date_compile_clears_what_a_kill_after_the_swap_left(two_builds, tmp_path: Path):
    """A kill just after the exchange leaves the previous build, whole or half removed, under the
    staging name beside the output; the next compile is up to date and still removes it, and
    leaves the output and any other neighbour as they were."""
    root, texts, builds = two_builds
    write_tree(root, {"stream-defaults.yaml": texts["old"]})
    out = tmp_path / "out"
    assert run_installed("compile", "--root", root, "--out", out).returncode == 0
    whole, half = tmp_path / ".out.new-k1ll3d0", tmp_path / ".out.new-k1ll3d1"
    shutil.copytree(out, whole)
    shutil.copytree(out, half)
    (half / "manifest.json").unlink()
    neighbours = {name: tmp_path / name for name in (".out.new", ".out.newer-1", ".other.new-1", "out.new-1")}
    for neighbour in neighbours.values():
        neighbour.mkdir()
    result = run_installed("compile", "--root", root, "--out", out)
    assert result.returncode == 0 and "is up to date" in result.stdout + result.stderr
    assert tree_digest(out) == builds["old"]
    assert not whole.exists() and not half.exists()
    assert all(neighbour.is_dir() for neighbour in neighbours.values())


def test_two_compiles_at_once_both_finish_with_a_complete_build(two_builds, tmp_path: Path):
    root, texts, builds = two_builds
    write_tree(root, {"stream-defaults.yaml": texts["old"]})
    other = generate(tmp_path / "other", SMALL, seed=7)
    write_tree(other, {"stream-defaults.yaml": texts["new"]})
    out = tmp_path / "shared-out"
    processes = [subprocess.Popen([str(EXECUTABLE), "compile", "--root", str(repo), "--out", str(out)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for repo in (root, other)]
    results = [process.communicate(timeout=120) + (process.returncode,) for process in processes]
    assert [code for _, _, code in results] == [0, 0], results
    assert tree_digest(out) in (builds["old"], builds["new"])
