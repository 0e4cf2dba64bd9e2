"""Findings about the input: what is wrong, where, and what to do about it."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any, Iterable

ERROR = "error"
WARNING = "warning"
NOTICE = "notice"  # worth knowing; never fails validate, not even --strict
NOTICE = "notice"  # worth knowing; never fails validate, not even --strict


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


def sort_key(diagnostic: Diagnostic) -> tuple:
    return (diagnostic.location, diagnostic.code, diagnostic.message)


def did_you_mean(name: str, known: Any) -> str:
    close = difflib.get_close_matches(name, list(known), n=3)
    return f"did you mean {', '.join(close)}?" if close else ""
