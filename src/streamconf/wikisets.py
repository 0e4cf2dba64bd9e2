"""Naming a set of wikis for a reader: all of a realm's wikis, the wikis of a tag, all but a tag, or
a short list. Shared by lint, diff and log."""

from __future__ import annotations

import heapq

from .model import Realm


def describe_wikis(wikis: set[str], realm: Realm | None, realm_name: str, limit: int = 5) -> str:
    """A readable name for a set of wikis: all of them, a tag, all but a tag or a few wikis, or a
    short list."""
    if len(wikis) == 1:
        return next(iter(wikis))
    if realm is not None:
        # Tags are compared by size first: a wiki set is described without walking all wikis.
        total = len(realm.wikis)
        if len(wikis) == total:
            return f"all {total:,} {realm_name} wikis"
        for tag in realm.tags_by_size.get(len(wikis), ()):
            if realm.members[tag] == wikis:
                return f"the {len(wikis):,} `{tag}` wikis"
        left = total - len(wikis)
        if left > 1 and left in realm.tags_by_size or left <= limit:
            rest = set(realm.wikis) - wikis
            for tag in realm.tags_by_size.get(left, ()) if left > 1 else ():
                if realm.members[tag] == rest:
                    return f"all but the {left:,} `{tag}` wikis"
            if left <= limit:
                return f"all {realm_name} wikis but {', '.join(sorted(rest))}"
    if len(wikis) <= limit:
        return ", ".join(sorted(wikis))
    first = heapq.nsmallest(limit, wikis)  # not a sort of thousands of names for five of them
    return f"{len(wikis):,} wikis: {', '.join(first)}, … (+{len(wikis) - limit:,} more)"
