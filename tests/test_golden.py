"""Every golden case, with MediaWiki's real answers: `import` the case, `compile` it, and compare
each wiki's bundles with what MediaWiki served."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import GOLDEN, PROJECT, php_equal, read_json, run_installed

CASES = sorted(path.name.removesuffix(".case.json") for path in GOLDEN.glob("*.case.json"))
SHARED = Path(os.environ.get("STREAMCONF_SHARED_GOLDEN", PROJECT.parent / "shared" / "golden"))


def test_golden_cases_are_present():
    assert len(CASES) >= 16
    assert all((GOLDEN / f"{name}.expected.json").is_file() for name in CASES)


@pytest.mark.skipif(not SHARED.is_dir(), reason="no shared golden folder beside the project: the copy is all there is")
def test_the_copy_equals_the_shared_golden_cases():
    """tests/golden/ is a copy of the shared reference; where that sits beside the project, the two
    must not drift."""
    def files(folder: Path) -> dict[str, bytes]:
        return {path.name: path.read_bytes() for path in folder.iterdir() if path.is_file()}
    assert files(GOLDEN) == files(SHARED)


def expected_bundles(name: str):
    expected = read_json(GOLDEN / f"{name}.expected.json")["expected"]
    for realm, wikis in expected.items():
        for wiki, bundles in wikis.items():
            yield realm, wiki, bundles


def compare(build: Path, name: str) -> None:
    for realm, wiki, bundles in expected_bundles(name):
        served = read_json(build / realm / wiki / "streamconfigs.json")
        embedded = read_json(build / realm / wiki / "eventlogging.json")
        assert php_equal(served, bundles["streamconfigs"]), f"{realm}/{wiki} streamconfigs:\n{served}"
        assert php_equal(embedded, bundles["eventlogging"]), f"{realm}/{wiki} eventlogging:\n{embedded}"


@pytest.mark.parametrize("name", CASES)
def test_golden_case(name: str, tmp_path: Path, run):
    root = tmp_path / "repo"
    assert run("import", GOLDEN / f"{name}.case.json", "--root", root).exit_code == 0
    result = run("compile", "--root", root)
    assert result.exit_code == 0, result.output
    compare(root / "build", name)
    realms = read_json(root / "build" / "manifest.json")["realms"]
    expected = {(realm, wiki) for realm, wiki, _ in expected_bundles(name)}
    assert {(realm, wiki) for realm, wikis in realms.items() for wiki in wikis} == expected


def test_golden_case_with_the_installed_program(tmp_path: Path):
    """The same path as a user takes it: the installed program, as separate processes."""
    name = "12-beta-overlay"
    root = tmp_path / "repo"
    imported = run_installed("import", GOLDEN / f"{name}.case.json", "--root", root)
    assert imported.returncode == 0, imported.stderr
    compiled = run_installed("compile", "--root", root, "--out", tmp_path / "out")
    assert compiled.returncode == 0, compiled.stderr
    compare(tmp_path / "out", name)


def test_php_equal_allowances():
    assert php_equal({"a": {}}, {"a": []})
    assert php_equal({"a": 1}, {"a": 1.0})
    assert php_equal({"a": 1, "b": 2}, {"b": 2, "a": 1})
    assert not php_equal([1, 2], [2, 1])
    assert not php_equal({"a": False}, {"a": 0})
    assert not php_equal({"a": None}, {"a": []})
