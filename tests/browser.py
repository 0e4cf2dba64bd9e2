"""The catalog site in a real browser: Debian's Chromium driven through its chromedriver by
Selenium, with axe-core (from npm) run inside the pages. Used by tests/test_browser.py, and by
`make screenshots`, which writes the README's pictures:

    python tests/browser.py docs
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

PROJECT = Path(__file__).resolve().parents[1]
CHROMIUM = Path(os.environ.get("STREAMCONF_CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("STREAMCONF_CHROMEDRIVER", "/usr/bin/chromedriver"))
AXE = PROJECT / ".tools" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
AT = "2026-12-01"

# Instruments for the demonstration repository, besides whatever the repository declares.
INSTRUMENTS = """\
catalog-demo-link-hover:
  description: How often readers hover over links before following them.
  owner: web
  task: https://phabricator.wikimedia.org/T100001
  start: 2026-11-15T00:00:00Z
  end: 2027-01-31T23:59:59Z
  stream_name: mediawiki.web_ui_actions
  schema_title: analytics/mediawiki/client/metrics_event
  contextual_attributes: [page_namespace, performer_is_logged_in]
  sample:
    unit: pageview
    rate:
      default: 0
      "0.1": [enwiki, dewiki]
catalog-demo-edit-funnel:
  description: The first edit of newcomers, step by step.
  owner: growth
  start: 2026-12-20T00:00:00Z
  end: 2027-02-28T23:59:59Z
  stream_name: mediawiki.web_ui_actions
  schema_title: analytics/mediawiki/client/metrics_event
  sample:
    rate:
      default: 0.5
"""


def missing_tools() -> list[str]:
    """What the browser test needs and this machine lacks."""
    return [str(path) for path in (CHROMIUM, CHROMEDRIVER, AXE) if not path.is_file()]


def demo_repository(destination: Path) -> Path:
    """The repository's own config with two instruments, in git with a commit that changes a
    sample rate, so that every part of the catalog has something to show."""
    for name in ("realms", "streams", "overrides", "metadata", "instruments", "tests/fixtures/event-schemas"):
        if (PROJECT / name).is_dir():
            shutil.copytree(PROJECT / name, destination / name)
    for name in ("streamconf.yaml", "stream-defaults.yaml", "eventlogging.yaml", "owners.yaml"):
        shutil.copy(PROJECT / name, destination / name)
    (destination / "instruments").mkdir(exist_ok=True)
    (destination / "instruments" / "catalog-demo.yaml").write_text(INSTRUMENTS, "utf-8")
    environment = {**os.environ, "GIT_AUTHOR_NAME": "Ana Editor", "GIT_AUTHOR_EMAIL": "ana@example.org",
                   "GIT_COMMITTER_NAME": "Ana Editor", "GIT_COMMITTER_EMAIL": "ana@example.org",
                   "GIT_AUTHOR_DATE": "2026-11-20T10:00:00Z", "GIT_COMMITTER_DATE": "2026-11-20T10:00:00Z"}

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=destination, env=environment, check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    git("add", "-A")
    git("commit", "-q", "-m", "Stream config")
    wikipedias = destination / "overrides" / "production" / "wikipedias.yaml"
    wikipedias.write_text(wikipedias.read_text("utf-8").replace("rate: 0.01", "rate: 0.005", 1), "utf-8")
    environment.update(GIT_AUTHOR_NAME="Bo Reviewer", GIT_AUTHOR_DATE="2026-11-22T09:30:00Z",
                       GIT_COMMITTER_DATE="2026-11-22T09:30:00Z")
    git("commit", "-q", "-am", "Sample UI actions less on enwiki")
    return destination


def build_site(root: Path, out: Path) -> Path:
    executable = Path(sys.executable).parent / "streamconf"
    subprocess.run([str(executable), "site", "--root", str(root), "--out", str(out), "--at", AT], check=True,
                   capture_output=True, text=True)
    return out


@contextmanager
def chromium(width: int = 1280, height: int = 900) -> Iterator[object]:
    """A headless Chromium session; nothing is downloaded (the driver and browser are Debian's)."""
    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager fetch a browser
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     f"--window-size={width},{height}", "--hide-scrollbars", "--force-color-profile=srgb"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    try:
        yield driver
    finally:
        driver.quit()


def console_errors(driver) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def axe_violations(driver, impacts: tuple[str, ...] = ("serious", "critical")) -> list[str]:
    """axe-core's violations of the given impacts on the loaded page, one line each."""
    driver.execute_script(AXE.read_text("utf-8"))
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations'], preload: false})"  # no stylesheet fetch from file://
        ".then(done, error => done({error: String(error)}));")
    assert "error" not in result, result
    return [f"{violation['id']} ({violation['impact']}): {violation['help']} — "
            + "; ".join(node["target"][0] if isinstance(node["target"][0], str) else str(node["target"]) for node in violation["nodes"][:3])
            for violation in result["violations"] if violation["impact"] in impacts]


def screenshot(driver, url: str, target: Path, height: int | None = None) -> Path:
    driver.get(url)
    if height:
        driver.set_window_size(1280, height)
    driver.save_screenshot(str(target))
    return target


def main(folder: str) -> None:
    """Write docs/catalog-index.png and docs/catalog-stream.png."""
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        site = build_site(demo_repository(Path(scratch) / "repo"), Path(scratch) / "site")
        with chromium() as driver:
            screenshot(driver, (site / "index.html").as_uri(), PROJECT / folder / "catalog-index.png", 900)
            screenshot(driver, (site / "streams" / "mediawiki.web_ui_actions.html").as_uri(),
                       PROJECT / folder / "catalog-stream.png", 2000)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "docs")
