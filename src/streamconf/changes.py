"""What a change to the effective config is: the old and new value at a setting path of a stream
(or of EventLogging's entry, or of an instrument) in a realm, whether it breaks consumers, and the
set of changes with the wikis each one reaches, and a change in words. Shared by diff, the
instruments' diff, the reporters and the catalog site, so that neither diff imports the other and
the site does not import the terminal's reporter."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable

from .model import Realm
from .render import to_json_value
from .resolve import Value
from .values import leaves
from .wikisets import describe_wikis

VALUE_SECTIONS = ("streamconfigs", "eventlogging")  # whose configs added or removed are shown leaf by leaf
ABSENT: Any = type("Absent", (), {"__repr__": lambda self: "absent"})()
BREAKING_SETTINGS = {
    "schema_title": "schema_title changed",
    "destination_event_service": "destination_event_service changed",
    "topics": "topics changed",
}


@dataclass(frozen=True, eq=False)
class Change:
    realm: str
    section: str  # "streamconfigs", "eventlogging" or "instruments"
    stream: str  # the stream key, the name EventLogging embeds, or the instrument's name
    path: tuple[str, ...]  # the setting path; () for the whole stream
    old: Value
    new: Value
    breaks: str = ""  # why an instrument change breaks consumers (instruments.diff decides)

    @property
    def breaking(self) -> str:
        """Why the change breaks consumers, or '' when it does not."""
        if self.section == "instruments":
            return self.breaks
        if self.new is ABSENT and not self.path:
            return "stream removed" if self.section == "streamconfigs" else "dropped from EventLogging"
        if self.section == "streamconfigs" and self.path and self.path[0] in BREAKING_SETTINGS:
            return BREAKING_SETTINGS[self.path[0]]
        return ""

    def sort_key(self) -> tuple:
        return (self.realm, self.section, self.stream, self.path)

    def identity(self, text: Callable[[Value], str] | None = None) -> tuple:
        """Changes with the same identity are one change on several wikis: the same setting from
        the same value to the same value (objects compared without their key order, in the text
        that `canonical` gives)."""
        text = text or canonical
        return self.sort_key() + (text(self.old), text(self.new))

    @property
    def whole_stream(self) -> bool:
        """A stream (or EventLogging entry) added or removed, rather than one of its settings."""
        return not self.path

    def group(self) -> tuple:
        """What a reviewer reads as one change: a stream added or removed is one change whatever
        its config on each wiki; a setting change is one change per old and new value."""
        return self.sort_key() + (self.old is ABSENT, self.new is ABSENT) if self.whole_stream else self.identity()


@dataclass
class Entry:
    """One change as a reviewer reads it: for a stream added or removed, every config it had or
    has, each with its wikis."""

    change: Change  # the first of its changes: realm, section, stream, path, breaking
    wikis: set[str]
    configs: list[tuple[Value, set[str]]]  # a stream added or removed: its config (new or old), per wiki set

    def values(self) -> list[tuple[tuple, Value, set[str]]]:
        """A stream's config added or removed, leaf by leaf: (path, value, wikis) for every value
        the leaf has, the largest wiki set first, then absent on the wikis whose config lacks it."""
        by_path: dict[tuple, dict[str, tuple[Value, set[str]]]] = {}
        for config, wikis in self.configs:
            for path, value in leaves(config):
                if path != ("stream",) and path:  # the stream key is the heading; an empty config has no values
                    by_path.setdefault(path, {}).setdefault(canonical(value), (value, set()))[1].update(wikis)
        found = []
        for path, values in by_path.items():
            found += [(path, value, wikis) for value, wikis in _largest_first(list(values.values()))]
            lacking = self.wikis - set().union(*(wikis for _, wikis in values.values()))
            if lacking:
                found.append((path, ABSENT, lacking))
        return found


@dataclass
class ChangeSet:
    """Every change, with the wikis it affects."""

    changes: dict[tuple, tuple[Change, set[str]]] = field(default_factory=dict)  # Change.identity() -> change, wikis
    realms: dict[str, Realm] = field(default_factory=dict)  # the head side's realms, for describing wiki sets
    # id of an object or list value -> (the value, kept alive so that its id stays its own; its
    # canonical text): a diff adds the same config object for many classes of wikis
    _texts: dict[int, tuple[Value, str]] = field(default_factory=dict, repr=False, compare=False)

    def add(self, change: Change, wikis: tuple[str, ...]) -> None:
        self.changes.setdefault(change.identity(self._canonical), (change, set()))[1].update(wikis)

    def _canonical(self, value: Value) -> str:
        if type(value) not in (dict, list):
            return canonical(value)
        known = self._texts.get(id(value))
        if known is None:
            known = self._texts[id(value)] = (value, canonical(value))
        return known[1]

    def sorted(self) -> list[tuple[Change, set[str]]]:
        """Every change with its wikis, by realm, section, stream and path, then by wikis; a stream
        added or removed comes once per config it has. The wikis are sorted only to order changes
        of one path: a commit that adds every stream would otherwise sort every wiki set."""
        by_key: dict[tuple, list[tuple[Change, set[str]]]] = {}
        for item in self.changes.values():
            by_key.setdefault(item[0].sort_key(), []).append(item)
        ordered = []
        for key in sorted(by_key):
            ordered += sorted(by_key[key], key=lambda item: sorted(item[1])) if len(by_key[key]) > 1 else by_key[key]
        return ordered

    def only(self, keep: Callable[[Change, set[str]], set[str]]) -> ChangeSet:
        """The changes on the wikis `keep` returns for each (none: the change is left out)."""
        kept = ChangeSet(realms=self.realms)
        for change, wikis in self.changes.values():
            wikis = keep(change, wikis)
            if wikis:
                kept.add(change, tuple(wikis))
        return kept

    def entries(self) -> list[Entry]:
        grouped: dict[tuple, Entry] = {}
        for change, wikis in self.sorted():
            entry = grouped.setdefault(change.group(), Entry(change, set(), []))
            entry.wikis |= wikis
            if change.whole_stream and change.section in VALUE_SECTIONS:
                entry.configs.append((change.old if change.new is ABSENT else change.new, wikis))
        return list(grouped.values())

    @property
    def breaking(self) -> list[Entry]:
        return [entry for entry in self.entries() if entry.change.breaking]

    def fails_on(self, what: str) -> bool:
        """Whether `diff --fail-on what` fails: on `any` change, on a `breaking` one, or `never`."""
        return what == "any" and bool(self.changes) or what == "breaking" and bool(self.breaking)


def _largest_first(values: list[tuple[Value, set[str]]]) -> list[tuple[Value, set[str]]]:
    """The values of a path, the largest wiki set first, then by wikis (sorted only when needed)."""
    if len(values) < 2:
        return values
    return sorted(values, key=lambda item: (-len(item[1]), sorted(item[1])))


_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False)  # made once: json.dumps makes one per call


def canonical(value: Value) -> str:
    """A value's JSON with objects' keys sorted: equal for values that differ only in key order."""
    return "absent" if value is ABSENT else _CANONICAL.encode(value)


def same(old: Value, new: Value) -> bool:
    """Equal as JSON values, as json_encode writes them: 1 equals 1.0 but true is not 1, and an
    array keyed 0..n-1 is a list whether it was built as a map or as a list."""
    return json.dumps(to_json_value(old), sort_keys=True) == json.dumps(to_json_value(new), sort_keys=True) or \
        (type(old) in (int, float) and type(new) in (int, float) and old == new)


def value_changes(old: Value, new: Value, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Value, Value]]:
    """Leaf-level differences; lists and scalars are compared whole."""
    if type(old) is dict and type(new) is dict and old and new:
        found = []
        for key in list(old) + [key for key in new if key not in old]:
            found += value_changes(old.get(key, ABSENT), new.get(key, ABSENT), path + (key,))
        return found
    if old is ABSENT or new is ABSENT or not same(old, new):
        return [(path, old, new)]
    return []


def show_value(value: Value) -> str:
    if value is ABSENT:
        return "absent"
    return json.dumps(value, ensure_ascii=False)


# A change in words, as diff, log and the catalog site show it.
WHOLE = {"streamconfigs": ("stream", "stream added", "stream removed"),
         "eventlogging": ("embedded config", "embedded by EventLogging", "dropped from EventLogging"),
         "instruments": ("instrument", "instrument added", "instrument removed")}


def describe(change: Change) -> str:
    whole, added, removed = WHOLE[change.section]
    what = ".".join(change.path) if change.path else whole
    if change.old is ABSENT:
        return f"{what} added" if change.path else added
    if change.new is ABSENT:
        return f"{what} removed" if change.path else removed
    return f"{what}: {show_value(change.old)} → {show_value(change.new)}"


def describe_value(path: tuple, value: Value) -> str:
    """One leaf of a stream's config added or removed."""
    return f"{'.'.join(map(str, path)) or 'config'}: {show_value(value)}"


def entry_rows(entry: Entry, realm: Realm | None, indent: str) -> list[tuple[str, str]]:
    """A change and, for a stream added or removed, its values per wiki set; a value that is the
    same on all the stream's wikis is shown without them."""
    change = entry.change
    line = f"{indent}{describe(change)}   on {describe_wikis(entry.wikis, realm, change.realm)}"
    rows = [("breaking", line + f"   [breaking: {change.breaking}]") if change.breaking else ("", line)]
    for path, value, wikis in entry.values():
        where = "" if wikis == entry.wikis else f"   on {describe_wikis(wikis, realm, change.realm)}"
        rows.append(("", f"{indent}  {describe_value(path, value)}{where}"))
    return rows
