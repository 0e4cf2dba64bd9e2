"""The deploy step: publish a verified build as a new release and switch to it atomically.

    DEST/releases/<id>/...   one complete build per release
    DEST/current -> releases/<id>
    DEST/served.json         the releases `current` was switched to, oldest first

publish trusts nothing it reads. The build's manifest is read once, with a size bound and
without following links; every path in it must be relative and inside the build; the build's
lock is held while its files are copied, each copied file is checked against that one reading,
and the release is verified again as written (and flushed to the disk) before `current` is
replaced by a new symlink in one rename. A reader that resolves DEST/current/... sees one
release, old or new, never a mix.

served.json is the rollback stack: publish pushes the new release, a rollback pops back to the
latest release served before that differs in content from the current one. A release that was
copied but never switched to is in no history and is never a rollback target.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from .diagnostics import ConfigError, Diagnostic
from .emit import locked, place_files, remove, sync_directory, sync_tree, write_durably, write_new
from .instruments import schedule, timestamps
from .layout import config_sources, repository_root
from .manifest import MANIFEST, Manifest, load_manifest, sha256
from .tree_check import unlisted, verify
from .outputs import bounded, claim_output, excerpt, read_regular, refusal

RELEASES = "releases"
CURRENT = "current"
SERVED = "served.json"
REFUSED = "SC050"
CHANGED = "SC205"  # the build changed, or a release does not verify as written
PROVENANCE = "SC206"  # the build is not positively from committed sources
HISTORY = "SC207"  # DEST's current, releases or served history cannot be trusted
MAX_FILE_BYTES = 256 * 1024 * 1024
MAX_SERVED_BYTES = 4 * 1024 * 1024
_RELEASE = re.compile(r"[0-9]{8}T[0-9]{12}Z-[0-9a-f]{12}")
_LEFTOVER = re.compile(r"\.(incoming|current|served)-.+")
_COMMIT = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


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


# The build ----------------------------------------------------------------------------------


def check_build(build: Path, allow_dirty: bool) -> Manifest:
    """The build's manifest, read once, when every file verifies against it, nothing else is
    there, and it was compiled from committed sources (or `allow_dirty`)."""
    if build.is_symlink() or not build.is_dir():
        raise refusal(build, "the build is not a directory", "name the output directory of `streamconf compile`",
                      REFUSED)
    manifest = load_manifest(build)
    if manifest is None:
        raise refusal(build / MANIFEST, "no manifest.json: not a complete build", "compile again", REFUSED)
    bad = verify(build, manifest.files)
    extra = unlisted(build, manifest.files)
    if bad or extra:
        raise refusal(build, f"the build does not match its manifest ({len(bad)} missing or modified, "
                             f"{len(extra)} not listed): {excerpt(bad + extra)}", "do not edit a build; compile again",
                      REFUSED)
    if not allow_dirty:
        _check_provenance(build, manifest.source)
    return manifest


def _check_provenance(build: Path, source: dict) -> None:
    commit, dirty = source.get("commit"), source.get("dirty")
    if dirty is False and isinstance(commit, str) and _COMMIT.fullmatch(commit):
        return
    if dirty is True:
        raise refusal(build, "the build was compiled from a working tree with uncommitted changes",
                      "commit, compile again, or pass --allow-dirty", PROVENANCE)
    raise refusal(build, "the build's provenance is unknown: git did not confirm that every input file was "
                         "committed (compiled outside git, or git failed or refused the repository)",
                  "compile inside the config's git repository (or with --ref), or pass --allow-dirty", PROVENANCE)


# DEST ---------------------------------------------------------------------------------------


def dest_foreign(dest: Path) -> list[str]:
    """For claim_output: what in DEST publish did not write."""
    strangers = []
    with os.scandir(dest) as entries:
        for entry in entries:
            mode = entry.stat(follow_symlinks=False).st_mode
            ours = (entry.name == RELEASES and stat.S_ISDIR(mode) or entry.name == CURRENT and stat.S_ISLNK(mode)
                    or entry.name == SERVED and stat.S_ISREG(mode) or _LEFTOVER.fullmatch(entry.name))
            if not ours:
                strangers.append(entry.name)
    releases = dest / RELEASES
    if not strangers and releases.is_dir() and not releases.is_symlink():
        with os.scandir(releases) as entries:
            strangers = [f"{RELEASES}/{entry.name}" for entry in entries
                         if not (_RELEASE.fullmatch(entry.name) and entry.is_dir(follow_symlinks=False))]
    return sorted(strangers)


def claim_dest(dest: Path | str, build: Path | None = None) -> Path:
    """DEST, once it is provably publish's (see claim_output); it never overlaps the build, nor
    the config sources of a repository it may belong to: the one publish runs in, the build's, or
    one that DEST itself lies in."""
    protected = [(build, "the build")] if build else []
    for root in sorted({root for start in _repository_starts(dest, build) if (root := repository_root(start))}):
        protected += config_sources(root)
    return claim_output(dest, dest_foreign, protected, "publish destination")


def _repository_starts(dest: Path | str, build: Path | None) -> list[Path]:
    """Where to look for a config repository: the current folder, the build's folder, and DEST's
    nearest existing folder."""
    starts = [Path.cwd()] + ([build.parent] if build else [])
    if str(dest):
        existing = Path(os.path.abspath(dest))
        while not existing.is_dir() and existing != existing.parent:
            existing = existing.parent
        starts.append(existing)
    return starts


def current_release(dest: Path) -> str | None:
    """The release `current` names; None when there is no `current`."""
    link = dest / CURRENT
    if not link.is_symlink():
        return None
    target = os.readlink(link)
    release = target.removeprefix(f"{RELEASES}/")
    if not _RELEASE.fullmatch(release) or target != f"{RELEASES}/{release}":
        raise refusal(link, f"`current` points to {bounded(target)}, not to a release under {RELEASES}/",
                      "move it away; publish manages it", HISTORY)
    return release


def releases(dest: Path) -> list[str]:
    folder = dest / RELEASES
    if folder.is_symlink() or not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if _RELEASE.fullmatch(p.name) and not p.is_symlink() and p.is_dir())


def intact_release(dest: Path, release: str | None) -> Manifest | None:
    """The release's manifest when the release exists and verifies against it, else None."""
    if release is None or not (dest / RELEASES / release).is_dir():
        return None
    directory = dest / RELEASES / release
    try:
        manifest = load_manifest(directory)
    except ConfigError:
        return None
    if manifest is None or verify(directory, manifest.files) or unlisted(directory, manifest.files):
        return None
    return manifest


def read_served(dest: Path, current: str | None) -> list[str]:
    """The served history, oldest first, ending with `current`. A DEST published before the
    history was kept starts from its releases in name (time) order up to `current`."""
    path = dest / SERVED
    try:
        document = json.loads(read_regular(path, MAX_SERVED_BYTES, "served history"))
    except FileNotFoundError:
        history = [name for name in releases(dest) if current is not None and name <= current]
    except (OSError, ValueError) as error:
        raise refusal(path, f"cannot read the served history: {getattr(error, 'strerror', None) or error}",
                      f"move {SERVED} away to start a new history", HISTORY) from None
    else:
        served = document.get("served") if isinstance(document, dict) else None
        if not isinstance(served, list) or not all(isinstance(n, str) and _RELEASE.fullmatch(n) for n in served):
            raise refusal(path, "not a served history (an object whose `served` lists release ids)",
                          f"move {SERVED} away to start a new history", HISTORY)
        history = served
    if current is not None and (not history or history[-1] != current):
        history = history + [current]
    return history


def _write_served(dest: Path, history: list[str]) -> None:
    data = (json.dumps({"format": 1, "served": history}, indent=1) + "\n").encode()
    temporary = dest / f".served-{os.getpid()}"
    remove(temporary)
    write_durably(temporary, data)
    os.replace(temporary, dest / SERVED)
    sync_directory(dest)


@dataclass
class Target:
    """Where a rollback goes: a release, its manifest, and the served history ending with it."""

    release: str
    manifest: Manifest
    history: list[str]


def rollback_target(dest: Path, history: list[str], current_files: dict | None, check=intact_release) -> Target | None:
    """The latest release served before the current one whose files differ from the current
    ones and that `check` accepts."""
    stack = history[:-1]
    while stack:
        manifest = check(dest, stack[-1])
        if manifest is not None and manifest.files != current_files:
            return Target(stack[-1], manifest, stack)
        stack = stack[:-1]
    return None


def _listed_release(dest: Path, release: str) -> Manifest | None:
    try:
        return load_manifest(dest / RELEASES / release)
    except ConfigError:
        return None


# publish and rollback -----------------------------------------------------------------------


def release_id(manifest_bytes: bytes) -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    return f"{stamp}-{hashlib.sha256(manifest_bytes).hexdigest()[:12]}"


def _compare(plan: Plan, old: dict[str, str], new: dict[str, str]) -> None:
    plan.added = sorted(set(new) - set(old))
    plan.removed = sorted(set(old) - set(new))
    plan.changed = sorted(path for path in set(new) & set(old) if new[path] != old[path])


def _switch(dest: Path, release: str, history: list[str]) -> None:
    """Point `current` at the release in one rename, durably, then record it as served."""
    link = dest / f".current-{os.getpid()}"  # under the lock: no other writer is here
    remove(link)
    os.symlink(f"{RELEASES}/{release}", link)
    os.replace(link, dest / CURRENT)
    sync_directory(dest)
    _write_served(dest, history)


def _copy_release(build: Path, manifest: Manifest, dest: Path, release: str) -> None:
    """Copy the build's files into a new release, each checked against the manifest as read;
    verify the release as written and flush it to the disk before it is named."""
    incoming = Path(tempfile.mkdtemp(prefix=".incoming-", dir=dest))

    def copy(path: str, target: Path) -> None:
        data = read_regular(build / path, MAX_FILE_BYTES)
        if sha256(data) != manifest.files[path]:
            raise refusal(build / path, "the build changed while it was being copied", "compile again, then publish",
                          CHANGED)
        write_new(target, data)

    try:
        place_files(incoming, manifest.files, copy)
        write_new(incoming / MANIFEST, manifest.data)
        os.chmod(incoming, 0o755)
        sync_tree(incoming)
        bad = verify(incoming, manifest.files) + unlisted(incoming, manifest.files)
        if bad:
            raise refusal(dest, f"the release does not verify as written: {excerpt(bad)}",
                          "check the disk holding DEST, then publish again", CHANGED)
        (dest / RELEASES).mkdir(exist_ok=True)
        os.rename(incoming, dest / RELEASES / release)
        sync_directory(dest / RELEASES)
    except BaseException:
        remove(incoming)
        raise


def _prune(dest: Path, keep: int, history: list[str]) -> list[str]:
    """Remove releases beyond the `keep` latest served, but never the one a rollback would
    return to; releases in no history (rolled back from, or never switched to) go first."""
    kept = set(history[-keep:])
    target = rollback_target(dest, history, _files(_listed_release(dest, history[-1])), _listed_release)
    if target:
        kept.add(target.release)
    doomed = [name for name in releases(dest) if name not in kept]
    for name in doomed:
        remove(dest / RELEASES / name)
    return doomed


def _clean(dest: Path) -> None:
    for leftover in dest.iterdir():
        if _LEFTOVER.fullmatch(leftover.name):
            remove(leftover)


def _files(manifest: Manifest | None) -> dict[str, str]:
    return dict(manifest.files) if manifest else {}


def _os_error(dest: Path, error: OSError) -> ConfigError:
    return refusal(Path(error.filename or dest), f"cannot publish: {error.strerror or error}",
                   f"{dest / CURRENT} still points to the release it pointed to", REFUSED)


def publish(build: Path | str, dest: Path | str, keep: int = 5, allow_dirty: bool = False, dry_run: bool = False) -> Plan:
    if not str(build):
        raise refusal("''", "the build is an empty path", "name the output directory of `streamconf compile`", REFUSED)
    build = Path(os.path.abspath(build))
    dest = claim_dest(dest, build)
    try:
        with ExitStack() as stack:
            if build.is_dir():
                stack.enter_context(locked(build.parent))  # compile waits until the copy is done
            manifest = check_build(build, allow_dirty)
            warnings = schedule.expiry_warnings(manifest.document, str(build / MANIFEST), timestamps.now())
            if dry_run and not dest.exists():
                plan = Plan(release_id(manifest.data), None, warnings=warnings)
                _compare(plan, {}, manifest.files)
                return plan
            dest.mkdir(parents=True, exist_ok=True)
            stack.enter_context(locked(dest))
            dest = claim_dest(dest, build)  # again, under DEST's lock
            if not dry_run:
                _clean(dest)
            previous = current_release(dest)
            history = read_served(dest, previous)
            old = intact_release(dest, previous)
            plan = Plan(release_id(manifest.data), previous, warnings=warnings)
            _compare(plan, _files(old), manifest.files)
            if old is not None and old.data == manifest.data:
                plan.release, plan.unchanged = previous, True
                if not dry_run and not (dest / SERVED).exists():
                    _write_served(dest, history)
                return plan
            if dry_run:
                return plan
            _copy_release(build, manifest, dest, plan.release)
            history.append(plan.release)
            _switch(dest, plan.release, history)
            plan.removed_releases = _prune(dest, keep, history)
            return plan
    except OSError as error:
        raise _os_error(dest, error) from None


def rollback(dest: Path | str, dry_run: bool = False) -> Plan:
    """Switch `current` back to the latest release served before it that differs from it."""
    if str(dest) and (os.path.islink(dest) or not os.path.isdir(dest)):
        raise refusal(dest, "the publish destination does not exist or is not a directory",
                      "name the DEST that `streamconf publish` wrote", REFUSED)
    dest = claim_dest(dest)
    try:
        with locked(dest):
            current = current_release(dest)
            history = read_served(dest, current)
            current_manifest = _listed_release(dest, current) if current else None
            target = rollback_target(dest, history, _files(current_manifest) if current_manifest else None)
            if target is None:
                raise refusal(dest, "no earlier release that differs from the current one was served",
                              "publish a build first", HISTORY)
            plan = Plan(target.release, current)
            _compare(plan, _files(current_manifest), target.manifest.files)
            if not dry_run:
                _switch(dest, target.release, target.history)
            return plan
    except OSError as error:
        raise _os_error(dest, error) from None
