"""Reading YAML: every input in tests/inputs/yaml gives a value or a clear error with file, line
and column, and never an exception of any other kind."""

from __future__ import annotations

from pathlib import Path

import pytest

from streamconf.diagnostics import ConfigError
from streamconf.layout import MAX_FILE_BYTES
from streamconf.load import MAX_DEPTH, decode, parse_dblist, parse_yaml, read_bytes

INPUTS = Path(__file__).parent / "inputs" / "yaml"


def load(name: str):
    path = INPUTS / name
    return parse_yaml(decode(read_bytes(path, name), name), name).value


def error(name: str) -> str:
    with pytest.raises(ConfigError) as raised:
        load(name)
    (diagnostic,) = raised.value.diagnostics
    return diagnostic.render()


@pytest.mark.parametrize("name, expected", [
    ("syntax-error.yaml", "syntax-error.yaml:2:2: error SC001: YAML syntax error"),
    ("tab-indent.yaml", "tab-indent.yaml:2:1: error SC001: YAML syntax error"),
    ("duplicate-deep.yaml", "duplicate-deep.yaml:4:5: error SC001 at a › b › c: duplicate key 'c': it is also at line 3, column 5"),
    ("duplicate-top.yaml", "duplicate-top.yaml:3:1: error SC001 at x: duplicate key 'x': it is also at line 1, column 1"),
    ("infinity.yaml", "infinity.yaml:1:4: error SC001 at a: '.inf' is not a finite number"),
    ("nan.yaml", "nan.yaml:1:4: error SC001 at a: '.nan' is not a finite number"),
    ("python-tag.yaml", "python-tag.yaml:1:4: error SC001 at a: the YAML tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed"),
    ("custom-tag.yaml", "custom-tag.yaml:1:4: error SC001 at a: the YAML tag '!custom' is not allowed"),
    ("binary-tag.yaml", "binary-tag.yaml:1:4: error SC001 at a: the YAML tag 'tag:yaml.org,2002:binary' is not allowed"),
    ("alias-bomb.yaml", "alias-bomb.yaml:6:"),
    ("deep-10000.yaml", "deep-10000.yaml:1:"),
    ("latin1.yaml", "latin1.yaml:1:7: error SC001: the file is not UTF-8 text (byte 0xe9)"),
    ("merge-key.yaml", "merge-key.yaml:3:3: error SC001 at y: YAML merge keys ('<<') are not supported"),
    ("two-documents.yaml", "two-documents.yaml:2:1: error SC001: a second YAML document ('---') in one file"),
    ("undefined-alias.yaml", "undefined-alias.yaml:1:4: error SC001 at a: alias *nowhere names no anchor defined before it"),
    ("complex-key.yaml", "complex-key.yaml:1:3: error SC001: a key must be a plain string, not a map or a list"),
    ("control-character.yaml", "control-character.yaml:1:5: error SC001: character U+0001 is not allowed in YAML"),
])
def test_bad_yaml_is_a_located_error(name, expected):
    assert error(name).startswith(expected)


def test_deep_nesting_is_refused_as_too_deep():
    """Whether our bound or libyaml's (which scans flow collections ahead) is met first depends on
    the libyaml version; the finding is the same."""
    assert f"error SC001: nesting deeper than {MAX_DEPTH} levels" in error("deep-10000.yaml")


def test_every_error_says_what_to_do():
    for path in INPUTS.iterdir():
        try:
            load(path.name)
        except ConfigError as raised:
            assert all(d.hint for d in raised.diagnostics), path.name


def test_tab_indentation_hint_names_tabs():
    assert "tabs" in error("tab-indent.yaml")


def test_alias_bomb_is_refused_at_its_bound():
    assert "expands to more than 1,000,000 values" in error("alias-bomb.yaml")


@pytest.mark.parametrize("name, value", [
    ("empty.yaml", None),
    ("comment-only.yaml", None),
    ("bom.yaml", {"a": 1}),
    ("crlf.yaml", {"a": {"b": 1}}),
    ("anchors.yaml", {"base": {"rate": 0.5}, "use": {"rate": 0.5}}),
])
def test_plain_documents(name, value):
    assert load(name) == value


def test_keys_are_always_strings():
    assert load("non-string-keys.yaml") == {
        "1": "one", "null": "nothing", "2024-01-01": "date", "no": "norwegian", "on": "switch", "~": "tilde"}


def test_values_follow_yaml_1_2():
    assert load("yaml11-values.yaml") == {
        "a": "no", "b": "on", "c": 15, "d": "1_000", "e": "2024-01-01", "f": 12, "g": 1000.0, "h": None,
        "i": 31, "j": "yes", "k": "off", "l": "true", "m": True, "n": "2001-12-14t21:59:43.10-05:00"}


def test_marks_point_at_keys_and_items():
    document = parse_yaml("a:\n  b:\n    - x\n    - y\n", "f.yaml")
    assert str(document.location(("a", "b"))) == "f.yaml:2:3"
    assert str(document.location(("a", "b", 1))) == "f.yaml:4:7"
    assert str(document.location(("a", "b", 1, "missing"))) == "f.yaml:4:7"


def test_oversized_file_is_refused_before_reading(tmp_path: Path):
    big = tmp_path / "big.yaml"
    with open(big, "wb") as handle:
        handle.truncate(100 * 1024 * 1024)
    with pytest.raises(ConfigError) as raised:
        read_bytes(big, "big.yaml")
    assert f"the limit is {MAX_FILE_BYTES:,}" in str(raised.value)


def test_dblist_format():
    dblist = parse_dblist("# a comment\nenwiki\n\ndewiki  # trailing comment\n", "x.dblist")
    assert dblist.names == [("enwiki", 2), ("dewiki", 4)]
