"""Rules on settings limited to known values: SL011 sample-unit, SL014 unknown-destination, SL015
stream-name."""

from __future__ import annotations

import re
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


@rule("SL015", local=True)
def stream_name(context: Context) -> Iterator[Finding]:
    """A declared stream name that does not follow the naming convention: lowercase words separated by
    dots (`mediawiki.page_change.v1`), no spaces. Legacy `eventlogging_<SchemaName>` names pass. Set
    your own with `stream_name_pattern` in streamconf.yaml (a Python regular expression matched in
    full).
    """
    pattern = re.compile(context.settings.stream_name_pattern)
    for _, layer in context.own_layers("streams"):
        for name, settings in stream_entries(layer.value).items():
            declares = "schema_title" in settings  # an override of the stream is not where the name is chosen
            if declares and not patterns.is_pattern(name) and not pattern.fullmatch(name):
                yield Finding(layer.location((name,)), f"stream name {name!r} does not follow the naming convention",
                              f"use lowercase words separated by dots (pattern: {pattern.pattern})", (layer.key, name))
