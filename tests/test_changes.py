"""ChangeSet decisions as plain functions: when `diff --fail-on` fails."""

from __future__ import annotations

from streamconf.changes import ABSENT, Change, ChangeSet


def change_set(*changes: Change) -> ChangeSet:
    found = ChangeSet()
    for change in changes:
        found.add(change, ("enwiki",))
    return found


def test_fail_on_any_breaking_or_never():
    rate = Change("production", "streamconfigs", "a.b", ("sample", "rate"), 0.1, 0.2)
    removed = Change("production", "streamconfigs", "c.d", (), {"stream": "c.d"}, ABSENT)
    assert [change_set().fails_on(what) for what in ("any", "breaking", "never")] == [False, False, False]
    assert [change_set(rate).fails_on(what) for what in ("any", "breaking", "never")] == [True, False, False]
    assert [change_set(rate, removed).fails_on(what) for what in ("any", "breaking", "never")] == [True, True, False]
