"""The Python adapter: decide before a tool function runs.

A :class:`Guard` wraps the tools of an agent loop written in Python. Each call becomes an action
— by default a ``tool.call`` whose ``tool.input`` holds the call's arguments by name, or whatever
action a function given with ``action=`` builds from them — and is decided (by a
:class:`~policyc.runtime.Runtime`, which records it, or by a bare
:class:`~policyc.decision.PolicyEngine`) before the function runs:

- ``allow`` and ``alert``: the function runs;
- ``redact``: the function runs with the redacted arguments (a ``tool.call`` the guard built;
  for an action built by ``action=``, the arguments are the caller's and are passed unchanged);
- ``require_approval``: with ``wait_for_approval`` seconds, the guard decides again every
  ``poll_interval`` seconds until a grant lets the action through (``policyc approvals approve
  ID …``) or time runs out; then, or at once without waiting, :class:`ApprovalRequired`;
- ``deny`` and ``terminate``: :class:`PolicyDenied`, which carries the decision.

The guard never lets a call through when deciding fails: the engine and the runtime fail closed
to ``deny``, and the guard raises.
"""

from __future__ import annotations

import functools
import inspect
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

from policyc.decision.record import Decision

P = ParamSpec("P")
R = TypeVar("R")
Decider = Callable[[dict[str, Any]], Decision]


class PolicyDenied(Exception):
    """The policies refused the action; ``decision`` says why (its ``reason``, ``policy_ids``
    and proofs)."""

    def __init__(self, decision: Decision) -> None:
        self.decision = decision
        super().__init__(f"{decision.decision}: {decision.reason}")


class ApprovalRequired(PolicyDenied):
    """The action needs an approval that was not granted (in time); ``approval_id`` names the
    pending approval to approve (``policyc approvals approve ID --as NAME --role ROLE``)."""

    @property
    def approval_id(self) -> str | None:
        return self.decision.approval_id


class Guard:
    """Decides the calls of tool functions under ``decider``: a runtime, an engine, or any
    function from an action (a JSON object) to a :class:`Decision`.

    ``session``, ``agent``, ``cwd``, ``workspace``, ``home`` and ``environment`` are set on every action
    the guard decides (an action built by ``action=`` keeps its own where it gives them)."""

    def __init__(
        self,
        decider: Any,
        *,
        session: str | None = None,
        agent: str | None = None,
        cwd: str | None = None,
        workspace: str | None = None,
        home: str | None = None,
        environment: str | None = None,
        wait_for_approval: float = 0.0,
        poll_interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        decide = getattr(decider, "decide", decider)
        if not callable(decide):
            raise TypeError("a Guard needs a Runtime, a PolicyEngine or a function to decide")
        if wait_for_approval < 0 or poll_interval <= 0:
            raise ValueError("wait_for_approval must be >= 0 and poll_interval > 0")
        self._decide: Decider = decide
        self.context: dict[str, Any] = {}
        if session is not None:
            self.context["session"] = {"id": session}
        if agent is not None:
            self.context["agent"] = {"id": agent}
        for name, value in (
            ("cwd", cwd),
            ("workspace", workspace),
            ("home", home),
            ("environment", environment),
        ):
            if value is not None:
                self.context[name] = value
        self.wait_for_approval = wait_for_approval
        self.poll_interval = poll_interval
        self._clock = clock
        self._sleep = sleep

    # -- deciding -------------------------------------------------------------------------------

    def check(self, action: Mapping[str, Any]) -> Decision:
        """Decide ``action`` (with the guard's context); return the decision when the action may
        go ahead, else raise :class:`ApprovalRequired` or :class:`PolicyDenied`."""
        data = {**self.context, **action}
        decision = self._decide(data)
        if decision.decision == "require_approval" and self.wait_for_approval > 0:
            deadline = self._clock() + self.wait_for_approval
            while decision.decision == "require_approval" and self._clock() < deadline:
                self._sleep(min(self.poll_interval, max(0.0, deadline - self._clock())))
                decision = self._decide(data)
        if decision.allowed:
            return decision
        if decision.decision == "require_approval":
            raise ApprovalRequired(decision)
        raise PolicyDenied(decision)

    @contextmanager
    def action(self, action: Mapping[str, Any]) -> Iterator[Decision]:
        """``with guard.action({...}) as decision:`` runs the block only when the action may go
        ahead (the decision is there for its redactions)."""
        yield self.check(action)

    # -- wrapping functions --------------------------------------------------------------------

    def __call__(
        self,
        fn: Callable[P, R] | None = None,
        *,
        name: str | None = None,
        action: Callable[..., Mapping[str, Any]] | None = None,
    ) -> Any:
        """``@guard`` or ``@guard(name=…, action=…)``: the wrapped function is decided before
        each call. Without ``action=``, a call is ``{"action_type": "tool.call", "tool":
        {"name": NAME, "input": {argument: value …}}}`` (NAME: ``name`` or the function's);
        with it, ``action(*args, **kwargs)`` builds the action."""

        def wrap(f: Callable[P, R]) -> Callable[P, R]:
            tool = name or f.__name__
            signature = inspect.signature(f)

            @functools.wraps(f)
            def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
                if action is not None:
                    self.check(action(*args, **kwargs))
                    return f(*args, **kwargs)
                bound = signature.bind(*args, **kwargs)
                bound.apply_defaults()
                arguments = {k: _jsonable(v) for k, v in bound.arguments.items()}
                data = {"action_type": "tool.call", "tool": {"name": tool, "input": arguments}}
                decision = self.check(data)
                if decision.redactions:  # the arguments that held a secret, redacted
                    redacted = _redacted_input(data, decision)
                    for k, v in redacted.items():
                        if k in arguments and v != arguments[k]:
                            bound.arguments[k] = v
                return f(*bound.args, **bound.kwargs)

            return guarded

        return wrap if fn is None else wrap(fn)


def _jsonable(value: Any, depth: int = 0) -> Any:
    """An argument as JSON for the action: containers of JSON values as they are, anything else
    by its ``repr`` (so that a secret in it is still seen)."""
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if depth < 32 and isinstance(value, Mapping):
        return {str(k): _jsonable(v, depth + 1) for k, v in value.items()}
    if depth < 32 and isinstance(value, list | tuple):
        return [_jsonable(v, depth + 1) for v in value]
    return repr(value)


def _redacted_input(data: dict[str, Any], decision: Decision) -> dict[str, Any]:
    from policyc.action.model import parse_action
    from policyc.decision.decide import redact_action

    redacted = redact_action(parse_action(data), decision.redactions)
    tool_input: dict[str, Any] = redacted["tool"]["input"]
    return tool_input


def guard(decider: Any, **options: Any) -> Guard:
    """A :class:`Guard` (``guard(runtime, session="s1")``), to use as a decorator
    (``@g``, ``@g(name="shell")``) or a context manager (``with g.action({...}):``)."""
    return Guard(decider, **options)


__all__ = ["ApprovalRequired", "Guard", "PolicyDenied", "guard"]
