"""lint/plain_keys.py: SL401 plain-key-wipes; a case that fires and one that must not, and its place
first in validate's report."""

from __future__ import annotations

from pathlib import Path

from conftest import run_installed, write_tree

from .common import REALM, STREAM, rule_cases

CASES = {
    "SL401": ({"streams/a.yaml": "a.b:\n" + STREAM + "c.d:\n" + STREAM + "e.f:\n" + STREAM,
               "overrides/production/o.yaml": "enwiki:\n  streams:\n    a.b:\n      sample: {rate: 1}\n"},
              {"streams/a.yaml": "a.b:\n" + STREAM + "c.d:\n" + STREAM,
               "overrides/production/o.yaml": "+enwiki:\n  streams:\n    a.b:\n      sample: {rate: 1}\n"
                                              "private:\n  eventlogging_streams: [a.b]\n"},
              "overrides/production/o.yaml:1:1: warning SL401 at enwiki: `enwiki` replaces the whole streams setting on enwiki: "
              "2 streams removed there (c.d, e.f); did you mean `+enwiki`?"),
}


test_rule_fires_and_does_not = rule_cases(CASES)


def test_a_plain_wiki_key_is_reported_first_and_fails_strict(tmp_path: Path):
    """The cause comes before the findings it causes, whatever the files' order."""
    root = write_tree(tmp_path / "repo", {
        "realms/production.yaml": REALM, "streams/a.yaml": "a.b:\n" + STREAM + "c.d:\n" + STREAM,
        "eventlogging.yaml": "- a.b\n- c.d\n",
        "overrides/production/a.yaml": "+enwiki:\n  streams:\n    c.d:\n      sample: {rate: 0.1}\n",
        "overrides/production/z.yaml": "enwiki:\n  streams:\n    a.b:\n      sample: {rate: 1}\n"
                                       "  eventlogging_streams: [a.b, c.d]\n"})
    result = run_installed("validate", "--root", root)
    assert result.returncode == 0
    lines = [line for line in result.stderr.splitlines() if not line.startswith(" ")]
    assert lines[0] == ("overrides/production/z.yaml:1:1: warning SL401 at enwiki: `enwiki` replaces the whole streams setting "
                        "on enwiki: 1 stream removed there (c.d); did you mean `+enwiki`?")
    assert [line.split()[2] for line in lines] == ["SL401", "SL010", "SL005"]
    assert run_installed("validate", "--root", root, "--strict").returncode == 1
    disabled = (root / "overrides/production/z.yaml").read_text().replace("enwiki:\n", "enwiki:  # streamconf: disable=SL401\n", 1)
    (root / "overrides/production/z.yaml").write_text(disabled)
    assert "SL401" not in run_installed("validate", "--root", root).stderr
