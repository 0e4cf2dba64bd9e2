"""What `api.php?action=streamconfigs` answers for a wiki, as MediaWiki computes it. Pure: a wiki's
stream configs and the request's parameters in, the selected configs out.

The rules are EventStreamConfig's (ApiStreamConfigs, StreamConfigs, StreamConfig) and those of the
MediaWiki functions they call, reproduced with PHP's array semantics:

- `streams`: each requested name in order; the stream's own key, else the first pattern in order
  that matches; the config keyed by the requested name, topics computed for it; names that match
  nothing are left out.
- `constraints`: each `k=v` element is parsed by wfCgiToArray and the results are joined with
  array_merge_recursive; a config is kept when StreamConfig::matchesSettings holds for its
  settings before computed topics.

PHP arrays are dicts here whose keys are ints or strings (a canonical decimal string key becomes an
int, as PHP makes it); values read from a bundle are JSON values, whose lists are PHP lists.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Iterable

from .. import patterns, php_json, render
from ..resolve import php_int_key

PhpArray = dict  # int | str -> value, in insertion order

MULTI_VALUE_LIMIT = 50  # ParamValidator's ISMULTI_LIMIT1: what an anonymous client may send
MULTI_VALUE_HIGH_LIMIT = 500  # ISMULTI_LIMIT2: with apihighlimits, which no anonymous client has
MAX_MATCH_DEPTH = 10  # StreamConfig::isPartialMatch's $maxDepth
PHP_PRECISION = 14  # php.ini `precision`, used by (string) of a float
MATCH_BUDGET_SECONDS = 0.1  # pattern matching one request may do; a sane one needs microseconds


class PhpTypeError(Exception):
    """Where PHP throws a TypeError: preg_match() given an array as its subject."""


class MatchBudgetExceeded(Exception):
    """A request spent its budget matching names against the stream patterns."""


class MatchDeadline:
    """How long one request may spend matching names against patterns (a run's count of given-up
    matches, patterns.MatchBudget, would let a request of many patterns cost seconds). A pattern that
    backtracks catastrophically costs up to the match limit (milliseconds) for each name, and
    PCRE2 holds the interpreter while it matches, so without a bound one request of 50 such names
    would stop its worker for seconds. Only pattern matches are charged."""

    def __init__(self, seconds: float = MATCH_BUDGET_SECONDS) -> None:
        self.seconds = seconds
        self.deadline = time.perf_counter() + seconds

    def charge(self) -> None:
        if time.perf_counter() > self.deadline:
            raise MatchBudgetExceeded(self.seconds)


class TooManyValues(Exception):
    """ParamValidator's `toomanyvalues`: more values than an anonymous client may send."""

    def __init__(self, parameter: str) -> None:
        super().__init__(parameter)
        self.parameter = parameter


# -- PHP's array primitives ------------------------------------------------------------------------


def php_key(key: str) -> int | str:
    """The key PHP makes of a string used as an array key."""
    number = php_int_key(key)
    return key if number is None else number


def _append(array: PhpArray, value: Any) -> None:
    """$array[] = $value: the next integer key is one past the highest (PHP 8.3), or 0."""
    ints = [key for key in array if type(key) is int]
    array[max(ints) + 1 if ints else 0] = value


def array_merge(first: PhpArray, second: PhpArray) -> PhpArray:
    """array_merge(): integer keys renumbered from 0, a later string key replaces the earlier."""
    merged: PhpArray = {}
    for array in (first, second):
        for key, value in array.items():
            if type(key) is int:
                _append(merged, value)
            else:
                merged[key] = value
    return merged


def _merge_recursive_into(dest: PhpArray, src: PhpArray) -> None:
    """php_array_merge_recursive(): a string key in both makes the earlier value an array (a
    scalar becomes [scalar], null becomes [null]) and merges or appends the later into it.
    Iterative: a query string can nest thousands of levels deep."""
    pending = [(dest, src)]
    while pending:
        into, source = pending.pop()
        for key, value in source.items():
            if type(key) is int:
                _append(into, value)
            elif key not in into:
                into[key] = value
            else:
                current = into[key]
                target = dict(current) if type(current) is dict else {0: current}
                into[key] = target
                if type(value) is dict:
                    pending.append((target, value))  # each map's own keys stay in order
                else:
                    _append(target, value)


def array_merge_recursive(first: PhpArray, second: PhpArray) -> PhpArray:
    """array_merge_recursive($first, $second); the first array's integer keys are renumbered."""
    merged = array_merge(first, {})
    _merge_recursive_into(merged, second)
    return merged


def is_list(array: Any) -> bool:
    """StreamConfig::arrayIsList: keys exactly 0..n-1 in order. A JSON object from a bundle has
    string keys; PHP's json_decode makes "0", "1", ... integers."""
    if type(array) is list:
        return True
    return all(php_key(key) == index if type(key) is str else key == index for index, key in enumerate(array))


def is_array(value: Any) -> bool:
    return type(value) is dict or type(value) is list


def isset(array: Any, key: int | str) -> tuple[bool, Any]:
    """isset($array[$key]) and the value: present and not null."""
    if type(array) is list:
        value = array[key] if type(key) is int and 0 <= key < len(array) else None
    else:
        value = array.get(str(key) if type(key) is int else key)
    return value is not None, value


def php_float_string(number: float) -> str:
    """(string) of a float: %.14G as PHP's zend_gcvt writes it (1.0E+25, 1.0E-5, 0.0001, -0)."""
    if math.isnan(number):
        return "NAN"
    if math.isinf(number):
        return "INF" if number > 0 else "-INF"
    mantissa, exponent = f"{abs(number):.{PHP_PRECISION - 1}e}".split("e")
    digits = mantissa.replace(".", "").rstrip("0")
    return php_json.gcvt(math.copysign(1.0, number) < 0, digits if number else "", int(exponent) + 1, PHP_PRECISION, "E")


def php_string(value: Any) -> str:
    """(string) $value: true is "1", false and null are "", an array is "Array"."""
    if type(value) is str:
        return value
    if value is True:
        return "1"
    if value is False or value is None:
        return ""
    if type(value) is float:
        return php_float_string(value)
    if is_array(value):
        return "Array"
    return str(value)


def _values(array: Any) -> Iterable[Any]:
    return array if type(array) is list else array.values()


# -- multiParamToAssocArray ------------------------------------------------------------------------

_PERCENT = re.compile(rb"%([0-9A-Fa-f]{2})")


def urldecode(text: str) -> str:
    """PHP's urldecode(): `+` is a space, %XX a byte, a stray `%` stays. Bytes that are not UTF-8
    are kept as surrogate escapes, so they compare as PHP compares bytes."""
    raw = text.encode("utf-8", "surrogateescape").replace(b"+", b" ")
    return _PERCENT.sub(lambda m: bytes([int(m.group(1), 16)]), raw).decode("utf-8", "surrogateescape")


def cgi_to_array(query: str) -> PhpArray:
    """wfCgiToArray(): `&`-separated `k=v` pieces, urldecoded again; `a[b][c]=v` nests, each
    bracket part losing its last character whatever it is; text after a second `=` is dropped."""
    if query.startswith("?"):
        query = query[1:]
    result: PhpArray = {}
    for bit in query.split("&"):
        if bit == "":
            continue
        key, value = (bit, "") if "=" not in bit else bit.split("=")[:2]
        key, value = urldecode(key), urldecode(value)
        if "[" not in key:
            result[php_key(key)] = value
            continue
        outer, *inner = key.split("[")
        nested: Any = value
        for part in reversed(inner):
            nested = {php_key(part[:-1]): nested}
        outer_key = php_key(outer)
        current = result.get(outer_key)
        result[outer_key] = array_merge(current, nested) if type(current) is dict else nested
    return result


def multi_param_to_assoc_array(elements: Iterable[str]) -> PhpArray:
    """ApiStreamConfigs::multiParamToAssocArray: `a=1|b[c]=2` -> {a: "1", b: {c: "2"}}; the same
    key twice makes a list (`a=1|a=2` -> {a: ["1", "2"]})."""
    result: PhpArray = {}
    for element in elements:
        result = array_merge_recursive(result, cgi_to_array(element))
    return result


def explode_multi_value(value: str) -> list[str]:
    """ParamValidator::explodeMultiValue: `|`-separated, or U+001F-separated when the value starts
    with it; the empty string is no values. Split into at most the high limit + 1 pieces."""
    if value in ("", "\x1f"):
        return []
    separator = "|"
    if value.startswith("\x1f"):
        separator, value = "\x1f", value[1:]
    return value.split(separator, MULTI_VALUE_HIGH_LIMIT)


def multi_value(parameter: str, value: str) -> list[str]:
    """A multi-value parameter as the module receives it: split, at most MULTI_VALUE_LIMIT values,
    duplicates dropped (array_values(array_unique()), the first of each kept in place)."""
    values = explode_multi_value(value)
    if len(values) > MULTI_VALUE_LIMIT:
        raise TooManyValues(parameter)
    return list(dict.fromkeys(values))


def parse_constraints(value: str | None) -> PhpArray | None:
    """The `constraints` parameter as StreamConfigs::get receives it."""
    if value is None:
        return None
    return multi_param_to_assoc_array(multi_value("constraints", value)) or None


# -- StreamConfig::matchesSettings -----------------------------------------------------------------


def is_partial_match(lhs: Any, rhs: PhpArray, max_depth: int = MAX_MATCH_DEPTH) -> bool:
    """StreamConfig::isPartialMatch. When both sides at a key are lists, array_intersect decides
    and ends the whole comparison: the constraints after that key are never looked at."""
    if max_depth == 0:
        return True
    for key, expected in rhs.items():
        present, actual = isset(lhs, key)
        if not present:
            return False
        if is_array(expected) and is_array(actual):
            if is_list(expected) and is_list(actual):
                return list_is_contained(expected, actual)
            if not is_partial_match(actual, expected, max_depth - 1):
                return False
        elif is_array(expected) or is_array(actual) or php_string(expected) != php_string(actual):
            return False
    return True


def list_is_contained(expected: Any, actual: Any) -> bool:
    """array_intersect($expected, $actual) === $expected: every expected value is among the actual
    ones, comparing (string) casts."""
    present = {php_string(value) for value in _values(actual)}
    return all(php_string(value) in present for value in _values(expected))


def stream_matches(key: str, name: Any, budget: MatchDeadline | None = None) -> bool:
    """StreamConfig::matches: a pattern key by preg_match, any other key by ===. A pattern match
    is charged to the budget, if any."""
    if not patterns.is_pattern(key):
        return key == name
    if type(name) is not str:
        raise PhpTypeError("preg_match(): Argument #2 ($subject) must be of type string, array given")
    try:
        return patterns.matches(key, name)
    except (patterns.MatchLimitExceeded, UnicodeEncodeError):
        return False  # preg_match returned false (no match, or a subject that is not UTF-8 under /u)
    finally:
        if budget is not None:
            budget.charge()


@dataclass(frozen=True)
class Stream:
    """One stream config of a wiki, as the server holds it."""

    key: str
    config: dict  # as in the bundle: settings, `stream`, then `topics`
    fragment: bytes  # the config's canonical JSON
    topics_computed: bool  # false when the settings gave `topics` themselves

    @cached_property
    def settings(self) -> dict:
        """The settings matchesSettings reads: the config before computed topics."""
        if not self.topics_computed:
            return self.config
        return {key: value for key, value in self.config.items() if key != "topics"}

    def config_for(self, name: str) -> dict:
        """StreamConfig::toArray($name): computed topics are made for the requested name. PHP's
        `if ( !$stream )` makes "" and "0" fall back to the key."""
        if not self.topics_computed or name in ("", "0") or name == self.key:
            return self.config
        config = dict(self.config)
        config["topics"] = topics_for(name, config.get("topic_prefixes"))
        return config


def topics_for(name: str, prefixes: Any) -> list[str]:
    """StreamConfig::topics for a requested name. A name that starts with `/` but is not a valid
    pattern gets prefixed topics, as isValidRegex() is false for it."""
    try:
        return render.topics(name, prefixes)
    except patterns.PatternError:
        return render.topics(name, prefixes, as_pattern=False)


def matches_settings(stream: Stream, constraints: PhpArray, budget: MatchDeadline | None = None) -> bool:
    """StreamConfig::matchesSettings: `stream` matched by name or pattern, then the rest against
    the settings before computed topics."""
    present, wanted = isset(constraints, "stream")
    if present:
        if not stream_matches(stream.key, wanted, budget):
            return False
        constraints = {key: value for key, value in constraints.items() if key != "stream"}
    return is_partial_match(stream.settings, constraints)


def find_stream(streams: dict[str, Stream], name: str, budget: MatchDeadline | None = None) -> Stream | None:
    """StreamConfigs::findByStream: the exact key, else the first pattern in order that matches."""
    if name in streams:
        return streams[name]
    for stream in streams.values():
        if patterns.is_pattern(stream.key) and stream_matches(stream.key, name, budget):
            return stream
    return None


def select(streams: dict[str, Stream], names: list[str] | None,
           constraints: PhpArray | None, budget: MatchDeadline | None = None) -> list[tuple[str, Stream]]:
    """StreamConfigs::get: (result key, stream) in the order of the answer. Raises
    MatchBudgetExceeded when pattern matching spends the budget."""
    if names is None:
        selected = list(streams.items())
    else:
        found = {}
        for name in names:
            stream = find_stream(streams, name, budget)
            if stream is not None:
                found[name] = stream
        selected = list(found.items())
    if not constraints:
        return selected
    return [(name, stream) for name, stream in selected if matches_settings(stream, constraints, budget)]
