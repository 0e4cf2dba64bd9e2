"""Results as JSON documents for other programs."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Iterable

from ..diagnostics import Diagnostic
from ..changes import ABSENT, ChangeSet
from ..wikisets import describe_wikis

if TYPE_CHECKING:
    from datetime import datetime

    from ..codes import Code
    from ..explain import Source
    from ..git.repository import Revision
    from ..instruments.explain import Setter
    from ..instruments.schedule import Scheduled
    from ..workflow import EmbeddingReport, ExplainReport, InstrumentReport, LogEntry


def diagnostics(found: list[Diagnostic]) -> str:
    return json.dumps([d.as_dict() for d in found], indent=1) + "\n"


def value(document: object) -> str:
    """A value as `show` prints it: PHP's JSON, indented."""
    from ..render import to_json_value

    return json.dumps(to_json_value(document), indent=2, ensure_ascii=False)


def rules(entries: Iterable[tuple[Code, str]]) -> str:
    records = [{"code": code.id, "name": code.name, "severity": code.severity, "summary": code.summary, "doc": doc}
               for code, doc in entries]
    return json.dumps(records, indent=1, ensure_ascii=False) + "\n"


def schedule(at: datetime, coming: list[Scheduled]) -> str:
    """The coming instrument starts and ends, for a deploy timer: valid_until is the next recompile."""
    from ..instruments.schedule import rate_groups
    from ..instruments.timestamps import format_instant

    until = format_instant(coming[0].change.at) if coming else None
    return json.dumps({"at": format_instant(at), "valid_until": until, "changes": [
        {"at": format_instant(item.change.at), "realm": item.change.realm, "event": item.change.event,
         "instrument": item.change.name, "sample_unit": item.entry.get("sample_unit", "session"),
         "default": item.entry["sample_rate"]["default"],
         "rates": [{"rate": rate, "wikis": wikis} for rate, wikis in rate_groups(item.entry)]} for item in coming]},
        indent=1, ensure_ascii=False)


def diff(changes: ChangeSet, before: str, after: str) -> str:
    return json.dumps({"base": before, "head": after, "changes": _change_records(changes)}, indent=1, ensure_ascii=False)


def _change_records(changes: ChangeSet) -> list[dict]:
    """One record per change and per value: a stream added on several wikis with different configs
    gives one record per config, so each record carries exactly what its wikis are served."""
    from ..render import to_json_value

    def served(value: object) -> object:
        return None if value is ABSENT else to_json_value(value)
    records = []
    for change, wikis in changes.sorted():
        records.append({
            "realm": change.realm, "section": change.section, "stream": change.stream, "path": list(change.path),
            "old": served(change.old), "old_absent": change.old is ABSENT,
            "new": served(change.new), "new_absent": change.new is ABSENT,
            "breaking": change.breaking or None, "wikis": sorted(wikis),
            "wikis_summary": describe_wikis(wikis, changes.realms.get(change.realm), change.realm),
        })
    return records


def log(entries: list[LogEntry]) -> str:
    """Each commit that changed the stream, with its changes as diff records them."""
    return json.dumps([{**_revision(entry.revision), "changes": _change_records(entry.changes)} for entry in entries],
                      indent=1, ensure_ascii=False)


def explanation(report: ExplainReport | InstrumentReport | EmbeddingReport) -> str:
    """explain's report: each value with the layers that set it and those that did not count."""
    from ..instruments.timestamps import format_instant
    from ..render import to_json_value
    from ..workflow import EmbeddingReport, ExplainReport

    if isinstance(report, EmbeddingReport):
        embedding = report.embedding
        document = {"realm": report.realm, "wiki": report.wiki, "stream": embedding.name, "section": "eventlogging",
                    "embedded": embedding.embedded is not None, "config": to_json_value(embedding.embedded),
                    "key": embedding.key, "verdict": embedding.verdict,
                    "listed_by": [_source(source) for source in embedding.listed_by],
                    "not_read": [{**_source(source), "why": why} for source, why in embedding.not_read]}
    elif isinstance(report, ExplainReport):
        document = {"realm": report.realm, "wiki": report.wiki, "stream": report.stream, "key": report.key, "values": [
            {"path": list(item.path), "absent": item.absent, "value": None if item.absent else to_json_value(item.value),
             "note": item.note or None,
             "set_by": [_source(source) for source in item.setters],
             "shadowed": [{**_source(source), "why": why} for source, why in item.shadowed]}
            for item in report.explanations]}
    else:
        document = {"realm": report.realm, "wiki": report.wiki, "instrument": report.name, "at": format_instant(report.at),
                    "values": [{"name": item.name, "value": to_json_value(item.value), "notes": item.notes,
                                "set_by": [{"what": setter.what, **_place(setter)} for setter in item.setters]}
                               for item in report.explanations]}
    return json.dumps(document, indent=1, ensure_ascii=False)


def _source(source: Source) -> dict:
    from ..render import to_json_value

    return {"key": source.key, "realm": source.realm, "setting": source.setting, "value": to_json_value(source.value),
            **_place(source)}


def _place(source: Source | Setter) -> dict:
    """Where a source was written, and with --blame the commit that last changed its line."""
    location = source.location
    return {"file": location.file, "line": location.line, "column": location.column,
            "revision": _revision(source.revision) if source.revision else None}


def _revision(revision: Revision) -> dict:
    return {"commit": revision.sha, "author": revision.author, "date": revision.date, "subject": revision.subject}
