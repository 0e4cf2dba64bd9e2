"""What the shell completes, from the repository: realms, wiki ids, stream and instrument names,
and git refs. Completion reads the files as they are and says nothing: a broken file, or no
repository at all, completes less, never prints an error."""

from __future__ import annotations

import subprocess
from pathlib import Path, PurePosixPath
from typing import Iterable, Iterator

from . import patterns
from .layout import file_kind
from .load import Document, read_sources


def _documents(root: Path, *kinds: str) -> Iterator[tuple[str, Document]]:
    for file, document in read_sources(root).documents.items():
        kind = file_kind(file)
        if kind in kinds and type(document.value) in (dict, list):
            yield kind, document


def realms(root: Path) -> list[str]:
    return sorted(PurePosixPath(document.file).stem for _, document in _documents(root, "realm"))


def wikis(root: Path, *realms: str) -> list[str]:
    """The wiki ids of the realms, or of every realm."""
    found = set()
    for _, document in _documents(root, "realm"):
        listed = document.value.get("wikis") if type(document.value) is dict else None
        if type(listed) is dict and (not realms or PurePosixPath(document.file).stem in realms):
            found.update(listed)
    return sorted(found)


def streams(root: Path) -> list[str]:
    """Stream names declared in streams/ or by an override, and EventLogging's names; not patterns."""
    found: set[str] = set()
    for kind, document in _documents(root, "streams", "overrides", "eventlogging_streams"):
        if kind == "eventlogging_streams":
            found.update(name for name in document.value if type(name) is str)
        elif type(document.value) is not dict:
            continue
        elif kind == "streams":
            found.update(document.value)
        else:
            for settings in document.value.values():
                declared = settings.get("streams") if type(settings) is dict else None
                found.update(declared if type(declared) is dict else ())
    return sorted(name for name in found if not patterns.is_pattern(name) and not name.isdigit())


def instruments(root: Path) -> list[str]:
    return sorted({name for _, document in _documents(root, "instruments") if type(document.value) is dict
                   for name in document.value})


def streams_and_instruments(root: Path) -> list[str]:
    """What a STREAM argument takes: explain and log take an instrument's name there too."""
    return sorted(streams(root) + instruments(root))


def teams(root: Path) -> list[str]:
    from .scaffold import teams

    return sorted(teams(root) or ())


def refs(root: Path) -> list[str]:
    """HEAD and the repository's branches, tags and remote branches."""
    try:
        listed = subprocess.run(["git", "for-each-ref", "--format=%(refname:short)", "refs/heads", "refs/tags", "refs/remotes"],
                                cwd=root, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return []
    return ["HEAD"] + sorted(listed.stdout.split()) if listed.returncode == 0 else []


def starting_with(incomplete: str, names: Iterable[str]) -> list[str]:
    return [name for name in names if name.startswith(incomplete)]
