"""Rules on instruments (SL101–SL115): the instrument mistakes that validate's schema lets through,
from a stream that does not exist where the instrument samples to a window that has closed. They
read Config.instruments."""

from __future__ import annotations

import re
import weakref
from datetime import timedelta
from functools import cached_property
from typing import Iterator

from ..diagnostics import did_you_mean
from ..instruments.declare import Instrument
from ..instruments.render import first_rates, is_numeric, sample_rate
from ..instruments.resolve import DEFAULT, Wikis, service_entry
from ..layout import OWNERS_FILE, overlay_realm
from ..resolve import php_int_key
from ..values import get_path
from .context import Context, RealmView
from .registry import Finding, rule

SLUG = re.compile(r"[a-z0-9-]+")
SAMPLE_UNITS = ("pageview", "session")
TEST_KITCHEN_MARK = ("producers", "test_kitchen", "is_test_kitchen_stream")
ENDING_SOON = timedelta(days=7)


class RealmInstruments:
    """A realm's enabled instruments as the service lists them, with the rate each wiki gets and
    the config each wiki has for a stream, computed once for all the rules."""

    def __init__(self, context: Context, view: RealmView) -> None:
        self.view = view
        realm = context.config.realms[view.name]
        self.instruments = {name: i for name, i in context.config.instruments.get(view.name, {}).items() if i.enabled}
        wikis = Wikis(realm)
        self.entries = {name: service_entry(instrument, wikis) for name, instrument in self.instruments.items()}
        self.class_of = {wiki: wiki_class for wiki_class in view.compiler.classes() for wiki in wiki_class.wikis}
        self.streams: dict[tuple[int, str], dict | None] = {}

    @cached_property
    def sampled(self) -> dict[str, dict[int, list[str]]]:
        """name -> the wikis where the instrument's rate is above 0, by the id of their class."""
        sampled = {}
        for name, entry in self.entries.items():
            rates = {key: sample_rate(key) for key in entry["sample_rate"]}
            listed = first_rates(entry)
            if sample_rate(entry["sample_rate"].get(DEFAULT)) > 0:
                wikis = [wiki for wiki in self.class_of if rates.get(listed.get(wiki), 1) > 0]
            else:
                wikis = [wiki for wiki, key in listed.items() if rates[key] > 0 and wiki in self.class_of]
            by_class: dict[int, list[str]] = {}
            for wiki in wikis:
                by_class.setdefault(id(self.class_of[wiki]), []).append(wiki)
            sampled[name] = by_class
        return sampled

    def stream_config(self, wiki: str, stream: str) -> dict | None:
        """The stream's config on the wiki (its own key or the first matching pattern), or None."""
        wiki_class = self.class_of[wiki]
        key = (id(wiki_class), stream)
        if key not in self.streams:
            compiler = self.view.compiler  # renders this one stream, not the wiki's whole body
            entries, patterns = compiler.stream_entries(compiler.setting(wiki_class, "streams"))
            found = stream if stream in entries else compiler.first_match(patterns, stream)
            self.streams[key] = None if found is None else \
                compiler.stream_config(found, entries[found], compiler.setting(wiki_class, "stream_defaults"))[0]
        return self.streams[key]


_views: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def realm_instruments(context: Context) -> list[RealmInstruments]:
    if context not in _views:
        _views[context] = [RealmInstruments(context, view) for view in context.realms]
    return _views[context]


def every_instrument(context: Context) -> Iterator[Instrument]:
    """Each instrument of each realm: an inherited one once per realm, with the same locations
    (lint reports a finding once per place and message)."""
    for by_name in context.config.instruments.values():
        yield from by_name.values()


def declaring_realm(context: Context, instrument: Instrument, field: str) -> str:
    """The realm whose file wrote the field."""
    return overlay_realm(instrument.sources[field].document.file) or context.config.root_realm


def _stream_problems(context: Context, check, hint: str) -> Iterator[Finding]:
    """Findings for the wikis (with rate above 0) where `check(config, instrument)` gives a problem."""
    for realm in realm_instruments(context):
        for name, instrument in realm.instruments.items():
            stream = instrument.fields["stream_name"]
            problems: dict[str, set[str]] = {}
            for wikis in realm.sampled[name].values():  # a class of wikis has one config per stream
                problem = check(realm.stream_config(wikis[0], stream), instrument)
                if problem:
                    problems.setdefault(problem, set()).update(wikis)
            for problem, wikis in sorted(problems.items()):
                yield Finding(instrument.location("stream_name"), f"instrument {name!r}: {problem} on "
                              f"{context.wikis(wikis, realm.view.name)}, where its rate is above 0",
                              hint, (name, "stream_name"))


@rule("SL101")
def instrument_stream(context: Context) -> Iterator[Finding]:
    """`stream_name` has no stream config (its own key, or a pattern that matches it) on a wiki where the
    instrument's rate is above 0: the client drops the events of a stream it has no config for. Wikis
    that sample 0 need no stream.

    ```yaml
      stream_name: tk.missing   # SL101: stream 'tk.missing' has no config on the 2 `en` wikis, where its rate is above 0
    ```
    """
    yield from _stream_problems(context, lambda config, instrument:
                                None if config is not None else f"stream {instrument.fields['stream_name']!r} has no config",
                                "declare the stream for those wikis, or give them rate 0")


@rule("SL102")
def instrument_schema(context: Context) -> Iterator[Finding]:
    """`schema_title` is not the stream's `schema_title` on a wiki where the rate is above 0: EventGate
    validates events against the stream's schema and refuses the others.

    ```yaml
      schema_title: analytics/other   # SL102: schema_title 'analytics/other' is not the stream's 'analytics/product_metrics/web/base' on the 2 `en` wikis
    ```
    """
    def check(config, instrument: Instrument) -> str | None:
        if config is None or config.get("schema_title") == instrument.fields["schema_title"]:
            return None
        return f"schema_title {instrument.fields['schema_title']!r} is not the stream's {config.get('schema_title')!r}"
    yield from _stream_problems(context, check, "use the stream's schema_title, or the stream of this schema")


@rule("SL113")
def not_a_test_kitchen_stream(context: Context) -> Iterator[Finding]:
    """The stream is not marked as a Test Kitchen stream on a wiki where the rate is above 0. Wikimedia
    marks them so:

    ```yaml
    product_metrics.web_base:
      producers:
        test_kitchen:
          is_test_kitchen_stream: true
    ```

    ```yaml
      stream_name: plain.stream   # SL113: stream 'plain.stream' is not marked producers.test_kitchen.is_test_kitchen_stream: true on the 2 `en` wikis
    ```
    """
    def check(config, instrument: Instrument) -> str | None:
        if config is None or get_path(config, TEST_KITCHEN_MARK) is True:
            return None
        return f"stream {instrument.fields['stream_name']!r} is not marked {'.'.join(TEST_KITCHEN_MARK)}: true"
    yield from _stream_problems(context, check, "mark the stream with producers: {test_kitchen: {is_test_kitchen_stream: true}}")


@rule("SL103", local=True)
def unknown_contextual_attribute(context: Context) -> Iterator[Finding]:
    """A contextual attribute the Metrics Platform client does not provide. The list is
    `contextual_attributes` in streamconf.yaml; by default Wikimedia's (`agent_*`, `page_*`,
    `mediawiki_*`, `performer_*` as the web and apps clients fill them in, the apps' `agent_app_version`,
    `agent_app_flavor`, `agent_device_family`, `agent_release_status` and the rest included).

    ```yaml
      contextual_attributes: [page_id, page_colour]   # SL103: the client provides no contextual attribute 'page_colour'
    ```
    """
    known = context.settings.contextual_attributes
    for instrument in every_instrument(context):
        for index, attribute in enumerate(instrument.fields.get("contextual_attributes", ())):
            if attribute not in known:
                yield Finding(instrument.location("contextual_attributes", (index,)),
                              f"instrument {instrument.name!r}: the client provides no contextual attribute {attribute!r}",
                              did_you_mean(attribute, known) or "see contextual_attributes in streamconf.yaml",
                              (instrument.name, "contextual_attributes", index))


@rule("SL104", local=True)
def repeated_contextual_attribute(context: Context) -> Iterator[Finding]:
    """The same contextual attribute twice in one instrument.

    ```yaml
      contextual_attributes: [page_id, page_id]   # SL104: lists the contextual attribute 'page_id' twice
    ```
    """
    for instrument in every_instrument(context):
        seen: set[str] = set()
        for index, attribute in enumerate(instrument.fields.get("contextual_attributes", ())):
            if attribute in seen:
                yield Finding(instrument.location("contextual_attributes", (index,)),
                              f"instrument {instrument.name!r} lists the contextual attribute {attribute!r} twice",
                              "remove the second one", (instrument.name, "contextual_attributes", index))
            seen.add(attribute)


@rule("SL105", local=True)
def window_order(context: Context) -> Iterator[Finding]:
    """`start` is not before `end`: the instrument never runs, or for one second.

    ```yaml
      start: 2026-11-01T00:00:00Z
      end: 2026-10-31T00:00:00Z   # SL105: ends (2026-10-31T00:00:00Z) no later than it starts (2026-11-01T00:00:00Z)
    ```
    """
    for instrument in every_instrument(context):
        if instrument.start >= instrument.end:
            yield Finding(instrument.location("end"), f"instrument {instrument.name!r} ends ({instrument.fields['end']}) "
                          f"no later than it starts ({instrument.fields['start']})", "swap or fix the dates",
                          (instrument.name, "end"))


@rule("SL106", local=True)
def long_window(context: Context) -> Iterator[Finding]:
    """The window is longer than `max_instrument_days` (streamconf.yaml; default 365). An instrument
    answers a question and stops.

    ```yaml
      end: 2028-01-01T00:00:00Z   # SL106: runs 426 days, longer than 365
    ```
    """
    limit = context.settings.max_instrument_days
    for instrument in every_instrument(context):
        days = (instrument.end - instrument.start) / timedelta(days=1)
        if days > limit:
            yield Finding(instrument.location("end"), f"instrument {instrument.name!r} runs {days:,.0f} days, "
                          f"longer than {limit}", "end it sooner, or raise max_instrument_days in streamconf.yaml",
                          (instrument.name, "end"))


@rule("SL107", local=True)
def ended(context: Context) -> Iterator[Finding]:
    """The instrument has ended: it is in no wiki's map any more. Remove it (git keeps its history) or
    extend it. `enabled: false` instruments are not reported.

    ```yaml
      end: 2026-11-30T23:59:59Z   # SL107: ended at 2026-11-30T23:59:59Z
    ```
    """
    for instrument in every_instrument(context):
        if instrument.enabled and instrument.end < context.at:
            yield Finding(instrument.location("end"), f"instrument {instrument.name!r} ended at {instrument.fields['end']}",
                          "remove it (git keeps its history), or extend it", (instrument.name, "end"))


@rule("SL108", local=True)
def ending_soon(context: Context) -> Iterator[Finding]:
    """The instrument ends within 7 days: extend it now if it should keep collecting.

    ```yaml
      end: 2026-12-07T23:59:59Z   # SL108: ends at 2026-12-07T23:59:59Z, within 7 days
    ```
    """
    for instrument in every_instrument(context):
        if instrument.enabled and context.at <= instrument.end < context.at + ENDING_SOON:
            yield Finding(instrument.location("end"), f"instrument {instrument.name!r} ends at {instrument.fields['end']}, "
                          "within 7 days", "extend it now if it should keep collecting", (instrument.name, "end"))


def _rates(instrument: Instrument) -> Iterator[tuple[str, object, tuple]]:
    """(rate as written, its value, path inside sample.rate) of the default and of every list."""
    for rate, value in instrument.rates.items():
        yield (rate, value, (rate,)) if rate == DEFAULT else (rate, rate, (rate,))


@rule("SL109", local=True)
def rate_range(context: Context) -> Iterator[Finding]:
    """A rate (the `default`, or a rate key) that is not a number from 0 to 1. The extension samples a
    rate that PHP's `is_numeric` refuses (`half`, `0.5x`, `0x1`) at 0.0.

    ```yaml
        rate:
          default: half   # SL109: rate 'half' is not a number: MediaWiki samples it at 0.0
    ```
    """
    for instrument in every_instrument(context):
        for rate, value, path in _rates(instrument):
            if not is_numeric(value):
                problem = f"rate {value!r} is not a number: MediaWiki samples it at 0.0"
            elif not 0 <= sample_rate(value) <= 1:
                problem = f"rate {value!r} is outside 0–1"
            else:
                continue
            yield Finding(instrument.location("sample.rate", path), f"instrument {instrument.name!r}: {problem}",
                          "a rate is a fraction from 0 to 1, e.g. 0.25", (instrument.name, "sample", "rate", rate))


@rule("SL110", local=True)
def unknown_rate_wiki(context: Context) -> Iterator[Finding]:
    """A wiki or tag in the rates that the realm does not know (the realm whose file wrote the rates): it
    samples nothing.

    ```yaml
          '0.5': [enwiki, frwiki]   # SL110: 'frwiki' is neither a wiki nor a tag of realm 'production'
    ```
    """
    for instrument in every_instrument(context):
        realm = context.config.realms[declaring_realm(context, instrument, "sample.rate")]
        for rate, names in instrument.rates.items():
            for index, name in enumerate(names if rate != DEFAULT else ()):
                if name not in realm.wikis and name not in realm.tags:
                    yield Finding(instrument.location("sample.rate", (rate, index)),
                                  f"instrument {instrument.name!r}: {name!r} is neither a wiki nor a tag of realm {realm.name!r}",
                                  did_you_mean(name, list(realm.wikis) + sorted(realm.tags)) or f"add it to realms/{realm.name}.yaml",
                                  (instrument.name, "sample", "rate", rate, index))


@rule("SL111", local=True)
def wiki_under_two_rates(context: Context) -> Iterator[Finding]:
    """A wiki listed under two rates, itself or through a tag: only the first list that names it holds.

    ```yaml
          '0.5': [private]
          '1': [officewiki, dewiki]   # SL111: officewiki already gets rate 0.5; 'officewiki' under 1 does not hold there
    ```
    """
    wikis_of: dict[str, Wikis] = {}  # realm -> its wikis and tags, each tag expanded once
    for instrument in every_instrument(context):
        realm = declaring_realm(context, instrument, "sample.rate")
        wikis = wikis_of.setdefault(realm, Wikis(context.config.realms[realm]))
        first: dict[str, str] = {}
        for rate, names in instrument.rates.items():
            for index, name in enumerate(names if rate != DEFAULT else ()):
                named = wikis.expand([name])
                again = sorted(wiki for wiki in named if first.get(wiki, rate) != rate)
                if again:
                    shown = ", ".join(again[:3]) + (f" (+{len(again) - 3} more)" if len(again) > 3 else "")
                    yield Finding(instrument.location("sample.rate", (rate, index)),
                                  f"instrument {instrument.name!r}: {shown} already get{'s' if len(again) == 1 else ''} "
                                  f"rate {first[again[0]]}; {name!r} under {rate} does not hold there",
                                  "list each wiki under one rate", (instrument.name, "sample", "rate", rate, index))
                for wiki in named:
                    first.setdefault(wiki, rate)


@rule("SL112", local=True)
def instrument_name(context: Context) -> Iterator[Finding]:
    """A name that is not lowercase letters, digits and `-`, or that is an integer. The embedded map is
    keyed by name, and PHP makes `0`, `1`, … integer keys: names `0..n-1` turn the map into a list.

    ```yaml
    Web_Clicks:   # SL112: instrument name 'Web_Clicks' is not slug-like
    ```
    """
    for instrument in every_instrument(context):
        name = instrument.name
        if not SLUG.fullmatch(name) or php_int_key(name) is not None:
            yield Finding(instrument.location(), f"instrument name {name!r} is not slug-like",
                          "use lowercase letters, digits and '-', with at least one letter, e.g. web-scroll-depth", (name,))


@rule("SL114", local=True)
def instrument_sample_unit(context: Context) -> Iterator[Finding]:
    """`sample.unit` is neither `pageview` nor `session`, the only units the client samples instruments by.

    ```yaml
        unit: device   # SL114: sample unit 'device' is not one of pageview, session
    ```
    """
    for instrument in every_instrument(context):
        unit = instrument.fields.get("sample.unit", "session")
        if unit not in SAMPLE_UNITS:
            yield Finding(instrument.location("sample.unit"), f"instrument {instrument.name!r}: sample unit {unit!r} "
                          f"is not one of {', '.join(SAMPLE_UNITS)}", did_you_mean(str(unit), SAMPLE_UNITS) or "use session",
                          (instrument.name, "sample", "unit"))


@rule("SL115")
def unknown_owner(context: Context) -> Iterator[Finding]:
    """`owner` is not a team of `owners.yaml` (checked once the repository has one).

    ```yaml
      owner: webb   # SL115: owner 'webb' is not a team of owners.yaml
    ```
    """
    teams = _teams(context)
    if teams is None:
        return
    for instrument in every_instrument(context):
        owner = instrument.fields.get("owner")
        if owner is not None and owner not in teams:
            yield Finding(instrument.location("owner"), f"instrument {instrument.name!r}: owner {owner!r} is not a team of "
                          f"{OWNERS_FILE}", did_you_mean(owner, teams) or f"add the team to {OWNERS_FILE}",
                          (instrument.name, "owner"))


def _teams(context: Context) -> list[str] | None:
    """The teams of owners.yaml, or None without one."""
    ownership = context.config.ownership
    return sorted(ownership.teams) if ownership.declared else None
