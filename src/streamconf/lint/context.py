"""What the lint rules look at: the validated Config, each realm's compiler and the distinct walks of
its wikis, and the values of the layers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Iterator

from ..compiler import RealmCompiler
from ..instruments import timestamps
from ..model import Config, Layer
from ..resolve import SETTINGS, Step, Value
from ..values import leaves
from ..wikisets import describe_wikis


@dataclass
class RealmView:
    """One realm: its compiler, and per setting the distinct walks with the wikis that take them."""

    name: str
    compiler: RealmCompiler
    walks: dict[str, dict[tuple[Step, ...], list[str]]] = field(default_factory=dict)


class Context:
    def __init__(self, config: Config, root: Path | None, schema_repository: Path | None = None,
                 at: datetime | None = None) -> None:
        self.config = config
        self.root = root
        self.at = at or timestamps.now()  # the instant instruments are judged at
        self.settings = config.repository
        repository = schema_repository or (root / self.settings.schema_repository
                                           if root is not None and self.settings.schema_repository else None)
        self.schema_repository = repository

    @cached_property
    def realms(self) -> list[RealmView]:
        views = []
        for name in self.config.realms:
            compiler = RealmCompiler(self.config, name)
            view = RealmView(name, compiler, {setting: {} for setting in SETTINGS})
            for wiki_class in compiler.classes():
                for setting in SETTINGS:
                    view.walks[setting].setdefault(wiki_class.walk(setting), []).extend(wiki_class.wikis)
            views.append(view)
        return views

    def own_layers(self, setting: str) -> Iterator[tuple[RealmView, Layer]]:
        """Every layer as the realm that declares it, with that realm's view."""
        for view in self.realms:
            for layer in self.config.layers.get(view.name, {}).get(setting, {}).values():
                yield view, layer

    def layer(self, realm: str, setting: str, key: str) -> Layer:
        return self.config.layer(realm, setting, key)

    def wikis(self, wikis, realm: str) -> str:
        return describe_wikis(set(wikis), self.config.realms[realm], realm)


def stream_leaves(value: Value) -> Iterator[tuple[tuple, Value]]:
    """(path, leaf) for every stream of a streams value, paths starting with the stream key."""
    if type(value) is dict:
        for key, settings in value.items():
            for path, leaf in leaves(settings):
                yield (key,) + path, leaf


def setting_leaves(setting: str, value: Value) -> Iterator[tuple[tuple, Value]]:
    return stream_leaves(value) if setting == "streams" else iter(leaves(value) if type(value) is dict else ())


def setting_values(context: Context, name: str) -> Iterator[tuple[Layer, tuple, Value]]:
    """Every value of a stream setting (`sample.unit`, say) in every layer, with its path."""
    wanted = tuple(name.split("."))
    for setting in ("streams", "stream_defaults"):
        for _, layer in context.own_layers(setting):
            for path, leaf in setting_leaves(setting, layer.value):
                inner = path[1:] if setting == "streams" else path
                if inner == wanted:
                    yield layer, path, leaf
