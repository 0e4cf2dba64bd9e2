"""Where each value of a wiki's effective stream config comes from, and why other layers that set
the same path did not win.

Provenance is found with the real resolver, not a second copy of the rules: for each leaf and each
layer that sets it, the layer's value is removed and the setting resolved again. The layers whose
removal changes the leaf are the ones that set it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from .compiler import RealmCompiler
from .diagnostics import Location
from .model import Config, Layer
from .render import find_stream, names_of, stream_config, stream_entries
from .resolve import DEFAULT, PLUS_TAG, PLUS_WIKI, TAG, WIKI, Step, Value, applicable_keys, is_array, resolve_setting
from .values import MISSING, get_path, leaves, present_part, show, without_path


Locate = Callable[[Value], "tuple | None"]
"""Where a layer's value sets what is explained (a path in it), or None when it does not."""


def dotted(setting: str, path: tuple) -> str:
    """A path inside a setting as users write it: below the stream key for `streams`."""
    return ".".join(map(str, path[1:] if setting == "streams" else path))


def at_path(path: tuple) -> Locate:
    return lambda value: path if get_path(value, path) is not MISSING else None


def listing(name: str) -> Locate:
    """Where a list of stream names (a list, or a map after a `+` merge) holds `name`."""
    def locate(names: Value) -> tuple | None:
        items = enumerate(names) if type(names) is list else names.items() if type(names) is dict else ()
        return next(((index,) for index, item in items if item == name), None)
    return locate


@dataclass
class Source:
    """A layer that sets a path: where, under which key, in which realm, and its value there."""

    realm: str
    setting: str
    key: str
    location: Location
    value: Value
    revision: Any = None  # a git.repository.Revision, with --blame


@dataclass
class Explanation:
    path: tuple
    value: Value
    setters: list[Source] = field(default_factory=list)
    shadowed: list[tuple[Source, str]] = field(default_factory=list)
    note: str = ""

    @property
    def absent(self) -> bool:
        """The stream has no value at the path: `shadowed` lists the layers that would set it."""
        return self.value is MISSING


@dataclass
class Embedding:
    """Why EventLogging embeds a stream name on a wiki, or why not."""

    name: str
    embedded: Value  # the config EventLogging embeds, or None
    verdict: str
    listed_by: list[Source] = field(default_factory=list)  # the keys the wiki reads that list the name
    not_read: list[tuple[Source, str]] = field(default_factory=list)  # keys that list it, unread, and why
    key: str | None = None  # the stream key whose config the name gets: the name, a pattern, or none


class Explainer:
    def __init__(self, config: Config, realm: str, wiki: str) -> None:
        self.config = config
        self.realm = realm
        self.wiki = wiki
        self.tags = config.realms[realm].wikis[wiki]
        self.compiler = RealmCompiler(config, realm)
        self.keys = self.compiler.keys

    def walk(self, setting: str) -> tuple[Step, ...]:
        return applicable_keys(self.keys[setting], self.wiki, self.tags)

    def source(self, setting: str, key: str, path: tuple) -> Source:
        layer: Layer = self.config.layer(self.realm, setting, key)
        return Source(layer.realm, setting, key, layer.location(path), get_path(layer.value, path))

    def attribute(self, setting: str, path: tuple, effective: Value) -> tuple[list[Source], list[tuple[Source, str]]]:
        """The layers of `setting` that set `path` for this wiki, and those that do not take effect."""
        walk = self.walk(setting)
        keys = self.keys[setting]
        candidates = [step for step in walk if get_path(keys[step.key], path) is not MISSING]
        setters = []
        for step in candidates:
            trial = dict(keys)
            trial[step.key] = without_path(keys[step.key], path)
            if get_path(resolve_setting(trial, walk), path) != effective:
                setters.append(step)
        if not setters:
            setters = [step for step in candidates if get_path(keys[step.key], path) == effective][:1]
        winner = self.source(setting, setters[0].key, path) if setters else None
        cut = self.cut(setting, path) if winner is None and candidates and effective is MISSING else ""
        shadowed = []
        for step in candidates:
            if step not in setters:
                source = self.source(setting, step.key, path)
                shadowed.append((source, self.reason(source, step, walk, winner, cut)))
        shadowed += self.unread(setting, at_path(path), walk) + self.replaced_in_base(setting, at_path(path))
        return [self.source(setting, step.key, path) for step in setters], shadowed

    def reason(self, source: Source, step: Step, walk: tuple[Step, ...], winner: Source | None, cut: str) -> str:
        """Why a layer that sets the path does not decide it, in words; `cut` says what removes a
        path that no layer decides."""
        if winner is None:
            return f"`{step.key}` value {show(source.value)} at {source.location} does not take effect on {self.wiki}" + \
                (f": {cut}" if cut else "")
        merging = step.action in (PLUS_WIKI, PLUS_TAG)
        if source.value is False and merging:
            return (f"`false` at {source.location} under `{step.key}` does not hold: a `+` merge lets the "
                    f"`{winner.key}` value {show(winner.value)} replace a `false`")
        if source.value is None and merging:
            return (f"`null` at {source.location} under `{step.key}` counts as unset in a `+` merge: "
                    f"the `{winner.key}` value fills it")
        this = f"`{step.key}` value {show(source.value)} at {source.location}"
        if walk.index(step) > [s.key for s in walk].index(winner.key):
            return f"{this} is shadowed by `{winner.key}`, which comes first"
        return f"{this} is replaced by `{winner.key}` at {winner.location}"

    def cut(self, setting: str, path: tuple) -> str:
        """What removes `path` from the resolved setting although a layer the wiki reads sets it:
        the layer that sets the deepest part of the path still there to a value that holds nothing
        below it (a `false`, a number, a string)."""
        resolved = resolve_setting(self.keys[setting], self.walk(setting))
        part = present_part(resolved, path)
        value = get_path(resolved, part)
        return f"{self.setter_of(setting, part, value)} sets {dotted(setting, part)} to {show(value)}, which holds nothing below it"

    def setter_of(self, setting: str, path: tuple, value: Value) -> str:
        setters, _ = self.attribute(setting, path, value)
        return f"`{setters[0].key}` at {setters[0].location} ({setters[0].realm})" if setters else "the merge"

    def applying(self) -> list[str]:
        """Every key that names the wiki, one of its tags, or `default`."""
        return [self.wiki, "+" + self.wiki] + [p + tag for tag in self.tags for p in ("", "+")] + [DEFAULT]

    def unread(self, setting: str, locate: Locate, walk: tuple[Step, ...]) -> list[tuple[Source, str]]:
        """Keys that would apply to the wiki and set what `locate` finds, but that the walk never reads."""
        read = {step.key for step in walk}
        last = walk[-1] if walk else None
        found = []
        for key in self.applying():
            path = locate(self.keys[setting][key]) if key in self.keys[setting] and key not in read else None
            if path is None:
                continue
            source = self.source(setting, key, path)
            this = f"`{key}` value {show(source.value)} at {source.location} is not read"
            if last is not None and last.action == WIKI:
                why = f"{this}: the plain key `{last.key}` replaces the whole {setting} setting for {self.wiki}"
            elif last is not None and last.action == TAG:
                why = f"{this}: the plain tag key `{last.key}` comes earlier in {self.wiki}'s tags and ends the walk"
            else:
                why = this
            found.append((source, why))
        return found

    def replaced_in_base(self, setting: str, locate: Locate) -> list[tuple[Source, str]]:
        """Keys of the base realm that set what `locate` finds for the wiki but that this realm never
        reads: a realm's own key replaces the base realm's key of the same name whole, and `replace`
        drops every base key of a setting."""
        spec = self.config.realms[self.realm]
        if spec.base is None:
            return []
        own = self.config.layers.get(self.realm, {}).get(setting, {})
        found = []
        for key in self.applying():
            base = self.config.layer(spec.base, setting, key)
            path = locate(base.value) if base is not None else None
            if path is None or setting not in spec.replace and key not in own:
                continue
            value = get_path(base.value, path)
            this = f"`{key}` value {show(value)} at {base.location(path)} ({base.realm}) is not read in {self.realm}"
            if setting in spec.replace:
                why = f"{this}: {self.realm} replaces the whole {setting} setting of {spec.base} (`replace` at {spec.location})"
            else:
                mine = locate(own[key].value)
                instead = "which does not set it" if mine is None else f"which sets it to {show(get_path(own[key].value, mine))}"
                why = (f"{this}: it is replaced whole by {self.realm}'s own `{key}` at {own[key].location()}, {instead} "
                       f"(a realm's key replaces its base realm's key of the same name)")
            found.append((Source(base.realm, setting, key, base.location(path), value), why))
        return found

    def embedding(self, name: str) -> Embedding:
        """Which keys of the EventLogging names list the wiki reads name `name`, which do not count,
        and which stream config the name gets."""
        setting, locate = "eventlogging_streams", listing(name)
        walk, keys, view = self.walk(setting), self.keys[setting], self.compiler.view(self.wiki)
        listed_by = [self.source(setting, step.key, path) for step in walk if (path := locate(keys[step.key])) is not None]
        not_read = self.unread(setting, locate, walk) + self.replaced_in_base(setting, locate)
        key = find_stream(stream_entries(view.settings["streams"]), name, lambda *_: None)
        embedded = view.eventlogging.get(name)
        if embedded is not None:
            by = f"the stream key `{key}`" if key == name else f"the pattern {key}"
            verdict = f"embedded on {self.wiki}: listed by {' and '.join(f'`{s.key}`' for s in listed_by)}, configured by {by}"
        elif name in names_of(view.settings[setting]):
            verdict = (f"not embedded on {self.wiki}: listed, but no stream config of {self.wiki} is or matches {name!r}, "
                       "and EventLogging leaves out a name without one")
        else:
            verdict = f"not embedded on {self.wiki}: no key of the EventLogging names that {self.wiki} reads lists it"
        return Embedding(name, embedded, verdict, listed_by, not_read, key)

    def explain(self, name: str, prefix: tuple = ()) -> tuple[str, list[Explanation]]:
        view = self.compiler.view(self.wiki)
        entries = stream_entries(view.settings["streams"])
        key = find_stream(entries, name, lambda *_: None)
        if key is None:
            raise KeyError(name)
        defaults = view.settings["stream_defaults"]
        effective = stream_config(key, entries[key], defaults, name)
        found = []
        for path, value in leaves(effective):
            if path[: len(prefix)] != prefix:
                continue
            found.append(self.explain_leaf(key, entries[key], defaults, path, value))
        if not found and prefix:
            found = self.explain_absent(key, defaults, effective, prefix)
        return key, found

    def explain_absent(self, key: str, defaults: Value, effective: Value, path: tuple) -> list[Explanation]:
        """Why a stream has no value at `path` on the wiki: every layer that would set it, and what
        keeps each from taking effect. Empty when no layer sets it anywhere."""
        _, shadowed = self.attribute("streams", (key,) + path, MISSING)
        default = get_path(defaults, path) if is_array(defaults) else MISSING
        if default is MISSING:
            shadowed += self.attribute("stream_defaults", path, MISSING)[1]
        else:
            part = present_part(effective, path)
            by = self.setter_of("streams", (key,) + part, get_path(effective, part))
            setters, unread = self.attribute("stream_defaults", path, default)
            shadowed += [(source, f"the stream default {show(source.value)} at {source.location} (`{source.key}`) does not "
                                  f"take effect: the stream's own {by} sets {dotted('stream_defaults', part)} to "
                                  f"{show(get_path(effective, part))}, which replaces the defaults below it")
                         for source in setters] + unread
        if not shadowed:
            return []
        would = ", ".join(f"`{source.key}` at {source.location} ({source.realm})" for source, _ in shadowed)
        return [Explanation(path, MISSING, shadowed=shadowed,
                            note=f"absent on {self.wiki}: {would} would set it, but "
                                 f"{'it does not take' if len(shadowed) == 1 else 'none of them takes'} effect there")]

    def explain_leaf(self, key: str, settings: dict, defaults: Value, path: tuple, value: Value) -> Explanation:
        explanation = Explanation(path, value)
        own = get_path(settings, path)
        default = get_path(defaults, path) if is_array(defaults) else MISSING
        if path == ("stream",):
            explanation.note = f"set by the compiler to the stream key {show(key)}"
        elif path[0] == "topics" and own is MISSING and default in (MISSING, None):
            explanation.note = "made by the compiler from topic_prefixes and the stream name"
        elif own is not MISSING:
            explanation.setters, explanation.shadowed = self.attribute_with_values("streams", (key,) + path)
            if default is not MISSING:
                defaults_setters, _ = self.attribute_with_values("stream_defaults", path)
                if type(own) is list and type(default) is list and len(own) < len(default):
                    explanation.setters += defaults_setters
                    explanation.note = (f"stream defaults are applied item by item: the stream's {show(own)} over the "
                                        f"default {show(default)} gives {show(value)}")
                else:
                    explanation.shadowed += [(source, f"the stream default {show(source.value)} at {source.location} "
                                                      f"(`{source.key}`) is replaced by the stream's own value")
                                             for source in defaults_setters]
        else:
            explanation.setters, explanation.shadowed = self.attribute_with_values("stream_defaults", path)
            explanation.note = "from the stream defaults: the stream does not set it"
        return explanation

    def attribute_with_values(self, setting: str, path: tuple) -> tuple[list[Source], list[tuple[Source, str]]]:
        resolved = resolve_setting(self.keys[setting], self.walk(setting))
        return self.attribute(setting, path, get_path(resolved, path))
