"""The command line: parses arguments, calls a command of the workflow, and hands what it returns to
a reporter (streamconf.reporters). Nothing else lives here."""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import click

from . import __version__
from .diagnostics import NOTICE, WARNING, ConfigError, UsageError
from .reporters.text import print_diagnostics, print_rows

EXIT_INVALID = 1
EXIT_USAGE = 2
EXIT_FOUND = 3  # diff --fail-on found what it fails on
EXIT_CLOSED_PIPE = 128 + 13  # what a shell reports for a program that SIGPIPE ended: `cmd | head` is not an error
DEBUG = "streamconf.debug"  # ctx.meta key: --debug was given, before or after the command


def _found_root(ctx: click.Context, param: click.Parameter, root: Path | None) -> Path:
    from .layout import find_root

    return root if root is not None else find_root(Path("."))


def root_option(function):
    return click.option("--root", type=click.Path(file_okay=False, path_type=Path), default=None, callback=_found_root,
                        help="The config repository to work on [default: the nearest folder at or above this one "
                             "with streamconf.yaml or realms/, no higher than the git root].")(function)


def realm_option(function):
    return click.option("--realm", default=None, help="The realm [default: the repository's root realm].")(function)


class _Instant(click.ParamType):
    name = "INSTANT"

    def convert(self, value, param, ctx):
        from .instruments.timestamps import TimestampError, parse_instant

        if not isinstance(value, str):
            return value
        try:
            return parse_instant(value)
        except TimestampError as error:
            self.fail(f"{error} (write e.g. 2026-12-01T00:00:00Z)", param, ctx)


def at_option(function):
    return click.option("--at", type=_Instant(), default=None,
                        help="The instant instruments are taken at, ISO 8601 with a time zone [default: now].")(function)


LEVEL = "streamconf.level"  # in click's ctx.meta, which a command's context shares with the group's


def _set_level(level: int):
    def callback(ctx: click.Context, param: click.Parameter, value: bool) -> None:
        from . import feedback

        if value:
            ctx.meta[LEVEL] = level
            if ctx.parent is not None:  # a command's own option: its feedback is already shown
                feedback.current().level = level
    return callback


def feedback_options() -> list[click.Option]:
    """--quiet and --verbose, the same on the group and on every command."""
    from .feedback import QUIET, VERBOSE

    return [click.Option(["-q", "--quiet"], is_flag=True, expose_value=False, callback=_set_level(QUIET),
                         help="Print only the result and the findings: no progress, no summary line."),
            click.Option(["-v", "--verbose"], is_flag=True, expose_value=False, callback=_set_level(VERBOSE),
                         help="Also print the time each stage of the work takes.")]


def _completer(names: Callable[..., list[str]], *keys: str):
    """A shell_complete function: names from the repository of --root (and of --realm, for wikis)."""
    def complete(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
        from .completion import starting_with
        from .layout import find_root

        root = ctx.params.get("root") or find_root(Path("."))
        given = [ctx.params.get(key) for key in keys]
        extra = [value for values in given for value in ((values,) if isinstance(values, str) else values or ())]
        return starting_with(incomplete, names(root, *extra))
    return complete


def _completers() -> dict[str, Callable]:
    """Parameter name -> what completes it."""
    from . import completion

    wikis, realms, refs = _completer(completion.wikis, "realm", "realms"), _completer(completion.realms), _completer(completion.refs)
    return {"wiki": wikis, "wikis": wikis, "realm": realms, "realms": realms, "ref": refs, "base": refs, "head": refs,
            "stream": _completer(completion.streams_and_instruments), "owner": _completer(completion.teams)}


class _Commands(click.Group):
    """Turns every failure into a message and an exit code: no traceback reaches a user. Gives
    every command --quiet and --verbose, and completion of its wikis, streams, realms and refs
    (by parameter name) from the repository."""

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        super().add_command(cmd, name)
        cmd.params.extend(feedback_options() + [debug_option()])
        completers = _completers()
        for param in cmd.params:
            if param.name in completers:
                # click keeps a parameter's shell_complete function here; set by name, every
                # command completes the same things the same way.
                param._custom_shell_complete = completers[param.name]

    def invoke(self, ctx: click.Context):
        from .feedback import NORMAL, Feedback, shown

        with shown(Feedback(ctx.meta.get(LEVEL, NORMAL))):
            return self._invoke(ctx)

    def _invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except UsageError as error:
            print_diagnostics(error.diagnostics)
            ctx.exit(EXIT_USAGE)
        except ConfigError as error:
            print_diagnostics(error.diagnostics)
            ctx.exit(EXIT_INVALID)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt:
            ctx.exit(130)
        except BrokenPipeError:
            stop_writing()
            ctx.exit(EXIT_CLOSED_PIPE)
        except Exception as error:  # noqa: BLE001 - the last guard
            if ctx.meta.get(DEBUG) or os.environ.get("STREAMCONF_DEBUG"):
                raise
            click.echo(f"streamconf: internal error: {type(error).__name__}: {error}\n"
                       "    hint: run again with --debug for a traceback, and report it", err=True)
            ctx.exit(EXIT_INVALID)


def debug_option() -> click.Option:
    """--debug, the same on the group and on every command."""
    def remember(ctx: click.Context, param: click.Parameter, value: bool) -> None:
        if value:
            ctx.meta[DEBUG] = True
    return click.Option(["--debug"], is_flag=True, expose_value=False, callback=remember,
                        help="Show a traceback when something fails unexpectedly.")


def stop_writing() -> None:
    """The reader of stdout has gone: send what is left to /dev/null, so that neither the rest of
    the command nor the flush at exit fails on it again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="streamconf")
def cli() -> None:
    """Compile event stream configuration from YAML into per-wiki JSON bundles, exactly as
    MediaWiki's EventStreamConfig API and EventLogging serve them.

    \b
    Example:
      streamconf validate
      streamconf compile --out build
      streamconf show enwiki mediawiki.link_hover
    """


cli.params.extend(feedback_options() + [debug_option()])


def status(line: str) -> None:
    """A line that says how the work went (not its result): left out with --quiet."""
    from .feedback import QUIET, current

    if current().level > QUIET:
        click.echo(line)


@cli.command("import")
@click.argument("case", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--root", type=click.Path(file_okay=False, path_type=Path), default=Path("."), show_default=True,
              help="The folder to write the config repository into.")
@click.option("--force", is_flag=True, help="Replace the existing stream config whole: realms/, streams/, overrides/ (but for each "
                   "realm's instruments/ folder), stream-defaults.yaml, eventlogging.yaml; instruments are kept "
                   "(an instruments import: instruments/imported.yaml only).")
def import_command(case: Path, root: Path, force: bool) -> None:
    """Write the YAML repository equivalent to a case document (mediawiki-config settings per
    realm, and the wikis with their tags); or, for a configurator document (the JSON list that
    Test Kitchen's /api/v1/instruments returns), write instruments/imported.yaml.

    \b
    Example:
      streamconf import mediawiki-config.json --root ./stream-config
      streamconf import instruments.json --root ./stream-config
    """
    from .workflow import import_document
    from .reporters import text

    imported = import_document(case, root, force)
    print_diagnostics(imported.findings)
    status(text.imported(imported, root))


@cli.command("compile")
@root_option
@click.option("--out", type=click.Path(), default=None, help="Output directory [default: ROOT/build].")
@click.option("--realm", "realms", multiple=True, help="Compile only this realm (repeatable).")
@click.option("--wiki", "wikis", multiple=True, help="Compile only this wiki (repeatable).")
@click.option("--force", is_flag=True, help="Rebuild even when the output is up to date.")
@click.option("--ref", default=None, help="Compile the config as this commit, branch or tag has it (the working tree is not touched).")
@at_option
def compile_command(root: Path, out: str | None, realms: tuple[str, ...], wikis: tuple[str, ...], force: bool,
                    ref: str | None, at) -> None:
    """Compile every wiki's bundles into OUT/<realm>/<wiki>/{streamconfigs,eventlogging}.json,
    with OUT/manifest.json. Atomic: on any error OUT keeps its previous content. With instruments,
    also OUT/<realm>/instruments.json (the configurator's service body) and
    OUT/<realm>/<wiki>/instruments.json (what ext.testKitchen embeds at --at).

    \b
    Example:
      streamconf compile --out build --realm production --wiki enwiki
      streamconf compile --ref v2026.11.01 --out /tmp/released
      streamconf compile --at 2026-12-24T00:00:00Z
    """
    from .reporters import text
    from .workflow import compile_repository

    # `out` stays a string: an empty --out "$UNSET" must be refused, not read as ".".
    result = compile_repository(root, root / "build" if out is None else out, realms, wikis, force, ref, at)
    print_diagnostics(result.diagnostics)
    status(text.compiled(result))


@cli.command("validate")
@root_option
@click.option("--format", "fmt", type=click.Choice(["text", "json", "gitlab"]), default="text", show_default=True,
              help="gitlab: a GitLab Code Quality report.")
@click.option("--strict", is_flag=True, help="Warnings fail too.")
@click.option("--schema-repo", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="An event schema repository (jsonschema-tools layout) to check schema_title against.")
@at_option
def validate_command(root: Path, fmt: str, strict: bool, schema_repo: Path | None, at) -> None:
    """Check every file against its schema, the repository's structure, and the lint rules
    (`streamconf rules`). Exit 0 when valid, 1 when not (with --strict, also on warnings).

    \b
    Example:
      streamconf validate --strict
      streamconf validate --format gitlab > gl-code-quality-report.json
    """
    from .reporters import gitlab, json, text
    from .workflow import check

    config, diagnostics = check(root, schema_repo, at)
    if fmt == "gitlab":
        click.echo(gitlab.report(diagnostics))
    elif fmt == "json":
        sys.stdout.write(json.diagnostics(diagnostics))
    else:
        print_diagnostics(diagnostics)
    warnings = sum(d.severity == WARNING for d in diagnostics)
    notices = sum(d.severity == NOTICE for d in diagnostics)
    if config is None or strict and warnings:
        sys.exit(EXIT_INVALID)
    if fmt == "text":
        status(text.valid(config, warnings, notices))


@cli.command("rules")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True,
              help="markdown: the reference in docs/rules.md.")
def rules_command(fmt: str) -> None:
    """List every diagnostic code: the structural SC codes and the lint rules (SL) that `validate`
    runs, with severity, name and what each one finds.

    \b
    Example:
      streamconf rules
      streamconf rules --format markdown > docs/rules.md
    """
    from .reporters import json, markdown, text
    from .workflow import code_docs

    entries = code_docs()
    if fmt == "markdown":
        sys.stdout.write(markdown.rules(entries))
    elif fmt == "json":
        sys.stdout.write(json.rules(entries))
    else:
        sys.stdout.write(text.rules(code for code, _ in entries))


@cli.command("show")
@click.argument("wiki")
@click.argument("stream", required=False)
@root_option
@realm_option
@click.option("--eventlogging", is_flag=True, help="Show what EventLogging embeds instead of the API body.")
@click.option("--instruments", is_flag=True, help="Show the instrumentConfigs ext.testKitchen embeds (at --at).")
@at_option
def show_command(wiki: str, stream: str | None, root: Path, realm: str | None, eventlogging: bool, instruments: bool,
                 at) -> None:
    """Print a wiki's effective config as JSON: the `action=streamconfigs` body, or one stream's
    config (a stream name may match a /pattern/ key). With --instruments, the instrument configs
    that ext.testKitchen embeds on the wiki, or one instrument's.

    \b
    Example:
      streamconf show enwiki mediawiki.job.refresh --realm beta
      streamconf show enwiki --instruments --at 2026-12-24T00:00:00Z
    """
    from .reporters import json
    from .workflow import show_repository

    if eventlogging and instruments:
        raise click.UsageError("give --eventlogging or --instruments, not both")
    click.echo(json.value(show_repository(root, realm, wiki, stream, eventlogging, instruments, at)))


@cli.command("schedule")
@root_option
@click.option("--realm", "realms", multiple=True, help="Only this realm (repeatable) [default: every realm].")
@at_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def schedule_command(root: Path, realms: tuple[str, ...], at, fmt: str) -> None:
    """List the coming instrument starts and ends: when, which instrument, on which wikis at which
    rates. A build of the instruments holds until the first of them: recompile then.

    \b
    Example:
      streamconf schedule --realm production
      streamconf schedule --format json     # for a deploy timer: valid_until is the next recompile
    """
    from .reporters import json, text
    from .workflow import schedule_repository

    config, at, coming = schedule_repository(root, realms, at)
    if fmt == "json":
        click.echo(json.schedule(at, coming))
    else:
        print_rows(text.schedule_rows(config, at, coming))


@cli.command("diff")
@click.argument("base", required=False)
@click.argument("head", required=False)
@root_option
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text", show_default=True)
@click.option("--fail-on", type=click.Choice(["breaking", "any", "never"]), default="never", show_default=True,
              help="Exit 3 when there is a breaking change (or any change).")
def diff_command(base: str | None, head: str | None, root: Path, fmt: str, fail_on: str) -> None:
    """What a change does to the effective config of every wiki: per realm, stream and setting,
    old value -> new value, and the wikis affected. BASE defaults to the merge-base with the
    default branch, HEAD to the working tree (uncommitted edits included).

    \b
    Example:
      streamconf diff                       # this branch against main
      streamconf diff main HEAD --format markdown --fail-on breaking
    """
    from .reporters import json, markdown, text
    from .workflow import diff_repository

    changes, before, after = diff_repository(root, base, head)
    if fmt == "json":
        click.echo(json.diff(changes, before, after))
    elif fmt == "markdown":
        click.echo(markdown.diff(changes, f"Stream config changes: {before} → {after}"))
    else:
        print_rows(text.diff_rows(changes))
    if changes.fails_on(fail_on):
        sys.exit(EXIT_FOUND)


@cli.command("explain")
@click.argument("wiki")
@click.argument("stream")
@click.argument("setting", required=False)
@root_option
@realm_option
@click.option("--eventlogging", is_flag=True,
              help="Say whether EventLogging embeds STREAM on WIKI, and which key of the names list decided it.")
@click.option("--blame", is_flag=True, help="Add the commit, author and date that last changed each line.")
@at_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def explain_command(wiki: str, stream: str, setting: str | None, root: Path, realm: str | None, eventlogging: bool,
                    blame: bool, at, fmt: str) -> None:
    """For every value of a stream's effective config on a wiki: which layer set it (file:line,
    key, realm), and which layers were shadowed and why. SETTING narrows it to a path such as
    sample.rate; when it is absent on the wiki, the layers that would set it and why none takes
    effect (exit 1). With --eventlogging: whether EventLogging embeds the stream on the wiki, which
    keys of the names list list it (and which of those the wiki does not read, and why), and
    which stream config it gets. For an instrument: whether it is active at --at, and which line
    sets its rate, unit, stream and attributes on the wiki.

    \b
    Example:
      streamconf explain enwiki mediawiki.web_ui_actions sample.rate --blame
      streamconf explain enwiki mediawiki.web_ui_actions --eventlogging
      streamconf explain testwiki web-scroll-depth --format json
    """
    from .reporters import json, text
    from .workflow import EmbeddingReport, ExplainReport, explain_embedding, explain_stream

    if eventlogging and setting:
        raise click.UsageError("give SETTING or --eventlogging, not both")
    report = explain_embedding(root, realm, wiki, stream, blame) if eventlogging else \
        explain_stream(root, realm, wiki, stream, tuple(setting.split(".")) if setting else (), blame, at)
    if fmt == "json":
        click.echo(json.explanation(report))
    elif isinstance(report, EmbeddingReport):
        print_rows(text.embedding_rows(report))
    else:
        print_rows(text.explain_rows(report) if isinstance(report, ExplainReport) else text.instrument_explain_rows(report))
    if isinstance(report, ExplainReport) and report.absent:
        sys.exit(EXIT_INVALID)


@cli.command("log")
@click.argument("stream")
@root_option
@click.option("--wiki", default=None, help="Only changes that reach this wiki.")
@realm_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def log_command(stream: str, root: Path, wiki: str | None, realm: str | None, fmt: str) -> None:
    """The history of a stream's (or an instrument's) effective config: the commits where it
    changed (on WIKI, or on any wiki), oldest first, with what changed.

    \b
    Example:
      streamconf log mediawiki.web_ui_actions --wiki enwiki
      streamconf log web-scroll-depth --format json
    """
    from .reporters import json, text
    from .workflow import stream_log

    entries = stream_log(root, stream, realm, wiki)
    if fmt == "json":
        click.echo(json.log(entries))
    else:
        print_rows(text.log_rows(entries, stream, wiki))


@cli.command("owners")
@root_option
@click.option("--check", is_flag=True, help="Write nothing; exit 1 naming the stale lines when the file differs.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The CODEOWNERS file [default: ROOT/CODEOWNERS].")
def owners_command(root: Path, check: bool, out: Path | None) -> None:
    """Write CODEOWNERS for GitLab from owners.yaml, metadata/ and the instruments' owners: a
    section per team, each file of streams/, instruments/, overrides/ and metadata/ under every
    team whose streams or instruments it touches.

    \b
    Example:
      streamconf owners
      streamconf owners --check      # in the pipeline
    """
    from .workflow import codeowners

    path, written, stale = codeowners(root, out, check)
    if stale:
        print_diagnostics(stale)
        sys.exit(EXIT_INVALID)
    teams = sum(line.startswith("[") for line in written.splitlines())
    status(f"{path} is up to date" if check else f"wrote {path}: {teams} teams")


@cli.command("publish")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--keep", default=5, show_default=True, type=click.IntRange(1), help="Releases to keep.")
@click.option("--allow-dirty", is_flag=True, help="Publish a build compiled from uncommitted changes.")
@click.option("--dry-run", is_flag=True, help="Say what would change; change nothing.")
@click.option("--rollback", is_flag=True, help="Switch DEST back to the release before the current one.")
def publish_command(paths: tuple[str, ...], keep: int, allow_dirty: bool, dry_run: bool, rollback: bool) -> None:
    """Publish BUILD_DIR to DEST: verify every file against the manifest, copy it to a new
    release under DEST/releases/, and switch DEST/current to it atomically.

    \b
    Usage: streamconf publish BUILD_DIR DEST   |   streamconf publish --rollback DEST
    Example:
      streamconf publish build /srv/streamconfigs --keep 10
    """
    from . import publish
    from .reporters import text

    if rollback != (len(paths) == 1) or len(paths) > 2:
        raise click.UsageError("give BUILD_DIR and DEST, or --rollback and DEST")
    if rollback:
        plan = publish.rollback(paths[0], dry_run)
    else:
        plan = publish.publish(paths[0], paths[1], keep, allow_dirty, dry_run)
    print_diagnostics(plan.warnings)
    status(text.published(plan, dry_run, rollback))


@cli.command("completion")
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion_command(shell: str) -> None:
    """Print the shell's completion script: commands and options, and the wiki ids, stream names,
    realms and git refs of the repository you are in.

    \b
    Example:
      eval "$(streamconf completion bash)"                       # in ~/.bashrc
      streamconf completion fish > ~/.config/fish/completions/streamconf.fish
    """
    from click.shell_completion import get_completion_class

    script = get_completion_class(shell)(cli, {}, "streamconf", "_STREAMCONF_COMPLETE").source()
    click.echo(script)


@cli.group("new", cls=_Commands)
def new_group() -> None:
    """Write a minimal, valid, commented file for a new stream or instrument (never over a file
    that exists).

    \b
    Example:
      streamconf new stream mediawiki.web_ui_scroll --schema-title analytics/mediawiki/web_ui_scroll
      streamconf new instrument web-scroll-speed --owner web --stream mediawiki.web_ui_scroll
    """


def ask(value: str | None, option: str, question: str, choices: tuple[str, ...] = ()) -> str:
    """An option's value, asked for when missing and someone is at the terminal."""
    if value:
        return value
    if not sys.stdin.isatty():
        raise click.UsageError(f"give {option}" + (f" (one of {', '.join(choices)})" if choices else ""))
    return click.prompt(question, type=click.Choice(choices) if choices else str)


@new_group.command("stream")
@click.argument("name")
@root_option
@click.option("--schema-title", help="The schema of its events, e.g. analytics/mediawiki/web_ui_scroll.")
@click.option("--service", help="The EventGate service its events go to (destination_event_service).")
@click.option("--owner", help="The team that owns it, from owners.yaml: its entry goes to metadata/<owner>.yaml.")
def new_stream_command(name: str, root: Path, schema_title: str | None, service: str | None, owner: str | None) -> None:
    """Declare a stream in streams/<first part of NAME>/<rest of NAME>.yaml, and its owner in
    metadata/<owner>.yaml when the repository has owners.yaml. Asks for what is not given, at a
    terminal.

    \b
    Example:
      streamconf new stream mediawiki.web_ui_scroll --schema-title analytics/mediawiki/web_ui_scroll \\
          --service eventgate-analytics-external --owner web
    """
    from . import scaffold
    from .reporters import text

    with _scaffolding():
        written = scaffold.new_stream(root, name, schema_title, service, owner, ask)
    for line in text.scaffolded(written):
        status(line)


@new_group.command("instrument")
@click.argument("name")
@root_option
@click.option("--owner", help="The team that owns it; the file goes to instruments/<owner>/.")
@click.option("--stream", help="The stream its events go to, declared in streams/.")
@click.option("--schema-title", help="[default: the stream's schema_title]")
@click.option("--start", type=_Instant(), default=None, help="ISO 8601 with a time zone [default: tomorrow, 00:00 UTC].")
@click.option("--end", type=_Instant(), default=None, help="[default: 30 days after the start]")
def new_instrument_command(name: str, root: Path, owner: str | None, stream: str | None, schema_title: str | None,
                           start, end) -> None:
    """Declare a Test Kitchen instrument in instruments/<owner>/NAME.yaml, sampling nothing until
    you give it rates. Asks for what is not given, at a terminal.

    \b
    Example:
      streamconf new instrument web-scroll-speed --owner web --stream mediawiki.web_ui_scroll
    """
    from datetime import datetime, timezone

    from . import scaffold
    from .reporters import text

    with _scaffolding():
        written = scaffold.new_instrument(root, name, owner, stream, schema_title, start, end, datetime.now(timezone.utc), ask)
    for line in text.scaffolded(written):
        status(line)


@contextmanager
def _scaffolding() -> Iterator[None]:
    from .scaffold import ScaffoldError

    try:
        yield
    except ScaffoldError as error:
        raise click.ClickException(str(error)) from None


@cli.command("serve")
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--host", "bind", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535), help="The port to listen on.")
@click.option("--workers", default=None, type=click.IntRange(1, 64),
              help="Worker processes [default: one per CPU this process may use, at most 4].")
@click.option("--host-realm", default=None,
              help="The only realm whose wikis answer by Host header [default: every realm; two that claim "
                   "one host name are refused].")
@click.option("--poll", default=1.0, show_default=True, type=click.FloatRange(0.05, 3600),
              help="Seconds between checks of SOURCE for a new release.")
def serve_command(source: Path, bind: str, port: int, workers: int | None, host_realm: str | None, poll: float) -> None:
    """Serve SOURCE (a build directory, or a publish destination with its `current` release) as
    MediaWiki's stream configuration API: api.php?action=streamconfigs with streams= and
    constraints=, exactly as MediaWiki answers it, plus /healthz and /metrics.

    \b
    Example:
      streamconf serve /srv/streamconfigs --host 0.0.0.0 --port 8080 --workers 2
      curl -H 'Host: en.wikipedia.org' 'localhost:8080/w/api.php?action=streamconfigs&streams=a|b'
      curl 'localhost:8080/beta/enwiki/w/api.php?action=streamconfigs&constraints=destination_event_service=eventgate-main'

    When `streamconf publish` switches SOURCE/current, every worker verifies the new release
    against its manifest and answers from it within --poll seconds, without a restart; every
    response comes from one release, named in its X-Streamconf-Release header. A release that
    does not verify is not served. SIGTERM finishes the requests in flight, then exits.

    \b
    Under systemd (/etc/systemd/system/streamconf.service):
      [Service]
      ExecStart=/opt/streamconf/.venv/bin/streamconf serve /srv/streamconfigs --host 0.0.0.0 --workers 2
      KillSignal=SIGTERM
      Restart=on-failure
      DynamicUser=yes

    Behind a CDN: answers carry Cache-Control: public, max-age=600, s-maxage=600 (errors are
    private) and a strong ETag; the CDN must keep the Host header (it chooses the wiki) and
    the whole query string in its cache key.
    """
    from .serve import run

    run.serve(source, bind, port, workers, host_realm, poll)


@cli.command("site")
@root_option
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Output directory [default: ROOT/site].")
@click.option("--at", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="The first day of the schedule [default: today, UTC].")
def site_command(root: Path, out: Path | None, at) -> None:
    """Write the stream catalog: a static HTML site with an index of every stream, a page per
    stream (effective values per wiki set, owner, recent history), per team and per wiki, and
    the instrument schedule. Needs the optional dependency Jinja2 (streamconf[site]).

    \b
    Example:
      streamconf site --out public
    """
    from datetime import datetime, timezone

    from .workflow import build_site

    day = (at or datetime.now(timezone.utc)).date()
    pages, size = build_site(root, out or root / "site", day)
    status(f"wrote {pages} pages ({size / 1e6:.1f} MB) into {out or root / 'site'}")


@cli.group("export", cls=_Commands)
def export_group() -> None:
    """Export the catalog to other tools.

    \b
    Example:
      streamconf export datahub --out datahub.json --site-url https://streams.example.org/
    """


@export_group.command("datahub")
@root_option
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="The metadata file to write.")
@click.option("--site-url", default=None, help="Where the catalog site is published, to link each dataset to its page.")
def export_datahub_command(root: Path, out: Path, site_url: str | None) -> None:
    """Write a DataHub metadata file (what DataHub's `file` source ingests): a dataset per stream
    and per topic on the kafka platform, with description, owner team, tags and custom
    properties, and each team as a group. Needs acryl-datahub (streamconf[datahub]).

    \b
    Example:
      streamconf export datahub --out datahub.json --site-url "$CI_PAGES_URL"
      datahub ingest -c recipe.yml      # source: {type: file, config: {path: datahub.json}}
    """
    from .workflow import export_datahub

    count = export_datahub(root, out, site_url)
    status(f"wrote {count} metadata change proposals into {out}")


def main() -> None:
    try:
        cli(prog_name="streamconf")
    except SystemExit as exit:
        status = exit.code
    try:  # output still buffered is written at exit, after the commands' guard
        sys.stdout.flush()
    except BrokenPipeError:
        stop_writing()
        status = EXIT_CLOSED_PIPE
    sys.exit(status)
