"""Every diagnostic code streamconf reports, in one table: its name, its default severity and what
it means. `streamconf rules` lists the table and docs/rules.md is generated from it.

SC codes are structural: the input cannot be read, checked or written, so they are errors (SC101,
a pattern that gives up, is the one warning). SL codes are the lint rules (streamconf.lint), whose
severity a repository may change in streamconf.yaml.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from .diagnostics import ERROR, NOTICE, WARNING, ConfigError, Diagnostic, Location


@dataclass(frozen=True)
class Code:
    id: str
    name: str
    severity: str  # the default; a repository may change it for SL codes
    summary: str  # one line: what the finding means


CODES: dict[str, Code] = {code.id: code for code in (
    Code("SC001", "unreadable-file", ERROR,
         "A file cannot be read as YAML or a dblist: syntax, encoding, size, a symbolic link, or a YAML feature streamconf refuses."),
    Code("SC002", "schema", ERROR, "A file does not match the JSON Schema of its kind (schemas/)."),
    Code("SC003", "structure", ERROR,
         "The files do not fit together: a file in no place streamconf reads, an unknown realm or dblist, a declaration made twice."),
    Code("SC005", "invalid-pattern", ERROR, "A stream key starts with `/` but is not a valid PCRE pattern."),
    Code("SC010", "output-not-written", ERROR, "The output directory cannot be written; it keeps its previous content."),
    Code("SC020", "invalid-case", ERROR, "`import` cannot read the case document, or it is not of the expected shape."),
    Code("SC021", "config-exists", ERROR, "`import` would replace a config that is already there (use --force)."),
    Code("SC022", "import-not-written", ERROR, "`import` cannot write the repository."),
    Code("SC023", "settings-kept", WARNING,
         "`import` found what MediaWiki accepts and lint refuses, but keeps the streamconf.yaml already there: lower the rules in it."),
    Code("SC030", "no-repository", ERROR, "The config repository (--root) does not exist or is not a directory."),
    Code("SC031", "unknown-selection", ERROR, "--realm or --wiki names a realm or wiki the repository does not have."),
    Code("SC032", "unknown-stream", ERROR, "No stream key of the wiki is, or matches, the stream name given."),
    Code("SC033", "unknown-setting", ERROR, "The stream has no setting at the path given to `explain`."),
    Code("SC040", "not-in-git", ERROR, "A git option was given, but the config repository is not in a git repository."),
    Code("SC041", "unknown-ref", ERROR, "A commit, branch or tag name names no commit."),
    Code("SC042", "no-base", ERROR, "`diff` finds no base to compare with: no default branch, or no common ancestor."),
    Code("SC044", "invalid-at-commit", ERROR, "The config is not valid at the commit asked for."),
    Code("SC050", "publish-refused", ERROR, "`publish` refuses a build or a destination: not a verified build, or not its own."),
    Code("SC201", "output-not-ours", ERROR,
         "An output directory (compile --out, publish DEST) holds files streamconf did not write, or is a link or a file: it is never replaced."),
    Code("SC202", "output-protected", ERROR,
         "An output path is empty, /, the home directory, the config sources, inside .git, or overlaps the build: it is never written."),
    Code("SC203", "unsafe-file", ERROR,
         "A manifest or history that is a link, a FIFO, a device or too large: never followed or read."),
    Code("SC204", "bad-manifest", ERROR,
         "A manifest.json that is not JSON or not of streamconf's shape, or lists a path outside its directory."),
    Code("SC205", "build-changed", ERROR,
         "The build changed while publish copied it, or the release does not verify as written: nothing is switched."),
    Code("SC206", "unproven-provenance", ERROR,
         "The build was compiled from uncommitted changes, or git could not confirm that it was not (publish without --allow-dirty)."),
    Code("SC207", "untrusted-destination", ERROR,
         "publish DEST's `current` points outside releases/, its served history is unreadable, or no earlier release can be rolled back to."),
    Code("SC210", "pattern-given-up", WARNING,
         "A stream pattern exceeded PCRE2's match limit on several names, so the run stopped matching with it; checks that needed it stopped short."),
    Code("SC211", "pattern-not-exact", ERROR,
         "A result needs a pattern the run stopped matching with (SC210), so it cannot be made as PHP would: nothing is written."),
    Code("SC300", "instrument-date", ERROR,
         "An instrument's start or end is not a date MediaWiki can parse; one such date disables every instrument."),
    Code("SC301", "instrument-declared-twice", ERROR, "An instrument is declared twice in one realm."),
    Code("SC302", "instrument-incomplete", ERROR, "An instrument lacks a required field in a realm."),
    Code("SC303", "instrument-overlay-place", ERROR,
         "overrides/<realm>/instruments/ names no declared realm, or the root realm (whose instruments are in instruments/)."),
    Code("SC304", "instruments-expired", WARNING,
         "`publish`: the build's instrument maps are past their valid_until; some instrument has started or ended since."),
    Code("SC305", "unknown-instrument", ERROR, "`show --instruments`: no instrument of that name is active on the wiki at that time."),
    Code("SC306", "instrument-import", ERROR,
         "`import` of a configurator document: it is not a list of instruments with the service's fields, or its file exists."),
    Code("SC401", "stale-codeowners", ERROR,
         "`owners --check`: a line of CODEOWNERS differs from what `streamconf owners` writes (or the file is missing)."),
    Code("SC402", "foreign-codeowners", ERROR,
         "`owners` will not overwrite a CODEOWNERS it did not write, nor one that is a link or a special file."),
    Code("SC403", "metadata-twice", ERROR, "The metadata of one stream is given twice in metadata/."),
    Code("SC404", "site-needs-jinja2", ERROR, "`site` needs the optional dependency Jinja2 (streamconf[site])."),
    Code("SC405", "datahub-needs-acryl", ERROR, "`export datahub` needs the optional dependency acryl-datahub (streamconf[datahub])."),
    Code("SC406", "export-not-written", ERROR, "An export cannot be written where --out names; what is there is left as it is."),
    Code("SC101", "match-limit", WARNING,
         "Matching a stream name against a pattern exceeded PCRE's match limit; as in PHP, it counts as no match."),
    Code("SL001", "unknown-key", ERROR, "A key names a wiki or tag that the realm's registry does not know."),
    Code("SL002", "undeclared-stream", ERROR, "An override names a stream that no layer declares for that realm."),
    Code("SL003", "ineffective-false", WARNING, "A `false` under a `+` key that a lower layer's value replaces."),
    Code("SL004", "ineffective-null", WARNING, "A `null` under a `+` key that a lower layer fills."),
    Code("SL005", "unread-key", WARNING, "A key that applies to wikis but that none of them ever reads."),
    Code("SL006", "tag-order", WARNING, "Two tag keys that both apply to some wiki, so that the result depends on tag order."),
    Code("SL007", "short-list", WARNING, "A stream's list setting shorter than the stream defaults' list of the same key."),
    Code("SL008", "risky-pattern", WARNING,
         "A stream pattern at risk of catastrophic backtracking: nested or overlapping quantifiers."),
    Code("SL009", "pattern-overlap", WARNING,
         "A pattern that matches a stream declared by name, or two patterns that match the same name."),
    Code("SL010", "unresolved-eventlogging-name", WARNING, "An EventLogging stream name that resolves to no stream config on some wiki."),
    Code("SL011", "sample-unit", ERROR, "`sample.unit` is not one of the units the clients support."),
    Code("SL012", "unknown-schema", ERROR, "`schema_title` names no schema in the event schema repository."),
    Code("SL013", "stale-schema", WARNING, "`schema_title` names a schema whose latest version is deprecated, or not materialised."),
    Code("SL014", "unknown-destination", ERROR,
         "`destination_event_service` is not one of the services configured for the repository."),
    Code("SL015", "stream-name", WARNING, "A stream name that does not follow the naming convention."),
    Code("SL101", "instrument-stream", ERROR, "An instrument's `stream_name` has no stream config on a wiki where its rate is above 0."),
    Code("SL102", "instrument-schema", ERROR, "An instrument's `schema_title` differs from its stream's `schema_title` on a wiki where its rate is above 0."),
    Code("SL103", "unknown-contextual-attribute", ERROR, "A contextual attribute that the Metrics Platform client does not provide (`contextual_attributes` in streamconf.yaml; Wikimedia's current list by default)."),
    Code("SL104", "repeated-contextual-attribute", WARNING, "A contextual attribute listed twice for one instrument."),
    Code("SL105", "window-order", ERROR, "An instrument whose `start` is not before its `end`: it never runs (or for one second)."),
    Code("SL106", "long-window", WARNING, "An instrument that runs longer than `max_instrument_days` (streamconf.yaml; default 365)."),
    Code("SL107", "ended", WARNING, "An instrument that has ended (at `--at`, default now)."),
    Code("SL108", "ending-soon", NOTICE, "An instrument that ends within 7 days (of `--at`, default now)."),
    Code("SL109", "rate-range", ERROR, "A sample rate that is not a number from 0 to 1."),
    Code("SL110", "unknown-rate-wiki", ERROR, "A wiki or tag in an instrument's rates that the realm does not know: it samples nothing."),
    Code("SL111", "wiki-under-two-rates", ERROR, "A wiki listed (itself or by a tag) under two rates of one instrument: only the first list that names it holds."),
    Code("SL112", "instrument-name", ERROR, "An instrument name that is not slug-like: lowercase letters, digits and `-`, not an integer."),
    Code("SL113", "not-a-test-kitchen-stream", WARNING, "An instrument's stream is not marked as a Test Kitchen stream (`producers.test_kitchen.is_test_kitchen_stream: true`, as Wikimedia marks them)."),
    Code("SL114", "instrument-sample-unit", ERROR, "An instrument's `sample.unit` other than `pageview` or `session`, the only units the Metrics Platform client samples instruments by."),
    Code("SL115", "unknown-owner", ERROR, "An instrument's `owner` that is not a team of owners.yaml (checked once owners.yaml exists)."),
    Code("SL201", "missing-owner", WARNING,
         "A stream or instrument without an owner, once owners.yaml exists (an error with `require_owners: true`)."),
    Code("SL202", "unknown-team", ERROR, "A stream's owner in metadata/, or owners.yaml's `maintainers`, that is not a team of owners.yaml."),
    Code("SL203", "undeclared-metadata", ERROR, "Metadata in metadata/ for a stream that no layer declares."),
    Code("SL301", "misspelt-key", WARNING, "A setting key that nothing else uses and that is close to a key in use: a likely typo."),
    Code("SL401", "plain-key-wipes", WARNING, "A plain `<wiki>` key that removes from the wiki the streams (or defaults, or EventLogging names) that the other keys give it: `+<wiki>` was likely meant."),
)}

LINT_PREFIX = "SL"


def diagnostic(code: str, location: Location, message: str, hint: str = "", path: Iterable[object] = (),
               severity: str | None = None) -> Diagnostic:
    """A finding of `code`, at its default severity unless one is given (a repository's own)."""
    return Diagnostic(location, message, hint, tuple(str(part) for part in path), severity or CODES[code].severity, code=code)


def fail(code: str, location: Location, message: str, hint: str = "", path: Iterable[object] = ()) -> ConfigError:
    """The ConfigError to raise for one finding of `code`."""
    return ConfigError([diagnostic(code, location, message, hint, path)])
