"""Fuzzing: random YAML-ish text and random repository trees. The contract: a clean error (exit 1
with located diagnostics) or a valid build; never an uncaught exception, a traceback or a hang.

`make test` runs a bounded number of examples; `make fuzz` runs these tests for as long as
STREAMCONF_FUZZ_SECONDS says (600 by default there).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import MINIMAL, write_tree
from streamconf.cli import cli
from streamconf.diagnostics import ConfigError
from streamconf.load import decode, parse_yaml

FUZZ_SECONDS = float(os.environ.get("STREAMCONF_FUZZ_SECONDS", "0"))
EXAMPLES = 500 if FUZZ_SECONDS else 60

TOKENS = ["a", "no", "+enwiki", "enwiki", "default", "streams", "a.b", "sample", "rate", "0.5", "1", "-1", "~",
          "null", "true", "yes", "&x", "*x", "!!python/object:os.system", "!foo", "<<", "? ", "- ", "[", "]", "{", "}",
          ":", ": ", ",", "'", '"', "#", "|", ">", "---", "...", "%YAML 1.1", "\t", "\\", "/^a+/", "/(/", "é", "\ufeff",
          "\x00", "\x01", "\x7f", "\r\n", "\n", "  ", "    ", "0o17", ".inf", "2024-01-01", "\U0001f600"]
yamlish = st.lists(st.sampled_from(TOKENS), max_size=60).map("".join)


def fuzz_settings(**extra):
    return settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), **extra)


@given(yamlish)
@fuzz_settings()
def test_any_text_parses_or_fails_cleanly(text):
    try:
        parse_yaml(decode(text.encode("utf-8", "surrogatepass"), "f.yaml"), "f.yaml")
    except ConfigError as error:
        assert all(d.location.file == "f.yaml" and d.location.line >= 1 for d in error.diagnostics)


@given(st.binary(max_size=200))
@fuzz_settings()
def test_any_bytes_parse_or_fail_cleanly(data):
    try:
        parse_yaml(decode(data, "f.yaml"), "f.yaml")
    except ConfigError as error:
        assert error.diagnostics


# Repository trees built from meaningful parts, so that the fuzzing reaches validate, resolve and
# render, not only the YAML parser.

names = st.sampled_from(["a.b", "c.d", "/^a\\./", "/(/", "/^(a+)+$/", "no", "0", "1", "x y", ""])
keys = st.sampled_from(["default", "enwiki", "+enwiki", "dewiki", "+dewiki", "en", "+en", "private", "+private",
                        "wiki", "+wiki", "nowiki", "+", "../x", "0"])
leaf = st.one_of(st.none(), st.booleans(), st.integers(-2, 2), st.sampled_from([0.5, 2.0, "x", "", "eqiad."]))
json_like = st.recursive(leaf, lambda inner: st.one_of(
    st.lists(inner, max_size=3),
    st.dictionaries(st.sampled_from(["sample", "rate", "unit", "topic_prefixes", "topics", "stream", "producers", "x", "0"]), inner, max_size=3)),
    max_leaves=10)
stream_maps = st.dictionaries(names, st.one_of(json_like, st.dictionaries(st.sampled_from(["sample", "topic_prefixes", "topics", "stream"]), json_like, max_size=3)), max_size=3)
setting_values = st.one_of(stream_maps, json_like, st.lists(names, max_size=3))
override_files = st.dictionaries(keys, st.one_of(json_like, st.dictionaries(
    st.sampled_from(["streams", "stream_defaults", "eventlogging_streams", "bogus"]), setting_values, max_size=3)), max_size=4)
realm_files = st.fixed_dictionaries({"wikis": st.one_of(
    st.just({"enwiki": ["en", "wiki"], "dewiki": ["de", "wiki"]}),
    st.dictionaries(st.sampled_from(["enwiki", "dewiki", "default", "../x", "a/b"]), st.one_of(st.none(), st.lists(st.sampled_from(["en", "wiki", "private", "enwiki", "no"]), max_size=3)), max_size=3))},
    optional={"dblists": st.lists(st.sampled_from(["private", "group0"]), max_size=2), "base": st.sampled_from(["production", "beta", "nowhere"]),
              "replace": st.lists(st.sampled_from(["streams", "eventlogging_streams", "x"]), max_size=2)})

trees = st.fixed_dictionaries({}, optional={
    "realms/production.yaml": realm_files,
    "realms/beta.yaml": realm_files,
    "realms/production/private.dblist": st.sampled_from(["enwiki\n", "dewiki\nnosuch\n", "# c\n"]),
    "streams/a.yaml": stream_maps,
    "streams/team/b.yaml": st.one_of(stream_maps, json_like),
    "stream-defaults.yaml": json_like,
    "eventlogging.yaml": st.one_of(st.lists(names, max_size=4), json_like),
    "overrides/production/o.yaml": override_files,
    "overrides/beta/o.yaml": override_files,
    "overrides/nowhere/o.yaml": override_files,
    "streams/raw.yaml": yamlish,
})


def render(value) -> str:
    return value if isinstance(value, str) else yaml.safe_dump(value, sort_keys=False)


@given(trees)
@fuzz_settings()
def test_any_repository_compiles_or_fails_cleanly(tree):
    runner = CliRunner()
    with tempfile.TemporaryDirectory() as directory:
        root = write_tree(Path(directory) / "repo", {**MINIMAL, **{path: render(value) for path, value in tree.items()}})
        for command in (["validate"], ["compile"], ["show", "enwiki"], ["show", "enwiki", "a.b", "--eventlogging"]):
            result = runner.invoke(cli, [*command, "--root", str(root)], catch_exceptions=False)
            assert result.exit_code in (0, 1, 2), result.output
            assert "internal error" not in result.output and "Traceback" not in result.output, result.output
            if command == ["compile"]:
                assert result.exit_code != 0 or (root / "build" / "manifest.json").is_file()
                assert result.exit_code == 0 or not (root / "build").exists()
        shutil.rmtree(root)


schema_kinds = st.sampled_from(["realm", "streams", "stream_defaults", "eventlogging_streams", "overrides"])
documents = st.recursive(leaf, lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(
    st.sampled_from(["wikis", "base", "replace", "dblists", "enwiki", "+enwiki", "a.b", "streams", "stream_defaults",
                     "eventlogging_streams", "sample", "rate", "unit", "topics", "topic_prefixes", "stream", "0", "x y",
                     "producers", "canary_events_enabled", "schema_title", "../x", "default"]), inner, max_size=4)),
    max_leaves=15)


@given(schema_kinds, documents)
@fuzz_settings()
def test_the_fast_schema_check_agrees_with_jsonschema(kind, value):
    from streamconf.validate import is_valid, validators

    assert is_valid(value, kind) == validators()[kind].is_valid(value)


def test_fuzz_for_the_time_budget():
    """With STREAMCONF_FUZZ_SECONDS set, run every fuzz test again and again until time is up."""
    deadline = time.monotonic() + FUZZ_SECONDS
    rounds = 0
    while time.monotonic() < deadline:
        for test in (test_any_text_parses_or_fails_cleanly, test_any_bytes_parse_or_fail_cleanly,
                     test_any_repository_compiles_or_fails_cleanly, test_the_fast_schema_check_agrees_with_jsonschema):
            test()
        rounds += 1
    assert rounds >= 1 or not FUZZ_SECONDS
