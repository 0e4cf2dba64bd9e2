"""Property tests of the merge rules.

The reference here transliterates MediaWiki's PHP (SiteConfiguration::arrayMerge and
processSetting, PHP's array_replace_recursive) onto a literal model of PHP arrays: Python dicts
whose keys are ints or strings. streamconf's own code works on lists and string-keyed dicts with a
fast path for lists, so the two are independent implementations that must agree on every input.
"""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given, settings, strategies as st

from streamconf.compiler import compile_config
from streamconf.model import Config, Layer, Realm
from reference import served
from streamconf.resolve import (applicable_keys, classify_wikis, merge, php_int_key, php_is_numeric,
                                replace_recursive, resolve_setting)

# The PHP model ---------------------------------------------------------------------------------


def to_php(value: Any) -> Any:
    if isinstance(value, list):
        return {index: to_php(item) for index, item in enumerate(value)}
    if isinstance(value, dict):
        return {(php_int_key(key) if php_int_key(key) is not None else key): to_php(item) for key, item in value.items()}
    return value


def php_is_numeric_key(key: int | str) -> bool:
    return isinstance(key, int) or php_is_numeric(key)


def php_array_merge(array1: dict, array2: dict) -> dict:
    out = dict(array1)
    for key, value in array2.items():
        if key in out and out[key] is not None:
            if isinstance(out[key], dict) and isinstance(value, dict):
                out[key] = php_array_merge(out[key], value)
            elif php_is_numeric_key(key):
                ints = [k for k in out if isinstance(k, int)]
                out[max(ints) + 1 if ints else 0] = value
            elif out[key] is False:
                out[key] = value
        else:
            out[key] = value
    return out


def php_array_replace_recursive(base: dict, replacement: dict) -> dict:
    out = dict(base)
    for key, value in replacement.items():
        if key in out and isinstance(out[key], dict) and isinstance(value, dict):
            out[key] = php_array_replace_recursive(out[key], value)
        else:
            out[key] = value
    return out


def php_process_setting(setting: dict, wiki: str, tags: list[str]) -> Any:
    if wiki in setting:
        return setting[wiki]
    result = None
    if isinstance(setting.get("+" + wiki), dict):
        result = setting["+" + wiki]
    for tag in dict.fromkeys(tags):
        if tag in setting:
            value = setting[tag]
            return php_array_merge(result, value) if isinstance(result, dict) and isinstance(value, dict) else value
        if isinstance(setting.get("+" + tag), dict):
            result = php_array_merge({} if result is None else result, setting["+" + tag])
    if "default" in setting:
        value = setting["default"]
        result = php_array_merge(result, value) if isinstance(result, dict) and isinstance(value, dict) else value
    return result


def shape(value: Any) -> Any:
    """Compare PHP arrays in order, an empty array being one thing whatever it was written as."""
    if isinstance(value, (dict, list)) and not value:
        return "empty array"
    if isinstance(value, list):
        value = dict(enumerate(value))
    if isinstance(value, dict):
        return [(str(key), shape(item)) for key, item in value.items()]
    return (type(value).__name__, value)


# Strategies -------------------------------------------------------------------------------------

scalars = st.one_of(st.none(), st.booleans(), st.integers(-2, 3), st.sampled_from([0.5, 1.0, "", "x", "y", "0"]))
map_keys = st.sampled_from(["a", "b", "c", "0", "1", "2", "1.5", " 1", "-1", "01"])
values = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(map_keys, children, max_size=4)),
    max_leaves=20,
)
arrays = st.one_of(st.lists(values, max_size=4), st.dictionaries(map_keys, values, max_size=4))


# Merge and replace against the PHP reference ----------------------------------------------------


@given(arrays, arrays)
@settings(max_examples=400)
def test_merge_is_php_array_merge(high, low):
    assert shape(merge(high, low)) == shape(php_array_merge(to_php(high), to_php(low)))


@given(arrays, arrays)
@settings(max_examples=400)
def test_replace_recursive_is_php_array_replace_recursive(base, replacement):
    assert shape(replace_recursive(base, replacement)) == shape(php_array_replace_recursive(to_php(base), to_php(replacement)))


@given(arrays, arrays)
def test_merge_and_replace_leave_their_inputs_alone(first, second):
    before = copy.deepcopy((first, second))
    merge(first, second)
    replace_recursive(first, second)
    assert (first, second) == before


# The rules as the semantics state them ----------------------------------------------------------

plain_keys = st.sampled_from(["a", "b", "c", "d"])
non_null = st.one_of(st.booleans(), st.integers(), st.text(max_size=3))


@given(st.dictionaries(plain_keys, values), st.dictionaries(plain_keys, values))
def test_merge_key_order_is_high_then_new_keys_of_low(high, low):
    assert list(merge(high, low)) == list(high) + [key for key in low if key not in high]


@given(plain_keys, non_null)
def test_false_in_high_does_not_hold(key, low_value):
    assert merge({key: False}, {key: low_value}) == {key: low_value}


@given(plain_keys, st.sampled_from([0, "", True, 0.0, "false"]), non_null)
def test_zero_empty_string_and_true_hold(key, high_value, low_value):
    assert merge({key: high_value}, {key: low_value}) == {key: high_value}


@given(plain_keys, values)
def test_null_in_high_is_unset(key, low_value):
    assert merge({key: None}, {key: low_value}) == {key: low_value}


@given(st.lists(non_null, max_size=5), st.lists(non_null, max_size=5))
def test_lists_of_scalars_concatenate_high_first_duplicates_kept(high, low):
    assert merge(high, low) == high + low
    assert merge({"k": high}, {"k": low}) == {"k": high + low}


@given(st.lists(non_null, max_size=5), st.lists(non_null, max_size=5))
def test_defaults_replace_lists_item_by_item(defaults, own):
    assert replace_recursive({"k": defaults}, {"k": own}) == {"k": own + defaults[len(own):]}


@given(st.dictionaries(plain_keys, non_null), st.dictionaries(plain_keys, non_null))
def test_replace_of_flat_maps_is_update(base, replacement):
    assert replace_recursive(base, replacement) == {**base, **replacement}


# The key walk against processSetting ------------------------------------------------------------

setting_keys = st.sampled_from(["default", "w1wiki", "+w1wiki", "t1", "+t1", "t2", "+t2", "t3", "+t3", "+w2wiki"])
setting_values = st.one_of(arrays, scalars)
tag_orders = st.permutations(["t1", "t2", "t3"]).flatmap(lambda tags: st.lists(st.sampled_from(tags), max_size=4))


@given(st.dictionaries(setting_keys, setting_values, max_size=6), tag_orders)
@settings(max_examples=400)
def test_key_walk_is_process_setting(setting, tags):
    ours = resolve_setting(setting, applicable_keys(setting, "w1wiki", tags))
    reference = php_process_setting({key: to_php(value) for key, value in setting.items()}, "w1wiki", tags)
    assert shape(ours) == shape(reference)


@given(st.dictionaries(setting_keys, arrays, max_size=6), tag_orders, arrays)
def test_keys_of_other_wikis_change_nothing(setting, tags, other):
    steps = applicable_keys(setting, "w1wiki", tags)
    assert applicable_keys({**setting, "w3wiki": other, "+w3wiki": other}, "w1wiki", tags) == steps


# Grouping wikis does not change what any wiki is served ----------------------------------------

stream_settings = st.fixed_dictionaries({}, optional={
    "sample": st.fixed_dictionaries({}, optional={"rate": st.sampled_from([0, 0.5, 1]), "unit": st.sampled_from(["session", "pageview"])}),
    "topic_prefixes": st.one_of(st.none(), st.lists(st.sampled_from(["eqiad.", "codfw.", "west."]), max_size=3)),
    "canary_events_enabled": st.booleans(),
    "producers": st.fixed_dictionaries({}, optional={"eventgate": st.fixed_dictionaries({}, optional={"enrich": st.booleans()})}),
})
stream_maps = st.dictionaries(st.sampled_from(["a.b", "c.d", "e.f", "/^c\\./"]), stream_settings, max_size=3)
walk_keys = st.sampled_from(["default", "w1wiki", "+w1wiki", "+w2wiki", "t1", "+t1", "+t2"])
wiki_tags = st.dictionaries(st.sampled_from(["w1wiki", "w2wiki", "w3wiki", "w4wiki"]),
                            st.lists(st.sampled_from(["t1", "t2"]), max_size=2, unique=True), min_size=1)


@given(st.dictionaries(walk_keys, stream_maps, max_size=4), st.dictionaries(walk_keys, stream_settings, max_size=3),
       st.dictionaries(walk_keys, st.lists(st.sampled_from(["a.b", "c.d", "c.x", "nope"]), max_size=3), max_size=3),
       wiki_tags)
def test_compiling_by_wiki_class_equals_resolving_each_wiki(streams, defaults, names, wikis):
    keys = {"streams": streams, "stream_defaults": defaults, "eventlogging_streams": names}
    layers = {"production": {setting: {key: Layer("production", setting, key, value) for key, value in by_key.items()}
                             for setting, by_key in keys.items()}}
    config = Config({"production": Realm("production", {wiki: tuple(tags) for wiki, tags in wikis.items()})}, layers)
    build = compile_config(config)
    assert len(classify_wikis(keys, wikis)) <= len(wikis)
    for wiki, tags in wikis.items():
        api, embedded = served(keys, wiki, tags)
        assert build.files[f"production/{wiki}/streamconfigs.json"] == api
        assert build.files[f"production/{wiki}/eventlogging.json"] == embedded
