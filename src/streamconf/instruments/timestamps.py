"""Instants as instruments write them: ISO 8601 with a time zone, to the second."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

ISO_8601 = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2})?(Z|[+-][0-9]{2}:[0-9]{2})")
ONE_SECOND = timedelta(seconds=1)


class TimestampError(ValueError):
    """A string that is not an instant streamconf accepts; the message says why."""


def parse_instant(text: str) -> datetime:
    """An aware datetime from `YYYY-MM-DDTHH:MM[:SS]` and `Z` or `±HH:MM`. Anything else is refused:
    the extension drops every instrument when one date does not parse, so only a form that PHP and
    Python read alike is accepted."""
    if not isinstance(text, str) or not ISO_8601.fullmatch(text):
        raise TimestampError(f"{text!r} is not an ISO 8601 date and time with a time zone")
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as error:
        raise TimestampError(f"{text!r} is not a valid date and time: {error}") from None


def format_instant(moment: datetime) -> str:
    """UTC, to the second, as the configurator writes it: `YYYY-MM-DDTHH:MM:SSZ`."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def now() -> datetime:
    """The current instant, to the second."""
    return datetime.now(timezone.utc).replace(microsecond=0)
