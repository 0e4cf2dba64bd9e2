"""What the `ext.testKitchen` module embeds on a wiki at an instant: its `instrumentConfigs`, made
from the service's instrument list by the extension's rules (ConfigsFetcher::processConfigs and
ResourceLoader\\Hooks::getInstrumentConfigs):

- an instrument is active iff start <= at <= end; an inactive one is left out, and one date that
  does not parse empties the whole list;
- its sample config starts as {"rate": 0.0, "unit": "session"}; with a `sample_rate`, the rate is
  its `default`, unless the wiki is listed under another rate, the first such list in order
  winning; a rate that is not numeric (PHP's is_numeric) gives 0.0; `sample_unit`, when set, is
  the unit;
- the entry is {"sample", "stream_name", "contextual_attributes"}, keyed by name, in list order;
  written as PHP's json_encode writes the array: `[]` when empty, a list when the names are
  exactly 0..n-1; and as ResourceLoader embeds it, with `<`, `>` and `&` escaped.

Maps are built for many wikis at once: wikis that get the same rate from every active instrument
share one map and one serialisation.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable

from .. import php_json
from ..render import serialize_map, serialize_value
from ..resolve import php_is_numeric
from .resolve import DEFAULT
from .timestamps import TimestampError, parse_instant

def is_numeric(value: Any) -> bool:
    """PHP 8's is_numeric of any JSON value."""
    if isinstance(value, bool):
        return False
    return isinstance(value, (int, float)) or isinstance(value, str) and php_is_numeric(value)


def sample_rate(rate: Any) -> float:
    """The rate the extension uses for a written rate: floatval of a numeric one, else 0.0."""
    return float(rate) if is_numeric(rate) else 0.0


def first_rates(entry: dict) -> dict[str, str]:
    """wiki -> the rate of the first list that names it (the others never hold)."""
    rates: dict[str, str] = {}
    for rate, wikis in entry.get("sample_rate", {}).items():
        if rate != DEFAULT:
            for wiki in wikis:
                rates.setdefault(wiki, rate)
    return rates


def is_active(entry: dict, at: datetime) -> bool:
    start, end = parse_instant(entry["start"]), parse_instant(entry["end"])  # both, as PHP parses both first
    return start <= at <= end


class InstrumentConfigs:
    """The embedded `instrumentConfigs` of any wiki, for one service list at one instant."""

    def __init__(self, entries: list[dict], at: datetime) -> None:
        try:
            self.active = [entry for entry in entries if is_active(entry, at)]
        except TimestampError:
            self.active = []  # the extension drops every instrument when one date does not parse
        self.rates = [first_rates(entry) for entry in self.active]
        self.configs: dict[tuple[int, Any], tuple[dict, bytes]] = {}
        self.maps: dict[tuple, tuple[dict, bytes]] = {}

    def config(self, index: int, rate_key: Any) -> tuple[dict, bytes]:
        """The entry of active instrument `index` where `rate_key` holds (None: the default), and
        its bytes; made once, shared by every map that holds it."""
        if (index, rate_key) not in self.configs:
            entry = self.active[index]
            sample: dict[str, Any] = {"rate": 0.0, "unit": "session"}
            if "sample_rate" in entry:
                sample["rate"] = sample_rate(entry["sample_rate"].get(DEFAULT) if rate_key is None else rate_key)
            if "sample_unit" in entry:
                sample["unit"] = entry["sample_unit"]
            config = {"sample": sample, "stream_name": entry.get("stream_name"),
                      "contextual_attributes": entry.get("contextual_attributes")}
            self.configs[(index, rate_key)] = (config, serialize_value(config))
        return self.configs[(index, rate_key)]

    def of(self, wiki: str) -> tuple[dict, bytes]:
        """The wiki's map and its bytes."""
        signature = tuple(rates.get(wiki) for rates in self.rates)
        if signature not in self.maps:
            configs: dict[str, tuple[dict, bytes]] = {}
            for index, (entry, rate_key) in enumerate(zip(self.active, signature)):
                configs[entry["name"]] = self.config(index, rate_key)
            # PHP writes an empty array as a JSON list, and so does the module on a wiki with no instrument.
            data = serialize_map({name: fragment for name, (_, fragment) in configs.items()}) if configs else b"[]"
            self.maps[signature] = ({name: config for name, (config, _) in configs.items()}, php_json.for_script(data) + b"\n")
        return self.maps[signature]

    def by_wiki(self, wikis: Iterable[str]) -> dict[str, bytes]:
        return {wiki: self.of(wiki)[1] for wiki in wikis}


def instrument_configs(entries: list[dict], wiki: str, at: datetime) -> dict:
    """The `instrumentConfigs` that `ext.testKitchen` embeds on `wiki` at `at`."""
    return InstrumentConfigs(entries, at).of(wiki)[0]


def service_bytes(entries: list[dict]) -> bytes:
    """The body of `GET /api/v1/instruments`, canonical JSON."""
    return serialize_value(entries) + b"\n"
