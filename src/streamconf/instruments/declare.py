"""Each realm's instruments, built from the parsed files of `instruments/` (the root realm) and
`overrides/<realm>/instruments/` (a realm built on another), with where every field was written.

A realm starts from its base realm's instruments, in their order. An instrument named in the
realm's own files has each field given there replace the base realm's field whole; `sample`
counts as two fields, `sample.unit` and `sample.rate`. A name the base realm does not know
declares a new instrument of the realm, which comes after the inherited ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from ..codes import diagnostic
from ..diagnostics import Diagnostic, Location
from ..layout import overlay_realm
from ..load import Document
from ..model import Fragment
from .timestamps import TimestampError, parse_instant

REQUIRED = ("start", "end", "stream_name", "schema_title", "sample.rate")


@dataclass(frozen=True)
class Instrument:
    """One instrument as a realm sees it. `fields` maps a field (`start`, `sample.rate`, ...) to its
    value, `sources` each field (and `""`, the name) to where it was written."""

    name: str
    fields: dict[str, Any]
    sources: dict[str, Fragment] = field(default_factory=dict)

    @cached_property
    def start(self) -> datetime:
        return parse_instant(self.fields["start"])

    @cached_property
    def end(self) -> datetime:
        return parse_instant(self.fields["end"])

    @property
    def enabled(self) -> bool:
        return self.fields.get("enabled", True) is not False

    @property
    def rates(self) -> dict[str, Any]:
        """`sample.rate` as written: `default` and rate -> wikis and tags."""
        return self.fields["sample.rate"]

    def location(self, name: str = "", path: tuple = ()) -> Location:
        """Where a field (or a value inside it, at `path`) was written; the name's key by default."""
        source = self.sources.get(name) or self.sources[""]
        return source.document.location(source.path + path)


def flatten(spec: dict) -> dict[str, Any]:
    """An instrument's fields as written, `sample` split into `sample.unit` and `sample.rate`."""
    fields = {key: value for key, value in spec.items() if key != "sample"}
    for key, value in (spec.get("sample") or {}).items():
        fields[f"sample.{key}"] = value
    return fields


def field_path(name: str, field_name: str) -> tuple:
    return (name, *field_name.split("."))


@dataclass
class _Declarations:
    realms: dict  # realm name -> Realm, base realms first
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def error(self, location: Location, message: str, hint: str, path: tuple, code: str) -> None:
        """Report a problem once per place, though several realms may read the place."""
        if not any(d.location == location and d.code == code for d in self.diagnostics):
            self.diagnostics.append(diagnostic(code, location, message, hint, path))

    def declare(self, documents: list[Document], inherited: dict[str, Instrument]) -> dict[str, Instrument]:
        """The instruments of a realm: `inherited`, with the realm's own documents applied."""
        instruments = dict(inherited)
        named_here: dict[str, Location] = {}
        for document in sorted(documents, key=lambda d: d.file):
            for name, spec in document.value.items():
                where = document.location((name,))
                if name in named_here:
                    self.error(where, f"instrument {name!r} is declared twice: also at {named_here[name]}",
                               "keep one declaration", (name,), "SC301")
                    continue
                named_here[name] = where
                fields = flatten(spec)
                sources = {key: Fragment(document, field_path(name, key)) for key in fields}
                sources[""] = Fragment(document, (name,))
                base = instruments.get(name)
                if base is not None:
                    fields = {**base.fields, **fields}
                    sources = {**base.sources, **sources}
                instruments[name] = Instrument(name, fields, sources)
        return instruments

    def complete(self, realm: str, instruments: dict[str, Instrument]) -> dict[str, Instrument]:
        """The instruments that have every required field and dates that parse; the others are
        reported."""
        usable = {}
        for name, instrument in instruments.items():
            missing = [key for key in REQUIRED if key not in instrument.fields]
            if missing:
                self.error(instrument.location(), f"instrument {name!r} has no {', '.join(missing)} (realm {realm!r})",
                           "a realm's own instrument needs every field; to change an inherited one, use its exact name",
                           (name,), "SC302")
                continue
            if all(self.parses(instrument, key) for key in ("start", "end")):
                usable[name] = instrument
        return usable

    def parses(self, instrument: Instrument, key: str) -> bool:
        try:
            parse_instant(instrument.fields[key])
        except TimestampError as error:
            self.error(instrument.location(key), f"{key} of instrument {instrument.name!r}: {error}",
                       "write e.g. 2026-12-01T00:00:00Z or 2026-12-01T09:00:00+09:00; one date MediaWiki "
                       "cannot parse disables every instrument", field_path(instrument.name, key), "SC300")
            return False
        return True


def declare_instruments(realms: dict, root_documents: list[Document], overlay_documents: list[Document]
                        ) -> tuple[dict[str, dict[str, Instrument]], list[Diagnostic]]:
    """realm -> instrument name -> Instrument, in the order the service lists them; and every
    problem found. Instruments with a problem are left out."""
    declarations = _Declarations(realms)
    by_realm: dict[str, list[Document]] = {}
    for document in overlay_documents:
        realm = overlay_realm(document.file)
        if realm in realms and realms[realm].base is not None:
            by_realm.setdefault(realm, []).append(document)
        else:
            problem = "is the root realm: its instruments are in instruments/" if realm in realms else "names no declared realm"
            declarations.error(document.location(), f"overrides/{realm}/instruments/ {problem}",
                               "put a realm's instrument changes in overrides/<realm>/instruments/ of a realm built on another",
                               (), "SC303")
    declared: dict[str, dict[str, Instrument]] = {}
    complete: dict[str, dict[str, Instrument]] = {}
    for name, realm in realms.items():
        inherited = declared.get(realm.base, {}) if realm.base else {}
        declared[name] = declarations.declare(root_documents if realm.base is None else by_realm.get(name, []), inherited)
        complete[name] = declarations.complete(name, declared[name])
    return complete, declarations.diagnostics
