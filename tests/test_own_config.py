"""The repository's own config: valid with no findings, and compiling to what its comments say."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import copy_project_config, read_json


@pytest.fixture(scope="module")
def build(tmp_path_factory) -> Path:
    from click.testing import CliRunner
    from streamconf.cli import cli

    root = copy_project_config(tmp_path_factory.mktemp("own"))
    runner = CliRunner()
    validated = runner.invoke(cli, ["validate", "--root", str(root)])
    assert validated.exit_code == 0
    assert validated.output.startswith("valid:"), "no findings at all"
    assert runner.invoke(cli, ["compile", "--root", str(root)]).exit_code == 0
    return root / "build"


def streams(build: Path, realm: str, wiki: str) -> dict:
    return read_json(build / realm / wiki / "streamconfigs.json")["streams"]


def test_size_is_realistic(build: Path):
    manifest = read_json(build / "manifest.json")
    assert len(manifest["realms"]["production"]) >= 30
    assert len(manifest["realms"]["beta"]) >= 5
    assert len(streams(build, "production", "enwiki")) >= 25


def test_legacy_streams_have_unprefixed_topics(build: Path):
    assert streams(build, "production", "dewiki")["eventlogging_NavigationTiming"]["topics"] == ["eventlogging_NavigationTiming"]


def test_job_pattern_topics(build: Path):
    job = streams(build, "production", "dewiki")["/^mediawiki\\.job\\..+/"]
    assert job["topics"] == ["/^(eqiad\\.|codfw\\.)mediawiki\\.job\\..+/"]
    assert streams(build, "beta", "dewiki")["/^mediawiki\\.job\\..+/"]["topics"] == ["/^(eqiad\\.)mediawiki\\.job\\..+/"]


def test_overrides_by_wiki_and_by_the_tag_no(build: Path):
    assert streams(build, "production", "enwiki")["mediawiki.web_ui_actions"]["sample"] == {"unit": "pageview", "rate": 0.01}
    assert streams(build, "production", "dewiki")["mediawiki.web_ui_actions"]["sample"] == {"unit": "pageview", "rate": 0.1}
    assert streams(build, "production", "nowiki")["mediawiki.web_ab_test_enrollment"]["sample"]["rate"] == 0.5
    assert streams(build, "production", "nowikibooks")["mediawiki.web_ab_test_enrollment"]["sample"]["rate"] == 0.5


def test_private_wikis(build: Path):
    assert read_json(build / "production/officewiki/eventlogging.json") == {"mediawiki.client.error": {}}
    consumer = streams(build, "production", "officewiki")["mediawiki.web_ui_actions"]["consumers"]
    assert consumer == {"analytics_hadoop_ingestion": {"job_name": "event_private", "enabled": False}}


def test_metrics_platform_values_are_embedded(build: Path):
    embedded = read_json(build / "production/enwiki/eventlogging.json")["mediawiki.web_ui_actions"]
    assert embedded["producers"]["metrics_platform_client"]["provide_values"][0] == "page_namespace"
    assert set(embedded) == {"producers", "sample"}


def test_beta_realm(build: Path):
    assert streams(build, "beta", "enwiki")["test.beta_only"]["topics"] == ["eqiad.test.beta_only"]
    assert "test.beta_only" in read_json(build / "beta/enwiki/eventlogging.json")
    assert streams(build, "beta", "enwiki")["mediawiki.web_ui_actions"]["sample"]["rate"] == 1
    assert "test.beta_only" not in streams(build, "beta", "dewiki")
