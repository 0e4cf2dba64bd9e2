"""The stages put together for the commands: read, validate, compile, write."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from . import GENERATOR
from .compiler import Build, RealmCompiler, compile_config
from .diagnostics import ERROR, ConfigError, Diagnostic, Location, UsageError, fail
from .emit import is_current, write_build
from .load import Sources, read_sources
from .model import Config
from .render import find_stream, stream_config, stream_entries
from .resolve import Value
from .validate import did_you_mean, validate


def read_repository(root: Path) -> Sources:
    if not root.is_dir():
        raise fail(Location(str(root)), "the config repository does not exist or is not a directory",
                   "name the repository with --root", code="SC030")
    return read_sources(root)


def check(root: Path) -> tuple[Config | None, list[Diagnostic]]:
    """Read and validate the repository at `root`."""
    return validate(read_repository(root))


def load_config(root: Path) -> tuple[Config, list[Diagnostic]]:
    """The validated Config; raises ConfigError with every finding when there is an error."""
    config, diagnostics = check(root)
    if config is None:
        raise ConfigError([d for d in diagnostics if d.severity == ERROR] or diagnostics)
    return config, diagnostics


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


def compile_repository(root: Path, out: Path, realms: Sequence[str] = (), wikis: Sequence[str] = (),
                       force: bool = False) -> CompileResult:
    sources = read_repository(root)
    selection = {"realms": sorted(realms) or None, "wikis": sorted(wikis) or None}
    source = {"digest": "sha256:" + sources.digest, "selection": selection}
    if not force and not sources.diagnostics and is_current(out, source, GENERATOR):
        return CompileResult(out, None)
    config, diagnostics = validate(sources)
    if config is None:
        raise ConfigError([d for d in diagnostics if d.severity == ERROR])
    select(config, realms, wikis)
    build = compile_config(config, realms or None, wikis or None)
    write_build(build, out, source, GENERATOR)
    return CompileResult(out, build, diagnostics + build.warnings)


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
        raise fail(Location(f"realm {realm}"), f"no stream key of {wiki} is or matches {stream!r}",
                   did_you_mean(stream, entries), code="SC032")
    return stream_config(key, entries[key], view.settings["stream_defaults"], stream)
