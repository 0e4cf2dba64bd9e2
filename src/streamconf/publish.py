"""The deploy step: publish a verified build as a new release and switch to it atomically.

    DEST/releases/<id>/...   one complete build per release
    DEST/current -> releases/<id>

A release is copied into a hidden directory under DEST, verified against its manifest there, and
renamed into releases/; then `current` is replaced by a new symlink in one rename. A reader that
resolves DEST/current/... sees one release, old or new, never a mix.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from .codes import fail
from .diagnostics import ConfigError, Diagnostic, Location
from .emit import locked, place_files
from .instruments import schedule, timestamps
from .manifest import MANIFEST, read_manifest, verify

RELEASES = "releases"
CURRENT = "current"


def _refuse(path: Path, message: str, hint: str) -> ConfigError:
    return fail("SC050", Location(str(path)), message, hint)


@dataclass
class Plan:
    """What a publish or a rollback does (or, with --dry-run, would do)."""

    release: str
    previous: str | None
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: bool = False  # the release is already current
    removed_releases: list[str] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)


def check_build(build: Path, allow_dirty: bool) -> dict:
    """The build's manifest, once every file verifies and nothing else is there."""
    if build.is_symlink() or not build.is_dir():
        raise _refuse(build, "the build is not a directory", "name the output directory of `streamconf compile`")
    manifest = read_manifest(build)
    if manifest is None or not isinstance(manifest.get("files"), dict):
        raise _refuse(build / MANIFEST, "no readable manifest.json: not a complete build", "compile again")
    bad = verify(build, manifest)
    listed = set(manifest["files"]) | {MANIFEST}
    extra = sorted(str(p.relative_to(build)) for p in build.rglob("*") if not p.is_dir() and str(p.relative_to(build)) not in listed)
    if bad or extra:
        detail = ", ".join((bad + extra)[:5]) + (" …" if len(bad) + len(extra) > 5 else "")
        raise _refuse(build, f"the build does not match its manifest ({len(bad)} missing or modified, "
                             f"{len(extra)} not listed): {detail}", "do not edit a build; compile again")
    if manifest.get("source", {}).get("dirty") and not allow_dirty:
        raise _refuse(build, "the build was compiled from a working tree with uncommitted changes",
                      "commit, compile again, or pass --allow-dirty")
    return manifest


def release_id(manifest_bytes: bytes) -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    return f"{stamp}-{hashlib.sha256(manifest_bytes).hexdigest()[:12]}"


def current_release(dest: Path) -> str | None:
    link = dest / CURRENT
    if not link.exists() and not link.is_symlink():
        return None
    if not link.is_symlink():
        raise _refuse(link, "`current` is not a symbolic link", "move it away; publish manages it")
    return Path(os.readlink(link)).name


def releases(dest: Path) -> list[str]:
    folder = dest / RELEASES
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")) if folder.is_dir() else []


def _files(manifest: dict | None) -> dict[str, str]:
    return dict(manifest["files"]) if manifest else {}


def _compare(plan: Plan, old: dict[str, str], new: dict[str, str]) -> None:
    plan.added = sorted(set(new) - set(old))
    plan.removed = sorted(set(old) - set(new))
    plan.changed = sorted(path for path in set(new) & set(old) if new[path] != old[path])


def _switch(dest: Path, release: str) -> None:
    link = dest / f".current-{os.getpid()}"  # under the lock: no other writer is here
    os.symlink(f"{RELEASES}/{release}", link)
    os.replace(link, dest / CURRENT)


def _copy_release(build: Path, manifest: dict, dest: Path, release: str) -> None:
    incoming = Path(tempfile.mkdtemp(prefix=".incoming-", dir=dest))
    try:
        place_files(incoming, manifest["files"], lambda path, target: shutil.copyfile(build / path, target))
        shutil.copyfile(build / MANIFEST, incoming / MANIFEST)
        if verify(incoming, manifest):
            raise _refuse(build, "the build changed while it was being copied", "compile again, then publish")
        os.chmod(incoming, 0o755)
        (dest / RELEASES).mkdir(exist_ok=True)
        os.rename(incoming, dest / RELEASES / release)
    except BaseException:
        shutil.rmtree(incoming, ignore_errors=True)
        raise


def _prune(dest: Path, keep: int, current: str) -> list[str]:
    old = [name for name in releases(dest) if name != current]
    doomed = old[: max(0, len(old) - (keep - 1))]
    for name in doomed:
        shutil.rmtree(dest / RELEASES / name, ignore_errors=True)
    return doomed


def _clean(dest: Path) -> None:
    for leftover in list(dest.glob(".incoming-*")) + list(dest.glob(".current-*")):
        if leftover.is_symlink() or leftover.is_file():
            leftover.unlink()
        else:
            shutil.rmtree(leftover, ignore_errors=True)


def publish(build: Path, dest: Path, keep: int = 5, allow_dirty: bool = False, dry_run: bool = False) -> Plan:
    manifest = check_build(build, allow_dirty)
    manifest_bytes = (build / MANIFEST).read_bytes()
    warnings = schedule.expiry_warnings(manifest, str(build / MANIFEST), timestamps.now())
    try:
        dest.mkdir(parents=True, exist_ok=True)
        with locked(dest):
            _clean(dest)
            previous = current_release(dest)
            old_manifest = read_manifest(dest / CURRENT) if previous else None
            plan = Plan(release_id(manifest_bytes), previous, warnings=warnings)
            _compare(plan, _files(old_manifest), manifest["files"])
            if previous and (dest / CURRENT / MANIFEST).read_bytes() == manifest_bytes:
                plan.release, plan.unchanged = previous, True
                return plan
            if dry_run:
                return plan
            _copy_release(build, manifest, dest, plan.release)
            _switch(dest, plan.release)
            plan.removed_releases = _prune(dest, keep, plan.release)
            return plan
    except OSError as error:
        raise _refuse(Path(error.filename or dest), f"cannot publish: {error.strerror or error}",
                      f"{dest / CURRENT} still points to the release it pointed to") from None


def rollback(dest: Path, dry_run: bool = False) -> Plan:
    """Switch `current` back to the release published before it."""
    with locked(dest):
        current = current_release(dest)
        earlier = [name for name in releases(dest) if current is None or name < current]
        if not earlier:
            raise _refuse(dest, "no earlier release to roll back to", "publish a build first")
        plan = Plan(earlier[-1], current)
        _compare(plan, _files(read_manifest(dest / CURRENT) if current else None),
                 _files(read_manifest(dest / RELEASES / plan.release)))
        if not dry_run:
            _switch(dest, plan.release)
        return plan
