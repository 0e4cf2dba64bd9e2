"""The DataHub export: a metadata file that acryl-datahub's own offline check accepts, with a
dataset per stream and per topic, owners as groups, tags, custom properties and catalog links."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import copy_project_config, run_installed, tree_digest, write_tree

DATAHUB = Path(sys.executable).parent / "datahub"
SITE = "https://streams.example.org/catalog/"


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> tuple[Path, list[dict]]:
    root = copy_project_config(tmp_path_factory.mktemp("datahub") / "repo")
    out = root.parent / "datahub.json"
    result = run_installed("export", "datahub", "--root", root, "--out", out, "--site-url", SITE)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("wrote ") and result.stdout.endswith(f" metadata change proposals into {out}\n")
    return out, json.loads(out.read_text("utf-8"))


def aspects(records: list[dict], urn: str) -> dict[str, dict]:
    return {record["aspectName"]: record["aspect"]["json"] for record in records if record["entityUrn"] == urn}


def dataset(name: str) -> str:
    return f"urn:li:dataset:(urn:li:dataPlatform:kafka,{name},PROD)"


def copied_from(stream: str) -> dict:
    """An upstream as DataHub's classes write it: no time of our own, so the file stays the same."""
    return {"auditStamp": {"time": 0, "actor": "urn:li:corpuser:unknown"}, "dataset": dataset(stream), "type": "COPY"}


def test_datahub_s_own_check_accepts_the_file(exported, tmp_path: Path):
    out, records = exported
    checked = subprocess.run([str(DATAHUB), "check", "metadata-file", str(out)], capture_output=True, text=True, timeout=300)
    assert checked.returncode == 0 and f"{len(records)} MCEs found - all valid" in checked.stdout + checked.stderr
    broken = tmp_path / "broken.json"
    records[0]["aspect"]["json"]["displayName"] = 42
    broken.write_text(json.dumps(records), "utf-8")
    refused = subprocess.run([str(DATAHUB), "check", "metadata-file", str(broken)], capture_output=True, text=True, timeout=300)
    assert refused.returncode != 0, "the check can fail"


def test_a_stream_and_its_topics(exported):
    records = exported[1]
    stream = aspects(records, dataset("mediawiki.web_ui_actions"))
    properties = stream["datasetProperties"]
    assert properties["name"] == "mediawiki.web_ui_actions"
    assert properties["description"].startswith("Clicks and other actions in the web interface")
    assert properties["externalUrl"] == SITE + "streams/mediawiki.web_ui_actions.html"
    assert properties["customProperties"] == {
        "schema_title": "analytics/mediawiki/client/metrics_event", "destination_event_service": "eventgate-analytics-external",
        "sample": "pageview 0.1 and 2 other rates", "wikis": "41", "instruments": "", "retention_days": "90",
        "personal_data": "false"}
    assert stream["ownership"]["owners"] == [{"owner": "urn:li:corpGroup:web", "type": "TECHNICAL_OWNER"}]
    assert stream["globalTags"]["tags"] == [{"tag": "urn:li:tag:web"}, {"tag": "urn:li:tag:interactions"},
                                            {"tag": "urn:li:tag:metrics-platform"}]
    for topic in ("eqiad.mediawiki.web_ui_actions", "codfw.mediawiki.web_ui_actions"):
        described = aspects(records, dataset(topic))
        assert described["datasetProperties"]["customProperties"]["stream"] == "mediawiki.web_ui_actions"
        assert described["ownership"] == stream["ownership"]
        assert described["upstreamLineage"] == {"upstreams": [copied_from("mediawiki.web_ui_actions")]}, \
            "a topic holds its stream's events"
    assert "upstreamLineage" not in stream, "the stream is where its events start"


def test_a_topic_that_two_streams_write_to_has_both_upstream(tmp_path: Path, run):
    stream = "  schema_title: analytics/a\n  destination_event_service: eventgate-analytics-external\n  topics: [shared.topic]\n"
    root = write_tree(tmp_path / "repo", {"realms/production.yaml": "wikis:\n  enwiki: [wiki]\n",
                                          "streams/a.yaml": "a.one:\n" + stream + "a.two:\n" + stream})
    out = tmp_path / "datahub.json"
    assert run("export", "datahub", "--root", root, "--out", out).exit_code == 0
    lineage = [record["aspect"]["json"] for record in json.loads(out.read_text("utf-8"))
               if record["aspectName"] == "upstreamLineage"]
    both = {"upstreams": [copied_from("a.one"), copied_from("a.two")]}
    assert lineage == [both, both], "each proposal replaces the aspect whole, so each names both streams"
    checked = subprocess.run([str(DATAHUB), "check", "metadata-file", str(out)], capture_output=True, text=True, timeout=300)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_instruments_teams_legacy_topics_and_patterns(exported):
    records = exported[1]
    targeted = [record for record in records if record["aspectName"] == "datasetProperties"
                and record["aspect"]["json"]["customProperties"].get("instruments")]
    assert targeted, "the repository's instruments are named on their streams"
    team = aspects(records, "urn:li:corpGroup:growth")["corpGroupInfo"]
    assert team["displayName"] == "growth" and team["email"] == "growth@lists.wikimedia.org"
    legacy = [record["entityUrn"] for record in records if "eventlogging_NavigationTiming" in record["entityUrn"]]
    assert set(legacy) == {dataset("eventlogging_NavigationTiming")}, "a legacy stream's topic is its own name: one dataset"
    job = aspects(records, dataset("/^mediawiki\\.job\\..+/"))
    assert job["datasetProperties"]["customProperties"]["schema_title"] == "mediawiki/job"
    assert not any("job\\..+/" in record["entityUrn"] and "eqiad" in record["entityUrn"] for record in records)


def test_same_input_same_bytes_and_a_refused_output(exported, tmp_path: Path, run):
    out, _ = exported
    root = out.parent / "repo"
    again = tmp_path / "again.json"
    assert run("export", "datahub", "--root", root, "--out", again, "--site-url", SITE).exit_code == 0
    assert again.read_bytes() == out.read_bytes()
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "keep").write_text("mine")
    (folder / "link.json").symlink_to(folder / "keep")
    before = tree_digest(folder)
    refused = run_installed("export", "datahub", "--root", root, "--out", folder / "link.json")
    assert refused.returncode == 1 and "error SC201" in refused.stderr and tree_digest(folder) == before
    assert run_installed("export", "datahub", "--root", root, "--out", folder).returncode == 2, "a directory is a usage error"
    sources = tree_digest(root)
    inside = run_installed("export", "datahub", "--root", root, "--out", root / "streams" / "datahub.yaml")
    assert inside.returncode == 1 and "error SC202" in inside.stderr and "lies inside the config source" in inside.stderr
    assert tree_digest(root) == sources


def test_only_an_earlier_export_is_replaced(exported, tmp_path: Path, run):
    out, _ = exported
    root = out.parent / "repo"
    records = json.loads(out.read_text())
    assert {record["systemMetadata"]["pipelineName"] for record in records} == {"streamconf"}
    earlier = tmp_path / "earlier.json"
    earlier.write_text(json.dumps(records[:3]))
    assert run("export", "datahub", "--root", root, "--out", earlier).exit_code == 0
    assert len(json.loads(earlier.read_text())) == len(records), "an earlier export is replaced"
    empty = tmp_path / "empty.json"
    empty.write_text("")
    assert run("export", "datahub", "--root", root, "--out", empty).exit_code == 0 and empty.stat().st_size > 0
    other = [{**record, "systemMetadata": {"pipelineName": "another-pipeline"}} for record in records[:2]]
    for name, text in [("README.md", "# notes\n"), ("other.json", json.dumps(other)), ("notes.json", "[1, 2]")]:
        foreign = tmp_path / name
        foreign.write_text(text)
        refused = run_installed("export", "datahub", "--root", root, "--out", foreign)
        assert refused.returncode == 1 and "error SC201" in refused.stderr, refused.stderr
        assert "is not a file streamconf wrote" in refused.stderr and foreign.read_text() == text


def test_without_acryl_datahub_the_export_says_how_to_install_it(tmp_path: Path, run, monkeypatch):
    for name in ["datahub"] + [name for name in sys.modules if name.startswith("datahub.")]:
        monkeypatch.setitem(sys.modules, name, None)  # as if the extra were not installed
    result = run("export", "datahub", "--root", copy_project_config(tmp_path / "repo"), "--out", tmp_path / "d.json")
    assert result.exit_code == 1 and "error SC405" in result.output and "pip install 'streamconf[datahub]'" in result.output
    assert not (tmp_path / "d.json").exists()
