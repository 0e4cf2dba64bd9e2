"""When the embedded maps change: every start and end of an enabled instrument.

The maps at `at` hold until the next second at which an instrument starts, or the second after
one ends (an instrument is still active at its `end`). That second is the build's `valid_until`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from .declare import Instrument
from .timestamps import ONE_SECOND, TimestampError, format_instant, parse_instant


@dataclass(frozen=True, order=True)
class Change:
    """At `at` the instrument `name` of `realm` appears in (`start`) or leaves (`end`) the maps."""

    at: datetime
    realm: str
    event: str  # "start" or "end"
    name: str


def changes(instruments: dict[str, dict[str, Instrument]], after: datetime) -> list[Change]:
    """Every change later than `after`, in time order."""
    found = []
    for realm, by_name in instruments.items():
        for instrument in by_name.values():
            if not instrument.enabled:
                continue
            if instrument.start > after:
                found.append(Change(instrument.start, realm, "start", instrument.name))
            if instrument.end + ONE_SECOND > after:
                found.append(Change(instrument.end + ONE_SECOND, realm, "end", instrument.name))
    return sorted(found)


def valid_until(instruments: dict[str, dict[str, Instrument]], at: datetime) -> datetime | None:
    """The first second after `at` at which some embedded map differs; None when none will."""
    moments: Iterable[datetime] = (change.at for change in changes(instruments, at))
    return min(moments, default=None)


def build_holds(manifest: dict, at: datetime | None, current: datetime) -> bool:
    """Whether a build (its manifest) is what compiling now would write. A build for an explicit
    `at` holds only for that same instant; a build for "now" holds from its `at` until its
    `valid_until`. A build without `at` does not depend on time."""
    if "at" not in manifest:
        return True
    if at is not None:
        return manifest["at"] == format_instant(at)
    try:
        built, until = parse_instant(manifest["at"]), manifest.get("valid_until")
        return built <= current and (until is None or current < parse_instant(until))
    except (TimestampError, TypeError):
        return False
