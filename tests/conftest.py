"""Test-wide settings: Hypothesis profiles.

``ci`` (the default, used by ``make test``) is derandomized, so every run checks the same
examples; ``deep`` (``make test-deep``) is randomized and runs many more. A failure found by the
deep profile is added as an ``@example`` so that the ci profile keeps checking it.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "deep",
    derandomize=False,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
