"""lint/misspellings.py and spelling.py: the misspelt-key rule (SL301) against the schemas and the
repository's own vocabulary, suggestions for keys that a schema refuses, and the distance they rest
on."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, strategies as st

from conftest import assert_rule_case, run_installed, write_tree
from streamconf.spelling import close_names, edit_distance

from .common import REALM, STREAM, findings

CASE = ({"streams/a.yaml": "a.b:\n" + STREAM + "  smaple: {rate: 0.5}\n"},
        {"streams/a.yaml": "a.b:\n" + STREAM + "  sample: {rate: 0.5}\n"},
        "streams/a.yaml:4:3: warning SL301 at default › a.b › smaple: `smaple` is set only here and no schema defines it: "
        "did you mean `sample`?")


def test_rule_fires_and_does_not(tmp_path: Path):
    assert_rule_case(lambda directory, files: findings(directory, files, "SL301"), CASE, tmp_path)


def misspelt(tmp_path: Path, files: dict[str, str]) -> list[str]:
    return [text.split("\n")[0] for text in findings(tmp_path, files, "SL301")]


def test_case_and_separator_count_as_the_same_key(tmp_path: Path):
    files = {"streams/a.yaml": "a.b:\n" + STREAM + "  Canary-Events-Enabled: false\n  sample: {Rate: 0.5, uint: session}\n"}
    assert misspelt(tmp_path, files) == [
        "streams/a.yaml:4:3: warning SL301 at default › a.b › Canary-Events-Enabled: `Canary-Events-Enabled` is set only here "
        "and no schema defines it: did you mean `canary_events_enabled`?",
        "streams/a.yaml:5:12: warning SL301 at default › a.b › sample › Rate: `Rate` is set only here and no schema defines it: "
        "did you mean `rate`?",
        "streams/a.yaml:5:23: warning SL301 at default › a.b › sample › uint: `uint` is set only here and no schema defines it: "
        "did you mean `unit`?"]


def test_the_repository_vocabulary_keeps_its_own_settings_quiet(tmp_path: Path):
    """`topic` is one letter from the schema's `topics`, but two streams use it: a setting of the
    repository's own. `provide_values` is no schema key, yet the repository's use of it makes a
    one-off `provide_value` a typo."""
    producers = "  producers:\n    metrics_platform_client:\n      provide_values: [page_id]\n"
    files = {"streams/a.yaml": "a.b:\n" + STREAM + "  topic: custom\n" + producers
             + "c.d:\n" + STREAM + "  topic: other\n  team_channel: '#metrics'\n" + producers
             + "e.f:\n" + STREAM + producers.replace("provide_values", "provide_value")}
    assert misspelt(tmp_path, files) == [
        "streams/a.yaml:21:7: warning SL301 at default › e.f › producers › metrics_platform_client › provide_value: "
        "`provide_value` is set only here and no schema defines it: did you mean `provide_values`?"]


def test_overrides_and_defaults_are_read_too(tmp_path: Path):
    files = {"streams/a.yaml": "a.b:\n" + STREAM,
             "stream-defaults.yaml": "canary_events_enabled: true\ntopic_prefix: [eqiad.]\n",
             "overrides/production/o.yaml": "+enwiki:\n  streams:\n    a.b:\n      smaple: {rate: 0.1}\n"
                                            "  stream_defaults:\n    destination_event_servce: eventgate-main\n"}
    assert misspelt(tmp_path, files) == [
        "overrides/production/o.yaml:4:7: warning SL301 at +enwiki › a.b › smaple: `smaple` is set only here and no schema "
        "defines it: did you mean `sample`?",
        "overrides/production/o.yaml:6:5: warning SL301 at +enwiki › destination_event_servce: `destination_event_servce` is "
        "set only here and no schema defines it: did you mean `destination_event_service`?",
        "stream-defaults.yaml:2:1: warning SL301 at default › topic_prefix: `topic_prefix` is set only here and no schema "
        "defines it: did you mean `topic_prefixes`?"]


def test_the_same_typo_twice_is_taken_for_a_setting(tmp_path: Path):
    """Two streams writing `smaple` look like a convention, not a slip: the rule stays quiet and
    the key is reported by nothing; that is the price of keeping custom settings quiet."""
    files = {"streams/a.yaml": "a.b:\n" + STREAM + "  smaple: {rate: 0.5}\nc.d:\n" + STREAM + "  smaple: {rate: 0.5}\n"}
    assert misspelt(tmp_path, files) == []


def test_the_installed_program_reports_a_typo_and_can_be_told_to_keep_it(tmp_path: Path):
    root = write_tree(tmp_path / "repo", {"realms/production.yaml": REALM,
                                          "streams/a.yaml": "a.b:\n" + STREAM + "  smaple:\n    rate: 0.5\n"})
    result = run_installed("validate", "--root", root)
    assert result.returncode == 0, result.stderr
    assert "streams/a.yaml:4:3: warning SL301 at default › a.b › smaple: `smaple` is set only here and no schema defines it: " \
           "did you mean `sample`?\n    hint: rename the key" in result.stderr
    assert run_installed("validate", "--root", root, "--strict").returncode == 1
    write_tree(root, {"streams/a.yaml": "a.b:\n" + STREAM + "  smaple:  # streamconf: disable=SL301\n    rate: 0.5\n"})
    result = run_installed("validate", "--root", root, "--strict")
    assert result.returncode == 0 and "SL301" not in result.stderr


def test_a_key_a_schema_refuses_gets_a_suggestion(tmp_path: Path, run):
    root = write_tree(tmp_path / "repo", {"realms/production.yaml": REALM.replace("wikis:", "dblist: [private]\nwikis:"),
                                          "streams/a.yaml": "a.b:\n" + STREAM,
                                          "overrides/production/o.yaml": "+enwiki:\n  stream:\n    a.b: {}\n"})
    result = run("validate", "--root", root)
    assert result.exit_code == 1
    assert "overrides/production/o.yaml:2:3: error SC002 at +enwiki › stream: unknown key ('stream' was unexpected)\n" \
           "    hint: did you mean `streams`?" in result.output
    assert "realms/production.yaml:1:1: error SC002 at dblist: unknown key ('dblist' was unexpected)\n" \
           "    hint: did you mean `dblists`?" in result.output


INSTRUMENT = """web-scroll-depth:
  owner: web
  start: 2026-11-01T00:00:00Z
  end: 2027-01-31T23:59:59Z
  stream_nmae: a.b
  schema_title: analytics/a
  sample:
    unit: pageview
    rates: {default: 0.5}
"""


def test_a_misspelt_instrument_field_gets_a_suggestion(tmp_path: Path):
    root = write_tree(tmp_path / "repo", {"realms/production.yaml": REALM, "streams/a.yaml": "a.b:\n" + STREAM,
                                          "instruments/web.yaml": INSTRUMENT})
    result = run_installed("validate", "--root", root)
    assert result.returncode == 1
    assert "instruments/web.yaml:5:3: error SC002 at web-scroll-depth › stream_nmae: unknown key ('stream_nmae' was unexpected)\n" \
           "    hint: did you mean `stream_name`?" in result.stderr
    assert "instruments/web.yaml:9:5: error SC002 at web-scroll-depth › sample › rates: unknown key ('rates' was unexpected)\n" \
           "    hint: did you mean `rate`?" in result.stderr


@given(st.text("abc_-", max_size=8), st.text("abc_-", max_size=8))
def test_edit_distance_is_a_distance(left: str, right: str):
    assert edit_distance(left, right) == edit_distance(right, left)
    assert (edit_distance(left, right) == 0) == (left == right)
    assert edit_distance(left, right) <= max(len(left), len(right))


@given(st.sampled_from(["sample", "schema_title", "topic_prefixes", "destination_event_service"]), st.data())
def test_one_slip_of_a_long_key_is_found(key: str, data):
    index = data.draw(st.integers(0, len(key) - 2))
    slip = data.draw(st.sampled_from([key[:index] + key[index + 1:],                                  # a letter dropped
                                      key[:index] + "x" + key[index:],                                # a letter added
                                      key[:index] + key[index + 1] + key[index] + key[index + 2:],    # two swapped
                                      key.upper()]))
    if slip != key:
        assert close_names(slip, ["sample", "schema_title", "topic_prefixes", "topics", "destination_event_service"])[0] == key


def test_short_names_need_an_exact_match_but_for_case():
    assert close_names("rat", ["rate"]) == []
    assert close_names("RATE", ["rate"]) == ["rate"]
    assert close_names("raet", ["rate"]) == ["rate"]
