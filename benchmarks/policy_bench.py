"""The policy-shaped workload: ~200 outcome rules, 10,000 small decisions, three engines.

- policyc: ``program.evaluate(facts)`` per decision, proofs off and on, over every decision
  (the modes interleaved chunk by chunk); and once more adding the read-out of every outcome
  predicate that holds facts (``model.derived_with_prefix``, then ``model.query``), which is
  what a caller pays to learn what fired.
- pyDatalog: per decision, the previous decision's input facts are retracted, the new ones
  asserted, and one query ``outcome(R, X)`` answers every outcome rule (each rule derives
  ``outcome('<name>', X)``; 200 queries of 200 separate predicates measured ~30% slower). Facts
  go in through pyDatalog's engine (``pyEngine.assert_`` / ``retract``), its fastest path; the
  documented ``assert_fact`` / ``retract_fact`` + ``pyDatalog.ask`` path is timed too. Glob checks
  call policyc's own matcher through a pyDatalog Python resolver, so both engines match the same
  way (no glob facts are precomputed for pyDatalog).
- cedarpy: one ``forbid`` policy per rule (``like`` patterns), one request per resource of the
  action, all requests of a decision in one ``is_authorized_batch`` call, policies and entities
  parsed once into reusable handles.

pyDatalog and cedarpy are slow, so they run on an evenly spread sample of the decisions, timed
interleaved chunk by chunk with policyc on the very same decisions: the ratios compare like with
like under the same machine load. On every sampled decision the fired outcomes — pairs
``(rule name, resource)`` — must be the same in all engines; any difference is reported and makes
the run fail.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from benchmarks.engines import PyDatalogFacts, PyDatalogQuery, pydatalog_reset
from benchmarks.policy_workload import (
    CEDAR_PERMIT_ID,
    OUTCOME_HELPERS,
    Decision,
    RuleSpec,
    cedar_entities,
    cedar_policies,
    cedar_requests,
    datalog_program,
    generate_decisions,
    generate_rules,
    pydatalog_program,
)
from benchmarks.timing import Timing, measure_chunks
from policyc import Model, Program, parse_program

PyValue = str | int | float | bool
Fired = frozenset[tuple[str, PyValue]]


@dataclass
class PolicyResult:
    rules: int
    helper_rules: int
    decisions: int
    mean_facts: float
    mean_fired: float
    share_quiet: float  # decisions where no outcome fires
    setup: dict[str, float] = field(default_factory=dict)
    policyc_off: Timing | None = None
    policyc_on: Timing | None = None
    policyc_off_read: Timing | None = None
    # Same sampled decisions, every runner interleaved chunk by chunk with policyc's: keys
    # "pyDatalog", "pyDatalog public", "cedarpy", and "policyc off" / "on" / "read".
    pyd_sample: int = 0
    pyd: dict[str, Timing] = field(default_factory=dict)
    cedar_sample: int = 0
    cedar_requests: float = 0.0
    cedar: dict[str, Timing] = field(default_factory=dict)
    mismatches: list[str] = field(default_factory=list)


def spread_sample(decisions: list[Decision], k: int) -> list[Decision]:
    """``k`` decisions evenly spread over the list (deterministic)."""
    if k >= len(decisions):
        return list(decisions)
    step = len(decisions) / k
    return [decisions[int(i * step)] for i in range(k)]


def policyc_fired(model: Model, names: list[str]) -> Fired:
    wanted = set(names)
    return frozenset(
        (n, row[0]) for n in model.derived_with_prefix("") if n in wanted for row in model.query(n)
    )


def _compare(
    engine: str,
    sample: list[Decision],
    expected: list[Fired],
    got: list[Fired],
    out: list[str],
    limit: int = 3,
) -> None:
    bad = [(d, e, g) for d, e, g in zip(sample, expected, got, strict=True) if e != g]
    if not bad:
        return
    out.append(f"{engine}: {len(bad)} of {len(sample)} sampled decisions differ from policyc")
    for d, e, g in bad[:limit]:
        out.append(
            f"  facts={json.dumps(d.facts, sort_keys=True)}\n"
            f"    only policyc: {sorted(e - g)}\n    only {engine}: {sorted(g - e)}"
        )


def run_policy(
    n_rules: int = 200,
    n_decisions: int = 10_000,
    pyd_sample: int = 400,
    cedar_sample: int = 1_000,
    repeat: int = 3,
    log: Callable[[str], None] = print,
) -> PolicyResult:
    rules: list[RuleSpec] = generate_rules(n_rules)
    names = [r.name for r in rules]
    decisions = generate_decisions(n_decisions)

    t0 = time.perf_counter()
    program: Program = parse_program(datalog_program(rules), "<policy workload>")
    t_parse = time.perf_counter() - t0
    t0 = time.perf_counter()
    program.evaluate(decisions[0].facts)  # plan functions are generated on first use
    t_first = time.perf_counter() - t0

    # -- policyc over every decision -------------------------------------------------------
    log(f"  policyc: {n_decisions} decisions x {repeat} runs per mode")
    fired_all = [policyc_fired(program.evaluate(d.facts), names) for d in decisions]
    result = PolicyResult(
        rules=n_rules,
        helper_rules=len(OUTCOME_HELPERS),
        decisions=n_decisions,
        mean_facts=statistics.mean(d.fact_count() for d in decisions),
        mean_fired=statistics.mean(len(f) for f in fired_all),
        share_quiet=sum(1 for f in fired_all if not f) / len(fired_all),
    )
    result.setup["policyc: parse + analyse"] = t_parse
    result.setup["policyc: first evaluate (generates code)"] = t_first
    warm = decisions[:500]
    for proofs in (False, True):
        for d in warm:
            program.evaluate(d.facts, proofs=proofs)

    def policyc_runner(proofs: bool, read: bool) -> Callable[[Sequence[Decision]], None]:
        def run(part: Sequence[Decision]) -> None:
            ev = program.evaluate
            if read:
                wanted = set(names)
                for d in part:
                    model = ev(d.facts, proofs=proofs)
                    # the predicates that hold facts, not all 200 (Model.derived_with_prefix)
                    for n in model.derived_with_prefix(""):
                        if n in wanted:
                            model.query(n)
            else:
                for d in part:
                    ev(d.facts, proofs=proofs)

        return run

    timed = measure_chunks(
        {
            "off": policyc_runner(False, False),
            "on": policyc_runner(True, False),
            "read": policyc_runner(False, True),
        },
        decisions,
        chunk=1_000,
        repeat=repeat,
    )
    result.policyc_off, result.policyc_on, result.policyc_off_read = (
        timed["off"],
        timed["on"],
        timed["read"],
    )

    # proofs on derives the same outcomes, and every fired outcome has a proof
    for i, d in enumerate(spread_sample(decisions, 200)):
        model = program.evaluate(d.facts, proofs=True)
        fired = policyc_fired(model, names)
        if fired != policyc_fired(program.evaluate(d.facts), names):
            result.mismatches.append(f"policyc proofs on/off differ on {d.facts}")
        for name, value in sorted(fired, key=str)[:2] if i % 10 == 0 else ():
            proof = model.explain(name, (value,))
            if proof.predicate != name:
                result.mismatches.append(f"proof of {name}({value!r}) has root {proof.predicate}")

    # -- pyDatalog on a sample -------------------------------------------------------------
    sample = spread_sample(decisions, pyd_sample)
    expected = [policyc_fired(program.evaluate(d.facts), names) for d in sample]
    result.pyd_sample = len(sample)
    log(
        f"  pyDatalog: {len(sample)} sampled decisions x {repeat} runs per API, interleaved "
        "with policyc on the same decisions"
    )
    t0 = time.perf_counter()
    pydatalog_reset(pydatalog_program(rules, single_head=True))
    result.setup["pyDatalog: load program"] = time.perf_counter() - t0

    def pyd_runner(engine: bool, sink: list[Fired] | None) -> Callable[[Sequence[Decision]], None]:
        store = PyDatalogFacts(engine=engine)
        query = PyDatalogQuery("outcome", 2, engine=engine)

        def run(part: Sequence[Decision]) -> None:
            for d in part:
                store.replace(d.facts)
                answers = query.ask()
                if sink is not None:
                    sink.append(frozenset((str(a[0]), a[1]) for a in answers))
            store.clear()

        return run

    got: list[Fired] = []
    pyd_runner(True, got)(sample)  # verification, and warm-up
    _compare("pyDatalog", sample, expected, got, result.mismatches)
    got = []
    pyd_runner(False, got)(sample)
    _compare("pyDatalog (public API)", sample, expected, got, result.mismatches)
    result.pyd = measure_chunks(
        {
            "pyDatalog": pyd_runner(True, None),
            "pyDatalog public": pyd_runner(False, None),
            "policyc off": policyc_runner(False, False),
            "policyc on": policyc_runner(True, False),
            "policyc read": policyc_runner(False, True),
        },
        sample,
        chunk=50,
        repeat=repeat,
    )
    pydatalog_reset()

    # -- cedarpy on a sample ---------------------------------------------------------------
    import cedarpy

    sample = spread_sample(decisions, cedar_sample)
    expected = [policyc_fired(program.evaluate(d.facts), names) for d in sample]
    result.cedar_sample = len(sample)
    t0 = time.perf_counter()
    policy_set = cedarpy.PolicySet.from_str(cedar_policies(rules))
    entities = cedarpy.Entities.from_json_str(json.dumps(cedar_entities()))
    result.setup["cedarpy: parse policies + entities"] = time.perf_counter() - t0
    batches = [cedar_requests(d) for d in sample]
    requests = [[req for _, req in b] for b in batches]
    result.cedar_requests = statistics.mean(len(r) for r in requests)
    log(
        f"  cedarpy: {len(sample)} sampled decisions x {repeat} runs, interleaved with policyc "
        "on the same decisions"
    )

    got = []
    errors: list[str] = []
    for batch, reqs in zip(batches, requests, strict=True):
        answers: list[Any] = cedarpy.is_authorized_batch(reqs, policy_set, entities)
        cedar_fired: set[tuple[str, PyValue]] = set()
        for (value, _), ans in zip(batch, answers, strict=True):
            errors += ans.diagnostics.errors
            names_by_id = ans.diagnostics.id_annotations_by_reason
            for pid in ans.diagnostics.reasons:
                name = names_by_id.get(pid, pid)
                if name != CEDAR_PERMIT_ID:
                    cedar_fired.add((name, value))
        got.append(frozenset(cedar_fired))
    if errors:
        result.mismatches.append(f"cedarpy reported evaluation errors: {errors[:3]}")
    _compare("cedarpy", sample, expected, got, result.mismatches)

    by_decision = {id(d): reqs for d, reqs in zip(sample, requests, strict=True)}

    def cedar_run(part: Sequence[Decision]) -> None:
        authorize = cedarpy.is_authorized_batch
        for d in part:
            authorize(by_decision[id(d)], policy_set, entities)

    result.cedar = measure_chunks(
        {
            "cedarpy": cedar_run,
            "policyc off": policyc_runner(False, False),
            "policyc read": policyc_runner(False, True),
        },
        sample,
        chunk=100,
        repeat=repeat,
    )
    return result
