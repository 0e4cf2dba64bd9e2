"""Stream keys that are PCRE patterns (`/^mediawiki\\.job\\..+/`), matched as PHP's preg_match does.

Matching uses the PCRE2 library itself, JIT-compiled as PHP does (pcre.jit=1), so pattern syntax
is MediaWiki's. The match limit is PHP's, pcre.backtrack_limit = 1,000,000 (PCRE2's own default is
ten times that): a match that exceeds it fails quickly instead of hanging; PHP's preg_match returns
false in that case, so the pattern counts as not matching, and callers are told so they can warn.

That bounds one match, not a run: a few hundred names that each exceed the limit still cost
seconds. A run (validate, compile, diff, show, import: one loaded config) matches through a
MatchBudget, which stops matching with a pattern once it has exceeded the limit STRIKES times.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import pcre2

# PCRE2 compile options (pcre2.h) for PHP's pattern modifiers.
_MODIFIER_OPTIONS = {
    "i": 0x00000008,  # CASELESS
    "m": 0x00000400,  # MULTILINE
    "s": 0x00000020,  # DOTALL
    "x": 0x00000080,  # EXTENDED
    "u": 0x00080000 | 0x00020000,  # UTF | UCP, as PHP's /u
    "U": 0x00040000,  # UNGREEDY
    "D": 0x00000010,  # DOLLAR_ENDONLY
    "J": 0x00000040,  # DUPNAMES
    "n": 0x00002000,  # NO_AUTO_CAPTURE
}
_ANCHORED = "A"
_PREG_QUOTE = set(".\\+*?[^]$(){}=!<>|:-#/")


class PatternError(ValueError):
    """A stream key that starts with `/` but is not a valid PCRE pattern."""


class MatchLimitExceeded(RuntimeError):
    """PCRE2 gave up on a match (catastrophic backtracking); PHP treats this as no match."""


class PatternGivenUp(RuntimeError):
    """A run stopped matching with a pattern (see MatchBudget): whether it matches is not known."""

    def __init__(self, key: str, names: list[str]) -> None:
        super().__init__(f"{key}: exceeded PCRE2's match limit on {len(names)} names")
        self.key = key
        self.names = names


STRIKES = 3
"""Matches of one pattern that may exceed PCRE2's match limit in one run before the run stops
matching with it."""


def is_pattern(key: str) -> bool:
    return key.startswith("/")


@dataclass(frozen=True)
class Pattern:
    source: str
    body: str
    modifiers: str

    def with_topic_prefixes(self, prefixes: list[str]) -> str:
        """The topics pattern: the escaped prefixes as a group after a leading `^`, if any."""
        group = "(" + "|".join(preg_quote(prefix) for prefix in prefixes) + ")"
        body = "^" + group + self.body[1:] if self.body.startswith("^") else group + self.body
        return "/" + body + "/" + self.modifiers


def preg_quote(text: str) -> str:
    """PHP's preg_quote(text, '/')."""
    return "".join("\\000" if char == "\0" else "\\" + char if char in _PREG_QUOTE else char for char in text)


@lru_cache(maxsize=None)
def parse(key: str) -> Pattern:
    """Split `/body/modifiers` as PHP does: the body ends at the first unescaped `/`."""
    if not is_pattern(key):
        raise PatternError(f"{key!r} does not start with '/'")
    index = 1
    while index < len(key) and key[index] != "/":
        index += 2 if key[index] == "\\" else 1
    if index >= len(key):
        raise PatternError("no ending delimiter '/' found")
    modifiers = key[index + 1 :]
    unknown = sorted(set(modifiers) - set(_MODIFIER_OPTIONS) - {_ANCHORED})
    if unknown:
        raise PatternError(f"unknown modifier {unknown[0]!r}")
    pattern = Pattern(key, key[1:index], modifiers)
    _compiled(pattern)
    return pattern


PHP_BACKTRACK_LIMIT = 1_000_000  # php.ini's pcre.backtrack_limit, which PHP sets as PCRE2's match limit
# The start-of-pattern items (`(*UTF)`, `(*LIMIT_MATCH=5000)`, ...) a pattern may begin with.
_START_ITEMS = re.compile(r"(?:\(\*[A-Z_]+(?:=\d+)?\))*")
_LIMIT_MATCH = re.compile(r"\(\*LIMIT_MATCH=(\d+)\)")


def with_php_match_limit(body: str) -> str:
    """`body` under PHP's match limit. A pattern's own `(*LIMIT_MATCH=d)` can only lower the limit
    PHP sets, and PCRE2 takes the last such item: so the lowest goes last, after the pattern's own."""
    start = _START_ITEMS.match(body).end()
    limit = min([PHP_BACKTRACK_LIMIT, *map(int, _LIMIT_MATCH.findall(body[:start]))])
    return f"{body[:start]}(*LIMIT_MATCH={limit}){body[start:]}"


@lru_cache(maxsize=None)
def _compiled(pattern: Pattern) -> pcre2.Pattern:
    options = 0
    for modifier in pattern.modifiers:
        options |= _MODIFIER_OPTIONS.get(modifier, 0)
    try:
        return pcre2.compile(with_php_match_limit(pattern.body).encode("utf-8"), options)
    except pcre2.PatternError:
        pass
    try:  # the pattern as written, for an error whose position is the user's
        pcre2.compile(pattern.body.encode("utf-8"), options)
    except pcre2.PatternError as error:
        raise PatternError(str(error)) from None
    raise PatternError(f"its match limit cannot be set: {pattern.body}")


_LITERAL = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-:/ ")


def required_prefix(key: str) -> str:
    """A prefix every name the pattern matches starts with: the literal text after a leading `^`
    ('' when there is none, or when a modifier could change what the literal means)."""
    pattern = parse(key)
    if not pattern.body.startswith("^") or set(pattern.modifiers) & set("imsxuUJn"):
        return ""
    prefix, index, body = [], 1, pattern.body
    while index < len(body):
        char = body[index]
        if char == "\\" and index + 1 < len(body) and body[index + 1] in ".-/\\":
            candidate, step = body[index + 1], 2
        elif char in _LITERAL:
            candidate, step = char, 1
        else:
            break
        if index + step < len(body) and body[index + step] in "?*{":  # the character may be absent
            break
        prefix.append(candidate)
        index += step
    return "".join(prefix)


@lru_cache(maxsize=8)
def _compiled_full(pattern: str) -> pcre2.Pattern:
    try:
        return pcre2.compile(f"(?:{pattern})\\z".encode("utf-8"), _MODIFIER_OPTIONS["u"])
    except pcre2.PatternError as error:
        raise PatternError(str(error)) from None


def check_full(pattern: str) -> None:
    """Raise PatternError when `pattern` (streamconf.yaml's stream_name_pattern) does not compile."""
    _compiled_full(pattern)


def full_match(pattern: str, name: str) -> bool:
    """Whether `pattern` matches all of `name`, under PCRE2's match limit like the stream keys:
    a catastrophic pattern raises MatchLimitExceeded instead of hanging."""
    try:
        return _compiled_full(pattern).match(name.encode("utf-8")) is not None
    except pcre2.LibraryError as error:
        raise MatchLimitExceeded(f"{pattern} on {name!r}: {error}") from None


def matches(key: str, name: str) -> bool:
    """preg_match(key, name): an unanchored search (anchored with /A)."""
    pattern = parse(key)
    compiled = _compiled(pattern)
    subject = name.encode("utf-8")
    try:
        found = compiled.match(subject) if _ANCHORED in pattern.modifiers else compiled.search(subject)
    except pcre2.LibraryError as error:
        raise MatchLimitExceeded(f"{key} on {name!r}: {error}") from None
    return found is not None


@dataclass
class MatchBudget:
    """The pattern matching of one run. `matches` is preg_match, as the module's `matches` (a match
    that exceeds the limit raises MatchLimitExceeded); once a pattern has exceeded the limit
    `strikes` times, every later match with it raises PatternGivenUp without being tried, so a run
    spends at most `strikes` limit-bound matches on each pattern, however many names there are."""

    strikes: int = STRIKES
    attempts: int = 0  # matches tried: what a test of the bound counts
    exceeded: dict[str, list[str]] = field(default_factory=dict)  # pattern -> names past the limit

    def matches(self, key: str, name: str) -> bool:
        names = self.exceeded.get(key, [])
        if len(names) >= self.strikes:
            raise PatternGivenUp(key, names)
        self.attempts += 1
        try:
            return matches(key, name)
        except MatchLimitExceeded:
            self.exceeded.setdefault(key, []).append(name)
            raise

    def given_up(self) -> dict[str, list[str]]:
        """Each pattern the run stopped matching with, and the names on which it exceeded the limit."""
        return {key: names for key, names in self.exceeded.items() if len(names) >= self.strikes}
