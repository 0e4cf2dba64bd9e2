"""Shell completion: the scripts click writes for bash, zsh and fish, and what the installed program
answers through click's environment-variable protocol, the way those scripts call it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from conftest import EXECUTABLE, copy_project_config, run_installed


@pytest.fixture(scope="module")
def repository(tmp_path_factory) -> Path:
    """The repository's own config in a git repository with a branch and a tag."""
    root = copy_project_config(tmp_path_factory.mktemp("completion") / "repo")
    for command in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "Stream config"],
                    ["branch", "sampling-change"], ["tag", "v2026.11.01"]):
        subprocess.run(["git", "-c", "user.name=T", "-c", "user.email=t@example.org", *command], cwd=root, check=True,
                       capture_output=True)
    return root


def complete(root: Path, line: str, shell: str = "bash") -> list[str]:
    """What the installed program offers for the last word of `line` (empty after a space)."""
    words = line.split()
    current = len(words) - (0 if line.endswith(" ") else 1)
    env = {**os.environ, "_STREAMCONF_COMPLETE": f"{shell}_complete", "COMP_WORDS": line, "COMP_CWORD": str(current)}
    if shell == "fish":  # fish passes the line up to the cursor, and the word being completed
        env.update(COMP_WORDS=line, COMP_CWORD="" if line.endswith(" ") else words[-1])
    result = subprocess.run([str(EXECUTABLE)], cwd=root, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    if shell == "zsh":  # type, value, description: three lines each
        lines = result.stdout.splitlines()
        return [lines[index + 1] for index in range(0, len(lines), 3)]
    return [item.split(",", 1)[1].split("\t")[0] for item in result.stdout.splitlines() if item]  # type,value[\thelp]


def test_wikis_of_the_realm_given(repository: Path):
    assert complete(repository, "streamconf show enw")[:3] == ["enwiki", "enwikibooks", "enwikinews"]
    assert complete(repository, "streamconf show --realm beta en") == ["en_rtlwiki", "enwiki", "enwiktionary"]
    assert complete(repository, "streamconf compile --realm beta --wiki en") == ["en_rtlwiki", "enwiki", "enwiktionary"]
    assert "dewiki" in complete(repository, "streamconf log mediawiki.web_ui_actions --wiki ")


def test_stream_names_not_patterns(repository: Path):
    assert complete(repository, "streamconf show enwiki mediawiki.web_") == ["mediawiki.web_ab_test_enrollment",
                                                                         "mediawiki.web_ui_actions"]
    offered = complete(repository, "streamconf explain enwiki ")
    assert "eventlogging_NavigationTiming" in offered and not any(name.startswith("/") for name in offered)
    assert complete(repository, "streamconf log mediawiki.job") == []  # only a pattern: nothing to offer
    assert complete(repository, "streamconf log web-scroll") == ["web-scroll-depth"], "explain and log take instruments too"


def test_realms_and_refs(repository: Path):
    assert complete(repository, "streamconf validate --root . --realm ") == []  # validate has no --realm
    assert complete(repository, "streamconf show --realm ") == ["beta", "production"]
    assert complete(repository, "streamconf diff ") == ["HEAD", "main", "sampling-change", "v2026.11.01"]
    assert complete(repository, "streamconf compile --ref v") == ["v2026.11.01"]
    assert complete(repository, "streamconf new stream x.y --owner g") == ["growth"]


def test_root_is_read_from_the_command_line(repository: Path, tmp_path: Path):
    assert complete(tmp_path, f"streamconf show --root {repository} --realm beta en") == ["en_rtlwiki", "enwiki", "enwiktionary"]
    assert complete(tmp_path, "streamconf show en") == [], "no repository here: nothing, and no error"
    assert complete(repository / "streams" / "mediawiki", "streamconf show --realm beta en") == \
        ["en_rtlwiki", "enwiki", "enwiktionary"], "from a folder inside the repository, as the commands find it"


def test_zsh_and_fish_get_the_same_names(repository: Path):
    expected = ["en_rtlwiki", "enwiki", "enwiktionary"]
    assert complete(repository, "streamconf show --realm beta en", "zsh") == expected
    assert complete(repository, "streamconf show --realm beta en", "fish") == expected


@pytest.mark.parametrize("shell, marker", [("bash", "complete -o nosort -F _streamconf_completion streamconf"),
                                           ("zsh", "#compdef streamconf"),
                                           ("fish", "complete --no-files --command streamconf")])
def test_the_completion_command_prints_the_script(shell: str, marker: str):
    result = run_installed("completion", shell)
    assert result.returncode == 0 and marker in result.stdout
    assert "_STREAMCONF_COMPLETE" in result.stdout


def test_bash_runs_the_script(repository: Path):
    """The script as bash loads it: its function, called as bash calls it (with the command name), fills
    COMPREPLY."""
    script = run_installed("completion", "bash").stdout
    probe = (f'{script}\nCOMP_WORDS=(streamconf show --realm beta en); COMP_CWORD=4\n'
             '_streamconf_completion streamconf\nprintf "%s\\n" "${COMPREPLY[@]}"\n')
    result = subprocess.run(["bash", "-c", probe], cwd=repository, capture_output=True, text=True, timeout=60,
                            env={**os.environ, "PATH": f"{EXECUTABLE.parent}{os.pathsep}{os.environ['PATH']}"})
    assert result.stdout.split() == ["en_rtlwiki", "enwiki", "enwiktionary"], result.stderr
