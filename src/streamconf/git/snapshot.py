"""The repository's input files as the working tree or one commit has them."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from ..codes import fail
from ..diagnostics import Diagnostic, Location
from ..load import Sources, files_digest, parse_files, read_files


def require_directory(root: Path) -> None:
    if not root.is_dir():
        raise fail("SC030", Location(str(root)), "the config repository does not exist or is not a directory",
                    "name the repository with --root")


@dataclass
class Snapshot:
    """The repository's input files as the working tree or one commit has them; parsed only
    when asked, since an up-to-date check needs only their digest."""

    files: dict[str, bytes]
    unreadable: list[Diagnostic]
    label: str
    commit: str | None  # None outside git or before the first commit
    dirty: bool | None  # whether the working tree's config differs from the commit

    @cached_property
    def sources(self) -> Sources:
        return parse_files(self.files, self.unreadable)

    @property
    def source(self) -> dict:
        return {"digest": "sha256:" + files_digest(self.files), "commit": self.commit, "dirty": self.dirty}


def snapshot(root: Path, ref: str | None = None) -> Snapshot:
    """The working tree (ref None), or the commit `ref` names, read from git without touching
    the working tree."""
    if ref is None:
        from .state import working_tree

        require_directory(root)
        files, unreadable = read_files(root)
        return Snapshot(files, unreadable, "the working tree", *working_tree(root, files))
    from . import repository

    checkout = repository.require_checkout(root)
    commit = repository.commit_of(checkout, ref)
    label = commit.hexsha[:10] if commit.hexsha.startswith(ref) else f"{ref} ({commit.hexsha[:10]})"
    return Snapshot(*repository.files_at(checkout, commit), label, commit.hexsha, False)
