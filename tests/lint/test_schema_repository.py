"""lint/schema_repository.py: SL012 unknown-schema, SL013 stale-schema, against a schema repository
in the jsonschema-tools layout."""

from __future__ import annotations

from pathlib import Path

from conftest import PROJECT

from .common import STREAM, findings

SCHEMAS = PROJECT / "tests" / "fixtures" / "event-schemas"


def test_schema_titles_against_a_schema_repository(tmp_path: Path):
    files = {"streams/a.yaml": "a.b:\n" + STREAM + "c.d:\n" + STREAM.replace("analytics/a", "analytics/link_hover")
             + "e.f:\n" + STREAM.replace("analytics/a", "analytics/legacy/old") + "g.h:\n" + STREAM.replace("analytics/a", "test/unmaterialized")}
    unknown = findings(tmp_path / "one", files, "SL012", SCHEMAS)
    assert [text.split("\n")[0] for text in unknown] == [
        'streams/a.yaml:2:3: error SL012 at default › a.b › schema_title: schema_title "analytics/a" is not in the schema repository '
        f"{SCHEMAS}"]
    stale = findings(tmp_path / "two", files, "SL013", SCHEMAS)
    assert [text.split("\n")[0] for text in stale] == [
        "streams/a.yaml:8:3: warning SL013 at default › e.f › schema_title: schema analytics/legacy/old: its latest version is marked deprecated",
        "streams/a.yaml:11:3: warning SL013 at default › g.h › schema_title: schema test/unmaterialized: version 1.1.0 is not materialised "
        "(test/unmaterialized/1.1.0.yaml is missing)"]
    assert findings(tmp_path / "three", files, "SL012") == [], "no schema repository, no check"
    missing = findings(tmp_path / "four", {**files, "streamconf.yaml": "schema_repository: nowhere\n"}, "SL012")
    assert len(missing) == 1 and "has no jsonschema/ directory" in missing[0]
