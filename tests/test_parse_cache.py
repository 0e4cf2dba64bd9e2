"""The parse cache: a file parsed before is taken from it, exactly as it was parsed; anything else
(an edit, another path, a broken or unreadable entry, a file that fails) is parsed again; and the
cache lives only where STREAMCONF_CACHE_DIR says, never in a repository or an output."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import MINIMAL, run_installed, tree_digest, write_tree
from streamconf.load import parse_files, parse_yaml
from streamconf.parse_cache import cached_code

TEXT = """\
# streamconf: disable-next-line=SL003
a.b: &shared
  rate: 0.5
  big: 123456789012345678901234567890
  negative_zero: -0.0
  flags: [true, 1, 1.0, "1", null, ~]
  "0": first
  "1": second
  text: "tab\\there, \\u00e9t\\u00e9, \\U0001F600"
c.d: *shared   # streamconf: disable=SL004
e.f: []
g.h: {}
"""


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch) -> Path:
    directory = tmp_path / "cache"
    monkeypatch.setenv("STREAMCONF_CACHE_DIR", str(directory))
    return directory


def entries(cache_dir: Path) -> list[Path]:
    return sorted((cache_dir / "parsed").rglob("*.json"))


def exact(document) -> tuple:
    """What a Document holds, with types: 1, 1.0 and true stay apart, as do key orders."""
    return repr(document.value), repr(sorted(document.marks.items(), key=repr)), repr(sorted(document.disabled.items()))


def test_a_cached_file_is_exactly_what_parsing_gives(cache_dir: Path):
    direct = parse_yaml(TEXT, "streams/s.yaml")
    first = parse_files({"streams/s.yaml": TEXT.encode()}).documents["streams/s.yaml"]
    assert len(entries(cache_dir)) == 1
    second = parse_files({"streams/s.yaml": TEXT.encode()}).documents["streams/s.yaml"]
    assert exact(first) == exact(second) == exact(direct)
    assert second.location(("c.d", "rate")) == direct.location(("c.d", "rate"))


def test_an_edit_or_another_path_misses(cache_dir: Path):
    parse_files({"streams/s.yaml": TEXT.encode()})
    edited = TEXT.replace("rate: 0.5", "rate: 0.25")
    assert parse_files({"streams/s.yaml": edited.encode()}).documents["streams/s.yaml"].value["a.b"]["rate"] == 0.25
    moved = parse_files({"streams/t.yaml": TEXT.encode()}).documents["streams/t.yaml"]
    assert moved.location(("a.b",)).file == "streams/t.yaml"
    assert len(entries(cache_dir)) == 3


@pytest.mark.parametrize("damage", [b"", b"{not json", b'{"value": 1}', b'{"value": 1, "marks": [[1]], "disabled": 3}'])
def test_a_broken_entry_is_a_miss_and_is_replaced(cache_dir: Path, damage: bytes):
    parse_files({"streams/s.yaml": TEXT.encode()})
    (entry,) = entries(cache_dir)
    entry.write_bytes(damage)
    again = parse_files({"streams/s.yaml": TEXT.encode()}).documents["streams/s.yaml"]
    assert exact(again) == exact(parse_yaml(TEXT, "streams/s.yaml"))
    assert entry.read_bytes() != damage


def test_the_cache_is_trimmed_to_its_most_recently_used_half(cache_dir: Path, monkeypatch):
    monkeypatch.setattr("streamconf.parse_cache.MAX_ENTRIES", 2)
    files = {f"streams/s{index}.yaml": TEXT.encode() for index in range(4)}
    parse_files(files)
    assert len(entries(cache_dir)) == 2


def test_a_failing_file_is_not_cached_and_fails_every_time(cache_dir: Path):
    broken = b"a.b:\n  rate: [1\n"
    for _ in range(2):
        sources = parse_files({"streams/s.yaml": broken})
        assert sources.diagnostics and "YAML syntax error" in sources.diagnostics[0].message
    assert entries(cache_dir) == []


def test_an_unwritable_cache_is_ignored(tmp_path: Path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("STREAMCONF_CACHE_DIR", str(blocker / "cache"))
    assert parse_files({"streams/s.yaml": TEXT.encode()}).documents["streams/s.yaml"].value["e.f"] == []


def test_an_empty_setting_turns_the_cache_off(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("STREAMCONF_CACHE_DIR", "")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    parse_files({"streams/s.yaml": TEXT.encode()})
    assert not (tmp_path / "xdg").exists()


def test_compile_caches_outside_the_repository_and_the_output(tmp_path: Path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("STREAMCONF_CACHE_DIR", str(cache))
    repo = write_tree(tmp_path / "repo", MINIMAL)
    before = tree_digest(repo)
    for out in ("one", "two"):
        result = run_installed("compile", "--root", repo, "--out", tmp_path / out)
        assert result.returncode == 0, result.stderr
    assert tree_digest(repo) == before
    assert tree_digest(tmp_path / "one") == tree_digest(tmp_path / "two")
    assert len(entries(cache)) == len(MINIMAL)
    assert (cache / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")


def test_generated_code_is_compiled_once_and_a_damaged_entry_is_a_miss(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("STREAMCONF_CACHE_DIR", str(tmp_path))
    generated = []

    def source() -> str:
        generated.append(1)
        return "def answer():\n    return 42\n"

    def answer(key: str) -> int:
        namespace: dict = {}
        exec(cached_code(key, source), namespace)
        return namespace["answer"]()

    assert (answer("schema a"), answer("schema a")) == (42, 42) and len(generated) == 1
    for entry in (tmp_path / "code").iterdir():
        entry.write_bytes(b"\x00not marshal")
    assert answer("schema a") == 42 and len(generated) == 2
    assert answer("schema b") == 42 and len(generated) == 3
    monkeypatch.setenv("STREAMCONF_CACHE_DIR", "")
    assert answer("schema a") == 42 and len(generated) == 4
