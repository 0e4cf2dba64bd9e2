"""A reader that goes away (`streamconf show enwiki | head -1`) ends the command quietly with the
status a shell reports for a program that SIGPIPE ended, never an internal error."""

from __future__ import annotations

import subprocess

import pytest

from conftest import EXECUTABLE
from test_git_workflow import history  # noqa: F401 - the fixture

CLOSED_PIPE = 141

COMMANDS = [
    ("show", "enwiki"),
    ("show", "enwiki", "a.b", "--eventlogging"),
    ("explain", "enwiki", "a.b"),
    ("validate", "--format", "json"),
    ("validate",),
    ("diff", "main~4", "main"),
    ("diff", "main~4", "main", "--format", "json"),
    ("log", "a.b"),
    ("rules",),
]


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_a_reader_gone_before_the_output_ends_the_command_quietly(history, args):  # noqa: F811
    root, _ = history
    process = subprocess.Popen([str(EXECUTABLE), *args], cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()  # the reader is gone before the program writes its first line
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=60) == CLOSED_PIPE
    assert not any(word in stderr for word in ("internal error", "Traceback", "BrokenPipe", "Exception ignored")), stderr
    if args != ("validate",):  # validate's findings go to stderr, which is still open
        assert stderr == ""


def test_head_in_a_shell_pipeline(history):  # noqa: F811
    root, _ = history
    script = (f"set -o pipefail; for i in 1 2 3 4 5; do '{EXECUTABLE}' show enwiki | head -1; "
              f"'{EXECUTABLE}' explain enwiki a.b | head -1; done")
    result = subprocess.run(["bash", "-c", script], cwd=root, capture_output=True, text=True, timeout=120)
    assert result.returncode in (0, CLOSED_PIPE)
    assert result.stdout.splitlines() == ["{", "enwiki › a.b (production)"] * 5
    assert result.stderr == ""
