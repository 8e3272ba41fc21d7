"""Small timing and reporting helpers shared by the benchmarks."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Timing:
    """Seconds per unit (one run, or one decision) over ``runs`` runs: the best and the median
    of the wall-clock time (``time.perf_counter``), and the best of the CPU time this process
    spent (``time.process_time``), which time slices lost to other processes do not inflate."""

    best: float
    median: float
    runs: int
    cpu_best: float


@contextmanager
def _quiet_heap() -> Iterator[None]:
    """Collect, then freeze every object alive before timing starts: the garbage collector stays
    on (its cost on what the timed code allocates is part of that code's cost), but its full
    collections no longer walk the benchmark's own data (workloads, other engines' state)."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def measure(fn: Callable[[], object], repeat: int, units: int = 1, warmup: int = 1) -> Timing:
    """Run ``fn`` ``warmup`` times untimed, then ``repeat`` times timed; each sample is the time
    of one call divided by ``units`` (the number of decisions the call makes, for example)."""
    for _ in range(warmup):
        fn()
    t = measure_chunks({"fn": lambda _: fn()}, [None], chunk=1, repeat=repeat)["fn"]
    return Timing(t.best / units, t.median / units, t.runs, t.cpu_best / units)


def measure_chunks(
    runners: Mapping[str, Callable[[Sequence[T]], object]],
    items: Sequence[T],
    chunk: int,
    repeat: int,
) -> dict[str, Timing]:
    """Time every runner over ``items`` cut into chunks, interleaving the runners chunk by chunk
    (so that they all see the same machine load), ``repeat`` times over. A runner's best is the
    sum over chunks of its fastest time on each chunk, its median the sum of the medians; both
    are divided by the number of items. On a shared machine this discards bursts of load that
    would otherwise land on one runner and not the other."""
    chunks = [items[i : i + chunk] for i in range(0, len(items), chunk)]
    wall: dict[str, list[list[float]]] = {k: [[] for _ in chunks] for k in runners}
    cpu: dict[str, list[list[float]]] = {k: [[] for _ in chunks] for k in runners}
    clock, cpu_clock = time.perf_counter, time.process_time
    with _quiet_heap():
        for _ in range(repeat):
            for c, part in enumerate(chunks):
                for label, run in runners.items():
                    c0 = cpu_clock()
                    t0 = clock()
                    run(part)
                    t1 = clock()
                    c1 = cpu_clock()
                    wall[label][c].append(t1 - t0)
                    cpu[label][c].append(c1 - c0)
    n = len(items)
    return {
        label: Timing(
            sum(min(ts) for ts in per_chunk) / n,
            sum(statistics.median(ts) for ts in per_chunk) / n,
            repeat,
            sum(min(ts) for ts in cpu[label]) / n,
        )
        for label, per_chunk in wall.items()
    }


def fmt_time(seconds: float) -> str:
    """A duration with a unit that keeps 3-4 significant digits readable."""
    if seconds >= 1.0:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds * 1e6:.1f} µs"


def fmt_ratio(r: float) -> str:
    return f"{r:.1f}x" if r >= 10 else f"{r:.2f}x"


def table(title: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain-text table, first column left-aligned and the others right-aligned."""
    cols = list(zip(header, *rows, strict=True)) if rows else [(h,) for h in header]
    widths = [max(len(str(c)) for c in col) for col in cols]
    lines = [title, ""]

    def line(cells: Sequence[str]) -> str:
        out = []
        for i, (c, w) in enumerate(zip(cells, widths, strict=True)):
            out.append(str(c).ljust(w) if i == 0 else str(c).rjust(w))
        return "  " + "  ".join(out)

    lines.append(line(header))
    lines.append("  " + "  ".join("-" * w for w in widths))
    lines.extend(line(r) for r in rows)
    return "\n".join(lines)


class ResultMismatch(AssertionError):
    """Two engines (or two modes of one) disagree on a result: the benchmark is void."""


def check(condition: bool, message: str) -> None:
    """Like ``assert``, but never compiled away by ``python -O``."""
    if not condition:
        raise ResultMismatch(message)
