"""Who owns what: the teams of owners.yaml and the owner and governance metadata of every stream
(metadata/**/*.yaml). None of it is ever served: it lives beside MediaWiki's settings, not in
them, so the bundles stay exactly what MediaWiki serves for the same settings."""

from __future__ import annotations

from dataclasses import dataclass, field

from .codes import diagnostic
from .diagnostics import Diagnostic, Location
from .load import Document
from .render import find_stream


@dataclass(frozen=True)
class Team:
    name: str
    description: str
    contact: str
    gitlab: tuple[str, ...]  # users, groups or e-mail addresses that approve its changes
    location: Location = Location("")


@dataclass(frozen=True)
class StreamMetadata:
    """What the catalog and DataHub say about a stream key (a name or a /pattern/)."""

    key: str
    owner: str
    description: str = ""
    tags: tuple[str, ...] = ()
    retention_days: int | None = None
    personal_data: bool | None = None
    location: Location = Location("")  # of its key
    owner_location: Location = Location("")


@dataclass
class Ownership:
    """owners.yaml and metadata/: teams, and stream key -> metadata in file order."""

    teams: dict[str, Team] = field(default_factory=dict)
    maintainers: str | None = None
    maintainers_location: Location = Location("owners.yaml")
    streams: dict[str, StreamMetadata] = field(default_factory=dict)
    declared: bool = False  # whether owners.yaml exists: from then on every stream needs an owner
    location: Location = Location("owners.yaml")
    documents: list[Document] = field(default_factory=list)  # owners.yaml and metadata/, for their disable comments

    def metadata_of(self, name: str, keys: list[str]) -> StreamMetadata | None:
        """The metadata of the stream key that serves a stream name as MediaWiki finds it among
        `keys` (the stream keys in the order they are read): its own, else the first matching
        pattern's."""
        key = find_stream(dict.fromkeys(keys), name, lambda pattern, name: None)
        return self.streams.get(key) if key is not None else None


def build_ownership(owners: list[Document], metadata: list[Document]) -> tuple[Ownership, list[Diagnostic]]:
    """The Ownership of schema-valid owners.yaml and metadata documents; metadata given twice for
    one stream is an error naming both places."""
    ownership = Ownership()
    diagnostics: list[Diagnostic] = []
    ownership.documents = [*owners, *metadata]
    for document in owners:
        if document.value is None:
            continue
        ownership.declared = True
        ownership.location = document.location()
        ownership.maintainers = document.value.get("maintainers")
        ownership.maintainers_location = document.location(("maintainers",))
        for name, team in document.value["teams"].items():
            ownership.teams[name] = Team(name, team["description"], team["contact"], tuple(team["gitlab"]),
                                         document.location(("teams", name)))
    for document in sorted(metadata, key=lambda d: d.file):
        for key, value in (document.value or {}).items():
            where = document.location((key,))
            if key in ownership.streams:
                first = ownership.streams[key].location
                diagnostics.append(diagnostic("SC403", where, f"the metadata of {key!r} is given twice: also at {first}",
                                              "keep one of the two", (key,)))
                continue
            ownership.streams[key] = StreamMetadata(
                key, value["owner"], value.get("description", ""), tuple(value.get("tags", ())),
                value.get("retention_days"), value.get("personal_data"), where, document.location((key, "owner")))
    return ownership, diagnostics
