"""How many examples a property test runs under the active Hypothesis profile."""

from __future__ import annotations

import os

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
DEEP_FACTOR = 20


def scaled(n: int) -> int:
    """``n`` examples in the ci profile, ``n * DEEP_FACTOR`` in the deep profile."""
    return n if PROFILE != "deep" else n * DEEP_FACTOR
