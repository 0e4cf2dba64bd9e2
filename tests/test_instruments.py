"""Instruments: the format, its validation, and what compile writes. Each of the extension's rules
(ConfigsFetcher::processConfigs, ResourceLoader\\Hooks::getInstrumentConfigs) has a worked example
here; docs/instruments.md lists the same examples as a table."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from conftest import MINIMAL, read_json, run_installed, write_tree
from streamconf.instruments import timestamps
from streamconf.instruments.render import instrument_configs

AT = "2026-12-01T00:00:00Z"


def instant(text: str) -> datetime:
    return timestamps.parse_instant(text)


def entry(name: str = "a", **fields) -> dict:
    """A service entry, as `GET /api/v1/instruments` lists it."""
    return {"name": name, "start": "2026-11-01T00:00:00Z", "end": "2026-12-31T23:59:59Z",
            "stream_name": "s", "schema_title": "t", "contextual_attributes": ["page_id"], **fields}


def rate_on(wiki: str, **fields) -> float:
    return instrument_configs([entry(**fields)], wiki, instant(AT))["a"]["sample"]["rate"]


# The extension's rules, one worked example each ---------------------------------------------------


@pytest.mark.parametrize("at, active", [
    ("2026-10-31T23:59:59Z", False),  # a second before start
    ("2026-11-01T00:00:00Z", True),   # at start: inclusive
    ("2026-12-31T23:59:59Z", True),   # at end: inclusive
    ("2027-01-01T00:00:00Z", False),  # a second after end
    ("2026-11-01T09:00:00+09:00", True),  # the same instant as start, in another zone
])
def test_active_iff_start_le_at_le_end(at: str, active: bool):
    assert ("a" in instrument_configs([entry()], "enwiki", instant(at))) is active


def test_one_unparseable_date_empties_every_wiki_s_list():
    entries = [entry("good"), entry("bad", end="next tuesday")]
    assert instrument_configs(entries, "enwiki", instant(AT)) == {}
    assert list(instrument_configs(entries[:1], "enwiki", instant(AT))) == ["good"]


def test_sample_config_starts_as_rate_0_unit_session():
    entries = [{key: value for key, value in entry().items()}]
    assert instrument_configs(entries, "enwiki", instant(AT))["a"]["sample"] == {"rate": 0.0, "unit": "session"}


@pytest.mark.parametrize("wiki, rate", [("enwiki", 0.5), ("dewiki", 1.0), ("frwiki", 0.1)])
def test_the_default_rate_unless_listed_under_another(wiki: str, rate: float):
    assert rate_on(wiki, sample_rate={"default": "0.1", "0.5": ["enwiki"], "1": ["dewiki"]}) == rate


def test_the_first_list_that_names_the_wiki_wins():
    assert rate_on("enwiki", sample_rate={"default": "0", "0.25": ["dewiki", "enwiki"], "0.75": ["enwiki"]}) == 0.25
    assert rate_on("enwiki", sample_rate={"default": "0", "0.75": ["enwiki"], "0.25": ["dewiki", "enwiki"]}) == 0.75


@pytest.mark.parametrize("written, rate", [
    ("0.5", 0.5), ("1", 1.0), (".5", 0.5), ("5e-1", 0.5), (" 0.5", 0.5), ("0.5 ", 0.5), (0.5, 0.5), (1, 1.0),
    ("half", 0.0), ("0.5x", 0.0), ("", 0.0), ("0x1", 0.0), (True, 0.0), (None, 0.0),
])
def test_a_non_numeric_rate_gives_0(written, rate):
    assert rate_on("enwiki", sample_rate={"default": written}) == rate
    assert rate_on("enwiki", sample_rate={"default": "0.1", str(written): ["enwiki"]}) == (rate if written is not None
                                                                                           and not isinstance(written, bool) else 0.0)


def test_sample_unit_when_set_is_the_unit():
    assert instrument_configs([entry(sample_unit="pageview")], "enwiki", instant(AT))["a"]["sample"]["unit"] == "pageview"


def test_entry_shape_and_service_order():
    entries = [entry("z", sample_rate={"default": "1"}), entry("a", contextual_attributes=[])]
    configs = instrument_configs(entries, "enwiki", instant(AT))
    assert list(configs) == ["z", "a"]
    assert configs["z"] == {"sample": {"rate": 1.0, "unit": "session"}, "stream_name": "s", "contextual_attributes": ["page_id"]}


# The format and its validation -----------------------------------------------------------------

INSTRUMENT = """
    web-scroll-depth:
      description: How far readers scroll
      owner: web
      task: https://phabricator.wikimedia.org/T1
      start: 2026-11-01T00:00:00Z
      end: 2027-01-31T23:59:59+01:00
      stream_name: a.b
      schema_title: analytics/link_hover
      contextual_attributes: [page_namespace, performer_is_logged_in]
      sample:
        unit: pageview
        rate:
          default: 0
          0.5: [enwiki, private]
          1: [dewiki]
    """


@pytest.fixture
def instrumented(repo: Path) -> Path:
    return write_tree(repo, {"instruments/web/scroll.yaml": INSTRUMENT})


def compile_at(run, root: Path, at: str = AT, *extra):
    result = run("compile", "--root", root, "--at", at, *extra)
    assert result.exit_code == 0, result.output
    return Path(extra[extra.index("--out") + 1]) if "--out" in extra else root / "build"


def test_service_body_is_the_configurator_s_response(instrumented: Path, run):
    build = compile_at(run, instrumented)
    assert (build / "production/instruments.json").read_bytes() == (
        b'[{"name":"web-scroll-depth","start":"2026-11-01T00:00:00Z","end":"2027-01-31T22:59:59Z",'
        b'"sample_unit":"pageview","sample_rate":{"default":"0","0.5":["enwiki","officewiki"],"1":["dewiki"]},'
        b'"stream_name":"a.b","schema_title":"analytics/link_hover",'
        b'"contextual_attributes":["page_namespace","performer_is_logged_in"]}]\n')


def test_embedded_map_per_wiki(instrumented: Path, run):
    build = compile_at(run, instrumented)
    assert (build / "production/enwiki/instruments.json").read_bytes() == (
        b'{"web-scroll-depth":{"sample":{"rate":0.5,"unit":"pageview"},"stream_name":"a.b",'
        b'"contextual_attributes":["page_namespace","performer_is_logged_in"]}}\n')
    assert read_json(build / "production/dewiki/instruments.json")["web-scroll-depth"]["sample"]["rate"] == 1.0
    assert read_json(build / "production/officewiki/instruments.json")["web-scroll-depth"]["sample"]["rate"] == 0.5
    assert read_json(build / "production/enwiki/streamconfigs.json")["streams"]["a.b"]["stream"] == "a.b"


def test_inactive_at_gives_empty_maps_but_the_same_service_body(instrumented: Path, run, tmp_path: Path):
    active = compile_at(run, instrumented)
    before = compile_at(run, instrumented, "2026-10-01T00:00:00Z", "--out", tmp_path / "before")
    assert (before / "production/enwiki/instruments.json").read_bytes() == b"[]\n"  # PHP's empty array
    assert (before / "production/instruments.json").read_bytes() == (active / "production/instruments.json").read_bytes()


def test_disabled_instruments_are_left_out(repo: Path, run):
    write_tree(repo, {"instruments/a.yaml": INSTRUMENT.rstrip() + "\n      enabled: false\n"})
    build = compile_at(run, repo)
    assert read_json(build / "production/instruments.json") == []
    assert read_json(build / "production/enwiki/instruments.json") == []
    shown = run("show", "enwiki", "web-scroll-depth", "--instruments", "--root", repo, "--at", AT)
    assert shown.exit_code == 1 and "hint: web-scroll-depth is disabled (enabled: false): it is active nowhere" in shown.output


def test_a_realm_built_on_another_replaces_fields_and_adds_instruments(instrumented: Path, run):
    write_tree(instrumented, {
        "realms/beta.yaml": "base: production\nwikis:\n  enwiki: [en, wiki]\n  metawiki: [meta, wiki]\n",
        "overrides/beta/instruments/web.yaml": """
            web-scroll-depth:
              sample:
                rate: {default: 1}
            beta-only:
              start: 2026-01-01T00:00:00Z
              end: 2027-01-01T00:00:00Z
              stream_name: a.b
              schema_title: analytics/link_hover
              sample: {rate: {default: 0.25, "1": [metawiki]}}
            """})
    build = compile_at(run, instrumented)
    beta = read_json(build / "beta/instruments.json")
    assert [item["name"] for item in beta] == ["web-scroll-depth", "beta-only"]
    assert beta[0]["sample_rate"] == {"default": "1"}
    assert beta[0]["sample_unit"] == "pageview"  # the unit is a field of its own: inherited
    assert read_json(build / "beta/metawiki/instruments.json")["beta-only"]["sample"] == {"rate": 1.0, "unit": "session"}
    assert [item["name"] for item in read_json(build / "production/instruments.json")] == ["web-scroll-depth"]


def test_tags_expand_to_the_realm_s_wikis_in_its_order(repo: Path, run):
    write_tree(repo, {"instruments/a.yaml": INSTRUMENT.replace("[enwiki, private]", "[wiki, enwiki]").replace("[dewiki]", "[officewiki]")})
    build = compile_at(run, repo)
    assert read_json(build / "production/instruments.json")[0]["sample_rate"]["0.5"] == ["enwiki", "dewiki"]


def test_rates_are_written_as_strings_in_plain_decimals(repo: Path, run):
    write_tree(repo, {"instruments/a.yaml": INSTRUMENT.replace("default: 0\n", "default: 0.00001\n")})
    build = compile_at(run, repo)
    assert read_json(build / "production/instruments.json")[0]["sample_rate"]["default"] == "0.00001"


def test_manifest_records_at_and_valid_until(instrumented: Path, run):
    build = compile_at(run, instrumented)
    manifest = read_json(build / "manifest.json")
    assert (manifest["at"], manifest["valid_until"]) == (AT, "2027-01-31T23:00:00Z")  # the second after the end
    assert "production/instruments.json" in manifest["files"] and "production/enwiki/instruments.json" in manifest["files"]
    early = compile_at(run, instrumented, "2026-01-01T00:00:00Z", "--force")
    assert read_json(early / "manifest.json")["valid_until"] == "2026-11-01T00:00:00Z"  # the start
    late = compile_at(run, instrumented, "2027-06-01T00:00:00Z", "--force")
    assert read_json(late / "manifest.json")["valid_until"] is None


def test_without_instruments_nothing_changes(repo: Path, run):
    build = compile_at(run, repo)
    manifest = read_json(build / "manifest.json")
    assert "at" not in manifest and not any("instruments" in path for path in manifest["files"])


def test_same_at_gives_identical_bytes(instrumented: Path, run, tmp_path: Path):
    one = compile_at(run, instrumented, AT, "--out", tmp_path / "one")
    two = compile_at(run, instrumented, AT, "--out", tmp_path / "two")
    files = sorted(p.relative_to(one) for p in one.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(two) for p in two.rglob("*") if p.is_file())
    assert all((one / f).read_bytes() == (two / f).read_bytes() for f in files)


def test_a_build_holds_until_valid_until(instrumented: Path, run, monkeypatch):
    clock = {"now": instant("2026-12-01T00:00:00Z")}
    monkeypatch.setattr(timestamps, "now", lambda: clock["now"])
    assert "compiled" in run("compile", "--root", instrumented).output
    clock["now"] = instant("2027-01-31T22:59:59Z")  # the last second of the window
    assert "up to date" in run("compile", "--root", instrumented).output
    clock["now"] = instant("2027-01-31T23:00:00Z")  # valid_until: the instrument has ended
    result = run("compile", "--root", instrumented)
    assert "compiled" in result.output
    assert read_json(instrumented / "build/production/enwiki/instruments.json") == []
    assert "up to date" in run("compile", "--root", instrumented).output


def test_an_explicit_at_holds_only_for_that_instant(instrumented: Path, run):
    compile_at(run, instrumented, AT)
    assert "up to date" in run("compile", "--root", instrumented, "--at", AT).output
    assert "compiled" in run("compile", "--root", instrumented, "--at", "2026-12-01T00:00:01Z").output


@pytest.mark.parametrize("start, message", [
    ("2026-11-01", "is not an ISO 8601 date and time with a time zone"),
    ("2026-11-01T00:00:00", "is not an ISO 8601 date and time with a time zone"),
    ("2026-02-30T00:00:00Z", "is not a valid date and time"),
    ("next tuesday", "is not an ISO 8601"),
])
def test_dates_mediawiki_might_not_parse_are_refused(repo: Path, run, start: str, message: str):
    write_tree(repo, {"instruments/a.yaml": INSTRUMENT.replace("2026-11-01T00:00:00Z", start)})
    result = run("validate", "--root", repo)
    assert result.exit_code == 1
    assert f"instruments/a.yaml:5:3: error SC300 at web-scroll-depth › start: start of instrument 'web-scroll-depth': " \
           f"'{start}' {message}" in result.output


def test_an_instrument_declared_twice(instrumented: Path, run):
    write_tree(instrumented, {"instruments/zz.yaml": INSTRUMENT})
    result = run("validate", "--root", instrumented)
    assert result.exit_code == 1
    assert "instruments/zz.yaml:1:1: error SC301 at web-scroll-depth: instrument 'web-scroll-depth' is declared twice: " \
           "also at instruments/web/scroll.yaml:1:1" in result.output


def test_a_realm_s_new_instrument_needs_every_field(instrumented: Path, run):
    write_tree(instrumented, {"realms/beta.yaml": "base: production\nwikis:\n  enwiki: [en, wiki]\n",
                              "overrides/beta/instruments/a.yaml": "web-scroll-dept:\n  sample: {unit: session}\n"})
    result = run("validate", "--root", instrumented)
    assert "overrides/beta/instruments/a.yaml:1:1: error SC302 at web-scroll-dept: instrument 'web-scroll-dept' has no " \
           "start, end, stream_name, schema_title, sample.rate (realm 'beta')" in result.output


def test_instrument_changes_of_an_unknown_realm(instrumented: Path, run):
    write_tree(instrumented, {"overrides/betta/instruments/a.yaml": "web-scroll-depth:\n  enabled: false\n"})
    result = run("validate", "--root", instrumented)
    assert "overrides/betta/instruments/a.yaml:1:1: error SC303: overrides/betta/instruments/ names no declared realm" in result.output


def test_schema_errors_name_the_place(repo: Path, run):
    write_tree(repo, {"instruments/a.yaml": INSTRUMENT.replace("1: [dewiki]", "1: dewiki").replace("owner: web", "owner: web\n      colour: red")})
    result = run("validate", "--root", repo)
    assert result.exit_code == 1
    assert "error SC002 at web-scroll-depth › colour: unknown key ('colour' was unexpected)" in result.output
    assert "error SC002 at web-scroll-depth › sample › rate › 1: 'dewiki' is not of type 'array'" in result.output


def test_the_installed_program_compiles_instruments(instrumented: Path):
    result = run_installed("compile", "--root", instrumented, "--at", AT)
    assert result.returncode == 0, result.stderr
    assert "instruments at 2026-12-01T00:00:00Z, valid until 2027-01-31T23:00:00Z" in result.stdout
    bad = run_installed("compile", "--root", instrumented, "--at", "tomorrow")
    assert bad.returncode == 2 and "'tomorrow' is not an ISO 8601 date and time with a time zone" in bad.stderr


def test_integer_like_names_make_the_map_a_list():
    from streamconf.instruments.render import InstrumentConfigs

    configs = InstrumentConfigs([entry("0"), entry("1")], instant(AT))
    assert configs.of("enwiki")[1].startswith(b'[{"sample":')
    assert InstrumentConfigs([entry("1"), entry("0")], instant(AT)).of("enwiki")[1].startswith(b'{"1":')


def test_the_embedded_map_escapes_markup_as_resourceloader_does():
    from streamconf.instruments.render import InstrumentConfigs

    data = InstrumentConfigs([entry("a&b", stream_name="</script>")], instant(AT)).of("enwiki")[1]
    assert data.startswith(b'{"a\\u0026b":') and b'"stream_name":"\\u003C/script\\u003E"' in data


def test_an_unparseable_end_empties_the_list_even_before_the_start():
    entries = [entry("later", start="2027-01-01T00:00:00Z", end="whenever"), entry("now")]
    assert instrument_configs(entries, "enwiki", instant(AT)) == {}


# show, schedule, publish ------------------------------------------------------------------------


def test_show_instruments_prints_the_embedded_map(instrumented: Path, run):
    result = run("show", "dewiki", "--instruments", "--root", instrumented, "--at", AT)
    assert result.exit_code == 0
    assert json_of(result.output) == {"web-scroll-depth": {"sample": {"rate": 1.0, "unit": "pageview"}, "stream_name": "a.b",
                                                           "contextual_attributes": ["page_namespace", "performer_is_logged_in"]}}
    one = run("show", "dewiki", "web-scroll-depth", "--instruments", "--root", instrumented, "--at", AT)
    assert json_of(one.output)["sample"] == {"rate": 1.0, "unit": "pageview"}
    later = run("show", "dewiki", "web-scroll-depth", "--instruments", "--root", instrumented, "--at", "2027-03-01T00:00:00Z")
    assert later.exit_code == 1 and "'web-scroll-depth' is not active there at that time (dewiki, 2027-03-01T00:00:00Z)" in later.output
    assert "hint: web-scroll-depth is active from 2026-11-01T00:00:00Z to 2027-01-31T22:59:59Z, both included" in later.output
    assert "did you mean" not in later.output, "the name is right: the hint says when it is active"


def test_show_repository_picks_the_document_as_a_plain_function(instrumented: Path):
    from streamconf.workflow import show_repository

    at = instant(AT)
    assert show_repository(instrumented, None, "dewiki", "web-scroll-depth", False, True, at)["sample"] == \
        {"rate": 1.0, "unit": "pageview"}
    body = show_repository(instrumented, None, "dewiki", None, False, False, at)
    assert set(body) == {"streams"} and "a.b" in body["streams"]
    assert show_repository(instrumented, "production", "dewiki", "a.b", False, False, None) == body["streams"]["a.b"]

def json_of(text: str):
    import json

    return json.loads(text)


def test_schedule_lists_coming_starts_and_ends(instrumented: Path, run):
    result = run("schedule", "--root", instrumented, "--at", "2026-10-01T00:00:00Z")
    assert result.output.splitlines() == [
        "at 2026-10-01T00:00:00Z: 2 coming, recompile at 2026-11-01T00:00:00Z",
        "  2026-11-01T00:00:00Z  production  web-scroll-depth starts: 0.5 on the 2 `en` wikis; 1 on dewiki; 0 elsewhere (per pageview)",
        "  2027-01-31T23:00:00Z  production  web-scroll-depth has ended (last active 2027-01-31T22:59:59Z): 0.5 on the 2 `en` wikis; "
        "1 on dewiki; 0 elsewhere (per pageview)"]
    document = json_of(run("schedule", "--root", instrumented, "--at", AT, "--format", "json").output)
    assert document == {"at": AT, "valid_until": "2027-01-31T23:00:00Z", "changes": [
        {"at": "2027-01-31T23:00:00Z", "realm": "production", "event": "end", "instrument": "web-scroll-depth",
         "sample_unit": "pageview", "default": "0",
         "rates": [{"rate": "0.5", "wikis": ["enwiki", "officewiki"]}, {"rate": "1", "wikis": ["dewiki"]}]}]}
    assert run("schedule", "--root", instrumented, "--at", "2027-06-01T00:00:00Z").output == \
        "at 2027-06-01T00:00:00Z: nothing is coming\n"


def test_publish_warns_when_the_build_is_past_valid_until(instrumented: Path, run, tmp_path: Path):
    compile_at(run, instrumented, "2026-10-01T00:00:00Z")  # valid until the start, 2026-11-01, long past
    result = run("publish", instrumented / "build", tmp_path / "dest", "--allow-dirty")  # not in git
    assert result.exit_code == 0
    assert "warning SC304: the build's instruments are as at 2026-10-01T00:00:00Z, valid until 2026-11-01T00:00:00Z, " \
           "which has passed" in result.output
    compile_at(run, instrumented, "2027-06-01T00:00:00Z")  # nothing will change after it
    assert "SC304" not in run("publish", instrumented / "build", tmp_path / "dest", "--allow-dirty").output


def test_service_body_corners(repo: Path, run):
    """The rows of docs/instruments.md's service body table that the other tests do not show."""
    write_tree(repo, {
        "realms/beta.yaml": "base: production\nwikis:\n  enwiki: [en, wiki]\n",
        "instruments/a.yaml": INSTRUMENT.replace("0.5: [enwiki, private]", "'0.50': [private, officewiki]")
                                        .replace("      contextual_attributes: [page_namespace, performer_is_logged_in]\n", "")
                                        .replace("        unit: pageview\n", "")})
    build = compile_at(run, repo)
    (production,) = read_json(build / "production/instruments.json")
    assert production["sample_rate"] == {"default": "0", "0.50": ["officewiki"], "1": ["dewiki"]}
    assert production["contextual_attributes"] == [] and "sample_unit" not in production
    (beta,) = read_json(build / "beta/instruments.json")
    assert beta["sample_rate"] == {"default": "0", "0.50": [], "1": []}, "names beta does not know expand to no wiki"
    assert read_json(build / "production/officewiki/instruments.json")["web-scroll-depth"]["sample"] == {"rate": 0.5, "unit": "session"}


def test_the_fast_schema_check_agrees_for_fields_named_like_schema_keywords(instrumented: Path):
    """`description` is a field of an instrument and a keyword of JSON Schema: the fast check,
    compiled from the schemas, must read it as the field (it once dropped it and refused it)."""
    from streamconf.load import read_sources
    from streamconf.validate import is_valid

    document = read_sources(instrumented).documents["instruments/web/scroll.yaml"]
    assert "description" in document.value["web-scroll-depth"] and is_valid(document.value, "instruments")
