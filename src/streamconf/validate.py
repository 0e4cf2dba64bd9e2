"""Checking the repository: each file in its place and against its JSON Schema (layout.py says which);
then the model is built from the valid files (build_model.py), which checks the structure they build
together (realms, wikis, tags, layers) and the references between them."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any, Iterator

from .build_model import ModelBuilder
from .instruments.declare import declare_instruments
from .codes import diagnostic
from .diagnostics import ERROR, Diagnostic, Location, sort_key
from .layout import FILE_CONTENT, SCHEMA_OF_KIND, file_kind, is_dblist_in_place
from .load import Document, Sources
from .model import Config
from .owners import build_ownership
from .parse_cache import cached_code
from .spelling import close_names

_YAML11_BOOLEANS = {"yes", "no", "on", "off", "y", "n", "Yes", "No", "On", "Off", "YES", "NO", "ON", "OFF"}

@lru_cache(maxsize=None)
def schemas() -> dict[str, dict]:
    folder = resources.files("streamconf") / "schemas"
    return {entry.name: json.loads(entry.read_text("utf-8")) for entry in folder.iterdir() if entry.name.endswith(".json")}


@lru_cache(maxsize=None)
def validators() -> dict[str, Any]:
    """jsonschema validators: every error, with its path, for the report."""
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource

    registry = Registry().with_resources((name, Resource.from_contents(schema)) for name, schema in schemas().items())
    return {kind: Draft202012Validator(schemas()[name], registry=registry) for kind, name in SCHEMA_OF_KIND.items()}


_ANNOTATIONS = {"$schema", "$id", "title", "description"}


_NAMED = {"properties", "patternProperties"}  # maps whose keys are property names, never keywords


def inline_refs(node: Any, names: bool = False) -> Any:
    """A schema with every `$ref` to a sibling file replaced by that file's schema. Under
    `properties`, a key such as `description` names a property and is kept."""
    if isinstance(node, dict) and names:
        return {key: inline_refs(value) for key, value in node.items()}
    if isinstance(node, dict):
        rest = {key: inline_refs(value, key in _NAMED) for key, value in node.items()
                if key not in _ANNOTATIONS and key != "$ref"}
        if "$ref" not in node:
            return rest
        target = inline_refs(schemas()[node["$ref"]])
        return {"allOf": [target, rest]} if rest else target
    if isinstance(node, list):
        return [inline_refs(value) for value in node]
    return node


@lru_cache(maxsize=None)
def fast_validators() -> dict[str, Any]:
    """fastjsonschema checks compiled to Python: a quick yes for the files that are valid, which is
    nearly all of them. A file they refuse goes through jsonschema for the full report. Their code
    is kept compiled in the cache: generating and compiling it took 70 ms of every run."""
    import fastjsonschema

    validators = {}
    for kind, name in SCHEMA_OF_KIND.items():
        definition = inline_refs(schemas()[name])
        key = f"fastjsonschema {fastjsonschema.VERSION}\0{json.dumps(definition, sort_keys=True)}"
        namespace: dict[str, Any] = {}
        exec(cached_code(key, lambda: fastjsonschema.compile_to_code(definition)), namespace)
        validators[kind] = namespace["validate"]
    return validators


def is_valid(value: Any, kind: str) -> bool:
    import fastjsonschema

    try:
        fast_validators()[kind](value)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


def schema_errors(document: Document, kind: str) -> Iterator[Diagnostic]:
    if is_valid(document.value, kind):
        return
    for error in validators()[kind].iter_errors(document.value):
        path = tuple(error.absolute_path)
        if "propertyNames" in error.relative_schema_path:
            path += (error.instance,)
        elif error.validator == "additionalProperties" and len(_unknown_keys(error)) == 1:
            path += tuple(_unknown_keys(error))
        yield diagnostic("SC002", document.location(path), _schema_message(error), _schema_hint(error, kind), path)


def _schema_message(error: Any) -> str:
    if "propertyNames" in error.relative_schema_path:
        return f"{error.instance!r} is not allowed as a key here: {error.message}"
    if error.validator == "additionalProperties":
        return error.message.replace("Additional properties are not allowed", "unknown key")
    return error.message


def _unknown_keys(error: Any) -> list[str]:
    """The keys an `additionalProperties: false` error is about."""
    known = error.schema.get("properties", {})
    patterns_ = [re.compile(pattern) for pattern in error.schema.get("patternProperties", {})]
    return [key for key in error.instance if key not in known and not any(p.search(key) for p in patterns_)]


def _unknown_key_hint(error: Any) -> str:
    """'did you mean `streams`?' for each unknown key close to one the schema defines."""
    unknown = _unknown_keys(error)
    guesses = {key: close_names(key, error.schema.get("properties", {})) for key in unknown}
    said = [(f"`{key}`: " if len(unknown) > 1 else "") + f"did you mean {' or '.join(f'`{g}`' for g in close)}?"
            for key, close in guesses.items() if close]
    return "; ".join(said)


def _schema_hint(error: Any, kind: str) -> str:
    if error.validator == "additionalProperties" and _unknown_key_hint(error):
        return _unknown_key_hint(error)
    if error.validator == "type" and not error.absolute_path:
        return f"this file holds {FILE_CONTENT[kind]}"
    if error.validator == "type" and isinstance(error.instance, str) and error.instance in _YAML11_BOOLEANS:
        return f"{error.instance!r} is a string here (YAML 1.2); write true or false"
    if error.validator == "type" and error.instance is None:
        return "an empty value is null; write a value or remove the key"
    if error.validator in ("minimum", "maximum"):
        return "a sample rate is a fraction from 0 to 1"
    if kind == "overrides" and error.validator == "additionalProperties":
        return "an override key holds streams, stream_defaults and/or eventlogging_streams"
    if kind == "overrides" and "propertyNames" in error.relative_schema_path:
        return "keys are `default`, a wiki id or tag, or + and a wiki id or tag"
    if kind == "owners" and error.validator == "pattern" and "gitlab" in error.absolute_path:
        return "write a GitLab user (@name), a group (@group/subgroup) or an e-mail address"
    return f"see schemas/{SCHEMA_OF_KIND[kind]}"


@dataclass
class CheckedFiles:
    """The documents that passed their schema, by kind, and every finding about single files."""

    kinds: dict[str, list[Document]] = field(default_factory=lambda: {kind: [] for kind in SCHEMA_OF_KIND})
    invalid_overrides: list[Document] = field(default_factory=list)  # still checked for unknown keys
    diagnostics: list[Diagnostic] = field(default_factory=list)


def _misplaced(file: str, message: str, hint: str = "") -> Diagnostic:
    return diagnostic("SC003", Location(file), message, hint)


def check_files(sources: Sources) -> CheckedFiles:
    """Each file in a place streamconf reads and valid against its kind's schema."""
    checked = CheckedFiles(diagnostics=list(sources.diagnostics))
    for file, document in sources.documents.items():
        kind = file_kind(file)
        if kind is None:
            checked.diagnostics.append(_misplaced(file, "this file is in no place streamconf reads",
                                                  "streams go in streams/, realms in realms/<realm>.yaml, "
                                                  "overrides in overrides/<realm>/, stream metadata in metadata/"))
            continue
        if document.value is None:  # empty, or only comments: declares nothing
            if kind == "realm":
                checked.diagnostics.append(diagnostic("SC003", document.location(), "the realm file is empty",
                                                      "list the realm's wikis under wikis:"))
            continue
        errors = list(schema_errors(document, kind))
        checked.diagnostics.extend(errors)
        if not errors:
            checked.kinds[kind].append(document)
        elif kind == "overrides" and type(document.value) is dict:
            checked.invalid_overrides.append(document)
    for file in sources.dblists:
        if not is_dblist_in_place(file):
            checked.diagnostics.append(_misplaced(file, "a dblist belongs in realms/<realm>/<tag>.dblist"))
    return checked


def validate(sources: Sources, partial: bool = False) -> tuple[Config | None, list[Diagnostic]]:
    """The Config the sources describe, or None when there is an error; and every finding. With
    `partial`, the Config built from the files that are valid is returned despite errors (so that
    lint rules can report on it too)."""
    checked = check_files(sources)
    builder = ModelBuilder(sources, checked.kinds, checked.invalid_overrides, checked.diagnostics)
    settings = builder.settings()
    realms = builder.realms()
    layers = builder.layers(realms)
    instruments, problems = declare_instruments(realms, checked.kinds["instruments"], checked.kinds["instrument_overrides"])
    ownership, found = build_ownership(checked.kinds["owners"], checked.kinds["metadata"])
    diagnostics = sorted(builder.diagnostics + problems + found, key=sort_key)
    if any(d.severity == ERROR for d in diagnostics) and not partial:
        return None, diagnostics
    return Config(realms, layers, sources.digest, settings, instruments, ownership), diagnostics
