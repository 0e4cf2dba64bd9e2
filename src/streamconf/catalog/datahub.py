"""The catalog as a DataHub metadata file: the JSON list of metadata change proposals that
DataHub's `file` source ingests, made with the acryl-datahub package's own classes (the optional
extra streamconf[datahub]). One dataset per stream on the `kafka` platform, and one per topic it
writes to, each with its description, its owner team as a corporate group, its tags, custom
properties and a link to its catalog page; and each team as a corporate group. Lineage runs the
way the events do: each topic is downstream of the streams that write to it (docs/catalog.md
says why). Pure but for the package: the catalog in, proposals out; the command writes them."""

from __future__ import annotations

from ..codes import fail
from ..diagnostics import Location
from .model import Catalog, StreamRecord

PLATFORM = "kafka"
ENVIRONMENT = "PROD"
PIPELINE = "streamconf"
"""The `pipelineName` of every proposal's system metadata: what marks a metadata file as
streamconf's, so that an export replaces only a file an earlier export wrote."""
MAX_PREVIOUS_BYTES = 64 * 1024 * 1024


def _datahub():
    try:
        from datahub.emitter import mce_builder
        from datahub.emitter.mcp import MetadataChangeProposalWrapper
        from datahub.metadata import schema_classes
    except ImportError:
        raise fail("SC405", Location("streamconf export datahub"), "the DataHub export needs acryl-datahub, an optional dependency",
                   "install it with: pip install 'streamconf[datahub]'") from None
    return mce_builder, MetadataChangeProposalWrapper, schema_classes


def proposals(catalog: Catalog, site_url: str | None) -> list:
    """Every metadata change proposal, in a stable order: teams, then each stream and its topics."""
    builder, Wrapper, classes = _datahub()

    def proposal(entityUrn: str, aspect):
        return Wrapper(entityUrn=entityUrn, aspect=aspect, systemMetadata=classes.SystemMetadataClass(pipelineName=PIPELINE))

    writers = _writers(catalog)
    found = []
    for team in sorted(catalog.teams.values(), key=lambda team: team.name):
        email = team.contact if "@" in team.contact and "://" not in team.contact else None
        found.append(proposal(entityUrn=builder.make_group_urn(team.name), aspect=classes.CorpGroupInfoClass(
            displayName=team.name, description=team.description, email=email, admins=[], members=[], groups=[])))
    for stream in catalog.streams.values():
        properties = _properties(catalog, stream)
        url = f"{site_url.rstrip('/')}/streams/{stream.slug}.html" if site_url else None
        description = stream.metadata.description if stream.metadata else ""
        aspects = _owned(stream, builder, classes)
        found += [proposal(entityUrn=builder.make_dataset_urn(PLATFORM, stream.key, ENVIRONMENT), aspect=aspect) for aspect in
                  [classes.DatasetPropertiesClass(name=stream.key, description=description or None,
                                                  customProperties=properties, externalUrl=url), *aspects]]
        for topic in _topics(catalog, stream):
            found += [proposal(entityUrn=builder.make_dataset_urn(PLATFORM, topic, ENVIRONMENT), aspect=aspect) for aspect in
                      [classes.DatasetPropertiesClass(name=topic, description=f"The Kafka topic of the stream {stream.key}.",
                                                      customProperties={**properties, "stream": stream.key}, externalUrl=url),
                       *aspects, _lineage(writers[topic], builder, classes)]]
    return found


def _writers(catalog: Catalog) -> dict[str, list[str]]:
    """Topic -> the streams that write to it, in catalog order (two streams may share a topic)."""
    writers: dict[str, list[str]] = {}
    for stream in catalog.streams.values():
        for topic in _topics(catalog, stream):
            writers.setdefault(topic, []).append(stream.key)
    return writers


def _lineage(streams: list[str], builder, classes):
    """A topic's upstreams: its streams, whose events it holds as they were sent (a copy). The whole
    aspect each time: DataHub replaces an aspect, so a topic shared by two streams names both."""
    return classes.UpstreamLineageClass(upstreams=[
        classes.UpstreamClass(dataset=builder.make_dataset_urn(PLATFORM, stream, ENVIRONMENT),
                              type=classes.DatasetLineageTypeClass.COPY) for stream in streams])


def _owned(stream: StreamRecord, builder, classes) -> list:
    """The ownership and tag aspects of a stream, shared by its topics."""
    aspects = []
    if stream.owner:
        aspects.append(classes.OwnershipClass(owners=[classes.OwnerClass(
            owner=builder.make_group_urn(stream.owner), type=classes.OwnershipTypeClass.TECHNICAL_OWNER)]))
    if stream.metadata and stream.metadata.tags:
        aspects.append(classes.GlobalTagsClass(tags=[classes.TagAssociationClass(tag=builder.make_tag_urn(tag))
                                                     for tag in stream.metadata.tags]))
    return aspects


def _properties(catalog: Catalog, stream: StreamRecord) -> dict[str, str]:
    """Custom properties, as the root realm serves the stream (or the first realm that does)."""
    realm = catalog.root_realm if catalog.root_realm in stream.realms else next(iter(stream.realms))
    served = stream.realms[realm]
    properties = {
        "schema_title": stream.setting(realm, "schema_title"),
        "destination_event_service": stream.setting(realm, "destination_event_service"),
        "sample": stream.sample_summary(realm),
        "wikis": str(len(served.wikis)),
        "instruments": ", ".join(instrument.name for instrument in catalog.instruments_of(stream.key)),
    }
    if stream.metadata and stream.metadata.retention_days:
        properties["retention_days"] = str(stream.metadata.retention_days)
    if stream.metadata and stream.metadata.personal_data is not None:
        properties["personal_data"] = "true" if stream.metadata.personal_data else "false"
    return properties


def _topics(catalog: Catalog, stream: StreamRecord) -> list[str]:
    """The topics a stream writes to in any realm, but for the stream's own name (a legacy stream
    writes to a topic of its name: the stream's dataset is that topic) and a pattern's (a regex)."""
    if stream.is_pattern:
        return []
    topics: set[str] = set()
    for served in stream.realms.values():
        spread = served.spreads.get("topics")
        for value, _ in spread.values if spread else ():
            topics.update(topic for topic in _json_list(value) if topic != stream.key)
    return sorted(topics)


def _json_list(text: str) -> list[str]:
    import json

    try:
        value = json.loads(text)
    except ValueError:
        return []
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def is_previous_export(path) -> bool:
    """Whether the regular file at `path` holds nothing but an earlier export: empty, or a JSON list
    of proposals that all carry streamconf's pipeline name."""
    import json

    with open(path, "rb") as file:
        data = file.read(MAX_PREVIOUS_BYTES + 1)
    if not data.strip():
        return True
    try:
        records = json.loads(data) if len(data) <= MAX_PREVIOUS_BYTES else None
    except ValueError:
        return False
    return isinstance(records, list) and all(
        isinstance(record, dict) and isinstance(record.get("systemMetadata"), dict)
        and record["systemMetadata"].get("pipelineName") == PIPELINE for record in records)


def write(path, records: list) -> None:
    """The metadata file, as DataHub's file sink writes it."""
    from datahub.ingestion.sink.file import write_metadata_file

    write_metadata_file(path, records)
