"""Differential tests against PHP itself. tests/php/reference.php transliterates MediaWiki's
SiteConfiguration and EventStreamConfig logic and runs it in the PHP interpreter, so PHP's own array
semantics decide; streamconf must agree on every generated case document. Also runs the migration
script tools/export-case.php on a mediawiki-config-shaped checkout.

These need php-cli. CI installs it and sets STREAMCONF_REQUIRE_PHP=1, which turns a missing php
into a failure instead of a skip.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import struct
import subprocess
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import GOLDEN, PROJECT, php_equal, read_json, write_tree
from strategies import case_documents, stale_case_documents
from streamconf import patterns, php_json
from streamconf.compiler import compile_config
from streamconf.diagnostics import WARNING
from streamconf.load import read_sources
from streamconf.migrate import import_case
from streamconf.validate import validate
from streamconf.workflow import check, compile_repository, import_document

PHP = shutil.which("php")
REFERENCE = Path(__file__).parent / "php" / "reference.php"

if PHP is None:
    if os.environ.get("STREAMCONF_REQUIRE_PHP"):
        raise RuntimeError("php-cli is required (STREAMCONF_REQUIRE_PHP is set): apt-get install php-cli")
    pytestmark = pytest.mark.skip(reason="php-cli is not installed; CI installs it")


def php_answer(case_path: Path) -> dict:
    done = subprocess.run([PHP, str(REFERENCE), str(case_path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def streamconf_answer(case_path: Path, root: Path) -> dict:
    import_case(case_path, root, force=False)
    config, diagnostics = validate(read_sources(root))
    assert config is not None, "\n".join(d.render() for d in diagnostics)
    answer: dict = {}
    for path, data in compile_config(config).files.items():
        realm, wiki, name = path.split("/")
        answer.setdefault(realm, {}).setdefault(wiki, {})[name.removesuffix(".json")] = json.loads(data)
    return answer


@pytest.mark.parametrize("case", sorted(GOLDEN.glob("*.case.json")), ids=lambda p: p.name)
def test_the_php_reference_gives_mediawikis_answers(case: Path):
    expected = read_json(GOLDEN / case.name.replace(".case.", ".expected."))["expected"]
    assert php_equal(php_answer(case), expected)


@given(case_documents())
@settings(max_examples=int(os.environ.get("STREAMCONF_PHP_EXAMPLES", "80")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
def test_streamconf_agrees_with_php(case):
    with tempfile.TemporaryDirectory() as directory:
        case_path = Path(directory) / "case.json"
        case_path.write_text(json.dumps(case))
        assert php_equal(streamconf_answer(case_path, Path(directory) / "repo"), php_answer(case_path))


def bundles(out: Path) -> dict:
    answer: dict = {}
    for path in out.glob("*/*/*.json"):
        realm, wiki, name = path.relative_to(out).parts
        answer.setdefault(realm, {}).setdefault(wiki, {})[name.removesuffix(".json")] = json.loads(path.read_bytes())
    return answer


@given(stale_case_documents())
@settings(max_examples=int(os.environ.get("STREAMCONF_PHP_EXAMPLES", "40")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
def test_import_then_compile_gives_mediawikis_answer_despite_stale_keys(case):
    """What MediaWiki ignores or serves as it is (a key for a wiki or tag the list does not have, an
    override of a stream no layer declares) is imported faithfully and lowered to a warning:
    compile, with its lint checks, reproduces PHP, and validate still reports every finding."""
    with tempfile.TemporaryDirectory() as directory:
        case_path, root = Path(directory) / "case.json", Path(directory) / "repo"
        case_path.write_text(json.dumps(case))
        imported = import_document(case_path, root, force=False)
        assert imported.lowered and "SL002" in imported.lowered, "the undeclared override is found"
        compile_repository(root, root / "build")
        assert php_equal(bundles(root / "build"), php_answer(case_path))
        config, diagnostics = check(root)
        assert config is not None
        reported = {(d.location, d.code) for d in diagnostics if d.severity == WARNING}
        assert {(d.location, d.code) for d in imported.findings} <= reported


def test_export_script_on_a_mediawiki_config_checkout(tmp_path: Path):
    checkout = write_tree(tmp_path / "mediawiki-config", {
        "wmf-config/ext-EventStreamConfig.php": """
            <?php
            return [
                'wgEventStreams' => [
                    'default' => [
                        'mediawiki.web_ui_actions' => [ 'schema_title' => 'analytics/mediawiki/client/metrics_event',
                            'destination_event_service' => 'eventgate-analytics-external', 'sample' => [ 'rate' => 0.1, 'unit' => 'pageview' ] ],
                        '/^mediawiki\\\\.job\\\\..+/' => [ 'schema_title' => 'mediawiki/job', 'destination_event_service' => 'eventgate-main' ],
                    ],
                    '+enwiki' => [ 'mediawiki.web_ui_actions' => [ 'sample' => [ 'rate' => 0.01 ] ] ],
                ],
                'wgEventStreamsDefaultSettings' => [ 'default' => [ 'topic_prefixes' => [ 'eqiad.', 'codfw.' ], 'canary_events_enabled' => true ] ],
                'wgEventLoggingStreamNames' => [ 'default' => [ 'mediawiki.web_ui_actions' ], 'private' => [] ],
                'wgSomethingElse' => [ 'default' => 1 ],
            ];
            """,
        "wmf-config/ext-EventStreamConfig-labs.php": """
            <?php
            return [ '-wgEventLoggingStreamNames' => [ 'default' => [] ],
                     'wgEventStreamsDefaultSettings' => [ 'default' => [ 'topic_prefixes' => [ 'eqiad.' ] ] ] ];
            """,
        "dblists/all.dblist": "# every wiki\nenwiki\nzh_min_nanwiki\nenwiktionary\nofficewiki\n",
        "dblists/all-labs.dblist": "enwiki\n",
        "dblists/private.dblist": "officewiki\n",
        "dblists/group2.dblist": "enwiki\nzh_min_nanwiki\n",
    })
    exported = subprocess.run(
        [PHP, str(PROJECT / "tools" / "export-case.php"), "--production", "wmf-config/ext-EventStreamConfig.php",
         "--beta", "wmf-config/ext-EventStreamConfig-labs.php", "--dblists", "dblists", "--tags", "private,group2"],
        cwd=checkout, capture_output=True, text=True, timeout=60)
    assert exported.returncode == 0, exported.stderr
    case = json.loads(exported.stdout)
    assert case["realms"]["production"]["wikis"] == {
        "enwiki": ["group2", "en", "wiki"], "zh_min_nanwiki": ["group2", "zh-min-nan", "wiki"],
        "enwiktionary": ["en", "wiktionary"], "officewiki": ["private", "office", "wiki"]}
    assert "wgSomethingElse" not in case["realms"]["production"]["settings"]
    case_path = tmp_path / "case.json"
    case_path.write_text(exported.stdout)
    answer = streamconf_answer(case_path, tmp_path / "repo")
    assert php_equal(answer, php_answer(case_path))
    assert answer["production"]["enwiki"]["eventlogging"] == {"mediawiki.web_ui_actions": {"sample": {"rate": 0.01, "unit": "pageview"}}}
    assert answer["production"]["officewiki"]["eventlogging"] == {}
    assert answer["beta"]["enwiki"]["eventlogging"] == {}
    assert answer["beta"]["enwiki"]["streamconfigs"]["streams"]["mediawiki.web_ui_actions"]["topics"] == ["eqiad.mediawiki.web_ui_actions"]


def test_export_script_reports_a_missing_file(tmp_path: Path):
    done = subprocess.run([PHP, str(PROJECT / "tools" / "export-case.php"), "--production", "nope.php", "--dblists", "."],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr == "export-case: no such file: nope.php\n"


JSON_ENCODE = Path(__file__).parent / "php" / "json-encode.php"

# Floats where the two languages' layouts part: exponent thresholds, integral values, subnormals.
EDGE_FLOATS = [0.0, -0.0, 1.0, -1.0, 0.5, 1e14, 1e15, 1e16, 1e17, 1e18, 1.2345e16, 9007199254740993.0,
               99999999999999999.0, 0.0001, 0.00001, 0.00012345, 9.999999999999999e-05, 1.5e-07, 5e-324,
               2.2250738585072014e-308, 1.7976931348623157e308, 1e20, 1e22, 0.1, 1 / 3, 100.0, -2.5e-10]
php_floats = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.floats(min_value=-1e-3, max_value=1e-3, allow_subnormal=True),
    st.integers(min_value=-330, max_value=310).flatmap(
        lambda power: st.floats(min_value=0.5, max_value=10).map(lambda m: float(f"{m!r}e{power}"))
    ).filter(math.isfinite),  # 10e308 overflows: JSON has no infinity, and neither encoder writes one
    st.integers(min_value=-2**60, max_value=2**60).map(float),
    st.sampled_from(EDGE_FLOATS))
json_strings = st.text(st.characters(codec="utf-8") | st.sampled_from("\u2028\u2029/<>&\"\\'\x7f\x00"), max_size=12)


def php_json_encode(floats: list[float], strings: list[str], *flags: str) -> bytes:
    request = json.dumps({"floats": [struct.pack(">d", number).hex() for number in floats], "strings": strings})
    done = subprocess.run([PHP, str(JSON_ENCODE), *flags], input=request.encode(), capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_floats_and_strings_are_written_as_mediawiki_writes_them():
    strings = ["a\u2028b\u2029c", "/^mediawiki\\.job\\..+/", "é</script>&"]
    assert php_json.encode([EDGE_FLOATS, strings]).encode() == php_json_encode(EDGE_FLOATS, strings)


@given(st.lists(php_floats, max_size=30), st.lists(json_strings, max_size=5))
@settings(max_examples=int(os.environ.get("STREAMCONF_PHP_EXAMPLES", "80")), deadline=None)
def test_json_text_is_byte_for_byte_php_json_encode(floats, strings):
    assert php_json.encode([floats, strings]).encode() == php_json_encode(floats, strings)


@given(st.lists(php_floats, max_size=5), st.lists(json_strings, max_size=8))
@settings(max_examples=int(os.environ.get("STREAMCONF_PHP_EXAMPLES", "80")) // 2, deadline=None)
def test_embedded_json_is_byte_for_byte_what_resourceloader_writes(floats, strings):
    expected = php_json_encode(floats, strings, "--script")
    assert php_json.for_script(php_json.encode([floats, strings]).encode()) == expected


FLOAT_CASE = {"realms": {"production": {"settings": {
    "wgEventStreams": {"default": {
        "/^mediawiki\\.job\\..+/": {"schema_title": "mediawiki/job", "sample": {"rate": 1e-05, "unit": "session"}},
        "tiny": {"schema_title": "analytics/tiny", "sample": {"rate": 1.5e-07, "unit": "pageview"},
                 "producers": {"metrics_platform_client": {"provide_values": ["<page>&amp;"]}},
                 "description": "line\u2028separator\u2029and </script>"},
        "whole": {"schema_title": "analytics/whole", "sample": {"rate": 1.0, "unit": "pageview"},
                  "limits": [1e16, 1e17, 1e20, -0.0, 0.1, 12345678901234567890.0]}}},
    "wgEventStreamsDefaultSettings": {"default": {"topic_prefixes": ["eqiad.", "codfw."], "weight": 2.0}},
    "wgEventLoggingStreamNames": {"default": ["tiny", "whole", "mediawiki.job.refresh"]}},
    "wikis": {"enwiki": ["wiki"]}}}}


def test_bundles_with_such_floats_are_byte_for_byte_php(tmp_path: Path):
    case_path = tmp_path / "case.json"
    case_path.write_text(json.dumps(FLOAT_CASE))
    done = subprocess.run([PHP, str(REFERENCE), str(case_path), "--bytes"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    expected = {path: text.encode() + b"\n" for path, text in json.loads(done.stdout).items()}
    import_case(case_path, tmp_path / "repo", force=False)
    config, diagnostics = validate(read_sources(tmp_path / "repo"))
    assert config is not None, "\n".join(d.render() for d in diagnostics)
    files = compile_config(config).files
    assert {path: files[path] for path in expected} == expected
    assert b"1.0e-5" in files["production/enwiki/streamconfigs.json"]
    assert b'"<page>&amp;"' in files["production/enwiki/streamconfigs.json"]
    assert b'"\\u003Cpage\\u003E\\u0026amp;"' in files["production/enwiki/eventlogging.json"]


PREG_MATCH = Path(__file__).parent / "php" / "preg-match.php"


def php_preg_match(pairs: list[tuple[str, str]]) -> list:
    done = subprocess.run([PHP, str(PREG_MATCH)], input=json.dumps(pairs).encode(), capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def streamconf_preg_match(key: str, name: str):
    try:
        return int(patterns.matches(key, name))
    except patterns.MatchLimitExceeded:
        return "error: Backtrack limit exhausted"


def test_a_stream_pattern_gives_up_where_php_s_backtrack_limit_does():
    # The first alternative backtracks 2^n ways before the second matches: PHP gives up from n = 19
    # with its limit of 1,000,000, where PCRE2's own default limit would still find the match.
    keys = ["/^(?:(a|a)*b|a+!)/", "/(*LIMIT_MATCH=5000000)^(?:(a|a)*b|a+!)/", "/(*LIMIT_MATCH=20000)^(?:(a|a)*b|a+!)/",
            "/(*UTF)(*LIMIT_MATCH=3000000)(?:(a|a)*b|a+!)/u"]
    pairs = [(key, "a" * n + "!") for key in keys for n in range(10, 24)]
    expected = php_preg_match(pairs)
    assert [streamconf_preg_match(key, name) for key, name in pairs] == expected
    assert expected[:14].count(1) == 9, "n = 10 to 18 match, 19 and over exhaust the limit"
