"""The HTTP benchmark: ``policyc serve`` under load, beside the runtime called in-process.

The actions of ``benchmarks/data/agent_actions.jsonl`` (the decision benchmark's mix of the
standard library's coding-agent actions) are decided:

- in this process by a :class:`policyc.runtime.Runtime` (the audit log on), one after the other:
  the cost of a decision without HTTP;
- by ``policyc serve`` in a subprocess (uvicorn, one process, the audit log on, its own state
  folder in a temporary directory) driven by 1, 16 and 64 concurrent clients, each a keep-alive
  connection sending ``POST /v1/decide`` one request after the other; and by 16 clients sending
  ``POST /v1/decide/batch`` with 25 actions each.

The client is a minimal HTTP/1.1 client on asyncio streams in this process, so that the numbers
are the server's rather than a client library's. Reported per row: requests (and decisions) per
second, p50 and p99 latency of a request as the client sees it, and the server's CPU time per
decision (from ``/proc``; it is not inflated by other processes on a shared machine). Afterwards
the audit log is verified and its entries counted: every decision must be in it. Nothing here
asserts on time; the run fails only when a request fails or a decision is missing from the log.

``python -m benchmarks.http_bench [--quick]`` runs it alone; ``python -m benchmarks --only http``
within the other benchmarks.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.make_actions import load
from benchmarks.timing import ResultMismatch, table

BATCH = 25
_DECISION = re.compile(rb'"decision":"([a-z_]+)"')


@dataclass(frozen=True)
class HttpRow:
    label: str
    clients: int
    requests: int
    decisions: int
    seconds: float
    latencies_ms: list[float]
    server_cpu: float | None  # seconds of the server's CPU time during the run

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    def percentile(self, p: float) -> float:
        xs = sorted(self.latencies_ms)
        return xs[min(len(xs) - 1, int(p * len(xs)))]


@dataclass(frozen=True)
class HttpResult:
    rows: list[HttpRow]
    entries: int
    decisions_sent: int
    chain_ok: bool
    effects: dict[str, int]


# -- a minimal client -----------------------------------------------------------------------------


class _Connection:
    """One keep-alive HTTP/1.1 connection to the server."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, port: int) -> _Connection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return cls(reader, writer)

    async def post(self, path: str, body: bytes, token: str) -> tuple[int, bytes]:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        self.writer.write(head.encode("ascii") + body)
        status_line = await self.reader.readline()
        status = int(status_line.split(b" ", 2)[1])
        length = 0
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        return status, await self.reader.readexactly(length)

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()


async def _drive(
    port: int, token: str, path: str, bodies: list[bytes], clients: int, effects: dict[str, int]
) -> tuple[float, list[float]]:
    """Send ``bodies`` to ``path`` from ``clients`` connections; (seconds, latencies in ms)."""
    connections = [await _Connection.open(port) for _ in range(clients)]
    latencies: list[float] = []
    queue = iter(bodies)

    async def client(conn: _Connection) -> None:
        for body in queue:  # the clients share one iterator: each takes the next body
            started = time.perf_counter()
            status, data = await conn.post(path, body, token)
            latencies.append((time.perf_counter() - started) * 1000)
            if status != 200:
                raise ResultMismatch(f"http: {path} answered {status}: {data[:200]!r}")
            for m in (
                _DECISION.finditer(data) if path.endswith("batch") else [_DECISION.search(data)]
            ):
                if m is None:
                    raise ResultMismatch(f"http: {path} answered without a decision")
                effects[m.group(1).decode()] = effects.get(m.group(1).decode(), 0) + 1

    started = time.perf_counter()
    await asyncio.gather(*(client(c) for c in connections))
    seconds = time.perf_counter() - started
    for c in connections:
        await c.close()
    return seconds, latencies


# -- the server -----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wait_healthy(port: int, proc: subprocess.Popen[bytes], deadline: float) -> None:
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"policyc serve exited with status {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                if s.recv(64).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError("policyc serve did not become healthy")


def _in_process(actions: list[dict[str, Any]], folder: Path) -> HttpRow:
    from policyc.runtime.runtime import Runtime

    (folder / "policyc.toml").write_text('state_dir = "state"\n')
    rt = Runtime.from_config(folder / "policyc.toml")
    try:
        for a in actions[:50]:  # warm-up: plan functions are generated on first use
            rt.decide(a)
        latencies = []
        cpu = time.process_time()
        started = time.perf_counter()
        for a in actions:
            t = time.perf_counter()
            rt.decide(a)
            latencies.append((time.perf_counter() - t) * 1000)
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu
    finally:
        rt.close()
    return HttpRow(
        "Runtime.decide in-process", 1, len(actions), len(actions), seconds, latencies, cpu
    )


def run_http(quick: bool = False) -> HttpResult:
    actions = load()
    per_level = 600 if quick else 3_000
    levels = (1, 16, 64)
    batches = 16 * (2 if quick else 8)

    def take(n: int, offset: int = 0) -> list[bytes]:
        """``n`` request bodies from action ``offset`` on; each pass over the actions has
        sessions of its own, so that the mix stays the decision benchmark's (a session that
        saw too many denials is terminated, and would be on the next pass)."""
        out = []
        for i in range(offset, offset + n):
            action = actions[i % len(actions)]
            session = action.get("session") or {}
            if session.get("id"):
                action = {
                    **action,
                    "session": {**session, "id": f"{session['id']}-{i // len(actions)}"},
                }
            out.append(json.dumps(action, separators=(",", ":")).encode())
        return out

    rows: list[HttpRow] = []
    effects: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="policyc-http-bench-") as tmp:
        folder = Path(tmp)
        baseline = folder / "baseline"
        baseline.mkdir()
        print("  in-process runtime", flush=True)
        rows.append(_in_process(actions[: min(len(actions), per_level)], baseline))

        served = folder / "served"
        served.mkdir()
        (served / "policyc.toml").write_text('state_dir = "state"\n')
        token = secrets.token_urlsafe(32)
        port = _free_port()
        log = (folder / "serve.log").open("wb")
        env = {**os.environ, "POLICYC_API_TOKENS": token}
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "policyc.cli.main",
                "serve",
                "--config",
                str(served / "policyc.toml"),
                "--port",
                str(port),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            env=env,
            cwd=served,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        sent = 0
        try:
            try:
                _wait_healthy(port, proc, time.monotonic() + 60)
            except RuntimeError:
                log.flush()
                sys.stderr.write((folder / "serve.log").read_text(errors="replace"))
                raise
            warm = take(200)
            asyncio.run(_drive(port, token, "/v1/decide", warm, 4, {}))
            sent += len(warm)
            for clients in levels:
                print(f"  {clients} client(s) x POST /v1/decide", flush=True)
                work = take(per_level, sent)
                cpu0 = _cpu_seconds(proc.pid)
                seconds, lat = asyncio.run(
                    _drive(port, token, "/v1/decide", work, clients, effects)
                )
                cpu1 = _cpu_seconds(proc.pid)
                sent += len(work)
                rows.append(
                    HttpRow(
                        "POST /v1/decide",
                        clients,
                        len(work),
                        len(work),
                        seconds,
                        lat,
                        None if cpu0 is None or cpu1 is None else cpu1 - cpu0,
                    )
                )
            print(f"  16 clients x POST /v1/decide/batch ({BATCH} actions)", flush=True)
            batch_bodies = [
                b"[" + b",".join(take(BATCH, sent + i * BATCH)) + b"]" for i in range(batches)
            ]
            cpu0 = _cpu_seconds(proc.pid)
            seconds, lat = asyncio.run(
                _drive(port, token, "/v1/decide/batch", batch_bodies, 16, effects)
            )
            cpu1 = _cpu_seconds(proc.pid)
            sent += batches * BATCH
            rows.append(
                HttpRow(
                    f"POST /v1/decide/batch ({BATCH} actions)",
                    16,
                    batches,
                    batches * BATCH,
                    seconds,
                    lat,
                    None if cpu0 is None or cpu1 is None else cpu1 - cpu0,
                )
            )
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            log.close()
        from policyc.runtime.audit import AuditLog
        from policyc.runtime.store import StateStore

        store = StateStore.in_folder(served / "state")
        report = AuditLog(store, create=False).verify()
        store.close()
    result = HttpResult(rows, report.entries, sent, report.ok, effects)
    if not report.ok or report.entries != sent:
        raise ResultMismatch(
            f"http: {sent} decisions sent, {report.entries} audit entries (chain ok: {report.ok})"
        )
    return result


def section(quick: bool = False) -> HttpResult:
    """Run the benchmark and print its table."""
    print("\n[http] the decision API: policyc serve under concurrent clients", flush=True)
    r = run_http(quick)
    rows = []
    for row in r.rows:
        cpu = "-" if row.server_cpu is None else f"{row.server_cpu / row.decisions * 1000:.2f}"
        rows.append(
            [
                row.label,
                str(row.clients),
                f"{row.requests:,}",
                f"{row.per_second:,.0f}",
                f"{row.decisions / row.seconds:,.0f}",
                f"{row.percentile(0.50):.2f}",
                f"{row.percentile(0.99):.2f}",
                cpu,
            ]
        )
    print()
    print(
        table(
            "The decision API (standard library, audit log on; latency as the client sees it, "
            "ms; CPU: the server's per decision, ms; in-process row: this process's)",
            ["", "clients", "requests", "req/s", "decisions/s", "p50", "p99", "CPU"],
            rows,
        )
    )
    mix = ", ".join(f"{k} {v:,}" for k, v in sorted(r.effects.items()))
    print(
        f"\n  audit log: {r.entries:,} entries for {r.decisions_sent:,} decisions sent, "
        f"chain {'verified' if r.chain_ok else 'BROKEN'}; decisions: {mix}"
    )
    return r


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.http_bench", description=__doc__)
    ap.add_argument("--quick", action="store_true", help="fewer requests, for a smoke run")
    args = ap.parse_args(argv)
    try:
        section(args.quick)
    except ResultMismatch as e:
        print(f"RESULTS DISAGREE: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
