"""`streamconf import` of a configurator document: the JSON list that Test Kitchen's
`GET /api/v1/instruments` returns, written as `instruments/imported.yaml`, one entry per
instrument in the service's order, so that compile gives back the same service body."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..codes import fail
from ..diagnostics import ConfigError, Location
from ..editors import with_modeline
from ..migrate import dump_yaml, read_json_document
from .resolve import DEFAULT

IMPORTED = "instruments/imported.yaml"
SERVICE_FIELDS = ("start", "end", "stream_name", "schema_title")
KEPT_AS_WRITTEN = ("description", "owner", "task")  # what the configurator may hold beside the service's fields


def _refuse(document: str, message: str, hint: str = "see the README: Instruments") -> ConfigError:
    return fail("SC306", Location(document), message, hint)


def instrument_spec(entry: Any, document: str, index: int) -> tuple[str, dict]:
    """One service entry as an instrument of instruments/."""
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
        raise _refuse(document, f"entry {index} is not an instrument object with a name")
    missing = [field for field in SERVICE_FIELDS if not isinstance(entry.get(field), str)]
    rates = entry.get("sample_rate")
    if not isinstance(rates, dict) or DEFAULT not in rates or \
            not all(isinstance(wikis, list) for rate, wikis in rates.items() if rate != DEFAULT):
        missing.append("sample_rate (default, and rate -> wikis)")
    if missing:
        raise _refuse(document, f"instrument {entry['name']!r} (entry {index}) has no valid {', '.join(missing)}")
    spec: dict[str, Any] = {key: entry[key] for key in KEPT_AS_WRITTEN if isinstance(entry.get(key), str)}
    spec.update({field: entry[field] for field in SERVICE_FIELDS})
    spec["contextual_attributes"] = list(entry.get("contextual_attributes") or [])
    sample: dict[str, Any] = {}
    if "sample_unit" in entry:
        sample["unit"] = entry["sample_unit"]
    sample["rate"] = dict(rates)
    spec["sample"] = sample
    return entry["name"], spec


def import_instruments(document_path: Path, root: Path, force: bool) -> list[str]:
    """Write instruments/imported.yaml under `root` from a configurator document; returns it."""
    document = read_json_document(document_path)
    if not isinstance(document, list):
        raise _refuse(str(document_path), "a configurator document is a JSON list of instruments")
    instruments: dict[str, dict] = {}
    for index, entry in enumerate(document):
        name, spec = instrument_spec(entry, str(document_path), index)
        if name in instruments:
            raise _refuse(str(document_path), f"instrument {name!r} is listed twice", "keep one entry per name")
        instruments[name] = spec
    target = root / IMPORTED
    if (target.exists() or target.is_symlink()) and not force:
        raise _refuse(str(target), f"{IMPORTED} already exists", "use --force to replace it (nothing else is touched)")
    text = with_modeline(IMPORTED, "# Imported from Test Kitchen's instrument configurator; edit freely.\n"
                         + (dump_yaml(instruments) if instruments else ""))
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_symlink():
            target.unlink()
        partial = target.with_name(f".{target.name}.new")
        partial.write_text(text, "utf-8")
        partial.replace(target)
    except OSError as error:
        raise _refuse(str(error.filename or target), f"cannot write the instruments: {error.strerror}",
                      "check the permissions of --root") from None
    return [IMPORTED]
