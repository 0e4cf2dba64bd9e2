"""From a wiki's resolved settings to what it is served: the `action=streamconfigs` body and the
stream configs EventLogging embeds. Pure: plain data in, plain data out."""

from __future__ import annotations

from functools import lru_cache
from typing import Callable

from . import patterns, php_json
from .resolve import Value, is_array, php_int_key, replace_recursive, replace_value

EVENTLOGGING_SETTINGS = ("sample", "producers")

OnMatchLimit = Callable[[str, str], None]
"""Called with (pattern, stream name) when PCRE2 gives up on a match."""


def stream_entries(streams: Value) -> dict[str, dict]:
    """Stream name -> declared settings. An integer key marks the old list form, whose stream name
    is the entry's `stream` setting."""
    if not is_array(streams):
        return {}
    if type(streams) is dict and not any(map(_is_int_key, streams)):
        return streams  # the common case, checked at C speed: every key is a stream name
    items = enumerate(streams) if type(streams) is list else streams.items()
    entries: dict[str, dict] = {}
    for key, settings in items:
        name = settings["stream"] if type(key) is int or php_int_key(key) is not None else key
        entries[name] = settings
    return entries


@lru_cache(maxsize=1 << 16)
def _is_int_key(key: str) -> bool:
    return php_int_key(key) is not None


def stream_config(key: str, settings: dict, defaults: Value, name: str | None = None,
                  replace: Callable[[Value, Value], Value] = replace_value) -> dict:
    """Section 3 of the semantics: defaults under the stream's settings, then `stream` and `topics`.
    `name` is the concrete stream name a pattern key is looked up for; topics are made for it."""
    return with_stream_and_topics(key, with_defaults(settings, defaults, replace), name)


def with_defaults(settings: dict, defaults: Value, replace: Callable[[Value, Value], Value] = replace_value) -> dict:
    """The stream's settings over the defaults (array_replace_recursive), as a new map.

    For map defaults the top level of array_replace_recursive is done here, key by key, with
    `replace` for each key both set; a caller may pass one that shares its results."""
    if type(defaults) is dict and type(settings) is dict:
        config = {**defaults, **settings}  # the defaults' keys in their order, then the others
        for k in defaults.keys() & settings.keys():
            config[k] = replace(defaults[k], settings[k])
        return config
    return replace_recursive(defaults, settings) if is_array(defaults) else dict(settings)


def with_stream_and_topics(key: str, config: dict, name: str | None = None,
                           make_topics: Callable[[str, Value], list[str]] | None = None) -> dict:
    """`stream` set to the key and, unless the settings give them, `topics` computed; in place. A
    caller may pass a `make_topics` that shares its lists."""
    config["stream"] = key
    if config.get("topics") is None:
        config["topics"] = (make_topics or topics)(name or key, config.get("topic_prefixes"))
    return config


def topics(name: str, prefixes: Value, as_pattern: bool = True) -> list[str]:
    if prefixes is None:
        return [name]
    prefix_list = list(prefixes.values()) if type(prefixes) is dict else list(prefixes)
    if as_pattern and patterns.is_pattern(name):
        return [patterns.parse(name).with_topic_prefixes(prefix_list)]
    return [prefix + name for prefix in prefix_list]


def streamconfigs(entries: dict[str, dict], defaults: Value) -> dict:
    """The body of `api.php?action=streamconfigs` for one wiki."""
    return {"streams": {name: stream_config(name, settings, defaults) for name, settings in entries.items()}}


def find_stream(entries: dict[str, dict], name: str, on_match_limit: OnMatchLimit,
                match: Callable[[str, str], bool] = patterns.matches) -> str | None:
    """The key whose config a concrete stream name gets: the exact key, else the first matching
    pattern in order. `match` is preg_match (a run's MatchBudget.matches, which may raise
    PatternGivenUp)."""
    if name in entries:
        return name
    for key in entries:
        if patterns.is_pattern(key):
            try:
                if match(key, name):
                    return key
            except patterns.MatchLimitExceeded:
                on_match_limit(key, name)
    return None


def names_of(names: Value) -> list:
    """The stream names of a resolved wgEventLoggingStreamNames, in order."""
    if not is_array(names):
        return []
    return list(names.values()) if type(names) is dict else list(names)


def eventlogging_subset(config: dict) -> dict:
    """What EventLogging keeps of a stream config: `sample` and `producers`, in the config's order.
    They do not depend on the stream name, so a pattern's API config serves every name it matches."""
    return {setting: config[setting] for setting in config if setting in EVENTLOGGING_SETTINGS}


def to_json_value(value: Value) -> Value:
    """What PHP's json_encode makes of a value: an array keyed exactly 0..n-1 is a JSON list."""
    if type(value) is list:
        return [to_json_value(item) for item in value]
    if type(value) is dict:
        if value and all(key == str(index) for index, key in enumerate(value)):
            return [to_json_value(item) for item in value.values()]
        return {key: to_json_value(item) for key, item in value.items()}
    return value


def serialize_value(value: Value) -> bytes:
    """Canonical JSON of a value as MediaWiki writes it: compact, in resolved key order, UTF-8."""
    text = php_json.encode(value)
    if '"0":' in text:  # only a map with a key "0" can be an array keyed 0..n-1
        text = php_json.encode(to_json_value(value))
    return text.encode("utf-8")


@lru_cache(maxsize=1 << 16)
def json_key(key: str) -> bytes:
    """A map key as JSON, with its colon."""
    return php_json.encode(key).encode("utf-8") + b":"


def serialize_map(fragments: dict[str, bytes]) -> bytes:
    """serialize_value() of a map whose values are already serialised, from the fragments."""
    if fragments and all(key == str(index) for index, key in enumerate(fragments)):
        return b"[" + b",".join(fragments.values()) + b"]"
    return b"{" + b",".join(map(bytes.__add__, map(json_key, fragments), fragments.values())) + b"}"


def serialize(document: Value) -> bytes:
    """Canonical bytes of a bundle: its JSON and a newline."""
    return serialize_value(document) + b"\n"
