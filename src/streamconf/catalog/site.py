"""The catalog site: static, self-contained HTML pages rendered from the catalog with the Jinja2
templates in this package. Pure: `render_site` returns path -> bytes; `streamconf site` writes
them as compile writes a build. No page refers to anything outside the site, so it works from
file:// and from any static host."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from importlib import resources

from .. import __version__
from ..changes import entry_rows
from ..codes import fail
from ..diagnostics import Location
from ..wikisets import describe_wikis
from .model import Catalog, HistoryEntry, InstrumentRecord, StreamRecord

STATIC = ("site.css", "site.js")
SCHEDULE_DAYS = 90
FIRST_SETTINGS = ("schema_title", "destination_event_service", "sample.unit", "sample.rate")
TIMELINE_WIDTH, LABEL_WIDTH, ROW_HEIGHT = 800, 220, 22


@dataclass(frozen=True)
class ScheduleEvent:
    at: datetime
    realm: str
    instrument: InstrumentRecord
    what: str


def schedule(catalog: Catalog, start: datetime) -> list[ScheduleEvent]:
    """The starts and ends of enabled instruments in the SCHEDULE_DAYS from `start`, in time
    order, with the rates each start brings; an end at the instrument's `end`, the last second
    it runs."""
    end = start + timedelta(days=SCHEDULE_DAYS)
    found = []
    for instrument in catalog.instruments.values():
        for realm, view in instrument.realms.items():
            if not view.enabled:
                continue
            if start <= view.start < end:
                rates = "; ".join(f"{rate} on {where}" for rate, where in view.rates)
                found.append(ScheduleEvent(view.start, realm, instrument, f"starts: {rates}"))
            if start <= view.end < end:
                found.append(ScheduleEvent(view.end, realm, instrument, "ends"))
    return sorted(found, key=lambda event: (event.at, event.realm, event.instrument.name))


def timeline(instruments: list[InstrumentRecord], at: datetime) -> dict:
    """The geometry of an inline SVG with a bar per instrument window, months as ticks and a line
    at `at`."""
    views = [(instrument.name, instrument.view) for instrument in instruments]
    low = min([view.start for _, view in views] + [at])
    high = max([view.end for _, view in views] + [at + timedelta(days=1)])
    span = (high - low).total_seconds()

    def x(moment: datetime) -> float:
        return round(LABEL_WIDTH + (moment - low).total_seconds() / span * (TIMELINE_WIDTH - LABEL_WIDTH - 10), 1)

    rows = [{"label": name, "y": index * ROW_HEIGHT, "x": x(view.start), "width": max(2.0, round(x(view.end) - x(view.start), 1)),
             "start": utc(view.start), "end": utc(view.end), "enabled": view.enabled} for index, (name, view) in enumerate(views)]
    ticks, month = [], datetime(low.year, low.month, 1, tzinfo=timezone.utc)
    while month <= high:
        if month >= low:
            ticks.append({"x": x(month), "label": month.strftime("%b %Y")})
        month = datetime(month.year + month.month // 12, month.month % 12 + 1, 1, tzinfo=timezone.utc)
    every = max(1, len(ticks) // 8)  # at most about eight labels, however long the span
    return {"rows": rows, "ticks": ticks[::every], "at_x": x(at), "at": utc(at), "width": TIMELINE_WIDTH,
            "height": len(rows) * ROW_HEIGHT + 24}


@dataclass(frozen=True)
class Commit:
    """A commit on a stream's page: as `log` shows it, what changed and on which wikis."""

    sha: str
    date: str
    author: str
    subject: str
    changes: tuple[str, ...]  # as `log` prints them


def history(entries: list[HistoryEntry], catalog: Catalog) -> list[Commit]:
    """A stream's or an instrument's commits, newest first, each change in the lines `log` prints."""
    commits = []
    for entry in reversed(entries):
        lines = []
        for change in entry.changes.entries():
            realm = change.change.realm
            rows = entry_rows(change, catalog.realms.get(realm), "")
            prefix = (f"{realm}: " if realm != catalog.root_realm else "") + \
                ("EventLogging: " if change.change.section == "eventlogging" else "")
            lines += [prefix + rows[0][1]] + [line.strip() for _, line in rows[1:]]
        revision = entry.revision
        commits.append(Commit(revision.sha, revision.date, revision.author, revision.subject, tuple(lines)))
    return commits


def utc(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M")


def ordered_spreads(spreads: dict) -> list:
    """A stream's settings, the ones readers look for first."""
    first = [spreads[path] for path in FIRST_SETTINGS if path in spreads]
    return first + [spread for path, spread in spreads.items() if path not in FIRST_SETTINGS]


def _environment():
    try:
        import jinja2
    except ImportError:
        raise fail("SC404", Location("streamconf site"), "the catalog site needs Jinja2, an optional dependency",
                   "install it with: pip install 'streamconf[site]'") from None
    return jinja2.Environment(loader=jinja2.PackageLoader("streamconf.catalog", "templates"), autoescape=True,
                              trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def render_site(catalog: Catalog, source: str, at: date, history_note: str = "") -> dict[str, bytes]:
    """Every page of the site. `source` says what it was built from; `at` is the day the schedule
    starts and timelines mark."""
    environment = _environment()
    from markupsafe import Markup as markup  # Jinja2's own dependency

    realms = catalog.realms

    def describe_text(text: str):
        """Text with `tags` as code."""
        return markup(re.sub(r"`([^`]*)`", r"<code>\1</code>", str(markup.escape(text))))

    described: dict[tuple[frozenset, str], object] = {}

    def describe(wikis, realm: str):
        """A wiki set as diff names it; each set once, as many pages show the same sets."""
        key = (frozenset(wikis), realm)
        if key not in described:
            described[key] = describe_text(describe_wikis(set(key[0]), realms[realm], realm))
        return described[key]

    def contact(text: str):
        if "://" in text:
            return markup(f'<a href="{markup.escape(text)}">{markup.escape(text)}</a>')
        if "@" in text and " " not in text:
            return markup(f'<a href="mailto:{markup.escape(text)}">{markup.escape(text)}</a>')
        return text

    moment = datetime.combine(at, time(), timezone.utc)
    common = {"version": __version__, "source": source, "realm": catalog.root_realm,
              "realm_size": catalog.realm_sizes.get(catalog.root_realm, 0), "describe": describe, "describe_text": describe_text, "contact": contact,
              "maintainers": catalog.maintainers, "utc": utc, "instruments_of": catalog.instruments_of,
              "ordered": ordered_spreads, "id": "timeline"}
    pages: dict[str, str] = {}

    def page(path: str, template: str, section: str, **context) -> None:
        root = "../" * path.count("/")
        pages[path] = environment.get_template(template).render(root=root, section=section, **common, **context)

    streams = list(catalog.streams.values())
    page("index.html", "index.html", "streams", streams=streams,
         owners=sorted({s.owner for s in streams if s.owner}),
         services=sorted({s.setting(catalog.root_realm, "destination_event_service") for s in streams}))
    for stream in streams:
        targeting = catalog.instruments_of(stream.key)
        page(f"streams/{stream.slug}.html", "stream.html", "streams", stream=stream, instruments=targeting,
             history=history(stream.history, catalog),
             timeline=timeline(targeting, moment) if targeting else None,
             team=catalog.teams.get(stream.owner), history_note=history_note)
    instruments = list(catalog.instruments.values())
    page("instruments/index.html", "instruments.html", "instruments", instruments=instruments,
         timeline=timeline(instruments, moment) if instruments else None)
    for instrument in instruments:
        stream = catalog.streams.get(instrument.stream_key or "")
        page(f"instruments/{instrument.slug}.html", "instrument.html", "instruments", instrument=instrument,
             history=history(instrument.history, catalog), history_note=history_note,
             stream=stream, team=catalog.teams.get(instrument.owner), timeline=timeline([instrument], moment))
    owned = _owned(catalog)
    page("teams/index.html", "teams.html", "teams", teams=list(catalog.teams.values()), owned=owned,
         unowned=[s for s in streams if s.owner not in catalog.teams])
    for team in catalog.teams.values():
        page(f"teams/{team.name}.html", "team.html", "teams", team=team, streams=owned[team.name],
             instruments=[instrument for instrument in instruments if instrument.owner == team.name])
    _wiki_pages(catalog, environment, page, markup)
    page("schedule.html", "schedule.html", "schedule", events=schedule(catalog, moment),
         start=at.isoformat(), end=(at + timedelta(days=SCHEDULE_DAYS)).isoformat())
    files = {path: text.encode("utf-8") for path, text in sorted(pages.items())}
    for name in STATIC:
        files[f"static/{name}"] = (resources.files("streamconf.catalog") / "templates" / "static" / name).read_bytes()
    return files


def _owned(catalog: Catalog) -> dict[str, list[StreamRecord]]:
    owned: dict[str, list[StreamRecord]] = {team: [] for team in catalog.teams}
    for stream in catalog.streams.values():
        if stream.owner in owned:
            owned[stream.owner].append(stream)
    return owned


def _wiki_pages(catalog: Catalog, environment, page, markup) -> None:
    """A page per wiki, and the list of wikis. Wikis of one class share their streams table, and
    each distinct row is rendered once."""
    table_template = environment.get_template("wiki-streams.html")
    row_template = environment.get_template("wiki-row.html")
    rows: dict[tuple, str] = {}
    tables: dict[int, tuple[object, object, int]] = {}
    by_realm: dict[str, list] = {}

    def row(key: str, collected) -> str:
        if (key, collected) not in rows:
            rows[key, collected] = row_template.render(stream=catalog.streams[key], collected=collected)
        return rows[key, collected]

    for record in catalog.wikis:
        by_realm.setdefault(record.realm, []).append(record)
        if id(record.streams) not in tables:
            body = markup("".join(row(key, collected) for key, collected in sorted(record.streams.items())))
            embedded = sum(collected.embedded for collected in record.streams.values())
            tables[id(record.streams)] = (record.streams, markup(table_template.render(rows=body)), embedded)
        _, table, embedded = tables[id(record.streams)]
        page(f"wikis/{record.realm}/{record.wiki}.html", "wiki.html", "wikis", record=record, table=table, embedded=embedded)
    page("wikis/index.html", "wikis.html", "wikis", realms=by_realm)
