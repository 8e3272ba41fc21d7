"""The Python API: ``policyc.load(paths) -> PolicyEngine``; ``engine.decide(action) -> Decision``.

A :class:`PolicyEngine` holds one compiled policy set and is immutable once built, so one engine
may decide from many threads at once. Deciding never raises for a bad action or an internal error:
it fails closed, returning a ``deny`` decision whose ``error`` says why (docs/python-api.md).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Iterator, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from policyc.action.model import Action, ActionError, parse_action
from policyc.decision.decide import build_decision, failed_decision
from policyc.decision.record import Decision
from policyc.decision.verdict import verdict_of
from policyc.lang.diagnostics import Diagnostic
from policyc.lang.policy_set import PolicySet
from policyc.normalize.facts import Facts, Normalized, normalize_action

ActionInput = Action | Mapping[str, Any] | str | bytes


class PolicyLoadError(Exception):
    """The policies could not be loaded; ``diagnostics`` say where and why."""

    code = "policy_error"

    def __init__(self, diagnostics: list[Diagnostic], rendered: str = "") -> None:
        self.diagnostics = diagnostics
        self.rendered = rendered
        first = diagnostics[0].message if diagnostics else "unknown error"
        more = f" (and {len(diagnostics) - 1} more)" if len(diagnostics) > 1 else ""
        super().__init__(f"the policies do not load: {first}{more}")


def stdlib_path() -> Path:
    """The folder of the standard library's ``.policy`` files."""
    return Path(str(resources.files("policyc.stdlib_policies")))


class PolicyEngine:
    """Decides actions under one compiled policy set. Thread-safe: nothing in it changes after
    construction (compiled code, and the facts that depend on the policies alone, are created on
    first use, idempotently)."""

    def __init__(
        self,
        policy_set: PolicySet,
        *,
        fingerprint_key: bytes | None = None,
        proofs: bool = True,
    ) -> None:
        self.policy_set = policy_set
        self.proofs = proofs
        # keys the short hashes of secrets found in actions; the runtime passes a persistent one
        self._key = fingerprint_key or secrets.token_bytes(32)
        # the predicates the policies read: facts of any other predicate cannot change a decision
        self._reads = frozenset(policy_set.program.analysed.arities)

    @property
    def policy_set_hash(self) -> str:
        return self.policy_set.digest

    def decide(self, action: ActionInput, *, trusted: bool = False) -> Decision:
        """The decision for one action (an :class:`Action`, a JSON object, or JSON text).

        Untrusted input has its runtime-owned fields (approval, session counters) dropped; pass
        ``trusted=True`` only for actions the runtime itself completed. Never raises: an invalid
        action or an internal error gives ``deny`` with the error in ``decision.error``.
        """
        if isinstance(action, Action):
            parsed = action
        else:
            try:
                parsed = parse_action(action, trusted=trusted)
            except ActionError as e:
                return failed_decision(
                    action_id=claimed_action_id(action),
                    policy_set=self.policy_set_hash,
                    code=e.code,
                    message=str(e),
                )
        try:
            return self._decide(parsed)
        except Exception as e:  # fail closed; the message names the error class, not the action
            return failed_decision(
                action_id=parsed.action_id,
                policy_set=self.policy_set_hash,
                code="internal_error",
                message=f"internal error ({type(e).__name__})",
            )

    def _decide(self, action: Action) -> Decision:
        return self.decide_normalized(action, normalize_action(action, self._key))

    def input_facts(self, normalized: Normalized) -> Facts:
        """The facts of a normalized action that the policies read (any other fact cannot change
        a decision, so it is not evaluated)."""
        reads = self._reads
        return {p: rows for p, rows in normalized.facts.items() if p in reads}

    def decide_normalized(self, action: Action, normalized: Normalized) -> Decision:
        """The decision for an action already normalized (by :func:`normalize_action` with this
        engine's key, or extended by the runtime with facts of its own). Raises on an internal
        error; :meth:`decide` is the fail-closed entry point."""
        ps = self.policy_set
        model = ps.program.evaluate_trusted(normalized.facts, proofs=self.proofs, only=self._reads)
        verdict = verdict_of(ps, model, action, self.proofs)
        return build_decision(
            action=action,
            verdict=verdict,
            findings=normalized.findings,
            policy_set=ps.digest,
            default_declared=ps.default_declared,
        )

    def decide_many(
        self, actions: Iterable[ActionInput], *, trusted: bool = False
    ) -> list[Decision]:
        """Decisions for many actions, in order (each decided exactly as by :meth:`decide`)."""
        return list(self.iter_decide(actions, trusted=trusted))

    def iter_decide(
        self, actions: Iterable[ActionInput], *, trusted: bool = False
    ) -> Iterator[Decision]:
        for a in actions:
            yield self.decide(a, trusted=trusted)


def claimed_action_id(data: Any) -> str:
    """The action id an invalid action claims, when it is a usable string; else a fresh one."""
    if isinstance(data, str | bytes):
        try:
            data = json.loads(data)
        except (ValueError, RecursionError):
            data = None
    value = data.get("action_id") if isinstance(data, Mapping) else None
    if isinstance(value, str) and 0 < len(value) <= 200 and value.isprintable():
        return value
    from policyc.action.model import new_id

    return new_id("act_")


def load(
    paths: Iterable[str | Path] | None = None,
    *,
    cache: bool = True,
    cache_dir: Path | None = None,
    fingerprint_key: bytes | None = None,
    proofs: bool = True,
) -> PolicyEngine:
    """Load, check and compile policies into an engine (from the compile cache when valid).

    ``paths`` are ``.policy`` files and folders; ``None`` means the standard library. Raises
    :class:`PolicyLoadError` when a policy has errors (the diagnostics name file, line, column).
    """
    from policyc.lang.cache import load_policy_set

    files = [str(stdlib_path())] if paths is None else [str(p) for p in paths]
    if not files:
        raise PolicyLoadError([Diagnostic("io_error", "error", "no policy paths given")])
    policy_set, result, _note = load_policy_set(files, cache_dir, use_cache=cache)
    if policy_set is None:
        diagnostics = list(result.errors) if result is not None else []
        rendered = ""
        if result is not None:
            from policyc.lang.report import render_text

            rendered = render_text(result.errors, result.texts)
        raise PolicyLoadError(diagnostics, rendered)
    return PolicyEngine(policy_set, fingerprint_key=fingerprint_key, proofs=proofs)
