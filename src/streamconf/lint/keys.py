"""Rules on keys and the streams they name: SL001 unknown-key, SL002 undeclared-stream, SL005
unread-key."""

from __future__ import annotations

from typing import Iterator

from ..diagnostics import did_you_mean
from ..model import unknown_key_problem
from ..render import stream_entries
from ..resolve import DEFAULT, SETTINGS, TAG, WIKI
from .context import Context
from .registry import Finding, rule


@rule("SL001", local=True)
def unknown_key(context: Context) -> Iterator[Finding]:
    """A key names a wiki or tag that the realm's registry does not know. It applies to no wiki, so a
    typo silently does nothing.

    ```yaml
    # overrides/production/enwiki.yaml
    +enwikii:            # SL001: 'enwikii' is neither a wiki nor a tag of realm 'production'; did you mean enwiki?
      streams: ...
    ```
    """
    for setting in SETTINGS:
        for view, layer in context.own_layers(setting):
            problem = unknown_key_problem(context.config.realms[view.name], layer.key)
            if problem:
                yield Finding(layer.location(), *problem, (layer.key,))


@rule("SL002")
def undeclared_stream(context: Context) -> Iterator[Finding]:
    """An override names a stream that no layer of the realm declares (gives a `schema_title`). The wikis
    that read the override get a half-config stream with no schema and no destination.

    ```yaml
    +enwiki:
      streams:
        mediawiki.web_ui_action:   # SL002: no layer declares it; did you mean mediawiki.web_ui_actions?
          sample: {rate: 0.01}
    ```
    """
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


@rule("SL005")
def unread_key(context: Context) -> Iterator[Finding]:
    """A key that applies to wikis but that none of them ever reads: a `+<wiki>` key beside a plain
    `<wiki>` key, a tag key that every wiki with that tag meets after an earlier plain tag key, or a
    `default` that every wiki stops before.

    ```yaml
    enwiki:          # a plain key: the whole setting for enwiki
      streams: ...
    +enwiki:         # SL005: never read: the plain key `enwiki` replaces the whole setting first
      streams: ...
    ```
    """
    for setting in SETTINGS:
        for view, layer in context.own_layers(setting):
            realm = context.config.realms[view.name]
            name = layer.key.removeprefix("+")
            applies_to = set(realm.wikis) if layer.key == DEFAULT else \
                realm.members.get(name, frozenset()) | ({name} if name in realm.wikis else set())
            if not applies_to:
                continue
            read = any(step.key == layer.key for walk in view.walks[setting] for step in walk)
            if read:
                continue
            stoppers = {walk[-1].key for walk, wikis in view.walks[setting].items()
                        if walk and walk[-1].action in (WIKI, TAG) and not applies_to.isdisjoint(wikis)}
            reason = ", ".join(f"`{key}` at {context.layer(view.name, setting, key).location()}" for key in sorted(stoppers))
            yield Finding(layer.location(), f"`{layer.key}` ({setting}) is never read: the plain key{'s' if len(stoppers) > 1 else ''} "
                                            f"{reason} replace{'' if len(stoppers) > 1 else 's'} the whole setting first",
                          "merge the two keys into one, or remove this one", (layer.key,))
