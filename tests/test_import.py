"""import: a case document becomes a YAML repository that compiles back to the same result."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings

from conftest import read_json, write_tree
from strategies import case_documents
from streamconf.compiler import compile_config
from streamconf.editors import editor_files, modeline
from streamconf.load import read_sources
from streamconf.migrate import MEDIAWIKI_SETTINGS, import_case
from reference import served
from streamconf.resolve import overlay
from streamconf.validate import validate

CASE = {"realms": {"production": {
    "settings": {"wgEventStreams": {"default": {"a.b": {"schema_title": "s"}}}},
    "wikis": {"enwiki": ["en", "wiki"]}}}}


def write_case(tmp_path: Path, case: dict) -> Path:
    path = tmp_path / "case.json"
    path.write_text(json.dumps(case))
    return path


def test_refuses_an_existing_config_without_force(tmp_path: Path, run):
    root = write_tree(tmp_path / "repo", {"streams/mine.yaml": "x.y: {}\n"})
    result = run("import", write_case(tmp_path, CASE), "--root", root)
    assert result.exit_code == 1
    assert "already holds a config (streams)" in result.output
    assert "use --force to replace it whole" in result.output
    assert (root / "streams/mine.yaml").read_text() == "x.y: {}\n"


def test_force_replaces_the_config_tree_whole(tmp_path: Path, run):
    root = write_tree(tmp_path / "repo", {
        "streams/old/stale.yaml": "x.y: {}\n", "overrides/production/stale.yaml": "{}\n",
        "eventlogging.yaml": "- x.y\n", "README.md": "not config\n"})
    assert run("import", write_case(tmp_path, CASE), "--root", root, "--force").exit_code == 0
    assert sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) == sorted([
        "README.md", "realms/production.yaml", "streams/streams.yaml", *editor_files()])


def test_force_keeps_the_instrument_config_in_both_places(tmp_path: Path, run):
    """A case describes no instruments: --force keeps instruments/ and overrides/<realm>/instruments/
    byte for byte, and replaces the rest of overrides/ (of a realm the case has, or not)."""
    instruments = {"instruments/web.yaml": "web-clicks: {}\n", "overrides/production/instruments/sampling.yaml": "a: 1\n",
                   "overrides/beta/instruments/sampling.yaml": "web-clicks: {}\n"}
    root = write_tree(tmp_path / "repo", {**instruments, "overrides/beta/stale.yaml": "{}\n",
                                          "overrides/production/enwiki.yaml": "{}\n", "streams/old.yaml": "x.y: {}\n"})
    kept = {name: (root / name).read_bytes() for name in instruments}
    assert run("import", write_case(tmp_path, CASE), "--root", root, "--force").exit_code == 0
    assert {name: (root / name).read_bytes() for name in instruments} == kept
    assert sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) == sorted([
        *instruments, "realms/production.yaml", "streams/streams.yaml", *editor_files()])


def test_old_list_form_and_integer_keys(tmp_path: Path, run):
    case = {"realms": {"production": {
        "settings": {"wgEventStreams": {
            "default": [{"stream": "legacy.one", "schema_title": "a"}, {"stream": "/^legacy\\./", "schema_title": "b"}],
            "+enwiki": {"0": {"stream": "legacy.two", "schema_title": "c"}, "x.y": {"schema_title": "d"}}},
            "wgEventLoggingStreamNames": {"default": ["legacy.one", "legacy.three"]}},
        "wikis": {"enwiki": ["en", "wiki"], "dewiki": ["de", "wiki"]}}}}
    root = tmp_path / "repo"
    assert run("import", write_case(tmp_path, case), "--root", root).exit_code == 0
    assert run("compile", "--root", root).exit_code == 0, run("validate", "--root", root).output
    streams = read_json(root / "build/production/enwiki/streamconfigs.json")["streams"]
    # '+enwiki' is merged over 'default'. Both have an array at integer key 0, and two arrays merge
    # before a taken integer key would append: default's legacy.one merges into legacy.two and is
    # gone; its key 1 is free and is added.
    assert list(streams) == ["legacy.two", "x.y", "/^legacy\\./"]
    assert streams["legacy.two"]["schema_title"] == "c"
    # legacy.one has no key of its own on enwiki any more, but the pattern matches it.
    assert read_json(root / "build/production/enwiki/eventlogging.json") == {"legacy.one": {}, "legacy.three": {}}
    assert list(read_json(root / "build/production/dewiki/streamconfigs.json")["streams"]) == ["legacy.one", "/^legacy\\./"]


def test_case_document_errors(tmp_path: Path, run):
    bad = {
        "not a JSON document": "{",
        "duplicate key": '{"realms": {"a": {}, "a": {}}}',
        "has no `realms` object": '{"wikis": {}}',
        "unknown setting 'wgEventStream'": json.dumps({"realms": {"p": {"settings": {"wgEventStream": {}}, "wikis": {}}}}),
        "base 'q' is not an earlier realm": json.dumps({"realms": {"p": {"base": "q", "overrides": {}, "wikis": {}}}}),
        "NaN is not a JSON number": '{"realms": {"p": {"settings": {"wgEventStreams": {"default": {"a": {"x": NaN}}}}, "wikis": {}}}}',
    }
    for message, text in bad.items():
        path = tmp_path / "case.json"
        path.write_text(text)
        result = run("import", path, "--root", tmp_path / "repo")
        assert result.exit_code == 1, message
        assert message in result.output
        assert not (tmp_path / "repo" / "realms").exists()


STALE = {"realms": {"production": {"settings": {"wgEventStreams": {
    "default": {"a.b": {"schema_title": "analytics/a", "destination_event_service": "eventgate-main"}},
    "+oldwiki": {"a.b": {"sample": {"rate": 0.5}}},
    "+enwiki": {"gone.stream": {"sample": {"rate": 1}}}}},
    "wikis": {"enwiki": ["en", "wiki"], "dewiki": ["de", "wiki"]}}}}


def test_import_lowers_what_mediawiki_accepts_and_says_so(tmp_path: Path, run):
    """A key for a wiki the list no longer has and an override of an undeclared stream: reported,
    written faithfully, and compiled as MediaWiki serves them; validate keeps naming both, and
    removing the severity lines makes compile refuse them again."""
    root = tmp_path / "repo"
    imported = run("import", write_case(tmp_path, STALE), "--root", root)
    assert imported.exit_code == 0, imported.output
    assert "2 findings of SL001, SL002 that MediaWiki accepts: lowered to warnings in streamconf.yaml" in imported.output
    assert "overrides/production/+oldwiki.yaml:2:1: warning SL001 at +oldwiki" in imported.output
    assert "overrides/production/+enwiki.yaml:4:5: warning SL002 at +enwiki › gone.stream" in imported.output
    settings = (root / "streamconf.yaml").read_text()
    assert "#   SL001 unknown-key: 1 finding\n" in settings and "delete the severity lines" in settings
    assert settings.endswith("rules:\n  severity:\n    SL001: warning\n    SL002: warning\n")
    assert run("compile", "--root", root).exit_code == 0
    assert read_json(root / "build/production/enwiki/streamconfigs.json")["streams"]["gone.stream"] == {
        "sample": {"rate": 1}, "stream": "gone.stream", "topics": ["gone.stream"]}
    validated = run("validate", "--root", root)
    assert validated.exit_code == 0 and "2 warnings" in validated.output
    (root / "streamconf.yaml").write_text(settings.split("rules:")[0])
    refused = run("compile", "--root", root)
    assert refused.exit_code == 1 and "error SL001" in refused.output and "error SL002" in refused.output


def test_import_keeps_the_users_streamconf_yaml(tmp_path: Path, run):
    root = write_tree(tmp_path / "repo", {"streamconf.yaml": "schema_repository: ../schemas\n"})
    imported = run("import", write_case(tmp_path, STALE), "--root", root)
    assert imported.exit_code == 0
    assert "warning SC023: streamconf.yaml is yours and is kept" in imported.output
    assert "add to it: rules: {severity: {SL001: warning, SL002: warning}}" in imported.output
    assert (root / "streamconf.yaml").read_text() == "schema_repository: ../schemas\n"


def test_a_clean_import_writes_no_settings(tmp_path: Path, run):
    root = tmp_path / "repo"
    assert run("import", write_case(tmp_path, CASE), "--root", root).output == f"wrote 15 files under {root}\n"
    assert not (root / "streamconf.yaml").exists()


def test_imported_files_read_well(tmp_path: Path, run):
    case = {"realms": {"production": {"settings": {"wgEventStreams": {"+no": {"a.b": {"flag": "no", "n": "0o17"}}}},
                                      "wikis": {"nowiki": ["no", "wiki"]}}}}
    root = tmp_path / "repo"
    run("import", write_case(tmp_path, case), "--root", root)
    assert (root / "realms/production.yaml").read_text() == f"{modeline('realms/production.yaml')}\nwikis:\n  nowiki: ['no', wiki]\n"
    assert (root / "overrides/production/+no.yaml").read_text() == modeline("overrides/production/+no.yaml") + (
        "\n+no:\n  streams:\n    a.b:\n      flag: 'no'\n      n: '0o17'\n")


# Round trip --------------------------------------------------------------------------------------

def resolved_directly(case: dict) -> dict[str, bytes]:
    """What each wiki is served, computed from the case document without any YAML."""
    expected, by_realm = {}, {}
    for realm, spec in case["realms"].items():
        if "settings" in spec:
            keys = {MEDIAWIKI_SETTINGS[name]: value for name, value in spec["settings"].items()}
        else:
            own = {MEDIAWIKI_SETTINGS[name.lstrip("-")]: value for name, value in spec["overrides"].items()}
            replaced = [MEDIAWIKI_SETTINGS[name[1:]] for name in spec["overrides"] if name.startswith("-")]
            keys = overlay(by_realm[spec["base"]], own, replaced)
        by_realm[realm] = keys
        for wiki, tags in spec["wikis"].items():
            api, embedded = served(keys, wiki, tags)
            expected[f"{realm}/{wiki}/streamconfigs.json"] = api
            expected[f"{realm}/{wiki}/eventlogging.json"] = embedded
    return expected


@given(case_documents())
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_import_then_compile_round_trips(case):
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory) / "repo"
        case_path = Path(directory) / "case.json"
        case_path.write_text(json.dumps(case))
        import_case(case_path, root, force=False)
        config, diagnostics = validate(read_sources(root))
        assert config is not None, "\n".join(d.render() for d in diagnostics)
        assert compile_config(config).files == resolved_directly(case)
