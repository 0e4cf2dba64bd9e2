"""The catalog site: what it says agrees with `show` and `log`, it links only to its own files, it
is the same bytes for the same input, and it stays small at Wikimedia's size. The browser test
(tests/test_browser.py) loads it in Chromium."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from browser import demo_repository
from conftest import PROJECT, copy_project_config, run_installed, tree_digest, write_tree
from streamconf.catalog.model import NOT_SET, build_catalog, slug
from streamconf.compiler import RealmCompiler
from streamconf.explain import leaves, show
from streamconf.load import read_sources
from streamconf.validate import validate

AT = "2026-12-01"
MAX_PAGE_BYTES = 200_000


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, Path]:
    """The repository's own config with instruments and history, and its site."""
    root = demo_repository(tmp_path_factory.mktemp("demo") / "repo")
    out = root.parent / "site"
    result = run_installed("site", "--root", root, "--out", out, "--at", AT)
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"wrote \d+ pages \(\d+\.\d MB\) into .*\n", result.stdout)
    return root, out


def page(out: Path, path: str) -> str:
    return (out / path).read_text("utf-8")


def test_every_value_is_what_show_serves(tmp_path: Path):
    """For every realm, wiki and stream of the repository's own config: each setting's value in
    the catalog's wiki sets is the one the wiki is served."""
    config, _ = validate(read_sources(copy_project_config(tmp_path)))
    catalog = build_catalog(config)
    checked = 0
    for realm in config.realms:
        compiler = RealmCompiler(config, realm)
        for wiki in config.realms[realm].wikis:
            for key, served in compiler.view(wiki).streamconfigs["streams"].items():
                stream = catalog.streams[key].realms[realm]
                assert wiki in stream.wikis
                expected = {".".join(map(str, path)): show(leaf) for path, leaf in leaves(served) if path[0] != "stream"}
                for path, spread in stream.spreads.items():
                    value = next(value for value, wikis in spread.values if wiki in wikis)
                    assert value == expected.get(path, NOT_SET), (realm, wiki, key, path)
                    checked += 1
    assert checked > 10_000


def test_history_is_what_log_says(demo):
    root, out = demo
    logged = run_installed("log", "mediawiki.web_ui_actions", "--root", root).stdout
    assert "Sample UI actions less on enwiki" in logged and "sample.rate: 0.01 → 0.005   on enwiki" in logged
    text = page(out, "streams/mediawiki.web_ui_actions.html")
    history = text[text.index('id="history"'):]
    assert "Bo Reviewer: Sample UI actions less on enwiki" in history
    assert "<li>sample.rate: 0.01 → 0.005   on enwiki</li>" in history
    assert "Ana Editor: Stream config" in history


def test_stream_page_reads_values_per_wiki_set(demo):
    text = page(demo[1], "streams/mediawiki.web_ui_actions.html")
    rate = re.search(r'<tr data-path="sample.rate">.*?</tr>', text, re.S).group(0)
    assert re.findall(r'<code class="value">([^<]*)</code> on ([^<]*(?:<code>[^<]*</code>[^<]*)?)</li>', rate) == [
        ("0.005", "enwiki"), ("1", "testwiki"), ("0.1", "the other 39 wikis")]
    assert "EventLogging embeds it on all but the 6 <code>private</code> wikis" in text
    assert 'href="../teams/web.html">web</a> · <a href="mailto:web-team@lists.wikimedia.org">' in text


def test_pattern_streams_and_instruments(demo):
    out = demo[1]
    pattern = page(out, "streams/" + slug(r"/^mediawiki\.job\..+/") + ".html")
    assert "Stream pattern" in pattern and "serve every stream name it matches" in pattern
    stream = page(out, "streams/mediawiki.web_ui_actions.html")
    assert 'href="../instruments/catalog-demo-link-hover.html">catalog-demo-link-hover</a> (web)' in stream
    assert '<svg viewBox="0 0 800' in stream and "catalog-demo-edit-funnel from 2026-12-20 00:00 to 2027-02-28 23:59" in stream
    instrument = page(out, "instruments/catalog-demo-link-hover.html")
    assert '<code class="value">0.1</code> on dewiki, enwiki' in instrument
    assert '<code class="value">0</code> on every other wiki' in instrument
    assert "Ana Editor: Stream config" in instrument, "its history, as log tells it"


def test_schedule_lists_the_next_90_days(demo):
    text = page(demo[1], "schedule.html")
    assert "from 2026-12-01 to 2027-03-01" in text
    assert re.search(r"2026-12-20 00:00</time></td><th scope=\"row\"><a href=\"instruments/catalog-demo-edit-funnel.html\">"
                     r"catalog-demo-edit-funnel</a></th><td>production</td><td>starts: 0.5 on every wiki", text)
    assert "2027-03-01" not in text.split("</h1>", 1)[1].split("</p>", 1)[1], "nothing after the 90 days"


def test_team_and_wiki_pages(demo):
    out = demo[1]
    team = page(out, "teams/growth.html")
    assert "growth@lists.wikimedia.org" in team and "mediawiki.edit_attempt" in team and "catalog-demo-edit-funnel" in team
    wiki = page(out, "wikis/production/enwiki.html")
    assert re.search(r'mediawiki.web_ui_actions</a></th><td>web</td><td>pageview 0.005</td><td>embedded</td>', wiki)
    officewiki = page(out, "wikis/production/officewiki.html")
    assert re.search(r'mediawiki.web_ui_actions</a></th><td>web</td><td>pageview 0.1</td><td>—</td>', officewiki)


def test_the_site_is_self_contained(demo):
    """Every link and resource of every page is a file of the site, or a page elsewhere that the
    config names (a task, a contact); no script, style or image comes from outside."""
    out = demo[1]
    pages = sorted(out.rglob("*.html"))
    assert len(pages) > 60
    for path in pages:
        text = path.read_text("utf-8")
        for kind, target in re.findall(r'(href|src)="([^"]*)"', text):
            if target.startswith(("https://", "http://", "mailto:")):
                assert kind == "href" and path.parent.name in ("streams", "instruments", "teams"), (path, target)
                continue
            file, _, anchor = target.partition("#")
            assert (path.parent / file).resolve().is_file() if file else f'id="{anchor}"' in text, (path, target)
        assert "<script>" not in text and "style=" not in text


def test_same_input_same_bytes(demo, tmp_path: Path):
    root, out = demo
    again = tmp_path / "again"
    assert run_installed("site", "--root", root, "--out", again, "--at", AT).returncode == 0
    assert tree_digest(again) == tree_digest(out)


def test_text_is_escaped(tmp_path: Path, run):
    root = copy_project_config(tmp_path / "repo")
    metadata = root / "metadata" / "web.yaml"
    metadata.write_text(metadata.read_text("utf-8").replace(
        "description: Clicks and other", "description: <script>alert(1)</script> Clicks and other"), "utf-8")
    assert run("site", "--root", root, "--out", tmp_path / "site", "--at", AT).exit_code == 0
    text = (tmp_path / "site" / "streams" / "mediawiki.web_ui_actions.html").read_text("utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Clicks" in text and "<script>alert" not in text


def test_site_replaces_its_own_output_and_keeps_it_on_failure(tmp_path: Path, run):
    root = copy_project_config(tmp_path / "repo")
    out = tmp_path / "site"
    assert run("site", "--root", root, "--out", out, "--at", AT).exit_code == 0
    before = tree_digest(out)
    write_tree(root, {"metadata/web.yaml": "mediawiki.web_ui_actions: {owner: nobody}\n"})
    result = run_installed("site", "--root", root, "--out", out, "--at", AT)
    assert result.returncode == 1 and "SL202" in result.stderr and "Traceback" not in result.stderr
    assert tree_digest(out) == before
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert manifest["source"]["kind"] == "catalog site" and "index.html" in manifest["files"]


def test_pages_stay_small_at_wikimedia_scale(tmp_path: Path):
    from synthetic import WIKIMEDIA, generate

    root = generate(tmp_path / "repo", WIKIMEDIA)
    out = tmp_path / "site"
    result = run_installed("site", "--root", root, "--out", out, "--at", AT, timeout=300)
    assert result.returncode == 0, result.stderr
    sizes = {path.relative_to(out).as_posix(): path.stat().st_size for path in out.rglob("*.html")}
    assert len(sizes) > 1300
    assert max(sizes.values()) <= MAX_PAGE_BYTES, max(sizes.items(), key=lambda item: item[1])


def test_outside_git_the_site_says_there_is_no_history(tmp_path: Path, run):
    root = copy_project_config(tmp_path / "repo")
    assert subprocess.run(["git", "rev-parse"], cwd=root, capture_output=True).returncode != 0
    assert run("site", "--root", root, "--out", tmp_path / "site", "--at", AT).exit_code == 0
    text = (tmp_path / "site" / "streams" / "mediawiki.web_ui_actions.html").read_text("utf-8")
    assert "not in git, or has no commit yet: no history to show" in text


@pytest.mark.parametrize("target", [".", "streams", ".git", "foreign"])
def test_site_writes_only_where_it_may(tmp_path: Path, target: str):
    """The output guard of compile holds for the site: never the repository, its sources, .git or
    a directory of someone else's files."""
    root = copy_project_config(tmp_path / "repo")
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    (root / "foreign").mkdir()
    (root / "foreign" / "notes.txt").write_text("mine")
    before = tree_digest(root)
    result = run_installed("site", "--root", root, "--out", root / target, "--at", AT)
    assert result.returncode == 1 and re.search(r"error SC20[12]", result.stderr), result.stderr
    assert tree_digest(root) == before


def test_without_jinja2_the_site_says_how_to_install_it(tmp_path: Path, run, monkeypatch):
    monkeypatch.setitem(sys.modules, "jinja2", None)  # as if the extra were not installed
    result = run("site", "--root", copy_project_config(tmp_path / "repo"), "--out", tmp_path / "site")
    assert result.exit_code == 1 and "error SC404" in result.output and "pip install 'streamconf[site]'" in result.output
    assert not (tmp_path / "site").exists()
