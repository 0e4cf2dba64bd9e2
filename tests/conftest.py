"""Shared test helpers: repositories written to temporary directories, and the CLI run both
in-process (CliRunner) and as the installed program."""

from __future__ import annotations

import hashlib
import json
import os
import atexit
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import settings

# Property tests assert behaviour, never speed (speed is measured by `make bench`): no per-example
# deadline, which a busy machine would turn into a false failure.
settings.register_profile("streamconf", deadline=None)
settings.load_profile("streamconf")

from streamconf.cli import cli

PROJECT = Path(__file__).resolve().parents[1]
GOLDEN = PROJECT / "tests" / "golden"
"""The golden cases with MediaWiki's real answers, carried by the project (test_golden checks the
copy against the shared reference where one sits beside the project)."""
EXECUTABLE = Path(sys.executable).parent / "streamconf"

# The parse cache of a test run is its own, in a fresh directory, never the user's: every process
# the tests start inherits this.
CACHE = Path(tempfile.mkdtemp(prefix="streamconf-test-cache-"))
os.environ["STREAMCONF_CACHE_DIR"] = str(CACHE)
atexit.register(shutil.rmtree, CACHE, True)

MINIMAL = {
    "realms/production.yaml": """
        wikis:
          enwiki: [en, wiki]
          dewiki: [de, wiki]
          officewiki: [private, en, wikimedia]
        """,
    "streams/a.yaml": """
        a.b:
          schema_title: analytics/link_hover
          destination_event_service: eventgate-analytics-external
        """,
    "stream-defaults.yaml": """
        topic_prefixes: [eqiad., codfw.]
        """,
    "eventlogging.yaml": """
        - a.b
        """,
}


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    for relative, content in files.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(textwrap.dedent(content).lstrip("\n"), "utf-8")
    return root


def tree_digest(root: Path) -> str:
    """A digest of every path, link target and file content under root."""
    digest = hashlib.sha256()
    if not root.exists():
        return "absent"
    for path in sorted(root.rglob("*")):
        digest.update(str(path.relative_to(root)).encode())
        if path.is_symlink():
            digest.update(b"L" + os.readlink(path).encode())
        elif path.is_file():
            digest.update(b"F" + path.read_bytes())
    return digest.hexdigest()


def php_equal(left, right) -> bool:
    """Equality of JSON values as the semantics define it: {} equals [], 1 equals 1.0, and key
    order inside objects does not matter (list order does)."""
    def canonical(value):
        if isinstance(value, (dict, list)) and not value:
            return ("empty",)
        if isinstance(value, dict):
            return ("map", frozenset((key, canonical(item)) for key, item in value.items()))
        if isinstance(value, list):
            return ("list", tuple(canonical(item) for item in value))
        if isinstance(value, bool) or value is None or isinstance(value, str):
            return (type(value).__name__, value)
        return ("number", float(value))
    return canonical(left) == canonical(right)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "repo", MINIMAL)


@pytest.fixture
def run():
    """Run the CLI in-process; returns the click Result."""
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(cli, [str(arg) for arg in args], catch_exceptions=False)
    return invoke


def run_installed(*args: str, cwd: Path | None = None, timeout: float = 60,
                  env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run the installed `streamconf` program as a separate process."""
    return subprocess.run([str(EXECUTABLE), *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env=env)


def assert_rule_case(find, case: tuple, tmp_path: Path) -> None:
    """A lint rule's worked example: `find(directory, files)` gives the rule's findings for the
    `fires` input, the first starting with `expected` and each with a hint, and none for `quiet`."""
    fires, quiet, expected = case
    found = find(tmp_path / "fires", fires)
    assert found and found[0].startswith(expected), found
    assert all("hint:" in text for text in found), "every finding says what to do"
    assert find(tmp_path / "quiet", quiet) == []


def read_json(path: Path):
    return json.loads(path.read_text("utf-8"))


def copy_project_config(destination: Path) -> Path:
    """The repository's own config, copied without build output."""
    for name in ("realms", "streams", "overrides", "instruments", "metadata", "tests/fixtures/event-schemas"):
        shutil.copytree(PROJECT / name, destination / name)
    for name in ("streamconf.yaml", "stream-defaults.yaml", "eventlogging.yaml", "owners.yaml", "CODEOWNERS"):
        shutil.copy(PROJECT / name, destination / name)
    return destination
