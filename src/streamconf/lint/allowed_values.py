"""Rules on settings limited to known values: SL011 sample-unit, SL014 unknown-destination, SL015
stream-name."""

from __future__ import annotations

from typing import Iterator

from .. import patterns
from ..diagnostics import did_you_mean
from ..render import stream_entries
from ..values import show
from .context import Context, setting_values
from .registry import Finding, rule


@rule("SL011", local=True)
def sample_unit(context: Context) -> Iterator[Finding]:
    """`sample.unit` is not one of the units the clients support: `pageview`, `session`, `device`, or the
    list in `sample_units` in streamconf.yaml. (`sample.rate` outside 0 to 1 is a schema error.)

    ```yaml
    a.b:
      sample: {unit: sesion, rate: 0.5}   # SL011: did you mean session?
    ```
    """
    yield from _one_of(context, "sample.unit", context.settings.sample_units, "a unit the clients support")


def _one_of(context: Context, name: str, allowed: tuple[str, ...], what: str) -> Iterator[Finding]:
    """A finding for every value of the setting `name` that is not in `allowed`."""
    for layer, path, value in setting_values(context, name):
        if value not in allowed:
            yield Finding(layer.location(path), f"{name} {show(value)} is not {what} ({', '.join(allowed)})",
                          did_you_mean(str(value), allowed) or "use one of them", (layer.key,) + path)


@rule("SL014", local=True)
def unknown_destination(context: Context) -> Iterator[Finding]:
    """`destination_event_service` is not one of the configured services: Wikimedia's
    `eventgate-main`, `eventgate-analytics`, `eventgate-analytics-external` and
    `eventgate-logging-external`, or the list in `destination_event_services` in streamconf.yaml.
    """
    yield from _one_of(context, "destination_event_service", context.settings.services, "a configured service")


MAX_GIVE_UPS = 3


@rule("SL015", local=True)
def stream_name(context: Context) -> Iterator[Finding]:
    """A declared stream name that does not follow the naming convention: lowercase words separated by
    dots (`mediawiki.page_change.v1`), no spaces. Legacy `eventlogging_<SchemaName>` names pass. Set
    your own with `stream_name_pattern` in streamconf.yaml (a regular expression matched in full by
    PCRE2 under its match limit: a pattern that gives up on three names stops the check, with a
    warning).
    """
    pattern = context.settings.stream_name_pattern
    gave_up = 0
    for _, layer in context.own_layers("streams"):
        for name, settings in stream_entries(layer.value).items():
            declares = "schema_title" in settings  # an override of the stream is not where the name is chosen
            if not declares or patterns.is_pattern(name):
                continue
            try:
                follows = patterns.full_match(pattern, name)
            except patterns.MatchLimitExceeded:
                gave_up += 1  # each costs PCRE2's whole match limit: the run's pattern work is bounded here
                if gave_up < MAX_GIVE_UPS:
                    continue
                yield Finding(context.settings.location, f"stream_name_pattern gave up on {gave_up} stream names "
                              "(PCRE2's match limit); the names left are not checked",
                              "write a pattern without nested repetition, such as the default", ("stream_name_pattern",))
                return
            if not follows:
                yield Finding(layer.location((name,)), f"stream name {name!r} does not follow the naming convention",
                              f"use lowercase words separated by dots (pattern: {pattern})", (layer.key, name))
