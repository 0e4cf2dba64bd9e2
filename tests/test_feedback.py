"""--quiet and --verbose on every command, and the progress bar: on a terminal only, never in CI
or into a pipe."""

from __future__ import annotations

import os
import pty
import re
import subprocess
from pathlib import Path

import click

from conftest import EXECUTABLE, copy_project_config, run_installed
from streamconf.cli import cli


def every_command(group: click.Group = cli, prefix: tuple = ()):
    for name, command in group.commands.items():
        yield prefix + (name,), command
        if isinstance(command, click.Group):
            yield from every_command(command, prefix + (name,))


def test_every_command_takes_quiet_and_verbose(run):
    for path, command in every_command():
        options = {option for param in command.params for option in param.opts}
        assert {"-q", "--quiet", "-v", "--verbose"} <= options, path
        assert "--quiet" in run(*path, "--help").output, path


def test_quiet_leaves_only_the_result_and_the_findings(repo: Path):
    assert run_installed("validate", "--root", repo).stderr.startswith("valid: ") is False
    assert run_installed("validate", "--root", repo).stdout.startswith("valid: 1 realms")
    for args in (("validate", "-q"), ("-q", "validate"), ("validate", "--quiet")):
        result = run_installed(*args, "--root", repo)
        assert result.returncode == 0 and result.stdout == "" and result.stderr == "", args
    result = run_installed("compile", "--root", repo, "-q")
    assert result.returncode == 0 and result.stdout == "" and (repo / "build/manifest.json").exists()
    shown = run_installed("show", "enwiki", "a.b", "--root", repo, "-q")
    assert shown.returncode == 0 and '"schema_title"' in shown.stdout, "the result itself stays"


def on_terminal(*args: str, **environment: str) -> bytes:
    """Everything the installed program writes when its output is a terminal (a pseudo-terminal)."""
    controller, terminal = pty.openpty()
    env = {key: value for key, value in os.environ.items() if key != "CI"}
    process = subprocess.Popen([str(EXECUTABLE), *args], stdin=subprocess.DEVNULL, stdout=terminal, stderr=terminal,
                               env={**env, "TERM": "xterm-256color", **environment})
    os.close(terminal)
    output = b""
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the program closed the terminal
            break
        if not chunk:
            break
        output += chunk
    os.close(controller)
    assert process.wait(timeout=120) == 0, output.decode(errors="replace")
    return output


def test_a_terminal_shows_progress(repo: Path):
    shown = on_terminal("compile", "--root", str(repo), "--force")
    assert b"reading files" in shown and b"lint rules" in shown and b"compiling production" in shown
    assert b"\x1b[?25l" in shown and shown.rstrip().endswith(b"\x1b[?25h"), "the cursor is hidden while drawing, then shown"
    assert b"distinct, into " + str(repo / "build").encode() + b"\r\n" in shown


def test_no_progress_in_ci_into_a_pipe_or_when_quiet(repo: Path):
    assert b"reading files" not in on_terminal("compile", "--root", str(repo), "--force", CI="true")
    assert b"reading files" not in on_terminal("compile", "--root", str(repo), "--force", "--quiet")
    assert b"reading files" not in on_terminal("compile", "--root", str(repo), "--force", TERM="dumb")
    piped = run_installed("compile", "--root", repo, "--force")
    assert piped.stderr == "" and piped.stdout.startswith("compiled 3 wikis")


def test_verbose_says_what_each_stage_took(repo: Path):
    result = run_installed("validate", "--root", repo, "--verbose")
    stages = [line.rsplit(": ", 1) for line in result.stderr.splitlines()]
    assert [name for name, _ in stages] == ["reading files", "checking files", "lint rules"]
    assert all(re.fullmatch(r"\d+\.\d\d s", took) for _, took in stages)
    assert result.stdout.startswith("valid: ")
    compiled = run_installed("-v", "compile", "--root", repo)
    assert "compiling production: " in compiled.stderr and "writing the build: " in compiled.stderr


def test_the_site_shows_its_stages_too(tmp_path: Path):
    root = copy_project_config(tmp_path / "repo")
    result = run_installed("site", "--root", root, "--out", tmp_path / "site", "--verbose")
    assert result.returncode == 0, result.stderr
    assert "rendering the site: " in result.stderr and "writing the site: " in result.stderr
    assert run_installed("site", "--root", root, "--out", tmp_path / "site", "-q").stdout == ""
