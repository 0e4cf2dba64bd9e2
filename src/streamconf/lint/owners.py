"""Rules on owners: SL201 missing-owner, SL202 unknown-team, SL203 undeclared-metadata. Every
stream and every instrument names a team of owners.yaml, and metadata/ describes only streams
that exist. (SL115, in instruments.py, checks an instrument's owner against the same teams.)"""

from __future__ import annotations

from typing import Iterator

from ..codeowners import declared_streams, instruments_by_place
from ..diagnostics import did_you_mean
from .context import Context
from .registry import Finding, rule


@rule("SL201")
def missing_owner(context: Context) -> Iterator[Finding]:
    """A declared stream with no entry in `metadata/`, or an instrument with no `owner`, once the
    repository has an `owners.yaml`. With `require_owners: true` in streamconf.yaml it is an
    error, which also stops `compile`, and is reported even before owners.yaml exists. The owner
    is the team that approves changes through CODEOWNERS (`streamconf owners`), and the one the
    catalog and DataHub name.

    ```yaml
    # metadata/web.yaml
    mediawiki.web_ui_actions:
      owner: web          # without this entry: SL201 stream 'mediawiki.web_ui_actions' has no owner
    ```
    """
    ownership = context.config.ownership
    if not ownership.declared and not context.settings.require_owners:
        return
    for name, where in declared_streams(context.config).items():
        if name not in ownership.streams:
            yield Finding(where, f"stream {name!r} has no owner",
                          f"add `{name}: {{owner: TEAM}}` to a file in metadata/, TEAM one of owners.yaml's teams", (name,))
    keys = list(declared_streams(context.config))
    for instrument in instruments_by_place(context.config).values():
        if "owner" not in instrument.fields:
            stream = ownership.metadata_of(str(instrument.fields.get("stream_name")), keys)
            hint = "add `owner: TEAM`, TEAM one of owners.yaml's teams"
            if stream and stream.owner in ownership.teams:
                hint += f" (its stream's owner is {stream.owner})"
            yield Finding(instrument.location(), f"instrument {instrument.name!r} has no owner", hint, (instrument.name,))


@rule("SL202", local=True)
def unknown_team(context: Context) -> Iterator[Finding]:
    """An `owner` in `metadata/`, or `maintainers` in owners.yaml, that is not one of owners.yaml's
    `teams`, once the repository has an owners.yaml: nobody would be asked to approve a change.
    SL115 says the same of an instrument's `owner`.

    ```yaml
    mediawiki.web_ui_actions:
      owner: webb         # SL202: 'webb' is not a team of owners.yaml; did you mean web?
    ```
    """
    ownership = context.config.ownership
    if not ownership.declared:  # owners are names of teams only once owners.yaml declares them
        return
    teams = ownership.teams
    owners = [(metadata.owner, metadata.owner_location, (metadata.key, "owner")) for metadata in ownership.streams.values()]
    if ownership.maintainers is not None:
        owners.insert(0, (ownership.maintainers, ownership.maintainers_location, ("maintainers",)))
    for team, where, path in owners:
        if team not in teams:
            yield Finding(where, f"{team!r} is not a team of owners.yaml",
                          did_you_mean(team, teams) or f"declare {team!r} under teams: in owners.yaml", path)


@rule("SL203")
def undeclared_metadata(context: Context) -> Iterator[Finding]:
    """Metadata in `metadata/` for a stream key that no layer declares: a typo, or a stream that
    was renamed or removed. The stream it meant is left without an owner (SL201).

    Besides the rules, owners.yaml and every file of metadata/ are checked against their schemas
    (SC002), and the metadata of one stream given twice is an error naming both places (SC403).
    """
    declared = declared_streams(context.config)
    for metadata in context.config.ownership.streams.values():
        if metadata.key not in declared:
            yield Finding(metadata.location, f"metadata for {metadata.key!r}, which no layer declares",
                          did_you_mean(metadata.key, declared) or "remove it, or declare the stream in streams/",
                          (metadata.key,))
