"""The hook's start-up: a coding agent runs ``policyc hook …`` once per tool call, so its cost is
the cost of a fresh process. Timed in one run, interleaved (each round runs every variant once):

- ``python -c pass``: the floor, the cost of starting Python at all;
- the thin client run as a script (``policyc hook AGENT --print-command``), daemon warm;
- ``policyc hook claude-code`` (the console script, which loads the command line first),
  daemon warm;
- ``policyc hook claude-code --no-daemon``: the runtime loaded and the decision made in the
  hook's own process;
- the thin client with no daemon running (the call that starts it), a few rounds.

Two payloads: a Bash ``ls`` (allowed) and a Read of ``.env`` (denied); every answer is checked.
Medians and minima of wall-clock time, and the ratio of each median to ``python -c pass``'s.
Nothing asserts on time. ``python -m benchmarks.hook_bench [--quick]``.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.timing import ResultMismatch, fmt_ratio, table
from policyc.adapters import hookclient

PAYLOADS = {
    "Bash ls": ({"tool_name": "Bash", "tool_input": {"command": "ls"}}, "allow"),
    "Read .env": ({"tool_name": "Read", "tool_input": {"file_path": "{cwd}/.env"}}, "deny"),
}


@dataclass
class HookTimes:
    rows: dict[str, list[float]] = field(default_factory=dict)

    def add(self, label: str, seconds: float) -> None:
        self.rows.setdefault(label, []).append(seconds)

    def median(self, label: str) -> float:
        return statistics.median(self.rows[label])


def _event(payload: str, cwd: Path, session: str) -> bytes:
    data, _ = PAYLOADS[payload]
    tool_input = json.loads(json.dumps(data["tool_input"]).replace("{cwd}", str(cwd)))
    event = {
        "session_id": session,
        "transcript_path": "/dev/null",
        "cwd": str(cwd),
        "permission_mode": "default",
        "hook_event_name": "PreToolUse",
        "tool_name": data["tool_name"],
        "tool_input": tool_input,
        "tool_use_id": "toolu_bench",
    }
    return json.dumps(event).encode()


def _timed(
    argv: list[str], stdin: bytes, cwd: Path, env: dict[str, str], expect: str | None
) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, input=stdin, capture_output=True, cwd=cwd, env=env, timeout=120)
    seconds = time.perf_counter() - started
    if expect is not None:
        if done.returncode != 0:
            raise ResultMismatch(f"{argv[-1]}: exit {done.returncode}: {done.stderr.decode()}")
        got = json.loads(done.stdout)["hookSpecificOutput"]["permissionDecision"]
        if got != expect:
            raise ResultMismatch(f"{' '.join(argv)}: {got}, expected {expect}")
    return seconds


def run_hooks(runs: int = 20, cold_runs: int = 5) -> HookTimes:
    times = HookTimes()
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "project"
        project.mkdir()
        (project / "policyc.toml").write_text('state_dir = "state"\n')
        env = {k: v for k, v in os.environ.items() if not k.startswith(("POLICYC", "CLAUDE_"))}
        env["POLICYC_CACHE_DIR"] = str(Path(tmp) / "cache")
        state = str(project / "state")
        bindir = Path(sys.executable).parent
        console = [str(bindir / "policyc")] if (bindir / "policyc").exists() else None
        start = str(Path(hookclient.__file__).with_name("hookstart.py"))
        client = [sys.executable, "-I", "-S", start, "claude-code"]
        cli = console or [sys.executable, "-m", "policyc.cli.main"]
        variants = {
            "hook, thin client script, daemon warm": client,
            "policyc hook claude-code, daemon warm": [*cli, "hook", "claude-code"],
            "policyc hook claude-code --no-daemon": [*cli, "hook", "claude-code", "--no-daemon"],
        }
        try:
            for payload, (_, expect) in PAYLOADS.items():  # warm up: daemon, compile cache
                _timed(client, _event(payload, project, "warm"), project, env, expect)
            calls = 0
            for _ in range(runs):
                python = [sys.executable, "-c", "pass"]
                times.add("python -c pass", _timed(python, b"", project, env, None))
                for label, argv in variants.items():
                    for payload, (_, expect) in PAYLOADS.items():
                        calls += 1  # a session of its own: no denials pile up
                        stdin = _event(payload, project, f"bench-{calls}")
                        times.add(f"{label} ({payload})", _timed(argv, stdin, project, env, expect))
            for i in range(cold_runs):
                hookclient.stop(state)
                stdin = _event("Bash ls", project, f"cold-{i}")
                times.add(
                    "hook, thin client script, cold: starts the daemon (Bash ls)",
                    _timed(client, stdin, project, env, "allow"),
                )
        finally:
            hookclient.stop(state)
    return times


def section(quick: bool) -> HookTimes:
    times = run_hooks(runs=20 if quick else 30, cold_runs=3 if quick else 5)
    base = times.median("python -c pass")
    rows = [
        [
            label,
            str(len(values)),
            f"{statistics.median(values) * 1e3:,.1f}",
            f"{min(values) * 1e3:,.1f}",
            fmt_ratio(statistics.median(values) / base),
        ]
        for label, values in times.rows.items()
    ]
    print()
    print(
        table(
            "The hook per tool call: a fresh process each time (wall ms; target: the hook's "
            "median <= 10x python -c pass's)",
            ["process", "runs", "median ms", "min ms", "median vs python -c pass"],
            rows,
        )
    )
    return times


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    section(quick="--quick" in args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
