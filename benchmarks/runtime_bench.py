"""The runtime benchmark: decisions per second with the audit log on, in one process and in 8.

The actions of ``benchmarks/data/agent_actions.jsonl`` (the decision benchmark's mix), grouped
into sessions of 50, are decided:

- by the engine alone (``PolicyEngine.decide``: no state, nothing written);
- by a :class:`policyc.runtime.Runtime` with the audit log off (sessions and approvals kept in
  the state store: one SQLite write transaction per decision);
- by a runtime with the audit log on (the same, plus the hash-chained entry with the redacted
  action and the proofs), ``synchronous = normal`` (the default) and ``full``;
- by 8 processes, each its own runtime on one state folder, audit on, writing concurrently;
  afterwards the chain is verified and its entries counted.

Reported: decisions per second, the time per decision, and the cost of the runtime and of
logging relative to deciding. Nothing here asserts on time.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.make_actions import DATA, load

SESSION_SIZE = 50


@dataclass(frozen=True)
class RuntimeRow:
    label: str
    decisions: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.decisions / self.seconds

    @property
    def us_per_decision(self) -> float:
        return self.seconds / self.decisions * 1e6


@dataclass(frozen=True)
class RuntimeResult:
    rows: list[RuntimeRow]
    processes: int
    entries: int
    chain_ok: bool
    verify_seconds: float


def _sessions(actions: list[dict[str, Any]], tag: str) -> list[dict[str, Any]]:
    out = []
    for i, a in enumerate(actions):
        a = {k: v for k, v in a.items() if k not in ("action_id", "session")}
        a["session"] = {"id": f"bench-{tag}-{i // SESSION_SIZE}"}
        out.append(a)
    return out


def _config(state: Path, **data: Any) -> Any:
    from policyc.runtime.config import config_from_data

    return config_from_data({"state_dir": str(state), **data}, state.parent / "policyc.toml")


def _timed(decide: Callable[[dict[str, Any]], Any], actions: list[dict[str, Any]]) -> float:
    t0 = time.perf_counter()
    for a in actions:
        decide(a)
    return time.perf_counter() - t0


def _worker(args: tuple[str, list[dict[str, Any]], Any]) -> float:
    state, actions, start = args
    from policyc.runtime.runtime import Runtime

    rt = Runtime(_config(Path(state)))
    rt.decide({"action_type": "file.read", "resource": {"path": "/repo/README.md"}})  # warm
    start.wait()
    seconds = _timed(rt.decide, actions)
    rt.close()
    return seconds


def run_runtime(
    sample: int | None = None,
    processes: int = 8,
    data: Path = DATA,
    log: Callable[[str], None] = print,
) -> RuntimeResult:
    import policyc
    from policyc.runtime.audit import AuditLog
    from policyc.runtime.runtime import Runtime
    from policyc.runtime.store import StateStore

    actions = load(data)
    if sample is not None:
        actions = actions[:sample]
    n = len(actions)
    engine = policyc.load()
    rows: list[RuntimeRow] = []
    with tempfile.TemporaryDirectory(prefix="policyc-runtime-bench-") as tmp:
        base = Path(tmp)
        for a in actions[:50]:  # warm the engine's caches
            engine.decide(a)
        log(f"  engine alone: {n} decisions")
        rows.append(RuntimeRow("engine alone", n, _timed(engine.decide, _sessions(actions, "e"))))
        for label, tag, options in (
            ("runtime, audit off", "n", {"audit": {"enabled": False}}),
            ("runtime, audit on (synchronous normal)", "a", {}),
            ("runtime, audit on (synchronous full)", "f", {"audit": {"synchronous": "full"}}),
        ):
            log(f"  {label}: {n} decisions")
            rt = Runtime(_config(base / tag, **options), engine=engine)
            rt.decide(actions[0])
            rows.append(RuntimeRow(label, n, _timed(rt.decide, _sessions(actions, tag))))
            rt.close()

        state = base / "shared"
        Runtime(_config(state), engine=engine).close()  # create the store once
        chunks = [_sessions(actions[i::processes], f"p{i}") for i in range(processes)]
        log(f"  {processes} processes, audit on: {sum(map(len, chunks))} decisions")
        ctx = multiprocessing.get_context("spawn")
        with ctx.Manager() as manager:
            start = manager.Barrier(processes + 1)
            with ctx.Pool(processes) as pool:
                pending = pool.map_async(_worker, [(str(state), c, start) for c in chunks])
                start.wait()
                t0 = time.perf_counter()
                pending.get()
                wall = time.perf_counter() - t0
        total = sum(map(len, chunks))
        rows.append(RuntimeRow(f"{processes} processes, audit on", total, wall))
        t0 = time.perf_counter()
        report = AuditLog(StateStore.in_folder(state), create=False).verify()
        verify_seconds = time.perf_counter() - t0
    return RuntimeResult(rows, processes, report.entries, report.ok, verify_seconds)


def main() -> None:  # pragma: no cover - a manual entry point
    result = run_runtime(sample=int(os.environ.get("SAMPLE", "0")) or None)
    print(json.dumps([r.__dict__ for r in result.rows], indent=2))


if __name__ == "__main__":  # pragma: no cover
    main()
