"""Decisions for people: the decision, why, and the proof tree of every fired outcome.

Colour (ANSI) only when asked for; ``policyc eval --format text`` asks when stdout is a terminal
and ``NO_COLOR`` is not set.
"""

from __future__ import annotations

from policyc.decision.record import Decision
from policyc.engine.proofs import Proof

_COLOURS = {
    "allow": "32",  # green
    "alert": "36",  # cyan
    "redact": "35",  # magenta
    "require_approval": "33",  # yellow
    "deny": "31",  # red
    "terminate": "1;31",  # bold red
}


def _paint(text: str, code: str, colour: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if colour else text


def render_decision(decision: Decision, *, colour: bool = False, proofs: bool = True) -> str:
    d = decision
    head = _paint(d.decision.upper().replace("_", " "), _COLOURS[d.decision], colour)
    lines = [f"{head}  {d.action_id}  risk {d.risk_score}"]
    lines.append(f"  reason:    {d.reason}")
    if d.policy_ids:
        lines.append(f"  policies:  {', '.join(d.policy_ids)}")
    if d.approver_role:
        lines.append(f"  approver:  {d.approver_role}")
    if d.error is not None:
        lines.append(f"  error:     [{d.error.code}] {d.error.message}")
    for r in d.redactions:
        lines.append(
            f"  redact:    {r.marker} in {r.field} at {r.offset} ({r.length} chars, "
            f"#{r.fingerprint}) by {', '.join(r.policy_ids)}"
        )
    for a in d.alerts:
        lines.append(f"  alert:     {a.policy_id}: {a.reason}")
    lines.append(
        f"  decision {d.decision_id} at {d.timestamp.isoformat()} by policy set {d.policy_set[:12]}"
    )
    for o in d.outcomes:
        effect = _paint(o.effect, _COLOURS[o.effect], colour)
        where = f" at {o.source}" if o.source else ""
        lines.append(f"  ── {effect} {o.policy_id} (risk {o.risk}){where}")
        lines.append(f"     {o.reason}")
        if proofs and o.proof is not None:
            try:
                tree = Proof.from_dict(o.proof).to_text()
            except ValueError as e:
                tree = f"(the proof cannot be shown: {e})"
            lines.extend("     " + line for line in tree.splitlines())
    if d.default_applied:
        lines.append("  (no rule fired)")
    return "\n".join(lines)
