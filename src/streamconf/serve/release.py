"""A release as the server holds it: every wiki's stream configs in memory, read from one build and
verified against its manifest before a single request is answered from it.

The source is a build directory (`streamconf compile --out`) or a publish destination, whose
`current` link names the release. Every file is read through one open directory, so a build that
is swapped or a `current` that is switched while it is read cannot mix two builds; a file that does
not match its manifest fails the whole release.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from .. import render
from ..compiler import SERVING, STREAMCONFIGS
from ..manifest import MANIFEST, MAX_MANIFEST_BYTES, manifest_problem
from ..publish import CURRENT, MAX_FILE_BYTES
from .query import Stream


class ReleaseError(Exception):
    """The source holds no complete, verified build."""


@dataclass(frozen=True)
class Body:
    """One distinct `action=streamconfigs` body: the bundle's bytes and its stream configs."""

    data: bytes
    digest: str  # the bundle's sha256, from the manifest
    streams: dict[str, Stream]


@dataclass
class Release:
    name: str  # the release id of a publish destination, or the build's manifest digest
    wikis: dict[tuple[str, str], Body]  # (realm, wiki) -> body
    hosts: dict[str, tuple[str, str]] = field(default_factory=dict)  # host name -> (realm, wiki)
    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)  # realm file path -> (bytes, digest)


def version(source: Path) -> str:
    """What changes when the source gets a new release: the target of `current`, or the identity
    of the build directory and its manifest."""
    link = source / CURRENT
    if link.is_symlink():
        return os.readlink(link)
    try:
        directory, manifest = os.stat(source), os.stat(source / MANIFEST)
    except OSError:
        return "missing"
    return f"{directory.st_dev}:{directory.st_ino}:{manifest.st_ino}:{manifest.st_mtime_ns}"


def directory_of(source: Path) -> tuple[Path, str | None]:
    """The build directory to read, and the release id when the source is a publish destination."""
    link = source / CURRENT
    if link.is_symlink():
        target = (source / os.readlink(link)).resolve()
        return target, target.name
    return source, None


def load(source: Path, host_realm: str | None = None) -> Release:
    """The release the source holds now, verified file by file against its manifest."""
    directory, release_id = directory_of(source)
    try:
        descriptor = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as error:
        raise ReleaseError(f"cannot open {directory}: {error.strerror}") from None
    try:
        return _read(descriptor, directory, release_id, host_realm)
    finally:
        os.close(descriptor)


def _read_file(descriptor: int, path: str, limit: int = MAX_FILE_BYTES) -> bytes:
    """A regular file of the build, no larger than `limit`; a link, FIFO or device is refused
    without being followed or waited on."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=descriptor)
    with os.fdopen(fd, "rb") as handle:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode) or status.st_size > limit:
            raise ReleaseError(f"{path} is not a regular file of at most {limit:,} bytes")
        return handle.read(limit + 1)


def _read(descriptor: int, directory: Path, release_id: str | None, host_realm: str | None) -> Release:
    try:
        manifest_data = _read_file(descriptor, MANIFEST, MAX_MANIFEST_BYTES)
        document = json.loads(manifest_data)
        problem = manifest_problem(document)
        if problem:
            raise ReleaseError(f"{directory / MANIFEST} is not a streamconf manifest: {problem}")
        listed = document["files"]
        kept = _verified_files(descriptor, listed)
    except ReleaseError:
        raise
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as error:
        raise ReleaseError(f"{directory} is not a complete build: {error}") from None
    name = release_id or "sha256:" + hashlib.sha256(manifest_data).hexdigest()[:16]
    serving = {realm: json.loads(kept[digest]) for (realm, file), digest in _realm_files(listed).items() if file == SERVING}
    release = Release(name, {})
    bodies: dict[tuple[str, tuple[str, ...]], Body] = {}
    configs: dict[bytes, dict] = {}  # one config object for each distinct config, shared by the bodies
    for path, digest in listed.items():
        parts = path.split("/")
        if len(parts) == 3 and parts[2] == STREAMCONFIGS:
            realm, wiki = parts[0], parts[1]
            explicit = tuple(serving.get(realm, {}).get("explicit_topics", {}).get(wiki, ()))
            if (digest, explicit) not in bodies:
                bodies[digest, explicit] = _body(kept[digest], digest, set(explicit), configs)
            release.wikis[realm, wiki] = bodies[digest, explicit]
    release.files = {f"{realm}/{file}": (kept[digest], digest) for (realm, file), digest in _realm_files(listed).items()
                     if file != SERVING}
    release.hosts = _hosts(serving, host_realm)
    return release


def _realm_files(listed: dict[str, str]) -> dict[tuple[str, str], str]:
    """(realm, file name) -> digest of the files beside a realm's wikis (serving.json, instruments.json)."""
    return {tuple(path.split("/")): digest for path, digest in listed.items() if path.count("/") == 1}


def _verified_files(descriptor: int, listed: dict[str, str]) -> dict[str, bytes]:
    """Reads and verifies every listed file; keeps one copy of each content the server answers
    from (EventLogging's maps are verified, not kept)."""
    kept: dict[str, bytes] = {}
    for path, digest in listed.items():
        data = _read_file(descriptor, path)
        if "sha256:" + hashlib.sha256(data).hexdigest() != digest:
            raise ReleaseError(f"{path} does not match the manifest: the build was modified or is partial")
        if digest not in kept and (path.endswith("/" + STREAMCONFIGS) or path.count("/") == 1):
            kept[digest] = data
    return kept


def _body(data: bytes, digest: str, explicit: set[str], configs: dict[bytes, dict]) -> Body:
    streams = {}
    for key, config in json.loads(data)["streams"].items():
        fragment = render.serialize_value(config)
        config = configs.setdefault(fragment, config)
        streams[key] = Stream(key, config, fragment, key not in explicit)
    return Body(data, digest, streams)


def _hosts(serving: dict[str, dict], host_realm: str | None) -> dict[str, tuple[str, str]]:
    """host -> (realm, wiki) from the domain maps of every realm, or of the one chosen. Two realms
    that claim one host name are refused: which wiki answers must not depend on an order."""
    if host_realm is not None and host_realm not in serving:
        raise ReleaseError(f"the build has no realm {host_realm!r} to answer host names from")
    hosts: dict[str, tuple[str, str]] = {}
    for realm in sorted(serving) if host_realm is None else [host_realm]:
        for host, wiki in serving[realm].get("domains", {}).items():
            if host in hosts:
                other, other_wiki = hosts[host]
                raise ReleaseError(
                    f"realms {other!r} ({other_wiki}) and {realm!r} ({wiki}) both answer for the host name {host}: "
                    f"give one of the wikis its own host names with `domains:` in realms/<realm>.yaml, "
                    f"or answer one realm by host with --host-realm")
            hosts[host] = (realm, wiki)
    return hosts
