"""The catalog in a real browser: Debian's Chromium loads the built site from file://, a reader
filters and sorts the index with the keyboard and the mouse, follows a link to a stream page
whose values must be what `show` serves, and axe-core finds no serious or critical
accessibility violation on any kind of page. No console error anywhere.

`make test` installs Chromium, chromedriver and axe-core; without them the test is skipped,
except where STREAMCONF_REQUIRE_BROWSER is set (CI), where it fails."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import browser
from conftest import run_installed

missing = browser.missing_tools()
if missing and not os.environ.get("STREAMCONF_REQUIRE_BROWSER"):
    pytest.skip(f"the browser test needs {', '.join(missing)} (make test installs them)", allow_module_level=True)

PAGES = ("index.html", "streams/mediawiki.web_ui_actions.html", "teams/web.html", "wikis/production/enwiki.html",
         "instruments/index.html", "instruments/catalog-demo-link-hover.html", "schedule.html", "wikis/index.html",
         "teams/index.html")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> tuple[Path, Path]:
    assert not missing, f"missing: {missing}"
    root = browser.demo_repository(tmp_path_factory.mktemp("browser") / "repo")
    return root, browser.build_site(root, root.parent / "site")


@pytest.fixture(scope="module")
def driver():
    with browser.chromium() as session:
        yield session


def visible_streams(driver) -> list[str]:
    return [row.find_element("css selector", "th").text for row in driver.find_elements("css selector", "#streams tbody tr")
            if row.is_displayed()]


def test_filter_sort_and_follow_a_link(site, driver):
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    root, out = site
    driver.get((out / "index.html").as_uri())
    everything = visible_streams(driver)
    assert len(everything) > 30
    assert driver.find_element("id", "shown").text == f"{len(everything)} streams"

    text = driver.find_element("id", "filter-text")
    text.send_keys("web_ui")
    assert visible_streams(driver) == ["mediawiki.web_ui_actions"]
    assert driver.find_element("id", "shown").text == f"1 of {len(everything)} streams shown"
    text.send_keys(Keys.CONTROL, "a", Keys.BACKSPACE)

    Select(driver.find_element("id", "filter-owner")).select_by_visible_text("growth")
    growth = visible_streams(driver)
    assert growth and all(row.get_attribute("data-owner") == "growth"
                          for row in driver.find_elements("css selector", "#streams tbody tr") if row.is_displayed())
    Select(driver.find_element("id", "filter-owner")).select_by_index(0)
    Select(driver.find_element("id", "filter-service")).select_by_visible_text("eventgate-main")
    assert set(visible_streams(driver)) >= {"/^mediawiki\\.job\\..+/", "test.event"}
    Select(driver.find_element("id", "filter-service")).select_by_index(0)

    wikis = driver.find_element("xpath", "//th[button[normalize-space()='Wikis']]")
    wikis.find_element("tag name", "button").click()
    assert wikis.get_attribute("aria-sort") == "ascending"
    counts = [int(row.find_elements("css selector", "td")[4].text) for row in driver.find_elements("css selector", "#streams tbody tr")]
    assert counts == sorted(counts) and counts[0] < counts[-1]
    wikis.find_element("tag name", "button").send_keys(Keys.ENTER)  # the keyboard sorts too
    assert wikis.get_attribute("aria-sort") == "descending"

    driver.find_element("link text", "mediawiki.web_ui_actions").click()
    assert driver.current_url.endswith("/streams/mediawiki.web_ui_actions.html")
    shown = json.loads(run_installed("show", "enwiki", "mediawiki.web_ui_actions", "--root", root).stdout)
    rates = driver.find_elements("css selector", 'tr[data-path="sample.rate"] li')
    on_enwiki = next(item for item in rates if item.text.endswith(" on enwiki"))
    assert json.loads(on_enwiki.find_element("css selector", "code").text) == shown["sample"]["rate"]
    schema = driver.find_element("css selector", 'tr[data-path="schema_title"] td')
    assert schema.text == f'"{shown["schema_title"]}" on all 41 production wikis'
    assert browser.console_errors(driver) == []


def test_keyboard_reaches_the_content_first(site, driver):
    from selenium.webdriver.common.keys import Keys

    driver.get((site[1] / "index.html").as_uri())
    driver.find_element("tag name", "body").send_keys(Keys.TAB)
    skip = driver.switch_to.active_element
    assert skip.text == "Skip to content" and skip.is_displayed()
    skip.send_keys(Keys.ENTER)
    assert driver.switch_to.active_element.get_attribute("id") == "main"


@pytest.mark.parametrize("path", PAGES)
def test_no_serious_accessibility_violation_and_no_console_error(site, driver, path: str):
    driver.get((site[1] / path).as_uri())
    assert browser.console_errors(driver) == []
    assert browser.axe_violations(driver) == []


def test_screenshots(site, driver, tmp_path: Path):
    index = browser.screenshot(driver, (site[1] / "index.html").as_uri(), tmp_path / "index.png", 900)
    data = index.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 20_000, "a page with content, not a blank one"
