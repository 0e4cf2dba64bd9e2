"""Why an instrument's entry on a wiki is what it is: for each value the extension embeds, the
place that sets it, and for the rate, which list names the wiki (itself or through a tag) and
which later lists do not hold. Pure: the Config in, explanations out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ..diagnostics import Location
from ..model import Config
from .declare import Instrument
from .render import sample_rate
from .resolve import DEFAULT, Wikis
from .timestamps import format_instant


@dataclass
class Setter:
    what: str  # `start`, the list '0.5', which names it, ...
    location: Location
    revision: object = None  # a git.repository.Revision, with --blame


@dataclass
class Explanation:
    name: str  # what is explained: active, sample.rate, stream_name, ...
    value: object
    setters: list[Setter] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def explain(config: Config, realm: str, wiki: str, instrument: Instrument, at: datetime) -> list[Explanation]:
    if not instrument.enabled:
        return [Explanation("enabled", False, [Setter("`enabled: false`", instrument.location("enabled"))],
                            ["left out of the service and of every wiki"])]
    active = instrument.start <= at <= instrument.end
    window = Explanation("active", active, [Setter("start", instrument.location("start")), Setter("end", instrument.location("end"))],
                         [f"start {format_instant(instrument.start)} {'≤' if instrument.start <= at else '>'} "
                          f"{format_instant(at)} {'≤' if at <= instrument.end else '>'} end {format_instant(instrument.end)}"])
    return [window, rate(config, realm, wiki, instrument), unit(instrument)] + [
        Explanation(key, instrument.fields.get(key, []), [Setter(key, instrument.location(key))] if key in instrument.fields else [],
                    [] if key in instrument.fields else ["not written: an empty list"])
        for key in ("stream_name", "contextual_attributes")]


def rate(config: Config, realm: str, wiki: str, instrument: Instrument) -> Explanation:
    wikis = Wikis(config.realms[realm])
    explanation = Explanation("sample.rate", None)
    for key, names in instrument.rates.items():
        for index, name in enumerate(names if key != DEFAULT else ()):
            if wiki not in wikis.expand([name]):
                continue
            how = "names it" if name == wiki else f"names it through the tag `{name}`"
            if explanation.value is None:
                explanation.value = sample_rate(key)
                explanation.setters.append(Setter(f"the list {key!r}, which {how} (the first list that does)",
                                                  instrument.location("sample.rate", (key, index))))
            else:
                explanation.notes.append(f"the list {key!r} at {instrument.location('sample.rate', (key, index))} "
                                         f"{how} too, but only the first list holds")
    if explanation.value is None:
        explanation.value = sample_rate(instrument.rates.get(DEFAULT))
        explanation.setters.append(Setter("`default`, as no list names it", instrument.location("sample.rate", (DEFAULT,))))
    return explanation


def unit(instrument: Instrument) -> Explanation:
    if "sample.unit" in instrument.fields:
        return Explanation("sample.unit", instrument.fields["sample.unit"], [Setter("sample.unit", instrument.location("sample.unit"))])
    return Explanation("sample.unit", "session", [], ["not written: the extension's default"])
