"""Editors that know the schemas: which JSON Schema in `schemas/` checks which file, written where
yaml-language-server finds it. That server is what VS Code's YAML extension, Neovim's yamlls and
the LSP clients of JetBrains IDEs and others run; it reads two things without any set-up of the
editor: a modeline comment in the file, and the workspace's `yaml.schemas` setting, which VS Code
takes from `.vscode/settings.json`."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import PurePosixPath

from .layout import FILE_GLOBS, INPUT_TREES, SCHEMA_OF_KIND, file_kind

SCHEMA_FOLDER = "schemas"
VSCODE_SETTINGS = ".vscode/settings.json"
MODELINE = "# yaml-language-server: $schema="


def patterns(globs: tuple[str, ...]) -> list[str]:
    """yaml-language-server matches a glob anywhere in a file's path (`eventlogging.yaml` would take
    streams/legacy/eventlogging.yaml too), so the same glob inside another tree is excluded."""
    return list(globs) + [f"!{tree}/**/{glob}" for tree in INPUT_TREES for glob in globs
                          if not glob.startswith((f"{tree}/", "!"))]


def vscode_settings() -> str:
    """`.vscode/settings.json`: each schema with the files it checks."""
    schemas = {f"./{SCHEMA_FOLDER}/{SCHEMA_OF_KIND[kind]}": patterns(globs) for kind, globs in FILE_GLOBS.items()}
    return json.dumps({"yaml.schemas": schemas}, indent=2) + "\n"


def modeline(file: str) -> str | None:
    """The comment that names the schema of a repository file, as a path relative to the file;
    None for a file that no schema checks."""
    kind = file_kind(file)
    if kind is None:
        return None
    up = "../" * (len(PurePosixPath(file).parts) - 1) or "./"
    return f"{MODELINE}{up}{SCHEMA_FOLDER}/{SCHEMA_OF_KIND[kind]}"


def with_modeline(file: str, text: str) -> str:
    line = modeline(file)
    return f"{line}\n{text}" if line and not text.startswith(MODELINE) else text


def editor_files() -> dict[str, str]:
    """What a new repository needs for editors: the schemas and the VS Code association."""
    folder = resources.files("streamconf") / SCHEMA_FOLDER
    files = {f"{SCHEMA_FOLDER}/{entry.name}": entry.read_text("utf-8")
             for entry in sorted(folder.iterdir(), key=lambda entry: entry.name) if entry.name.endswith(".json")}
    files[VSCODE_SETTINGS] = vscode_settings()
    return files
