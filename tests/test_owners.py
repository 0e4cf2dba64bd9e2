"""Owners: owners.yaml and metadata/, the owner lint rules, CODEOWNERS and its check; and the
metadata never reaching a bundle."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from conftest import PROJECT, copy_project_config, run_installed, tree_digest, write_tree
from streamconf.codeowners import file_owners, render_codeowners
from streamconf.lint import lint
from streamconf.load import parse_files, read_sources
from streamconf.validate import validate

REALM = "wikis:\n  enwiki: [en, wiki]\n  dewiki: [de, wiki]\n  officewiki: [private, en, wiki]\n"
STREAM = "  schema_title: analytics/a\n  destination_event_service: eventgate-analytics-external\n"
TEAMS = """
    maintainers: platform
    teams:
      platform: {description: Platform., contact: platform@example.org, gitlab: ["@org/platform"]}
      web: {description: Web., contact: web@example.org, gitlab: ["@org/web", "@ana"]}
      apps: {description: Apps., contact: https://example.org/apps, gitlab: [apps@example.org]}
    """
REPOSITORY = {
    "realms/production.yaml": REALM,
    "streams/web.yaml": "web.click:\n" + STREAM + "web.view:\n" + STREAM,
    "streams/apps.yaml": "apps.open:\n" + STREAM + "/^apps\\.job\\..+/:\n" + STREAM,
    "stream-defaults.yaml": "topic_prefixes: [eqiad.]\n",
    "eventlogging.yaml": "- web.click\n",
    "owners.yaml": TEAMS,
    "metadata/web.yaml": """
        web.click: {owner: web, description: Clicks., tags: [ui], retention_days: 90, personal_data: false}
        web.view: {owner: web}
        """,
    "metadata/apps.yaml": "apps.open: {owner: apps}\n/^apps\\.job\\..+/: {owner: apps}\n",
    "overrides/production/both.yaml": "+enwiki:\n  streams:\n    web.click: {sample: {rate: 1}}\n    apps.open: {sample: {rate: 1}}\n",
    "overrides/production/jobs.yaml": "+dewiki:\n  eventlogging_streams: [apps.job.refresh]\n",
    "overrides/production/private.yaml": "private:\n  stream_defaults: {topic_prefixes: [eqiad.]}\n",
}


def checked(root: Path) -> list[str]:
    config, diagnostics = validate(read_sources(root))
    assert config is not None, "\n".join(d.render() for d in diagnostics)
    return [d.render() for d in lint(config, root) if d.code.startswith("SL2")]


def config_of(root: Path):
    config, diagnostics = validate(read_sources(root))
    assert config is not None, "\n".join(d.render() for d in diagnostics)
    return config


def test_a_repository_with_every_owner_is_quiet(tmp_path: Path):
    assert checked(write_tree(tmp_path / "repo", REPOSITORY)) == []


def test_missing_owner_is_a_warning_and_an_error_with_require_owners(tmp_path: Path):
    root = write_tree(tmp_path / "repo", {**REPOSITORY, "metadata/apps.yaml": "apps.open: {owner: apps}\n"})
    assert checked(root) == [
        "streams/apps.yaml:4:1: warning SL201 at /^apps\\.job\\..+/: stream '/^apps\\\\.job\\\\..+/' has no owner\n"
        "    hint: add `/^apps\\.job\\..+/: {owner: TEAM}` to a file in metadata/, TEAM one of owners.yaml's teams"]
    write_tree(root, {"streamconf.yaml": "require_owners: true\n"})
    assert [line.split()[1] for line in checked(root)] == ["error"]


def test_owner_rules_are_quiet_before_owners_yaml_exists(tmp_path: Path):
    files = {name: text for name, text in REPOSITORY.items() if not name.startswith("owners")} | INSTRUMENTS
    assert checked(write_tree(tmp_path / "repo", files)) == [], "owners name no teams yet"
    bare = {name: text for name, text in files.items() if not name.startswith("metadata")}
    write_tree(tmp_path / "bare", {**bare, "streamconf.yaml": "require_owners: true\n"})
    assert len(checked(tmp_path / "bare")) == 4, "require_owners asks for owners even without owners.yaml"


def test_unknown_team_and_undeclared_metadata_are_errors(tmp_path: Path):
    root = write_tree(tmp_path / "repo", {**REPOSITORY, "metadata/web.yaml": "web.click: {owner: webb}\nweb.veiw: {owner: web}\n"})
    found = checked(root)
    assert "metadata/web.yaml:1:13: error SL202 at web.click › owner: 'webb' is not a team of owners.yaml\n    hint: did you mean web?" in found
    assert "metadata/web.yaml:2:1: error SL203 at web.veiw: metadata for 'web.veiw', which no layer declares\n" \
           "    hint: did you mean web.view?" in found
    assert any("SL201" in line and "web.view" in line for line in found), "the stream the typo meant has no owner"


def test_unknown_maintainers_team(tmp_path: Path):
    root = write_tree(tmp_path / "repo", {**REPOSITORY, "owners.yaml": TEAMS.replace("maintainers: platform", "maintainers: platfrom")})
    assert checked(root) == ["owners.yaml:1:1: error SL202 at maintainers: 'platfrom' is not a team of owners.yaml\n"
                             "    hint: did you mean platform?"]


@pytest.mark.parametrize("files, expected", [
    ({"owners.yaml": "teams:\n  web: {description: W., contact: c, gitlab: [not-a-user]}\n"},
     "owners.yaml:2:47: error SC002 at teams › web › gitlab › 0: 'not-a-user' does not match"),
    ({"metadata/web.yaml": "web.click: {description: no owner}\n"},
     "metadata/web.yaml:1:1: error SC002 at web.click: 'owner' is a required property"),
    ({"metadata/more.yaml": "web.click: {owner: web}\n"},
     "metadata/web.yaml:1:1: error SC403 at web.click: the metadata of 'web.click' is given twice: also at metadata/more.yaml:1:1"),
])
def test_owner_files_are_validated_with_file_line_and_path(tmp_path: Path, files: dict, expected: str):
    _, diagnostics = validate(read_sources(write_tree(tmp_path / "repo", {**REPOSITORY, **files})))
    assert any(d.render().startswith(expected) for d in diagnostics), [d.render() for d in diagnostics]
    assert all("hint: see" not in d.render() or "gitlab" not in d.render() for d in diagnostics)


def test_each_file_is_owned_by_the_teams_whose_streams_it_touches(tmp_path: Path):
    owners = file_owners(config_of(write_tree(tmp_path / "repo", REPOSITORY)))
    assert owners == {
        "streams/web.yaml": {"web"}, "streams/apps.yaml": {"apps"},
        "metadata/web.yaml": {"web"}, "metadata/apps.yaml": {"apps"},
        "overrides/production/both.yaml": {"web", "apps"},  # each team must approve
        "overrides/production/jobs.yaml": {"apps"},  # apps.job.refresh is the pattern's
        "overrides/production/private.yaml": {"platform"},  # stream defaults touch every stream
        "stream-defaults.yaml": {"platform"}, "eventlogging.yaml": {"platform"},
    }


def test_codeowners_text(tmp_path: Path):
    text = render_codeowners(config_of(write_tree(tmp_path / "repo", REPOSITORY)), "config/")
    assert text.split("\n\n", 1)[1] == """\
[apps]
/config/metadata/apps.yaml apps@example.org
/config/overrides/production/both.yaml apps@example.org
/config/overrides/production/jobs.yaml apps@example.org
/config/streams/apps.yaml apps@example.org

[platform]
/config/CODEOWNERS @org/platform
/config/eventlogging.yaml @org/platform
/config/overrides/production/private.yaml @org/platform
/config/owners.yaml @org/platform
/config/realms/ @org/platform
/config/stream-defaults.yaml @org/platform
/config/streamconf.yaml @org/platform

[web]
/config/metadata/web.yaml @org/web @ana
/config/overrides/production/both.yaml @org/web @ana
/config/streams/web.yaml @org/web @ana
"""


def test_owners_writes_and_check_names_stale_lines(tmp_path: Path, run):
    root = write_tree(tmp_path / "repo", REPOSITORY)
    missing = run("owners", "--check", "--root", root)
    assert missing.exit_code == 1 and "error SC401: CODEOWNERS does not exist" in missing.output
    assert not (root / "CODEOWNERS").exists()
    written = run("owners", "--root", root)
    assert written.exit_code == 0 and written.output == f"wrote {root / 'CODEOWNERS'}: 3 teams\n"
    first = (root / "CODEOWNERS").read_bytes()
    assert run("owners", "--root", root).exit_code == 0 and (root / "CODEOWNERS").read_bytes() == first
    assert run("owners", "--check", "--root", root).output == f"{root / 'CODEOWNERS'} is up to date\n"

    write_tree(root, {"metadata/apps.yaml": "apps.open: {owner: web}\n/^apps\\.job\\..+/: {owner: apps}\n"})
    stale = run_installed("owners", "--check", "--root", root)
    assert stale.returncode == 1
    assert f"{root / 'CODEOWNERS'}:6:1: error SC401: stale line: /overrides/production/both.yaml apps@example.org" in stale.stderr
    assert "missing line: /overrides/production/both.yaml @org/web @ana" not in stale.stderr  # already there
    assert "missing line: /streams/apps.yaml @org/web @ana" in stale.stderr
    assert "hint: run `streamconf owners` and commit CODEOWNERS" in stale.stderr
    assert (root / "CODEOWNERS").read_bytes() == first, "--check writes nothing"


def test_owners_leaves_a_codeowners_it_did_not_write(tmp_path: Path):
    root = write_tree(tmp_path / "repo", {**REPOSITORY, "CODEOWNERS": "* @someone\n"})
    before = tree_digest(root)
    result = run_installed("owners", "--root", root)
    assert result.returncode == 1
    assert "error SC402: the file was not written by `streamconf owners`; it is left as it is" in result.stderr
    assert tree_digest(root) == before


def test_metadata_never_enters_a_bundle(tmp_path: Path, run):
    with_owners = write_tree(tmp_path / "with", REPOSITORY)
    without = write_tree(tmp_path / "without", {name: text for name, text in REPOSITORY.items()
                                                if not name.startswith(("owners", "metadata"))})
    for root in (with_owners, without):
        assert run("compile", "--root", root).exit_code == 0
    bundles = sorted(path.relative_to(with_owners / "build") for path in (with_owners / "build").rglob("*.json")
                     if path.name != "manifest.json")
    assert bundles and all((with_owners / "build" / b).read_bytes() == (without / "build" / b).read_bytes() for b in bundles)
    assert b"owner" not in b"".join((with_owners / "build" / b).read_bytes() for b in bundles)


def test_own_codeowners_is_current(tmp_path: Path):
    root = copy_project_config(tmp_path / "own")
    result = run_installed("owners", "--check", "--root", root)
    assert result.returncode == 0, result.stderr
    assert (PROJECT / "CODEOWNERS").read_text("utf-8").startswith("# CODEOWNERS, generated by `streamconf owners`")


team_names = st.sampled_from(["web", "apps", "growth"])


@settings(max_examples=60, deadline=None)
@given(owners=st.lists(st.one_of(st.none(), team_names), min_size=4, max_size=4),
       touches=st.lists(st.sets(st.integers(0, 3)), min_size=1, max_size=4))
def test_codeowners_lists_each_file_under_exactly_the_owners_of_what_it_touches(owners, touches):
    """Parse the generated file back: each override file sits in the section of each team owning
    a stream it touches, and in the maintainers' section when none is owned."""
    streams = "".join(f"s.n{index}:\n{STREAM}" for index in range(4))
    files = {"realms/production.yaml": REALM, "streams/s.yaml": streams,
             "owners.yaml": "maintainers: growth\nteams:\n" + "".join(
                 f"  {team}: {{description: d, contact: c, gitlab: ['@{team}']}}\n" for team in ("web", "apps", "growth")),
             "metadata/m.yaml": "".join(f"s.n{index}: {{owner: {team}}}\n" for index, team in enumerate(owners) if team) or "{}\n"}
    for number, touched in enumerate(touches):
        key = ("+enwiki", "+dewiki", "+officewiki", "+wiki")[number]
        files[f"overrides/production/o{number}.yaml"] = f"{key}:\n  streams:\n" + "".join(
            f"    s.n{index}: {{sample: {{rate: 1}}}}\n" for index in sorted(touched)) if touched else "{}\n"
    config, diagnostics = validate(parse_files({name: text.encode() for name, text in files.items()}))
    assert config is not None, diagnostics
    sections: dict[str, set[str]] = {}
    team = None
    for line in render_codeowners(config).splitlines():
        if line.startswith("["):
            team = line.strip("[]")
        elif line and not line.startswith("#"):
            path, approver = line.split()
            assert approver == f"@{team}"
            sections.setdefault(path, set()).add(team)
    for number, touched in enumerate(touches):
        expected = {owners[index] for index in touched if owners[index]} or {"growth"}
        assert sections.get(f"/overrides/production/o{number}.yaml", {"growth"} if not touched else set()) == expected


def test_the_owner_schemas_have_fast_validators():
    """A schema that fastjsonschema cannot compile would send every file through jsonschema."""
    from streamconf.load import parse_yaml
    from streamconf.validate import SCHEMA_OF_KIND, fast_validators, is_valid

    assert set(fast_validators()) == set(SCHEMA_OF_KIND)
    assert is_valid(parse_yaml((PROJECT / "owners.yaml").read_text("utf-8"), "owners.yaml").value, "owners")
    assert is_valid(parse_yaml((PROJECT / "metadata/web.yaml").read_text("utf-8"), "metadata/web.yaml").value, "metadata")


INSTRUMENTS = {
    "realms/beta.yaml": "base: production\nwikis:\n  enwiki: [en, wiki]\n",
    "instruments/web.yaml": """
        web-scroll:
          owner: web
          start: 2026-11-01T00:00:00Z
          end: 2027-01-31T00:00:00Z
          stream_name: web.click
          schema_title: analytics/a
          sample: {rate: {default: 0.5}}
        apps-open:
          owner: apps
          start: 2026-11-01T00:00:00Z
          end: 2027-01-31T00:00:00Z
          stream_name: apps.open
          schema_title: analytics/a
          sample: {rate: {default: 0.5}}
        """,
    "overrides/beta/instruments/rates.yaml": "apps-open:\n  sample: {rate: {default: 1}}\n",
}


def test_instrument_files_are_owned_by_their_instruments_owners(tmp_path: Path):
    owners = file_owners(config_of(write_tree(tmp_path / "repo", {**REPOSITORY, **INSTRUMENTS})))
    assert owners["instruments/web.yaml"] == {"web", "apps"}
    assert owners["overrides/beta/instruments/rates.yaml"] == {"apps"}, "a realm's change to an instrument needs its owner"


def test_instruments_without_an_owner_or_with_an_unknown_one(tmp_path: Path):
    text = INSTRUMENTS["instruments/web.yaml"].replace("owner: web", "description: d").replace("owner: apps", "owner: app")
    root = write_tree(tmp_path / "repo", {**REPOSITORY, **INSTRUMENTS, "instruments/web.yaml": text})
    assert checked(root) == [
        "instruments/web.yaml:1:1: warning SL201 at web-scroll: instrument 'web-scroll' has no owner\n"
        "    hint: add `owner: TEAM`, TEAM one of owners.yaml's teams (its stream's owner is web)"]
    unknown = [d.render() for d in lint(config_of(root), root) if d.code == "SL115"]
    assert unknown == ["instruments/web.yaml:9:3: error SL115 at apps-open › owner: instrument 'apps-open': owner 'app' "
                       "is not a team of owners.yaml\n    hint: did you mean apps?"], "SL115 judges against owners.yaml's teams"
