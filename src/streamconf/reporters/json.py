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
    from ..instruments.schedule import Scheduled


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
