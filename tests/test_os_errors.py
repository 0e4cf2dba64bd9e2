"""The system refusing an operation mid-run (EACCES on `stat` of an input, EMFILE while listing,
ENOSPC while writing) gives a clean error naming the file, exit 1, never an internal error; the
previous build or release keeps its content. The refusals are simulated in-process, the way the
kernel would raise them."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from conftest import tree_digest, write_tree


def refuse(monkeypatch, module, name: str, code: int, target: Path) -> None:
    """Make `module.name(path, ...)` raise OSError(code) for `target` and any path under it."""
    real = getattr(module, name)

    def refusing(path, *args, **kwargs):
        if Path(os.fsdecode(path)).absolute().is_relative_to(target):
            raise OSError(code, os.strerror(code), os.fsdecode(path))
        return real(path, *args, **kwargs)
    monkeypatch.setattr(module, name, refusing)


def clean_failure(result) -> str:
    assert result.exit_code == 1, result.output
    assert "internal error" not in result.output and "Traceback" not in result.output, result.output
    return result.output


@pytest.mark.parametrize("function", ["stat", "lstat"])
@pytest.mark.parametrize("command", ["validate", "compile"])
def test_eacces_on_stat_of_an_input_names_the_file(repo: Path, run, monkeypatch, function, command):
    refuse(monkeypatch, os, function, errno.EACCES, repo / "streams" / "a.yaml")
    output = clean_failure(run(command, "--root", repo))
    assert "streams/a.yaml" in output and "Permission denied" in output, output
    monkeypatch.undo()
    assert not (repo / "build").exists()


def test_emfile_while_listing_the_inputs_names_the_directory(repo: Path, run, monkeypatch):
    refuse(monkeypatch, os, "scandir", errno.EMFILE, repo / "streams")
    output = clean_failure(run("validate", "--root", repo))
    assert "streams" in output and "Too many open files" in output, output


@pytest.mark.parametrize("code", [errno.EMFILE, errno.ENOSPC, errno.EACCES])
def test_an_error_while_listing_the_previous_build_keeps_it(repo: Path, run, monkeypatch, code):
    assert run("compile", "--root", repo).exit_code == 0
    before = tree_digest(repo / "build")
    write_tree(repo, {"stream-defaults.yaml": "topic_prefixes: [west.]\n"})
    refuse(monkeypatch, os, "scandir", code, repo / "build")
    output = clean_failure(run("compile", "--root", repo))
    monkeypatch.undo()
    assert str(repo / "build") in output and os.strerror(code) in output, output
    assert tree_digest(repo / "build") == before
    assert not list(repo.glob(".build*")), "no staging directory is left behind"


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EMFILE])
def test_an_error_while_writing_a_build_keeps_the_previous_one(repo: Path, run, monkeypatch, code):
    assert run("compile", "--root", repo).exit_code == 0
    before = tree_digest(repo / "build")
    write_tree(repo, {"stream-defaults.yaml": "topic_prefixes: [west.]\n"})
    real_open = open
    calls = {"n": 0}

    def failing_open(path, mode="r", *args, **kwargs):
        if any(flag in mode for flag in "wx"):
            calls["n"] += 1
            if calls["n"] == 3:
                raise OSError(code, os.strerror(code), str(path))
        return real_open(path, mode, *args, **kwargs)
    monkeypatch.setattr("builtins.open", failing_open)
    output = clean_failure(run("compile", "--root", repo))
    monkeypatch.undo()
    assert "cannot write the build" in output and os.strerror(code) in output, output
    assert tree_digest(repo / "build") == before
    assert not list(repo.glob(".build*")), "no staging directory is left behind"


@pytest.mark.parametrize("function, code", [("scandir", errno.EMFILE), ("scandir", errno.ENOSPC),
                                            ("open", errno.ENOSPC), ("open", errno.EMFILE)])
def test_an_error_while_publishing_keeps_the_served_release(repo: Path, run, monkeypatch, tmp_path, function, code):
    assert run("compile", "--root", repo).exit_code == 0
    dest = tmp_path / "dest"
    assert run("publish", repo / "build", dest, "--allow-dirty").exit_code == 0
    before = tree_digest(dest)
    write_tree(repo, {"stream-defaults.yaml": "topic_prefixes: [west.]\n"})
    assert run("compile", "--root", repo).exit_code == 0
    refuse(monkeypatch, os, function, code, dest if function == "open" else repo / "build")
    output = clean_failure(run("publish", repo / "build", dest, "--allow-dirty"))
    monkeypatch.undo()
    assert os.strerror(code) in output and (str(dest) in output or str(repo / "build") in output), output
    assert tree_digest(dest) == before
