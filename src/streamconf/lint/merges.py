"""Rules on what the merges do that the files do not show: SL003 ineffective-false, SL004
ineffective-null, SL006 tag-order, SL007 short-list."""

from __future__ import annotations

from typing import Iterator

from ..render import stream_entries
from ..resolve import PLUS_TAG, PLUS_WIKI, SETTINGS, resolve_setting
from ..values import MISSING, get_path, leaves, show
from .context import Context, setting_leaves
from .registry import Finding, rule


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


@rule("SL003")
def ineffective_false(context: Context) -> Iterator[Finding]:
    """A `false` under a `+` key that a lower layer's value replaces: in a `+` merge a `false` does not
    hold (`0`, `''` and `true` do). The message names the value that wins and where it is set.

    ```yaml
    # streams/a.yaml
    a.b:
      canary_events_enabled: true
    # overrides/production/meta.yaml
    +metawiki:
      streams:
        a.b:
          canary_events_enabled: false   # SL003: does not hold on metawiki: the `default` value true at streams/a.yaml:4:3 replaces it
    ```

    To really turn it off for metawiki, give metawiki a plain key with the whole setting, or stop
    setting the value in the lower layer.
    """
    yield from _ineffective(context, False)


@rule("SL004")
def ineffective_null(context: Context) -> Iterator[Finding]:
    """A `null` under a `+` key counts as unset, and the lower layer's value fills it: a `null` cannot
    remove a setting.

    ```yaml
    +enwiki:
      streams:
        a.b:
          topic_prefixes: null   # SL004: counts as unset on enwiki: the `default` value ["p."] fills it
    ```
    """
    yield from _ineffective(context, None)


@rule("SL006")
def tag_order(context: Context) -> Iterator[Finding]:
    """Two tag keys that both apply to a wiki, so that the result depends on the order of its tags: two
    plain tag keys (the first wins, the other is not read), or two `+` tag keys that set the same path
    to different values (the earlier tag's value wins). MediaWiki calls overlapping tags unsupported.

    ```yaml
    small:
      eventlogging_streams: [a.b]
    private:          # SL006: `small` and `private` both apply to w1wiki: `small` comes first, so `private` is not read
      eventlogging_streams: []
    ```
    """
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


@rule("SL007")
def short_list(context: Context) -> Iterator[Finding]:
    """A stream's list setting shorter than the stream defaults' list of the same key. Defaults are
    applied like PHP's `array_replace_recursive`, which replaces lists item by item.

    ```yaml
    # stream-defaults.yaml
    topic_prefixes: [eqiad., codfw.]
    # streams/a.yaml
    a.b:
      topic_prefixes: [west.]   # SL007: shorter than the default: it is ["west.", "codfw."] on all wikis
    ```

    List every item the stream should have.
    """
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
                    # stream_entries: a layer may hold the stream under an integer key (the old list form)
                    source = next(s for s in walk
                                  if type(get_path(stream_entries(compiler.keys["streams"][s.key]).get(name), path)) is list)
                    result = own + default[len(own):]
                    seen.setdefault((name, path, source.key, show(own), show(default), show(result)), set()).update(wiki_class.wikis)
        for (name, path, key, own, default, result), wikis in sorted(seen.items()):
            layer = context.layer(view.name, "streams", key)
            yield Finding(layer.location((name,) + path),
                          f"{name} sets {'.'.join(map(str, path))} to {own}, shorter than the default {default}: "
                          f"lists are replaced item by item, so it is {result} on {context.wikis(wikis, view.name)}",
                          "list every item the stream should have", (key, name) + path)
