"""Results for the terminal: plain lines, styled with rich when the stream is a terminal. Diff,
explain and log are built as (style, line) rows and printed by one function."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Iterable, TextIO

from ..diagnostics import ERROR, NOTICE, Diagnostic
from ..changes import ChangeSet, describe, describe_value, entry_rows
from ..instruments.timestamps import format_instant
from ..values import plural, show
from ..wikisets import describe_wikis

if TYPE_CHECKING:
    from ..codes import Code
    from ..explain import Source
    from ..model import Config
    from datetime import datetime

    from ..instruments.schedule import Scheduled
    from ..publish import Plan
    from ..scaffold import Scaffolded
    from ..instruments.explain import Setter
    from ..workflow import CompileResult, EmbeddingReport, ExplainReport, Imported, InstrumentReport, LogEntry

Row = tuple[str, str]  # (style, line); style is '', 'realm', 'stream', 'breaking' or 'shadow'
STYLES = {"realm": "bold", "stream": "bold cyan", "breaking": "red", "shadow": "yellow"}


def print_diagnostics(diagnostics: list[Diagnostic], stream: TextIO | None = None) -> None:
    stream = stream or sys.stderr
    if stream.isatty():
        from rich.console import Console
        from rich.markup import escape

        console = Console(file=stream, highlight=False)
        current = None
        for d in diagnostics:
            if d.location.file != current:
                current = d.location.file
                console.print(f"[bold underline]{escape(current)}[/]")
            colour = {ERROR: "red", NOTICE: "cyan"}.get(d.severity, "yellow")
            console.print(f"  {d.location.line}:{d.location.column} [{colour}]{d.severity} {d.code}[/]"
                          + (f" at [cyan]{escape(' › '.join(d.path))}[/]" if d.path else "") + f": {escape(d.message)}")
            if d.hint:
                console.print(f"      [dim]hint:[/] {escape(d.hint)}")
    else:
        for d in diagnostics:
            stream.write(d.render() + "\n")


def print_rows(rows: Iterable[Row], stream: TextIO | None = None) -> None:
    stream = stream or sys.stdout
    if stream.isatty():
        from rich.console import Console
        from rich.markup import escape

        console = Console(file=stream, highlight=False)
        for style, line in rows:
            console.print(f"[{STYLES[style]}]{escape(line)}[/]" if style else escape(line))
    else:
        for _, line in rows:
            stream.write(line + "\n")


def valid(config: Config, warnings: int, notices: int) -> str:
    counts = [plural(count, word) for count, word in ((warnings, "warning"), (notices, "notice")) if count]
    return (f"valid: {len(config.realms)} realms, " +
            ", ".join(f"{name} {len(realm.wikis)} wikis" for name, realm in config.realms.items()) +
            (f"; {', '.join(counts)}" if counts else ""))


def compiled(result: CompileResult) -> str:
    if result.build is None:
        return f"{result.out} is up to date"
    wikis_count = sum(len(w) for w in result.build.realms.values())
    validity = result.build.validity
    return (f"compiled {wikis_count} wikis in {len(result.build.realms)} realms: "
            f"{len(result.build.files)} bundles, {result.distinct} distinct, into {result.out}" +
            (f"; instruments at {validity['at']}, valid until {validity['valid_until'] or 'further notice'}"
             if validity else ""))


def imported(result: Imported, root: object) -> str:
    line = f"wrote {plural(len(result.files), 'file')} under {root}"
    if result.lowered:
        line += (f"; {plural(len(result.findings), 'finding')} of {', '.join(result.lowered)} that MediaWiki accepts: "
                 "lowered to warnings in streamconf.yaml, so compile gives MediaWiki's answer")
    return line


def rules(codes: Iterable[Code]) -> str:
    return "".join(f"{code.id}  {code.severity:<7}  {code.name:<29} {code.summary}\n" for code in codes)


HEADING_SUFFIX = {"streamconfigs": "", "eventlogging": " (EventLogging)", "instruments": " (instrument)"}


def diff_rows(changes: ChangeSet) -> list[Row]:
    """(style, line) pairs for the terminal: style is '', 'realm', 'stream' or 'breaking'."""
    entries = changes.entries()
    if not entries:
        return [("", "No change to the effective config of any wiki.")]
    rows: list[Row] = []
    current: tuple[str, str, str] | None = None
    for entry in entries:
        change = entry.change
        if current is None or current[0] != change.realm:
            rows.append(("realm", change.realm))
        heading = (change.realm, change.section, change.stream)
        if heading != current:
            rows.append(("stream", "  " + change.stream + HEADING_SUFFIX[change.section]))
            current = heading
        rows += entry_rows(entry, changes.realms.get(change.realm), "    ")
    total = len(entries)
    rows.append(("", f"{total} change{'s' if total != 1 else ''}, {len(changes.breaking)} breaking"))
    return rows


def log_rows(entries: list[LogEntry], stream: str, wiki: str | None) -> list[Row]:
    if not entries:
        return [("", f"no commit changed the effective config of {stream}" + (f" on {wiki}" if wiki else ""))]
    rows = []
    for entry in entries:
        rows.append(("stream", f"{entry.revision.short} {entry.revision.date} {entry.revision.author}: {entry.revision.subject}"))
        for change in entry.changes.entries():
            lines = entry_rows(change, None, "    ")
            if change.change.section == "eventlogging":
                lines[0] = (lines[0][0], "    EventLogging: " + lines[0][1].lstrip())
            rows += lines
    return rows


def schedule_rows(config: Config, at: datetime, coming: list[Scheduled]) -> list[Row]:
    from ..instruments.schedule import rate_groups

    until = format_instant(coming[0].change.at) if coming else None
    rows = [("", f"at {format_instant(at)}: " + (f"{len(coming)} coming, recompile at {until}" if coming else "nothing is coming"))]
    for item in coming:
        realm = item.change.realm
        rates = [f"{rate} on {describe_wikis(set(wikis), config.realms[realm], realm)}" for rate, wikis in rate_groups(item.entry)]
        rates.append(f"{item.entry['sample_rate']['default']} {'elsewhere' if rates else 'on every wiki'}")
        event = "starts" if item.change.event == "start" else f"has ended (last active {item.entry['end']})"
        rows.append(("", f"  {format_instant(item.change.at)}  {realm}  {item.change.name} {event}: "
                         f"{'; '.join(rates)} (per {item.entry.get('sample_unit', 'session')})"))
    return rows


def explain_rows(report: ExplainReport) -> list[Row]:
    rows = [("realm", f"{report.wiki} › {report.stream} ({report.realm})"
             + (f", configured by the pattern {report.key}" if report.key != report.stream else ""))]
    for explanation in report.explanations:
        path = ".".join(map(str, explanation.path))
        rows.append(("stream", f"  {path}: absent" if explanation.absent else f"  {path} = {show(explanation.value)}"))
        if explanation.note:
            rows.append(("", f"    {explanation.note}"))
        for source in explanation.setters:
            rows.append(("", f"    set by `{source.key}` at {source.location} ({source.realm})" + _blamed(report, source)))
        for source, why in explanation.shadowed:
            rows.append(("shadow", f"    {why}" + _blamed(report, source)))
    return rows


def embedding_rows(report: EmbeddingReport) -> list[Row]:
    embedding = report.embedding
    rows = [("realm", f"{report.wiki} › {embedding.name} ({report.realm}), EventLogging"),
            ("stream", f"  {'not embedded' if embedding.embedded is None else 'embedded: ' + show(embedding.embedded)}"),
            ("", f"    {embedding.verdict}")]
    rows += [("", f"    listed by `{source.key}` at {source.location} ({source.realm})" + _blamed(report, source))
             for source in embedding.listed_by]
    rows += [("shadow", f"    {why}" + _blamed(report, source)) for source, why in embedding.not_read]
    return rows


def _blamed(report: ExplainReport | InstrumentReport | EmbeddingReport, source: Source | Setter) -> str:
    if not report.blamed:
        return ""
    revision = source.revision
    return f" — {revision.short} {revision.author}, {revision.date}" if revision else " — not committed yet"


def instrument_explain_rows(report: InstrumentReport) -> list[Row]:
    rows = [("realm", f"{report.wiki} › {report.name} ({report.realm}, instrument, at {format_instant(report.at)})")]
    for explanation in report.explanations:
        rows.append(("stream", f"  {explanation.name} = {show(explanation.value)}"))
        rows += [("", f"    {note}") for note in explanation.notes]
        rows += [("", f"    set by {setter.what} at {setter.location}" + _blamed(report, setter)) for setter in explanation.setters]
    return rows


def published(plan: Plan, dry_run: bool, rolled_back: bool = False) -> str:
    if plan.unchanged:
        return f"release {plan.release} is already current: nothing to do"
    verb = ("would roll back to" if dry_run else "rolled back to") if rolled_back else ("would publish" if dry_run else "published")
    counts = f"{len(plan.added)} files added, {len(plan.removed)} removed, {len(plan.changed)} changed"
    text = f"{verb} release {plan.release} (previous: {plan.previous or 'none'}): {counts}"
    if plan.removed_releases:
        text += f"; removed {len(plan.removed_releases)} old release(s)"
    return text


def scaffolded(written: Scaffolded) -> list[str]:
    """What `streamconf new` says it wrote."""
    lines = [f"wrote {written.file}"]
    if written.owner_file:
        lines.append(f"added {written.name} to {written.owner_file}; CODEOWNERS changes with it: run `streamconf owners`")
    return lines
