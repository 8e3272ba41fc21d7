"""Session state across decisions: the counters and the terminated flag of each agent session,
kept by the runtime and supplied to the engine as the action's ``session.*`` facts.

The engine is pure: an action's ``session.actions``, ``session.recent_denials``,
``session.alerts`` and ``session.terminated`` come from whoever decides it, and an untrusted
caller's values are dropped. :class:`SessionTracker` is the runtime that fills them in, from the
decisions it made before in the same session:

- ``actions``: the actions of the session decided so far;
- ``recent_denials``: decisions ``deny`` or ``terminate`` within the last ``window`` seconds;
- ``alerts``: alert outcomes raised so far;
- ``terminated``: a ``terminate`` decision was made; it never resets, so every later action of
  the session is refused by the standard library's ``sessions.terminated``.

:class:`SessionTracker` keeps the state in memory, for one process (``policyc eval
--sessions``, tests, embedding in a long-lived agent loop); :class:`SessionStore` keeps it in
the runtime's state store, shared by processes (:class:`policyc.runtime.Runtime`). An action
without ``session.id`` is decided on its own.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from policyc.action.model import Action, ActionError, Approval, Session, parse_action
from policyc.decision.engine import ActionInput, PolicyEngine
from policyc.decision.record import Decision
from policyc.runtime.store import StateStore

REFUSING = frozenset({"deny", "terminate"})


@dataclass
class SessionState:
    """What the runtime remembers of one session."""

    actions: int = 0
    alerts: int = 0
    denials: deque[float] = field(default_factory=deque)  # times of denials, oldest first
    terminated: bool = False
    # one session's actions are decided one at a time, in order; other sessions go on
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def recent_denials(self, now: float, window: float) -> int:
        while self.denials and self.denials[0] <= now - window:
            self.denials.popleft()
        return len(self.denials)


class SessionTracker:
    """Decides actions with ``engine``, supplying each session's counters from its history."""

    def __init__(
        self,
        engine: PolicyEngine,
        *,
        window: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not window > 0:
            raise ValueError("the denial window must be a positive number of seconds")
        self.engine = engine
        self.window = window
        self._clock = clock
        self._sessions: dict[str, SessionState] = {}
        self._lock = threading.Lock()

    def state(self, session_id: str) -> SessionState:
        """The state of a session (a fresh one if it has not been seen)."""
        with self._lock:
            return self._sessions.setdefault(session_id, SessionState())

    def decide(self, data: ActionInput) -> Decision:
        """The decision for one untrusted action, with its session's counters filled in; the
        decision then updates them. Never raises (as :meth:`PolicyEngine.decide`)."""
        try:
            if isinstance(data, Action):  # untrusted all the same: no approval of its own
                action = data.model_copy(update={"approval": Approval()})
            else:
                action = parse_action(data)
        except ActionError:
            return self.engine.decide(data)  # denied, with the error; no session to count in
        session_id = action.session.id
        if session_id is None:
            return self.engine.decide(action.model_copy(update={"session": Session()}))
        state = self.state(session_id)
        with state.lock:
            now = self._clock()
            completed = action.model_copy(
                update={
                    "session": Session(
                        id=session_id,
                        actions=state.actions,
                        recent_denials=state.recent_denials(now, self.window),
                        alerts=state.alerts,
                        terminated=state.terminated,
                    )
                }
            )
            decision = self.engine.decide(completed, trusted=True)
            state.actions += 1
            state.alerts += len(decision.alerts)
            if decision.decision in REFUSING:
                state.denials.append(now)
            if decision.decision == "terminate":
                state.terminated = True
        return decision


SESSIONS_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    session_id TEXT PRIMARY KEY,
    actions INTEGER NOT NULL DEFAULT 0,
    alerts INTEGER NOT NULL DEFAULT 0,
    terminated INTEGER NOT NULL DEFAULT 0,
    terminated_at REAL,
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS session_denials (
    session_id TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS session_denials_by_session ON session_denials (session_id, at)
"""


class SessionStore:
    """Session state kept in the runtime's state store (:mod:`policyc.runtime.store`), shared by
    every process that decides: the same counters as :class:`SessionTracker`, read and updated
    inside the runtime's write transaction, so that a termination made by one process is seen
    by the next action of the session in any other. Times are wall-clock seconds."""

    def __init__(self, store: StateStore, *, window: float = 600.0) -> None:
        if not window > 0:
            raise ValueError("the denial window must be a positive number of seconds")
        self.store = store
        self.window = window
        store.ensure("sessions", SESSIONS_SCHEMA)

    def counters(self, conn: sqlite3.Connection, session_id: str, now: float) -> Session:
        """The session's counters as of ``now``, inside the write transaction (denials older
        than the window are dropped)."""
        conn.execute(
            "DELETE FROM session_denials WHERE session_id = ? AND at <= ?",
            (session_id, now - self.window),
        )
        return self.peek(conn, session_id, now)

    def peek(self, conn: sqlite3.Connection, session_id: str, now: float) -> Session:
        """The counters :meth:`counters` would give at ``now``, read without writing (outside
        the write transaction: the runtime decides on them, then checks them again inside)."""
        row = conn.execute(
            "SELECT actions, alerts, terminated FROM sessions WHERE session_id = ?",
            (session_id,),
        ).fetchone()
        denials = conn.execute(
            "SELECT count(*) FROM session_denials WHERE session_id = ? AND at > ?",
            (session_id, now - self.window),
        ).fetchone()[0]
        actions, alerts, terminated = row if row is not None else (0, 0, 0)
        return Session(
            id=session_id,
            actions=actions,
            recent_denials=denials,
            alerts=alerts,
            terminated=bool(terminated),
        )

    def update(
        self, conn: sqlite3.Connection, session_id: str, decision: Decision, now: float
    ) -> None:
        """Count ``decision`` in its session (inside the same transaction as :meth:`counters`)."""
        terminate = decision.decision == "terminate"
        conn.execute(
            "INSERT INTO sessions (session_id, actions, alerts, terminated, terminated_at, "
            "updated_at) VALUES (?, 1, ?, ?, ?, ?) ON CONFLICT (session_id) DO UPDATE SET "
            "actions = actions + 1, alerts = alerts + excluded.alerts, "
            "terminated = max(terminated, excluded.terminated), "
            "terminated_at = coalesce(terminated_at, excluded.terminated_at), "
            "updated_at = excluded.updated_at",
            (session_id, len(decision.alerts), int(terminate), now if terminate else None, now),
        )
        if decision.decision in REFUSING:
            conn.execute(
                "INSERT INTO session_denials (session_id, at) VALUES (?, ?)", (session_id, now)
            )

    def get(self, session_id: str, now: float | None = None) -> Session:
        """The session's counters, read on their own (for reports and tests)."""
        with self.store.write() as conn:
            return self.counters(conn, session_id, time.time() if now is None else now)
