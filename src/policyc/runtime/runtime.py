"""The runtime around the pure engine: one decision per action, with the state kept across
decisions and the side effects delivered.

For each action :meth:`Runtime.decide`, inside one write transaction of the state store:

1. completes the untrusted action with its session's counters (:class:`SessionStore`);
2. decides it with the engine;
3. for ``require_approval``, redeems a grant for this very action if one was issued
   (:class:`ApprovalBook`) and then decides again with the verified approval, or else opens a
   pending approval whose id the decision carries;
4. appends the decision, the redacted action and the proofs to the hash-chained audit log;
5. counts the decision in its session (a ``terminate`` is sticky);

and after the commit delivers the alerts to the configured sinks. The transaction makes the
five steps one: a process killed half-way leaves no decision without its audit entry and no
session without its count.

Fail closed: when the policies do not load, or the state store or the audit log cannot be
written, the decision is ``deny`` with the reason in ``decision.error`` — unless the
configuration says ``fail_mode = "open"`` (docs/configuration.md), which keeps the engine's
decision and reports the failure on the ``policyc.runtime`` logger.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from policyc.action.model import Action, ActionError, Approval, parse_action
from policyc.decision.decide import failed_decision, redact_action
from policyc.decision.engine import ActionInput, PolicyEngine, PolicyLoadError, claimed_action_id
from policyc.decision.record import Decision
from policyc.runtime.store import StateStore, StoreError

if TYPE_CHECKING:
    from policyc.runtime.alerts import AlertDispatcher
    from policyc.runtime.approvals import ApprovalBook
    from policyc.runtime.audit import AuditLog, PreparedEntry
    from policyc.runtime.config import RuntimeConfig
    from policyc.runtime.sessions import SessionStore

log = logging.getLogger("policyc.runtime")

FINGERPRINT_KEY_NAME = "fingerprint.key"


class Runtime:
    """Decides actions under a configuration: sessions, approvals, audit log and alerts.

    Thread-safe, and safe to run in several processes on one state folder. Construct it with
    :meth:`from_config`; :meth:`close` flushes the alert sinks (a hook calls it before it
    exits)."""

    def __init__(
        self,
        config: RuntimeConfig,
        *,
        engine: PolicyEngine | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self._clock = clock
        self.engine: PolicyEngine | None = None
        self.failure: tuple[str, str] | None = None  # (code, message): why every action is denied
        self.store: StateStore | None = None
        self.audit: AuditLog | None = None
        self.approvals: ApprovalBook | None = None
        self.sessions: SessionStore | None = None
        self.alerts: AlertDispatcher | None = None
        self._open_state()
        self._load_engine(engine)
        self._open_alerts()

    @classmethod
    def from_config(
        cls, path: str | Path | None = None, *, cwd: str | Path | None = None, **options: Any
    ) -> Runtime:
        """The runtime of the configuration at ``path``, else ``$POLICYC_CONFIG``, else the
        ``policyc.toml`` or ``pyproject.toml`` found from ``cwd`` upward, else the defaults.
        Raises :class:`policyc.runtime.config.ConfigError` for an invalid configuration."""
        from policyc.runtime.config import load_config

        config = load_config(
            None if path is None else Path(path), cwd=None if cwd is None else Path(cwd)
        )
        return cls(config, **options)

    # -- set-up ---------------------------------------------------------------------------------

    def _open_state(self) -> None:
        from policyc.runtime.approvals import (
            KEY_FILE_NAME,
            ApprovalBook,
            ApprovalError,
            load_or_create_key,
        )
        from policyc.runtime.audit import AuditLog
        from policyc.runtime.sessions import SessionStore

        config = self.config
        try:
            store = StateStore.in_folder(
                config.state_dir, synchronous=config.audit.synchronous.upper()
            )
            self.sessions = SessionStore(store, window=config.sessions.denial_window)
            self.approvals = ApprovalBook(
                store,
                key_path=Path(config.state_dir) / KEY_FILE_NAME,
                expiry_seconds=config.approvals.expiry,
                single_use=config.approvals.single_use,
                clock=self._clock,
            )
            if config.audit.enabled:
                self.audit = AuditLog(store)
            self._fingerprint_key = load_or_create_key(
                Path(config.state_dir) / FINGERPRINT_KEY_NAME
            )
            self.store = store
        except (StoreError, ApprovalError) as e:
            self._fail("state_unavailable", f"the state store is unavailable: {e}")
        except OSError as e:
            self._fail("state_unavailable", f"the state store is unavailable: {e.strerror or e}")

    def _load_engine(self, engine: PolicyEngine | None) -> None:
        if engine is None:
            from policyc.decision.engine import load

            try:
                engine = load(
                    self.config.policy_paths(),
                    fingerprint_key=getattr(self, "_fingerprint_key", None),
                )
            except PolicyLoadError as e:
                first = str(e.diagnostics[0]) if e.diagnostics else str(e)
                more = f" (and {len(e.diagnostics) - 1} more)" if len(e.diagnostics) > 1 else ""
                self.failure = ("policy_error", f"the policies do not load: {first}{more}")
                return
        if self.config.default_effect is not None:
            engine = _with_default(engine, self.config.default_effect)
        self.engine = engine

    def _open_alerts(self) -> None:
        from policyc.runtime.alerts import AlertDispatcher, build_sinks

        source = self.config.source
        where = "tool.policyc.alerts" if source and source.name == "pyproject.toml" else "alerts"
        self.alerts = AlertDispatcher(build_sinks(list(self.config.alerts), where=where))

    def _fail(self, code: str, message: str) -> None:
        """A failure of the state: fail closed, or (fail_mode open) only report it."""
        if self.config.fail_mode == "open":
            log.error("policyc runtime: %s (fail_mode = open: decisions are not recorded)", message)
            return
        if self.failure is None:
            self.failure = (code, message)

    # -- deciding -------------------------------------------------------------------------------

    def decide(self, data: ActionInput, *, grant: str | None = None) -> Decision:
        """The decision for one untrusted action, recorded. ``grant``: an approval token the
        caller presents (``policyc approvals approve --print-token``); without it the grants
        issued for this action are looked up. Never raises."""
        try:
            return self._decide(data, grant)
        except Exception as e:  # fail closed, whatever went wrong
            log.exception("policyc runtime: internal error")
            return failed_decision(
                action_id=claimed_action_id(data)
                if not isinstance(data, Action)
                else data.action_id,
                policy_set=self.engine.policy_set_hash if self.engine else "",
                code="internal_error",
                message=f"internal error ({type(e).__name__})",
            )

    def _decide(self, data: ActionInput, grant: str | None) -> Decision:
        engine = self.engine
        if engine is None or (self.failure is not None and self.failure[0] == "policy_error"):
            code, message = self.failure or ("policy_error", "the policies do not load")
            action_id = data.action_id if isinstance(data, Action) else claimed_action_id(data)
            return failed_decision(action_id=action_id, policy_set="", code=code, message=message)
        try:
            if isinstance(data, Action):  # untrusted all the same: no approval of its own
                action: Action | None = data.model_copy(update={"approval": Approval()})
            else:
                action = parse_action(data)
        except ActionError:
            action = None
        if self.failure is not None:  # the state is unavailable (fail closed)
            code, message = self.failure
            action_id = action.action_id if action else claimed_action_id(data)
            return failed_decision(
                action_id=action_id, policy_set=engine.policy_set_hash, code=code, message=message
            )
        if action is None:
            decision = engine.decide(data)  # denied, with the error
            return self._record_only(decision, None)
        if self.store is None:  # fail_mode open and no state: the engine alone
            return engine.decide(action)
        return self._decide_recorded(engine, action, grant)

    def _decide_recorded(self, engine: PolicyEngine, action: Action, grant: str | None) -> Decision:
        from policyc.runtime.approvals import ApprovalError, GrantRejected

        assert self.store is not None and self.sessions is not None and self.approvals is not None
        session_id = action.session.id
        try:
            # Decide outside the write lock on the session's counters as they are now, then
            # check them again inside it: another process may have decided in the same session
            # meanwhile (then decide again, inside). Writers hold the lock only to write.
            now = self._clock()
            seen = None
            if session_id is not None:
                with self.store.read() as conn:
                    seen = self.sessions.peek(conn, session_id, now)
                action = action.model_copy(update={"session": seen})
            decision = engine.decide(action, trusted=True)
            prepared = self._prepare(decision, action)
            with self.store.write() as conn:
                if session_id is not None:
                    current = self.sessions.counters(conn, session_id, now)
                    if current != seen:
                        action = action.model_copy(update={"session": current})
                        decision = engine.decide(action, trusted=True)
                        prepared = None
                if decision.decision == "require_approval" and decision.error is None:
                    approval: Approval | None = None
                    try:
                        approval = self.approvals.redeem(conn, action, grant, decision=decision)
                    except GrantRejected as e:
                        log.warning("policyc runtime: grant refused (%s): %r", e.code, str(e))
                    except ApprovalError as e:
                        log.warning(
                            "policyc runtime: approvals unavailable (%s): %r", e.code, str(e)
                        )
                    if approval is not None:
                        approved = action.model_copy(update={"approval": approval})
                        decision = engine.decide(approved, trusted=True).model_copy(
                            update={"approval_id": approval.approval_id}
                        )
                    else:
                        pending = self.approvals.request(conn, action, decision)
                        decision = decision.model_copy(update={"approval_id": pending.id})
                    prepared = None
                if self.audit is not None:
                    if prepared is None:
                        prepared = self.audit.prepare(
                            decision, redact_action(action, decision.redactions)
                        )
                    self.audit.append(conn, prepared)
                if session_id is not None:
                    self.sessions.update(conn, session_id, decision, now)
        except (StoreError, ApprovalError) as e:
            return self._state_failed(engine, action, e)
        self._deliver(decision, action)
        return decision

    def _prepare(self, decision: Decision, action: Action) -> PreparedEntry | None:
        """The audit entry of ``decision``, serialised and scrubbed outside the write lock."""
        if self.audit is None:
            return None
        return self.audit.prepare(decision, redact_action(action, decision.redactions))

    def _record_only(self, decision: Decision, action: Action | None) -> Decision:
        """Record a decision made without session state (an invalid action)."""
        if self.store is None or self.audit is None:
            return decision
        try:
            with self.store.write() as conn:
                self.audit.append(conn, decision, None)
        except StoreError as e:
            assert self.engine is not None
            return self._state_failed(self.engine, action, e)
        return decision

    def _state_failed(
        self, engine: PolicyEngine, action: Action | None, error: Exception
    ) -> Decision:
        message = f"the decision could not be recorded: {error}"
        if self.config.fail_mode == "open":
            log.error(
                "policyc runtime: %s (fail_mode = open: the engine's decision stands)", message
            )
            return (
                engine.decide(action)
                if action is not None
                else failed_decision(
                    action_id=claimed_action_id(None),
                    policy_set=engine.policy_set_hash,
                    code="invalid_action",
                    message=message,
                )
            )
        return failed_decision(
            action_id=action.action_id if action is not None else claimed_action_id(None),
            policy_set=engine.policy_set_hash,
            code="audit_unavailable",
            message=message,
        )

    def _deliver(self, decision: Decision, action: Action) -> None:
        if self.alerts is None or not (decision.alerts or decision.decision == "terminate"):
            return
        self.alerts.dispatch(decision, session_id=action.session.id, agent_id=action.agent.id)

    def close(self, timeout: float = 5.0) -> None:
        """Flush the alert sinks (up to ``timeout`` seconds) and close the state store."""
        if self.alerts is not None:
            self.alerts.close(timeout)
        if self.store is not None:
            self.store.close()


def _with_default(engine: PolicyEngine, effect: str) -> PolicyEngine:
    """The engine with the configuration's default effect (the policy set's hash covers it)."""
    ps = engine.policy_set
    digest = hashlib.sha256(f"{ps.digest}\0default={effect}".encode()).hexdigest()
    replaced = dataclasses.replace(ps, default=effect, default_declared=True, digest=digest)
    return PolicyEngine(replaced, fingerprint_key=engine._key, proofs=engine.proofs)
