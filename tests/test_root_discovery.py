"""Commands find the config repository as git finds its repository: from any folder inside it, by
walking up to the folder that holds the config, no higher than the git root; --root still wins."""

from __future__ import annotations

from pathlib import Path

from conftest import MINIMAL, run_installed, write_tree
from test_git_workflow import commit, git, history  # noqa: F401 - the fixture


def test_commands_work_from_a_folder_inside_the_repository(history):  # noqa: F811
    root, steps = history
    inside = root / "streams" / "growth"
    write_tree(inside, {"a.yaml": "# growth's streams\n"})
    validated = run_installed("validate", cwd=inside)
    assert validated.returncode == 0, validated.stderr
    assert validated.stdout.startswith("valid: 2 realms, production 6 wikis, beta 2 wikis")
    log = run_installed("log", "a.b", "--wiki", "officewiki", cwd=inside)
    assert log.returncode == 0 and [line.split()[0] for line in log.stdout.splitlines() if not line.startswith(" ")] == \
        [steps["initial"][:10], steps["rate"][:10], steps["schema"][:10]]
    assert '"rate": 0.05' in run_installed("show", "officewiki", "a.b", cwd=inside).stdout
    compiled = run_installed("compile", cwd=inside)
    assert compiled.returncode == 0 and compiled.stdout.endswith("into ../../build\n")
    assert (root / "build/production/enwiki/streamconfigs.json").is_file()


def test_root_option_wins(history, tmp_path: Path):  # noqa: F811
    root, _ = history
    other = write_tree(tmp_path / "other", {**MINIMAL, "realms/production.yaml": "wikis:\n  xxwiki: [xx]\n"})
    result = run_installed("validate", "--root", other, cwd=root / "streams")
    assert result.returncode == 0 and "production 1 wikis" in result.stdout


def test_the_search_stops_at_the_git_root(tmp_path: Path):
    outer = write_tree(tmp_path / "outer", MINIMAL)
    inner = outer / "projects" / "unrelated"
    inner.mkdir(parents=True)
    git(inner, "init", "-q", "-b", "main")
    (inner / "docs").mkdir()
    result = run_installed("validate", cwd=inner / "docs")
    assert result.returncode == 1
    assert "realms/production.yaml" in result.stderr, "the config of a folder above the git root is not used"
    found = run_installed("validate", cwd=outer / "projects")
    assert found.returncode == 0, "outside git the search goes up to the config"
