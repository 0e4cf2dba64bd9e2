"""From a validated Config to every wiki's bundles. Pure: no files are read or written here.

Wikis are grouped into classes by the keys that apply to them, each setting is resolved once per
distinct walk, and each distinct bundle is rendered and serialised once: the cost grows with the
number of distinct classes, not with wikis x streams.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from . import render
from .diagnostics import WARNING, Diagnostic, Location
from .model import Config
from .resolve import SETTINGS, Step, Value, WikiClass, classify_wikis, resolve_setting

STREAMCONFIGS = "streamconfigs.json"
EVENTLOGGING = "eventlogging.json"


@dataclass
class Build:
    """The compiled output: path under the output directory -> bytes. Wikis that are served the
    same bundle share one bytes object."""

    files: dict[str, bytes] = field(default_factory=dict)
    realms: dict[str, list[str]] = field(default_factory=dict)
    warnings: list[Diagnostic] = field(default_factory=list)


@dataclass
class WikiView:
    """What one wiki is served, as data."""

    realm: str
    wiki: str
    settings: dict[str, Value]  # setting -> resolved value (None: absent)
    streamconfigs: dict
    eventlogging: dict


class RealmCompiler:
    """Resolves and renders one realm, remembering every result by the walk that produced it."""

    def __init__(self, config: Config, realm: str) -> None:
        self.realm = realm
        self.keys = config.settings(realm)
        self.wikis = config.realms[realm].wikis
        self.resolved: dict[tuple[str, tuple[Step, ...]], Value] = {}
        self.rendered: dict[tuple, tuple[dict, bytes]] = {}
        self.warnings: list[Diagnostic] = []
        self._reported: set[tuple[str, str]] = set()

    def setting(self, wiki_class: WikiClass, setting: str) -> Value:
        walk = wiki_class.walk(setting)
        cache_key = (setting, walk)
        if cache_key not in self.resolved:
            self.resolved[cache_key] = resolve_setting(self.keys[setting], walk)
        return self.resolved[cache_key]

    def streamconfigs(self, wiki_class: WikiClass) -> tuple[dict, bytes]:
        cache_key = (wiki_class.walk("streams"), wiki_class.walk("stream_defaults"))
        if cache_key not in self.rendered:
            entries = render.stream_entries(self.setting(wiki_class, "streams"))
            body = render.streamconfigs(entries, self.setting(wiki_class, "stream_defaults"))
            self.rendered[cache_key] = (body, render.serialize(body))
        return self.rendered[cache_key]

    def eventlogging(self, wiki_class: WikiClass) -> tuple[dict, bytes]:
        cache_key = wiki_class.steps
        if cache_key not in self.rendered:
            api = self.streamconfigs(wiki_class)[0]["streams"]
            embedded = render.eventlogging(self.setting(wiki_class, "eventlogging_streams"), api, self.match_limit)
            self.rendered[cache_key] = (embedded, render.serialize(embedded))
        return self.rendered[cache_key]

    def match_limit(self, pattern: str, name: str) -> None:
        if (pattern, name) not in self._reported:
            self._reported.add((pattern, name))
            self.warnings.append(Diagnostic(
                Location(f"realm {self.realm}"),
                f"matching stream name {name!r} against {pattern} exceeded PCRE's match limit; "
                "like PHP's preg_match, it counts as no match",
                "simplify the pattern: nested or overlapping quantifiers backtrack catastrophically",
                severity=WARNING, code="SC101"))

    def classes(self, wikis: Iterable[str] | None = None) -> list[WikiClass]:
        selected = self.wikis if wikis is None else {wiki: self.wikis[wiki] for wiki in wikis}
        return classify_wikis(self.keys, selected)

    def view(self, wiki: str) -> WikiView:
        (wiki_class,) = self.classes([wiki])
        return WikiView(self.realm, wiki, {s: self.setting(wiki_class, s) for s in SETTINGS},
                        self.streamconfigs(wiki_class)[0], self.eventlogging(wiki_class)[0])


def compile_config(config: Config, realms: Iterable[str] | None = None, wikis: Iterable[str] | None = None) -> Build:
    """Every selected wiki's bundles. `wikis` selects by id across the selected realms."""
    build = Build()
    wanted = None if wikis is None else set(wikis)
    for realm in realms or config.realms:
        compiler = RealmCompiler(config, realm)
        selected = [wiki for wiki in compiler.wikis if wanted is None or wiki in wanted]
        for wiki_class in compiler.classes(selected):
            api = compiler.streamconfigs(wiki_class)[1]
            embedded = compiler.eventlogging(wiki_class)[1]
            for wiki in wiki_class.wikis:
                build.files[f"{realm}/{wiki}/{STREAMCONFIGS}"] = api
                build.files[f"{realm}/{wiki}/{EVENTLOGGING}"] = embedded
        build.realms[realm] = sorted(selected)
        build.warnings.extend(compiler.warnings)
    build.files = dict(sorted(build.files.items()))
    return build
