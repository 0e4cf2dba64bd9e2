"""Reading the repository: YAML files into plain values that remember where each key was written.

YAML is read event by event and built here, not by PyYAML's constructor, so that:
- mapping keys are always strings (`no:` is the tag `no`, not `false`);
- plain values follow YAML 1.2 (`yes`, `on`, `0o17` as in YAML 1.2, timestamps stay strings);
- only plain data is built: any explicit tag but `!!str`, `!!map`, `!!seq` is refused;
- duplicate keys are an error naming both places;
- nesting depth, alias expansion and file size are bounded, with no recursion anywhere.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import stat
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from .diagnostics import ConfigError, Diagnostic, Location
from .parse_cache import ParseCache
from .layout import (DBLIST_SUFFIX, MAX_FILE_BYTES, TOP_LEVEL_FILES, INPUT_TREES, is_input_file, not_a_file, size_refused,
                     symlink_refused, unreadable)

try:
    from yaml import CBaseLoader as _Parser  # libyaml's parser; only its events are used
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import BaseLoader as _Parser

MAX_DEPTH = 64
MAX_NODES = 1_000_000
"""Nodes in one file after aliases are expanded: a billion-laughs file stops here."""

_STR = "tag:yaml.org,2002:str"
_ALLOWED_TAGS = {_STR, "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq", "!"}
_NULL = re.compile(r"~|null|Null|NULL|")
_TRUE = re.compile(r"true|True|TRUE")
_FALSE = re.compile(r"false|False|FALSE")
_INT = re.compile(r"[-+]?[0-9]+")
_OCT = re.compile(r"0o[0-7]+")
_HEX = re.compile(r"0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_SPECIAL_FLOAT = re.compile(r"[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)")

Path_ = tuple[Any, ...]


@dataclass
class Document:
    """One parsed YAML file: its value and the line and column of every key and list item."""

    file: str
    value: Any
    marks: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    disabled: dict[int, set[str]] = field(default_factory=dict)  # line -> rule ids disabled there

    def location(self, path: Path_ = ()) -> Location:
        """Where `path` was written; the nearest enclosing key when the path itself has no mark."""
        path = tuple(path)
        while path and path not in self.marks:
            path = path[:-1]
        line, column = self.marks.get(path, (1, 1))
        return Location(self.file, line, column)


def _error(file: str, line: int, column: int, message: str, hint: str = "", path: Path_ = ()) -> ConfigError:
    return ConfigError([unreadable(file, message, hint, line, column, path)])


def plain_scalar(text: str) -> Any:
    """A plain (unquoted, untagged) YAML value under the YAML 1.2 core schema."""
    if _NULL.fullmatch(text):
        return None
    if _TRUE.fullmatch(text):
        return True
    if _FALSE.fullmatch(text):
        return False
    if _INT.fullmatch(text):
        return int(text)
    if _OCT.fullmatch(text):
        return int(text[2:], 8)
    if _HEX.fullmatch(text):
        return int(text[2:], 16)
    if _FLOAT.fullmatch(text):
        return float(text)
    if _SPECIAL_FLOAT.fullmatch(text):
        return math.nan
    return text


@dataclass
class _Frame:
    container: dict | list
    path: Path_
    start: int  # node count when the container began
    anchor: str | None
    key: str | None = None
    key_mark: tuple[int, int] = (0, 0)


class _Builder:
    def __init__(self, file: str) -> None:
        self.file = file
        self.frames: list[_Frame] = []
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.marks: dict[Path_, tuple[int, int]] = {(): (1, 1)}
        self.nodes = 0
        self.root: Any = None
        self.documents = 0

    def fail(self, mark: tuple[int, int], message: str, hint: str = "") -> ConfigError:
        return _error(self.file, mark[0], mark[1], message, hint, self.current_path())

    def current_path(self) -> Path_:
        if not self.frames:
            return ()
        frame = self.frames[-1]
        return frame.path + ((frame.key,) if frame.key is not None else ())

    def count(self, nodes: int, mark: tuple[int, int]) -> None:
        self.nodes += nodes
        if self.nodes > MAX_NODES:
            raise self.fail(mark, f"the file expands to more than {MAX_NODES:,} values",
                            "aliases (*name) repeat what an anchor holds; this file repeats too much")

    def expects_key(self) -> bool:
        return bool(self.frames) and type(self.frames[-1].container) is dict and self.frames[-1].key is None

    def handle(self, event: yaml.Event) -> None:
        mark = (event.start_mark.line + 1, event.start_mark.column + 1)
        kind = type(event)
        if kind is yaml.DocumentStartEvent:
            self.documents += 1
            if self.documents > 1:
                raise self.fail(mark, "a second YAML document ('---') in one file", "keep one document per file")
        elif kind is yaml.ScalarEvent:
            self.scalar(event, mark)
        elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
            self.start(event, mark, {} if kind is yaml.MappingStartEvent else [])
        elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
            frame = self.frames.pop()
            self.remember(frame.anchor, frame.container, self.nodes - frame.start)
            self.attach(frame.container, mark)
        elif kind is yaml.AliasEvent:
            self.alias(event, mark)

    def check_tag(self, event: yaml.Event, mark: tuple[int, int]) -> None:
        if event.tag is not None and event.tag not in _ALLOWED_TAGS:
            raise self.fail(mark, f"the YAML tag {event.tag!r} is not allowed",
                            "write plain data: maps, lists, strings, numbers, booleans and null")

    def scalar(self, event: yaml.ScalarEvent, mark: tuple[int, int]) -> None:
        self.check_tag(event, mark)
        plain = event.tag is None and event.implicit[0]
        if self.expects_key():
            if plain and event.value == "<<":
                raise self.fail(mark, "YAML merge keys ('<<') are not supported",
                                "write the keys out, or put an alias (*name) where a whole value goes")
            self.key(event.value, mark)
            return
        try:
            value = plain_scalar(event.value) if plain else event.value
        except ValueError:  # Python's bound on integer digits
            raise self.fail(mark, f"a number of {len(event.value):,} digits: more than JSON consumers read exactly",
                            "quote it to make it a string") from None
        if type(value) is float and not math.isfinite(value):
            raise self.fail(mark, f"{event.value!r} is not a finite number and cannot be written as JSON",
                            "use a finite number, or quote it to make it a string")
        self.count(1, mark)
        self.remember(event.anchor, value, 1)
        self.attach(value, mark)

    def key(self, key: str, mark: tuple[int, int]) -> None:
        frame = self.frames[-1]
        if key in frame.container:
            first = self.marks[frame.path + (key,)]
            raise _error(self.file, mark[0], mark[1],
                         f"duplicate key {key!r}: it is also at line {first[0]}, column {first[1]}",
                         "keep one of the two", frame.path + (key,))
        frame.key, frame.key_mark = key, mark

    def start(self, event: yaml.Event, mark: tuple[int, int], container: dict | list) -> None:
        if self.expects_key():
            raise self.fail(mark, "a key must be a plain string, not a map or a list", "write the key as text")
        self.check_tag(event, mark)
        if event.tag == _STR:
            raise self.fail(mark, "the tag !!str is on a map or a list", "remove the tag, or quote a string value")
        if len(self.frames) >= MAX_DEPTH:
            raise self.fail(mark, f"nesting deeper than {MAX_DEPTH} levels", "flatten the structure")
        self.count(1, mark)
        self.frames.append(_Frame(container, self.current_path(), self.nodes - 1, event.anchor))

    def alias(self, event: yaml.AliasEvent, mark: tuple[int, int]) -> None:
        if self.expects_key():
            raise self.fail(mark, "a key must be a plain string, not an alias", "write the key as text")
        if event.anchor not in self.anchors:
            raise self.fail(mark, f"alias *{event.anchor} names no anchor defined before it",
                            f"define &{event.anchor} before using *{event.anchor}")
        value, size = self.anchors[event.anchor]
        self.count(size, mark)
        self.attach(value, mark)

    def remember(self, anchor: str | None, value: Any, size: int) -> None:
        if anchor is not None:
            self.anchors[anchor] = (value, size)

    def attach(self, value: Any, mark: tuple[int, int]) -> None:
        if not self.frames:
            self.root = value
            return
        frame = self.frames[-1]
        if type(frame.container) is dict:
            path = frame.path + (frame.key,)
            frame.container[frame.key] = value
            self.marks[path] = frame.key_mark
            frame.key = None
        else:
            path = frame.path + (len(frame.container),)
            frame.container.append(value)
            self.marks[path] = mark


def parse_yaml(text: str, file: str) -> Document:
    """Parse one YAML document; raises ConfigError naming the file, line and column."""
    builder = _Builder(file)
    parser = None
    try:
        parser = _Parser(text)
        while parser.check_event():
            builder.handle(parser.get_event())
    except yaml.reader.ReaderError as error:
        line = text.count("\n", 0, error.position) + 1
        column = error.position - (text.rfind("\n", 0, error.position) + 1) + 1
        raise _error(file, line, column, f"character U+{error.character:04X} is not allowed in YAML",
                     "remove it, or write it as an escape inside double quotes") from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = " ".join(part for part in (error.context, error.problem) if part)
        if "maximum nesting depth" in problem:  # libyaml's own bound, met while it scans flow collections ahead
            raise _error(file, line, column, f"nesting deeper than {MAX_DEPTH} levels", "flatten the structure") from None
        lines = text.splitlines()
        at = lines[line - 1][column - 1: column] if line <= len(lines) else ""
        hint = "YAML does not allow tabs for indentation: use spaces" if at == "\t" else \
            "check the indentation and quoting around this place"
        raise _error(file, line, column, f"YAML syntax error: {problem}", hint) from None
    except yaml.YAMLError as error:
        raise _error(file, 1, 1, f"YAML error: {error}", "check the file's characters") from None
    finally:
        if parser is not None:
            parser.dispose()
    return Document(file, builder.root, builder.marks, disabled_rules(text))


_DISABLE = re.compile(r"#\s*streamconf:\s*disable(-next-line)?=([A-Za-z0-9_,\s-]+)")


def disabled_rules(text: str) -> dict[int, set[str]]:
    """Lines where rules are turned off by a comment: `# streamconf: disable=SL003` on the line
    itself, or `# streamconf: disable-next-line=SL003` on the line before."""
    if "streamconf:" not in text:
        return {}
    disabled: dict[int, set[str]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        match = _DISABLE.search(line)
        if match:
            rules = {rule.strip() for rule in match.group(2).split(",") if rule.strip()}
            disabled.setdefault(number + (1 if match.group(1) else 0), set()).update(rules)
    return disabled


def decode(data: bytes, file: str) -> str:
    """UTF-8 text without a byte-order mark; CRLF line ends are read as they are by YAML."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        raise _error(file, line, column, f"the file is not UTF-8 text (byte 0x{data[error.start]:02x})",
                     "save the file as UTF-8") from None


def read_bytes(path: Path, file: str) -> bytes:
    try:
        refused = size_refused(file, path.stat().st_size)
        if refused is None:
            with open(path, "rb") as handle:
                data = handle.read(MAX_FILE_BYTES + 1)
            refused = size_refused(file, len(data))  # it grew since
    except OSError as error:
        raise _error(file, 0, 0, f"cannot read the file: {error.strerror}", "check its permissions") from None
    if refused is not None:
        raise ConfigError([refused])
    return data


# The repository's files ------------------------------------------------------------------------

@dataclass
class DbList:
    file: str
    names: list[tuple[str, int]]  # (db name, line)


@dataclass
class Sources:
    """Every input file of a repository, parsed; what could not be read is in `diagnostics`."""

    documents: dict[str, Document] = field(default_factory=dict)
    dblists: dict[str, DbList] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    digest: str = ""


def input_files(root: Path, diagnostics: list[Diagnostic]) -> list[str]:
    """The repository's input files, as sorted POSIX paths relative to `root`. Symlinks are
    reported, never followed."""
    found = [name for name in TOP_LEVEL_FILES if _regular(root / name, name, diagnostics)]
    for tree in INPUT_TREES:
        top = root / tree
        if top.is_symlink():
            diagnostics.append(symlink_refused(tree))
            continue
        if not top.exists():
            continue
        for directory, subdirectories, files in os.walk(top, onerror=lambda error: diagnostics.append(
                unreadable(_relative(root, error.filename), f"cannot read the directory: {error.strerror}"))):
            subdirectories[:] = sorted(d for d in subdirectories if not d.startswith("."))
            for name in [d for d in subdirectories if os.path.lexists(os.path.join(directory, d, ".git"))]:
                diagnostics.append(not_a_file(_relative(root, os.path.join(directory, name)), "submodule (a gitlink)"))
                subdirectories.remove(name)
            for name in files:
                relative = _relative(root, os.path.join(directory, name))
                if is_input_file(relative) and _regular(root / relative, relative, diagnostics):
                    found.append(relative)
            for name in subdirectories:
                relative = _relative(root, os.path.join(directory, name))
                if os.path.islink(os.path.join(directory, name)):
                    diagnostics.append(symlink_refused(relative))
                elif is_input_file(relative):
                    diagnostics.append(not_a_file(relative, "directory"))
    return sorted(found)


def _relative(root: Path, path: str) -> str:
    return Path(os.path.relpath(path, root)).as_posix()


_KINDS = {stat.S_IFDIR: "directory", stat.S_IFIFO: "FIFO", stat.S_IFSOCK: "socket", stat.S_IFCHR: "device",
          stat.S_IFBLK: "device"}


def _regular(path: Path, file: str, diagnostics: list[Diagnostic]) -> bool:
    """Whether `path` is a regular file to read; anything else at an input's place is reported
    (a missing file is not)."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return False
    except OSError as error:
        diagnostics.append(unreadable(file, f"cannot read the file: {error.strerror}", "check its permissions"))
        return False
    if stat.S_ISLNK(mode):
        diagnostics.append(symlink_refused(file))
    elif not stat.S_ISREG(mode):
        diagnostics.append(not_a_file(file, _KINDS.get(stat.S_IFMT(mode), "special file")))
    return stat.S_ISREG(mode)


def read_files(root: Path) -> tuple[dict[str, bytes], list[Diagnostic]]:
    """The bytes of every input file under `root`, and what could not be read."""
    diagnostics: list[Diagnostic] = []
    files = {}
    for file in input_files(root, diagnostics):
        try:
            files[file] = read_bytes(root / file, file)
        except ConfigError as error:
            diagnostics.extend(error.diagnostics)
    return files, diagnostics


def files_digest(files: dict[str, bytes]) -> str:
    """A digest of every input path and its bytes."""
    digest = hashlib.sha256()
    for file in sorted(files):
        digest.update(f"{file}\0{len(files[file])}\0".encode() + files[file])
    return digest.hexdigest()


def parse_files(files: dict[str, bytes], diagnostics: list[Diagnostic] | None = None) -> Sources:
    """Parse input files given as bytes, from a directory or a git tree alike; a file that fails
    is reported and the rest still parsed. A YAML file parsed before with the same bytes is taken
    from the parse cache (parse_cache.py)."""
    sources = Sources(diagnostics=list(diagnostics or ()), digest=files_digest(files))
    cache = ParseCache.default(_parser_identity())
    for file in sorted(files):
        data = files[file]
        try:
            refused = size_refused(file, len(data))
            if refused is not None:
                raise ConfigError([refused])
            if file.endswith(DBLIST_SUFFIX):
                sources.dblists[file] = parse_dblist(decode(data, file), file)
            else:
                sources.documents[file] = _parse_cached(file, data, cache)
        except ConfigError as error:
            sources.diagnostics.extend(error.diagnostics)
    if cache is not None:
        cache.trim()
    return sources


def _parse_cached(file: str, data: bytes, cache: ParseCache | None) -> Document:
    cached = cache.get(file, data) if cache is not None else None
    if cached is not None:
        return Document(file, *cached)
    document = parse_yaml(decode(data, file), file)
    if cache is not None:
        cache.put(file, data, document.value, document.marks, document.disabled)
    return document


@lru_cache(maxsize=None)
def _parser_identity() -> str:
    """What a parse depends on besides the file: this module's source and PyYAML's version."""
    source = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()
    libyaml = yaml._yaml.get_version_string() if getattr(yaml, "__with_libyaml__", False) else "none"
    return f"{source}\0{yaml.__version__}\0{libyaml}"


def read_sources(root: Path) -> Sources:
    """Read and parse every input file under `root`."""
    return parse_files(*read_files(root))


def parse_dblist(text: str, file: str) -> DbList:
    """Wikimedia's dblist format: one db name per line; `#` starts a comment."""
    names = []
    for number, line in enumerate(text.splitlines(), start=1):
        name = line.split("#", 1)[0].strip()
        if name:
            names.append((name, number))
    return DbList(file, names)
