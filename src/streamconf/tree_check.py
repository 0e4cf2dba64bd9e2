"""Checking an output tree against its manifest: which listed files are missing or differ, and what
the tree holds that the manifest does not list. Fast when the tree did not change.

Reading every file and listing every directory of a large build takes seconds, so compile keeps a
record of what a check (or the write of a build) found: each verified file's (device, inode, size,
mtime, ctime) and each checked directory's (device, inode, mtime, ctime). The next check hashes
only the files whose stat differs from the record and lists only the directories whose stat
differs.

Why that is safe. Writing a file's bytes sets its mtime and ctime; creating, removing, renaming or
linking an entry sets its directory's (and linking sets the file's ctime); a replaced file has
another inode, a mount another device. mtime can be set back (touch -d), ctime cannot without
setting the system clock. So an entry whose stat equals the record has not changed since, unless it
changed again within the same tick of the file system's clock, which leaves ctime as it was (git's
"racy" entries). An entry is therefore recorded only when its ctime is older than a timestamp the
file system gave *before* the entry was read (a probe directory created beside the output, or the
manifest of a build just written): any later change gets a later ctime. In particular a file
cannot be added to a directory whose stat is unchanged: adding it would have set the directory's
ctime to a time after the record was made.

The record lives in the user's cache (parse_cache.cache_directory(), folder `outputs`), keyed by
the output's absolute path, and names the sha256 of the manifest it belongs to. Nothing in a
repository or an output can write it, so no input can make a check trust changed bytes. Without a
cache (STREAMCONF_CACHE_DIR set empty) every check reads everything.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Iterable

from .diagnostics import ConfigError
from .outputs import MAX_ENTRIES, list_directory, read_regular, refusal, walk
from .parse_cache import cache_directory

MANIFEST = "manifest.json"
RECORDS = "outputs"
RECORD_FORMAT = 1


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def file_stat(status: os.stat_result) -> list[int]:
    return [status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns]


def directory_stat(status: os.stat_result) -> list[int]:
    return [status.st_dev, status.st_ino, status.st_mtime_ns, status.st_ctime_ns]


def parents(files: Iterable[str]) -> set[str]:
    """Every directory that holds a listed file, the tree's root ("") included."""
    directories = {""}
    for path in files:
        while "/" in path:
            path = path.rsplit("/", 1)[0]
            if path in directories:
                break
            directories.add(path)
    return directories


class TreeCheck:
    """One check of the tree at `out` against `files` (path -> sha256) of the manifest whose own
    sha256 is `manifest`. With `record_file`, what the last check recorded is trusted and what this
    one verifies is recorded (see the module's docstring)."""

    def __init__(self, out: Path, files: dict[str, str], manifest: str = "", record_file: Path | None = None) -> None:
        self.out, self.files, self.manifest, self.record_file = out, files, manifest, record_file
        self.base = os.fspath(out) + "/"  # paths joined as text: a Path per file costs seconds at scale
        record = _read_record(record_file, manifest) if record_file else None
        self.known_files: dict[str, list[int]] = record["files"] if record else {}
        self.known_directories: dict[str, list[int]] = record["directories"] if record else {}
        self.learned = False
        self.since: int | None = None  # see record(); None: nothing is recorded
        self._suspect_directories: list[str] | None = None

    def changed(self) -> list[str]:
        """Files of the manifest that are missing, not regular files or differ from their recorded
        sha256. Hard-linked files are read once."""
        suspects = []
        base, known = self.base, self.known_files
        for path in self.files:
            try:
                if file_stat(os.lstat(base + path)) != known.get(path):
                    suspects.append(path)
            except OSError:
                suspects.append(path)
        if not suspects:
            return []
        since = self.since
        bad = []
        seen: dict[tuple[int, int], str] = {}
        for path in suspects:
            self.known_files.pop(path, None)
            target = self.out / path
            try:
                status = os.lstat(target)
                identity = (status.st_dev, status.st_ino)
                if identity not in seen and stat.S_ISREG(status.st_mode):
                    seen[identity] = sha256(read_regular(target, status.st_size))
                if seen.get(identity) != self.files[path]:
                    bad.append(path)
                elif since is not None and status.st_ctime_ns < since:
                    self.known_files[path] = file_stat(status)
                    self.learned = True
            except (OSError, ConfigError):
                bad.append(path)
        return bad

    def unlisted(self, limit: int = MAX_ENTRIES) -> list[str]:
        """Entries under `out` that the manifest does not account for: neither a listed file, the
        manifest, nor a directory holding listed files. Links are not followed."""
        directories = parents(self.files)
        suspects = self._suspect_directories
        if suspects is None:
            suspects = []
            base, known = self.base, self.known_directories
            for directory in directories:
                try:
                    if directory_stat(os.lstat(base + directory)) != known.get(directory):
                        suspects.append(directory)
                except OSError:
                    suspects.append(directory)
            self._suspect_directories = suspects
        if not suspects:
            return []
        since = self.since
        found: list[str] = []
        listed = 0
        broken: set[str] = set()  # not directories: their parent's listing reports them
        for directory in sorted(suspects):  # a parent before its children
            self.known_directories.pop(directory, None)
            if directory.rpartition("/")[0] in broken:
                broken.add(directory)  # never listed through a link or a file
                continue
            try:
                status = os.lstat(self.out / directory)
            except FileNotFoundError:
                status = None  # its files are missing: changed() reports them
            if status is None or not stat.S_ISDIR(status.st_mode):
                broken.add(directory)
                continue
            strangers = []
            entries = list_directory(self.out, directory)
            listed += len(entries)
            if listed > limit:
                raise refusal(self.out, f"holds more than {limit:,} entries", "name another directory")
            for path, entry in entries:
                if path in self.files or path == MANIFEST or (stat.S_ISDIR(entry.st_mode) and path in directories):
                    continue
                strangers.append(path)
                if stat.S_ISDIR(entry.st_mode):
                    strangers.extend(f"{path}/{inner}" for inner, _ in walk(self.out / path, limit))
            found.extend(strangers)
            if not strangers and since is not None and status.st_ctime_ns < since:
                self.known_directories[directory] = directory_stat(status)
                self.learned = True
        return found

    def record(self) -> None:
        """From now on, record what is verified (by changed(), and by unlisted() called again: it
        lists again only the directories it found changed). The file system's time is taken first,
        from a directory made and removed beside the output: what has an older ctime cannot change
        again without getting a newer one. Only for an output already claimed: the probe touches
        its parent."""
        if self.record_file is not None:
            self.since = file_system_time(self.out.parent, f".{self.out.name}.new-probe-")

    def learn_written(self, since: int) -> None:
        """Record the tree as just written: every entry older than `since` (the ctime of the
        manifest, written after everything else) holds what the manifest says."""
        self.known_files, self.known_directories = {}, {}
        for path in self.files:
            status = os.lstat(self.base + path)
            if status.st_ctime_ns < since:
                self.known_files[path] = file_stat(status)
        for directory in parents(self.files):
            status = os.lstat(self.base + directory)
            if status.st_ctime_ns < since:
                self.known_directories[directory] = directory_stat(status)
        self.learned = True

    def save(self) -> None:
        """Keep what this check learned for the next one; failures are ignored (a record only saves
        time)."""
        if self.record_file is None or not self.learned:
            return
        document = {"format": RECORD_FORMAT, "manifest": self.manifest, "files": self.known_files,
                    "directories": self.known_directories}
        try:
            self.record_file.parent.mkdir(parents=True, exist_ok=True)
            descriptor, temporary = tempfile.mkstemp(dir=self.record_file.parent, prefix=".record-")
            try:
                with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                    handle.write(json.dumps(document, separators=(",", ":")))  # json.dump writes piece by piece
                os.replace(temporary, self.record_file)
            except BaseException:
                os.unlink(temporary)
                raise
        except OSError:
            pass


def record_file(out: Path) -> Path | None:
    """Where the record of the output `out` (an absolute path) is kept; None without a cache."""
    directory = cache_directory()
    if directory is None:
        return None
    return directory / RECORDS / (hashlib.sha256(os.fsencode(out)).hexdigest() + ".json")


def _read_record(path: Path, manifest: str) -> dict | None:
    """The record at `path` when it belongs to the manifest `manifest`, else None."""
    try:
        with open(path, "rb") as handle:
            document = json.load(handle)
        if document["format"] != RECORD_FORMAT or document["manifest"] != manifest or not manifest:
            return None
        for table, width in (("files", 5), ("directories", 4)):
            if not all(type(value) is list and len(value) == width for value in document[table].values()):
                return None
        return document
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def file_system_time(directory: Path, prefix: str) -> int | None:
    """The ctime the file system gives a directory created now in `directory` (named with `prefix`,
    so that a process killed meanwhile leaves what the next compile clears), or None."""
    try:
        probe = tempfile.mkdtemp(prefix=prefix, dir=directory)
    except OSError:
        return None
    try:
        return os.lstat(probe).st_ctime_ns
    finally:
        os.rmdir(probe)


def verify(out: Path, files: dict[str, str]) -> list[str]:
    """Files of the manifest that are missing, not regular files or differ (every file is read)."""
    return TreeCheck(out, files).changed()


def unlisted(out: Path, files: dict[str, str]) -> list[str]:
    """Entries under `out` that the manifest does not account for (every directory is listed)."""
    return TreeCheck(out, files).unlisted()
