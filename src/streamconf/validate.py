"""Checking the repository: each file against its JSON Schema, then the structure the files build
together (realms, wikis, tags, layers) and the references between them."""

from __future__ import annotations

import difflib
import json
import re
from functools import lru_cache
from importlib import resources
from pathlib import PurePosixPath
from typing import Any, Iterator

from . import patterns
from .diagnostics import ERROR, Diagnostic, Location, sort_key
from .instruments.declare import declare_instruments, overlay_realm
from .load import CONFIG_FILE, DBLIST_SUFFIX, EVENTLOGGING_FILE, STREAM_DEFAULTS_FILE, Document, Sources
from .model import Config, Fragment, Layer, Realm, RepositorySettings
from .resolve import SETTINGS, php_int_key
from .spelling import close_names

NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
RESERVED_NAMES = {"default"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_YAML11_BOOLEANS = {"yes", "no", "on", "off", "y", "n", "Yes", "No", "On", "Off", "YES", "NO", "ON", "OFF"}

SCHEMA_OF_KIND = {
    "config": "config.schema.json",
    "realm": "realm.schema.json",
    "streams": "stream-map.schema.json",
    "stream_defaults": "stream-defaults.schema.json",
    "eventlogging_streams": "eventlogging.schema.json",
    "overrides": "overrides.schema.json",
    "instruments": "instruments.schema.json",
    "instrument_overrides": "instrument-overrides.schema.json",
}


def file_kind(file: str) -> str | None:
    """What a repository file holds, from where it is."""
    parts = PurePosixPath(file).parts
    if file == CONFIG_FILE:
        return "config"
    if file == STREAM_DEFAULTS_FILE:
        return "stream_defaults"
    if file == EVENTLOGGING_FILE:
        return "eventlogging_streams"
    if parts[0] == "streams":
        return "streams"
    if parts[0] == "instruments":
        return "instruments"
    if overlay_realm(file) is not None:
        return "instrument_overrides"
    if parts[0] == "realms" and len(parts) == 2:
        return "realm"
    if parts[0] == "overrides" and len(parts) >= 3:
        return "overrides"
    return None


@lru_cache(maxsize=None)
def schemas() -> dict[str, dict]:
    folder = resources.files("streamconf") / "schemas"
    return {entry.name: json.loads(entry.read_text("utf-8")) for entry in folder.iterdir() if entry.name.endswith(".json")}


@lru_cache(maxsize=None)
def validators() -> dict[str, Any]:
    """jsonschema validators: every error, with its path, for the report."""
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource

    registry = Registry().with_resources((name, Resource.from_contents(schema)) for name, schema in schemas().items())
    return {kind: Draft202012Validator(schemas()[name], registry=registry) for kind, name in SCHEMA_OF_KIND.items()}


_ANNOTATIONS = {"$schema", "$id", "title", "description"}


def inline_refs(node: Any) -> Any:
    """A schema with every `$ref` to a sibling file replaced by that file's schema."""
    if isinstance(node, dict):
        rest = {key: inline_refs(value) for key, value in node.items() if key not in _ANNOTATIONS and key != "$ref"}
        if "$ref" not in node:
            return rest
        target = inline_refs(schemas()[node["$ref"]])
        return {"allOf": [target, rest]} if rest else target
    if isinstance(node, list):
        return [inline_refs(value) for value in node]
    return node


@lru_cache(maxsize=None)
def fast_validators() -> dict[str, Any]:
    """fastjsonschema checks compiled to Python: a quick yes for the files that are valid, which is
    nearly all of them. A file they refuse goes through jsonschema for the full report."""
    import fastjsonschema

    return {kind: fastjsonschema.compile(inline_refs(schemas()[name])) for kind, name in SCHEMA_OF_KIND.items()}


def is_valid(value: Any, kind: str) -> bool:
    import fastjsonschema

    try:
        fast_validators()[kind](value)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


def schema_errors(document: Document, kind: str) -> Iterator[Diagnostic]:
    if is_valid(document.value, kind):
        return
    for error in validators()[kind].iter_errors(document.value):
        path = tuple(error.absolute_path)
        if "propertyNames" in error.relative_schema_path:
            path += (error.instance,)
        elif error.validator == "additionalProperties" and len(_unknown_keys(error)) == 1:
            path += tuple(_unknown_keys(error))
        yield Diagnostic(document.location(path), _schema_message(error), _schema_hint(error, kind),
                         tuple(str(part) for part in path), code="SC002")


def _schema_message(error: Any) -> str:
    if "propertyNames" in error.relative_schema_path:
        return f"{error.instance!r} is not allowed as a key here: {error.message}"
    if error.validator == "additionalProperties":
        return error.message.replace("Additional properties are not allowed", "unknown key")
    return error.message


FILE_CONTENT = {
    "config": "repository settings: rules, destination_event_services, sample_units, ...",
    "realm": "a map with wikis: (and optionally base, replace, dblists)",
    "streams": "a map from stream names to their settings",
    "stream_defaults": "a map of settings",
    "eventlogging_streams": "a list of stream names",
    "overrides": "a map from keys (enwiki, +enwiki, private, ...) to settings",
    "instruments": "a map from instrument names to their definitions",
    "instrument_overrides": "a map from instrument names to the fields this realm changes",
}


def _unknown_keys(error: Any) -> list[str]:
    """The keys an `additionalProperties: false` error is about."""
    known = error.schema.get("properties", {})
    patterns_ = [re.compile(pattern) for pattern in error.schema.get("patternProperties", {})]
    return [key for key in error.instance if key not in known and not any(p.search(key) for p in patterns_)]


def _unknown_key_hint(error: Any) -> str:
    """'did you mean `streams`?' for each unknown key close to one the schema defines."""
    unknown = _unknown_keys(error)
    guesses = {key: close_names(key, error.schema.get("properties", {})) for key in unknown}
    said = [(f"`{key}`: " if len(unknown) > 1 else "") + f"did you mean {' or '.join(f'`{g}`' for g in close)}?"
            for key, close in guesses.items() if close]
    return "; ".join(said)


def _schema_hint(error: Any, kind: str) -> str:
    if error.validator == "additionalProperties" and _unknown_key_hint(error):
        return _unknown_key_hint(error)
    if error.validator == "type" and not error.absolute_path:
        return f"this file holds {FILE_CONTENT[kind]}"
    if error.validator == "type" and isinstance(error.instance, str) and error.instance in _YAML11_BOOLEANS:
        return f"{error.instance!r} is a string here (YAML 1.2); write true or false"
    if error.validator == "type" and error.instance is None:
        return "an empty value is null; write a value or remove the key"
    if error.validator in ("minimum", "maximum"):
        return "a sample rate is a fraction from 0 to 1"
    if kind == "overrides" and error.validator == "additionalProperties":
        return "an override key holds streams, stream_defaults and/or eventlogging_streams"
    if kind == "overrides" and "propertyNames" in error.relative_schema_path:
        return "keys are `default`, a wiki id or tag, or + and a wiki id or tag"
    return f"see schemas/{SCHEMA_OF_KIND[kind]}"


def unknown_key_problem(realm: Realm, key: str) -> tuple[str, str] | None:
    """(message, hint) when an override key names no wiki or tag of the realm (lint rule SL001)."""
    name = key.removeprefix("+")
    if key == "default" or name in realm.wikis or name in realm.tags:
        return None
    return (f"key {key!r}: {name!r} is neither a wiki nor a tag of realm {realm.name!r}",
            did_you_mean(name, list(realm.wikis) + sorted(realm.tags)) or f"add it to realms/{realm.name}.yaml")


def did_you_mean(name: str, known: Any) -> str:
    close = difflib.get_close_matches(name, list(known), n=3)
    return f"did you mean {', '.join(close)}?" if close else ""


class _Checker:
    """Builds the Config from parsed sources, collecting every problem on the way."""

    def __init__(self, sources: Sources) -> None:
        self.sources = sources
        self.diagnostics: list[Diagnostic] = list(sources.diagnostics)
        self.kinds: dict[str, list[Document]] = {kind: [] for kind in SCHEMA_OF_KIND}
        self.invalid_overrides: list[Document] = []  # still checked for unknown keys

    def error(self, location: Location, message: str, hint: str = "", path: tuple = (), code: str = "SC003") -> None:
        self.diagnostics.append(Diagnostic(location, message, hint, tuple(str(p) for p in path), ERROR, code))

    def check_files(self) -> None:
        for file, document in self.sources.documents.items():
            kind = file_kind(file)
            if kind is None:
                self.error(Location(file), "this file is in no place streamconf reads",
                           "streams go in streams/, realms in realms/<realm>.yaml, overrides in overrides/<realm>/")
                continue
            if document.value is None:  # empty, or only comments: declares nothing
                if kind == "realm":
                    self.error(document.location(), "the realm file is empty", "list the realm's wikis under wikis:")
                continue
            errors = list(schema_errors(document, kind))
            self.diagnostics.extend(errors)
            if not errors:
                self.kinds[kind].append(document)
            elif kind == "overrides" and type(document.value) is dict:
                self.invalid_overrides.append(document)
        for file in self.sources.dblists:
            if len(PurePosixPath(file).parts) != 3 or not file.startswith("realms/"):
                self.error(Location(file), "a dblist belongs in realms/<realm>/<tag>.dblist")

    def settings(self) -> RepositorySettings:
        documents = self.kinds["config"]
        if not documents or documents[0].value is None:
            return RepositorySettings()
        document = documents[0]
        value = document.value
        defaults = RepositorySettings()
        pattern = value.get("stream_name_pattern", defaults.stream_name_pattern)
        try:
            re.compile(pattern)
        except re.error as error:
            self.error(document.location(("stream_name_pattern",)), f"stream_name_pattern is not a valid regular expression: {error}",
                       path=("stream_name_pattern",))
            pattern = defaults.stream_name_pattern
        return RepositorySettings(frozenset(value.get("rules", {}).get("disable", ())),
                        tuple(value.get("destination_event_services", defaults.services)),
                        tuple(value.get("sample_units", defaults.sample_units)), pattern,
                        value.get("schema_repository"), document.location(),
                        tuple(value.get("contextual_attributes", defaults.contextual_attributes)),
                        value.get("max_instrument_days", defaults.max_instrument_days))

    def realms(self) -> dict[str, Realm]:
        declared: dict[str, Realm] = {}
        for document in self.kinds["realm"]:
            realm = self.realm(document)
            if realm:
                declared[realm.name] = realm
        if not declared and not any(d.severity == ERROR for d in self.diagnostics):
            self.error(Location("realms/"), "no realm is declared", "declare one in realms/production.yaml")
        return self.order_realms(declared)

    def realm(self, document: Document) -> Realm | None:
        name = PurePosixPath(document.file).stem
        if not NAME.fullmatch(name) or name in RESERVED_NAMES:
            self.error(document.location(), f"{name!r} is not a valid realm name",
                       "use lowercase letters, digits, '_' and '-'")
            return None
        spec = document.value
        dblist_tags = self.dblist_members(name, spec.get("dblists", []), document)
        listed: dict[str, list[str]] = {}  # wiki -> its dblist tags, in the order of `dblists`
        for tag in spec.get("dblists", []):
            for wiki in dblist_tags.get(tag, ()):
                listed.setdefault(wiki, []).append(tag)
        wikis: dict[str, tuple[str, ...]] = {}
        for wiki, tags in spec["wikis"].items():
            if wiki in RESERVED_NAMES:
                self.error(document.location(("wikis", wiki)), f"{wiki!r} is reserved and cannot be a wiki id", path=("wikis", wiki))
                continue
            wikis[wiki] = tuple(dict.fromkeys(listed.get(wiki, []) + list(tags or ())))
        for members in dblist_tags.values():
            for wiki, where in members.items():
                if wiki not in wikis:
                    self.error(where, f"{wiki!r} is listed in a dblist but is not a wiki of realm {name!r}",
                               did_you_mean(wiki, wikis) or f"add it under wikis: in realms/{name}.yaml")
        realm = Realm(name, wikis, spec.get("base"), tuple(spec.get("replace", ())), document.location(),
                      self.domains(document, wikis))
        for tag in sorted(realm.tags):
            if tag in wikis or tag in RESERVED_NAMES:
                self.error(document.location(("wikis",)), f"{tag!r} is used both as a tag and as a wiki id (or is reserved)",
                           "rename the tag: a key could not tell them apart")
        if realm.replace and realm.base is None:
            self.error(document.location(("replace",)), "`replace` needs a `base` realm to replace settings of")
        return realm

    def domains(self, document: Document, wikis: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        """wiki -> the host names `domains:` gives it; each host name names one wiki."""
        domains: dict[str, tuple[str, ...]] = {}
        owners: dict[str, str] = {}
        for wiki, hosts in (document.value.get("domains") or {}).items():
            where = document.location(("domains", wiki))
            if wiki not in wikis:
                self.error(where, f"{wiki!r} under domains: is not a wiki of this realm",
                           did_you_mean(wiki, wikis) or "list the wiki under wikis: first", path=("domains", wiki))
                continue
            for host in hosts:
                if host in owners:
                    self.error(where, f"host name {host!r} is given to both {owners[host]!r} and {wiki!r}",
                               "a host name chooses one wiki: keep it under one of them", path=("domains", wiki))
                owners.setdefault(host, wiki)
            domains[wiki] = tuple(hosts)
        return domains

    def dblist_members(self, realm: str, tags: list[str], document: Document) -> dict[str, dict[str, Location]]:
        """tag -> {wiki id: where it is listed} from realms/<realm>/<tag>.dblist."""
        members: dict[str, dict[str, Location]] = {}
        prefix = f"realms/{realm}/"
        for file, dblist in self.sources.dblists.items():
            if not file.startswith(prefix):
                continue
            tag = PurePosixPath(file).name[: -len(DBLIST_SUFFIX)]
            if tag not in tags:
                self.error(Location(file), f"dblist {tag!r} is not listed under dblists: in realms/{realm}.yaml",
                           "add it there, in the precedence order of the tags")
                continue
            members[tag] = {}
            for wiki, line in dblist.names:
                if not NAME.fullmatch(wiki):
                    self.error(Location(file, line, 1), f"{wiki!r} is not a valid wiki id")
                members[tag].setdefault(wiki, Location(file, line, 1))
        for tag in tags:
            if tag not in members:
                self.error(document.location(("dblists",)), f"dblist {tag!r} has no file {prefix}{tag}{DBLIST_SUFFIX}",
                           "create the file, one wiki id per line", ("dblists",))
        return members

    def order_realms(self, declared: dict[str, Realm]) -> dict[str, Realm]:
        roots = [realm for realm in declared.values() if realm.base is None]
        if len(roots) > 1:
            for realm in roots[1:]:
                self.error(realm.location, f"realm {realm.name!r} has no base, and neither has {roots[0].name!r}",
                           f"one realm holds streams/; build the others on it with `base: {roots[0].name}`")
        ordered: dict[str, Realm] = {realm.name: realm for realm in roots[:1]}
        pending = [realm for realm in declared.values() if realm.base is not None]
        while pending:
            ready = [realm for realm in pending if realm.base in ordered]
            if not ready:
                for realm in pending:
                    problem = "does not exist" if realm.base not in declared else "is part of a cycle of bases"
                    self.error(realm.location, f"base realm {realm.base!r} of {realm.name!r} {problem}",
                               did_you_mean(realm.base or "", declared), ("base",))
                break
            for realm in ready:
                ordered[realm.name] = realm
                pending.remove(realm)
        return ordered

    def layers(self, realms: dict[str, Realm]) -> dict[str, dict[str, dict[str, Layer]]]:
        layers: dict[str, dict[str, dict[str, Layer]]] = {name: {s: {} for s in SETTINGS} for name in realms}
        if not realms:
            return layers
        root = next(iter(realms))
        for document in self.kinds["streams"]:
            self.add(layers, root, "streams", "default", document, ())
        for kind in ("stream_defaults", "eventlogging_streams"):
            for document in self.kinds[kind]:
                self.add(layers, root, kind, "default", document, ())
        usable = set(map(id, self.kinds["overrides"]))
        for document in sorted(self.kinds["overrides"] + self.invalid_overrides, key=lambda d: d.file):
            realm = PurePosixPath(document.file).parts[1]
            if realm not in realms:
                self.error(document.location(), f"overrides/{realm}/ names no declared realm",
                           did_you_mean(realm, realms) or f"declare it in realms/{realm}.yaml")
                continue
            for key, settings in document.value.items():
                if id(document) not in usable:  # never a layer, so lint cannot see its keys: check them here
                    problem = unknown_key_problem(realms[realm], key)
                    if problem:
                        self.error(document.location((key,)), *problem, (key,), code="SL001")
                elif self.root_default_allowed(realms[realm], key, document, realm == root):
                    for setting in settings:
                        self.add(layers, realm, setting, key, document, (key, setting))
        return layers

    def root_default_allowed(self, realm: Realm, key: str, document: Document, is_root: bool) -> bool:
        if key == "default" and is_root:
            self.error(document.location((key,)), f"`default` in the overrides of realm {realm.name!r}",
                       "its defaults are streams/, stream-defaults.yaml and eventlogging.yaml", (key,))
            return False
        return True

    def add(self, layers: dict, realm: str, setting: str, key: str, document: Document, path: tuple) -> None:
        value = document.value
        for part in path:
            value = value[part]
        if setting == "streams":
            value = self.valid_streams(value, document, path)
        layer = layers[realm][setting].get(key)
        if layer is None:
            layers[realm][setting][key] = Layer(realm, setting, key, value, [Fragment(document, path)])
            return
        if type(value) is list:
            layer.value = layer.value + value
        else:
            merged = dict(layer.value)
            for name, item in value.items():
                if name in merged:
                    first = next(f for f in layer.fragments if name in f.value)
                    self.error(document.location(path + (name,)),
                               f"{name!r} is declared twice for {key!r} {setting}: also at {first.document.location(first.path + (name,))}",
                               "keep one declaration", path + (name,))
                merged[name] = item
            layer.value = merged
        layer.fragments.append(Fragment(document, path))

    def valid_streams(self, streams: dict, document: Document, path: tuple) -> dict:
        """The streams whose names can be used; the others are reported and left out."""
        valid = {}
        for key, settings in streams.items():
            where = document.location(path + (key,))
            name = settings["stream"] if php_int_key(key) is not None else key
            if _CONTROL.search(name):
                self.error(where, f"stream name {name!r} contains a control character", path=path + (key,))
                continue
            if patterns.is_pattern(name):
                try:
                    patterns.parse(name)
                except patterns.PatternError as error:
                    self.error(where, f"stream key {name} is not a valid PCRE pattern: {error}",
                               "fix the pattern, or rename the stream so it does not start with '/'",
                               path + (key,), code="SC005")
                    continue
            valid[key] = settings
        return valid


def validate(sources: Sources, partial: bool = False) -> tuple[Config | None, list[Diagnostic]]:
    """The Config the sources describe, or None when there is an error; and every finding. With
    `partial`, the Config built from the files that are valid is returned despite errors (so that
    lint rules can report on it too)."""
    checker = _Checker(sources)
    checker.check_files()
    settings = checker.settings()
    realms = checker.realms()
    layers = checker.layers(realms)
    instruments, problems = declare_instruments(realms, checker.kinds["instruments"], checker.kinds["instrument_overrides"])
    diagnostics = sorted(checker.diagnostics + problems, key=sort_key)
    if any(d.severity == ERROR for d in diagnostics) and not partial:
        return None, diagnostics
    return Config(realms, layers, sources.digest, settings, instruments), diagnostics
