"""Building the model: realms with their wikis and tags, and the layers of each setting, from the
files that passed their schemas. Every problem of how the files fit together is collected on the
way, not only the first."""

from __future__ import annotations

import re

from . import patterns
from .codes import diagnostic
from .diagnostics import ERROR, Diagnostic, Location, did_you_mean
from .layout import DBLIST_SUFFIX, dblist_tag, overrides_realm, realm_name
from .load import Document, Sources
from .model import Fragment, Layer, Realm, RepositorySettings, unknown_key_problem
from .resolve import SETTINGS, php_int_key

NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
RESERVED_NAMES = {"default"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_UNSAFE_NAME = re.compile(r"[\s\x00-\x1f\x7f/\\]")
MAX_NAME_BYTES = 255  # a directory name


class ModelBuilder:
    """Builds the Config from the files that passed their schemas, collecting every problem on the
    way."""

    def __init__(self, sources: Sources, kinds: dict[str, list[Document]], invalid_overrides: list[Document],
                 diagnostics: list[Diagnostic]) -> None:
        self.sources = sources
        self.kinds = kinds
        self.invalid_overrides = invalid_overrides  # never layers, but still checked for unknown keys
        self.diagnostics = diagnostics
        self.repository = RepositorySettings()

    def error(self, location: Location, message: str, hint: str = "", path: tuple = ()) -> None:
        self.diagnostics.append(diagnostic("SC003", location, message, hint, path))

    def settings(self) -> RepositorySettings:
        documents = self.kinds["config"]
        if not documents or documents[0].value is None:
            return RepositorySettings()
        document = documents[0]
        value = document.value
        defaults = RepositorySettings()
        pattern = self.pattern(document, "stream_name_pattern", defaults.stream_name_pattern)
        wiki_pattern = self.pattern(document, "wiki_name_pattern", defaults.wiki_name_pattern)
        rules = value.get("rules", {})
        self.repository = RepositorySettings(frozenset(rules.get("disable", ())),
                                             tuple(value.get("destination_event_services", defaults.services)),
                                             tuple(value.get("sample_units", defaults.sample_units)), pattern,
                                             value.get("schema_repository"), document.location(),
                                             tuple(value.get("contextual_attributes", defaults.contextual_attributes)),
                                             value.get("max_instrument_days", defaults.max_instrument_days),
                                             dict(rules.get("severity", {})), value.get("require_owners", False),
                                             wiki_pattern)
        return self.repository

    def pattern(self, document: Document, key: str, default: str) -> str:
        """streamconf.yaml's regular expression `key`, or its default (with an error) when it does not compile."""
        pattern = document.value.get(key, default)
        try:
            patterns.check_full(pattern)
        except patterns.PatternError as error:
            self.error(document.location((key,)), f"{key} is not a valid regular expression: {error}", path=(key,))
            return default
        return pattern

    def valid_wiki_name(self, name: str) -> bool:
        """Whether `name` may be a wiki id or tag: it becomes a directory name, so whitespace, control
        characters, '/', '..', a leading '.' and overlong names are refused whatever wiki_name_pattern says."""
        if _UNSAFE_NAME.search(name) or ".." in name or name.startswith(".") or len(name.encode("utf-8")) > MAX_NAME_BYTES:
            return False
        try:
            return patterns.full_match(self.repository.wiki_name_pattern, name)
        except patterns.MatchLimitExceeded:
            return False

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
        name = realm_name(document.file)
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
            # Checked in code: a JSON Schema pattern is a search in which `$` also matches before a final newline.
            invalid = [name for name in (wiki, *(tags or ())) if not self.valid_wiki_name(name)]
            if invalid:
                self.error(document.location(("wikis", wiki)), f"{invalid[0]!r} is not a valid {'wiki id' if invalid[0] == wiki else 'tag'}",
                           f"a wiki id or tag matches wiki_name_pattern ({self.repository.wiki_name_pattern}) in full, "
                           "without whitespace, control characters, '/' or '..'", path=("wikis", wiki))
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
            tag = dblist_tag(file)
            if tag not in tags:
                self.error(Location(file), f"dblist {tag!r} is not listed under dblists: in realms/{realm}.yaml",
                           "add it there, in the precedence order of the tags")
                continue
            members[tag] = {}
            for wiki, line in dblist.names:
                if not self.valid_wiki_name(wiki):
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
            realm = overrides_realm(document.file)
            if realm not in realms:
                self.error(document.location(), f"overrides/{realm}/ names no declared realm",
                           did_you_mean(realm, realms) or f"declare it in realms/{realm}.yaml")
                continue
            for key, settings in document.value.items():
                if id(document) not in usable:  # never a layer, so lint cannot see its keys: check them here
                    problem = unknown_key_problem(realms[realm], key)
                    if problem and "SL001" not in self.repository.disabled_rules:
                        self.diagnostics.append(diagnostic("SL001", document.location((key,)), *problem, (key,),
                                                           self.repository.severity("SL001")))
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
                    self.diagnostics.append(diagnostic("SC005", where, f"stream key {name} is not a valid PCRE pattern: {error}",
                                                       "fix the pattern, or rename the stream so it does not start with '/'",
                                                       path + (key,)))
                    continue
            valid[key] = settings
        return valid
