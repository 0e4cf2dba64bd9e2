"""`streamconf new stream|instrument`: a minimal, valid, commented file in the right place, the
values asked for at a terminal, and never a file overwritten."""

from __future__ import annotations

import os
import pty
import re
import subprocess
from pathlib import Path

import pytest

from conftest import EXECUTABLE, copy_project_config, run_installed, tree_digest, write_tree
from streamconf.editors import MODELINE

NEW_STREAM = ("new", "stream", "mediawiki.web_ui_scroll", "--schema-title", "analytics/mediawiki/client/metrics_event",
              "--service", "eventgate-analytics-external", "--owner", "web")


def test_a_new_stream_is_valid_and_in_its_place(tmp_path: Path):
    root = copy_project_config(tmp_path / "repo")
    result = run_installed(*NEW_STREAM, "--root", root)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("wrote streams/mediawiki/web_ui_scroll.yaml\n")
    text = (root / "streams/mediawiki/web_ui_scroll.yaml").read_text()
    assert text.startswith(f"{MODELINE}../../schemas/stream-map.schema.json\n# ")
    assert "mediawiki.web_ui_scroll:\n" in text and "  # sample:\n" in text
    checked = run_installed("validate", "--root", root, "--strict")
    assert checked.returncode == 0 and checked.stderr == "", checked.stderr
    shown = run_installed("show", "enwiki", "mediawiki.web_ui_scroll", "--root", root)
    assert '"schema_title": "analytics/mediawiki/client/metrics_event"' in shown.stdout


def test_new_never_overwrites_and_refuses_what_would_not_validate(tmp_path: Path, run):
    root = copy_project_config(tmp_path / "repo")
    assert run(*NEW_STREAM, "--root", root).exit_code == 0
    before = (root / "streams/mediawiki/web_ui_scroll.yaml").read_bytes()
    again = run(*NEW_STREAM, "--root", root)
    assert again.exit_code == 1 and "stream 'mediawiki.web_ui_scroll' is already declared in streams/" in again.output
    (root / "streams/mediawiki/web_ui_scroll.yaml").rename(root / "streams/mediawiki/elsewhere.yaml")
    write_tree(root, {"streams/mediawiki/web_ui_scroll.yaml": "# my notes\n"})
    taken = run("new", "stream", "mediawiki.web_ui_scroll2", "--root", root, "--schema-title", "a", "--service", "eventgate-main",
                "--owner", "web")
    assert taken.exit_code == 0
    clash = run(*NEW_STREAM[:2], "mediawiki.web_ui_scroll.v2", *NEW_STREAM[3:], "--root", root)
    assert clash.exit_code == 0, "another name, another file"
    write_tree(root, {"streams/mediawiki/other.yaml": "# mine\n"})
    refused = run("new", "stream", "mediawiki.other", "--root", root, "--schema-title", "a", "--service", "eventgate-main",
                  "--owner", "web")
    assert refused.exit_code == 1 and "streams/mediawiki/other.yaml already exists" in refused.output
    assert (root / "streams/mediawiki/other.yaml").read_text() == "# mine\n"
    assert (root / "streams/mediawiki/elsewhere.yaml").read_bytes() == before
    bad = run("new", "stream", "Media.Bad", "--root", root, "--schema-title", "a", "--service", "eventgate-main", "--owner", "web")
    assert bad.exit_code == 1 and "does not follow the naming convention" in bad.output
    missing = run("new", "stream", "mediawiki.fine", "--root", root, "--owner", "web")
    assert missing.exit_code == 2 and "give --schema-title" in missing.output


def test_a_new_instrument_takes_its_stream_schema(tmp_path: Path, run):
    root = copy_project_config(tmp_path / "repo")
    taken = run("new", "instrument", "web-scroll-depth", "--root", root, "--owner", "web", "--stream", "mediawiki.web_ui_actions")
    assert taken.exit_code == 1 and "instrument 'web-scroll-depth' is already declared in instruments/" in taken.output
    result = run("new", "instrument", "web-scroll-speed", "--root", root, "--owner", "web", "--stream", "mediawiki.web_ui_actions",
                 "--start", "2026-12-01T00:00:00Z")
    assert result.exit_code == 0, result.output
    text = (root / "instruments/web/web-scroll-speed.yaml").read_text()
    assert text.startswith(f"{MODELINE}../../schemas/instruments.schema.json\n")
    assert "  schema_title: analytics/mediawiki/client/metrics_event\n" in text
    assert "  start: 2026-12-01T00:00:00Z" in text and "  end: 2026-12-30T23:59:59Z" in text
    checked = run_installed("validate", "--root", root)
    assert checked.returncode == 0, checked.stderr
    shown = run_installed("compile", "--root", root, "--out", tmp_path / "out", "--at", "2026-12-10T00:00:00Z")
    assert shown.returncode == 0, shown.stderr
    assert '"web-scroll-speed"' in (tmp_path / "out/production/instruments.json").read_text()
    assert run("new", "instrument", "Web_Scroll", "--root", root, "--owner", "web", "--stream", "x", "--schema-title", "y"
               ).exit_code == 1


def test_new_asks_at_a_terminal(tmp_path: Path):
    """What is not given is asked for when a person is at the terminal (here: a pseudo-terminal)."""
    root = copy_project_config(tmp_path / "repo")
    controller, terminal = pty.openpty()
    process = subprocess.Popen([str(EXECUTABLE), "new", "stream", "mediawiki.asked", "--root", str(root)],
                               stdin=terminal, stdout=terminal, stderr=terminal, env={**os.environ, "TERM": "dumb"})
    os.close(terminal)
    said = b""
    for answer in (b"web\n", b"analytics/asked\n", b"eventgate-main\n"):
        while b": " not in said.rsplit(b"\n", 1)[-1]:
            said += os.read(controller, 1024)
        os.write(controller, answer)
        said += os.read(controller, 1024)
    assert process.wait(timeout=60) == 0
    assert b"Owner (apps, " in said and b"Schema title:" in said and b"Destination event service (eventgate-main, " in said
    text = (root / "streams/mediawiki/asked.yaml").read_text()
    assert "schema_title: analytics/asked\n" in text and "destination_event_service: eventgate-main\n" in text


def test_the_default_window_starts_tomorrow_and_lasts_thirty_days():
    from datetime import datetime, timezone

    from streamconf.scaffold import window

    now = datetime(2026, 12, 1, 9, 30, tzinfo=timezone.utc)
    assert [moment.isoformat() for moment in window(None, None, now)] == ["2026-12-02T00:00:00+00:00", "2026-12-31T23:59:59+00:00"]


def test_a_new_stream_gets_its_owner_in_metadata(tmp_path: Path, run):
    root = copy_project_config(tmp_path / "repo")
    result = run_installed("new", "stream", "growth.help_panel", "--schema-title", "analytics/link_hover",
                           "--service", "eventgate-analytics-external", "--owner", "growth", "--root", root)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ("wrote streams/growth/help_panel.yaml\n"
                             "added growth.help_panel to metadata/growth.yaml; CODEOWNERS changes with it: run `streamconf owners`\n")
    assert (root / "metadata/growth.yaml").read_text().endswith("growth.help_panel:\n  owner: growth\n"
                                                                 "  # description: what it collects, and why\n")
    checked = run_installed("validate", "--root", root, "--strict")
    assert checked.returncode == 0 and checked.stderr == "", checked.stderr
    assert run_installed("owners", "--check", "--root", root).returncode == 1
    assert run_installed("owners", "--root", root).returncode == 0
    assert "/streams/growth/help_panel.yaml @repos/growth" in (root / "CODEOWNERS").read_text()

    fresh = run("new", "stream", "web.fresh", "--root", root, "--schema-title", "a", "--service", "eventgate-main",
                "--owner", "newteam")
    assert fresh.exit_code == 1 and "'newteam' is not a team of owners.yaml" in fresh.output
    assert not (root / "streams/web/fresh.yaml").exists()
    asked = run("new", "stream", "web.fresh", "--root", root, "--schema-title", "a", "--service", "eventgate-main")
    assert asked.exit_code == 2 and "give --owner (one of apps, data-engineering" in asked.output


def test_owner_needs_owners_yaml(tmp_path: Path, run):
    root = write_tree(tmp_path / "repo", {"realms/production.yaml": "wikis:\n  enwiki: [en, wiki]\n"})
    result = run("new", "stream", "a.b", "--root", root, "--schema-title", "a", "--service", "eventgate-main", "--owner", "web")
    assert result.exit_code == 1 and "this repository has none" in result.output
    assert run("new", "stream", "a.b", "--root", root, "--schema-title", "a", "--service", "eventgate-main").exit_code == 0


# The scaffolding decisions, called as plain functions (the command line only parses and reports).


def answering(answers: dict[str, str]):
    """An `ask` that answers what is not given as a person at the terminal would, from `answers`
    by option; it records each question with its choices."""
    asked = []

    def ask(value, option, question, choices=()):
        asked.append((option, tuple(choices)))
        return value or answers[option]
    ask.asked = asked
    return ask


def test_new_stream_writes_the_stream_and_its_owner(tmp_path: Path):
    from streamconf.scaffold import Scaffolded, new_stream

    root = copy_project_config(tmp_path / "repo")
    ask = answering({"--schema-title": "analytics/asked", "--service": "eventgate-main"})
    written = new_stream(root, "growth.asked", None, None, "growth", ask)
    assert written == Scaffolded("growth.asked", "streams/growth/asked.yaml", "metadata/growth.yaml")
    assert [option for option, _ in ask.asked] == ["--owner", "--schema-title", "--service"]
    assert "growth" in dict(ask.asked)["--owner"] and "eventgate-main" in dict(ask.asked)["--service"]
    text = (root / "streams/growth/asked.yaml").read_text()
    assert "schema_title: analytics/asked\n" in text and "destination_event_service: eventgate-main\n" in text
    assert (root / "metadata/growth.yaml").read_text().endswith("growth.asked:\n  owner: growth\n"
                                                                 "  # description: what it collects, and why\n")


def test_new_stream_without_owners_yaml_asks_for_no_owner(tmp_path: Path):
    from streamconf.scaffold import ScaffoldError, new_stream

    root = write_tree(tmp_path / "repo", {"realms/production.yaml": "wikis:\n  enwiki: [en, wiki]\n"})
    ask = answering({})
    with pytest.raises(ScaffoldError, match="this repository has none"):
        new_stream(root, "a.b", "s/t", "eventgate-main", "web", ask)
    written = new_stream(root, "a.b", "s/t", "eventgate-main", None, ask)
    assert (written.file, written.owner_file) == ("streams/a/b.yaml", None)
    assert [option for option, _ in ask.asked] == ["--schema-title", "--service"]
    assert not (root / "metadata").exists()


def test_new_stream_refuses_before_asking_or_writing(tmp_path: Path):
    from streamconf.scaffold import ScaffoldError, new_stream

    root = copy_project_config(tmp_path / "repo")
    before = tree_digest(root)
    for name, owner, says in [("mediawiki.web_ui_actions", "web", "is already declared in streams/"),
                              ("Media.Bad", "web", "does not follow the naming convention"),
                              ("web.fresh", "newteam", "'newteam' is not a team of owners.yaml")]:
        ask = answering({})
        with pytest.raises(ScaffoldError, match=re.escape(says)):
            new_stream(root, name, "s/t", "eventgate-main", owner, ask)
        assert [option for option, _ in ask.asked if option != "--owner"] == [], "refused before asking for more"
    assert tree_digest(root) == before


def test_new_instrument_takes_its_stream_schema_and_a_window(tmp_path: Path):
    from datetime import datetime, timezone

    from streamconf.scaffold import Scaffolded, ScaffoldError, new_instrument

    root = copy_project_config(tmp_path / "repo")
    now = datetime(2026, 12, 1, 9, 30, tzinfo=timezone.utc)
    ask = answering({"--stream": "mediawiki.web_ui_actions"})
    written = new_instrument(root, "web-asked", "web", None, None, None, None, now, ask)
    assert written == Scaffolded("web-asked", "instruments/web/web-asked.yaml")
    assert [option for option, _ in ask.asked] == ["--owner", "--stream", "--schema-title"]
    assert "mediawiki.web_ui_actions" in dict(ask.asked)["--stream"]
    text = (root / "instruments/web/web-asked.yaml").read_text()
    assert "  schema_title: analytics/mediawiki/client/metrics_event\n" in text
    assert "  start: 2026-12-02T00:00:00Z" in text and "  end: 2026-12-31T23:59:59Z" in text
    with pytest.raises(ScaffoldError, match="instrument 'web-asked' is already declared in instruments/"):
        new_instrument(root, "web-asked", "web", "mediawiki.web_ui_actions", None, None, None, now, ask)
