"""policyc.decision: from an action to a typed, explained decision.

``load`` compiles policies into a :class:`PolicyEngine`; ``engine.decide(action)`` normalizes the
action into facts, evaluates the policies, and resolves every fired outcome into a
:class:`Decision` (docs/python-api.md, docs/decisions.md).
"""

from policyc.decision.engine import PolicyEngine, PolicyLoadError, load, stdlib_path
from policyc.decision.record import Alert, Decision, DecisionError, Outcome, Redaction

__all__ = [
    "Alert",
    "Decision",
    "DecisionError",
    "Outcome",
    "PolicyEngine",
    "PolicyLoadError",
    "Redaction",
    "load",
    "stdlib_path",
]
