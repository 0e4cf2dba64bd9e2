"""Rules on stream patterns: SL008 risky-pattern, SL009 pattern-overlap."""

from __future__ import annotations

import re
from typing import Iterator

from .. import patterns
from ..model import Layer
from ..render import names_of, stream_entries
from .context import Context
from .registry import Finding, rule


_QUANTIFIER = re.compile(r"[*+]|\{\d*,\}")


def risky_reason(body: str) -> str:
    """Why a pattern may backtrack catastrophically, or '' when nothing is seen."""
    stack: list[dict] = []
    index = 0
    while index < len(body):
        char = body[index]
        if char == "\\":
            index += 2
            continue
        if char == "[":
            end = body.find("]", index + 2)
            index = len(body) if end < 0 else end + 1
            continue
        if char == "(":
            stack.append({"quantified": False, "alternatives": [""]})
        elif char == ")" and stack:
            group = stack.pop()
            quantifier = _QUANTIFIER.match(body, index + 1)
            if quantifier and group["quantified"]:
                return "a quantified group holds another unbounded quantifier (nested quantifiers)"
            alternatives = [a for a in group["alternatives"] if a]
            if quantifier and len(alternatives) > 1 and len({a[:1] for a in alternatives}) < len(alternatives):
                return "a quantified group has alternatives that can match the same text"
            if stack and (group["quantified"] or quantifier):
                stack[-1]["quantified"] = True
        elif char == "|" and stack:
            stack[-1]["alternatives"].append("")
        elif _QUANTIFIER.match(body, index) and stack:
            stack[-1]["quantified"] = True
        elif stack:
            stack[-1]["alternatives"][-1] += char
        index += 1
    return ""


def _pattern_keys(context: Context) -> Iterator[tuple[str, Layer, str]]:
    for view, layer in context.own_layers("streams"):
        for name in stream_entries(layer.value):
            if patterns.is_pattern(name):
                yield view.name, layer, name


@rule("SL008", local=True)
def risky_pattern(context: Context) -> Iterator[Finding]:
    """A stream pattern with nested or overlapping quantifiers, which backtrack catastrophically on names
    that almost match: `/^(a+)+$/`, `/^(a|aa)+$/`. streamconf bounds matching, but MediaWiki would
    spend that time on every request. Rewrite `(a+)+` as `a+`.
    """
    for _, layer, name in _pattern_keys(context):
        reason = risky_reason(patterns.parse(name).body)
        if reason:
            yield Finding(layer.location((name,)), f"pattern {name}: {reason}",
                          "rewrite it without nested quantifiers, e.g. (a+)+ as a+", (layer.key, name))


@rule("SL009")
def pattern_overlap(context: Context) -> Iterator[Finding]:
    """A pattern that matches a stream declared by name (the stream's own key always wins, so the
    pattern's settings do not reach it), or two patterns that match the same name (checked against
    every declared stream and EventLogging name), where the first in file order wins.

    ```yaml
    /^a\\./:       # SL009: matches the stream a.b declared by name, whose own key wins
      ...
    a.b:
      ...
    ```
    """
    for view in context.realms:
        keys = view.compiler.keys["streams"]
        exact = {n for value in keys.values() for n in stream_entries(value) if not patterns.is_pattern(n)}
        names = sorted(set(exact) | {n for value in view.compiler.keys["eventlogging_streams"].values() for n in names_of(value)})
        ordered = list(dict.fromkeys(n for value in keys.values() for n in stream_entries(value) if patterns.is_pattern(n)))
        owners: dict[str, Layer] = {}
        for layer in context.config.layers.get(view.name, {}).get("streams", {}).values():
            for name in stream_entries(layer.value):
                owners.setdefault(name, layer)
        matching = {}
        for pattern in ordered:
            prefix = patterns.required_prefix(pattern)
            matching[pattern] = [n for n in names if n.startswith(prefix) and _matches(context.config.match_budget, pattern, n)]
        for index, pattern in enumerate(ordered):
            layer = owners.get(pattern)
            if layer is None:  # declared by the base realm, and reported there
                continue
            matched = [n for n in matching[pattern] if n in exact]
            if matched:
                yield Finding(layer.location((pattern,)), f"pattern {pattern} matches the stream{'s' if len(matched) > 1 else ''} "
                              f"{', '.join(matched[:3])} declared by name, whose own key wins",
                              "narrow the pattern, or rename the stream", (layer.key, pattern))
            for earlier in ordered[:index]:
                both = sorted(set(matching[earlier]) & set(matching[pattern]))
                if both:
                    yield Finding(layer.location((pattern,)), f"patterns {earlier} and {pattern} both match {both[0]}: "
                                  f"the first in order ({earlier}) wins", "make the patterns disjoint", (layer.key, pattern))


def _matches(budget: patterns.MatchBudget, pattern: str, name: str) -> bool:
    """preg_match; no overlap is claimed where it gives false or the run stopped matching (SC210)."""
    try:
        return budget.matches(pattern, name)
    except (patterns.MatchLimitExceeded, patterns.PatternGivenUp):
        return False
