"""The standard library of policies, shipped as ``.policy`` files inside the package."""

from __future__ import annotations

from importlib import resources
from importlib.abc import Traversable


def policy_files() -> list[Traversable]:
    """Every ``.policy`` file shipped with policyc, in a stable order."""
    root = resources.files(__name__)
    found: list[Traversable] = []
    stack = [root]
    while stack:
        d = stack.pop()
        for entry in d.iterdir():
            if entry.is_dir():
                stack.append(entry)
            elif entry.name.endswith(".policy"):
                found.append(entry)
    return sorted(found, key=lambda t: str(t))
