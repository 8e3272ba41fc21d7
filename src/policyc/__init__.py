"""policyc: a deterministic policy engine for the actions of autonomous AI agents.

The stable public API is what ``__all__`` lists; everything else may move. Every name is
imported on first use, so that ``import policyc`` stays cheap for a process that starts per
action.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from policyc.action.model import Action, ActionError, parse_action
    from policyc.adapters.guard import ApprovalRequired, Guard, PolicyDenied, guard
    from policyc.decision import (
        Decision,
        PolicyEngine,
        PolicyLoadError,
        load,
    )
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
    from policyc.runtime.runtime import Runtime

__version__ = "0.1.0"

_LAZY = {
    "DatalogError": "policyc.engine",
    "DatalogErrors": "policyc.engine",
    "Model": "policyc.engine",
    "NotDerived": "policyc.engine",
    "Position": "policyc.engine",
    "Program": "policyc.engine",
    "Proof": "policyc.engine",
    "parse_program": "policyc.engine",
    "Action": "policyc.action.model",
    "ActionError": "policyc.action.model",
    "parse_action": "policyc.action.model",
    "Decision": "policyc.decision",
    "PolicyEngine": "policyc.decision",
    "PolicyLoadError": "policyc.decision",
    "load": "policyc.decision",
    "Runtime": "policyc.runtime.runtime",
    "Guard": "policyc.adapters.guard",
    "guard": "policyc.adapters.guard",
    "PolicyDenied": "policyc.adapters.guard",
    "ApprovalRequired": "policyc.adapters.guard",
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
    "ApprovalRequired",
    "DatalogError",
    "DatalogErrors",
    "Decision",
    "Guard",
    "Model",
    "NotDerived",
    "PolicyDenied",
    "PolicyEngine",
    "PolicyLoadError",
    "Position",
    "Program",
    "Proof",
    "Runtime",
    "__version__",
    "guard",
    "load",
    "parse_action",
    "parse_program",
]
