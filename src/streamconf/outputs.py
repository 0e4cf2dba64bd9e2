"""Output directories: is this directory provably ours to replace?

Every command that writes a tree (compile, publish, and later ones) replaces its output
directory as a whole, so it first asks here whether that directory may be replaced:

    out = claim_output(path, foreign=OutputCheck().foreign, protected=[(root / "streams", "the config source")])

`claim_output` returns the absolute path to write (its parent's symbolic links resolved, so the
checks and the writes see the same directory) or raises `ConfigError` naming the path and why.
A directory may be replaced when it is missing, empty, or `foreign(directory)` finds nothing in
it that the command did not write (`foreign` returns those paths, or raises its own error when
the directory is not a previous output at all). Refused outright, whatever it holds:

- an empty path (an unset variable in `--out "$OUT"`);
- `/`, the home directory, or any directory that contains the home directory;
- a path that is, contains or lies inside one of `protected` (the config repository's inputs;
  the build that publish reads), or lies inside a `.git` directory;
- a symbolic link (never written through) or anything else that is not a directory.

A command that writes one file (an export) asks `claim_file_output` instead: the same places are
refused, and a file already there is replaced only when `previous(file)` proves it an earlier
output of that command.

Reading an output never follows links and never reads without bound: `read_regular` reads a
file only when it is a regular file of bounded size; `walk` lists a tree without following links
and stops at a bounded number of entries.
"""

from __future__ import annotations

import errno
import os
import pwd
import stat
from pathlib import Path
from typing import Callable, Iterator, Sequence

from .codes import fail
from .diagnostics import ConfigError, Location, shorten

REFUSED = "SC201"  # the directory is not ours to replace
PROTECTED = "SC202"  # the path is one streamconf never writes
UNSAFE_FILE = "SC203"  # a file of an output is not a regular file of bounded size
MAX_ENTRIES = 1_000_000
"""Entries listed in one output tree before the listing stops."""
SHOWN = 5


def refusal(path: Path | str, message: str, hint: str, code: str = REFUSED) -> ConfigError:
    return fail(code, Location(str(path)), message, hint)


def bounded(text: str) -> str:
    """A repr of `text` cut to a bounded excerpt, for messages."""
    return repr(shorten(text))


def excerpt(paths: Sequence[str], total: int | None = None) -> str:
    """The first few paths, and how many more there are."""
    total = len(paths) if total is None else total
    shown = ", ".join(paths[:SHOWN])
    return shown + (f", … (+{total - SHOWN} more)" if total > SHOWN else "")


def claim_output(path: Path | str, foreign: Callable[[Path], list[str]], protected: Sequence[tuple[Path, str]] = (),
                 what: str = "output directory") -> Path:
    """Check that `path` may be replaced as a whole by a command's output; return the path to
    write. See the module's docstring for what is refused."""
    out, status = _place(path, protected, what, "name the directory to write, e.g. --out build")
    if status is None:
        return out
    if stat.S_ISLNK(status.st_mode):
        raise refusal(path, f"the {what} is a symbolic link; it is never written through",
                      "remove the link, or name the real directory")
    if not stat.S_ISDIR(status.st_mode):
        raise refusal(path, f"the {what} exists and is not a directory", "name a directory")
    strangers = foreign(out)
    if strangers:
        raise refusal(path, f"the {what} holds files streamconf did not write: {excerpt(strangers)}",
                      "name a new or empty directory, or move those files away; streamconf only replaces "
                      "a directory it wrote itself")
    return out


def claim_file_output(path: Path | str, previous: Callable[[Path], bool], protected: Sequence[tuple[Path, str]] = (),
                      what: str = "output file") -> Path:
    """Check that a command may write the single file `path` (an export): refused in the places
    claim_output refuses, when a link or anything but a regular file is there, and when the file
    there is not `previous`, an earlier output of the same command."""
    out, status = _place(path, protected, what, "name the file to write, e.g. --out datahub.json")
    if status is None:
        return out
    if not stat.S_ISREG(status.st_mode):
        raise refusal(path, f"the {what} is a symbolic link, a directory or a special file; it is left as it is",
                      "name a regular file, or a path that does not exist yet")
    try:
        ours = previous(out)
    except OSError as error:
        raise refusal(path, f"the {what} cannot be read: {error.strerror or error}", "name a path that does not exist yet") from None
    if not ours:
        raise refusal(path, f"the {what} exists and is not a file streamconf wrote",
                      "name a new path, or move the file away; streamconf only replaces a file it wrote itself")
    return out


def _place(path: Path | str, protected: Sequence[tuple[Path, str]], what: str, example: str) -> tuple[Path, os.stat_result | None]:
    """The absolute path to write (its parent's links resolved) unless it is a place never
    written, and what is there now (None: nothing)."""
    if not str(path):
        raise refusal("''", f"the {what} is an empty path", example, PROTECTED)
    absolute = Path(os.path.abspath(path))
    out = absolute if absolute == absolute.parent else Path(os.path.realpath(absolute.parent)) / absolute.name
    _refuse_protected(out, path, protected, what)
    try:
        return out, os.lstat(out)
    except FileNotFoundError:
        return out, None
    except OSError as error:
        raise refusal(path, f"cannot inspect the {what}: {error.strerror}", "check its permissions") from None


def _refuse_protected(out: Path, given: Path | str, protected: Sequence[tuple[Path, str]], what: str) -> None:
    def refuse(why: str, hint: str = "name a directory of its own, such as build") -> None:
        raise refusal(given, f"the {what} {why}; streamconf never replaces it", hint, PROTECTED)

    if out == out.parent:
        refuse("is the root directory /")
    for home in _homes():
        if out == home:
            refuse("is the home directory")
        if home.is_relative_to(out):
            refuse(f"contains the home directory {home}")
    if ".git" in out.parts:
        refuse("is or lies inside a .git directory")
    for kept, name in protected:
        kept = Path(os.path.realpath(kept))
        if out == kept:
            refuse(f"is {name} {kept}")
        if kept.is_relative_to(out):
            refuse(f"contains {name} {kept}")
        if out.is_relative_to(kept):
            refuse(f"lies inside {name} {kept}")


def _homes() -> set[Path]:
    """The home directory by $HOME and by the password database (they may differ)."""
    homes = set()
    candidates = [os.environ.get("HOME")]
    try:
        candidates.append(pwd.getpwuid(os.getuid()).pw_dir)
    except KeyError:
        pass
    for home in candidates:
        if home and os.path.isabs(home) and os.path.realpath(home) != "/":
            homes.add(Path(os.path.realpath(home)))
    return homes


def walk(directory: Path, limit: int = MAX_ENTRIES) -> Iterator[tuple[str, os.stat_result]]:
    """Every entry under `directory` (relative POSIX path, lstat), directories before their
    contents, without following links; stops with an error after `limit` entries."""
    pending = [""]
    count = 0
    while pending:
        for path, status in list_directory(directory, pending.pop()):
            count += 1
            if count > limit:
                raise refusal(directory, f"holds more than {limit:,} entries", "name another directory")
            yield path, status
            if stat.S_ISDIR(status.st_mode):
                pending.append(path)


def list_directory(directory: Path, relative: str) -> list[tuple[str, os.stat_result]]:
    """The entries of one directory under `directory` (relative POSIX path, lstat), sorted."""
    try:
        with os.scandir(directory / relative if relative else directory) as entries:
            children = sorted((entry.name, entry.stat(follow_symlinks=False)) for entry in entries)
    except OSError as error:
        raise refusal(directory / relative, f"cannot list the directory: {error.strerror}",
                      "check its permissions, free file descriptors or space, and run again") from None
    return [(f"{relative}/{name}" if relative else name, status) for name, status in children]


def read_regular(path: Path, limit: int, what: str = "file") -> bytes:
    """The bytes of a regular file no larger than `limit`. A symbolic link, FIFO, device,
    directory or larger file is refused without being followed, opened for long or read."""
    if stat.S_ISLNK(os.lstat(path).st_mode):
        raise refusal(path, f"the {what} is a symbolic link; it is never followed", "remove it", UNSAFE_FILE)
    if not stat.S_ISREG(os.lstat(path).st_mode):
        raise refusal(path, f"the {what} is not a regular file", "remove it", UNSAFE_FILE)
    try:
        # Checked above and again on the open file: a file swapped for a link or FIFO in between
        # is refused without blocking.
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise refusal(path, f"the {what} is a symbolic link; it is never followed", "remove it",
                          UNSAFE_FILE) from None
        raise
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            raise refusal(path, f"the {what} is not a regular file", "remove it", UNSAFE_FILE)
        if status.st_size > limit:
            raise refusal(path, f"the {what} is {status.st_size:,} bytes; the limit is {limit:,}", "remove it",
                          UNSAFE_FILE)
        chunks = []
        size = 0
        while chunk := os.read(descriptor, min(1 << 20, limit + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                raise refusal(path, f"the {what} is larger than {limit:,} bytes", "remove it", UNSAFE_FILE)
        return b"".join(chunks)
    finally:
        os.close(descriptor)


def is_inside(relative: str) -> bool:
    """Whether a path from a manifest is relative, normalised and names something inside the
    directory: no '..', no absolute path, no empty or '.' part, no backslash or NUL."""
    if not relative or "\\" in relative or "\0" in relative or relative.startswith("/"):
        return False
    # With no empty, '.' or '..' part and no leading '/', the path is already in normal form.
    return all(part not in ("", ".", "..") for part in relative.split("/"))


def create(root: Path, relative: str, text: str) -> bool:
    """Write a file that does not exist yet; False, and nothing written, when it does."""
    target = root / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(target, "x", encoding="utf-8") as file:
            file.write(text)
    except FileExistsError:
        return False
    return True
