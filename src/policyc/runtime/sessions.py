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

This tracker keeps the state in memory, for one process (``policyc eval --sessions``, tests,
embedding in a long-lived agent loop). An action without ``session.id`` is decided on its own.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from policyc.action.model import Action, ActionError, Approval, Session, parse_action
from policyc.decision.engine import ActionInput, PolicyEngine
from policyc.decision.record import Decision

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
