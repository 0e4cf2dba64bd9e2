"""The plain way to what a wiki is served: resolve its three settings and render them, one wiki at
a time, with no classes and no caches. Tests compare the compiler's shared, cached path with it."""

from __future__ import annotations

from typing import Mapping, Sequence

from streamconf.render import eventlogging_subset, find_stream, names_of, serialize, stream_entries, streamconfigs
from streamconf.resolve import SETTINGS, Value, applicable_keys, resolve_setting


def served(keys: Mapping[str, Mapping[str, Value]], wiki: str, tags: Sequence[str]) -> tuple[bytes, bytes]:
    """The (streamconfigs, eventlogging) bundles of one wiki, from the keys of each setting."""
    value = {setting: resolve_setting(keys.get(setting, {}), applicable_keys(keys.get(setting, {}), wiki, tags))
             for setting in SETTINGS}
    api = streamconfigs(stream_entries(value["streams"]), value["stream_defaults"])
    embedded = {}
    for name in names_of(value["eventlogging_streams"]):
        key = find_stream(api["streams"], name, lambda *_: None)
        if key is not None:
            embedded[name] = eventlogging_subset(api["streams"][key])
    return serialize(api), serialize(embedded)
