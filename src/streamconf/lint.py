"""Lint rules: the mistakes that are valid YAML and still wrong, most of them hidden by the merge
rules. One function per rule, registered with an id, a name and a severity; its docstring is what
`streamconf rules` shows. Rules read the validated Config and never change it.

Turn a rule off for the repository in streamconf.yaml (`rules: {disable: [SL006]}`), or for one
line with `# streamconf: disable=SL006` on it (`disable-next-line=` on the line before).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Callable, Iterator

from . import patterns
from .instruments import timestamps
from .spelling import close_names
from .compiler import RealmCompiler
from .diagnostics import ERROR, NOTICE, WARNING, Diagnostic, Location, sort_key
from .diff import describe_wikis
from .explain import MISSING, get_path, leaves, show
from .model import Config, Layer
from .render import names_of, stream_entries
from .resolve import DEFAULT, PLUS_TAG, PLUS_WIKI, SETTINGS, TAG, WIKI, Step, Value, resolve_setting
from .validate import did_you_mean, schemas, unknown_key_problem


@dataclass
class Finding:
    location: Location
    message: str
    hint: str = ""
    path: tuple = ()


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    severity: str
    check: Callable[["Context"], Iterator[Finding]]
    local: bool  # judges each layer alone, so it is sound even when other files are broken

    @property
    def summary(self) -> str:
        return " ".join((self.check.__doc__ or "").strip().split("\n\n")[0].split())

    @property
    def doc(self) -> str:
        return (self.check.__doc__ or "").strip()


RULES: dict[str, Rule] = {}


def rule(rule_id: str, name: str, severity: str, local: bool = False):
    def register(check: Callable[["Context"], Iterator[Finding]]):
        RULES[rule_id] = Rule(rule_id, name, severity, check, local)
        return check
    return register


# What the rules look at -------------------------------------------------------------------------


@dataclass
class RealmView:
    """One realm: its compiler, and per setting the distinct walks with the wikis that take them."""

    name: str
    compiler: RealmCompiler
    walks: dict[str, dict[tuple[Step, ...], list[str]]] = field(default_factory=dict)


class Context:
    def __init__(self, config: Config, root: Path | None, schema_repository: Path | None = None,
                 at: datetime | None = None) -> None:
        self.config = config
        self.root = root
        self.at = at or timestamps.now()  # the instant instruments are judged at
        self.settings = config.repository
        repository = schema_repository or (root / self.settings.schema_repository
                                           if root is not None and self.settings.schema_repository else None)
        self.schema_repository = repository

    @cached_property
    def realms(self) -> list[RealmView]:
        views = []
        for name in self.config.realms:
            compiler = RealmCompiler(self.config, name)
            view = RealmView(name, compiler, {setting: {} for setting in SETTINGS})
            for wiki_class in compiler.classes():
                for setting in SETTINGS:
                    view.walks[setting].setdefault(wiki_class.walk(setting), []).extend(wiki_class.wikis)
            views.append(view)
        return views

    def own_layers(self, setting: str) -> Iterator[tuple[RealmView, Layer]]:
        """Every layer as the realm that declares it, with that realm's view."""
        for view in self.realms:
            for layer in self.config.layers.get(view.name, {}).get(setting, {}).values():
                yield view, layer

    def layer(self, realm: str, setting: str, key: str) -> Layer:
        return self.config.layer(realm, setting, key)

    def wikis(self, wikis, realm: str) -> str:
        return describe_wikis(set(wikis), self.config.realms[realm], realm)


def stream_leaves(value: Value) -> Iterator[tuple[tuple, Value]]:
    """(path, leaf) for every stream of a streams value, paths starting with the stream key."""
    if type(value) is dict:
        for key, settings in value.items():
            for path, leaf in leaves(settings):
                yield (key,) + path, leaf


def setting_leaves(setting: str, value: Value) -> Iterator[tuple[tuple, Value]]:
    return stream_leaves(value) if setting == "streams" else iter(leaves(value) if type(value) is dict else ())


# The rules --------------------------------------------------------------------------------------


@rule("SL001", "unknown-key", ERROR, local=True)
def unknown_key(context: Context) -> Iterator[Finding]:
    """A key names a wiki or tag that the realm's registry does not know.

    Such a key applies to no wiki: a typo (`+enwikii`) silently does nothing. Add the wiki or tag
    to realms/<realm>.yaml, or fix the key."""
    for setting in SETTINGS:
        for view, layer in context.own_layers(setting):
            problem = unknown_key_problem(context.config.realms[view.name], layer.key)
            if problem:
                yield Finding(layer.location(), *problem, (layer.key,))


@rule("SL002", "undeclared-stream", ERROR)
def undeclared_stream(context: Context) -> Iterator[Finding]:
    """An override names a stream that no layer declares for that realm.

    A stream is declared by a layer that gives it a schema_title. An override of an undeclared
    stream (often a typo of a stream name) gives its wikis a half-config stream with no
    schema_title and no destination."""
    for view in context.realms:
        keys = view.compiler.keys["streams"]
        declared = {name for value in keys.values() for name, settings in stream_entries(value).items()
                    if "schema_title" in settings}
        for layer in context.config.layers.get(view.name, {}).get("streams", {}).values():
            for name in stream_entries(layer.value):
                if name not in declared:
                    yield Finding(layer.location((name,)),
                                  f"`{layer.key}` sets stream {name!r}, which no layer of realm {view.name!r} declares: "
                                  "its wikis get a stream without schema_title",
                                  did_you_mean(name, declared) or "declare the stream in streams/ first", (layer.key, name))


def _ineffective(context: Context, value_kind: object) -> Iterator[Finding]:
    word = "false" if value_kind is False else "null"
    for setting in ("streams", "stream_defaults"):
        for view, layer in context.own_layers(setting):
            if not layer.key.startswith("+"):
                continue
            targets = [(path, leaf) for path, leaf in setting_leaves(setting, layer.value) if leaf is value_kind]
            if not targets:
                continue
            for walk, wikis in view.walks[setting].items():
                step = next((s for s in walk if s.key == layer.key and s.action in (PLUS_WIKI, PLUS_TAG)), None)
                if step is None:
                    continue
                resolved = resolve_setting(view.compiler.keys[setting], walk)
                for path, _ in targets:
                    winning = get_path(resolved, path)
                    if winning is value_kind or winning is MISSING:
                        continue
                    later = walk[walk.index(step) + 1:]
                    source = next((s for s in later if get_path(view.compiler.keys[setting][s.key], path) is not MISSING), None)
                    where = f"the `{source.key}` value {show(winning)} at {context.layer(view.name, setting, source.key).location(path)}" \
                        if source else f"the value {show(winning)}"
                    what = "does not hold" if value_kind is False else "counts as unset"
                    verb = "replaces it" if value_kind is False else "fills it"
                    yield Finding(layer.location(path),
                                  f"`{word}` under `{layer.key}` {what} on {context.wikis(wikis, view.name)}: "
                                  f"in a `+` merge {where} {verb}",
                                  "a `+` merge cannot unset a value: give these wikis a plain key with the whole setting, "
                                  "or stop setting the value in the lower layer", (layer.key,) + path)


@rule("SL003", "ineffective-false", WARNING)
def ineffective_false(context: Context) -> Iterator[Finding]:
    """A `false` under a `+` key that a lower layer's value replaces.

    In a `+` merge a higher layer's `false` does not hold: when a lower layer (a later tag, or
    `default`) sets the same key, its value wins. `0`, `''` and `true` do hold."""
    yield from _ineffective(context, False)


@rule("SL004", "ineffective-null", WARNING)
def ineffective_null(context: Context) -> Iterator[Finding]:
    """A `null` under a `+` key that a lower layer fills.

    In a `+` merge a `null` counts as unset: the lower layer's value takes its place. A `null`
    cannot remove a setting that a lower layer gives."""
    yield from _ineffective(context, None)


@rule("SL005", "unread-key", WARNING)
def unread_key(context: Context) -> Iterator[Finding]:
    """A key that applies to wikis but that none of them ever reads.

    A `+<wiki>` key is not read when a plain `<wiki>` key exists; a tag key is not read when every
    wiki with that tag meets an earlier plain tag key (or its own plain key) first; `default` is
    not read when every wiki stops earlier."""
    for setting in SETTINGS:
        for view, layer in context.own_layers(setting):
            realm = context.config.realms[view.name]
            name = layer.key.removeprefix("+")
            applies_to = list(realm.wikis) if layer.key == DEFAULT else \
                [w for w, tags in realm.wikis.items() if w == name or name in tags]
            if not applies_to:
                continue
            read = any(step.key == layer.key for walk in view.walks[setting] for step in walk)
            if read:
                continue
            stoppers = {walk[-1].key for walk, wikis in view.walks[setting].items()
                        if walk and walk[-1].action in (WIKI, TAG) and set(wikis) & set(applies_to)}
            reason = ", ".join(f"`{key}` at {context.layer(view.name, setting, key).location()}" for key in sorted(stoppers))
            yield Finding(layer.location(), f"`{layer.key}` ({setting}) is never read: the plain key{'s' if len(stoppers) > 1 else ''} "
                                            f"{reason} replace{'' if len(stoppers) > 1 else 's'} the whole setting first",
                          "merge the two keys into one, or remove this one", (layer.key,))


@rule("SL006", "tag-order", WARNING)
def tag_order(context: Context) -> Iterator[Finding]:
    """Two tag keys that both apply to some wiki, so that the result depends on tag order.

    Two plain tag keys: the first tag in the wiki's order wins and the other is not read (MediaWiki
    calls overlapping tags unsupported). Two `+` tag keys that set the same path to different
    values: the earlier tag's value wins."""
    for setting in SETTINGS:
        for view in context.realms:
            keys = view.compiler.keys[setting]
            conflicts: dict[tuple, set[str]] = {}
            plain = [tag for tag in context.config.realms[view.name].tags if tag in keys]
            for wiki, tags in context.config.realms[view.name].wikis.items():
                applying = [tag for tag in dict.fromkeys(tags) if tag in plain]
                if len(applying) > 1 and wiki not in keys:
                    for later in applying[1:]:
                        conflicts.setdefault(("plain", applying[0], later, ()), set()).add(wiki)
            for walk, wikis in view.walks[setting].items():
                plus = [step for step in walk if step.action == PLUS_TAG]
                for index, first in enumerate(plus):
                    first_leaves = dict(setting_leaves(setting, keys[first.key]))
                    for second in plus[index + 1:]:
                        for path, leaf in setting_leaves(setting, keys[second.key]):
                            other = first_leaves.get(path, MISSING)
                            if other is not MISSING and type(other) is not list and show(other) != show(leaf):
                                conflicts.setdefault(("plus", first.key, second.key, path), set()).update(wikis)
            for (kind, first, second, path), wikis in sorted(conflicts.items(), key=lambda item: item[0][:3] + (str(item[0][3]),)):
                layer = context.layer(view.name, setting, second)
                where = context.wikis(wikis, view.name)
                if kind == "plain":
                    message = f"`{first}` and `{second}` both apply to {where}: `{first}` comes first in their tags, so `{second}` is not read"
                else:
                    message = (f"`{first}` and `{second}` set {'.'.join(map(str, path))} differently on {where}: "
                               f"`{first}` wins because it comes first in their tags")
                yield Finding(layer.location(path), message, "make the tags disjoint, or set the value once", (second,) + path)


@rule("SL007", "short-list", WARNING)
def short_list(context: Context) -> Iterator[Finding]:
    """A stream's list setting shorter than the stream defaults' list of the same key.

    Defaults are applied as PHP's array_replace_recursive, which replaces lists item by item:
    `topic_prefixes: [west.]` over the default `[eqiad., codfw.]` gives `[west., codfw.]`."""
    for view in context.realms:
        seen: dict[tuple, set[str]] = {}
        compiler = view.compiler
        classes = compiler.classes()
        defaults_of = {id(compiler.setting(c, "stream_defaults")): compiler.setting(c, "stream_defaults") for c in classes}
        list_paths = {path for defaults in defaults_of.values() if type(defaults) is dict
                      for path, leaf in leaves(defaults) if type(leaf) is list}
        # Only a layer that writes a list where the defaults have one can make a short list.
        candidates = [(key, name, path) for key, value in compiler.keys["streams"].items()
                      for name, settings in stream_entries(value).items() for path in list_paths
                      if type(get_path(settings, path)) is list]
        for wiki_class in classes if candidates else ():
            defaults = compiler.setting(wiki_class, "stream_defaults")
            walk = wiki_class.walk("streams")
            read = {step.key for step in walk}
            entries = None
            for key, name, path in candidates:
                if key not in read or type(defaults) is not dict:
                    continue
                entries = entries or compiler.stream_entries(compiler.setting(wiki_class, "streams"))[0]
                own, default = get_path(entries.get(name), path), get_path(defaults, path)
                if type(own) is list and type(default) is list and len(own) < len(default):
                    source = next(s for s in walk if type(get_path(compiler.keys["streams"][s.key], (name,) + path)) is list)
                    result = own + default[len(own):]
                    seen.setdefault((name, path, source.key, show(own), show(default), show(result)), set()).update(wiki_class.wikis)
        for (name, path, key, own, default, result), wikis in sorted(seen.items()):
            layer = context.layer(view.name, "streams", key)
            yield Finding(layer.location((name,) + path),
                          f"{name} sets {'.'.join(map(str, path))} to {own}, shorter than the default {default}: "
                          f"lists are replaced item by item, so it is {result} on {context.wikis(wikis, view.name)}",
                          "list every item the stream should have", (key, name) + path)


_QUANTIFIER = re.compile(r"[*+]|\{\d*,\}")


def risky_reason(body: str) -> str:
    """Why a pattern may backtrack catastrophically, or '' when nothing is seen."""
    stack: list[dict] = []
    index = 0
    while index < len(body):
        char = body[index]
        if char == "\\":
            index += 2
            continue
        if char == "[":
            end = body.find("]", index + 2)
            index = len(body) if end < 0 else end + 1
            continue
        if char == "(":
            stack.append({"quantified": False, "alternatives": [""]})
        elif char == ")" and stack:
            group = stack.pop()
            quantifier = _QUANTIFIER.match(body, index + 1)
            if quantifier and group["quantified"]:
                return "a quantified group holds another unbounded quantifier (nested quantifiers)"
            alternatives = [a for a in group["alternatives"] if a]
            if quantifier and len(alternatives) > 1 and len({a[:1] for a in alternatives}) < len(alternatives):
                return "a quantified group has alternatives that can match the same text"
            if stack and (group["quantified"] or quantifier):
                stack[-1]["quantified"] = True
        elif char == "|" and stack:
            stack[-1]["alternatives"].append("")
        elif _QUANTIFIER.match(body, index) and stack:
            stack[-1]["quantified"] = True
        elif stack:
            stack[-1]["alternatives"][-1] += char
        index += 1
    return ""


def _pattern_keys(context: Context) -> Iterator[tuple[str, Layer, str]]:
    for view, layer in context.own_layers("streams"):
        for name in stream_entries(layer.value):
            if patterns.is_pattern(name):
                yield view.name, layer, name


@rule("SL008", "risky-pattern", WARNING, local=True)
def risky_pattern(context: Context) -> Iterator[Finding]:
    """A stream pattern at risk of catastrophic backtracking: nested or overlapping quantifiers.

    `/^(a+)+$/` takes exponential time on names that almost match. streamconf bounds matching (a
    match that exceeds PCRE's limit counts as no match, as in PHP), but MediaWiki would spend that
    time on every request."""
    for _, layer, name in _pattern_keys(context):
        reason = risky_reason(patterns.parse(name).body)
        if reason:
            yield Finding(layer.location((name,)), f"pattern {name}: {reason}",
                          "rewrite it without nested quantifiers, e.g. (a+)+ as a+", (layer.key, name))


@rule("SL009", "pattern-overlap", WARNING)
def pattern_overlap(context: Context) -> Iterator[Finding]:
    """A pattern that matches a stream declared by name, or two patterns that match the same name.

    A stream's own key always wins over a pattern, so the pattern's settings do not reach it; and
    of two matching patterns the first in file order wins, so moving a file changes the result."""
    for view in context.realms:
        keys = view.compiler.keys["streams"]
        exact = {n for value in keys.values() for n in stream_entries(value) if not patterns.is_pattern(n)}
        names = sorted(set(exact) | {n for value in view.compiler.keys["eventlogging_streams"].values() for n in names_of(value)})
        ordered = list(dict.fromkeys(n for value in keys.values() for n in stream_entries(value) if patterns.is_pattern(n)))
        owners: dict[str, Layer] = {}
        for layer in context.config.layers.get(view.name, {}).get("streams", {}).values():
            for name in stream_entries(layer.value):
                owners.setdefault(name, layer)
        matching = {}
        for pattern in ordered:
            prefix = patterns.required_prefix(pattern)
            matching[pattern] = [n for n in names if n.startswith(prefix) and _matches(pattern, n)]
        for index, pattern in enumerate(ordered):
            layer = owners.get(pattern)
            if layer is None:  # declared by the base realm, and reported there
                continue
            matched = [n for n in matching[pattern] if n in exact]
            if matched:
                yield Finding(layer.location((pattern,)), f"pattern {pattern} matches the stream{'s' if len(matched) > 1 else ''} "
                              f"{', '.join(matched[:3])} declared by name, whose own key wins",
                              "narrow the pattern, or rename the stream", (layer.key, pattern))
            for earlier in ordered[:index]:
                both = sorted(set(matching[earlier]) & set(matching[pattern]))
                if both:
                    yield Finding(layer.location((pattern,)), f"patterns {earlier} and {pattern} both match {both[0]}: "
                                  f"the first in order ({earlier}) wins", "make the patterns disjoint", (layer.key, pattern))


def _matches(pattern: str, name: str) -> bool:
    try:
        return patterns.matches(pattern, name)
    except patterns.MatchLimitExceeded:
        return False


@rule("SL010", "unresolved-eventlogging-name", WARNING)
def unresolved_eventlogging_name(context: Context) -> Iterator[Finding]:
    """An EventLogging stream name that resolves to no stream config on some wiki.

    EventLogging leaves such a name out, so the browser client has no config for it and drops its
    events."""
    for view in context.realms:
        missing: dict[str, set[str]] = {}
        compiler = view.compiler
        for wiki_class in compiler.classes():
            entries, pattern_keys = compiler.stream_entries(compiler.setting(wiki_class, "streams"))
            for name in names_of(compiler.setting(wiki_class, "eventlogging_streams")):
                if name not in entries and compiler.first_match(pattern_keys, name) is None:
                    missing.setdefault(name, set()).update(wiki_class.wikis)
        for name, wikis in sorted(missing.items()):
            layer = next(layer for layer in _name_layers(context, view.name) if name in names_of(layer.value))
            index = names_of(layer.value).index(name)
            yield Finding(layer.location((index,)), f"EventLogging stream {name!r} has no stream config on "
                          f"{context.wikis(wikis, view.name)}", "declare the stream for those wikis, or drop the name",
                          (layer.key, name))


def _name_layers(context: Context, realm: str) -> list[Layer]:
    own = list(context.config.layers.get(realm, {}).get("eventlogging_streams", {}).values())
    spec = context.config.realms[realm]
    return own + (_name_layers(context, spec.base) if spec.base and "eventlogging_streams" not in spec.replace else [])


def _setting_values(context: Context, name: str) -> Iterator[tuple[Layer, tuple, Value]]:
    """Every value of a stream setting (`sample.unit`, say) in every layer, with its path."""
    wanted = tuple(name.split("."))
    for setting in ("streams", "stream_defaults"):
        for _, layer in context.own_layers(setting):
            for path, leaf in setting_leaves(setting, layer.value):
                inner = path[1:] if setting == "streams" else path
                if inner == wanted:
                    yield layer, path, leaf


@rule("SL011", "sample-unit", ERROR, local=True)
def sample_unit(context: Context) -> Iterator[Finding]:
    """`sample.unit` is not one of the units the clients support (pageview, session, device by
    default; `sample_units` in streamconf.yaml).

    A client that does not know the unit does not sample: it sends every event or none."""
    yield from _one_of(context, "sample.unit", context.settings.sample_units, "a unit the clients support")


def _one_of(context: Context, name: str, allowed: tuple[str, ...], what: str) -> Iterator[Finding]:
    """A finding for every value of the setting `name` that is not in `allowed`."""
    for layer, path, value in _setting_values(context, name):
        if value not in allowed:
            yield Finding(layer.location(path), f"{name} {show(value)} is not {what} ({', '.join(allowed)})",
                          did_you_mean(str(value), allowed) or "use one of them", (layer.key,) + path)


@rule("SL012", "unknown-schema", ERROR, local=True)
def unknown_schema(context: Context) -> Iterator[Finding]:
    """`schema_title` names no schema in the event schema repository.

    Checked when a schema repository in the jsonschema-tools layout is given (`--schema-repo`, or
    `schema_repository` in streamconf.yaml): the title must have jsonschema/<title>/current.yaml."""
    repository = context.schema_repository
    if repository is None:
        return
    if not (repository / "jsonschema").is_dir():
        yield Finding(context.settings.location, f"the schema repository {repository} has no jsonschema/ directory",
                      "name a checkout of the event schema repository", ("schema_repository",))
        return
    titles = _schema_titles(repository)
    for layer, path, title in _setting_values(context, "schema_title"):
        if title not in titles:
            yield Finding(layer.location(path), f"schema_title {show(title)} is not in the schema repository {repository}",
                          did_you_mean(str(title), titles) or "add the schema, or fix the title", (layer.key,) + path)


@rule("SL013", "stale-schema", WARNING, local=True)
def stale_schema(context: Context) -> Iterator[Finding]:
    """`schema_title` names a schema whose latest version is deprecated, or not materialised.

    jsonschema-tools materialises each version as jsonschema/<title>/<version>.yaml; a schema
    marked `deprecated: true` in current.yaml should not get new streams."""
    repository = context.schema_repository
    if repository is None:
        return
    titles = _schema_titles(repository)
    for layer, path, title in _setting_values(context, "schema_title"):
        if title in titles:
            problem = _schema_problem(repository, title)
            if problem:
                yield Finding(layer.location(path), f"schema {title}: {problem}",
                              "use a current schema, or materialise it with jsonschema-tools", (layer.key,) + path)


def _schema_titles(repository: Path) -> set[str]:
    base = repository / "jsonschema"
    return {str(path.parent.relative_to(base)) for path in base.rglob("current.yaml")} if base.is_dir() else set()


def _schema_problem(repository: Path, title: str) -> str:
    import yaml

    folder = repository / "jsonschema" / title
    try:
        current = yaml.safe_load((folder / "current.yaml").read_text("utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        return f"current.yaml cannot be read ({error})"
    if current.get("deprecated") is True:
        return "its latest version is marked deprecated"
    version = str(current.get("$id", "")).rstrip("/").rsplit("/", 1)[-1]
    if not version or not (folder / f"{version}.yaml").is_file():
        return f"version {version or '?'} is not materialised ({title}/{version or '?'}.yaml is missing)"
    return ""


@rule("SL014", "unknown-destination", ERROR, local=True)
def unknown_destination(context: Context) -> Iterator[Finding]:
    """`destination_event_service` is not one of the services configured for the repository
    (`destination_event_services` in streamconf.yaml; Wikimedia's EventGate services by default).

    Producers send events to that service; an unknown one loses them."""
    yield from _one_of(context, "destination_event_service", context.settings.services, "a configured service")


@rule("SL015", "stream-name", WARNING, local=True)
def stream_name(context: Context) -> Iterator[Finding]:
    """A stream name that does not follow the naming convention: lowercase words separated by
    dots, no spaces (`stream_name_pattern` in streamconf.yaml; legacy `eventlogging_*` names pass).

    Names become Kafka topic names and Hive table names; consistent names keep them predictable."""
    pattern = re.compile(context.settings.stream_name_pattern)
    for _, layer in context.own_layers("streams"):
        for name, settings in stream_entries(layer.value).items():
            declares = "schema_title" in settings  # an override of the stream is not where the name is chosen
            if declares and not patterns.is_pattern(name) and not pattern.fullmatch(name):
                yield Finding(layer.location((name,)), f"stream name {name!r} does not follow the naming convention",
                              f"use lowercase words separated by dots (pattern: {pattern.pattern})", (layer.key, name))


def _keys(value: Value, path: tuple = ()) -> Iterator[tuple[tuple, str]]:
    """(path of the map, key) for every key of every map inside value; list items by index."""
    if type(value) is dict:
        for key, item in value.items():
            yield path, key
            yield from _keys(item, path + (key,))
    elif type(value) is list:
        for index, item in enumerate(value):
            yield from _keys(item, path + (index,))


def _shape(path: tuple) -> tuple:
    """Where a key sits whatever the list positions on the way: ('producers', 'x', '*')."""
    return tuple("*" if type(part) is int else part for part in path)


def _schema_keys(schema: dict, shape: tuple = ()) -> Iterator[tuple[tuple, str]]:
    for key, inner in schema.get("properties", {}).items():
        yield shape, key
        yield from _schema_keys(inner, shape + (key,))
    if isinstance(schema.get("items"), dict):
        yield from _schema_keys(schema["items"], shape + ("*",))


def _settings_keys(context: Context) -> Iterator[tuple[Layer, tuple, tuple, str]]:
    """(layer, where the settings start in it, path of the map inside the settings, key) for every
    key of every stream's settings and of stream defaults, in every layer."""
    for _, layer in context.own_layers("streams"):
        if type(layer.value) is dict:
            for name, settings in layer.value.items():
                for path, key in _keys(settings):
                    yield layer, (name,), path, key
    for _, layer in context.own_layers("stream_defaults"):
        for path, key in _keys(layer.value):
            yield layer, (), path, key


@rule("SL301", "misspelt-key", WARNING)
def misspelt_key(context: Context) -> Iterator[Finding]:
    """A setting key that nothing else uses and that is close to a key in use: a likely typo.

    Stream settings are open-ended, so no schema refuses `smaple: {rate: 0.5}`, and the stream
    silently goes unsampled. A key is reported when no schema defines it at that place, no other
    stream, default or override uses it there, and it differs from a known key only in case, `-`
    for `_`, or a letter or two. Known keys are the schemas' and those that two or more streams,
    defaults or overrides of the repository use, so a setting of the repository's own stays
    quiet once a second stream uses it; a one-off setting of its own can be kept by turning the
    rule off on its line."""
    schema_keys: dict[tuple, set[str]] = {}
    for shape, key in _schema_keys(schemas()["stream-settings.schema.json"]):
        schema_keys.setdefault(shape, set()).add(key)
    places: dict[tuple[tuple, str], set[tuple]] = {}
    occurrences = list(_settings_keys(context))
    for layer, start, path, key in occurrences:
        places.setdefault((_shape(path), key), set()).add((layer.realm, layer.setting, layer.key) + start)
    in_use: dict[tuple, set[str]] = {}
    for (shape, key), where in places.items():
        if len(where) > 1:
            in_use.setdefault(shape, set()).add(key)
    for layer, start, path, key in occurrences:
        shape = _shape(path)
        if key in schema_keys.get(shape, ()) or len(places[(shape, key)]) > 1:
            continue
        close = close_names(key, schema_keys.get(shape, set()) | in_use.get(shape, set()))
        if close:
            full = start + path + (key,)
            yield Finding(layer.location(full), f"`{key}` is set only here and no schema defines it: did you mean "
                          f"{' or '.join(f'`{name}`' for name in close)}?",
                          f"rename the key; if `{key}` is a setting of its own, keep it and add "
                          "`# streamconf: disable=SL301` on its line", (layer.key,) + full)


# Running the rules ------------------------------------------------------------------------------


def lint(config: Config, root: Path | None, severities: tuple[str, ...] = (ERROR, WARNING, NOTICE),
         schema_repository: Path | None = None, only_local: bool = False, at: datetime | None = None) -> list[Diagnostic]:
    """Every finding of every enabled rule of the given severities, without those disabled by
    streamconf.yaml or by a comment on their line. `only_local` runs only the rules that judge
    each layer alone: the ones that stay sound on a config built from the valid files of a broken
    repository."""
    context = Context(config, root, schema_repository, at)
    disabled_lines = _disabled_lines(config)
    found: dict[tuple, Diagnostic] = {}
    for rule_ in RULES.values():
        if rule_.severity not in severities or rule_.id in config.repository.disabled_rules or only_local and not rule_.local:
            continue
        for finding in rule_.check(context):
            if rule_.id in disabled_lines.get((finding.location.file, finding.location.line), ()):
                continue
            diagnostic = Diagnostic(finding.location, finding.message, finding.hint,
                                    tuple(str(p) for p in finding.path), rule_.severity, rule_.id)
            found.setdefault((diagnostic.location, diagnostic.code, diagnostic.message), diagnostic)
    return sorted(found.values(), key=sort_key)


def _disabled_lines(config: Config) -> dict[tuple[str, int], set[str]]:
    documents = {fragment.document.file: fragment.document
                 for by_setting in config.layers.values() for by_key in by_setting.values()
                 for layer in by_key.values() for fragment in layer.fragments}
    documents.update((fragment.document.file, fragment.document) for by_name in config.instruments.values()
                     for instrument in by_name.values() for fragment in instrument.sources.values())
    return {(file, line): rules for file, document in documents.items() for line, rules in document.disabled.items()}


from . import lint_instruments  # noqa: E402,F401 - registers the instrument rules (SL1xx)
