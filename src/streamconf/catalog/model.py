"""The catalog as data: every stream's effective values per wiki set in every realm, its owner
and governance metadata, what each wiki collects, and what changed recently. Pure: a Config (and
the history, when there is one) in, plain records out, for the site and the DataHub export.

Values are read from the compiled bodies by wiki class, as compile serves them: the cost grows
with distinct stream configs and classes, not with wikis x streams."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime

from .. import patterns
from ..changes import ChangeSet
from ..codeowners import declared_streams
from ..compiler import RealmCompiler
from ..diagnostics import Location
from ..values import leaves, show
from ..wikisets import describe_wikis
from ..instruments.resolve import DEFAULT, Wikis, rate_text
from ..model import Config
from ..render import find_stream
from ..owners import StreamMetadata, Team

NOT_SET = "not set"


@dataclass(frozen=True)
class Spread:
    """One setting of a stream in one realm: each distinct value with the wikis that get it,
    fewest wikis first."""

    path: str
    values: tuple[tuple[str, frozenset[str]], ...]

    @property
    def uniform(self) -> bool:
        return len(self.values) == 1


@dataclass
class RealmStream:
    """A stream in one realm: where it is served, where EventLogging embeds it, and its values."""

    realm: str
    wikis: frozenset[str]
    eventlogging: frozenset[str]
    spreads: dict[str, Spread]

    def value(self, path: str) -> str:
        """The value most wikis get (as JSON), or NOT_SET."""
        spread = self.spreads.get(path)
        return spread.values[-1][0] if spread else NOT_SET


@dataclass(frozen=True)
class HistoryEntry:
    """A commit that changed a stream or an instrument: its revision (git.repository.Revision) and
    its changes (a diff.ChangeSet), as `log` finds them."""

    revision: object
    changes: object


@dataclass
class StreamRecord:
    key: str
    slug: str
    metadata: StreamMetadata | None
    declared_at: Location | None
    realms: dict[str, RealmStream] = field(default_factory=dict)
    history: list[HistoryEntry] = field(default_factory=list)

    @property
    def is_pattern(self) -> bool:
        return patterns.is_pattern(self.key)

    @property
    def owner(self) -> str:
        return self.metadata.owner if self.metadata else ""

    def setting(self, realm: str, path: str) -> str:
        """A setting's most common value in the realm, as text (JSON strings unquoted)."""
        stream = self.realms.get(realm)
        return _plain(stream.value(path)) if stream else NOT_SET

    def sample_summary(self, realm: str) -> str:
        """'pageview 0.1', with 'and N other rates' when wikis differ; 'not sampled' without sample."""
        stream = self.realms.get(realm)
        if stream is None or "sample.rate" not in stream.spreads:
            return "not sampled"
        rates = stream.spreads["sample.rate"]
        unit = self.setting(realm, "sample.unit")
        summary = (f"{unit} " if unit != NOT_SET else "") + _plain(rates.values[-1][0])
        others = len(rates.values) - 1
        return summary + (f" and {others} other rate{'s' if others > 1 else ''}" if others else "")


@dataclass(frozen=True)
class InstrumentView:
    """An instrument as one realm sees it."""

    realm: str
    start: datetime
    end: datetime
    unit: str
    rates: tuple[tuple[str, str], ...]  # (rate, on which wikis), the default last
    enabled: bool


@dataclass
class InstrumentRecord:
    name: str
    slug: str
    owner: str
    description: str
    task: str
    stream_name: str
    stream_key: str | None  # the stream key that serves stream_name, if any
    schema_title: str
    contextual_attributes: tuple[str, ...]
    location: Location
    realms: dict[str, InstrumentView] = field(default_factory=dict)
    history: list[HistoryEntry] = field(default_factory=list)

    @property
    def view(self) -> InstrumentView:
        """As the first realm that has it sees it (the root realm, for all but a realm's own)."""
        return next(iter(self.realms.values()))


@dataclass(frozen=True)
class Collected:
    """A stream as one wiki is served it."""

    sample: str  # 'pageview 0.1', or 'not sampled'
    embedded: bool  # EventLogging embeds its config


@dataclass
class WikiRecord:
    """What one wiki collects, by stream key; the wikis of one class share one `streams` object."""

    realm: str
    wiki: str
    tags: tuple[str, ...]
    streams: dict[str, Collected]


@dataclass
class Catalog:
    root_realm: str
    realm_sizes: dict[str, int]
    streams: dict[str, StreamRecord]  # by key, sorted
    teams: dict[str, Team]
    maintainers: str | None
    wikis: list[WikiRecord]
    realms: dict  # name -> Realm, for describing wiki sets
    instruments: dict[str, InstrumentRecord] = field(default_factory=dict)  # in the service's order

    def instruments_of(self, stream: str) -> list[InstrumentRecord]:
        return [instrument for instrument in self.instruments.values() if instrument.stream_key == stream]


def _plain(shown: str) -> str:
    return shown[1:-1] if shown.startswith('"') and shown.endswith('"') else shown


def slug(key: str) -> str:
    """A file name for a stream key: the key itself when it is safe, else a readable form with a
    short hash that keeps two keys apart."""
    safe = re.sub(r"[-.]*-[-.]*", "-", re.sub(r"[^A-Za-z0-9._-]+", "-", key)).strip("-.") or "stream"
    if safe == key:
        return key
    return f"{safe[:80]}-{hashlib.sha256(key.encode()).hexdigest()[:8]}"


def realm_streams(config: Config, realm: str) -> tuple[dict[str, RealmStream], list[WikiRecord]]:
    """Every stream of the realm with its values per wiki set, and every wiki's streams."""
    compiler = RealmCompiler(config, realm)
    configs: dict[str, dict[int, tuple[dict, list[str]]]] = {}
    embedded: dict[str, set[str]] = {}
    wikis: list[WikiRecord] = []
    shown = _Shown()
    for wiki_class in compiler.classes():
        body = compiler.api_body(wiki_class)
        for key, stream_config in body.configs.items():
            configs.setdefault(key, {}).setdefault(id(stream_config), (stream_config, []))[1].extend(wiki_class.wikis)
        embedded_keys = set()
        for name in compiler.eventlogging(wiki_class)[0]:
            key = name if name in body.configs else compiler.first_match(body.patterns, name)
            embedded.setdefault(key, set()).update(wiki_class.wikis)
            embedded_keys.add(key)
        collected = {key: Collected(shown.sample(stream_config.get("sample")), key in embedded_keys)
                     for key, stream_config in body.configs.items()}
        wikis += [WikiRecord(realm, wiki, compiler.wikis[wiki], collected) for wiki in wiki_class.wikis]
    streams = {key: _realm_stream(realm, list(by_config.values()), frozenset(embedded.get(key, ())), shown)
               for key, by_config in configs.items()}
    return streams, sorted(wikis, key=lambda record: record.wiki)


class _Shown:
    """Values as JSON text, each distinct value once: stream configs share their values."""

    def __init__(self) -> None:
        self.texts: dict[tuple, tuple[object, str]] = {}

    def __call__(self, value) -> str:
        key = (type(value), id(value)) if type(value) in (dict, list) else (type(value), value)
        if key not in self.texts:
            self.texts[key] = (value, show(value))  # the value is kept so that its id stays unique
        return self.texts[key][1]

    def sample(self, sample) -> str:
        if type(sample) is not dict or "rate" not in sample:
            return "not sampled"
        unit = sample.get("unit")
        return (f"{_plain(self(unit))} " if unit is not None else "") + self(sample["rate"])


def _realm_stream(realm: str, configs: list, embedded: frozenset[str], shown: _Shown) -> RealmStream:
    """A stream in a realm from its distinct configs and their wikis: each setting path with its
    values over the wikis. Wiki sets are unions of the configs' sets, each union made once: most
    paths have one value on the wikis of every config, and share one set."""
    sets = [frozenset(wikis) for _, wikis in configs]
    everywhere = frozenset().union(*sets)
    values: dict[str, dict[str, list[int]]] = {}
    for index, (stream_config, _) in enumerate(configs):
        for path, leaf in leaves({k: v for k, v in stream_config.items() if k != "stream"}):
            values.setdefault(".".join(map(str, path)), {}).setdefault(shown(leaf), []).append(index)
    unions: dict[tuple[int, ...], frozenset[str]] = {tuple(range(len(sets))): everywhere}
    spreads = {}
    for path, by_value in values.items():
        groups = {}
        for value, indexes in by_value.items():
            key = tuple(indexes)
            if key not in unions:
                unions[key] = frozenset().union(*(sets[index] for index in indexes))
            groups[value] = unions[key]
        if sum(map(len, groups.values())) < len(everywhere):  # a wiki has one value of a path, or none
            groups[NOT_SET] = everywhere.difference(*groups.values())
        ordered = sorted(groups.items(), key=lambda item: (len(item[1]), item[0]))
        spreads[path] = Spread(path, tuple(ordered))
    return RealmStream(realm, everywhere, embedded, spreads)


def build_catalog(config: Config, history: dict[tuple[str, str], list[HistoryEntry]] | None = None) -> Catalog:
    ownership = config.ownership
    declared = declared_streams(config)
    keys = list(declared)
    records: dict[str, StreamRecord] = {}
    wikis: list[WikiRecord] = []
    for realm in config.realms:
        streams, realm_wikis = realm_streams(config, realm)
        wikis += realm_wikis
        for key, stream in streams.items():
            if key not in records:
                records[key] = StreamRecord(key, slug(key), ownership.metadata_of(key, keys), declared.get(key),
                                            history=list((history or {}).get(("stream", key), ())))
            records[key].realms[realm] = stream
    return Catalog(config.root_realm, {name: len(realm.wikis) for name, realm in config.realms.items()},
                   dict(sorted(records.items())), ownership.teams, ownership.maintainers, wikis, config.realms,
                   instrument_records(config, keys, history or {}))


def instrument_records(config: Config, keys: list[str], history: dict) -> dict[str, InstrumentRecord]:
    """Every instrument of every realm, with what each realm sees of it; `keys` are the stream
    keys in the order they are read, to find the one that serves each instrument's stream."""
    streams = dict.fromkeys(keys)
    records: dict[str, InstrumentRecord] = {}
    for realm, by_name in config.instruments.items():
        wikis = Wikis(config.realms[realm])
        for name, instrument in by_name.items():
            fields = instrument.fields
            if name not in records:
                records[name] = InstrumentRecord(
                    name, slug(name), fields.get("owner", ""), fields.get("description", ""), fields.get("task", ""),
                    fields["stream_name"], find_stream(streams, fields["stream_name"], lambda pattern, name: None),
                    fields["schema_title"],
                    tuple(fields.get("contextual_attributes", ())), instrument.location(),
                    history=list(history.get(("instrument", name), ())))
            rates = instrument.rates
            listed = [(rate_text(rate), describe_wikis(set(wikis.expand(names)), config.realms[realm], realm))
                      for rate, names in rates.items() if rate != DEFAULT]
            records[name].realms[realm] = InstrumentView(
                realm, instrument.start, instrument.end, fields.get("sample.unit", "session"),
                tuple(listed) + ((rate_text(rates[DEFAULT]), "every other wiki" if listed else "every wiki"),),
                instrument.enabled)
    return records


def history_by_subject(entries) -> dict[tuple[str, str], list[HistoryEntry]]:
    """("stream", key) or ("instrument", name) -> its changes in `entries` (workflow.config_history,
    the code behind `log`), oldest first."""
    by_subject: dict[tuple[str, str], list[HistoryEntry]] = {}
    for entry in entries:
        split: dict[tuple[str, str], ChangeSet] = {}
        for change, wikis in entry.changes.changes.values():  # one pass: a commit may change every stream
            kept = split.setdefault(_subject(change), ChangeSet(realms=entry.changes.realms))
            if wikis:
                kept.add(change, tuple(wikis))
        for subject in sorted(split):
            by_subject.setdefault(subject, []).append(HistoryEntry(entry.revision, split[subject]))
    return by_subject


def _subject(change) -> tuple[str, str]:
    return ("instrument" if change.section == "instruments" else "stream", change.stream)
