"""From a verdict to the typed decision record: precedence, reasons, risk, approver, redactions.

Everything here is a pure function of the verdict, the action and the secrets found in it, so the
same action under the same policies gives the same record (up to ``decision_id`` and
``timestamp``). Every string that reaches the record is scrubbed of the secrets found in the
action first: a reason template or a proof binding can never leak one.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import cache
from typing import Any

from policyc.action.model import Action, new_id
from policyc.decision.record import (
    DEFAULT_RISK,
    Alert,
    Decision,
    DecisionError,
    Outcome,
    Redaction,
    now_utc,
)
from policyc.decision.verdict import Fired, Verdict
from policyc.engine.proofs import Proof
from policyc.normalize.facts import secret_fields
from policyc.normalize.secrets import Finding, find_secrets, redact_text


def marker(kind: str) -> str:
    return f"[REDACTED:{kind}]"


class Scrubber:
    """Replaces every secret value found in an action by its marker, in any string; then runs
    the secret detectors over what is left, since a string built from the action may hold a
    secret the action's own scan did not see whole (a path cut by shell quotes, ``AKIA''…``,
    and joined by normalization; a field the scan does not read, such as ``resource.path``)."""

    def __init__(self, action: Action | None, findings: Sequence[Finding]) -> None:
        values: dict[str, str] = {}
        if action is not None and findings:
            texts = dict(secret_fields(action))
            for f in findings:
                text = texts.get(f.field)
                if text is not None and f.end > f.start:
                    value, mark = text[f.start : f.end], marker(f.kind)
                    values.setdefault(value, mark)
                    # as a JSON string shows it (a template rendering an object, a proof
                    # argument): newlines, quotes and backslashes escaped
                    for escaped in (
                        json.dumps(value)[1:-1],
                        json.dumps(value, ensure_ascii=False)[1:-1],
                    ):
                        values.setdefault(escaped, mark)
        # longest first, so a value containing another is replaced whole
        self._values = sorted(values.items(), key=lambda kv: (-len(kv[0]), kv[0]))
        self._done: dict[str, str] = {}  # a proof repeats its strings: each is scrubbed once
        self.detect = False  # run the detectors on each string (see `needs_detectors`)

    def text(self, s: str) -> str:
        done = self._done.get(s)
        if done is not None:
            return done
        out = s
        for value, mark in self._values:
            if value in out:
                out = out.replace(value, mark)
        if self.detect:
            found = find_secrets(out, "decision")
            if found:
                out = redact_text(out, found)
        self._done[s] = out
        return out

    def needs_detectors(self) -> bool:
        """Whether the detectors find anything in the strings scrubbed so far, all scanned in
        one pass; if so, :attr:`detect` is turned on, to scrub them again one by one."""
        if self.detect or not self._done:
            return False
        # a newline and a NUL between strings: no detector matches across them
        if not find_secrets("\n\0\n".join(self._done.values()), "decision"):
            return False
        self.detect = True
        self._done.clear()
        return True

    def json(self, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.json(v) for v in value]
        if isinstance(value, dict):
            return {k: self.json(v) for k, v in value.items()}
        return value


def risk_score(risks: Iterable[int]) -> int:
    """Noisy-OR of the fired outcomes' risks: ``round(100 * (1 - prod(1 - r/100)))``.

    One outcome of risk r gives r; independent signals compound (two of 50 give 75); the score
    never falls when another outcome fires, and reaches 100 only when some outcome is 100.
    """
    keep = 1.0
    for r in risks:
        keep *= 1.0 - max(0, min(100, r)) / 100.0
    score = round(100.0 * (1.0 - keep))
    if score == 100 and keep > 0.0:
        score = 99
    return score


def _risk(f: Fired) -> int:
    return f.rule.risk if f.rule.risk is not None else DEFAULT_RISK.get(f.rule.effect, 75)


def _secret_premises(proof: Proof | None) -> set[tuple[str, str]] | None:
    """The (kind, field) of the ``secret`` input facts a proof rests on; None when it names none."""
    if proof is None:
        return None
    found = {
        (str(n.args[0]), str(n.args[1]))
        for n in proof.walk()
        if n.kind == "fact" and n.predicate == "secret" and len(n.args) == 2
    }
    return found or None


@cache
def _default_reason(effect: str, declared: bool) -> str:
    how = "declared by the policy set" if declared else "policyc's default"
    return f"no rule fired; the default ({effect}, {how}) applies"


def build_decision(
    *,
    action: Action,
    verdict: Verdict,
    findings: Sequence[Finding],
    policy_set: str,
    default_declared: bool,
    decision_id: str | None = None,
    timestamp: datetime | None = None,
) -> Decision:
    if not verdict.fired:  # the common case, kept short: the default applies
        # validated as ``Decision(**fields)`` validates them, without its keyword round trip
        quiet: Decision = Decision.__pydantic_validator__.validate_python(
            {
                "decision_id": decision_id or new_id("dec_"),
                "action_id": action.action_id,
                "decision": verdict.effect,
                "policy_ids": [],
                "reason": _default_reason(verdict.effect, default_declared),
                "risk_score": 0,
                "timestamp": timestamp or now_utc(),
                "default_applied": True,
                "policy_set": policy_set,
            }
        )
        return quiet
    scrub = Scrubber(action, findings)
    fired = sorted(verdict.fired, key=lambda f: (f.rule.id, repr(f.args)))
    proofs = [f.proof.to_dict() if f.proof is not None else None for f in fired]
    while True:  # once more, string by string, if the detectors find a secret left in them
        texts = [(scrub.text(f.reason), scrub.json(p)) for f, p in zip(fired, proofs, strict=True)]
        if not scrub.needs_detectors():
            break
    outcomes = [
        Outcome(
            effect=f.rule.effect,  # type: ignore[arg-type]
            policy_id=f.rule.id,
            reason=reason,
            risk=_risk(f),
            approver_role=f.rule.approver,
            tags=list(f.rule.tags),
            source=str(f.rule.source) if f.rule.source else None,
            proof=proof,
        )
        for f, (reason, proof) in zip(fired, texts, strict=True)
    ]
    effect = verdict.effect
    winners = [o for o in outcomes if o.effect == effect]
    if verdict.default_applied:
        reason = _default_reason(effect, default_declared)
    else:
        reason = "; ".join(dict.fromkeys(o.reason for o in winners))
    approver = None
    if effect == "require_approval":
        roles = sorted(
            ((-o.risk, o.policy_id, o.approver_role) for o in winners if o.approver_role),
        )
        approver = roles[0][2] if roles else None
    redactions = _redactions(fired, findings)
    alerts = [
        Alert(policy_id=o.policy_id, reason=o.reason, risk=o.risk)
        for o in outcomes
        if o.effect == "alert"
    ]
    return Decision(
        decision_id=decision_id or new_id("dec_"),
        action_id=action.action_id,
        decision=effect,  # type: ignore[arg-type]
        policy_ids=sorted({o.policy_id for o in winners}),
        reason=reason,
        risk_score=risk_score(o.risk for o in outcomes),
        approver_role=approver,
        redactions=redactions,
        alerts=alerts,
        timestamp=timestamp or now_utc(),
        default_applied=verdict.default_applied,
        outcomes=outcomes,
        policy_set=policy_set,
    )


def _redactions(fired: Sequence[Fired], findings: Sequence[Finding]) -> list[Redaction]:
    """The findings each fired redact rule asks for: those its proof rests on (a ``secret(K, F)``
    premise selects the findings of kind K in field F), or every finding when it names none."""
    asked: dict[int, list[str]] = {}
    for f in fired:
        if f.rule.effect != "redact":
            continue
        wanted = _secret_premises(f.proof)
        for i, finding in enumerate(findings):
            if wanted is None or (finding.kind, finding.field) in wanted:
                ids = asked.setdefault(i, [])
                if f.rule.id not in ids:
                    ids.append(f.rule.id)
    out = []
    for i in sorted(asked, key=lambda i: (findings[i].field, findings[i].start)):
        fd = findings[i]
        out.append(
            Redaction(
                kind=fd.kind,
                field=fd.field,
                offset=fd.start,
                length=fd.end - fd.start,
                fingerprint=fd.fingerprint,
                marker=marker(fd.kind),
                policy_ids=sorted(asked[i]),
            )
        )
    return out


def failed_decision(
    *,
    action_id: str,
    policy_set: str,
    code: str,
    message: str,
    decision_id: str | None = None,
) -> Decision:
    """Fail closed: ``deny``, with the error in the record (any secret in it replaced)."""
    message = redact_text(message, find_secrets(message, "error"))
    action_id = redact_text(action_id, find_secrets(action_id, "action_id"))
    return Decision(
        decision_id=decision_id or new_id("dec_"),
        action_id=action_id,
        decision="deny",
        policy_ids=[],
        reason=f"denied because the decision could not be made: {message}",
        risk_score=100,
        timestamp=now_utc(),
        policy_set=policy_set,
        error=DecisionError(code=code, message=message),
    )


def redact_action(action: Action, redactions: Iterable[Redaction]) -> dict[str, Any]:
    """The action as JSON with every redacted value replaced by its marker (for logs, approvals
    and forwarding). A field is a path of keys and list indices; ``#N`` is the N-th key of an
    object, and a last ``#key`` the key's own text (``secret_fields`` in
    :mod:`policyc.normalize.facts`)."""
    data = action.model_dump(mode="json")
    by_field: dict[str, list[Redaction]] = {}
    for r in redactions:
        by_field.setdefault(r.field, []).append(r)
    # keys last, deepest first: renaming a key leaves the paths of the others as they were
    for field in sorted(by_field, key=lambda f: (f.endswith(".#key"), -f.count("."))):
        items = by_field[field]
        parts = field.split(".")
        rename = parts[-1] == "#key"
        if rename:
            parts = parts[:-1]
        holder: Any = data
        for p in parts[:-1]:
            holder = _child(holder, p)
        last = parts[-1]
        key: Any
        if isinstance(holder, list) and last.isdigit() and int(last) < len(holder):
            key = int(last)
        elif isinstance(holder, dict) and last.startswith("#") and last[1:].isdigit():
            keys = list(holder)
            if int(last[1:]) >= len(keys):
                continue
            key = keys[int(last[1:])]
        elif isinstance(holder, dict) and last in holder:
            key = last
        else:
            continue
        text = key if rename else holder[key]
        if not isinstance(text, str):
            continue
        for r in sorted(items, key=lambda r: -r.offset):
            text = text[: r.offset] + r.marker + text[r.offset + r.length :]
        if rename:
            # the same place in the object, under the redacted name (made unique: two keys
            # redacted alike stay two)
            base, n = text, 1
            while text in holder and text != key:
                n += 1
                text = f"{base}~{n}"
            renamed = {(text if k == key else k): v for k, v in holder.items()}
            holder.clear()
            holder.update(renamed)
        else:
            holder[key] = text
    return data


def _child(holder: Any, part: str) -> Any:
    if isinstance(holder, dict):
        if part.startswith("#") and part[1:].isdigit():
            keys = list(holder)
            return holder[keys[int(part[1:])]] if int(part[1:]) < len(keys) else None
        return holder.get(part)
    if isinstance(holder, list) and part.isdigit() and int(part) < len(holder):
        return holder[int(part)]
    return None


__all__ = [
    "Scrubber",
    "build_decision",
    "failed_decision",
    "marker",
    "redact_action",
    "risk_score",
]
