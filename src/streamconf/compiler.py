"""From a validated Config to every wiki's bundles. Pure: no files are read or written here.

Wikis are grouped into classes by the keys that apply to them, and each setting is resolved once
per distinct walk. Rendering goes one level finer: a stream's config depends only on its key, its
resolved settings and the resolved defaults, and `merge` keeps values that no layer changes as the
same objects, so each distinct stream config is rendered and serialised once and shared by every
body that contains it. Bodies are joined from those serialised fragments. The cost grows with the
number of distinct configs and classes, not with wikis x streams.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from itertools import compress
from operator import itemgetter
from typing import Iterable, NamedTuple

from . import patterns as patterns_
from . import php_json, render
from .codes import diagnostic
from .diagnostics import ConfigError, Diagnostic, Location, shorten
from .instruments import schedule, timestamps
from .domains import host_map
from .feedback import stage
from .instruments.compile import instrument_files
from .manifest import Build
from .model import Config
from .resolve import SETTINGS, Step, Value, WikiClass, classify_wikis, replace_value, resolve_setting

STREAMCONFIGS = "streamconfigs.json"
EVENTLOGGING = "eventlogging.json"
SERVING = "serving.json"  # per realm: the host names of its wikis, and which stream configs give their own topics


@dataclass
class WikiView:
    """What one wiki is served, as data."""

    realm: str
    wiki: str
    settings: dict[str, Value]  # setting -> resolved value (None: absent)
    streamconfigs: dict
    eventlogging: dict


class StreamConfig(NamedTuple):
    config: dict
    item: bytes  # the stream's entry in the body's JSON: its key and serialised config
    embedded: tuple[dict, bytes]  # EventLogging's entry: `sample` and `producers`, and its bytes
    explicit_topics: bool  # whether the settings give `topics` (rather than their being computed)
    settings: dict  # kept alive, as configs are remembered by its identity


_FIRST, _SECOND, _EMBEDDED, _EXPLICIT_TOPICS = itemgetter(0), itemgetter(1), itemgetter(2), itemgetter(3)


@dataclass
class ApiBody:
    """One distinct `action=streamconfigs` body."""

    streams: dict[str, StreamConfig]  # stream key -> its config
    patterns: tuple[str, ...] = ()  # the pattern keys, in order
    data: bytes = b""
    explicit_topics: list[str] = field(default_factory=list)  # keys whose settings give `topics`

    @cached_property
    def configs(self) -> dict[str, dict]:
        return dict(zip(self.streams, map(_FIRST, self.streams.values())))

    @cached_property
    def fragments(self) -> dict[str, bytes]:
        """Stream key -> its serialised entry: two configs of one key are equal when these are."""
        return dict(zip(self.streams, map(_SECOND, self.streams.values())))


class Renderer:
    """Stream configs and their bytes, each made once and remembered by the identity of what it
    was made from. Every entry keeps its inputs alive, so no id is reused while the renderer lives.
    The realms of one build share a renderer: a realm built on another reads the same values."""

    def __init__(self) -> None:
        self.interned: dict[str, Value] = {}
        self.stream_configs_by_defaults: dict[int, tuple[Value, dict[tuple[str, int], StreamConfig]]] = {}
        self.items_of: dict[int, tuple[Value, dict[str, bytes]]] = {}
        self.topic_lists: dict[tuple[str, int], tuple[list[str], Value]] = {}
        self.replaced: dict[tuple[int, int], tuple[Value, Value, Value]] = {}
        self.fragments: dict[int, tuple[Value, bytes]] = {}
        self.scalars: dict[tuple[type, Value], bytes] = {}
        self.subsets: dict[tuple[int, ...], tuple[dict, tuple[dict, bytes]]] = {}

    def intern(self, value: Value) -> Value:
        """One object for equal values."""
        return self.interned.setdefault(json.dumps(value, separators=(",", ":")), value)

    def replace(self, default: Value, own: Value) -> Value:
        """render.replace_value, once per pair of values."""
        cache_key = (id(default), id(own))
        if cache_key not in self.replaced:
            self.replaced[cache_key] = (default, own, replace_value(default, own))
        return self.replaced[cache_key][2]

    def fragment(self, value: Value) -> bytes:
        """render.serialize_value, once per container and once per scalar value."""
        if type(value) is dict or type(value) is list:
            if id(value) not in self.fragments:
                self.fragments[id(value)] = (value, render.serialize_value(value))
            return self.fragments[id(value)][1]
        cache_key = (type(value), value)  # the type keeps true apart from 1, and 1 from 1.0
        if cache_key not in self.scalars:
            self.scalars[cache_key] = render.serialize_value(value)
        return self.scalars[cache_key]

    def items(self, value: dict) -> dict[str, bytes]:
        """Each key of a map with its serialised value, as in the map's JSON."""
        if id(value) not in self.items_of:
            self.items_of[id(value)] = (value, {key: render.json_key(key) + self.fragment(item) for key, item in value.items()})
        return self.items_of[id(value)][1]

    def stream_configs(self, keys: list[str], settings: list[dict], defaults: Value) -> list[StreamConfig]:
        """The configs of many streams under the same defaults. Those seen before are looked up by
        C-level maps, not a Python loop: a body of thousands of streams differs from the bodies
        before it in only a few."""
        known = self.stream_configs_by_defaults.setdefault(id(defaults), (defaults, {}))[1]
        cache_keys = list(zip(keys, map(id, settings)))
        found = list(map(known.get, cache_keys))
        if None in found:
            for index, entry in enumerate(found):
                if entry is None:
                    found[index] = known[cache_keys[index]] = self.stream_config(keys[index], settings[index], defaults)
        return found

    def stream_config(self, key: str, settings: dict, defaults: Value) -> StreamConfig:
        config = render.with_defaults(settings, defaults, self.replace)
        explicit_topics = config.get("topics") is not None
        render.with_stream_and_topics(key, config, make_topics=self.topics)
        if type(defaults) is dict and type(settings) is dict:
            # Joined from serialised items: the defaults' and the settings' own are made once per
            # object; only the keys both set, `stream` and `topics` differ from them.
            items = {**self.items(defaults), **self.items(settings)}
            for name in defaults.keys() & settings.keys() | {"stream", "topics"}:
                items[name] = render.json_key(name) + self.fragment(config[name])
            data = b"{" + b",".join(map(items.__getitem__, config)) + b"}"  # `stream` keeps it a map
        else:
            data = render.serialize_map(dict(zip(config, map(self.fragment, config.values()))))
        return StreamConfig(config, render.json_key(key) + data, self.subset(config), explicit_topics, settings)

    def topics(self, name: str, prefixes: Value) -> list[str]:
        """render.topics, one list per name and prefixes, so that its bytes are made once."""
        cache_key = (name, id(prefixes))
        if cache_key not in self.topic_lists:
            self.topic_lists[cache_key] = (render.topics(name, prefixes), prefixes)
        return self.topic_lists[cache_key][0]

    def subset(self, config: dict) -> tuple[dict, bytes]:
        """EventLogging's entry for a config, once per distinct pair of `sample` and `producers`."""
        subset = render.eventlogging_subset(config)
        cache_key = tuple(id(value) for value in subset.values()) + tuple(subset)
        if cache_key not in self.subsets:
            data = render.serialize_map({k: self.fragment(value) for k, value in subset.items()})
            self.subsets[cache_key] = (subset, (subset, data))
        return self.subsets[cache_key][1]


class MatchingStopped(ConfigError):
    """The run stopped matching with a pattern (patterns.MatchBudget) where a result needs it: the
    result cannot be exact, so it is not made (SC211)."""


def pattern_location(config: Config, key: str) -> Location:
    """Where the stream pattern `key` is first declared."""
    for by_setting in config.layers.values():
        for layer in by_setting.get("streams", {}).values():
            if key in render.stream_entries(layer.value):
                return layer.location((key,))
    return Location("streams")


def quoted_names(names: list[str]) -> str:
    """'N names (a, b, c)', each name cut to a bounded excerpt."""
    return f"{len(names)} names ({', '.join(repr(shorten(name)) for name in names[:3])})"


class RealmCompiler:
    """Resolves and renders one realm, remembering every result by what it was made from."""

    def __init__(self, config: Config, realm: str, renderer: Renderer | None = None) -> None:
        self.realm = realm
        self.config = config
        self.budget = config.match_budget
        self.keys = config.settings(realm)
        self.wikis = config.realms[realm].wikis
        self.renderer = renderer or Renderer()
        self.resolved: dict[tuple[str, tuple[Step, ...]], Value] = {}
        self.entries: dict[int, tuple[Value, dict[str, dict], tuple[str, ...]]] = {}
        self.matches: dict[tuple[tuple[str, ...], str], str | None] = {}  # (patterns, name) -> key
        self.bodies: dict[tuple, ApiBody] = {}
        self.embedded: dict[tuple, tuple[dict, bytes]] = {}
        self.warnings: list[Diagnostic] = []
        self._reported: set[tuple[str, str]] = set()
        self._all_classes: list[WikiClass] | None = None

    def setting(self, wiki_class: WikiClass, setting: str) -> Value:
        """The setting's value for the class."""
        return self.resolved_walk(setting, wiki_class.walk(setting))

    def resolved_walk(self, setting: str, walk: tuple[Step, ...]) -> Value:
        """The setting's value for the wikis that take the walk. Equal stream defaults are made one
        object, since stream configs are shared by the identity of the defaults they were rendered
        with."""
        cache_key = (setting, walk)
        if cache_key not in self.resolved:
            value = resolve_setting(self.keys[setting], walk)
            self.resolved[cache_key] = self.renderer.intern(value) if setting == "stream_defaults" else value
        return self.resolved[cache_key]

    def stream_config(self, key: str, settings: dict, defaults: Value) -> StreamConfig:
        """One stream's config, rendered once."""
        return self.renderer.stream_configs([key], [settings], defaults)[0]

    def stream_entries(self, streams: Value) -> tuple[dict[str, dict], tuple[str, ...]]:
        """render.stream_entries of a resolved streams setting, and its pattern keys in order."""
        if id(streams) not in self.entries:
            entries = render.stream_entries(streams)
            self.entries[id(streams)] = (streams, entries, tuple(k for k in entries if render.patterns.is_pattern(k)))
        return self.entries[id(streams)][1:]

    def api_body(self, wiki_class: WikiClass) -> ApiBody:
        cache_key = (wiki_class.walk("streams"), wiki_class.walk("stream_defaults"))
        if cache_key not in self.bodies:
            defaults = self.setting(wiki_class, "stream_defaults")
            entries, patterns = self.stream_entries(self.setting(wiki_class, "streams"))
            keys = list(entries)
            configs = self.renderer.stream_configs(keys, list(entries.values()), defaults)
            if keys and keys[0] == "0" and all(key == str(index) for index, key in enumerate(keys)):
                streams = render.serialize_map({key: entry.item[len(render.json_key(key)):] for key, entry in zip(keys, configs)})
            else:
                streams = b"{" + b",".join(map(_SECOND, configs)) + b"}"
            self.bodies[cache_key] = ApiBody(dict(zip(keys, configs)), patterns, b'{"streams":' + streams + b"}\n",
                                             list(compress(keys, map(_EXPLICIT_TOPICS, configs))))
        return self.bodies[cache_key]

    def matched(self, body: ApiBody, name: str) -> StreamConfig | None:
        """The config of the first pattern key of the body that matches `name`."""
        key = self.first_match(body.patterns, name)
        return None if key is None else body.streams[key]

    def first_match(self, patterns: tuple[str, ...], name: str) -> str | None:
        cache_key = (patterns, name)
        if cache_key not in self.matches:
            try:
                self.matches[cache_key] = render.find_stream(dict.fromkeys(patterns), name, self.match_limit,
                                                             self.budget.matches)
            except patterns_.PatternGivenUp as error:
                raise MatchingStopped([diagnostic(
                    "SC211", pattern_location(self.config, error.key),
                    f"pattern {error.key} exceeded PCRE2's match limit on {quoted_names(error.names)}, and streamconf "
                    f"stopped matching with it: it cannot tell, as PHP would, whether it matches {shorten(name)!r}",
                    "rewrite the pattern without nested or overlapping quantifiers (see SL008), or declare the "
                    "stream by name", (error.key,))]) from None
        return self.matches[cache_key]

    def eventlogging(self, wiki_class: WikiClass) -> tuple[dict, bytes]:
        if wiki_class.steps not in self.embedded:
            body = self.api_body(wiki_class)
            names = list(dict.fromkeys(render.names_of(self.setting(wiki_class, "eventlogging_streams"))))
            found = list(map(body.streams.get, names))
            if None in found:  # names of no stream key: a pattern may match them, or nothing
                if body.patterns:
                    found = [config or self.matched(body, name) for name, config in zip(names, found)]
                names = list(compress(names, found))
                found = list(filter(None, found))
            entries = list(map(_EMBEDDED, found))
            embedded = dict(zip(names, map(_FIRST, entries)))
            data = php_json.for_script(render.serialize_map(dict(zip(names, map(_SECOND, entries))))) + b"\n"
            self.embedded[wiki_class.steps] = (embedded, data)
        return self.embedded[wiki_class.steps]

    def match_limit(self, pattern: str, name: str) -> None:
        if (pattern, name) not in self._reported:
            self._reported.add((pattern, name))
            self.warnings.append(diagnostic(
                "SC101", Location(f"realm {self.realm}"),
                f"matching stream name {name!r} against {pattern} exceeded PCRE's match limit; "
                "like PHP's preg_match, it counts as no match",
                "simplify the pattern: nested or overlapping quantifiers backtrack catastrophically"))

    def classes(self, wikis: Iterable[str] | None = None) -> list[WikiClass]:
        """The classes of the given wikis (all of the realm's by default, computed once)."""
        if wikis is None:
            if self._all_classes is None:
                self._all_classes = classify_wikis(self.keys, self.wikis)
            return self._all_classes
        return classify_wikis(self.keys, {wiki: self.wikis[wiki] for wiki in wikis})

    def view(self, wiki: str) -> WikiView:
        (wiki_class,) = self.classes([wiki])
        return WikiView(self.realm, wiki, {s: self.setting(wiki_class, s) for s in SETTINGS},
                        {"streams": self.api_body(wiki_class).configs}, self.eventlogging(wiki_class)[0])


def selection(config: Config, realms: Iterable[str] | None = None, wikis: Iterable[str] | None = None) -> dict[str, list[str]]:
    """The selected realms and, in each, the selected wikis (by default all of them)."""
    wanted = None if wikis is None else set(wikis)
    return {realm: [wiki for wiki in config.realms[realm].wikis if wanted is None or wiki in wanted]
            for realm in realms or config.realms}


def compile_config(config: Config, realms: Iterable[str] | None = None, wikis: Iterable[str] | None = None,
                   at: datetime | None = None) -> Build:
    """Every selected wiki's bundles. `wikis` selects by id across the selected realms. A repository
    with instruments also gets their files, as the embedded maps are at `at` (default: now)."""
    build = Build()
    wanted = None if wikis is None else set(wikis)
    selected_wikis = selection(config, realms, wikis)
    realms = list(selected_wikis)
    if config.declares_instruments:
        at = at or timestamps.now()
        until = schedule.valid_until({realm: config.instruments.get(realm, {}) for realm in realms}, at)
        build.validity = {"at": timestamps.format_instant(at), "valid_until": until and timestamps.format_instant(until)}
    renderer = Renderer()
    for realm in realms:
        compiler = RealmCompiler(config, realm, renderer)
        selected = selected_wikis[realm]
        explicit_topics: dict[str, list[str]] = {}
        with stage(f"compiling {realm}", len(selected)) as advance:
            for wiki_class in compiler.classes(None if wanted is None else selected):
                body = compiler.api_body(wiki_class)
                embedded = compiler.eventlogging(wiki_class)[1]
                for wiki in wiki_class.wikis:
                    build.files[f"{realm}/{wiki}/{STREAMCONFIGS}"] = body.data
                    build.files[f"{realm}/{wiki}/{EVENTLOGGING}"] = embedded
                    if body.explicit_topics:
                        explicit_topics[wiki] = body.explicit_topics
                advance(len(wiki_class.wikis))
        if config.declares_instruments:
            build.files.update(instrument_files(config, realm, selected, at))
        build.realms[realm] = sorted(selected)
        build.serving[f"{realm}/{SERVING}"] = render.serialize({
            "base": config.realms[realm].base,
            "domains": host_map(config.realms[realm], selected),
            "explicit_topics": dict(sorted(explicit_topics.items())),
        })
        build.warnings.extend(compiler.warnings)
    build.files = dict(sorted(build.files.items()))
    return build
