"""Writing a build: into a fresh directory beside the output, then swapped in with one atomic
rename, so the output directory always holds one complete build, the old or the new.

Files with the same content are written once and hard-linked (copied where links fail). A
manifest (manifest.py) lists the sha256 of every file and what the build was made from.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import shutil
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from .codes import fail
from .diagnostics import ConfigError, Location
from .feedback import stage
from .manifest import MANIFEST, MANIFEST_FORMAT, Build, file_digests, manifest_bytes, read_manifest, verify

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def output_error(path: Path, message: str, hint: str = "") -> ConfigError:
    return fail("SC010", Location(str(path)), message, hint)


def is_current(out: Path, source: dict[str, Any], generator: str, holds: Callable[[dict], bool] = lambda _: True) -> bool:
    """True when `out` holds an intact build of the same sources by the same version, of which
    `holds` (given the manifest) says that it is still what a build would be now."""
    if out.is_symlink() or not out.is_dir():
        return False
    manifest = read_manifest(out)
    return bool(manifest) and manifest.get("source") == source and manifest.get("generator") == generator \
        and manifest.get("format") == MANIFEST_FORMAT and holds(manifest) and not verify(out, manifest)


@contextmanager
def locked(directory: Path) -> Iterator[None]:
    """Serialise writers of outputs in `directory` (a second compile waits for the first)."""
    descriptor = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def write_build(build: Build | Callable[[], Build], out: Path, source: dict[str, Any], generator: str,
                directories: Iterable[str] = ()) -> Build:
    """Replace `out` with the build, atomically; on any failure `out` is left as it was.

    `build` may be the function that makes it: it is called once the output is locked, while a
    thread creates the `directories` (relative paths) of the new build. Thousands of directories
    are the kernel's work, which then overlaps the compile's."""
    out = Path(os.path.abspath(out))
    if out.is_symlink():
        raise output_error(out, "the output directory is a symbolic link; it is never written through",
                           "remove the link, or name the real directory with --out")
    if out.exists() and not out.is_dir():
        raise output_error(out, "the output path exists and is not a directory", "name a directory with --out")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with locked(out.parent):
            _recover(out)
            staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
            try:
                made = _Directories(staging, directories)
                try:
                    build = build() if callable(build) else build
                finally:
                    made.join()
                with stage("writing the build"):
                    digests = file_digests(build)
                    _write_files(staging, build, digests, made.result())
                    (staging / MANIFEST).write_bytes(manifest_bytes(build, digests, source, generator))
                    os.chmod(staging, 0o755)
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
            _swap(staging, out)
        return build
    except OSError as error:
        where = error.filename or out
        raise output_error(Path(where), f"cannot write the build: {error.strerror or error}",
                           f"{out} keeps its previous content; free space or fix permissions and run again") from None


class _Directories(threading.Thread):
    """Creates directories under `root` in the background; result() names them, or raises what
    stopped it."""

    def __init__(self, root: Path, relative: Iterable[str]) -> None:
        super().__init__(daemon=True)
        self.root, self.relative = root, list(relative)
        self.made: set[Path] = set()
        self.error: OSError | None = None
        self.start()

    def run(self) -> None:
        try:
            for path in self.relative:
                directory = self.root / path
                directory.mkdir(parents=True, exist_ok=True)
                self.made.add(directory)
        except OSError as error:
            self.error = error

    def result(self) -> set[Path]:
        if self.error is not None:
            raise self.error
        return self.made


def _write_files(staging: Path, build: Build, digests: dict[str, str], made: set[Path]) -> None:
    outputs = build.outputs

    def write(path: str, target: Path) -> None:
        with open(target, "xb") as handle:
            handle.write(outputs[path])
    place_files(staging, digests, write, made)


def place_files(directory: Path, digests: dict[str, str], produce: Callable[[str, Path], None],
                made: Iterable[Path] = ()) -> None:
    """Create every file of `digests` (path -> content digest) under `directory`: the first file of
    each content with `produce(path, target)`, the others as hard links to it (or produced too
    where a link cannot be made). Directories in `made` exist already."""
    first: dict[str, Path] = {}
    directories: set[Path] = set(made)
    for path, digest in digests.items():
        target = directory / path
        if target.parent not in directories:
            target.parent.mkdir(parents=True, exist_ok=True)
            directories.add(target.parent)
        if digest in first:
            try:
                os.link(first[digest], target)
                continue
            except OSError:
                pass
        produce(path, target)
        first.setdefault(digest, target)


def _exchange(first: Path, second: Path) -> None:
    renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if renameat2 is None:
        raise OSError(errno.ENOSYS, "renameat2 is not available")
    if renameat2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))


def _swap(staging: Path, out: Path) -> None:
    if not out.exists():
        os.rename(staging, out)
        return
    try:
        _exchange(staging, out)
        previous = staging
    except OSError as error:
        if error.errno not in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
            raise
        # Without an atomic exchange: two renames, and _recover() mends a stop between them.
        previous = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
        os.rename(out, previous / out.name)
        os.rename(staging, out)
    shutil.rmtree(previous, ignore_errors=True)


def _recover(out: Path) -> None:
    """Clear what an interrupted write left beside `out`; restore `out` if it was moved aside."""
    for leftover in sorted(out.parent.glob(f".{out.name}.old-*")):
        moved = leftover / out.name
        if not out.exists() and moved.is_dir():
            os.rename(moved, out)
        shutil.rmtree(leftover, ignore_errors=True)
    for leftover in out.parent.glob(f".{out.name}.new-*"):
        shutil.rmtree(leftover, ignore_errors=True)
