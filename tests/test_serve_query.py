"""The query core of `streamconf serve`: each rule of `action=streamconfigs` on its own, then every
rule combined against PHP itself (tests/php/streamconfigs-query.php)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import php_equal
from streamconf import render
from streamconf.serve.query import (MAX_MATCH_DEPTH, MatchDeadline, MatchBudgetExceeded, PhpTypeError, Stream,
                                   TooManyValues, cgi_to_array, is_partial_match, matches_settings, multi_param_to_assoc_array, multi_value,
                                   parse_constraints, php_float_string, php_string, select)

PHP = shutil.which("php")
QUERY_REFERENCE = Path(__file__).parent / "php" / "streamconfigs-query.php"


def stream(key: str, settings: dict, topics: list | None = None, prefixes: list | None = ("eqiad.", "codfw.")) -> Stream:
    """A stream as a bundle holds it: settings, `stream`, then `topics` (computed unless given)."""
    config = dict(settings)
    if prefixes is not None:
        config.setdefault("topic_prefixes", list(prefixes))
    config["stream"] = key
    computed = topics is None
    config["topics"] = render.topics(key, config.get("topic_prefixes")) if computed else topics
    return Stream(key, config, render.serialize_value(config), computed)


def streams_of(*items: Stream) -> dict[str, Stream]:
    return {item.key: item for item in items}


WEB = stream("mediawiki.web_ui_actions", {"destination_event_service": "eventgate-analytics-external",
                                          "sample": {"rate": 1.0, "unit": "pageview"},
                                          "canary_events_enabled": True,
                                          "producers": {"metrics_platform_client": {"provide_values": ["page_id", "user_id"]}}})
JOB = stream("/^mediawiki\\.job\\..+/", {"destination_event_service": "eventgate-main", "canary_events_enabled": False})
ANY_B = stream("/\\.b$/", {"destination_event_service": "eventgate-analytics-external"})
FIXED = stream("fixed.topics", {"destination_event_service": "eventgate-main"}, topics=["only.this"])
STREAMS = streams_of(WEB, JOB, ANY_B, FIXED)


def keys(selected) -> list[str]:
    return [name for name, _ in selected]


# -- streams --------------------------------------------------------------------------------------

def test_no_streams_parameter_selects_every_config_in_order():
    assert keys(select(STREAMS, None, None)) == list(STREAMS)


def test_a_declared_name_is_its_own_config():
    [(name, found)] = select(STREAMS, ["mediawiki.web_ui_actions"], None)
    assert (name, found.config_for(name)) == ("mediawiki.web_ui_actions", WEB.config)


def test_a_name_a_pattern_matches_comes_back_under_its_own_name_with_its_own_topics():
    [(name, found)] = select(STREAMS, ["mediawiki.job.refreshLinks"], None)
    assert name == "mediawiki.job.refreshLinks" and found is JOB
    config = found.config_for(name)
    assert config["stream"] == JOB.key  # the `stream` setting stays the pattern, as MediaWiki's does
    assert config["topics"] == ["eqiad.mediawiki.job.refreshLinks", "codfw.mediawiki.job.refreshLinks"]


def test_the_first_pattern_in_order_wins():
    first, second = stream("/^x/", {"n": 1}), stream("/y$/", {"n": 2})
    assert select(streams_of(first, second), ["xy"], None)[0][1] is first
    assert select(streams_of(second, first), ["xy"], None)[0][1] is second


def test_names_that_match_nothing_are_left_out_and_the_answer_keeps_the_requested_order():
    assert keys(select(STREAMS, ["x.b", "missing", "mediawiki.web_ui_actions"], None)) == ["x.b", "mediawiki.web_ui_actions"]


def test_explicit_topics_are_kept_for_a_pattern_match():
    fixed_pattern = stream("/^fixed\\./", {}, topics=["t"])
    [(name, found)] = select(streams_of(fixed_pattern), ["fixed.one"], None)
    assert found.config_for(name)["topics"] == ["t"]


def test_the_names_empty_and_zero_get_the_patterns_own_topics_as_phps_falsy_strings_do():
    catch_all = stream("/.*/", {})
    for name in ("", "0"):
        [(got, found)] = select(streams_of(catch_all), [name], None)
        assert found.config_for(got)["topics"] == catch_all.config["topics"]


def test_a_requested_name_that_looks_like_a_pattern_but_is_not_one_gets_prefixed_topics():
    catch_all = stream("/./", {})
    assert catch_all.config_for("/unclosed")["topics"] == ["eqiad./unclosed", "codfw./unclosed"]


def test_pattern_matching_is_charged_to_the_request_s_budget():
    spent = MatchDeadline(0)
    assert keys(select(STREAMS, ["fixed.topics", "mediawiki.web_ui_actions"], None, spent)) == [
        "fixed.topics", "mediawiki.web_ui_actions"]  # own keys: no pattern is tried
    with pytest.raises(MatchBudgetExceeded):
        select(STREAMS, ["mediawiki.job.x"], None, spent)
    with pytest.raises(MatchBudgetExceeded):
        select(STREAMS, None, {"stream": "mediawiki.job.x"}, spent)
    assert keys(select(STREAMS, ["mediawiki.job.x"], None, MatchDeadline())) == ["mediawiki.job.x"]


def test_more_than_fifty_values_is_toomanyvalues():
    assert len(multi_value("streams", "|".join(f"s{i}" for i in range(50)))) == 50
    with pytest.raises(TooManyValues):
        multi_value("streams", "|".join(f"s{i}" for i in range(51)))
    with pytest.raises(TooManyValues):
        multi_value("streams", "|" * 10_000)


def test_multi_values_split_on_the_unit_separator_when_they_start_with_it_and_drop_duplicates():
    assert multi_value("streams", "\x1fa|b\x1fc") == ["a|b", "c"]
    assert multi_value("streams", "a|b|a") == ["a", "b"]
    assert multi_value("streams", "") == []


# -- constraints: parsing -------------------------------------------------------------------------

def test_constraints_nest_with_brackets_and_merge_across_elements():
    assert multi_param_to_assoc_array(["sample[rate]=0.5", "sample[unit]=session", "a=b"]) == {
        "sample": {"rate": "0.5", "unit": "session"}, "a": "b"}


def test_the_same_key_twice_makes_a_list():
    assert multi_param_to_assoc_array(["a=1", "a=2"]) == {"a": {0: "1", 1: "2"}}


def test_cgi_to_array_decodes_again_and_drops_after_a_second_equals_sign():
    assert cgi_to_array("a+b=c%2Bd=e") == {"a b": "c+d"}
    assert cgi_to_array("flag") == {"flag": ""}
    assert cgi_to_array("a=1&b=2") == {"a": "1", "b": "2"}


def test_a_bracket_part_loses_its_last_character_whatever_it_is():
    assert cgi_to_array("a[bc=1") == {"a": {"b": "1"}}
    assert cgi_to_array("a[]=1") == {"a": {"": "1"}}


def test_numeric_keys_become_integers():
    assert cgi_to_array("a[0]=x") == {"a": {0: "x"}}
    assert cgi_to_array("a[01]=x") == {"a": {"01": "x"}}


def test_empty_constraints_filter_nothing():
    assert parse_constraints("") is None and parse_constraints("&") is None
    assert keys(select(STREAMS, None, parse_constraints(""))) == list(STREAMS)


# -- constraints: matching -------------------------------------------------------------------------

def matching(constraints: str, streams: dict[str, Stream] = STREAMS, names: list[str] | None = None) -> list[str]:
    return keys(select(streams, names, parse_constraints(constraints)))


def test_a_constraint_keeps_configs_whose_setting_equals_it():
    assert matching("destination_event_service=eventgate-main") == [JOB.key, FIXED.key]


def test_every_constraint_must_match():
    assert matching("destination_event_service=eventgate-main|canary_events_enabled=") == [JOB.key]


def test_stream_matches_by_name_or_by_pattern():
    assert matching("stream=mediawiki.web_ui_actions") == [WEB.key]
    assert matching("stream=mediawiki.job.x") == [JOB.key]
    assert matching("stream=a.b") == [ANY_B.key]


def test_a_stream_constraint_with_two_values_is_an_array_which_preg_match_refuses():
    assert matching("stream=a|stream=b", streams_of(WEB)) == []
    with pytest.raises(PhpTypeError):
        matching("stream=a|stream=b", streams_of(JOB))


def test_a_missing_or_null_setting_fails():
    assert matching("sample[rate]=1", streams_of(stream("n", {"sample": {"rate": None}}))) == []
    assert matching("nothing=") == []


def test_values_compare_as_php_strings():
    assert matching("sample[rate]=1") == [WEB.key]  # 1.0 is "1"
    assert matching("sample[rate]=1.0") == []
    assert matching("canary_events_enabled=1") == [WEB.key]  # true is "1"
    assert matching("canary_events_enabled=") == [JOB.key]  # false is ""


def test_php_float_strings():
    cases = {1.0: "1", 0.5: "0.5", 0.1 + 0.2: "0.3", 1e14: "1.0E+14", 1e13: "10000000000000", 1e-5: "1.0E-5",
             0.0001: "0.0001", -0.0: "-0", 1.5e300: "1.5E+300", 123456789.12345678: "123456789.12346"}
    assert {number: php_float_string(number) for number in cases} == cases


def test_an_array_against_a_scalar_fails():
    assert matching("sample=1") == []
    assert matching("destination_event_service[x]=1") == []


def test_a_list_constraint_is_contained_in_a_list_setting():
    assert matching("producers[metrics_platform_client][provide_values][0]=user_id", streams_of(WEB)) == [WEB.key]
    assert matching("producers[metrics_platform_client][provide_values][0]=nope", streams_of(WEB)) == []


def test_a_list_comparison_ends_the_comparison_and_later_constraints_are_not_checked():
    """The early return of isPartialMatch: `topic_prefixes` is decided by array_intersect, and the
    `destination_event_service` after it, which does not match, is never read."""
    trap = "topic_prefixes[0]=eqiad.|destination_event_service=nowhere"
    assert matching(trap, streams_of(WEB)) == [WEB.key]
    assert matching("destination_event_service=nowhere|topic_prefixes[0]=eqiad.", streams_of(WEB)) == []


def test_computed_topics_are_not_settings_but_explicit_topics_are():
    assert matching("topics[0]=only.this") == [FIXED.key]
    assert matching(f"topics[0]={WEB.config['topics'][0]}", streams_of(WEB)) == []


def test_matching_stops_at_depth_ten():
    deep: dict = {"leaf": "x"}
    for _ in range(12):
        deep = {"d": deep}
    config = streams_of(stream("deep", {"d": deep}))
    path = "".join("[d]" for _ in range(MAX_MATCH_DEPTH - 2))  # with the leading `d`: nine levels
    assert matching(f"d{path}[wrong]=1", config) == []  # a key at the tenth level is still compared
    assert matching(f"d{path}[d][wrong]=1", config) == ["deep"]  # one at the eleventh is not
    assert is_partial_match({}, {"a": "1"}, max_depth=0)


def test_php_string_casts():
    assert [php_string(v) for v in (True, False, None, 3, 2.5, [1], "s")] == ["1", "", "", "3", "2.5", "Array", "s"]


def test_settings_of_a_stream_exclude_only_computed_topics():
    assert "topics" not in WEB.settings and FIXED.settings["topics"] == ["only.this"]
    assert matches_settings(WEB, {"stream": "mediawiki.web_ui_actions"})


# -- every rule combined, against PHP -------------------------------------------------------------

scalars = st.one_of(st.none(), st.booleans(), st.sampled_from([0, 1, 2, -1, 0.5, 1.0, 1e-5, 1e20, 0.1 + 0.2]),
                    st.sampled_from(["", "1", "a.b", "x", "eqiad.", "Array", "é", "1.0"]))
setting_values = st.recursive(scalars, lambda children: st.one_of(
    st.lists(children, max_size=3), st.dictionaries(st.sampled_from(["x", "y", "rate", "1"]), children, max_size=3)),
    max_leaves=6)
stream_keys = st.sampled_from(["a.b", "c.x", "x", "/^c\\./", "/\\.b$/", "/x/i"])
settings_maps = st.dictionaries(st.sampled_from(["destination_event_service", "sample", "x", "producers", "topic_prefixes"]),
                                setting_values, max_size=4)
constraint_paths = st.sampled_from(["topic_prefixes[0]", "topic_prefixes[1]", "x", "x[0]", "x[1]", "x[]", "x[y]", "x[y][0]", "sample[rate]", "sample[x]",
                                    "topics[0]", "stream", "destination_event_service", "x[y", "topic_prefixes[0]",
                                    "producers[x][0]", "a+b", "x%5B0%5D"])
constraint_values = st.sampled_from(["", "1", "1.0", "0.5", "a.b", "x", "eqiad.", "Array", "c.d", "/^c\\./", "%2B", "+",
                                     "1E-5", "1.0E+20", "0.3", "-1"])
constraint_elements = st.one_of(
    st.sampled_from(["topic_prefixes[0]=eqiad.|x=1", "topic_prefixes[]=codfw.", "x=1", "stream=a.b", "stream=c.d",
                     "x[0]=1|x[y]=1", "topic_prefixes[1]=codfw.|stream=c.x"]),
    st.builds(lambda path, value, extra: f"{path}={value}{extra}", constraint_paths, constraint_values,
              st.sampled_from(["", "", "&x=1", "=z"])))


@st.composite
def cases(draw) -> dict:
    streams = []
    for key in draw(st.lists(stream_keys, unique=True, max_size=4)):
        settings_map = draw(settings_maps)
        if "topic_prefixes" in settings_map and not (type(settings_map["topic_prefixes"]) is list
                                                     and all(type(p) is str for p in settings_map["topic_prefixes"])):
            del settings_map["topic_prefixes"]
        explicit = draw(st.none() | st.lists(st.sampled_from(["t", "eqiad.a.b"]), max_size=2))
        prefixes = draw(st.none() | st.just(["eqiad.", "codfw."]))
        made = stream(key, settings_map, topics=explicit, prefixes=prefixes)
        streams.append({"key": made.key, "config": made.config, "topics_computed": made.topics_computed})
    names = draw(st.none() | st.lists(st.sampled_from(["a.b", "c.d", "c.x", "x", "0", "", "x.b", "X", "missing"]),
                                      max_size=4).map("|".join))
    constraints = draw(st.none() | st.lists(constraint_elements, max_size=4).map("|".join))
    return {"streams": streams, "names": names, "constraints": constraints}


def python_answer(case: dict):
    streams = {item["key"]: Stream(item["key"], item["config"], b"", item["topics_computed"]) for item in case["streams"]}
    names = None if case["names"] is None else multi_value("streams", case["names"])
    try:
        return [[name, found.config_for(name)] for name, found in select(streams, names, parse_constraints(case["constraints"]))]
    except PhpTypeError:
        return {"error": "TypeError"}


def php_answers(batch: list[dict]) -> list:
    done = subprocess.run([PHP, str(QUERY_REFERENCE)], input=json.dumps(batch), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


needs_php = pytest.mark.skipif(PHP is None and not os.environ.get("STREAMCONF_REQUIRE_PHP"),
                               reason="php-cli is not installed; CI installs it")


@needs_php
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(cases(), min_size=1, max_size=25))
def test_selection_and_matching_agree_with_php(batch):
    for case, expected in zip(batch, php_answers(batch), strict=True):
        assert php_equal(python_answer(case), expected), case
