"""Running the rules: every enabled rule at the severity the repository gives it, less the findings
disabled on their line."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from ..codes import diagnostic
from ..compiler import MatchingStopped, pattern_location, quoted_names
from ..diagnostics import ERROR, NOTICE, WARNING, Diagnostic, sort_key
from ..feedback import stage
from ..model import Config
from .context import Context
from .registry import RULES


def lint(config: Config, root: Path | None, severities: tuple[str, ...] = (ERROR, WARNING, NOTICE),
         schema_repository: Path | None = None, only_local: bool = False, at: datetime | None = None) -> list[Diagnostic]:
    """Every finding of every enabled rule of the given severities (the repository's, from
    streamconf.yaml, or the rules' defaults), without those disabled by
    streamconf.yaml or by a comment on their line. `only_local` runs only the rules that judge
    each layer alone: the ones that stay sound on a config built from the valid files of a broken
    repository."""
    context = Context(config, root, schema_repository, at)
    disabled_lines = _disabled_lines(config)
    found: dict[tuple, Diagnostic] = {}
    running = [(rule_, config.repository.severity(rule_.id)) for rule_ in RULES.values()]
    running = [(rule_, severity) for rule_, severity in running if severity in severities
               and rule_.id not in config.repository.disabled_rules and (rule_.local or not only_local)]
    cut_short: list[str] = []
    with stage("lint rules", len(running)) as advance:
        for rule_, severity in running:
            try:
                for finding in rule_.check(context):
                    if rule_.id in disabled_lines.get((finding.location.file, finding.location.line), ()):
                        continue
                    found_ = diagnostic(rule_.id, finding.location, finding.message, finding.hint, finding.path, severity)
                    found.setdefault((found_.location, found_.code, found_.message), found_)
            except MatchingStopped:  # the rule needed a pattern the run stopped matching with
                cut_short.append(rule_.id)
            advance(1)
    if WARNING in severities:
        found.update((("SC210", key), given_up(config, key, names, cut_short))
                     for key, names in config.match_budget.given_up().items())
    return sorted(found.values(), key=sort_key)


def given_up(config: Config, key: str, names: list[str], cut_short: list[str]) -> Diagnostic:
    """SC210: the run stopped matching with the pattern `key`."""
    stopped = f"; {', '.join(cut_short)} stopped short of checking every name" if cut_short else ""
    return diagnostic("SC210", pattern_location(config, key),
                      f"pattern {key} exceeded PCRE2's match limit on {quoted_names(names)}, so streamconf stopped "
                      f"matching with it in this run{stopped}",
                      "rewrite it without nested or overlapping quantifiers (see SL008): MediaWiki spends the whole "
                      "match limit on such a name at every request", (key,))


def _disabled_lines(config: Config) -> dict[tuple[str, int], set[str]]:
    documents = {fragment.document.file: fragment.document
                 for by_setting in config.layers.values() for by_key in by_setting.values()
                 for layer in by_key.values() for fragment in layer.fragments}
    documents.update((fragment.document.file, fragment.document) for by_name in config.instruments.values()
                     for instrument in by_name.values() for fragment in instrument.sources.values())
    documents.update((document.file, document) for document in config.ownership.documents)
    return {(file, line): rules for file, document in documents.items() for line, rules in document.disabled.items()}
