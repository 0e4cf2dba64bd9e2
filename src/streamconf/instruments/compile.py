"""The instrument files of a build: per realm the service body, per wiki the embedded map."""

from __future__ import annotations

from datetime import datetime
from typing import Iterable

from ..model import Config
from .render import InstrumentConfigs, service_bytes
from .resolve import service_body

INSTRUMENTS = "instruments.json"


def instrument_files(config: Config, realm: str, wikis: Iterable[str], at: datetime) -> dict[str, bytes]:
    """`<realm>/instruments.json` and `<realm>/<wiki>/instruments.json` for the given wikis. Wikis
    with the same map share one bytes object."""
    entries = service_body(config.instruments.get(realm, {}), config.realms[realm])
    files = {f"{realm}/{INSTRUMENTS}": service_bytes(entries)}
    for wiki, data in InstrumentConfigs(entries, at).by_wiki(wikis).items():
        files[f"{realm}/{wiki}/{INSTRUMENTS}"] = data
    return files
