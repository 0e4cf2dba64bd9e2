"""When the embedded maps change: every start and end of an enabled instrument.

The maps at `at` hold until the next second at which an instrument starts, or the second after
one ends (an instrument is still active at its `end`). That second is the build's `valid_until`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from ..codes import diagnostic
from ..diagnostics import Diagnostic, Location
from ..model import Config
from .declare import Instrument
from .render import first_rates
from .resolve import service_body
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


def expiry_warnings(manifest: dict, where: str, current: datetime) -> list[Diagnostic]:
    """A warning when the build's embedded instrument maps are already out of date."""
    until = manifest.get("valid_until")
    try:
        if until is None or parse_instant(until) > current:
            return []
    except (TimestampError, TypeError):
        pass
    return [diagnostic("SC304", Location(where), f"the build's instruments are as at {manifest.get('at')}, valid until {until}, "
                       "which has passed: some instrument has started or ended since",
                       "compile again (a compile after valid_until rebuilds), then publish that build")]


def rate_groups(entry: dict) -> list[tuple[str, list[str]]]:
    """(rate, the wikis that get it) in the order written, each wiki under the first list that
    names it; lists whose wikis all get an earlier rate are left out."""
    groups: dict[str, list[str]] = {}
    for wiki, rate in first_rates(entry).items():
        groups.setdefault(rate, []).append(wiki)
    return [(rate, groups[rate]) for rate in entry.get("sample_rate", {}) if rate in groups]


@dataclass(frozen=True)
class Scheduled:
    """A coming change and the service entry of its instrument."""

    change: Change
    entry: dict


def coming(config: Config, realms: Iterable[str], at: datetime) -> list[Scheduled]:
    """Every start and end after `at` in the given realms, in time order."""
    selected = {realm: config.instruments.get(realm, {}) for realm in realms}
    entries = {realm: {entry["name"]: entry for entry in service_body(by_name, config.realms[realm])}
               for realm, by_name in selected.items()}
    return [Scheduled(change, entries[change.realm][change.name]) for change in changes(selected, at)]
