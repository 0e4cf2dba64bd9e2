"""`streamconf new`: a minimal, valid, commented file for a new stream or instrument, where the
repository's layout puts it, and never over a file that exists."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

from . import patterns
from .editors import with_modeline
from .layout import METADATA_TREE, OWNERS_FILE, file_kind
from .load import plain_scalar, read_sources
from .model import STREAM_NAME_PATTERN, RepositorySettings
from .outputs import create
from .validate import validate

_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_./:-]*")
_YAML11_WORDS = {"y", "n", "yes", "no", "on", "off"}  # strings here, booleans to YAML 1.1 readers
_FILE_PART = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
INSTRUMENT_NAME = re.compile(r"[a-z0-9][a-z0-9-]*")
INSTRUMENT_DAYS = 30


class ScaffoldError(Exception):
    """A new file that cannot be written as asked; the message says why and what to do."""


def scalar(value: str) -> str:
    """A string as YAML that reads back as that string (quoted unless plainly a string)."""
    if _PLAIN.fullmatch(value) and plain_scalar(value) == value and value.lower() not in _YAML11_WORDS:
        return value
    return "'" + value.replace("'", "''") + "'"


def stream_path(name: str) -> str:
    """streams/<first part of the name>/<the rest>.yaml: `mediawiki.page_change.v1` goes to
    streams/mediawiki/page_change.v1.yaml; a name without a dot to streams/<name>.yaml."""
    if not _FILE_PART.fullmatch(name):
        raise ScaffoldError(f"stream name {name!r} cannot name a file: use letters, digits, `.`, `_` and `-`")
    first, _, rest = name.partition(".")
    return f"streams/{first}/{rest}.yaml" if rest else f"streams/{name}.yaml"


def check_stream_name(name: str, pattern: str = STREAM_NAME_PATTERN) -> None:
    try:
        follows = patterns.full_match(pattern, name)
    except patterns.MatchLimitExceeded:
        raise ScaffoldError(f"stream_name_pattern gave up on {name!r} (PCRE2's match limit): fix the pattern") from None
    if not follows:
        raise ScaffoldError(f"stream name {name!r} does not follow the naming convention ({pattern})")
    stream_path(name)


def stream_text(name: str, schema_title: str, service: str) -> str:
    return with_modeline(stream_path(name), f"""\
# Every setting here is served to MediaWiki as written (README: "A stream").
{scalar(name)}:
  # the schema of its events, as titled in the event schema repository
  schema_title: {scalar(schema_title)}
  # the EventGate service its events go to
  destination_event_service: {scalar(service)}
  # client-side sampling; without it every event is sent
  # sample:
  #   unit: session     # pageview, session or device
  #   rate: 0.1         # the fraction sampled in, from 0 to 1
""")


def teams(root: Path) -> tuple[str, ...] | None:
    """The teams of owners.yaml; None when the repository has no owners.yaml."""
    document = read_sources(root).documents.get(OWNERS_FILE)
    if document is None:
        return None
    listed = document.value.get("teams") if type(document.value) is dict else None
    return tuple(listed) if type(listed) is dict else ()


def metadata_path(owner: str) -> str:
    return f"{METADATA_TREE}/{owner}.yaml"


def check_unowned(root: Path, name: str, owner: str) -> None:
    if name in declared_in(root, metadata_path(owner)):
        raise ScaffoldError(f"{metadata_path(owner)} already describes {name!r}")


def add_owner(root: Path, name: str, owner: str) -> str:
    """Give the stream its owner in metadata/<owner>.yaml (created if need be, else appended to);
    returns that file. Refuses a stream that file already describes."""
    relative = metadata_path(owner)
    entry = f"{scalar(name)}:\n  owner: {scalar(owner)}\n  # description: what it collects, and why\n"
    if create(root, relative, with_modeline(relative, f"# Owner and governance metadata of {owner}'s streams. Never served.\n"
                                                      + entry)):
        return relative
    target = root / relative
    text = target.read_text("utf-8")
    check_unowned(root, name, owner)
    with target.open("a", encoding="utf-8") as file:
        file.write(("" if text.endswith("\n") or not text else "\n") + entry)
    return relative


def repository_settings(root: Path) -> RepositorySettings:
    """streamconf.yaml's settings; the defaults while the repository does not validate."""
    config, _ = validate(read_sources(root))
    return config.repository if config else RepositorySettings()


def declared(root: Path, kind: str) -> dict[str, dict]:
    """The streams of streams/ (names and patterns), or the instruments of instruments/, with their
    settings as the files have them."""
    found: dict[str, dict] = {}
    for file, document in read_sources(root).documents.items():
        if file_kind(file) == kind and type(document.value) is dict:
            found.update((name, settings) for name, settings in document.value.items() if type(settings) is dict)
    return found


def declared_in(root: Path, relative: str) -> set[str]:
    document = read_sources(root).documents.get(relative)
    return set(document.value) if document is not None and type(document.value) is dict else set()


@dataclass(frozen=True)
class NewInstrument:
    name: str
    owner: str
    stream_name: str
    schema_title: str
    start: datetime
    end: datetime


def instrument_path(name: str, owner: str) -> str:
    """instruments/<owner>/<name>.yaml."""
    if not INSTRUMENT_NAME.fullmatch(name) or name.isdigit():
        raise ScaffoldError(f"instrument name {name!r} is not slug-like: use lowercase letters, digits and `-`, "
                            "not only digits")
    if not _FILE_PART.fullmatch(owner):
        raise ScaffoldError(f"owner {owner!r} cannot name a folder: use letters, digits, `.`, `_` and `-`")
    return f"instruments/{owner}/{name}.yaml"


def window(start: datetime | None, end: datetime | None, now: datetime) -> tuple[datetime, datetime]:
    """The instrument's window: from `start` (default: the start of the next day) for
    INSTRUMENT_DAYS days, unless `end` is given."""
    start = start or (now.astimezone(timezone.utc) + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return start, end or start + timedelta(days=INSTRUMENT_DAYS) - timedelta(seconds=1)


def instrument_text(new: NewInstrument) -> str:
    def instant(moment: datetime) -> str:
        return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    return with_modeline(instrument_path(new.name, new.owner), f"""\
# A Test Kitchen instrument (README: "Instruments"; docs/instruments.md has every rule).
{new.name}:
  # description: what it measures, and why
  owner: {scalar(new.owner)}
  # task: https://phabricator.wikimedia.org/T000000
  start: {instant(new.start)}    # ISO 8601 with a time zone; both ends inclusive
  end: {instant(new.end)}
  # the stream its events go to, and that stream's schema_title
  stream_name: {scalar(new.stream_name)}
  schema_title: {scalar(new.schema_title)}
  # what the Metrics Platform client fills in for its events
  contextual_attributes: []
  sample:
    unit: session       # pageview or session
    rate:
      default: 0        # every wiki not listed below; 0 sends nothing until you set a rate
      # 0.5: [enwiki, group0]   # a rate, and the wikis and tags that get it
""")


def write_new(root: Path, relative: str, text: str) -> None:
    if not create(root, relative, text):
        raise ScaffoldError(f"{relative} already exists: `streamconf new` never overwrites a file; "
                            "add the new entry to it by hand, or choose another name")


Ask = Callable[..., str]
"""ask(value, option, question, choices=()): the value given for an option, else what the person
at the terminal answers (the command line's part); it refuses when nobody is there to ask."""


@dataclass(frozen=True)
class Scaffolded:
    """What `streamconf new` wrote: the new file, and the metadata file that got its owner."""

    name: str
    file: str
    owner_file: str | None = None


def new_stream(root: Path, name: str, schema_title: str | None, service: str | None, owner: str | None,
               ask: Ask) -> Scaffolded:
    """Declare stream `name` in its file of streams/, and its owner in metadata/<owner>.yaml when
    the repository has owners.yaml (where the owner must be one of its teams)."""
    settings, known_teams = repository_settings(root), teams(root)
    if name in declared(root, "streams"):
        raise ScaffoldError(f"stream {name!r} is already declared in streams/")
    check_stream_name(name, settings.stream_name_pattern)
    if known_teams is None and owner:
        raise ScaffoldError("--owner names a team of owners.yaml, and this repository has none")
    owner = ask(owner, "--owner", "Owner", known_teams) if known_teams is not None else None
    if owner and owner not in known_teams:
        raise ScaffoldError(f"{owner!r} is not a team of owners.yaml ({', '.join(known_teams)})")
    if owner:
        check_unowned(root, name, owner)
    text = stream_text(name, ask(schema_title, "--schema-title", "Schema title"),
                       ask(service, "--service", "Destination event service", settings.services))
    write_new(root, stream_path(name), text)
    return Scaffolded(name, stream_path(name), add_owner(root, name, owner) if owner else None)


def new_instrument(root: Path, name: str, owner: str | None, stream: str | None, schema_title: str | None,
                   start: datetime | None, end: datetime | None, now: datetime, ask: Ask) -> Scaffolded:
    """Declare instrument `name` in instruments/<owner>/, its schema_title by default its
    stream's, its window by default `window`'s."""
    owner = ask(owner, "--owner", "Owner (a team)")
    instrument_path(name, owner)
    if name in declared(root, "instruments"):
        raise ScaffoldError(f"instrument {name!r} is already declared in instruments/")
    streams = declared(root, "streams")
    stream = ask(stream, "--stream", "Stream", tuple(name for name in streams if not name.startswith("/")))
    if not schema_title and type(streams.get(stream, {}).get("schema_title")) is str:
        schema_title = streams[stream]["schema_title"]
    new = NewInstrument(name, owner, stream, ask(schema_title, "--schema-title", "Schema title"), *window(start, end, now))
    write_new(root, instrument_path(name, owner), instrument_text(new))
    return Scaffolded(name, instrument_path(name, owner))
