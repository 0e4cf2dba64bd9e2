"""--quiet and --verbose on every command, and the progress bar: on a terminal only, never in CI
or into a pipe."""

from __future__ import annotations

from pathlib import Path

import click

from conftest import run_installed
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
