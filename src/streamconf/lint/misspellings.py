"""Rules on how setting keys are spelt: SL301 misspelt-key."""

from __future__ import annotations

from typing import Iterator

from ..model import Layer
from ..resolve import Value
from ..spelling import close_names
from ..validate import schemas
from .context import Context
from .registry import Finding, rule


def _keys(value: Value) -> list[tuple[tuple, tuple, str]]:
    """(path of the map, its shape, key) for every key of every map inside value. The shape is
    where a key sits whatever the list positions on the way: ('producers', 'x', '*')."""
    found, pending = [], [(value, (), ())]
    while pending:
        value, path, shape = pending.pop()
        if type(value) is dict:
            for key, item in value.items():
                found.append((path, shape, key))
                if type(item) in (dict, list):
                    pending.append((item, path + (key,), shape + (key,)))
        elif type(value) is list:
            pending.extend((item, path + (index,), shape + ("*",)) for index, item in enumerate(value)
                           if type(item) in (dict, list))
    return found


def _schema_keys(schema: dict, shape: tuple = ()) -> Iterator[tuple[tuple, str]]:
    for key, inner in schema.get("properties", {}).items():
        yield shape, key
        yield from _schema_keys(inner, shape + (key,))
    if isinstance(schema.get("items"), dict):
        yield from _schema_keys(schema["items"], shape + ("*",))


def _settings_keys(context: Context) -> Iterator[tuple[Layer, tuple, tuple, tuple, str]]:
    """(layer, where the settings start in it, path of the map inside the settings, its shape, key)
    for every key of every stream's settings and of stream defaults, in every layer."""
    for _, layer in context.own_layers("streams"):
        if type(layer.value) is dict:
            for name, settings in layer.value.items():
                for path, shape, key in _keys(settings):
                    yield layer, (name,), path, shape, key
    for _, layer in context.own_layers("stream_defaults"):
        for path, shape, key in _keys(layer.value):
            yield layer, (), path, shape, key


@rule("SL301")
def misspelt_key(context: Context) -> Iterator[Finding]:
    """A setting key that no schema defines at that place, that no other stream, default or override of
    the repository uses there, and that differs from a known key only in case, `-` for `_`, or a
    letter or two (one for keys of 4 to 7 letters, two for longer ones; shorter keys only in case and
    separator). Stream settings are open-ended, so no schema refuses a typo, and the setting it meant
    silently keeps its default.

    ```yaml
    mediawiki.web_ui_actions:
      smaple:            # SL301: `smaple` is set only here and no schema defines it: did you mean `sample`?
        rate: 0.5
    ```

    Known keys are the schemas' and every key that two or more streams, defaults or overrides use at
    the same place (under `producers.metrics_platform_client`, say), so a repository's own settings
    stay quiet once they are in use; the same typo written twice looks like a setting and is not
    reported. Keep a one-off setting of your own with `# streamconf: disable=SL301` on its line.

    Keys that a schema closes (the settings of an override key, a realm file, streamconf.yaml) are
    errors of the schema check (SC002), which suggests the key meant the same way:
    `unknown key ('stream' was unexpected)`, hint: did you mean `streams`?
    """
    schema_keys: dict[tuple, set[str]] = {}
    for shape, key in _schema_keys(schemas()["stream-settings.schema.json"]):
        schema_keys.setdefault(shape, set()).add(key)
    places: dict[tuple[tuple, str], set[tuple]] = {}
    occurrences = list(_settings_keys(context))
    for layer, start, _, shape, key in occurrences:
        places.setdefault((shape, key), set()).add((layer.realm, layer.setting, layer.key) + start)
    in_use: dict[tuple, set[str]] = {}
    for (shape, key), where in places.items():
        if len(where) > 1:
            in_use.setdefault(shape, set()).add(key)
    for layer, start, path, shape, key in occurrences:
        if key in schema_keys.get(shape, ()) or len(places[(shape, key)]) > 1:
            continue
        close = close_names(key, schema_keys.get(shape, set()) | in_use.get(shape, set()))
        if close:
            full = start + path + (key,)
            yield Finding(layer.location(full), f"`{key}` is set only here and no schema defines it: did you mean "
                          f"{' or '.join(f'`{name}`' for name in close)}?",
                          f"rename the key; if `{key}` is a setting of its own, keep it and add "
                          "`# streamconf: disable=SL301` on its line", (layer.key,) + full)
