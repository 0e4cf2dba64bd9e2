"""Output guards: compile and publish replace only a directory that is provably their own output.
Every case runs the installed program as a real process and checks, byte for byte, that nothing
outside the intended output changed.

Safety of the tests themselves: everything a broken guard could destroy is a copy under the
test's temporary directory, and HOME points into it. The only real directory named is `/`, and
only in runs that fail before writing whatever the guard does (a config root or build that does
not exist): a broken guard shows as the wrong error, never as damage.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from conftest import MINIMAL, run_installed, write_tree
from test_git_workflow import commit, git

DANGEROUS = [".", "..", "", "streams", ".git", "HOME", "foreign", "file"]


def snapshot(top: Path) -> dict[str, tuple]:
    """Every path under `top` with its type, mode, modification time and content or link
    target; links are not followed."""
    state = {}
    for directory, subdirectories, files in os.walk(top):
        for name in subdirectories + files:
            path = Path(directory, name)
            status = os.lstat(path)
            if stat.S_ISLNK(status.st_mode):
                content = os.readlink(path)
            elif stat.S_ISREG(status.st_mode):
                content = path.read_bytes()
            else:
                content = None
            state[str(path.relative_to(top))] = (stat.S_IFMT(status.st_mode), status.st_mode, status.st_mtime_ns, content)
    return state


@pytest.fixture
def world(tmp_path: Path) -> dict:
    """A home directory, a committed config repository with a build beside a sibling, a foreign
    directory, a file, and a symbolic link to each of them, all under one temporary directory."""
    top = tmp_path / "world"
    home = write_tree(top / "home", {".profile": "export EDITOR=vi\n"})
    repo = top / "parent" / "repo"
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    commit(repo, "Add the streams", {**MINIMAL, ".gitignore": "/build/\n"})
    write_tree(top / "parent" / "sibling", {"notes.txt": "a sibling of the repository\n"})
    write_tree(top, {"foreign/report.txt": "not ours\n", "file": "a file\n"})
    env = {**os.environ, "HOME": str(home)}
    assert run_installed("compile", cwd=repo, env=env).returncode == 0
    targets = {".": repo, "..": repo.parent, "": repo, "streams": repo / "streams", ".git": repo / ".git",
               "HOME": home, "foreign": top / "foreign", "file": top / "file"}
    links = top / "links"
    links.mkdir()
    for index, (name, target) in enumerate([*targets.items(), ("/", Path("/"))]):
        (links / f"link-{index}").symlink_to(target)
    return {"top": top, "repo": repo, "home": home, "env": env,
            "links": {name: links / f"link-{index}" for index, name in enumerate([*targets, "/"])}}


def given(world: dict, case: str) -> str:
    return str(world["home"]) if case == "HOME" else str(world["top"] / case) if case in ("foreign", "file") else case


def link_to(world: dict, case: str) -> str:
    return str(world["links"][case])


def assert_refused(world: dict, args: list[str], codes: tuple[str, ...] = ("SC201", "SC202")) -> str:
    before = snapshot(world["top"])
    result = run_installed(*args, cwd=world["repo"], env=world["env"])
    assert result.returncode == 1, (args, result.stdout, result.stderr)
    assert any(f"error {code}" in result.stderr for code in codes), (args, result.stderr)
    assert "internal error" not in result.stderr
    assert snapshot(world["top"]) == before, f"{args} changed files it did not write"
    return result.stderr


@pytest.mark.parametrize("case", DANGEROUS)
def test_compile_refuses_what_is_not_its_output(world, case):
    message = assert_refused(world, ["compile", "--out", given(world, case)])
    expected = {"": "is an empty path", "HOME": "is the home directory", "foreign": "holds files streamconf did not "
                "write: report.txt", "file": "exists and is not a directory", ".git": "inside a .git directory",
                "streams": "is the config source"}
    assert expected.get(case, "contains the config source") in message
    linked = assert_refused(world, ["compile", "--out", link_to(world, case), "--force"])
    assert "is a symbolic link" in linked


@pytest.mark.parametrize("case", DANGEROUS)
def test_publish_refuses_a_destination_that_is_not_its_own(world, case):
    message = assert_refused(world, ["publish", "build", given(world, case)])
    expected = {"": "is an empty path", "HOME": "is the home directory", "foreign": "holds files streamconf did not "
                "write: report.txt", "file": "exists and is not a directory", ".git": "inside a .git directory",
                "streams": "is the config source", "..": "contains the build",
                ".": "contains the build"}
    assert expected[case] in message
    assert "is a symbolic link" in assert_refused(world, ["publish", "build", link_to(world, case)])


@pytest.mark.parametrize("tree", ["streams", "realms", "overrides", "instruments", "metadata"])
def test_publish_refuses_a_new_directory_inside_the_config_sources(world, tree):
    """As compile does (SC202), whether publish runs in the repository or elsewhere, and with --dry-run."""
    repo = world["repo"]
    for dest, cwd in ((f"{tree}/pub", repo), (repo / tree / "pub" / "deep", world["top"])):
        for dry_run in ([], ["--dry-run"]):
            before = snapshot(world["top"])
            result = run_installed("publish", repo / "build", dest, *dry_run, cwd=cwd, env=world["env"])
            assert result.returncode == 1, (dest, result.stdout, result.stderr)
            assert "error SC202" in result.stderr and "publish destination lies inside the config source" in result.stderr
            assert f"{repo / tree}; streamconf never replaces it" in result.stderr
            assert snapshot(world["top"]) == before, f"publish to {dest} changed files"
    compiled = run_installed("compile", "--out", f"{tree}/pub", cwd=repo, env=world["env"])
    assert compiled.returncode == 1 and "output directory lies inside the config source" in compiled.stderr


def test_the_root_directory_is_refused_before_anything_else(world):
    """Run where the process fails before writing even without the guard: a config root and a
    build that do not exist. The guard must answer first."""
    for command in (["compile", "--root", "missing", "--out"], ["publish", "missing-build"]):
        assert "is the root directory /" in assert_refused(world, [*command, "/"], ("SC202",))
        assert "is a symbolic link" in assert_refused(world, [*command, link_to(world, "/")], ("SC201",))


def test_a_directory_containing_home_is_refused(world):
    env = {**world["env"], "HOME": str(world["top"] / "parent" / "sibling")}
    result = run_installed("compile", "--root", world["repo"], "--out", world["top"] / "parent", cwd=world["top"], env=env)
    assert result.returncode == 1 and "contains the home directory" in result.stderr


def test_force_rebuilds_a_build_but_never_adopts_a_foreign_directory(world):
    repo = world["repo"]
    foreign = world["top"] / "foreign"
    assert "holds files streamconf did not write" in assert_refused(world, ["compile", "--out", foreign, "--force"])
    (repo / "build" / "production" / "notes.txt").write_text("mine\n")
    assert "production/notes.txt" in assert_refused(world, ["compile", "--force"])
    (repo / "build" / "production" / "notes.txt").unlink()
    assert run_installed("compile", "--force", cwd=repo, env=world["env"]).returncode == 0


def test_missing_empty_and_previous_outputs_are_written(world):
    repo, top = world["repo"], world["top"]
    (top / "empty").mkdir()
    for out in (top / "new" / "deep", top / "empty", repo / "build"):
        result = run_installed("compile", "--out", out, "--force", cwd=repo, env=world["env"])
        assert result.returncode == 0, result.stderr
        assert (out / "manifest.json").is_file()
    assert [p.name for p in top.rglob(".*") if p.name.startswith((".build.", ".deep.", ".empty."))] == [".build.spare"]


@pytest.mark.parametrize("kind", ["symlink to /dev/zero", "fifo", "oversized", "directory", "not json", "escaping path"])
def test_an_untrustworthy_manifest_is_refused_never_followed(world, kind):
    repo = world["repo"]
    manifest = repo / "build" / "manifest.json"
    manifest.unlink()
    if kind == "symlink to /dev/zero":
        manifest.symlink_to("/dev/zero")
    elif kind == "fifo":
        os.mkfifo(manifest)
    elif kind == "oversized":
        with open(manifest, "wb") as handle:
            handle.truncate(65 * 1024 * 1024)
    elif kind == "directory":
        manifest.mkdir()
    elif kind == "not json":
        manifest.write_text("{")
    else:
        manifest.write_text('{"format": 1, "generator": "streamconf 0.1.0", "source": {}, "realms": {}, '
                            '"files": {"../../sibling/notes.txt": "sha256:' + "0" * 64 + '"}}')
    code = ("SC204",) if kind in ("not json", "escaping path") else ("SC203",)
    message = assert_refused(world, ["compile", "--force"], code)
    assert "manifest.json" in message
    assert_refused(world, ["publish", "build", world["top"] / "www"], code)
