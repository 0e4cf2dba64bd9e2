"""Synthetic config repositories, generated deterministically from a seed, at any size.

Used by the interruption tests and by the benchmarks (benchmarks/run.py). The shape follows
Wikimedia's: streams in team folders with realistic settings (some of them patterns), wikis with a
language and a family tag, and dblist tags of three kinds, as at Wikimedia:
- train groups (group0, group1, group2), which partition the wikis;
- sections (s1, s2, ...), which partition them again;
- flags (private, closed, fishbowl, ...): small sets that overlap each other and everything else.
Override keys name a wiki or a tag (`tag_key_share`); a key on a tag names a flag, or a train group
one time in ten, never a section. So, as at Wikimedia, most wikis share the same applicable keys.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import yaml

FAMILIES = ["wiki", "wiktionary", "wikibooks", "wikisource", "wikiquote", "wikivoyage", "wikinews", "wikiversity"]
SERVICES = ["eventgate-main", "eventgate-analytics", "eventgate-analytics-external", "eventgate-logging-external"]
UNITS = ["pageview", "session", "device"]
PROVIDE_VALUES = ["page_id", "page_title", "page_namespace_id", "performer_is_logged_in", "performer_session_id",
                  "performer_pageview_id", "mediawiki_skin", "mediawiki_database", "agent_client_platform_family"]


@dataclass(frozen=True)
class Size:
    streams: int
    patterns: int
    wikis: int
    beta_wikis: int
    tags: int
    override_keys: int
    eventlogging_names: int
    tag_key_share: float = 0.2  # of override keys, the share that names a tag rather than a wiki
    instruments: int = 0


# Instruments: 200 at both sizes (Wikimedia runs a few dozen; 200 is the target the compile must hold).
WIKIMEDIA = Size(streams=250, patterns=20, wikis=1100, beta_wikis=50, tags=45, override_keys=60, eventlogging_names=90,
                 instruments=200)
TEN_TIMES = Size(streams=2500, patterns=200, wikis=11000, beta_wikis=500, tags=450, override_keys=600, eventlogging_names=900,
                 instruments=200)
SMALL = Size(streams=60, patterns=5, wikis=300, beta_wikis=10, tags=12, override_keys=20, eventlogging_names=25)



def _dump(value) -> str:
    return yaml.safe_dump(value, sort_keys=False, default_flow_style=False, width=120)


def _stream_settings(rng: random.Random, index: int) -> dict:
    settings = {
        "schema_title": f"analytics/team{index % 17}/event_{index}",
        "destination_event_service": rng.choice(SERVICES),
        "description": f"Synthetic stream {index}, produced by a benchmark of the stream config compiler.",
        "owner": f"team-{index % 17}",
    }
    if rng.random() < 0.6:
        settings["sample"] = {"unit": rng.choice(UNITS), "rate": rng.choice([0.001, 0.01, 0.1, 0.5, 1])}
    if rng.random() < 0.5:
        settings["producers"] = {"metrics_platform_client": {
            "events": [f"team{index % 17}.event{index}."],
            "provide_values": rng.sample(PROVIDE_VALUES, rng.randint(2, 6))}}
    if rng.random() < 0.3:
        settings["consumers"] = {"analytics_hadoop_ingestion": {"job_name": f"event_{index % 5}", "enabled": True}}
    if rng.random() < 0.1:
        settings["topic_prefixes"] = None
    return settings


def generate(root: Path, size: Size, seed: int = 1) -> Path:
    """Write a repository of `size` under `root`; the same seed gives the same files."""
    rng = random.Random(seed)
    files: dict[str, str] = {}
    names = [f"team{i % 17}.event_{i}" for i in range(size.streams - size.patterns)]
    patterns = [f"/^team{i}\\.job{i}\\..+/" for i in range(size.patterns)]
    streams = names + patterns
    for start in range(0, len(streams), 10):
        chunk = {name: _stream_settings(rng, start + offset) for offset, name in enumerate(streams[start:start + 10])}
        files[f"streams/team{start // 10 % 17}/streams_{start // 10:04d}.yaml"] = _dump(chunk)
    files["stream-defaults.yaml"] = _dump({
        "topic_prefixes": ["eqiad.", "codfw."], "canary_events_enabled": True,
        "consumers": {"analytics_hadoop_ingestion": {"job_name": "event_default", "enabled": True}}})
    files["eventlogging.yaml"] = _dump(rng.sample(names, min(size.eventlogging_names, len(names))))

    languages = [f"l{i:03d}" for i in range(max(1, size.wikis // len(FAMILIES) + 1))]
    wikis = {}
    for index in range(size.wikis):
        family = FAMILIES[index % len(FAMILIES)]
        language = languages[index // len(FAMILIES)]
        wikis[f"{language}{family}"] = [language, family]
    groups, sections, flags, members = _tags(rng, sorted(wikis), size.tags)
    files["realms/production.yaml"] = _dump({"dblists": flags + groups + sections, "wikis": wikis})
    for tag, listed in members.items():
        files[f"realms/production/{tag}.dblist"] = "".join(f"{wiki}\n" for wiki in listed)
    beta_wikis = {wiki: wikis[wiki] for wiki in sorted(wikis)[: size.beta_wikis]}
    files["realms/beta.yaml"] = _dump({"base": "production", "wikis": beta_wikis})

    production = _overrides(rng, size.override_keys * 5 // 6, list(wikis), flags + FAMILIES, groups, names, size.tag_key_share)
    beta_tags = sorted({t for w in beta_wikis.values() for t in w})
    beta = _overrides(rng, size.override_keys - size.override_keys * 5 // 6, list(beta_wikis), beta_tags, [],
                      names, size.tag_key_share)
    for realm, keys in (("production", production), ("beta", beta)):
        for start in range(0, len(keys), 6):
            files[f"overrides/{realm}/overrides_{start // 6:03d}.yaml"] = _dump(dict(keys[start:start + 6]))
    if size.instruments:
        tags_of = {**wikis, **{wiki: [tag for tag, listed in members.items() if wiki in listed] + wikis[wiki] for wiki in wikis}}
        replaced = _replaced_wikis(production, tags_of) | _replaced_wikis(beta, beta_wikis)
        files.update(_instruments(random.Random(seed + 1), size.instruments, names, tags_of, replaced))

    for relative, text in files.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, "utf-8")
    return root


def _replaced_wikis(keys: list[tuple[str, dict]], tags_of: dict[str, list[str]]) -> set[str]:
    """The wikis whose streams a plain key replaces: they lack most streams."""
    plain = {key for key, value in keys if not key.startswith("+") and "streams" in value}
    return {wiki for wiki, tags in tags_of.items() if wiki in plain or plain.intersection(tags)}


INSTRUMENT_ATTRIBUTES = ["page_id", "page_title", "page_namespace_id", "performer_is_logged_in", "performer_session_id",
                         "mediawiki_skin", "mediawiki_database", "agent_client_platform_family"]


def _instruments(rng: random.Random, count: int, names: list[str], tags_of: dict[str, list[str]],
                 replaced: set[str]) -> dict[str, str]:
    """Instruments of 17 teams around 2026-12-01: some ended, most running, some to come. Rates go
    to wikis and tags whose streams no plain key replaces, each wiki under one rate."""
    from datetime import datetime, timedelta, timezone

    at = datetime(2026, 12, 1, tzinfo=timezone.utc)
    usable = sorted(wiki for wiki in tags_of if wiki not in replaced)
    members: dict[str, set[str]] = {}
    for wiki, tags in tags_of.items():
        for tag in tags:
            members.setdefault(tag, set()).add(wiki)
    clean_tags = sorted(tag for tag, listed in members.items() if not listed & replaced and 1 < len(listed) <= 60)
    files: dict[str, dict] = {}
    for index in range(count):
        stream = rng.randrange(len(names))
        start = at + timedelta(days=rng.randint(-200, 60), hours=rng.randint(0, 23))
        taken: set[str] = set()
        rates: dict[str, list[str]] = {}
        for rate in rng.sample(["0.001", "0.01", "0.1", "0.5", "1"], rng.randint(1, 3)):
            if clean_tags and rng.random() < 0.3:
                tag = rng.choice(clean_tags)
                if not members[tag] & taken:
                    rates[rate] = [tag]
                    taken |= members[tag]
                    continue
            listed = [wiki for wiki in rng.sample(usable, min(len(usable), rng.randint(1, 6))) if wiki not in taken]
            if listed:
                rates[rate] = listed
                taken.update(listed)
        spec = {
            "description": f"Synthetic instrument {index}.", "owner": f"team-{index % 17}",
            "task": f"https://phabricator.wikimedia.org/T{500000 + index}",
            "start": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "end": (start + timedelta(days=rng.randint(20, 300))).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "stream_name": names[stream], "schema_title": f"analytics/team{stream % 17}/event_{stream}",
            "contextual_attributes": rng.sample(INSTRUMENT_ATTRIBUTES, rng.randint(1, 4)),
            "sample": {"unit": rng.choice(["pageview", "session"]), "rate": {"default": "0", **rates}},
        }
        files.setdefault(f"instruments/team{index % 17}/instruments_{index // 170:02d}.yaml", {})[f"team{index % 17}-instrument-{index}"] = spec
    return {file: _dump(instruments) for file, instruments in files.items()}


def _tags(rng: random.Random, wikis: list[str], count: int) -> tuple[list[str], list[str], list[str], dict[str, list[str]]]:
    """Train groups and sections partition the wikis; flags are small overlapping sets."""
    groups = ["group0", "group1", "group2"]
    sections = [f"s{i + 1}" for i in range(max(1, count // 5))]
    flags = [f"flag{i}" for i in range(max(1, count - len(groups) - len(sections)))]
    members: dict[str, list[str]] = {tag: [] for tag in groups + sections + flags}
    for index, wiki in enumerate(wikis):
        members["group0" if index % 50 == 0 else "group1" if index % 3 == 0 else "group2"].append(wiki)
        members[sections[index % len(sections)]].append(wiki)
    for flag in flags:
        members[flag] = sorted(rng.sample(wikis, max(1, min(len(wikis), rng.randint(1, max(1, len(wikis) // 200))))))
    return groups, sections, flags, members


def _overrides(rng: random.Random, count: int, wikis: list[str], tags: list[str], groups: list[str], names: list[str],
               tag_share: float) -> list[tuple[str, dict]]:
    keys: dict[str, dict] = {}
    while len(keys) < count:
        on_tag = rng.random() < tag_share
        plain = rng.random() < 0.1
        pool = (groups if groups and rng.random() < 0.1 else tags) if on_tag else wikis
        key = ("" if plain else "+") + rng.choice(pool)
        if key in keys:
            continue
        setting = rng.random()
        if setting < 0.6:
            value = {"streams": {name: {"sample": {"rate": rng.choice([0, 0.01, 0.1, 1])}} for name in rng.sample(names, rng.randint(1, 3))}}
            if not key.startswith("+"):
                value["streams"] = {name: {"schema_title": "analytics/override", "destination_event_service": "eventgate-main"}
                                    for name in value["streams"]}
        elif setting < 0.8:
            value = {"stream_defaults": {"consumers": {"analytics_hadoop_ingestion": {"job_name": f"event_{key.strip('+')}"}}}}
        else:
            value = {"eventlogging_streams": rng.sample(names, rng.randint(1, 4))}
        keys[key] = value
    return sorted(keys.items())
