"""A build and its manifest: the compiled files, and the record of their sha256 and of what they
were made from. Shared by emit, which writes a build, and publish, which copies a verified one."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .diagnostics import Diagnostic

MANIFEST = "manifest.json"
MANIFEST_FORMAT = 1


@dataclass
class Build:
    """The compiled output: path under the output directory -> bytes. Wikis that are served the
    same bundle share one bytes object."""

    files: dict[str, bytes] = field(default_factory=dict)
    realms: dict[str, list[str]] = field(default_factory=dict)
    warnings: list[Diagnostic] = field(default_factory=list)
    validity: dict[str, str | None] = field(default_factory=dict)  # `at` and `valid_until`, when time matters
    serving: dict[str, bytes] = field(default_factory=dict)  # OUT/<realm>/serving.json: what `serve` needs

    @property
    def outputs(self) -> dict[str, bytes]:
        """Every file of the build: the bundles and each realm's serving data, by path."""
        return dict(sorted({**self.files, **self.serving}.items()))


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def file_digests(build: Build) -> dict[str, str]:
    """path -> sha256 of its content, each distinct content hashed once."""
    digests: dict[int, str] = {}
    outputs = build.outputs
    for data in outputs.values():
        if id(data) not in digests:
            digests[id(data)] = sha256(data)
    return {path: digests[id(data)] for path, data in outputs.items()}


def manifest_bytes(build: Build, digests: dict[str, str], source: dict[str, Any], generator: str) -> bytes:
    document = {"format": MANIFEST_FORMAT, "generator": generator, "source": source, "realms": build.realms, "files": digests,
                **build.validity}
    return (json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def read_manifest(out: Path) -> dict | None:
    try:
        with open(out / MANIFEST, "rb") as handle:
            manifest = json.load(handle)
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) else None


def verify(out: Path, manifest: dict) -> list[str]:
    """Files of the manifest that are missing or differ from their recorded sha256. Hard-linked
    files are read once."""
    bad = []
    files = manifest.get("files")
    if not isinstance(files, dict):
        return [MANIFEST]
    seen: dict[tuple[int, int], str] = {}
    for path, digest in files.items():
        target = out / path
        try:
            status = os.lstat(target)
            identity = (status.st_dev, status.st_ino)
            if identity not in seen and stat.S_ISREG(status.st_mode):
                seen[identity] = sha256(target.read_bytes())
            if seen.get(identity) != digest:
                bad.append(path)
        except OSError:
            bad.append(path)
    return bad
