"""Which known names a misspelt one is close to: the same name in another case or with `-` for
`_`, or a few letters added, dropped, changed or swapped."""

from __future__ import annotations

from typing import Iterable


def fold(name: str) -> str:
    """A name as it is compared: case and the choice between `-` and `_` do not count."""
    return name.lower().replace("-", "_")


def edit_distance(left: str, right: str) -> int:
    """Letters inserted, deleted, replaced, or two neighbours swapped (optimal string alignment):
    `smaple` is one edit from `sample`."""
    previous2: list[int] = []
    previous = list(range(len(right) + 1))
    for i, char in enumerate(left, 1):
        current = [i] + [0] * len(right)
        for j, other in enumerate(right, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char != other))
            if i > 1 and j > 1 and char == right[j - 2] and left[i - 2] == other:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


def allowed_edits(name: str) -> int:
    """Short names differ by one letter from many words on purpose; long ones rarely by two."""
    length = len(fold(name))
    return 0 if length < 4 else 1 if length < 8 else 2


def close_names(name: str, known: Iterable[str], limit: int = 3) -> list[str]:
    """The known names (other than `name` itself) close enough to be what `name` meant, closest first."""
    folded, edits = fold(name), allowed_edits(name)
    scored = []
    for candidate in set(known):
        if candidate == name:
            continue
        other = fold(candidate)
        if abs(len(other) - len(folded)) > edits:
            continue
        distance = edit_distance(folded, other)
        if distance <= edits:
            scored.append((distance, candidate))
    return [candidate for _, candidate in sorted(scored)[:limit]]
