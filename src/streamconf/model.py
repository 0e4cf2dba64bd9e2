"""The validated repository: realms with their wikis, and the layers of each setting."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from .codes import CODES
from .diagnostics import ERROR, Location, did_you_mean
from .load import Document
from .owners import Ownership
from .patterns import MatchBudget
from .resolve import SETTINGS, Value, overlay


@dataclass(frozen=True)
class Fragment:
    """Where part of a layer was written: a document and the key path of the value in it."""

    document: Document
    path: tuple

    @property
    def location(self) -> Location:
        return self.document.location(self.path)

    @property
    def value(self) -> Value:
        value = self.document.value
        for part in self.path:
            value = value[part]
        return value


@dataclass
class Layer:
    """The value of one key (`default`, `enwiki`, `+private`, ...) of one setting in one realm.
    A layer may be written across several files (streams/ holds one stream per file, say)."""

    realm: str
    setting: str
    key: str
    value: Value
    fragments: list[Fragment] = field(default_factory=list)

    def location(self, path: tuple = ()) -> Location:
        """Where the value at `path` inside this layer was written; for () the layer's key. An
        index into a list layer counts across its fragments, as the lists are joined."""
        offset = 0
        for fragment in self.fragments:
            if not path:
                return fragment.document.location(fragment.path[:1])
            value = fragment.value
            if type(value) is dict and path[0] in value:
                return fragment.document.location(fragment.path + path)
            if type(value) is list and type(path[0]) is int:
                if path[0] - offset < len(value):
                    return fragment.document.location(fragment.path + (path[0] - offset,) + path[1:])
                offset += len(value)
        return self.fragments[0].location if self.fragments else Location(f"realm {self.realm}")


@dataclass(frozen=True)
class Realm:
    name: str
    wikis: dict[str, tuple[str, ...]]  # wiki id -> tags in precedence order
    base: str | None = None
    replace: tuple[str, ...] = ()
    location: Location = Location("")
    domains: dict[str, tuple[str, ...]] = field(default_factory=dict)  # wiki -> host names given in the realm file

    @cached_property
    def tags(self) -> frozenset[str]:
        return frozenset(tag for tags in self.wikis.values() for tag in tags)

    @cached_property
    def members(self) -> dict[str, frozenset[str]]:
        """tag -> the wikis that have it."""
        members: dict[str, set[str]] = {}
        for wiki, tags in self.wikis.items():
            for tag in tags:
                members.setdefault(tag, set()).add(wiki)
        return {tag: frozenset(wikis) for tag, wikis in members.items()}

    @cached_property
    def tags_by_size(self) -> dict[int, list[str]]:
        """Number of wikis -> the tags that have that many, sorted."""
        sizes: dict[int, list[str]] = {}
        for tag in sorted(self.members):
            sizes.setdefault(len(self.members[tag]), []).append(tag)
        return sizes


def unknown_key_problem(realm: Realm, key: str) -> tuple[str, str] | None:
    """(message, hint) when an override key names no wiki or tag of the realm (SL001)."""
    name = key.removeprefix("+")
    if key == "default" or name in realm.wikis or name in realm.tags:
        return None
    return (f"key {key!r}: {name!r} is neither a wiki nor a tag of realm {realm.name!r}",
            did_you_mean(name, list(realm.wikis) + sorted(realm.tags)) or f"add it to realms/{realm.name}.yaml")


WIKIMEDIA_SERVICES = ("eventgate-main", "eventgate-analytics", "eventgate-analytics-external", "eventgate-logging-external")
SAMPLE_UNITS = ("pageview", "session", "device")
CONTEXTUAL_ATTRIBUTES = (
    # What the Metrics Platform clients fill in: Wikimedia's list, the union of the JS client's
    # VALID_ATTRIBUTE_NAMES and the apps' (Java/Kotlin) ContextValue.
    "agent_app_install_id", "agent_client_platform", "agent_client_platform_family", "agent_ua_string",
    "agent_app_flavor", "agent_app_theme", "agent_app_version", "agent_app_version_name", "agent_device_family",
    "agent_device_language", "agent_release_status",
    "page_id", "page_title", "page_namespace", "page_namespace_id", "page_namespace_name", "page_revision_id",
    "page_wikidata_qid", "page_wikidata_id", "page_content_language", "page_is_redirect",
    "page_user_groups_allowed_to_move", "page_user_groups_allowed_to_edit",
    "mediawiki_skin", "mediawiki_version", "mediawiki_is_production", "mediawiki_is_debug_mode", "mediawiki_database",
    "mediawiki_site_content_language", "mediawiki_site_content_language_variant",
    "performer_is_logged_in", "performer_id", "performer_name", "performer_session_id", "performer_pageview_id",
    "performer_active_browsing_session_token", "performer_groups", "performer_is_bot", "performer_is_temp",
    "performer_language", "performer_language_variant", "performer_language_groups", "performer_language_primary",
    "performer_can_probably_edit_page", "performer_edit_count",
    "performer_edit_count_bucket", "performer_registration_dt",
)
MAX_INSTRUMENT_DAYS = 365
STREAM_NAME_PATTERN = r"[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)*|eventlogging_[A-Za-z0-9]+"
WIKI_NAME_PATTERN = r"[a-z0-9][a-z0-9_-]{0,63}"


MISSING_OWNER = "SL201"


@dataclass(frozen=True)
class RepositorySettings:
    """The repository's own settings, from streamconf.yaml."""

    disabled_rules: frozenset[str] = frozenset()
    services: tuple[str, ...] = WIKIMEDIA_SERVICES
    sample_units: tuple[str, ...] = SAMPLE_UNITS
    stream_name_pattern: str = STREAM_NAME_PATTERN
    schema_repository: str | None = None  # relative to the repository root
    location: Location = Location("streamconf.yaml")
    contextual_attributes: tuple[str, ...] = CONTEXTUAL_ATTRIBUTES
    max_instrument_days: int = MAX_INSTRUMENT_DAYS
    severities: dict[str, str] = field(default_factory=dict)  # rule id -> severity, from rules: severity:
    require_owners: bool = False  # a stream or instrument without an owner is an error, not a warning
    wiki_name_pattern: str = WIKI_NAME_PATTERN  # wiki ids and tags match it in full

    def severity(self, code: str) -> str:
        """The rule's severity in this repository: its own setting, or the code's default
        (missing-owner is an error where owners are required)."""
        if code == MISSING_OWNER and self.require_owners:
            return self.severities.get(code, ERROR)
        return self.severities.get(code, CODES[code].severity)


@dataclass
class Config:
    realms: dict[str, Realm]  # a realm comes after the realm it is built on
    layers: dict[str, dict[str, dict[str, Layer]]]  # realm -> setting -> key -> layer
    digest: str = ""
    repository: RepositorySettings = field(default_factory=RepositorySettings)
    instruments: dict = field(default_factory=dict)  # realm -> name -> instruments.declare.Instrument
    ownership: Ownership = field(default_factory=Ownership)
    match_budget: MatchBudget = field(default_factory=MatchBudget, compare=False, repr=False)  # the run's matching

    @property
    def declares_instruments(self) -> bool:
        """Whether the build has instrument files (and depends on the time it is made for)."""
        return any(self.instruments.values())

    @property
    def root_realm(self) -> str:
        return next(iter(self.realms))

    def own_settings(self, realm: str) -> dict[str, dict[str, Value]]:
        own = self.layers.get(realm, {})
        return {setting: {key: layer.value for key, layer in own.get(setting, {}).items()} for setting in SETTINGS}

    def settings(self, realm: str) -> dict[str, dict[str, Value]]:
        """The keys of every setting as the realm sees them, after the overlay on its base realm."""
        spec = self.realms[realm]
        if spec.base is None:
            return self.own_settings(realm)
        return overlay(self.settings(spec.base), self.own_settings(realm), spec.replace)

    def layer(self, realm: str, setting: str, key: str) -> Layer | None:
        """The layer a realm reads for a key: its own, or the one it inherits from its base."""
        spec = self.realms[realm]
        own = self.layers.get(realm, {}).get(setting, {})
        if key in own:
            return own[key]
        if spec.base is None or setting in spec.replace:
            return None
        return self.layer(spec.base, setting, key)
