"""Resolving every fired outcome into one effect: the precedence of the design, in one place."""

from __future__ import annotations

from collections.abc import Iterable

EFFECTS = ("allow", "alert", "redact", "require_approval", "deny", "terminate")
"""Least to most restrictive."""

RANK = {e: i for i, e in enumerate(EFFECTS)}


def resolve(fired_effects: Iterable[str], default: str) -> tuple[str, bool]:
    """The effective effect and whether the default applied.

    - Nothing fired: the policy set's default applies (the caller says so in the explanation).
    - Otherwise the most restrictive effect that fired wins. An ``allow`` never overrides
      anything else (deny wins, as in Cedar); ``alert`` and ``redact`` are side effects that
      still let the action through, so they win only over ``allow``.
    - An effect this function does not know fails closed: it is treated as ``deny``.
    """
    effects = list(fired_effects)
    if not effects:
        return default, True
    best = "allow"
    for e in effects:
        rank = RANK.get(e, RANK["deny"])
        if rank > RANK[best]:
            best = EFFECTS[rank]
    return best, False
