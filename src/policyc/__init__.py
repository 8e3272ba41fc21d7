"""policyc: a deterministic policy engine for the actions of autonomous AI agents.

The stable public API is what ``__all__`` lists; everything else may move. The decision API
(``load``, ``PolicyEngine``, ``Decision``, ``Action`` …) is imported on first use, so that
``import policyc`` stays cheap for a process that starts per action.
"""

from typing import TYPE_CHECKING, Any

from policyc.engine import (
    DatalogError,
    DatalogErrors,
    Model,
    NotDerived,
    Position,
    Program,
    Proof,
    parse_program,
)

if TYPE_CHECKING:
    from policyc.action.model import Action, ActionError, parse_action
    from policyc.decision import (
        Decision,
        PolicyEngine,
        PolicyLoadError,
        load,
    )

__version__ = "0.1.0"

_LAZY = {
    "Action": "policyc.action.model",
    "ActionError": "policyc.action.model",
    "parse_action": "policyc.action.model",
    "Decision": "policyc.decision",
    "PolicyEngine": "policyc.decision",
    "PolicyLoadError": "policyc.decision",
    "load": "policyc.decision",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'policyc' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "Action",
    "ActionError",
    "DatalogError",
    "DatalogErrors",
    "Decision",
    "Model",
    "NotDerived",
    "PolicyEngine",
    "PolicyLoadError",
    "Position",
    "Program",
    "Proof",
    "__version__",
    "load",
    "parse_action",
    "parse_program",
]
