"""The decision record (pydantic): what the engine answers for one action.

The record is the contract with callers, adapters and the audit log; its JSON Schema is published
in docs/decisions.md. No field ever holds a raw secret: every string that could carry one (reasons,
proofs, errors) is scrubbed before the record is built.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Effect = Literal["allow", "alert", "redact", "require_approval", "deny", "terminate"]

DEFAULT_RISK: dict[str, int] = {
    "allow": 0,
    "alert": 25,
    "redact": 25,
    "require_approval": 50,
    "deny": 75,
    "terminate": 100,
}
"""The risk of a fired outcome whose rule declares none."""

RECORD_SCHEMA = "policyc.decision/1"


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Outcome(_Record):
    """One outcome rule that fired, with the proof of why."""

    effect: Effect
    policy_id: str
    reason: str
    risk: int = Field(
        ge=0, le=100, description="the rule's declared risk, else its effect's default"
    )
    approver_role: str | None = None
    tags: list[str] = Field(default_factory=list)
    source: str | None = Field(default=None, description="file:line:column of the rule")
    proof: dict[str, Any] | None = Field(
        default=None, description="the proof tree, schema policyc.proof/1 (docs/explanations.md)"
    )


class Redaction(_Record):
    """A secret to replace before the action (or its record) goes anywhere. Never the value."""

    kind: str
    field: str = Field(description="the action field holding it: command, payload, tool.input.x …")
    offset: int = Field(ge=0, description="start of the value in the field's text, in characters")
    length: int = Field(ge=0)
    fingerprint: str = Field(description="a short keyed hash of the value, to correlate findings")
    marker: str = Field(description="what replaces the value, e.g. [REDACTED:aws-access-key]")
    policy_ids: list[str] = Field(description="the redact rules that asked for it")


class Alert(_Record):
    policy_id: str
    reason: str
    risk: int = Field(ge=0, le=100)


class DecisionError(_Record):
    """Why the engine failed closed."""

    code: str
    message: str


class Decision(_Record):
    schema_: str = Field(default=RECORD_SCHEMA, alias="schema")
    decision_id: str = Field(description="unique and time-sortable (ULID)")
    action_id: str
    decision: Effect
    policy_ids: list[str] = Field(
        description="the rules whose effect is the decision (empty when the default applied)"
    )
    reason: str
    risk_score: int = Field(ge=0, le=100, description="see docs/decisions.md for the formula")
    approver_role: str | None = None
    redactions: list[Redaction] = Field(default_factory=list)
    alerts: list[Alert] = Field(default_factory=list)
    timestamp: datetime = Field(description="UTC, ISO 8601")
    default_applied: bool = False
    outcomes: list[Outcome] = Field(default_factory=list)
    policy_set: str = Field(description="the hash of the policy set that decided")
    error: DecisionError | None = None
    approval_id: str | None = Field(
        default=None,
        description="set by the runtime: the approval a require_approval decision waits for, "
        "or the approval whose grant let the action go ahead (docs/approvals.md)",
    )

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @property
    def allowed(self) -> bool:
        """Whether the action may go ahead (``allow``, ``alert`` and ``redact`` let it through)."""
        return self.decision in ("allow", "alert", "redact")

    def to_json(self, *, indent: int | None = None) -> str:
        return self.model_dump_json(by_alias=True, indent=indent)

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)


def now_utc() -> datetime:
    return datetime.now(UTC)
