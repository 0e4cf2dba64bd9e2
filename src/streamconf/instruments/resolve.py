"""From an instrument as a realm sees it to the object the configurator's `GET /api/v1/instruments`
lists for it: dates in UTC, rates as strings, tags expanded to the realm's wikis."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..model import Realm
from .declare import Instrument
from .timestamps import format_instant

DEFAULT = "default"


def rate_text(rate: Any) -> str:
    """A rate as the service writes it: a string; a number in plain decimal notation."""
    if isinstance(rate, str):
        return rate
    if isinstance(rate, bool) or not isinstance(rate, (int, float)):
        return str(rate)
    return str(rate) if isinstance(rate, int) else format(Decimal(repr(rate)), "f")


class Wikis:
    """A realm's wikis and tags, as the wiki ids they stand for."""

    def __init__(self, realm: Realm) -> None:
        self.realm = realm
        self.tags: dict[str, tuple[str, ...]] = {}

    def of_tag(self, tag: str) -> tuple[str, ...]:
        """The tag's wikis in the realm's order."""
        if tag not in self.tags:
            members = self.realm.members.get(tag, frozenset())
            self.tags[tag] = tuple(wiki for wiki in self.realm.wikis if wiki in members)
        return self.tags[tag]

    def expand(self, names: list[str]) -> list[str]:
        """Wikis and tags as wiki ids, in the order written (a tag's wikis in the realm's order),
        each once. A name the realm does not know is left out: it can only come from a base realm,
        and is reported where it is written when that realm does not know it either."""
        wikis: list[str] = []
        for name in names:
            if name in self.realm.wikis:
                wikis.append(name)
            else:
                wikis.extend(self.of_tag(name))
        return list(dict.fromkeys(wikis))


def service_entry(instrument: Instrument, wikis: Wikis) -> dict[str, Any]:
    fields = instrument.fields
    entry: dict[str, Any] = {"name": instrument.name, "start": format_instant(instrument.start),
                             "end": format_instant(instrument.end)}
    if "sample.unit" in fields:
        entry["sample_unit"] = fields["sample.unit"]
    rates = instrument.rates
    entry["sample_rate"] = {DEFAULT: rate_text(rates[DEFAULT]),
                            **{rate: wikis.expand(names) for rate, names in rates.items() if rate != DEFAULT}}
    entry["stream_name"] = fields["stream_name"]
    entry["schema_title"] = fields["schema_title"]
    entry["contextual_attributes"] = list(fields.get("contextual_attributes", []))
    return entry


def service_body(instruments: dict[str, Instrument], realm: Realm) -> list[dict[str, Any]]:
    """What `GET /api/v1/instruments` returns for the realm: its enabled instruments, in order."""
    wikis = Wikis(realm)
    return [service_entry(instrument, wikis) for instrument in instruments.values() if instrument.enabled]
