"""Rules on EventLogging's stream names: SL010 unresolved-eventlogging-name."""

from __future__ import annotations

from typing import Iterator

from ..model import Layer
from ..render import names_of
from .context import Context
from .registry import Finding, rule


@rule("SL010")
def unresolved_eventlogging_name(context: Context) -> Iterator[Finding]:
    """An EventLogging stream name with no stream config on some wikis: EventLogging leaves it out, so
    the browser client drops its events.

    ```yaml
    # eventlogging.yaml
    - a.b
    - a.c     # SL010: EventLogging stream 'a.c' has no stream config on all 41 production wikis
    ```
    """
    for view in context.realms:
        missing: dict[str, set[str]] = {}
        compiler = view.compiler
        walks: dict[tuple, list[str]] = {}  # the wikis of each pair of streams and names walks
        for wiki_class in compiler.classes():
            walks.setdefault((wiki_class.walk("streams"), wiki_class.walk("eventlogging_streams")), []).extend(wiki_class.wikis)
        for (streams_walk, names_walk), wikis in walks.items():
            entries, pattern_keys = compiler.stream_entries(compiler.resolved_walk("streams", streams_walk))
            for name in sorted(set(names_of(compiler.resolved_walk("eventlogging_streams", names_walk))).difference(entries)):
                if compiler.first_match(pattern_keys, name) is None:
                    missing.setdefault(name, set()).update(wikis)
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
