"""The Python guard: tool functions decided before they run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from policyc.adapters.guard import ApprovalRequired, Guard, PolicyDenied, guard
from policyc.decision.engine import PolicyEngine, load
from policyc.runtime.config import config_from_data
from policyc.runtime.runtime import Runtime

TOKEN = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"


@pytest.fixture(scope="module")
def engine() -> PolicyEngine:
    return load()


def read_action(path: str) -> dict[str, Any]:
    return {"action_type": "file.read", "resource": {"path": path}, "cwd": "/repo"}


def test_allowed_calls_run_and_refused_ones_raise(engine: PolicyEngine) -> None:
    g = guard(engine)
    calls: list[str] = []

    @g(action=read_action)
    def read(path: str) -> str:
        calls.append(path)
        return "text"

    assert read("/repo/src/app.py") == "text"
    with pytest.raises(PolicyDenied) as refused:
        read("/repo/.env")
    assert refused.value.decision.policy_ids == ["secrets.read"]
    assert calls == ["/repo/src/app.py"]  # the refused call never ran


def test_a_tool_call_is_built_from_the_arguments(engine: PolicyEngine) -> None:
    g = Guard(engine, cwd="/repo")
    seen: list[str] = []

    @g(name="Bash")
    def shell(command: str, timeout: int = 10) -> None:
        seen.append(command)

    shell("ls -la")
    with pytest.raises(PolicyDenied) as refused:
        shell(command="rm -rf /")
    assert refused.value.decision.decision in ("deny", "terminate")
    assert seen == ["ls -la"]


def test_redacted_arguments_reach_the_function(engine: PolicyEngine) -> None:
    g = Guard(engine)
    got: list[Any] = []

    @g
    def post_comment(body: str, issue: int, extra: object = None) -> None:
        got.append((body, issue, extra))

    marker = object()
    post_comment(f"here is the token {TOKEN}", 7, extra=marker)
    ((body, issue, extra),) = got
    assert TOKEN not in body and "[REDACTED:github-token]" in body
    assert issue == 7 and extra is marker  # arguments without a secret are passed as they were


def test_approval_required_and_waiting_for_it(tmp_path: Path, engine: PolicyEngine) -> None:
    config = config_from_data({"state_dir": "state"}, tmp_path / "policyc.toml")
    rt = Runtime(config, engine=engine)
    edit = {"action_type": "file.edit", "resource": {"path": "/repo/src/auth/login.py"}}
    g = Guard(rt, session="s1")
    with pytest.raises(ApprovalRequired) as pending, g.action(edit):
        pytest.fail("the block ran without approval")
    approval_id = pending.value.approval_id
    assert approval_id is not None

    ticks: list[float] = []

    def sleep(seconds: float) -> None:  # someone approves while the guard waits
        ticks.append(seconds)
        assert rt.approvals is not None and approval_id is not None
        if len(ticks) == 2:
            rt.approvals.approve(approval_id, approver="ana", role="security")

    now = [0.0]

    def clock() -> float:
        now[0] += 0.5
        return now[0]

    waiting = Guard(
        rt, session="s1", wait_for_approval=30, poll_interval=1, clock=clock, sleep=sleep
    )
    with waiting.action(edit) as decision:
        assert decision.decision == "allow" and decision.approval_id == approval_id
    assert len(ticks) == 2
    impatient = Guard(rt, session="s1", wait_for_approval=2, poll_interval=1, clock=clock,
                      sleep=lambda s: None)  # fmt: skip
    with pytest.raises(ApprovalRequired):  # the grant was single-use
        impatient.check(edit)


def test_a_failing_decider_never_lets_a_call_through(tmp_path: Path) -> None:
    bad = tmp_path / "bad.policy"
    bad.write_text("module bad\ndeny x when\n")
    config = config_from_data({"state_dir": "state", "policies": [str(bad)]}, tmp_path / "p.toml")
    g = Guard(Runtime(config))

    @g
    def harmless() -> str:
        return "ran"

    with pytest.raises(PolicyDenied) as refused:
        harmless()
    assert refused.value.decision.error is not None


def test_bad_arguments() -> None:
    with pytest.raises(TypeError):
        Guard(42)
    with pytest.raises(ValueError):
        Guard(lambda a: None, poll_interval=0)


def test_the_agent_loop_example(tmp_path: Path) -> None:
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, str(root / "examples/python/agent_loop.py"), str(tmp_path / "state")],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("read README.md: ran")
    assert lines[2].startswith("read .env: deny:")
    assert lines[3].startswith("rm -rf ~: deny:")
    assert "[REDACTED:github-token]" in lines[4] and TOKEN not in done.stdout
    assert lines[5].startswith("kubectl apply: needs approval apr_")
