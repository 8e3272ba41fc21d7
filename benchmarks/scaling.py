"""Rule scaling: per-decision time as rules that cannot apply to the decision are added.

Every program holds the workload's live file-read rules (those of the policy workload that name
``file.read``) plus N dead rules of the same shape::

    deny_dead_17(P) :- action_type("never.17"), reads_file(P), @glob(P, "**/dead17/*.pem").

No decision has such an action type, so the rule index never runs them and the per-decision time
should not grow with N. For contrast, the *unindexed* series adds N rules without a constant to be
filed under, which every decision must run (``deny_open_17(P) :- reads_file(P), @glob(...)``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from benchmarks.policy_bench import Fired
from benchmarks.policy_workload import Decision, datalog_rule, generate_decisions, generate_rules
from benchmarks.timing import Timing, check, measure_chunks
from policyc import Program, parse_program


@dataclass
class ScalingRow:
    series: str
    dead_rules: int
    total_rules: int
    off: Timing
    on: Timing


def dead_rule(i: int, indexed: bool) -> str:
    if indexed:
        return (
            f'deny_dead_{i}(P) :- action_type("never.{i % 97}"), reads_file(P), '
            f'@glob(P, "**/dead{i}/*.pem").'
        )
    return f'deny_open_{i}(P) :- reads_file(P), @glob(P, "**/dead{i}/*.pem").'


def _runner(program: Program, proofs: bool) -> Callable[[Sequence[Decision]], None]:
    def run(part: Sequence[Decision]) -> None:
        ev = program.evaluate
        for d in part:
            ev(d.facts, proofs=proofs)

    return run


def run_scaling(
    sizes: tuple[int, ...] = (20, 200, 2_000),
    n_decisions: int = 100,
    repeat: int = 3,
    unindexed: bool = True,
) -> list[ScalingRow]:
    """Every program and mode is timed interleaved, chunk by chunk (see ``measure_chunks``)."""
    live = [r for r in generate_rules(200) if r.action == "file.read"]
    decisions = [d for d in generate_decisions(4 * n_decisions) if d.action == "file.read"]
    decisions = decisions[:n_decisions]
    series = [("indexed (cannot apply)", True)]
    if unindexed:
        series.append(("unindexed (must run)", False))
    live_names = [r.name for r in live]
    baseline: list[Fired] | None = None
    runners: dict[str, Callable[[Sequence[Decision]], None]] = {}
    shapes: list[tuple[str, int, str]] = []
    for label, indexed in series:
        for n in sizes:
            rules = [datalog_rule(r) for r in live] + [dead_rule(i, indexed) for i in range(n)]
            program = parse_program("\n".join(rules))
            models = [program.evaluate(d.facts) for d in decisions]
            fired = [
                frozenset((name, row[0]) for name in live_names for row in m.query(name))
                for m in models
            ]
            if baseline is None:
                baseline = fired
            check(fired == baseline, f"adding {n} dead rules changed the outcomes")
            key = f"{label}/{n}"
            for proofs in (False, True):
                run = _runner(program, proofs)
                run(decisions[:20])  # generates the plan functions
                runners[f"{key}/{proofs}"] = run
            shapes.append((label, n, key))
    timed = measure_chunks(runners, decisions, chunk=25, repeat=repeat)
    return [
        ScalingRow(label, n, len(live) + n, timed[f"{key}/False"], timed[f"{key}/True"])
        for label, n, key in shapes
    ]
