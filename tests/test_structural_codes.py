"""Every structural code (SC…) produced by the situation it names, through the command line, with
its severity and code in the finding. The lint rules (SL…) have theirs in tests/lint/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import pytest

from conftest import MINIMAL, write_tree
from streamconf.codes import CODES
from test_git_workflow import commit, git, new_repository

Scenario = Callable[[Path], list]
"""Given an empty directory, prepares the situation and returns the command-line arguments."""


def _repository(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "repo", MINIMAL)


def _committed(tmp_path: Path, files: dict | None = None) -> Path:
    root = new_repository(tmp_path)
    commit(root, "Config", {**MINIMAL, **(files or {})})
    return root


def _case(tmp_path: Path, document: object) -> Path:
    path = tmp_path / "case.json"
    path.write_text(json.dumps(document) if not isinstance(document, str) else document)
    return path


def sc001(tmp_path):
    root = _repository(tmp_path)
    (root / "streams/bad.yaml").write_text("a: [\n")
    return ["validate", "--root", root]


def sc002(tmp_path):
    root = _repository(tmp_path)
    (root / "streams/bad.yaml").write_text("a.b: 3\n")
    return ["validate", "--root", root]


def sc003(tmp_path):
    root = _repository(tmp_path)
    write_tree(root, {"overrides/nowhere/x.yaml": "enwiki: {}\n"})
    return ["validate", "--root", root]


def sc005(tmp_path):
    root = _repository(tmp_path)
    write_tree(root, {"streams/p.yaml": "/a(/:\n  schema_title: x\n"})
    return ["validate", "--root", root]


def sc010(tmp_path):
    # Nothing can be created under /proc, not even by root: the output's parent cannot be made.
    return ["compile", "--root", _repository(tmp_path), "--out", f"/proc/streamconf-{tmp_path.name}/out"]


def sc020(tmp_path):
    return ["import", _case(tmp_path, "{not json"), "--root", tmp_path / "repo"]


def sc021(tmp_path):
    return ["import", _case(tmp_path, {"realms": {"p": {"settings": {}, "wikis": {}}}}), "--root", _repository(tmp_path)]


def sc022(tmp_path):
    (tmp_path / "file").write_text("")
    return ["import", _case(tmp_path, {"realms": {"p": {"settings": {}, "wikis": {}}}}), "--root", tmp_path / "file" / "repo"]


def sc023(tmp_path):
    root = write_tree(tmp_path / "repo", {"streamconf.yaml": "sample_units: [pageview]\n"})
    case = {"realms": {"p": {"settings": {"wgEventStreams": {"+gone": {}}}, "wikis": {"enwiki": ["en"]}}}}
    return ["import", _case(tmp_path, case), "--root", root]


def sc030(tmp_path):
    return ["validate", "--root", tmp_path / "nowhere"]


def sc031(tmp_path):
    return ["compile", "--root", _repository(tmp_path), "--realm", "prod"]


def sc032(tmp_path):
    return ["show", "enwiki", "a.c", "--root", _repository(tmp_path)]


def sc033(tmp_path):
    return ["explain", "enwiki", "a.b", "sample.rate", "--root", _repository(tmp_path)]


def sc040(tmp_path):
    return ["compile", "--root", _repository(tmp_path), "--ref", "HEAD"]


def sc041(tmp_path):
    return ["compile", "--root", _committed(tmp_path), "--ref", "v9"]


def sc042(tmp_path):
    root = _committed(tmp_path)
    git(root, "branch", "-m", "trunk")
    return ["diff", "--root", root]


def sc044(tmp_path):
    return ["compile", "--root", _committed(tmp_path, {"streams/bad.yaml": "a.b: 3\n"}), "--ref", "HEAD"]


def sc050(tmp_path):
    return ["publish", _repository(tmp_path), tmp_path / "dest"]


def sc101(tmp_path):
    root = _repository(tmp_path)
    write_tree(root, {"streams/p.yaml": "/^(a+)+$/:\n  schema_title: x\n  destination_event_service: eventgate-main\n",
                      "eventlogging.yaml": f"- a.b\n- {'a' * 40}b\n", "streamconf.yaml": "rules:\n  disable: [SL008]\n"})
    return ["compile", "--root", root]


def sc201(tmp_path):
    write_tree(tmp_path / "out", {"notes.txt": "someone's\n"})
    return ["compile", "--root", _repository(tmp_path), "--out", tmp_path / "out"]


def sc202(tmp_path):
    root = _repository(tmp_path)
    return ["compile", "--root", root, "--out", root]


def sc204(tmp_path):
    write_tree(tmp_path / "build", {"manifest.json": "not json\n"})
    return ["publish", tmp_path / "build", tmp_path / "dest"]


def sc206(tmp_path):
    root = _repository(tmp_path)
    return ["compile", "--root", root, "--out", tmp_path / "build"], ["publish", tmp_path / "build", tmp_path / "dest"]


def sc207(tmp_path):
    root = _repository(tmp_path)
    return (["compile", "--root", root, "--out", tmp_path / "build"],
            ["publish", "--allow-dirty", tmp_path / "build", tmp_path / "dest"], ["publish", "--rollback", tmp_path / "dest"])


INSTRUMENT = ("web-clicks:\n  start: 2026-11-01T00:00:00Z\n  end: 2027-01-31T23:59:59Z\n  stream_name: a.b\n"
              "  schema_title: analytics/link_hover\n  sample:\n    unit: pageview\n    rate: {default: 1}\n")


def sc300(tmp_path):
    root = _repository(tmp_path)
    write_tree(root, {"instruments/web.yaml": INSTRUMENT.replace("2026-11-01T00:00:00Z", "'1 November'")})
    return ["validate", "--root", root]


def sc301(tmp_path):
    root = _repository(tmp_path)
    write_tree(root, {"instruments/web.yaml": INSTRUMENT, "instruments/again.yaml": INSTRUMENT})
    return ["validate", "--root", root]


def sc302(tmp_path):
    root = _repository(tmp_path)
    write_tree(root, {"realms/beta.yaml": "base: production\nwikis:\n  enwiki: [en, wiki]\n",
                      "overrides/beta/instruments/web.yaml": "beta-only:\n  stream_name: a.b\n"})
    return ["validate", "--root", root]


def sc303(tmp_path):
    root = _repository(tmp_path)
    write_tree(root, {"overrides/production/instruments/web.yaml": "web-clicks:\n  stream_name: a.b\n"})
    return ["validate", "--root", root]


def sc304(tmp_path):
    root = _repository(tmp_path)
    write_tree(root, {"instruments/web.yaml": INSTRUMENT})
    return ["compile", "--root", root, "--at", "2026-10-01T00:00:00Z", "--out", tmp_path / "build"], \
        ["publish", "--allow-dirty", tmp_path / "build", tmp_path / "dest"]


def sc305(tmp_path):
    return ["show", "enwiki", "web-clicks", "--instruments", "--root", _repository(tmp_path)]


def sc306(tmp_path):
    return ["import", _case(tmp_path, [1]), "--root", tmp_path / "repo"]


def sc401(tmp_path):
    return ["owners", "--check", "--root", _repository(tmp_path)]


def sc402(tmp_path):
    root = _repository(tmp_path)
    (root / "CODEOWNERS").write_text("* @someone\n")
    return ["owners", "--root", root]


def sc403(tmp_path):
    root = _repository(tmp_path)
    write_tree(root, {"metadata/one.yaml": "a.b: {owner: web}\n", "metadata/two.yaml": "a.b: {owner: web}\n"})
    return ["validate", "--root", root]


def sc406(tmp_path):
    # a name the file system takes, but not with the export's temporary prefix and suffix
    return ["export", "datahub", "--root", _repository(tmp_path), "--out", tmp_path / ("d" * 250 + ".json")]


SCENARIOS: dict[str, Scenario] = {name.upper(): scenario for name, scenario in globals().items()
                                  if name.startswith("sc") and name[2:].isdigit()}


PRODUCED_ELSEWHERE = {
    "SC203": "test_outputs.py",  # a manifest that is a link or a FIFO
    "SC205": "test_publish.py",  # a build rewritten while publish copies it
    "SC210": "test_patterns.py",  # 200 names on which a pattern exceeds the match limit
    "SC211": "test_patterns.py",
    "SC404": "test_site.py",  # Jinja2 not installed
    "SC405": "test_datahub.py",  # acryl-datahub not installed
}


def test_every_structural_code_has_a_test_that_produces_it():
    assert set(SCENARIOS) | set(PRODUCED_ELSEWHERE) == {code for code in CODES if code.startswith("SC")}
    for code, tests in PRODUCED_ELSEWHERE.items():
        assert f"SC{code[2:]}" in (Path(__file__).parent / tests).read_text("utf-8")


@pytest.mark.parametrize("code", sorted(SCENARIOS))
def test_the_situation_produces_its_code(code: str, tmp_path: Path, run):
    steps = SCENARIOS[code](tmp_path)
    *before, last = steps if isinstance(steps, tuple) else (steps,)
    for step in before:
        assert run(*step).exit_code == 0
    result = run(*last)
    assert f"{CODES[code].severity} {code}" in result.output, result.output
    usage = code in ("SC031", "SC040", "SC041", "SC042")  # a command-line argument the repository cannot satisfy
    assert result.exit_code == (2 if usage else 1 if CODES[code].severity == "error" else 0), result.output
