"""The repository's own config: valid with no findings, and compiling to what its comments say."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import copy_project_config, read_json
from streamconf.load import read_sources
from streamconf.validate import validate


AT = "2026-12-01T00:00:00Z"  # instruments are judged and embedded as at this instant


@pytest.fixture(scope="module")
def build(tmp_path_factory) -> Path:
    from click.testing import CliRunner
    from streamconf.cli import cli

    root = copy_project_config(tmp_path_factory.mktemp("own"))
    runner = CliRunner()
    validated = runner.invoke(cli, ["validate", "--root", str(root), "--at", AT])
    assert validated.exit_code == 0
    assert validated.output.startswith("valid:"), "no findings at all"
    assert runner.invoke(cli, ["compile", "--root", str(root), "--at", AT]).exit_code == 0
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


def test_instruments_of_three_teams_past_present_and_future(build: Path):
    service = read_json(build / "production/instruments.json")
    assert len(service) >= 8
    config, _ = validate(read_sources(build.parent))
    assert len({instrument.fields["owner"] for instrument in config.instruments["production"].values()}) >= 3
    embedded = read_json(build / "production/enwiki/instruments.json")
    assert set(embedded) < {item["name"] for item in service}, "past and future instruments are not embedded"
    assert "web-toc-clicks" not in embedded and "web-dark-mode-toggle" not in embedded
    assert embedded["web-scroll-depth"]["sample"] == {"rate": 0.5, "unit": "pageview"}
    assert "growth-suggested-edits-2026" not in {item["name"] for item in service}, "disabled"


def test_instrument_rates_per_wiki_and_per_tag(build: Path):
    assert read_json(build / "production/testwiki/instruments.json")["web-scroll-depth"]["sample"]["rate"] == 1.0  # group0
    assert read_json(build / "production/frwiktionary/instruments.json")["growth-newcomer-homepage"]["sample"]["rate"] == 0.25
    assert read_json(build / "production/commonswiki/instruments.json")["tk-page-visit"]["sample"]["rate"] == 0.01  # group1
    assert read_json(build / "beta/dewiki/instruments.json")["web-scroll-depth"]["sample"]["rate"] == 1.0
    assert "beta-tk-smoke-test" in read_json(build / "beta/enwiki/instruments.json")
    manifest = read_json(build / "manifest.json")
    assert (manifest["at"], manifest["valid_until"]) == (AT, "2027-01-01T00:00:00Z")
