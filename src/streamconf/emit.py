"""Writing a build: into a fresh directory beside the output, then swapped in with one atomic
rename, so the output directory always holds one complete build, the old or the new.

Files with the same content are written once and hard-linked (copied where links fail). A
manifest (manifest.py) lists the sha256 of every file and what the build was made from. The
output is first checked to be compile's own (outputs.claim_output), and everything is flushed to
the disk before it is switched in.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import shutil
import stat
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from .codes import fail
from .diagnostics import ConfigError, Location
from .feedback import stage
from .layout import config_sources
from .manifest import MANIFEST, Build, Manifest, file_digests, load_manifest, manifest_bytes
from .outputs import claim_output, walk
from .tree_check import TreeCheck, parents, record_file, sha256

_RENAME_EXCHANGE = 2
NEXT_MANIFEST = f".{MANIFEST}.next"  # the new manifest, before it replaces the old
_AT_FDCWD = -100


def output_error(path: Path, message: str, hint: str = "") -> ConfigError:
    return fail("SC010", Location(str(path)), message, hint)


class OutputCheck:
    """The claim of an output directory and the check of the build in it, sharing one reading of
    its manifest and one record of its files (tree_check)."""

    def __init__(self) -> None:
        self.manifest: Manifest | None = None
        self.tree: TreeCheck | None = None

    def foreign(self, out: Path) -> list[str]:
        """For claim_output: what in `out` compile did not write. A directory without a manifest
        holds only such files; a manifest that cannot be trusted is refused."""
        self.manifest = load_manifest(out)
        if self.manifest is None:
            return [path for path, _ in walk(out, 100) if "/" not in path][:100]
        self.tree = TreeCheck(out, self.manifest.files, sha256(self.manifest.data), record_file(out))
        return self.tree.unlisted()

    def is_current(self, source: dict[str, Any], generator: str, holds: Callable[[dict], bool] = lambda _: True) -> bool:
        """True when the claimed output holds an intact build of the same sources by the same
        version and nothing else, of which `holds` (given the manifest) says that it is still what
        a build would be now."""
        manifest, tree = self.manifest, self.tree
        if manifest is None or tree is None or manifest.source != source or manifest.document["generator"] != generator \
                or not holds(manifest.document):
            return False
        tree.record()
        intact = not tree.changed() and not tree.unlisted()
        tree.save()
        return intact


@contextmanager
def locked(directory: Path) -> Iterator[None]:
    """Serialise writers of outputs in `directory` (a second compile waits for the first). The
    lock is on the directory itself: nothing is left behind when a process dies."""
    descriptor = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def _sources(root: Path | None) -> list[tuple[Path, str]]:
    return config_sources(root) if root is not None else []


def claim_build_output(out: Path | str, root: Path | None, check: OutputCheck | None = None) -> Path:
    """The output directory of compile, once it is provably compile's to replace."""
    return claim_output(out, (check or OutputCheck()).foreign, _sources(root))


def prepare(out: Path | str, root: Path | None) -> Path:
    """Check where the output goes, create its parent, and return the path to write (see
    claim_output). What the directory holds is checked under the lock (output_lock)."""
    out = claim_output(out, lambda _: [], _sources(root))
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise output_error(Path(error.filename or out.parent), f"cannot create the directory: {error.strerror}",
                           "fix the path or its permissions") from None
    return out


@contextmanager
def output_lock(out: Path, root: Path | None, check: OutputCheck | None = None) -> Iterator[Path]:
    """Hold the lock of `out`, check under it that `out` is compile's to replace (`check` then
    tells whether it is current), and clear what an interrupted compile left beside it."""
    try:
        with locked(out.parent):
            out = claim_build_output(out, root, check)
            _recover(out)
            yield out
    except OSError as error:
        raise output_error(Path(error.filename or out), f"cannot write the build: {error.strerror or error}",
                           f"{out} keeps its previous content; free space or fix permissions and run again") from None


def write_build(build: Build | Callable[[], Build], out: Path, source: dict[str, Any], generator: str,
                directories: Iterable[str] = (), keep_spare: bool = False) -> Build:
    """Replace `out` with the build, atomically and durably, under output_lock; on any failure
    `out` is left as it was.

    `build` may be the function that makes it: it is called while a thread creates the
    `directories` (relative paths) of the new build. Thousands of directories are the kernel's
    work, which then overlaps the compile's.

    The new build is written into a fresh directory beside `out`, or, with `keep_spare`, into the
    spare: the build before, kept beside `out` (`.<name>.spare`), updated in place where it
    verifies against its manifest: only the files that differ are written or removed. Either is
    exchanged with `out` in one renameat2, and with `keep_spare` the build replaced becomes the
    spare instead of being removed (which, for thousands of files, takes longer than writing
    them). A write that fails or is killed leaves `out` as it was; the spare it was updating no
    longer verifies and is removed by the next compile (it is compile's: it keeps its manifest
    until the new one replaces it). Something else of that name is left alone, and no spare kept."""
    spare = _verified_spare(out) if keep_spare else None
    staging = spare[0] if spare else Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    try:
        if spare:
            os.chmod(staging, 0o700)  # private while it is neither build, as a fresh directory is
        made = _Directories(staging, directories)
        try:
            build = build() if callable(build) else build
        finally:
            made.join()
        with stage("writing the build"):
            digests = file_digests(build)
            if spare:
                _update_files(staging, spare[1], build, digests, made.result())
            else:
                _write_files(staging, build, digests, made.result())
            manifest = manifest_bytes(build, digests, source, generator)
            # Replaced in one rename: a spare always holds a manifest that says it is compile's.
            write_durably(staging / NEXT_MANIFEST, manifest)
            os.replace(staging / NEXT_MANIFEST, staging / MANIFEST)
            written = os.lstat(staging / MANIFEST).st_ctime_ns
            os.chmod(staging, 0o755)
            sync_tree(staging)
        previous = _swap(staging, out)
    except BaseException:
        remove(staging)
        raise
    if keep_spare and previous == staging and (previous / MANIFEST).is_file():
        _keep_as_spare(previous, out)
    elif previous is not None:
        remove(previous)
    _record(out, digests, manifest, written)
    return build


def spare_of(out: Path) -> Path:
    return out.parent / f".{out.name}.spare"


def _verified_spare(out: Path) -> tuple[Path, dict[str, str]] | None:
    """The spare of `out` and the files its manifest lists, when it holds exactly a build. A spare
    that does not but holds compile's manifest (an update in place was stopped) is removed;
    anything else of that name is left alone. None without a spare or an output to exchange it
    with."""
    spare = spare_of(out)
    if not os.path.lexists(spare) or not out.is_dir() or spare.is_symlink() or not spare.is_dir():
        return None
    try:
        manifest = load_manifest(spare)
    except ConfigError:
        return None
    if manifest is None:
        return None
    try:
        tree = TreeCheck(spare, manifest.files, sha256(manifest.data), record_file(spare))
        intact = not tree.unlisted() and not tree.changed()
    except ConfigError:
        intact = False
    if not intact:
        remove(spare)
        return None
    return spare, manifest.files


def _update_files(spare: Path, previous: dict[str, str], build: Build, digests: dict[str, str], made: set[Path]) -> None:
    """Turn the spare, which holds the files `previous` (path -> digest), into the build: remove
    the files and directories it no longer has or has with other content, and create the others
    (as links to an unchanged file of the same content where there is one)."""
    for path, digest in previous.items():
        if digests.get(path) != digest:
            os.unlink(spare / path)
    for directory in sorted(parents(previous) - parents(digests), reverse=True):
        os.rmdir(spare / directory)
    kept = {digest: spare / path for path, digest in previous.items() if digests.get(path) == digest}
    outputs = build.outputs
    place_files(spare, {path: digest for path, digest in digests.items() if previous.get(path) != digest},
                lambda path, target: write_new(target, outputs[path]), made, kept)


def _keep_as_spare(previous: Path, out: Path) -> None:
    """Keep the build just replaced as the spare of `out`, with the record of its files."""
    spare = spare_of(out)
    if previous != spare:
        if os.path.lexists(spare):  # not compile's: _verified_spare removed a spare of its own
            remove(previous)
            return
        os.rename(previous, spare)
    old, new = record_file(out), record_file(spare)
    if old is not None and new is not None:
        try:
            os.replace(old, new)
        except OSError:
            pass


def _record(out: Path, digests: dict[str, str], manifest: bytes, written: int) -> None:
    """Keep the record of the tree just switched in, so that the next compile need not read it.
    Only what was written before the manifest is recorded (see tree_check); a failure leaves no
    record, which only costs the next check its time."""
    tree = TreeCheck(out, digests, sha256(manifest), record_file(out))
    try:
        tree.learn_written(written)
    except OSError:
        return
    tree.save()


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
    """The files of the build, not yet flushed: sync_tree flushes the whole tree at once."""
    outputs = build.outputs
    place_files(staging, digests, lambda path, target: write_new(target, outputs[path]), made)


def write_new(target: Path, data: bytes) -> None:
    """Create `target` with `data`, not yet flushed: sync_tree flushes its whole tree at once."""
    with open(target, "xb") as handle:
        handle.write(data)


def write_durably(target: Path, data: bytes) -> None:
    """Create `target` with `data` and flush it to the disk."""
    with open(target, "xb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def sync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def sync_tree(directory: Path) -> None:
    """Flush a tree just written, files and directories, so that no name in it can point to bytes
    that never reached the disk. One syncfs of its filesystem does that in one journal commit;
    where there is none, every file and then every directory is flushed, deepest first (a
    directory per commit: minutes for a ten-times build on a busy disk)."""
    if _syncfs(directory):
        return
    for path, status in reversed(list(walk(directory))):
        if stat.S_ISREG(status.st_mode):
            with open(directory / path, "rb") as handle:
                os.fsync(handle.fileno())
        elif stat.S_ISDIR(status.st_mode):
            sync_directory(directory / path)
    sync_directory(directory)


def _syncfs(directory: Path) -> bool:
    """syncfs(2) of the filesystem holding `directory`; False where the call does not exist."""
    syncfs = getattr(ctypes.CDLL(None, use_errno=True), "syncfs", None)
    if syncfs is None:
        return False
    descriptor = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        if syncfs(descriptor) != 0:
            code = ctypes.get_errno()
            if code == errno.ENOSYS:
                return False
            raise OSError(code, os.strerror(code), str(directory))
    finally:
        os.close(descriptor)
    return True


def remove(path: Path) -> None:
    """Remove a file, link or tree of our own; a link is removed, never followed."""
    try:
        if path.is_symlink() or not path.is_dir():
            path.unlink(missing_ok=True)
        else:
            shutil.rmtree(path)
    except OSError:
        pass


def place_files(directory: Path, digests: dict[str, str], produce: Callable[[str, Path], None],
                made: Iterable[Path] = (), present: dict[str, Path] | None = None) -> None:
    """Create every file of `digests` (path -> content digest) under `directory`: the first file of
    each content with `produce(path, target)`, the others as hard links to it or to the file of
    that content in `present` (or produced too where a link cannot be made). Directories in `made`
    exist already."""
    first: dict[str, Path] = dict(present or {})
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


def _swap(staging: Path, out: Path) -> Path | None:
    """Switch `staging` in as `out`; return where the build it replaced now is (None: none)."""
    if not out.exists():
        os.rename(staging, out)
        sync_directory(out.parent)
        return None
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
    sync_directory(out.parent)
    return previous


def _recover(out: Path) -> None:
    """Clear what an interrupted write left beside `out`; restore `out` if it was moved aside."""
    for leftover in sorted(out.parent.glob(f".{out.name}.old-*")):
        moved = leftover / out.name
        if not out.exists() and moved.is_dir() and not moved.is_symlink():
            os.rename(moved, out)
        remove(leftover)
    for leftover in out.parent.glob(f".{out.name}.new-*"):
        remove(leftover)
