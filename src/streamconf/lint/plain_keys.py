"""Rules on plain keys, which replace a whole setting where a `+` key merges: SL401
plain-key-wipes."""

from __future__ import annotations

from typing import Iterator

from ..model import Layer
from ..render import names_of, stream_entries
from ..resolve import Value, applicable_keys, merge, resolve_setting
from ..values import leaves
from .context import Context, RealmView
from .registry import Finding, rule

WHAT = {"streams": "stream", "stream_defaults": "stream default", "eventlogging_streams": "EventLogging stream name"}


def _contents(setting: str, value: Value) -> list[str]:
    """What a resolved setting holds, as a reader counts it: streams, default paths or names."""
    if setting == "streams":
        return list(stream_entries(value))
    if setting == "eventlogging_streams":
        return list(dict.fromkeys(names_of(value)))
    return [".".join(path) for path, _ in leaves(value)] if type(value) is dict and value else []


@rule("SL401")
def plain_key_wipes(context: Context) -> Iterator[Finding]:
    """A plain `<wiki>` key that removes from the wiki what the other keys give it. A plain wiki key
    is the whole setting for that wiki: where `+<wiki>` was meant, the wiki silently loses every
    other stream. Reported first, before the findings it causes (SL005 unread keys, SL010
    EventLogging names). Plain tag keys are left alone: replacing a setting for a group of wikis
    (`private`, say) is a common, deliberate idiom.

    ```yaml
    # overrides/production/enwiki.yaml
    enwiki:            # SL401: `enwiki` replaces the whole streams setting on enwiki: 17 streams removed there
      streams:         #        (did you mean `+enwiki`?)
        mediawiki.web_ui_actions:
          sample: {rate: 0.1}
    ```

    Keep the plain key only to replace the whole setting on purpose, and say so on its line with
    `# streamconf: disable=SL401`.
    """
    for setting in WHAT:
        for view, layer in context.own_layers(setting):
            wiki = layer.key
            if wiki in view.compiler.wikis and view.compiler.keys[setting].get(wiki) is layer.value:
                removed = _removed(view, setting, layer)
                if removed:
                    yield _finding(context, view, setting, layer, removed)


def _removed(view: RealmView, setting: str, layer: Layer) -> list[str]:
    """What the wiki loses to its plain key, against reading the key as `+<wiki>`."""
    keys = view.compiler.keys[setting]
    wiki, plus = layer.key, "+" + layer.key
    merged = {key: value for key, value in keys.items() if key != wiki}
    merged[plus] = merge(layer.value, keys[plus]) if plus in keys and type(layer.value) is type(keys[plus]) is dict else layer.value
    alternative = resolve_setting(merged, applicable_keys(merged, wiki, view.compiler.wikis[wiki]))
    kept = set(_contents(setting, layer.value))
    return [item for item in _contents(setting, alternative) if item not in kept]


def _finding(context: Context, view: RealmView, setting: str, layer: Layer, removed: list[str]) -> Finding:
    what = WHAT[setting] + ("s" if len(removed) != 1 else "")
    shown = ", ".join(removed[:3]) + (f", … (+{len(removed) - 3} more)" if len(removed) > 3 else "")
    return Finding(layer.location(),
                   f"`{layer.key}` replaces the whole {setting} setting on {layer.key}: "
                   f"{len(removed)} {what} removed there ({shown}); did you mean `+{layer.key}`?",
                   f"write `+{layer.key}` to add to what the other keys give; keep `{layer.key}` only to replace the whole "
                   f"setting on purpose, with `# streamconf: disable=SL401` on its line", (layer.key,))
