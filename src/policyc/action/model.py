"""The Action model (pydantic v2), under the canonical JSON field names of the design.

Runtime-owned state — approval and session counters — is part of the model so that policies can
read it, but :func:`parse_action` drops whatever a caller wrote there: the runtime fills it in
after verification, so an agent cannot grant itself approval by writing it into the JSON.
"""

from __future__ import annotations

import json
import os
import random
import time
from functools import lru_cache
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError

ActionType = Literal[
    "file.read",
    "file.write",
    "file.edit",
    "file.delete",
    "file.list",
    "shell.exec",
    "http.request",
    "web.search",
    "db.query",
    "tool.call",
    "agent.spawn",
]

ACTION_TYPES: tuple[str, ...] = get_args(ActionType)

Environment = Literal["development", "test", "staging", "production"]
Classification = Literal["public", "internal", "confidential", "restricted"]

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


_PAIRS = [a + b for a in _CROCKFORD for b in _CROCKFORD]  # 10 bits → 2 characters
# Identifiers need to be unique, not secret: a generator seeded from the OS (and reseeded in a
# forked child, so that parent and child never draw the same ids) costs no system call per id.
_RANDOM = random.Random(os.urandom(32))
os.register_at_fork(after_in_child=lambda: _RANDOM.seed(os.urandom(32)))


def new_id(prefix: str = "") -> str:
    """A unique, time-sortable identifier (ULID layout: 48-bit milliseconds, 80 random bits)."""
    n = _RANDOM.getrandbits(80)  # 80 random bits: 16 characters, two per 10 bits
    a, b = n >> 40, n & 0xFF_FFFF_FFFF  # two halves, each shifted as a machine-size integer
    p = _PAIRS
    return "".join(
        (
            prefix,
            _stamp(time.time_ns() // 1_000_000),
            p[a >> 30],
            p[(a >> 20) & 1023],
            p[(a >> 10) & 1023],
            p[a & 1023],
            p[b >> 30],
            p[(b >> 20) & 1023],
            p[(b >> 10) & 1023],
            p[b & 1023],
        )
    )


@lru_cache(maxsize=2)
def _stamp(ms: int) -> str:
    """The 48-bit time in 10 characters, right-aligned (the same for every id of a millisecond)."""
    out = []
    for _ in range(10):
        out.append(_CROCKFORD[ms & 31])
        ms >>= 5
    return "".join(reversed(out))


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Agent(_Model):
    id: str | None = Field(default=None, description="the agent's identity")
    owner: str | None = Field(default=None, description="the person the agent acts for")
    team: str | None = Field(default=None, description="the team that runs the agent")


class Session(_Model):
    id: str | None = Field(default=None, description="the agent session")
    # Supplied by the runtime, never by the caller:
    actions: int = Field(default=0, ge=0, description="actions decided in this session so far")
    recent_denials: int = Field(default=0, ge=0, description="denials in the sliding window")
    alerts: int = Field(default=0, ge=0, description="alerts raised in this session")
    terminated: bool = Field(default=False, description="the session was terminated")


class Resource(_Model):
    type: str | None = Field(default=None, description="file, directory, url, table, …")
    path: str | None = Field(default=None, description="the path or locator of the resource")
    owner: str | None = Field(default=None, description="who owns the resource")
    team: str | None = Field(default=None, description="the team the resource belongs to")


class Tool(_Model):
    name: str = Field(description="the tool's name, e.g. Bash or mcp__github__create_issue")
    server: str | None = Field(default=None, description="the MCP server offering the tool")
    input: dict[str, Any] = Field(default_factory=dict, description="the tool's arguments")


class Approval(_Model):
    """Supplied by the runtime once an approval is verified; never by the caller."""

    granted: bool = False
    approval_id: str | None = None
    approver: str | None = None
    role: str | None = None


class Action(_Model):
    action_id: str = Field(default_factory=lambda: new_id("act_"), min_length=1, max_length=200)
    action_type: ActionType
    agent: Agent = Field(default_factory=Agent)
    session: Session = Field(default_factory=Session)
    resource: Resource = Field(default_factory=Resource)
    command: str | None = Field(default=None, description="the shell command line")
    tool: Tool | None = None
    environment: Environment | None = None
    data_classification: Classification | None = None
    risk_signals: list[str] = Field(default_factory=list)
    permissions: list[str] = Field(default_factory=list)
    approval: Approval = Field(default_factory=Approval)
    payload: str | None = Field(default=None, description="content written, sent or queried")
    url: str | None = None
    method: str | None = Field(default=None, description="the HTTP method of a request")
    cwd: str | None = Field(default=None, description="the working directory")
    workspace: str | None = Field(default=None, description="the root of the agent's workspace")
    branch: str | None = Field(default=None, description="the current git branch")
    home: str | None = Field(
        default=None, description="the home directory of the user the agent runs as (for `~`)"
    )


RUNTIME_OWNED = (
    "approval",
    "session.actions",
    "session.recent_denials",
    "session.alerts",
    "session.terminated",
)


class ActionError(ValueError):
    """An action that does not fit the model: ``problems`` names each bad field and why."""

    code = "invalid_action"

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        # a field name is the caller's text too (an unknown key can be anything, a key
        # included): whatever the secret detectors find in it is replaced by its marker
        self.problems = [(_scrubbed(field), _scrubbed(why)) for field, why in problems]
        super().__init__(
            "invalid action: " + "; ".join(f"{field}: {why}" for field, why in self.problems)
        )


def _scrubbed(text: str) -> str:
    from policyc.normalize.secrets import find_secrets, redact_text

    return redact_text(text, find_secrets(text, "error"))


def parse_action(data: Any, *, trusted: bool = False) -> Action:
    """Validate untrusted JSON (a dict, or JSON text) into an :class:`Action`.

    Unless ``trusted``, runtime-owned fields are dropped first. Errors name every bad field; the
    offending *values* are never echoed (they may hold secrets).
    """
    if isinstance(data, str | bytes):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as e:
            raise ActionError(
                [("(json)", f"not valid JSON at line {e.lineno} column {e.colno}: {e.msg}")]
            ) from None
        except UnicodeDecodeError as e:
            raise ActionError(
                [("(json)", f"not UTF-8 text: {e.reason} at byte {e.start}")]
            ) from None
        except RecursionError:
            raise ActionError([("(json)", "nested too deeply")]) from None
        except ValueError as e:  # e.g. an integer beyond Python's conversion limit
            raise ActionError([("(json)", f"not valid JSON: {str(e).split(';')[0]}")]) from None
    if not isinstance(data, dict):
        raise ActionError(
            [("(root)", f"an action must be a JSON object, got {type(data).__name__}")]
        )
    if not trusted:
        data = dict(data)
        data.pop("approval", None)
        session = data.get("session")
        if isinstance(session, dict):
            data["session"] = {k: v for k, v in session.items() if k == "id"}
    try:
        return Action.model_validate(data)
    except RecursionError:
        raise ActionError([("(root)", "nested too deeply")]) from None
    except ValidationError as e:
        problems = []
        for err in e.errors(include_url=False, include_input=False):
            where = ".".join(str(p) for p in err["loc"]) or "(root)"
            problems.append((where, str(err["msg"])))
        raise ActionError(problems) from None
