"""The working tree's commit and whether its config differs from it, asked of the git command
directly: every compile records them, and importing gitpython alone takes a quarter of a second,
longer than compiling Wikimedia's config. Everything else about git is in
repository.py."""

from __future__ import annotations

import subprocess
from pathlib import Path

from ..layout import CONFIG_PATHS


def _git(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=60)


def working_tree(root: Path) -> tuple[str | None, bool | None]:
    """(commit checked out, config files differ from it); (None, None) outside git, and a None
    commit before the first one."""
    try:
        if _git(root, "rev-parse", "--is-inside-work-tree").stdout.strip() != "true":
            return None, None
    except (OSError, subprocess.SubprocessError):
        return None, None
    commit = _git(root, "rev-parse", "--verify", "--quiet", "HEAD").stdout.strip() or None
    status = _git(root, "status", "--porcelain", "--untracked-files=all", "--", *CONFIG_PATHS).stdout
    return commit, bool(status.strip())
