"""The working tree's commit and whether the config as read equals that commit's, asked of the
git command directly: every compile records them, and importing gitpython alone takes a quarter
of a second, longer than compiling Wikimedia's config. Everything else about git is in repository.py.

"Clean" is positive evidence: every input file read from the working tree has exactly the bytes
of the same path in HEAD, and HEAD has no input file that was not read. An ignored, untracked,
assume-unchanged or skip-worktree input file therefore counts as a change, and when git is
missing, fails or refuses the repository the answer is "unknown", never "clean".
"""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

from ..layout import INPUT_PATHS, is_input_file

_REGULAR_MODES = ("100644", "100755")


def _git(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, timeout=60)


def blob_id(data: bytes, object_format: str) -> str:
    """The id git gives a blob holding `data`."""
    digest = hashlib.sha256() if object_format == "sha256" else hashlib.sha1()
    digest.update(b"blob %d\0" % len(data) + data)
    return digest.hexdigest()


def working_tree(root: Path, files: dict[str, bytes]) -> tuple[str | None, bool | None]:
    """(commit checked out, whether `files` differ from it). (None, None) when git cannot say:
    outside git, git missing, failing or refusing the repository; (None, True) before the first
    commit."""
    try:
        inside = _git(root, "rev-parse", "--is-inside-work-tree", "--show-object-format")
        if inside.returncode != 0 or not inside.stdout.startswith(b"true\n"):
            return None, None
        object_format = inside.stdout.split()[1].decode()
        head = _git(root, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
        commit = head.stdout.decode().strip()
        if head.returncode != 0 or not commit:
            return None, True
        listing = _git(root, "ls-tree", "-r", "-z", commit, "--", *INPUT_PATHS)
        if listing.returncode != 0:
            return commit, None
    except (OSError, subprocess.SubprocessError, IndexError, UnicodeDecodeError):
        return None, None
    committed: dict[str, str] = {}
    for entry in listing.stdout.split(b"\0"):
        if not entry:
            continue
        meta, _, path_bytes = entry.partition(b"\t")
        mode, _, blob = meta.decode().split(" ")
        path = path_bytes.decode("utf-8", "surrogateescape")
        if is_input_file(path):
            committed[path] = blob if mode in _REGULAR_MODES else ""
    same = committed.keys() == files.keys() and all(committed[path] == blob_id(data, object_format)
                                                   for path, data in files.items())
    return commit, not same


def folder_in_repository(root: Path) -> str:
    """The config repository's folder inside its git work tree ('' at the top or outside git)."""
    try:
        return _git(root, "rev-parse", "--show-prefix").stdout.decode().strip()
    except (OSError, subprocess.SubprocessError, UnicodeDecodeError):
        return ""
