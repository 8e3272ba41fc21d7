"""Transitive closure: policyc (proofs off and on) against pyDatalog on a chain and a random graph.

Both engines run the same left-linear program (pyDatalog's tabled top-down evaluation is 3-10x
slower with the right-linear form, which is why that form is not used for either)::

    path(X, Y) :- edge(X, Y).
    path(X, Y) :- path(X, Z), edge(Z, Y).

A run is ``evaluate`` plus reading the ``path`` relation (policyc), or ``ask("path(X, Y)")``
(pyDatalog, which returns the answers); both results are checked to be the same set.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from benchmarks.engines import pydatalog_reset
from benchmarks.timing import Timing, check, measure, measure_chunks
from policyc import parse_program

POLICYC_TC = "path(X, Y) :- edge(X, Y).\npath(X, Y) :- path(X, Z), edge(Z, Y).\n"
PYDATALOG_TC = "path(X, Y) <= edge(X, Y)\npath(X, Y) <= path(X, Z) & edge(Z, Y)\n"

Edge = tuple[str, str]


def chain(n: int) -> list[Edge]:
    return [(f"n{i}", f"n{i + 1}") for i in range(n - 1)]


def random_graph(nodes: int, edges: int, seed: int = 7) -> list[Edge]:
    rng = random.Random(seed)
    out: dict[Edge, None] = {}
    while len(out) < edges:
        a, b = rng.randrange(nodes), rng.randrange(nodes)
        if a != b:
            out[(f"v{a}", f"v{b}")] = None
    return list(out)


def reference_closure(edges: list[Edge]) -> set[Edge]:
    """Reachability by breadth-first search from every node: the answer both engines must give."""
    succ: dict[str, list[str]] = {}
    for a, b in edges:
        succ.setdefault(a, []).append(b)
    out: set[Edge] = set()
    for start in succ:
        seen: set[str] = set()
        frontier = [start]
        while frontier:
            nxt = []
            for x in frontier:
                for y in succ.get(x, ()):
                    if y not in seen:
                        seen.add(y)
                        nxt.append(y)
            frontier = nxt
        out.update((start, y) for y in seen)
    return out


@dataclass
class ClosureResult:
    name: str
    nodes: int
    edges: int
    paths: int
    policyc_off: Timing
    policyc_on: Timing
    pydatalog: Timing | None


def run_closure(
    name: str, edges: list[Edge], repeat: int, with_pydatalog: bool = True
) -> ClosureResult:
    expected = reference_closure(edges)
    program = parse_program(POLICYC_TC)
    facts = {"edge": edges}
    results: dict[bool, set[tuple[str | int | float | bool, ...]]] = {}

    def policyc_run(proofs: bool, keep: bool = False) -> None:
        rows = program.evaluate(facts, proofs=proofs).query("path")
        if keep:  # only outside timed runs: a kept result would burden the next runs' GC
            results[proofs] = rows

    policyc_run(False, keep=True)  # warm-up (generates the plan functions) and verification
    policyc_run(True, keep=True)
    # the two modes alternate run by run, so that both see the same machine load
    timed = measure_chunks(
        {"off": lambda _: policyc_run(False), "on": lambda _: policyc_run(True)},
        [None],
        chunk=1,
        repeat=repeat,
    )
    off, on = timed["off"], timed["on"]
    for proofs, got in results.items():
        check(got == expected, f"policyc (proofs={proofs}) closure of {name} is wrong")

    pyd: Timing | None = None
    if with_pydatalog:
        from pyDatalog import pyDatalog

        pydatalog_reset(PYDATALOG_TC)
        for a, b in edges:
            pyDatalog.assert_fact("edge", a, b)
        answers: list[set[tuple[object, ...]]] = []

        def pyd_run() -> None:
            ans = pyDatalog.ask("path(X, Y)")
            answers.append(set(ans.answers) if ans is not None else set())

        # pyDatalog keeps no state between queries to warm up, and one run takes seconds.
        pyd = measure(pyd_run, repeat=1, warmup=0)
        check(answers[-1] == expected, f"pyDatalog closure of {name} is wrong")
        pydatalog_reset()
    nodes = len({x for e in edges for x in e})
    return ClosureResult(name, nodes, len(edges), len(expected), off, on, pyd)
