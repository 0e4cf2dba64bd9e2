"""Parsed YAML files remembered by content, so that a file is parsed once until it changes.

An entry is found by the sha256 of the parser's own source, the versions of Python and PyYAML,
the file's path and its bytes: an edited file, a moved file or another version of the parser
misses, and is parsed again. Only files that parse without error are kept; a failing file is
parsed every time, so its errors are always reported in full.

The cache lives outside the repository and outside every output: `$STREAMCONF_CACHE_DIR`, else
`$XDG_CACHE_HOME/streamconf`, else `~/.cache/streamconf` (`STREAMCONF_CACHE_DIR=` empty turns it
off). A repository's files therefore never decide what the cache holds, and nothing the cache holds
is ever published. Entries are plain JSON, written to a temporary name and renamed, so a reader
sees a whole entry or none; an entry that cannot be read or has the wrong shape is a miss. Any
failure to write is ignored: the cache only ever saves time.

The same directory keeps compiled Python code that streamconf generates (cached_code: the schema
checks), as marshalled code objects keyed by what generated them and by the Python version, and
the records of output trees (tree_check.py).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import marshal
import os
import platform
import tempfile
from types import CodeType
from pathlib import Path
from typing import Any, Callable

ENTRIES = "parsed"
CODE = "code"
MAX_ENTRIES = 20_000  # beyond this the least recently used half is removed
CACHEDIR_TAG = "Signature: 8a477f597d28d172789f06886806bc55\n# streamconf's cache of parsed files; safe to delete.\n"

Marks = dict[tuple, tuple[int, int]]


def cache_directory() -> Path | None:
    """Where the cache lives, or None when it is turned off."""
    configured = os.environ.get("STREAMCONF_CACHE_DIR")
    if configured is not None:
        return Path(configured) if configured else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "streamconf"


class ParseCache:
    """Parsed files by (parser, path, bytes). `parser` names the parser exactly: any change to it
    makes every entry a miss."""

    def __init__(self, directory: Path, parser: str) -> None:
        self.entries = directory / ENTRIES
        self.parser = f"{parser}\0{platform.python_version()}"
        self.written = 0

    @classmethod
    def default(cls, parser: str) -> ParseCache | None:
        directory = cache_directory()
        return None if directory is None else cls(directory, parser)

    def path(self, file: str, data: bytes) -> Path:
        key = hashlib.sha256(f"{self.parser}\0{file}\0{len(data)}\0".encode() + data).hexdigest()
        return self.entries / key[:2] / f"{key}.json"

    def get(self, file: str, data: bytes) -> tuple[Any, Marks, dict[int, set[str]]] | None:
        """(value, marks, disabled rules by line) of the file as parsed before, or None."""
        path = self.path(file, data)
        try:
            with open(path, "rb") as handle:
                entry = json.load(handle)
            marks = {tuple(mark[:-2]): (mark[-2], mark[-1]) for mark in entry["marks"]}
            disabled = {line: set(rules) for line, rules in entry["disabled"]}
            os.utime(path)  # recently used: kept when the cache is trimmed
            return entry["value"], marks, disabled
        except (OSError, ValueError, KeyError, TypeError, IndexError):
            return None

    def put(self, file: str, data: bytes, value: Any, marks: Marks, disabled: dict[int, set[str]]) -> None:
        path = self.path(file, data)
        entry = {"value": value, "marks": [[*where, line, column] for where, (line, column) in marks.items()],
                 "disabled": [[line, sorted(rules)] for line, rules in disabled.items()]}
        try:
            text = json.dumps(entry, separators=(",", ":"))  # json.dump would take the pure-Python encoder
            self._prepare(path.parent)
            descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".entry-")
            try:
                with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                    handle.write(text)
                os.replace(temporary, path)
            except BaseException:
                os.unlink(temporary)
                raise
            self.written += 1
        except (OSError, ValueError):
            pass

    def _prepare(self, directory: Path) -> None:
        if not directory.is_dir():
            directory.mkdir(parents=True, exist_ok=True)
            tag = self.entries.parent / "CACHEDIR.TAG"
            if not tag.exists():
                tag.write_text(CACHEDIR_TAG)

    def trim(self) -> None:
        """Keep the cache bounded: past MAX_ENTRIES, remove the least recently used half."""
        if not self.written:
            return
        try:
            entries = [entry for bucket in os.scandir(self.entries) if bucket.is_dir()
                       for entry in os.scandir(bucket.path) if entry.name.endswith(".json")]
            if len(entries) <= MAX_ENTRIES:
                return
            entries.sort(key=lambda entry: entry.stat().st_mtime)
            for entry in entries[: len(entries) // 2]:
                os.unlink(entry.path)
        except OSError:
            pass


def cached_code(key: str, source: Callable[[], str]) -> CodeType:
    """The code object of the Python module that `source()` returns, compiled once for every
    process: `key` names exactly what the source is generated from (an edit to it is a miss)."""
    directory = cache_directory()
    digest = hashlib.sha256(importlib.util.MAGIC_NUMBER + platform.python_version().encode() + b"\0" + key.encode()).hexdigest()
    path = None if directory is None else directory / CODE / f"{digest}.marshal"
    if path is not None:
        try:
            code = marshal.loads(path.read_bytes())
            if isinstance(code, CodeType):
                return code
        except (OSError, ValueError, EOFError, TypeError):
            pass
    code = compile(source(), f"<generated {digest[:12]}>", "exec")
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".entry-")
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(marshal.dumps(code))
            os.replace(temporary, path)
        except OSError:
            pass
    return code
