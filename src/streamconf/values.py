"""Neutral helpers on plain values, shared by lint, diff and explain: reaching into a value by its
key path, listing its leaves, showing it as JSON, counting in words."""

from __future__ import annotations

import copy
import json
from typing import Any

from .resolve import Value

MISSING: Any = object()
"""What get_path gives for a path the value does not have (None is a value)."""


def get_path(value: Value, path: tuple) -> Value:
    for part in path:
        if type(value) is dict and part in value:
            value = value[part]
        elif type(value) is list and isinstance(part, int) and part < len(value):
            value = value[part]
        else:
            return MISSING
    return value


def present_part(value: Value, path: tuple) -> tuple:
    """The longest beginning of `path` that `value` has."""
    return next(path[:end] for end in range(len(path), -1, -1) if get_path(value, path[:end]) is not MISSING)


def without_path(value: Value, path: tuple) -> Value:
    """A copy of `value` with the leaf at `path` removed."""
    value = copy.deepcopy(value)
    parent = get_path(value, path[:-1])
    if type(parent) is dict:
        parent.pop(path[-1], None)
    return value


def leaves(value: Value, path: tuple = ()) -> list[tuple[tuple, Value]]:
    """Paths to every scalar, list and empty map; lists are leaves (their items are merged and
    replaced as a whole list's positions, explained together)."""
    if type(value) is dict and value:
        return [leaf for key, item in value.items() for leaf in leaves(item, path + (key,))]
    return [(path, value)]


def show(value: Value) -> str:
    return json.dumps(value, ensure_ascii=False)


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"
