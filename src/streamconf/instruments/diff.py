"""What a change does to instruments, per realm and instrument: the window, the target, the
attributes and unit (the same on every wiki), and the rate per wiki set. Pure: two Configs in,
changes out, in the shape of the stream changes (diff.Change, section "instruments").

Breaking: a change of `stream_name` or `schema_title` (the events go elsewhere, or in another
shape), and the removal (or disabling) of an instrument that is active at the instant given.
"""

from __future__ import annotations

from datetime import datetime

from ..changes import ABSENT, Change, ChangeSet, same
from ..model import Config
from .render import first_rates, sample_rate
from .resolve import DEFAULT, service_body
from .timestamps import parse_instant

SECTION = "instruments"
FIELDS = (("start",), ("end",), ("stream_name",), ("schema_title",), ("contextual_attributes",), ("sample_unit",))
BREAKING_FIELDS = {"stream_name": "stream_name changed", "schema_title": "schema_title changed"}


def _entries(config: Config, realm: str) -> dict[str, dict]:
    if realm not in config.realms:
        return {}
    return {entry["name"]: entry for entry in service_body(config.instruments.get(realm, {}), config.realms[realm])}


def rates_by_wiki(entry: dict, wikis) -> dict[str, float]:
    """The rate each wiki gets, as the extension reads it; each written rate is read once."""
    listed = first_rates(entry)
    read = {rate: sample_rate(rate) for rate in set(listed.values())}
    default = sample_rate(entry["sample_rate"].get(DEFAULT))
    return {wiki: read[listed[wiki]] if wiki in listed else default for wiki in wikis}


def is_active(entry: dict, at: datetime) -> bool:
    return parse_instant(entry["start"]) <= at <= parse_instant(entry["end"])


def instrument_changes(base: Config, head: Config, at: datetime, into: ChangeSet) -> None:
    for realm in list(base.realms) + [name for name in head.realms if name not in base.realms]:
        before, after = _entries(base, realm), _entries(head, realm)
        wikis = tuple((head.realms.get(realm) or base.realms[realm]).wikis)
        for name in list(before) + [name for name in after if name not in before]:
            old, new = before.get(name), after.get(name)
            if old is None or new is None:
                removed_active = new is None and is_active(old, at)
                into.add(Change(realm, SECTION, name, (), old or ABSENT, new or ABSENT,
                                "active instrument removed" if removed_active else ""), wikis)
                continue
            for path in FIELDS:
                was, now = old.get(path[0], ABSENT), new.get(path[0], ABSENT)
                if was is ABSENT and now is ABSENT or was is not ABSENT and now is not ABSENT and same(was, now):
                    continue
                into.add(Change(realm, SECTION, name, path, was, now, BREAKING_FIELDS.get(path[0], "")), wikis)
            old_rates, new_rates = rates_by_wiki(old, wikis), rates_by_wiki(new, wikis)
            groups: dict[tuple[float, float], list[str]] = {}
            for wiki in wikis:
                if old_rates[wiki] != new_rates[wiki]:
                    groups.setdefault((old_rates[wiki], new_rates[wiki]), []).append(wiki)
            for (was, now), changed in groups.items():
                into.add(Change(realm, SECTION, name, ("sample", "rate"), was, now), tuple(changed))
