"""pre-commit: the hooks in .pre-commit-hooks.yaml, run by the real pre-commit tool on a temporary
config repository, stop a commit that breaks the config and let the others through."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from conftest import MINIMAL, PROJECT, copy_project_config, write_tree

PRE_COMMIT = Path(sys.executable).parent / "pre-commit"
MANIFEST = PROJECT / ".pre-commit-hooks.yaml"


def pre_commit(*args: str, cwd: Path, home: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(PRE_COMMIT), *args], cwd=cwd, capture_output=True, text=True, timeout=300,
                          env=environment(home))


def environment(home: Path) -> dict[str, str]:
    """The installed streamconf first on PATH, pre-commit's cache in the test's own folder."""
    return {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
            "PRE_COMMIT_HOME": str(home), "GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@example.org",
            "GIT_COMMITTER_NAME": "T", "GIT_COMMITTER_EMAIL": "t@example.org"}


def git(*args: str, cwd: Path, home: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=300, env=environment(home))


def test_the_manifest_is_valid_for_pre_commit(tmp_path: Path):
    result = pre_commit("validate-manifest", str(MANIFEST), cwd=PROJECT, home=tmp_path / "cache")
    assert result.returncode == 0, result.stdout + result.stderr


def local_config(*ids: str) -> str:
    """The manifest's hooks (those named, or the validate hook) as a `repo: local` entry running the
    streamconf already installed (a config repository names this repository and a rev instead;
    pre-commit would clone it)."""
    hooks = [{**hook, "language": "unsupported"} for hook in yaml.safe_load(MANIFEST.read_text())
             if hook["id"] in (ids or ("streamconf-validate",))]
    return yaml.safe_dump({"repos": [{"repo": "local", "hooks": hooks}]}, sort_keys=False)


def test_a_commit_that_breaks_the_config_is_stopped(tmp_path: Path):
    home = tmp_path / "cache"
    root = write_tree(tmp_path / "repo", {**MINIMAL, ".pre-commit-config.yaml": local_config()})
    git("init", "-q", "-b", "main", cwd=root, home=home)
    assert pre_commit("install", cwd=root, home=home).returncode == 0
    git("add", "-A", cwd=root, home=home)
    first = git("commit", "-qm", "Stream config", cwd=root, home=home)
    assert first.returncode == 0, first.stdout + first.stderr

    write_tree(root, {"overrides/production/typo.yaml": "+enwiki:\n  streams:\n    a.b:\n      sample:\n        rate: 2\n"})
    git("add", "-A", cwd=root, home=home)
    refused = git("commit", "-qm", "Sample everything on enwiki", cwd=root, home=home)
    said = refused.stdout + refused.stderr  # git shows the hook's output on stderr
    assert refused.returncode != 0
    assert "streamconf validate" in said and "Failed" in said
    assert "overrides/production/typo.yaml:5:9: error SC002 at +enwiki › streams › a.b › sample › rate: " \
           "2 is greater than the maximum of 1" in said
    assert git("log", "--format=%s", cwd=root, home=home).stdout == "Stream config\n"

    write_tree(root, {"overrides/production/typo.yaml": "+enwiki:\n  streams:\n    a.b:\n      sample:\n        rate: 0.5\n"})
    git("add", "-A", cwd=root, home=home)
    fixed = git("commit", "-qm", "Sample half on enwiki", cwd=root, home=home)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "streamconf validate" in fixed.stderr and "Passed" in fixed.stderr


def test_a_commit_outside_the_config_does_not_run_validate(tmp_path: Path):
    home = tmp_path / "cache"
    root = write_tree(tmp_path / "repo", {**MINIMAL, ".pre-commit-config.yaml": local_config(),
                                          "streams/broken.yaml": "a.c: [\n"})
    git("init", "-q", "-b", "main", cwd=root, home=home)
    git("add", "-A", cwd=root, home=home)
    assert pre_commit("run", "--all-files", cwd=root, home=home).returncode == 1
    git("commit", "-qm", "Broken elsewhere", "--no-verify", cwd=root, home=home)
    write_tree(root, {"README.md": "notes\n"})
    git("add", "README.md", cwd=root, home=home)
    result = pre_commit("run", cwd=root, home=home)
    assert result.returncode == 0 and "(no files to check)Skipped" in result.stdout, result.stdout


def test_a_commit_that_leaves_codeowners_stale_is_stopped(tmp_path: Path):
    """A new stream with its owner in metadata/ changes who must approve its file: the commit waits
    for `streamconf owners` to write CODEOWNERS anew."""
    home = tmp_path / "cache"
    root = copy_project_config(tmp_path / "repo")
    write_tree(root, {".pre-commit-config.yaml": local_config("streamconf-validate", "streamconf-owners")})
    git("init", "-q", "-b", "main", cwd=root, home=home)
    assert pre_commit("install", cwd=root, home=home).returncode == 0
    git("add", "-A", cwd=root, home=home)
    first = git("commit", "-qm", "Stream config", cwd=root, home=home)
    assert first.returncode == 0, first.stdout + first.stderr

    write_tree(root, {"streams/growth/help_panel.yaml": "growth.help_panel:\n  schema_title: analytics/link_hover\n"
                                                        "  destination_event_service: eventgate-analytics-external\n"})
    with (root / "metadata/growth.yaml").open("a") as metadata:
        metadata.write("growth.help_panel:\n  owner: growth\n")
    git("add", "-A", cwd=root, home=home)
    refused = git("commit", "-qm", "The help panel stream", cwd=root, home=home)
    said = refused.stdout + refused.stderr
    assert refused.returncode != 0
    assert "streamconf validate" in said and "streamconf owners --check" in said and "Failed" in said
    assert "/streams/growth/help_panel.yaml" in said

    assert subprocess.run(["streamconf", "owners"], cwd=root, env=environment(home), capture_output=True).returncode == 0
    git("add", "-A", cwd=root, home=home)
    fixed = git("commit", "-qm", "The help panel stream", cwd=root, home=home)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
