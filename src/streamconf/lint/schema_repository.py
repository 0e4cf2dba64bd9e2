"""Rules against the event schema repository (jsonschema-tools layout): SL012 unknown-schema,
SL013 stale-schema. Its files are read with the same hardened YAML loader as the config."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from ..diagnostics import ConfigError, did_you_mean
from ..load import decode, parse_yaml, read_bytes
from ..values import show
from .context import Context, setting_values
from .registry import Finding, rule


@rule("SL012", local=True)
def unknown_schema(context: Context) -> Iterator[Finding]:
    """`schema_title` names no schema in the event schema repository. Checked when one is given, with
    `--schema-repo PATH` or `schema_repository` in streamconf.yaml; the repository has the
    jsonschema-tools layout: `jsonschema/<title>/current.yaml` and the materialised versions beside
    it. The repository's own config uses the fixture in `tests/fixtures/event-schemas`.
    """
    repository = context.schema_repository
    if repository is None:
        return
    if not (repository / "jsonschema").is_dir():
        yield Finding(context.settings.location, f"the schema repository {repository} has no jsonschema/ directory",
                      "name a checkout of the event schema repository", ("schema_repository",))
        return
    titles = _schema_titles(repository)
    for layer, path, title in setting_values(context, "schema_title"):
        if title not in titles:
            yield Finding(layer.location(path), f"schema_title {show(title)} is not in the schema repository {repository}",
                          did_you_mean(str(title), titles) or "add the schema, or fix the title", (layer.key,) + path)


@rule("SL013", local=True)
def stale_schema(context: Context) -> Iterator[Finding]:
    """`schema_title` names a schema whose latest version is marked `deprecated: true` in current.yaml,
    or whose current version (the last part of its `$id`) has no materialised `<version>.yaml`.
    """
    repository = context.schema_repository
    if repository is None:
        return
    titles = _schema_titles(repository)
    for layer, path, title in setting_values(context, "schema_title"):
        if title in titles:
            problem = _schema_problem(repository, title)
            if problem:
                yield Finding(layer.location(path), f"schema {title}: {problem}",
                              "use a current schema, or materialise it with jsonschema-tools", (layer.key,) + path)


def _schema_titles(repository: Path) -> set[str]:
    base = repository / "jsonschema"
    return {str(path.parent.relative_to(base)) for path in base.rglob("current.yaml")} if base.is_dir() else set()


def _schema_problem(repository: Path, title: str) -> str:
    folder = repository / "jsonschema" / title
    file = f"{title}/current.yaml"
    try:
        current = parse_yaml(decode(read_bytes(folder / "current.yaml", file), file), file).value
    except ConfigError as error:
        return f"current.yaml cannot be read ({error.diagnostics[0].message})"
    if type(current) is not dict:
        return "current.yaml does not hold a schema"
    if current.get("deprecated") is True:
        return "its latest version is marked deprecated"
    version = str(current.get("$id", "")).rstrip("/").rsplit("/", 1)[-1]
    if not version or not (folder / f"{version}.yaml").is_file():
        return f"version {version or '?'} is not materialised ({title}/{version or '?'}.yaml is missing)"
    return ""
