"""The stages put together for the commands: read, validate, compile, write."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Sequence

from . import GENERATOR
from .compiler import Build, RealmCompiler, compile_config
from .diagnostics import ERROR, ConfigError, Diagnostic, Location, UsageError, fail, sort_key
from .emit import is_current, write_build
from .instruments import schedule, timestamps
from .diff import ChangeSet, diff_configs
from .load import Sources, files_digest, parse_files, read_files, read_sources
from .model import Config
from .render import find_stream, stream_config, stream_entries
from .resolve import Value
from .validate import did_you_mean, validate


def require_directory(root: Path) -> None:
    if not root.is_dir():
        raise fail(Location(str(root)), "the config repository does not exist or is not a directory",
                   "name the repository with --root", code="SC030")


def read_repository(root: Path) -> Sources:
    require_directory(root)
    return read_sources(root)


def check(root: Path, schema_repository: Path | None = None, at: datetime | None = None) -> tuple[Config | None, list[Diagnostic]]:
    """Read and validate the repository at `root`, then run every lint rule (instruments judged at
    `at`, default now); the Config is None when there is an error."""
    from .lint import lint

    config, diagnostics = validate(read_repository(root), partial=True)
    broken = any(d.severity == ERROR for d in diagnostics)
    diagnostics = sorted(diagnostics + lint(config, root, schema_repository=schema_repository, only_local=broken, at=at),
                         key=sort_key)
    return (None if any(d.severity == ERROR for d in diagnostics) else config), diagnostics


def load_config(root: Path) -> tuple[Config, list[Diagnostic]]:
    """The working tree's Config, checked as compile checks it (schemas, structure, the lint rules
    that find errors); raises ConfigError with every error."""
    return config_of(snapshot(root), root)


def unknown_stream(realm: str, wiki: str, stream: str, keys) -> ConfigError:
    return fail(Location(f"realm {realm}"), f"no stream key of {wiki} is or matches {stream!r}",
                did_you_mean(stream, keys), code="SC032")


def select(config: Config, realms: Sequence[str], wikis: Sequence[str]) -> None:
    """Refuse realm and wiki names the repository does not know."""
    for realm in realms:
        if realm not in config.realms:
            raise UsageError(fail(Location("--realm"), f"unknown realm {realm!r}", did_you_mean(realm, config.realms) or
                                  f"realms: {', '.join(config.realms)}", code="SC031").diagnostics)
    known = {wiki for name in (realms or config.realms) for wiki in config.realms[name].wikis}
    for wiki in wikis:
        if wiki not in known:
            raise UsageError(fail(Location("--wiki"), f"unknown wiki {wiki!r}", did_you_mean(wiki, known),
                                  code="SC031").diagnostics)


@dataclass
class CompileResult:
    out: Path
    build: Build | None  # None: the output was already up to date
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def distinct(self) -> int:
        return len({id(data) for data in self.build.files.values()}) if self.build else 0


@dataclass
class Snapshot:
    """The repository's input files as the working tree or one commit has them; parsed only
    when asked, since an up-to-date check needs only their digest."""

    files: dict[str, bytes]
    unreadable: list[Diagnostic]
    label: str
    commit: str | None  # None outside git or before the first commit
    dirty: bool | None  # whether the working tree's config differs from the commit

    @cached_property
    def sources(self) -> Sources:
        return parse_files(self.files, self.unreadable)

    @property
    def source(self) -> dict:
        return {"digest": "sha256:" + files_digest(self.files), "commit": self.commit, "dirty": self.dirty}


def snapshot(root: Path, ref: str | None = None) -> Snapshot:
    """The working tree (ref None), or the commit `ref` names, read from git without touching
    the working tree."""
    if ref is None:
        from .gitstate import working_tree

        require_directory(root)
        commit, dirty = working_tree(root)
        return Snapshot(*read_files(root), "the working tree", commit, dirty)
    from . import gitrepo

    checkout = gitrepo.require_checkout(root)
    commit = gitrepo.commit_of(checkout, ref)
    label = commit.hexsha[:10] if commit.hexsha.startswith(ref) else f"{ref} ({commit.hexsha[:10]})"
    return Snapshot(*gitrepo.files_at(checkout, commit), label, commit.hexsha, False)


def config_of(snapshot: Snapshot, root: Path | None = None) -> tuple[Config, list[Diagnostic]]:
    """The snapshot's validated Config, checked by the lint rules that find errors; an invalid one
    raises with every error."""
    from .lint import lint

    config, diagnostics = validate(snapshot.sources)
    if config is not None:
        diagnostics = diagnostics + lint(config, root, (ERROR,))
    if config is None or any(d.severity == ERROR for d in diagnostics):
        errors = [d for d in diagnostics if d.severity == ERROR]
        raise ConfigError([Diagnostic(Location(snapshot.label), "the config is not valid here", code="SC044")] + errors
                          if snapshot.commit and snapshot.dirty is False else errors)
    return config, diagnostics


def compile_repository(root: Path, out: Path, realms: Sequence[str] = (), wikis: Sequence[str] = (),
                       force: bool = False, ref: str | None = None, at: datetime | None = None) -> CompileResult:
    """Compile into `out`, unless it already holds what this compile would write. Instruments are
    compiled as they are at `at` (default: now); see schedule.build_holds for when a build made
    for an earlier instant still holds."""
    state = snapshot(root, ref)
    source = {**state.source, "selection": {"realms": sorted(realms) or None, "wikis": sorted(wikis) or None}}
    current = timestamps.now()
    if not force and not state.unreadable and \
            is_current(out, source, GENERATOR, lambda manifest: schedule.build_holds(manifest, at, current)):
        return CompileResult(out, None)
    config, diagnostics = config_of(state, root)
    select(config, realms, wikis)
    build = compile_config(config, realms or None, wikis or None, at or current)
    write_build(build, out, source, GENERATOR)
    return CompileResult(out, build, diagnostics + build.warnings)


def diff_repository(root: Path, base: str | None, head: str | None) -> tuple[ChangeSet, str, str]:
    """The changes from BASE (default: the merge-base with the default branch) to HEAD (default:
    the working tree, uncommitted edits included), and the two sides' labels."""
    from . import gitrepo

    if base is None:
        checkout = gitrepo.require_checkout(root)
        branch = gitrepo.default_branch(checkout)
        base = gitrepo.merge_base(checkout, branch).hexsha
    before, after = snapshot(root, base), snapshot(root, head)
    return diff_configs(config_of(before, root)[0], config_of(after, root)[0]), before.label, after.label


def show_config(config: Config, realm: str, wiki: str, stream: str | None, eventlogging: bool) -> Value:
    """What `wiki` is served: the API body or EventLogging's map, or one stream's config in it."""
    select(config, [realm], [wiki])
    view = RealmCompiler(config, realm).view(wiki)
    if eventlogging:
        if stream is not None and stream not in view.eventlogging:
            raise fail(Location(f"realm {realm}"), f"EventLogging embeds no config for {stream!r} on {wiki}",
                       did_you_mean(stream, view.eventlogging), code="SC032")
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
        why = "is not active there at that time" if name in declared else "is not an instrument of the realm"
        raise fail(Location(f"realm {realm}"), f"{name!r} {why} ({wiki}, {timestamps.format_instant(at)})",
                   did_you_mean(name, declared) or "streamconf schedule lists when instruments start and end", code="SC305")
    return configs[name]


def schedule_repository(root: Path, realms: Sequence[str], at: datetime | None) -> tuple[Config, datetime, list]:
    """The config, the instant, and the instrument starts and ends after it in the given realms
    (default: all)."""
    config, _ = load_config(root)
    select(config, realms, [])
    at = at or timestamps.now()
    return config, at, schedule.coming(config, realms or config.realms, at)


@dataclass
class LogEntry:
    revision: object  # gitrepo.Revision
    changes: list  # (Change, wikis) pairs


def stream_log(root: Path, stream: str, realm: str | None, wiki: str | None) -> list[LogEntry]:
    """The commits that changed the stream's effective config (on `wiki`, or on any wiki), oldest
    first. Commits whose config does not validate are passed over."""
    from . import gitrepo

    checkout = gitrepo.require_checkout(root)
    previous = Config({}, {})
    entries = []
    for commit in gitrepo.history(checkout):
        config, _ = validate(parse_files(*gitrepo.files_at(checkout, commit)))
        if config is None:
            continue
        name = realm or config.root_realm
        changes = [(change, wikis) for change, wikis in diff_configs(previous, config).sorted()
                   if change.stream == stream and change.realm == name and (wiki is None or wiki in wikis)]
        if changes:
            entries.append(LogEntry(gitrepo.revision(commit), changes))
        previous = config
    return entries


def explain_stream(root: Path, realm: str | None, wiki: str, stream: str, prefix: tuple,
                   blame: bool) -> list[tuple[str, str]]:
    """explain's report, as (style, line) rows."""
    from .explain import Explainer, show

    config, _ = load_config(root)
    realm = realm or config.root_realm
    select(config, [realm], [wiki])
    explainer = Explainer(config, realm, wiki)
    try:
        key, explanations = explainer.explain(stream, prefix)
    except KeyError:
        raise unknown_stream(realm, wiki, stream, stream_entries(explainer.compiler.view(wiki).settings["streams"])) from None
    if not explanations:
        raise fail(Location(f"realm {realm}"), f"{stream} has no setting {'.'.join(prefix)} on {wiki}", code="SC033")
    checkout = None
    if blame:
        from . import gitrepo
        checkout = gitrepo.require_checkout(root)
    rows = [("realm", f"{wiki} › {stream} ({realm})" + (f", configured by the pattern {key}" if key != stream else ""))]
    for explanation in explanations:
        rows.append(("stream", f"  {'.'.join(map(str, explanation.path))} = {show(explanation.value)}"))
        if explanation.note:
            rows.append(("", f"    {explanation.note}"))
        for source in explanation.setters:
            rows.append(("", f"    set by `{source.key}` at {source.location} ({source.realm})" + _blamed(checkout, source.location)))
        for source, why in explanation.shadowed:
            rows.append(("shadow", f"    {why}" + _blamed(checkout, source.location)))
    return rows


def _blamed(checkout, location: Location) -> str:
    if checkout is None:
        return ""
    from . import gitrepo
    revision = gitrepo.blame(checkout, location.file, location.line)
    return f" — {revision.short} {revision.author}, {revision.date}" if revision else " — not committed yet"
