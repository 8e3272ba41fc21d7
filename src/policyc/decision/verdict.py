"""From an evaluated model to the fired outcomes and their resolved effect (a verdict).

A verdict is the engine-level answer: every outcome rule that fired, with its bindings, rendered
reason and proof, and the effect that wins by the precedence of :mod:`policyc.engine.decisions`.
:mod:`policyc.decision.decide` turns it into the typed :class:`~policyc.decision.record.Decision`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any

from policyc.action.model import Action
from policyc.engine.decisions import resolve
from policyc.engine.program import Model
from policyc.engine.proofs import Proof
from policyc.lang.policy_set import OutcomeRule, PolicySet
from policyc.normalize import normalize_action


@dataclass(frozen=True)
class Fired:
    rule: OutcomeRule
    args: tuple[Any, ...]
    reason: str
    proof: Proof | None


@dataclass(frozen=True)
class Verdict:
    effect: str
    default_applied: bool
    fired: tuple[Fired, ...]

    def ids(self, effect: str | None = None) -> set[str]:
        return {f.rule.id for f in self.fired if effect is None or f.rule.effect == effect}


@cache
def _default_verdict(default: str) -> Verdict:
    """The verdict when no outcome fired (immutable: one per default effect)."""
    return Verdict(default, True, ())


def render_reason(rule: OutcomeRule, args: tuple[Any, ...], action: Action) -> str:
    values = dict(zip(rule.params, args, strict=True))
    data = action.model_dump(mode="python")
    out = []
    for part in rule.reason:
        if part.kind == "text":
            out.append(part.value)
        elif part.kind == "var":
            out.append(_show(values.get(part.value)))
        else:
            value: Any = data
            for key in part.value.split("."):
                value = value.get(key) if isinstance(value, dict) else None
            out.append(_show(value))
    return "".join(out)


def _show(value: Any) -> str:
    """A value as policies write it: strings bare, true/false, lists and objects as JSON."""
    if value is None:
        return "(none)"
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return json.dumps(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def evaluate(policy_set: PolicySet, action: Action, proofs: bool = True) -> Verdict:
    model = policy_set.program.evaluate(normalize_action(action).facts, proofs=proofs)
    return verdict_of(policy_set, model, action, proofs)


def verdict_of(policy_set: PolicySet, model: Model, action: Action, proofs: bool) -> Verdict:
    """The fired outcomes of an evaluated model, resolved into one effect."""
    by_predicate = policy_set.by_predicate
    holding = model.nonempty(by_predicate)
    if not holding:  # the common case: no outcome fired, the default applies
        return _default_verdict(policy_set.default)
    fired = []
    for pred in holding:
        rule = by_predicate[pred]
        for row in model.rows(pred):
            proof = model.explain(pred, row) if proofs else None
            fired.append(Fired(rule, row, render_reason(rule, row, action), proof))
    effect, default_applied = resolve((f.rule.effect for f in fired), policy_set.default)
    return Verdict(effect, default_applied, tuple(fired))
