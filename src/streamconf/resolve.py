"""The key walk and the merges: which keys of a setting apply to a wiki, and what they add up to.

Values are plain data read from YAML or JSON and are never modified: every function here returns
new containers and may share unchanged sub-values with its inputs.

Values model PHP arrays. A list is an array keyed 0..n-1; a dict is an ordered array whose keys are
strings, where a canonical decimal string ("0", "12", "-3") is what PHP makes an integer key. That
distinction matters: in a `+` merge a taken integer key appends instead of keeping the old value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

Value = Any
Settings = Mapping[str, Mapping[str, Value]]
"""setting name -> key (`default`, `enwiki`, `+enwiki`, ...) -> value"""

SETTINGS = ("streams", "stream_defaults", "eventlogging_streams")

_INT_KEY = re.compile(r"0|-?[1-9][0-9]{0,18}")
_NUMERIC = re.compile(r"[ \t\n\r\v\f]*[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[ \t\n\r\v\f]*")
_INT64_MAX = 2**63 - 1


def is_array(value: Value) -> bool:
    return type(value) is dict or type(value) is list


def php_int_key(key: str) -> int | None:
    """The integer PHP makes of an array key, or None when the key stays a string."""
    if _INT_KEY.fullmatch(key):
        number = int(key)
        if -_INT64_MAX - 1 <= number <= _INT64_MAX:
            return number
    return None


def php_is_numeric(key: str) -> bool:
    """PHP 8 `is_numeric()` of an array key (integer keys are numeric too)."""
    return _NUMERIC.fullmatch(key) is not None


def as_map(array: dict | list) -> dict:
    if type(array) is list:
        return {str(index): item for index, item in enumerate(array)}
    return dict(array)


def _next_int_key(array: dict) -> str:
    taken = [number for number in map(php_int_key, array) if number is not None]
    return str(max(taken) + 1) if taken else "0"


def merge(high: dict | list, low: dict | list) -> dict | list:
    """MediaWiki's SiteConfiguration::arrayMerge: the `+` merge, `high` taking precedence.

    For each key of `low` in order: an unset (missing or null) key of `high` takes `low`'s value;
    two arrays merge recursively; a taken numeric key appends `low`'s value; a `false` is replaced;
    anything else in `high` holds.
    """
    if type(high) is list and type(low) is list:
        return _merge_lists(high, low)
    out = as_map(high)
    for key, value in (low.items() if type(low) is dict else as_map(low).items()):
        current = out.get(key)
        if current is None:
            out[key] = value
        elif is_array(current) and is_array(value):
            out[key] = merge(current, value)
        elif php_is_numeric(key):
            out[_next_int_key(out)] = value
        elif current is False:
            out[key] = value
    return out


def _merge_lists(high: list, low: list) -> list:
    # The same rules as merge() on arrays keyed 0..n-1; the result stays keyed 0..n-1.
    out = list(high)
    for index, value in enumerate(low):
        current = out[index] if index < len(out) else None
        if current is None:
            if index < len(out):
                out[index] = value
            else:
                out.append(value)
        elif is_array(current) and is_array(value):
            out[index] = merge(current, value)
        else:
            out.append(value)
    return out


def replace_recursive(base: dict | list, replacement: dict | list) -> dict | list:
    """PHP's array_replace_recursive: `replacement` wins, arrays are entered key by key.

    Lists are arrays keyed by position, so a shorter list replaces only the first items.
    """
    if type(base) is list and type(replacement) is list:
        out = list(base)
        for index, value in enumerate(replacement):
            if index < len(out):
                out[index] = replace_value(out[index], value)
            else:
                out.append(value)
        return out
    mapped = as_map(base)
    for key, value in (replacement.items() if type(replacement) is dict else as_map(replacement).items()):
        mapped[key] = replace_value(mapped.get(key), value)
    return mapped


def replace_value(current: Value, value: Value) -> Value:
    """What array_replace_recursive keeps at one key: the replacement, or both arrays merged."""
    return replace_recursive(current, value) if is_array(current) and is_array(value) else value


# The key walk --------------------------------------------------------------------------------

WIKI = "wiki"  # the wiki's own key: the whole result, nothing else is read
PLUS_WIKI = "+wiki"  # `+<wiki>`: the starting value
TAG = "tag"  # the first plain tag key: merged with what came before, ends the walk
PLUS_TAG = "+tag"  # `+<tag>`: merged, the walk goes on
DEFAULT = "default"  # `default`: merged last


@dataclass(frozen=True)
class Step:
    key: str
    action: str


def applicable_keys(keys: Mapping[str, Value], wiki: str, tags: Sequence[str]) -> tuple[Step, ...]:
    """The keys of one setting that apply to `wiki`, in the order the walk reads them."""
    if wiki in keys:
        return (Step(wiki, WIKI),)
    steps = []
    plus_wiki = "+" + wiki
    if is_array(keys.get(plus_wiki)):
        steps.append(Step(plus_wiki, PLUS_WIKI))
    for tag in dict.fromkeys(tags):
        if tag in keys:
            steps.append(Step(tag, TAG))
            return tuple(steps)
        if is_array(keys.get("+" + tag)):
            steps.append(Step("+" + tag, PLUS_TAG))
    if DEFAULT in keys:
        steps.append(Step(DEFAULT, DEFAULT))
    return tuple(steps)


def resolve_setting(keys: Mapping[str, Value], steps: Sequence[Step]) -> Value:
    """The value of one setting for a wiki whose applicable keys are `steps` (None: absent)."""
    result = None
    for step in steps:
        value = keys[step.key]
        if step.action in (WIKI, PLUS_WIKI):
            result = value
        elif step.action == PLUS_TAG:
            result = merge([] if result is None else result, value)
        elif is_array(result) and is_array(value):
            result = merge(result, value)
        else:
            result = value
    return result


def overlay(base: Settings, overrides: Settings, replaced: Iterable[str]) -> dict[str, dict[str, Value]]:
    """A realm built on another: override keys replace base keys one by one; a setting named in
    `replaced` is replaced whole."""
    replaced = set(replaced)
    result = {}
    for setting in SETTINGS:
        keys = {} if setting in replaced else dict(base.get(setting, {}))
        keys.update(overrides.get(setting, {}))
        result[setting] = keys
    return result


@dataclass(frozen=True)
class WikiClass:
    """Wikis that read the same keys of every setting, and so are served the same configs."""

    steps: tuple[tuple[Step, ...], ...]  # one walk per setting, in SETTINGS order
    wikis: tuple[str, ...]

    def walk(self, setting: str) -> tuple[Step, ...]:
        return self.steps[SETTINGS.index(setting)]


def classify_wikis(settings: Settings, wikis: Mapping[str, Sequence[str]]) -> list[WikiClass]:
    """Group wikis by the keys that apply to them; classes come in the order of their first wiki."""
    members: dict[tuple, list[str]] = {}
    for wiki, tags in wikis.items():
        steps = tuple(applicable_keys(settings.get(setting, {}), wiki, tags) for setting in SETTINGS)
        members.setdefault(steps, []).append(wiki)
    return [WikiClass(steps, tuple(names)) for steps, names in members.items()]
