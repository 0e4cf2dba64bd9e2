"""Differential tests against PHP itself. tests/php/reference.php transliterates MediaWiki's
SiteConfiguration and EventStreamConfig logic and runs it in the PHP interpreter, so PHP's own array
semantics decide; streamconf must agree on every generated case document. Also runs the migration
script tools/export-case.php on a mediawiki-config-shaped checkout.

These need php-cli. CI installs it and sets STREAMCONF_REQUIRE_PHP=1, which turns a missing php
into a failure instead of a skip.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from conftest import GOLDEN, PROJECT, php_equal, read_json, write_tree
from strategies import case_documents, stale_case_documents
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
