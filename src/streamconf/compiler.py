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
from typing import Iterable

from . import render
from .codes import diagnostic
from .diagnostics import Diagnostic, Location
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


@dataclass
class ApiBody:
    """One distinct `action=streamconfigs` body, and EventLogging's entries looked up in it."""

    configs: dict[str, dict]  # stream key -> config
    fragments: dict[str, bytes]  # stream key -> serialised config
    data: bytes = b""
    patterns: tuple[str, ...] = ()  # the pattern keys, in order
    embedded: dict[str, tuple[dict, bytes] | None] = field(default_factory=dict)  # name -> entry, or None
    explicit_topics: list[str] = field(default_factory=list)  # keys whose settings give `topics`


class RealmCompiler:
    """Resolves and renders one realm, remembering every result by what it was made from."""

    def __init__(self, config: Config, realm: str) -> None:
        self.realm = realm
        self.keys = config.settings(realm)
        self.wikis = config.realms[realm].wikis
        self.resolved: dict[tuple[str, tuple[Step, ...]], Value] = {}
        self.interned: dict[str, Value] = {}
        # Results remembered by the identity of what they were made from. Every entry keeps its
        # inputs alive, so no id is reused while the compiler lives.
        self.stream_configs: dict[tuple[str, int, int], tuple[Value, Value, dict, bytes, bool]] = {}
        self.replaced: dict[tuple[int, int], tuple[Value, Value, Value]] = {}
        self.fragments: dict[int, tuple[Value, bytes]] = {}
        self.scalars: dict[tuple[type, Value], bytes] = {}
        self.entries: dict[int, tuple[Value, dict[str, dict], tuple[str, ...]]] = {}
        self.subsets: dict[tuple[int, ...], tuple[dict, tuple[dict, bytes]]] = {}
        self.matches: dict[tuple[tuple[str, ...], str], str | None] = {}  # (patterns, name) -> key
        self.bodies: dict[tuple, ApiBody] = {}
        self.embedded: dict[tuple, tuple[dict, bytes]] = {}
        self.warnings: list[Diagnostic] = []
        self._reported: set[tuple[str, str]] = set()
        self._all_classes: list[WikiClass] | None = None

    def setting(self, wiki_class: WikiClass, setting: str) -> Value:
        """The setting's value for the class. Equal stream defaults are made one object, since
        stream configs are shared by the identity of the defaults they were rendered with."""
        cache_key = (setting, wiki_class.walk(setting))
        if cache_key not in self.resolved:
            value = resolve_setting(self.keys[setting], cache_key[1])
            if setting == "stream_defaults":
                value = self.interned.setdefault(json.dumps(value, separators=(",", ":")), value)
            self.resolved[cache_key] = value
        return self.resolved[cache_key]

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

    def stream_config(self, key: str, settings: dict, defaults: Value) -> tuple[dict, bytes, bool]:
        """A stream's config, its bytes, built from shared top-level values and their bytes, and
        whether its settings give the topics (rather than the topics being computed)."""
        cache_key = (key, id(settings), id(defaults))
        if cache_key not in self.stream_configs:
            config = render.with_defaults(settings, defaults, self.replace)
            explicit_topics = config.get("topics") is not None
            render.with_stream_and_topics(key, config)
            data = render.serialize_map({k: self.fragment(value) for k, value in config.items()})
            self.stream_configs[cache_key] = (settings, defaults, config, data, explicit_topics)
        return self.stream_configs[cache_key][2:]

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
            body = ApiBody({}, {}, patterns=patterns)
            for key, settings in entries.items():
                body.configs[key], body.fragments[key], explicit = self.stream_config(key, settings, defaults)
                if explicit:
                    body.explicit_topics.append(key)
            body.data = b'{"streams":' + render.serialize_map(body.fragments) + b"}\n"
            self.bodies[cache_key] = body
        return self.bodies[cache_key]

    def embedded_entry(self, body: ApiBody, name: str) -> tuple[dict, bytes] | None:
        if name not in body.embedded:
            key = name if name in body.configs else self.first_match(body.patterns, name)
            body.embedded[name] = None if key is None else self.subset(body.configs[key])
        return body.embedded[name]

    def first_match(self, patterns: tuple[str, ...], name: str) -> str | None:
        cache_key = (patterns, name)
        if cache_key not in self.matches:
            self.matches[cache_key] = render.find_stream(dict.fromkeys(patterns), name, self.match_limit)
        return self.matches[cache_key]

    def subset(self, config: dict) -> tuple[dict, bytes]:
        """EventLogging's entry for a config, once per distinct pair of `sample` and `producers`."""
        subset = render.eventlogging_subset(config)
        cache_key = tuple(id(value) for value in subset.values()) + tuple(subset)
        if cache_key not in self.subsets:
            data = render.serialize_map({k: self.fragment(value) for k, value in subset.items()})
            self.subsets[cache_key] = (subset, (subset, data))
        return self.subsets[cache_key][1]

    def eventlogging(self, wiki_class: WikiClass) -> tuple[dict, bytes]:
        if wiki_class.steps not in self.embedded:
            body = self.api_body(wiki_class)
            names = self.setting(wiki_class, "eventlogging_streams")
            entries: dict[str, tuple[dict, bytes]] = {}
            for name in render.names_of(names):
                entry = self.embedded_entry(body, name)
                if entry is not None:
                    entries[name] = entry
            embedded = {name: entry[0] for name, entry in entries.items()}
            data = render.serialize_map({name: entry[1] for name, entry in entries.items()}) + b"\n"
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


def compile_config(config: Config, realms: Iterable[str] | None = None, wikis: Iterable[str] | None = None,
                   at: datetime | None = None) -> Build:
    """Every selected wiki's bundles. `wikis` selects by id across the selected realms. A repository
    with instruments also gets their files, as the embedded maps are at `at` (default: now)."""
    build = Build()
    wanted = None if wikis is None else set(wikis)
    realms = list(realms or config.realms)
    if config.declares_instruments:
        at = at or timestamps.now()
        until = schedule.valid_until({realm: config.instruments.get(realm, {}) for realm in realms}, at)
        build.validity = {"at": timestamps.format_instant(at), "valid_until": until and timestamps.format_instant(until)}
    for realm in realms:
        compiler = RealmCompiler(config, realm)
        selected = [wiki for wiki in compiler.wikis if wanted is None or wiki in wanted]
        explicit_topics: dict[str, list[str]] = {}
        with stage(f"compiling {realm}", len(selected)) as advance:
            for wiki_class in compiler.classes(selected):
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
