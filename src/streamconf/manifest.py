"""A build and its manifest: the compiled files, and the record of their sha256 and of what they
were made from. Shared by emit, which writes a build, and publish, which copies a verified one."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .codes import fail
from .diagnostics import Diagnostic, Location
from .outputs import bounded, is_inside, read_regular
from .tree_check import MANIFEST, sha256

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


MAX_MANIFEST_BYTES = 64 * 1024 * 1024
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


@dataclass(frozen=True)
class Manifest:
    """A manifest as read once: its bytes and the document they hold."""

    path: Path
    data: bytes
    document: dict

    @property
    def files(self) -> dict[str, str]:
        return self.document["files"]

    @property
    def source(self) -> dict:
        return self.document["source"]


def load_manifest(directory: Path) -> Manifest | None:
    """The manifest of a build or release, None when there is none. A manifest that is a link, a
    FIFO, a device, too large, not JSON or of the wrong shape (a file path that is not relative,
    normalised and inside the directory) is refused with an error naming it."""
    path = directory / MANIFEST
    try:
        data = read_regular(path, MAX_MANIFEST_BYTES, "manifest")
    except FileNotFoundError:
        return None
    except OSError as error:
        raise fail("SC203", Location(str(path)), f"cannot read the manifest: {error.strerror}",
                   "check its permissions") from None
    try:
        document = json.loads(data)
    except (ValueError, RecursionError):
        raise fail("SC204", Location(str(path)), "the manifest is not JSON",
                   "this is not a complete streamconf build: compile again") from None
    problem = manifest_problem(document)
    if problem:
        raise fail("SC204", Location(str(path)), f"not a streamconf manifest: {problem}",
                   "compile again into a new directory")
    return Manifest(path, data, document)


def manifest_problem(document: Any) -> str | None:
    """What is wrong with the shape of a manifest document, or None."""
    if not isinstance(document, dict):
        return "not an object"
    if document.get("format") != MANIFEST_FORMAT or type(document.get("format")) is not int:
        return f"`format` is not {MANIFEST_FORMAT}"
    if not isinstance(document.get("generator"), str) or not document["generator"].startswith("streamconf "):
        return "`generator` is not streamconf"
    for key in ("source", "realms", "files"):
        if not isinstance(document.get(key), dict):
            return f"`{key}` is not an object"
    for path, digest in document["files"].items():
        if not is_inside(path) or path == MANIFEST:
            return f"the file path {bounded(path)} is not a relative path inside the build"
        if not isinstance(digest, str) or not _DIGEST.fullmatch(digest):
            return f"the digest of {bounded(path)} is not sha256:<64 hex digits>"
    return None
