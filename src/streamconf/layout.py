"""Where every kind of file lives in a config repository, which schema checks it, and the guards
every file passes before it is parsed, whether it is read from the working tree or from git.

    streamconf.yaml           the repository's settings            config.schema.json
    stream-defaults.yaml      the root realm's stream defaults     stream-defaults.schema.json
    eventlogging.yaml         the root realm's EventLogging names  eventlogging.schema.json
    streams/**.yaml           stream declarations                  stream-map.schema.json
    realms/<realm>.yaml       a realm's wikis and tags             realm.schema.json
    realms/<realm>/<tag>.dblist  a tag's wikis, one per line
    overrides/<realm>/**.yaml    keys of a realm                   overrides.schema.json
    instruments/**.yaml       the root realm's instruments         instruments.schema.json
    overrides/<realm>/instruments/**.yaml  a realm's instrument changes  instrument-overrides.schema.json
    owners.yaml               the teams that own streams and instruments  owners.schema.json
    metadata/**.yaml          each stream's owner and governance metadata (never served)  metadata.schema.json
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from .codes import diagnostic
from .diagnostics import Diagnostic, Location

CONFIG_FILE = "streamconf.yaml"
STREAM_DEFAULTS_FILE = "stream-defaults.yaml"
EVENTLOGGING_FILE = "eventlogging.yaml"
OWNERS_FILE = "owners.yaml"
TOP_LEVEL_FILES = (CONFIG_FILE, STREAM_DEFAULTS_FILE, EVENTLOGGING_FILE, OWNERS_FILE)
OVERRIDES = "overrides"
TREES = ("realms", "streams", OVERRIDES, "instruments")
CONFIG_PATHS = TREES + (STREAM_DEFAULTS_FILE, EVENTLOGGING_FILE)
"""What a config is made of."""
CASE_PATHS = tuple(path for path in CONFIG_PATHS if path != "instruments")
"""What a case document describes, and so what its `import --force` replaces: not instruments
(instruments/, and overrides/<realm>/instruments/ inside overrides/, are kept)."""
METADATA_TREE = "metadata"  # owners and governance metadata of streams, never served
INPUT_TREES = TREES + (METADATA_TREE,)
INPUT_PATHS = INPUT_TREES + TOP_LEVEL_FILES
"""Every path streamconf reads: what no output may overlap, and what a clean build must match."""
YAML_SUFFIXES = (".yaml", ".yml")
DBLIST_SUFFIX = ".dblist"
OVERLAY_FOLDER = "instruments"  # overrides/<realm>/instruments/: a realm's instrument changes

MAX_FILE_BYTES = 16 * 1024 * 1024

SCHEMA_OF_KIND = {
    "config": "config.schema.json",
    "realm": "realm.schema.json",
    "streams": "stream-map.schema.json",
    "stream_defaults": "stream-defaults.schema.json",
    "eventlogging_streams": "eventlogging.schema.json",
    "overrides": "overrides.schema.json",
    "instruments": "instruments.schema.json",
    "instrument_overrides": "instrument-overrides.schema.json",
    "owners": "owners.schema.json",
    "metadata": "metadata.schema.json",
}


def _yaml_files(pattern: str) -> tuple[str, ...]:
    return tuple(pattern + suffix for suffix in YAML_SUFFIXES)


# The files of each kind (as file_kind tells them apart), as globs from the repository root.
FILE_GLOBS = {
    "config": (CONFIG_FILE,),
    "realm": _yaml_files("realms/*"),
    "streams": _yaml_files("streams/**/*"),
    "stream_defaults": (STREAM_DEFAULTS_FILE,),
    "eventlogging_streams": (EVENTLOGGING_FILE,),
    "overrides": _yaml_files("overrides/**/*") + (f"!overrides/*/{OVERLAY_FOLDER}/**",),
    "instruments": _yaml_files("instruments/**/*"),
    "instrument_overrides": _yaml_files(f"overrides/*/{OVERLAY_FOLDER}/**/*"),
    "owners": (OWNERS_FILE,),
    "metadata": _yaml_files(f"{METADATA_TREE}/**/*"),
}

FILE_CONTENT = {
    "config": "repository settings: rules, destination_event_services, sample_units, ...",
    "realm": "a map with wikis: (and optionally base, replace, dblists)",
    "streams": "a map from stream names to their settings",
    "stream_defaults": "a map of settings",
    "eventlogging_streams": "a list of stream names",
    "overrides": "a map from keys (enwiki, +enwiki, private, ...) to settings",
    "instruments": "a map from instrument names to their definitions",
    "instrument_overrides": "a map from instrument names to the fields this realm changes",
    "owners": "teams: a map from team names to description, contact and gitlab",
    "metadata": "a map from stream names to owner, description, tags, retention_days and personal_data",
}


def is_input_file(relative: str) -> bool:
    """Whether a repository path (POSIX, relative) is one that streamconf reads. Hidden files and
    directories are not."""
    parts = PurePosixPath(relative).parts
    if not parts or any(part.startswith(".") for part in parts):
        return False
    if len(parts) == 1:
        return relative in TOP_LEVEL_FILES
    return parts[0] in INPUT_TREES and relative.endswith(YAML_SUFFIXES + (DBLIST_SUFFIX,))


def file_kind(file: str) -> str | None:
    """What a repository file holds, from where it is."""
    parts = PurePosixPath(file).parts
    if file == CONFIG_FILE:
        return "config"
    if file == STREAM_DEFAULTS_FILE:
        return "stream_defaults"
    if file == EVENTLOGGING_FILE:
        return "eventlogging_streams"
    if file == OWNERS_FILE:
        return "owners"
    if parts[0] == METADATA_TREE:
        return "metadata"
    if parts[0] == "streams":
        return "streams"
    if parts[0] == "instruments":
        return "instruments"
    if overlay_realm(file) is not None:
        return "instrument_overrides"
    if parts[0] == "realms" and len(parts) == 2:
        return "realm"
    if parts[0] == "overrides" and len(parts) >= 3:
        return "overrides"
    return None


def overlay_realm(file: str) -> str | None:
    """The realm of an instrument overlay file, `overrides/<realm>/instruments/...`."""
    parts = PurePosixPath(file).parts
    return parts[1] if len(parts) >= 4 and parts[0] == "overrides" and parts[2] == OVERLAY_FOLDER else None


def is_dblist_in_place(file: str) -> bool:
    """A dblist belongs in realms/<realm>/<tag>.dblist."""
    return len(PurePosixPath(file).parts) == 3 and file.startswith("realms/")


def dblist_tag(file: str) -> str:
    return PurePosixPath(file).name[: -len(DBLIST_SUFFIX)]


def overrides_realm(file: str) -> str:
    """The realm whose keys overrides/<realm>/... holds."""
    return PurePosixPath(file).parts[1]


def realm_name(file: str) -> str:
    """The realm realms/<realm>.yaml declares."""
    return PurePosixPath(file).stem


def find_root(start: Path) -> Path:
    """The config repository that `start` is in (see repository_root). When there is none, `start`
    itself (whose checks then say what is missing). A relative `start` gives a path relative to the
    current folder."""
    start = Path(start)
    found = repository_root(start)
    if found is None:
        return start
    return found if start.is_absolute() else Path(os.path.relpath(found))


def repository_root(start: Path) -> Path | None:
    """The config repository that `start` is in, found as git finds its repository: the nearest
    folder at or above `start` that holds streamconf.yaml, a top-level config file or realms/,
    looking no higher than the git repository's root; None when there is none."""
    here = Path(start).resolve()
    for folder in (here, *here.parents):
        if any((folder / name).is_file() for name in TOP_LEVEL_FILES) or (folder / "realms").is_dir():
            return folder
        if (folder / ".git").exists():
            break
    return None


def config_sources(root: Path) -> list[tuple[Path, str]]:
    """Every input path of the config repository at `root`, named for messages: what no output
    may be, contain or lie inside."""
    return [(root / name, "the config source") for name in INPUT_PATHS]


# File guards: the same for the working tree and for git ------------------------------------------


def unreadable(file: str, message: str, hint: str = "", line: int = 0, column: int = 0, path: tuple = ()) -> Diagnostic:
    return diagnostic("SC001", Location(file, line, column), message, hint, path)


def not_a_file(file: str, kind: str) -> Diagnostic:
    """An input path (a *.yaml, *.dblist or top-level file) that is a directory, FIFO, socket,
    device or submodule: never skipped in silence."""
    return unreadable(file, f"this input is a {kind}, not a regular file",
                      "replace it with a file, or move it out of the config")


def symlink_refused(file: str) -> Diagnostic:
    return unreadable(file, "symbolic links are not followed in a config repository",
                      "replace the link with the file or directory itself")


def size_refused(file: str, size: int) -> Diagnostic | None:
    """The finding for a file of `size` bytes, or None when it is within the limit."""
    if size <= MAX_FILE_BYTES:
        return None
    return unreadable(file, f"the file is {size:,} bytes; the limit is {MAX_FILE_BYTES:,}", "split it into several files")
