"""The stages put together for the commands: read, validate, compile, write. Every command returns
data; streamconf.reporters shows it."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Sequence

from . import GENERATOR, emit
from .codes import CODES, Code, diagnostic, fail
from .compiler import RealmCompiler, compile_config, selection
from .diagnostics import ERROR, WARNING, ConfigError, Diagnostic, Location, UsageError, did_you_mean, sort_key
from .changes import ChangeSet
from .diff import diff_configs
from .editors import with_modeline
from .explain import Embedding, Explanation
from .feedback import stage
from .instruments import schedule, timestamps
from .instruments.declare import Instrument
from .git.snapshot import Snapshot, require_directory, snapshot
from .layout import CONFIG_FILE
from .load import Sources, parse_files, read_sources
from .manifest import Build
from .model import Config
from .render import find_stream, stream_config, stream_entries
from .resolve import Value
from .validate import validate


def read_repository(root: Path) -> Sources:
    require_directory(root)
    return read_sources(root)


def check(root: Path, schema_repository: Path | None = None, at: datetime | None = None) -> tuple[Config | None, list[Diagnostic]]:
    """Read and validate the repository at `root`, then run every lint rule (instruments judged at
    `at`, default now); the Config is None when there is an error."""
    from .lint import lint

    with stage("reading files"):
        sources = read_repository(root)
    with stage("checking files"):
        config, diagnostics = validate(sources, partial=True)
    broken = any(d.severity == ERROR for d in diagnostics)
    diagnostics = sorted(diagnostics + lint(config, root, schema_repository=schema_repository, only_local=broken, at=at),
                         key=sort_key)
    return (None if any(d.severity == ERROR for d in diagnostics) else config), diagnostics


def load_config(root: Path) -> tuple[Config, list[Diagnostic]]:
    """The working tree's Config, checked as compile checks it (schemas, structure, the lint rules
    that find errors); raises ConfigError with every error."""
    return config_of(snapshot(root), root)


def unknown_stream(realm: str, wiki: str, stream: str, keys) -> ConfigError:
    return fail("SC032", Location(f"realm {realm}"), f"no stream key of {wiki} is or matches {stream!r}",
                 did_you_mean(stream, keys))


def select(config: Config, realms: Sequence[str], wikis: Sequence[str]) -> None:
    """Refuse realm and wiki names the repository does not know."""
    for realm in realms:
        if realm not in config.realms:
            raise UsageError([diagnostic("SC031", Location("--realm"), f"unknown realm {realm!r}",
                                         did_you_mean(realm, config.realms) or f"realms: {', '.join(config.realms)}")])
    known = {wiki for name in (realms or config.realms) for wiki in config.realms[name].wikis}
    for wiki in wikis:
        if wiki not in known:
            raise UsageError([diagnostic("SC031", Location("--wiki"), f"unknown wiki {wiki!r}", did_you_mean(wiki, known))])


@dataclass
class CompileResult:
    out: Path | str
    build: Build | None  # None: the output was already up to date
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def distinct(self) -> int:
        return len({id(data) for data in self.build.files.values()}) if self.build else 0


def config_of(snapshot: Snapshot, root: Path | None = None) -> tuple[Config, list[Diagnostic]]:
    """The snapshot's validated Config, checked by the lint rules that find errors; an invalid one
    raises with every error."""
    from .lint import lint

    with stage("checking files"):
        config, diagnostics = validate(snapshot.sources)
    if config is not None:
        diagnostics = diagnostics + lint(config, root, (ERROR,))
    if config is None or any(d.severity == ERROR for d in diagnostics):
        errors = [d for d in diagnostics if d.severity == ERROR]
        raise ConfigError([diagnostic("SC044", Location(snapshot.label), "the config is not valid here")] + errors
                          if snapshot.commit and snapshot.dirty is False else errors)
    return config, diagnostics


def compile_repository(root: Path, out: Path | str, realms: Sequence[str] = (), wikis: Sequence[str] = (),
                       force: bool = False, ref: str | None = None, at: datetime | None = None) -> CompileResult:
    """Compile into `out`, unless it already holds what this compile would write. Instruments are
    compiled as they are at `at` (default: now); see schedule.build_holds for when a build made
    for an earlier instant still holds. `out` is checked first: see outputs.claim_output."""
    given = out
    out = emit.prepare(out, root)
    with stage("reading files"):
        state = snapshot(root, ref)
    source = {**state.source, "selection": {"realms": sorted(realms) or None, "wikis": sorted(wikis) or None}}
    current = timestamps.now()
    check = emit.OutputCheck()
    with emit.output_lock(out, root, check) as out:
        if not force and not state.unreadable and \
                check.is_current(source, GENERATOR, lambda manifest: schedule.build_holds(manifest, at, current)):
            return CompileResult(given, None)
        config, diagnostics = config_of(state, root)
        select(config, realms, wikis)
        directories = [f"{realm}/{wiki}" for realm, selected in selection(config, realms or None, wikis or None).items()
                       for wiki in selected]
        build = emit.write_build(lambda: compile_config(config, realms or None, wikis or None, at or current), out,
                                 source, GENERATOR, directories, keep_spare=True)
    return CompileResult(given, build, diagnostics + build.warnings)


def diff_repository(root: Path, base: str | None, head: str | None) -> tuple[ChangeSet, str, str]:
    """The changes from BASE (default: the merge-base with the default branch) to HEAD (default:
    the working tree, uncommitted edits included), and the two sides' labels."""
    from .git import repository

    if base is None:
        checkout = repository.require_checkout(root)
        branch = repository.default_branch(checkout)
        base = repository.merge_base(checkout, branch).hexsha
    with stage("reading both sides", 2) as advance:
        before = snapshot(root, base)
        advance(1)
        after = snapshot(root, head)
        advance(1)
    old, new = config_of(before, root)[0], config_of(after, root)[0]
    with stage("comparing"):
        return diff_configs(old, new), before.label, after.label


def show_repository(root: Path, realm: str | None, wiki: str, stream: str | None, eventlogging: bool, instruments: bool,
                    at: datetime | None) -> Value:
    """show's document for the working tree: with `instruments`, the instrument configs of `wiki`
    at `at` (default now), else its config (see show_config); `realm` defaults to the root realm."""
    config, _ = load_config(root)
    realm = realm or config.root_realm
    if instruments:
        return show_instruments(config, realm, wiki, stream, at or timestamps.now())
    return show_config(config, realm, wiki, stream, eventlogging)


def show_config(config: Config, realm: str, wiki: str, stream: str | None, eventlogging: bool) -> Value:
    """What `wiki` is served: the API body or EventLogging's map, or one stream's config in it."""
    select(config, [realm], [wiki])
    view = RealmCompiler(config, realm).view(wiki)
    if eventlogging:
        if stream is not None and stream not in view.eventlogging:
            raise fail("SC032", Location(f"realm {realm}"), f"EventLogging embeds no config for {stream!r} on {wiki}",
                        did_you_mean(stream, view.eventlogging))
        return view.eventlogging if stream is None else view.eventlogging[stream]
    if stream is None:
        return view.streamconfigs
    entries = stream_entries(view.settings["streams"])
    key = find_stream(entries, stream, lambda pattern, name: None)
    if key is None:
        raise unknown_stream(realm, wiki, stream, entries)
    return stream_config(key, entries[key], view.settings["stream_defaults"], stream)


def show_instruments(config: Config, realm: str, wiki: str, name: str | None, at: datetime) -> Value:
    """The `instrumentConfigs` ext.testKitchen embeds on `wiki` at `at`, or one instrument's entry."""
    from .instruments.render import instrument_configs
    from .instruments.resolve import service_body

    select(config, [realm], [wiki])
    configs = instrument_configs(service_body(config.instruments.get(realm, {}), config.realms[realm]), wiki, at)
    if name is None:
        return configs
    if name not in configs:
        declared = config.instruments.get(realm, {})
        if name in declared:
            raise fail("SC305", Location(f"realm {realm}"),
                       f"{name!r} is not active there at that time ({wiki}, {timestamps.format_instant(at)})",
                       inactive_hint(declared[name]))
        raise fail("SC305", Location(f"realm {realm}"),
                   f"{name!r} is not an instrument of the realm ({wiki}, {timestamps.format_instant(at)})",
                   did_you_mean(name, declared) or "streamconf schedule lists when instruments start and end")
    return configs[name]


def inactive_hint(instrument: Instrument) -> str:
    """When a known instrument is active: its window (both ends inclusive), or that it is disabled."""
    if not instrument.enabled:
        return f"{instrument.name} is disabled (enabled: false): it is active nowhere"
    window = f"{timestamps.format_instant(instrument.start)} to {timestamps.format_instant(instrument.end)}"
    return f"{instrument.name} is active from {window}, both included; try --at within that window"


def schedule_repository(root: Path, realms: Sequence[str], at: datetime | None) -> tuple[Config, datetime, list]:
    """The config, the instant, and the instrument starts and ends after it in the given realms
    (default: all)."""
    config, _ = load_config(root)
    select(config, realms, [])
    at = at or timestamps.now()
    return config, at, schedule.coming(config, realms or config.realms, at)


@dataclass
class LogEntry:
    revision: object  # git.repository.Revision
    changes: ChangeSet  # the changes in the commit (of one stream or instrument, for log)
    root_realm: str = ""  # of the config at that commit


def config_history(root: Path, last: int | None = None) -> list[LogEntry]:
    """The commits that changed the effective config, oldest first, each with every change it
    made; `last` keeps the changes of the last commits that touched config files only. Commits
    whose config does not validate are passed over."""
    from .git import repository

    checkout = repository.require_checkout(root)
    commits = repository.history(checkout, max_count=last + 1 if last else None)
    previous = None if last and len(commits) > last else Config({}, {})
    entries = []
    with stage("reading history", len(commits)) as advance:
        for commit in commits:
            advance(1)
            config, _ = validate(parse_files(*repository.files_at(checkout, commit)))
            if config is None:
                continue
            if previous is not None:
                changed = diff_configs(previous, config, commit.committed_datetime)
                entries.append(LogEntry(repository.revision(commit), changed, config.root_realm))
            previous = config
    return entries


def stream_log(root: Path, stream: str, realm: str | None, wiki: str | None) -> list[LogEntry]:
    """The commits that changed the stream's (or the instrument's) effective config (on `wiki`, or
    on any wiki), oldest first. Commits whose config does not validate are passed over. Whether an
    instrument was active when a commit removed it is judged at the commit's time."""
    entries = []
    for entry in config_history(root):
        name = realm or entry.root_realm
        changes = entry.changes.only(lambda change, wikis: set() if change.stream != stream or change.realm != name else
                                     wikis if wiki is None else wikis & {wiki})
        if changes.changes:
            entries.append(LogEntry(entry.revision, changes))
    return entries


@dataclass
class ExplainReport:
    realm: str
    wiki: str
    stream: str
    key: str  # the stream key that configures it: the name, or a pattern
    explanations: list[Explanation]
    blamed: bool  # each source carries the revision that last changed its line

    @property
    def absent(self) -> bool:
        """The stream has no value at the path asked for: the one explanation says why."""
        return any(explanation.absent for explanation in self.explanations)


def explain_stream(root: Path, realm: str | None, wiki: str, stream: str, prefix: tuple,
                   blame: bool, at: datetime | None = None) -> ExplainReport | InstrumentReport:
    """explain's report; for a name that is an instrument of the realm (and no SETTING is asked),
    the instrument's entry on the wiki at `at` (default now)."""
    from .explain import Explainer

    config, _ = load_config(root)
    realm = realm or config.root_realm
    select(config, [realm], [wiki])
    instrument = config.instruments.get(realm, {}).get(stream)
    if instrument is not None and not prefix:
        return explain_instrument(root, config, realm, wiki, instrument, at or timestamps.now(), blame)
    explainer = Explainer(config, realm, wiki)
    try:
        key, explanations = explainer.explain(stream, prefix)
    except KeyError:
        raise unknown_stream(realm, wiki, stream, stream_entries(explainer.compiler.view(wiki).settings["streams"])) from None
    if not explanations:
        raise fail("SC033", Location(f"realm {realm}"), f"{stream} has no setting {'.'.join(prefix)} on {wiki}")
    if blame:
        blamed(root, [source for explanation in explanations
                      for source in explanation.setters + [source for source, _ in explanation.shadowed]])
    return ExplainReport(realm, wiki, stream, key, explanations, blame)


def blamed(root: Path, sources: list) -> None:
    """Give each source (or setter) the revision that last changed its line."""
    from .git import repository

    checkout = repository.require_checkout(root)
    for source in sources:
        source.revision = repository.blame(checkout, source.location.file, source.location.line)


@dataclass
class EmbeddingReport:
    realm: str
    wiki: str
    embedding: Embedding
    blamed: bool  # each source carries the revision that last changed its line


def explain_embedding(root: Path, realm: str | None, wiki: str, name: str, blame: bool) -> EmbeddingReport:
    """Why EventLogging embeds `name` on `wiki`, or why not: the keys of the names list that list
    it (read or not) and the stream config it gets."""
    from .explain import Explainer

    config, _ = load_config(root)
    realm = realm or config.root_realm
    select(config, [realm], [wiki])
    embedding = Explainer(config, realm, wiki).embedding(name)
    if blame:
        blamed(root, embedding.listed_by + [source for source, _ in embedding.not_read])
    return EmbeddingReport(realm, wiki, embedding, blame)


@dataclass
class InstrumentReport:
    realm: str
    wiki: str
    name: str
    at: datetime
    explanations: list  # instruments.explain.Explanation
    blamed: bool  # each setter carries the revision that last changed its line


def explain_instrument(root: Path, config: Config, realm: str, wiki: str, instrument, at: datetime,
                       blame: bool) -> InstrumentReport:
    from .instruments.explain import explain

    explanations = explain(config, realm, wiki, instrument, at)
    if blame:
        blamed(root, [setter for explanation in explanations for setter in explanation.setters])
    return InstrumentReport(realm, wiki, instrument.name, at, explanations, blame)


def code_docs() -> list[tuple[Code, str]]:
    """Every code with its documentation: a lint rule's docstring, or the code's summary."""
    from .lint import RULES

    return [(code, RULES[code.id].doc if code.id in RULES else code.summary) for code in CODES.values()]


@dataclass
class Imported:
    """What import wrote, and what it found that MediaWiki accepts and lint counts as an error."""

    files: list[str]
    findings: list[Diagnostic] = field(default_factory=list)  # at the severity they now have
    lowered: list[str] = field(default_factory=list)  # the rules lowered to warnings in streamconf.yaml


def accepted_errors(files: dict[str, str]) -> list[Diagnostic]:
    """The lint errors in a repository's files: what MediaWiki accepts and the rules refuse."""
    from .lint import lint

    config, diagnostics = validate(parse_files({name: text.encode("utf-8") for name, text in files.items()}), partial=True)
    broken = any(d.severity == ERROR and not d.code.startswith("SL") for d in diagnostics)
    found = diagnostics + lint(config, None, (ERROR,), only_local=broken)
    return sorted((d for d in found if d.severity == ERROR and d.code.startswith("SL")), key=sort_key)


def import_document(path: Path, root: Path, force: bool) -> Imported:
    """Import a configurator document (a JSON list of instruments) as it is; or a case document,
    with streamconf.yaml lowering the rules that MediaWiki's own config breaks to warnings, so that
    compile gives MediaWiki's answer (unless a streamconf.yaml is already there: it is the user's,
    and the result says what to add to it)."""
    from .instruments.importer import import_instruments
    from .migrate import case_files, read_json_document, settings_text, write_repository

    if isinstance(read_json_document(path), list):
        written = import_instruments(path, root, force)
        return Imported(written, _findings_in(root, written))
    files = case_files(path)
    findings = accepted_errors(files)
    kept = bool(findings) and (root / CONFIG_FILE).exists()
    if findings and not kept:
        files[CONFIG_FILE] = with_modeline(CONFIG_FILE, settings_text(findings))
    written = write_repository(files, root, force)
    lowered = sorted({d.code for d in findings})
    if not kept:
        return Imported(written, [replace(d, severity=WARNING) for d in findings], lowered)
    advice = diagnostic("SC023", Location(str(root / CONFIG_FILE)),
                        f"{CONFIG_FILE} is yours and is kept: compile refuses these findings until it lowers "
                        f"{', '.join(lowered)}",
                        "add to it: rules: {severity: {" + ", ".join(f"{code}: warning" for code in lowered) + "}}")
    return Imported(written, findings + [advice])


def _findings_in(root: Path, files: list[str]) -> list[Diagnostic]:
    """What validate says of the files just written, in the repository they were written into: a
    configurator document names no owners, which `require_owners` makes errors that compile
    refuses. The document is written as it is; the findings say what to add."""
    _, diagnostics = check(root)
    return [d for d in diagnostics if d.location.file in files]


def codeowners(root: Path, out: Path | None, check_only: bool) -> tuple[Path, str, list[Diagnostic]]:
    """Write CODEOWNERS (default: ROOT/CODEOWNERS) from owners.yaml and metadata/, or with
    `check_only` compare the file with what would be written: the stale lines as findings."""
    from .codeowners import CODEOWNERS_FILE, HEADER, render_codeowners, stale_diagnostics
    from .git.state import folder_in_repository

    config, _ = load_config(root)
    out = out or root / CODEOWNERS_FILE
    expected = render_codeowners(config, folder_in_repository(root))
    committed = _read_codeowners(out)
    if check_only:
        if committed is None:
            return out, expected, [diagnostic("SC401", Location(str(out)), "CODEOWNERS does not exist",
                                              "run `streamconf owners` and commit CODEOWNERS")]
        return out, expected, stale_diagnostics(str(out), committed, expected)
    if committed is not None and not committed.startswith(HEADER):
        raise fail("SC402", Location(str(out)), "the file was not written by `streamconf owners`; it is left as it is",
                   "move its rules into owners.yaml and metadata/, remove it, and run `streamconf owners` again")
    if committed != expected:
        temporary = out.with_name(f".{out.name}.tmp")
        temporary.write_text(expected, "utf-8")
        os.replace(temporary, out)
    return out, expected, []


def _read_codeowners(path: Path) -> str | None:
    """The file's text, or None when there is none; a link or a special file is refused."""
    from .layout import MAX_FILE_BYTES
    from .load import decode

    if not path.exists() and not path.is_symlink():
        return None
    if path.is_symlink() or not path.is_file() or path.stat().st_size > MAX_FILE_BYTES:
        raise fail("SC402", Location(str(path)), "CODEOWNERS is a link, not a regular file, or too large",
                   "replace it with a regular file, or remove it")
    return decode(path.read_bytes(), str(path))


SITE_HISTORY_COMMITS = 30


def build_site(root: Path, out: Path, at) -> tuple[int, int]:
    """Write the catalog site into `out` as compile writes a build: only into a directory that is
    provably streamconf's output, atomically, with a manifest. Returns the number of pages and of
    bytes."""
    from .catalog.model import build_catalog, history_by_subject
    from .catalog.site import render_site

    out = emit.prepare(out, root)
    with stage("reading files"):
        state = snapshot(root)
    config, _ = config_of(state, root)
    history, note = {}, "The config repository is not in git, or has no commit yet: no history to show."
    if state.commit:
        history = history_by_subject(config_history(root, SITE_HISTORY_COMMITS))
        note = ""
    source = f"commit {state.commit[:10]}" + (" with uncommitted changes" if state.dirty else "") if state.commit \
        else "a working tree outside git"
    with stage("rendering the site"):
        files = render_site(build_catalog(config, history), source, at, note)
    with stage("writing the site"), emit.output_lock(out, root) as out:
        emit.write_build(Build(files=files), out, {**state.source, "kind": "catalog site", "at": at.isoformat()}, GENERATOR)
    return sum(path.endswith(".html") for path in files), sum(map(len, files.values()))


def export_datahub(root: Path, out: Path, site_url: str | None) -> int:
    """Write the DataHub metadata file of the working tree's config to `out`, replacing it in one
    rename; returns the number of proposals."""
    from .catalog.model import build_catalog
    from .catalog.datahub import is_previous_export, proposals, write

    from .layout import config_sources
    from .outputs import claim_file_output

    out = claim_file_output(out, is_previous_export, config_sources(root))
    config, _ = config_of(snapshot(root), root)
    records = proposals(build_catalog(config), site_url)
    temporary = out.with_name(f".{out.name}.tmp")
    try:
        write(temporary, records)
        os.replace(temporary, out)
    except OSError as error:
        with contextlib.suppress(OSError):  # the temporary file may not even have a name the system takes
            temporary.unlink(missing_ok=True)
        raise fail("SC406", Location(str(out)), f"cannot write the file: {error.strerror or error}",
                   "check the folder exists and can be written") from None
    return len(records)
