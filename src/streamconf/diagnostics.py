"""Findings about the input: what is wrong, where, and what to do about it."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

ERROR = "error"
WARNING = "warning"
NOTICE = "notice"  # worth knowing; never fails validate, not even --strict


MAX_QUOTED = 80
"""Characters of one part of a key path (a key, a list position) shown; the rest is cut."""
MAX_WORD = 1000
"""Characters of one word of a message (a value, a name, a path) kept: a path in a deep working
directory stays whole, a key of megabytes does not."""
MAX_MESSAGE = 2000
_LONG_WORD = re.compile(r"\S{%d,}" % (MAX_WORD + 1))


def shorten(text: str, limit: int = MAX_QUOTED) -> str:
    """`text` cut to `limit` characters, with an ellipsis when it was longer."""
    return text if len(text) <= limit else text[:limit] + "…"


def bounded_message(text: str) -> str:
    """A message whose every word is quoted in at most MAX_WORD characters, and which is at most
    MAX_MESSAGE long: one 15 MiB key must not make megabytes of diagnostics."""
    if len(text) <= MAX_WORD:
        return text
    return shorten(_LONG_WORD.sub(lambda word: shorten(word.group(), MAX_WORD), text), MAX_MESSAGE)


@dataclass(frozen=True, order=True)
class Location:
    """A place in a source file; line and column count from 1 (0 means unknown)."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if not self.line:
            return self.file
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Diagnostic:
    """One finding. `path` is the key path inside the file, e.g. ('a.b', 'sample', 'rate')."""

    location: Location
    message: str
    hint: str = ""
    path: tuple[str, ...] = ()
    severity: str = ERROR
    code: str = field(kw_only=True)  # one of streamconf.codes; make findings with codes.diagnostic()

    def __post_init__(self) -> None:
        object.__setattr__(self, "message", bounded_message(self.message))
        object.__setattr__(self, "hint", bounded_message(self.hint))
        object.__setattr__(self, "path", tuple(shorten(str(part)) for part in self.path))

    def render(self) -> str:
        where = f" at {format_path(self.path)}" if self.path else ""
        text = f"{self.location}: {self.severity} {self.code}{where}: {self.message}"
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text

    def as_dict(self) -> dict:
        return {
            "file": self.location.file,
            "line": self.location.line,
            "column": self.location.column,
            "path": list(self.path),
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
            "hint": self.hint,
        }


def format_path(path: Iterable[object]) -> str:
    return " › ".join(str(part) for part in path)


@dataclass
class ConfigError(Exception):
    """Input that cannot be compiled; carries every finding, not only the first."""

    diagnostics: list[Diagnostic] = field(default_factory=list)

    def __str__(self) -> str:
        return "\n".join(d.render() for d in self.diagnostics)


class UsageError(ConfigError):
    """A command-line argument that the repository cannot satisfy, like an unknown wiki."""


REPORTED_FIRST = frozenset({"SL401"})
"""Findings whose cause is likely behind others (a plain key that wipes a wiki makes keys unread and
names unresolved): reported before them, whatever their file."""


def sort_key(diagnostic: Diagnostic) -> tuple:
    return (diagnostic.code not in REPORTED_FIRST, diagnostic.location, diagnostic.code, diagnostic.message)


def did_you_mean(name: str, known: Any) -> str:
    if len(name) > MAX_QUOTED:  # difflib's time grows with the square of the length
        return ""
    close = difflib.get_close_matches(name, [item for item in known if len(item) <= MAX_QUOTED], n=3)
    return f"did you mean {', '.join(close)}?" if close else ""
