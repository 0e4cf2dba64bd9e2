"""What the lint tests share: a realm with tags that overlap, a stream's required settings, and the
findings of one rule on a repository written from a few files."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import assert_rule_case, write_tree
from streamconf.lint import lint
from streamconf.load import read_sources
from streamconf.validate import validate

REALM = "wikis:\n  enwiki: [en, wiki]\n  dewiki: [de, wiki]\n  metawiki: [meta, wiki]\n  officewiki: [private, en, wiki]\n  w1wiki: [small, private]\n"
STREAM = "  schema_title: analytics/a\n  destination_event_service: eventgate-analytics-external\n"


def findings(tmp_path: Path, files: dict[str, str], rule: str, schema_repository: Path | None = None) -> list[str]:
    root = write_tree(tmp_path / "repo", {"realms/production.yaml": REALM, **files})
    config, diagnostics = validate(read_sources(root))
    assert config is not None, "\n".join(d.render() for d in diagnostics)
    return [d.render() for d in lint(config, root, schema_repository=schema_repository) if d.code == rule]


def rule_cases(cases: dict[str, tuple]):
    """The test that each rule of `cases` fires on its first input and not on its second."""
    @pytest.mark.parametrize("rule", sorted(cases))
    def test_rule_fires_and_does_not(rule: str, tmp_path: Path):
        assert_rule_case(lambda directory, files: findings(directory, files, rule), cases[rule], tmp_path)
    return test_rule_fires_and_does_not
