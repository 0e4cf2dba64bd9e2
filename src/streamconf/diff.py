"""What a change does to the effective config: per realm, stream and setting path, the old and
new value and the wikis affected. Pure: two Configs in, changes out.

Wikis are compared by pairs of classes (the class on each side): each distinct pair is compared
once, and identical bodies are skipped by comparing their bytes.
"""

from __future__ import annotations

import json
from datetime import datetime

from .changes import ABSENT, Change, ChangeSet, value_changes
from .compiler import ApiBody, RealmCompiler
from .model import Config
from .resolve import SETTINGS, WikiClass


def _compare_maps(realm: str, section: str, old: dict, new: dict, old_bytes: dict | None, new_bytes: dict | None,
                  wikis: tuple[str, ...], into: ChangeSet) -> None:
    for key in list(old) + [key for key in new if key not in old]:
        if old_bytes is not None and key in old_bytes and old_bytes.get(key) == new_bytes.get(key):
            continue
        before, after = old.get(key, ABSENT), new.get(key, ABSENT)
        if before is ABSENT or after is ABSENT:
            into.add(Change(realm, section, key, (), before, after), wikis)
            continue
        for path, was, now in value_changes(before, after):
            into.add(Change(realm, section, key, path, was, now), wikis)


_EMPTY = ApiBody({})


def changed_keys(before: RealmCompiler, after: RealmCompiler) -> set[tuple[str, str]]:
    """(setting, key) pairs whose value differs between the two sides, in content or order."""
    changed = set()
    for setting in SETTINGS:
        old, new = before.keys[setting], after.keys[setting]
        for key in set(old) | set(new):
            if key not in old or key not in new or json.dumps(old[key]) != json.dumps(new[key]):
                changed.add((setting, key))
    return changed


def unchanged(old_class: WikiClass | None, new_class: WikiClass | None, changed: set[tuple[str, str]]) -> bool:
    """Whether a wiki reads the same keys on both sides and none of them changed: then it is served
    the same bundles, and nothing needs rendering."""
    return old_class is not None and new_class is not None and old_class.steps == new_class.steps and not any(
        (setting, step.key) in changed for setting, walk in zip(SETTINGS, old_class.steps) for step in walk)


def diff_configs(base: Config, head: Config, at: datetime | None = None) -> ChangeSet:
    """Every change from `base` to `head`; instruments are judged active (for a breaking removal)
    at `at`, default now."""
    from .instruments import diff as instruments, timestamps

    changes = ChangeSet(realms=head.realms)
    instruments.instrument_changes(base, head, at or timestamps.now(), changes)
    for realm in list(base.realms) + [name for name in head.realms if name not in base.realms]:
        before = RealmCompiler(base, realm) if realm in base.realms else None
        after = RealmCompiler(head, realm) if realm in head.realms else None
        changed = changed_keys(before, after) if before and after else set()
        old_classes = {w: c for c in (before.classes() if before else []) for w in c.wikis}
        new_classes = {w: c for c in (after.classes() if after else []) for w in c.wikis}
        pairs: dict[tuple, list[str]] = {}
        for wiki in list(old_classes) + [w for w in new_classes if w not in old_classes]:
            pairs.setdefault((old_classes.get(wiki), new_classes.get(wiki)), []).append(wiki)
        for (old_class, new_class), wikis in pairs.items():
            if unchanged(old_class, new_class, changed):
                continue
            old_body = before.api_body(old_class) if old_class else _EMPTY
            new_body = after.api_body(new_class) if new_class else _EMPTY
            if old_body.data != new_body.data:
                _compare_maps(realm, "streamconfigs", old_body.configs, new_body.configs, old_body.fragments,
                              new_body.fragments, tuple(wikis), changes)
            old_embedded = before.eventlogging(old_class) if old_class else ({}, b"{}")
            new_embedded = after.eventlogging(new_class) if new_class else ({}, b"{}")
            if old_embedded[1] != new_embedded[1]:
                _compare_maps(realm, "eventlogging", old_embedded[0], new_embedded[0], None, None, tuple(wikis), changes)
    return changes
