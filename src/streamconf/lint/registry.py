"""The registry of lint rules: each rule is a function registered under its code, whose name and
default severity are in the codes table (streamconf.codes) and whose docstring is its documentation."""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterator

from ..codes import CODES
from ..diagnostics import Location

if TYPE_CHECKING:
    from .context import Context


@dataclass
class Finding:
    location: Location
    message: str
    hint: str = ""
    path: tuple = ()


@dataclass(frozen=True)
class Rule:
    id: str
    check: Callable[["Context"], Iterator[Finding]]
    local: bool  # judges each layer alone, so it is sound even when other files are broken

    @property
    def name(self) -> str:
        return CODES[self.id].name

    @property
    def severity(self) -> str:
        """The default severity; a repository may set its own (RepositorySettings.severity)."""
        return CODES[self.id].severity

    @property
    def doc(self) -> str:
        return inspect.cleandoc(self.check.__doc__ or "")


RULES: dict[str, Rule] = {}


def rule(rule_id: str, local: bool = False):
    def register(check: Callable[["Context"], Iterator[Finding]]):
        RULES[rule_id] = Rule(rule_id, check, local)
        return check
    return register
