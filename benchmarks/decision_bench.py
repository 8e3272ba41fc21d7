"""The decision benchmark: the standard library deciding a realistic mix of coding-agent actions.

Every action of ``benchmarks/data/agent_actions.jsonl`` (written by ``benchmarks.make_actions``)
is decided by ``policyc.load()`` — the standard library, proofs on, no compile cache — and timed
one decision at a time (``time.perf_counter_ns``). Side by side, on the same actions:

- **pyDatalog** runs the same compiled program (``engine.policy_set.program``: the engine IR after
  the demand transformation, translated by :class:`benchmarks.engines.PyDatalogProgram`) on the
  same input facts, and must derive exactly the outcomes policyc derives, on every action;
- **cedarpy** decides a Cedar translation of the path, command and upload rules
  (:mod:`benchmarks.decision_cedar`) from the same facts, and must fire exactly the translated
  rules policyc fires, on every action;
- **scaling**: the standard library plus 1,000 and 10,000 generated rules for tools and hosts the
  mix never uses (:func:`extra_rules`), which must not change any decision.

What is timed per action, for each engine:

- *from facts*: the action is already normalized (``policyc.normalize.normalize_action``, common to
  every engine). policyc: ``engine.decide_normalized`` — keeping the facts the policies read,
  ``program.evaluate`` (proofs on), the verdict and the ``Decision`` record; pyDatalog is given
  just the facts the policies read (``engine.input_facts``), replacing the previous action's facts
  and asking one query for every outcome; cedarpy builds its requests from the facts (the
  translation reads path facts the policies do not) and calls ``is_authorized_batch`` (also shown
  without the request building).
- *end to end*: from the action as a JSON object — validation and normalization included
  (``engine.decide`` for policyc).

Timing: every engine runs every action once untimed (warm-up, and the correctness checks), then
the actions are timed ``repeat`` times over, the engines interleaved action by action (their order
rotating), so that a burst of load on the shared machine lands on all of them. An action's latency
is its fastest run; p50 and p99 are over actions (nearest rank). The CPU time of the process is
recorded alongside (``time.process_time_ns``, outside the wall-clock reading).
"""

from __future__ import annotations

import gc
import json
import math
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.decision_cedar import cedar_requests, forbidding_rules, translate
from benchmarks.engines import PyDatalogFacts, PyDatalogProgram, PyDatalogQuery
from benchmarks.make_actions import DATA, load

FINGERPRINT_KEY = b"policyc decision benchmark key.."  # fixed, so that decisions compare equal
Fired = frozenset[tuple[str, tuple[object, ...]]]


@dataclass(frozen=True)
class Latency:
    """Per-action latencies in nanoseconds (each the fastest of the repeats), wall and CPU."""

    wall: tuple[int, ...]
    cpu: tuple[int, ...]

    @staticmethod
    def _rank(values: Sequence[int], q: float) -> float:
        ordered = sorted(values)
        return ordered[max(0, math.ceil(q * len(ordered)) - 1)] / 1e3

    @property
    def p50(self) -> float:
        return self._rank(self.wall, 0.50)

    @property
    def p99(self) -> float:
        return self._rank(self.wall, 0.99)

    @property
    def mean(self) -> float:
        return statistics.mean(self.wall) / 1e3

    @property
    def cpu_p50(self) -> float:
        return self._rank(self.cpu, 0.50)

    @property
    def cpu_p99(self) -> float:
        return self._rank(self.cpu, 0.99)

    def subset(self, positions: Sequence[int]) -> Latency:
        """The latencies of some of the items (by position)."""
        return Latency(
            tuple(self.wall[j] for j in positions), tuple(self.cpu[j] for j in positions)
        )


def time_per_action(
    runners: dict[str, Callable[[int], object]],
    items: Sequence[int],
    repeat: int,
    chunk: int = 20,
) -> dict[str, Latency]:
    """Time every runner on every item, one call at a time, ``repeat`` times over.

    The items are cut into chunks of ``chunk``; each runner decides a whole chunk before the next
    runner takes it (in an order that rotates), so that a runner works with its own data in the
    processor's caches, as a process deciding a stream of actions does, while every runner still
    sees the same machine load within seconds. An item's latency is its fastest run.
    """
    labels = list(runners)
    wall = {k: [math.inf] * len(items) for k in labels}
    cpu = {k: [math.inf] * len(items) for k in labels}
    clock, cpu_clock = time.perf_counter_ns, time.process_time_ns
    starts = range(0, len(items), chunk)
    gc.collect()
    gc.freeze()  # the collector stays on, but no longer walks the benchmark's own data
    try:
        for r in range(repeat):
            for c, start in enumerate(starts):
                for k in range(len(labels)):
                    label = labels[(c + r + k) % len(labels)]
                    run, w, u = runners[label], wall[label], cpu[label]
                    for j in range(start, min(start + chunk, len(items))):
                        item = items[j]
                        c0 = cpu_clock()
                        t0 = clock()
                        run(item)
                        t1 = clock()
                        c1 = cpu_clock()
                        w[j] = min(w[j], t1 - t0)
                        u[j] = min(u[j], c1 - c0)
    finally:
        gc.unfreeze()
    return {k: Latency(tuple(map(int, wall[k])), tuple(map(int, cpu[k]))) for k in labels}


@dataclass
class ScalingRow:
    extra_rules: int
    program_rules: int
    load_seconds: float
    decision: Latency
    end_to_end: Latency
    targeted: Latency  # decision, on the actions of the types the extra rules name


# The action types the generated extra rules name (their tools and hosts never occur).
EXTRA_RULE_TYPES = ("tool.call", "http.request")


@dataclass
class DecisionResult:
    actions: int
    action_types: Counter[str]
    effects: Counter[str]
    rules_fired: Counter[str]
    quiet: int  # actions on which no rule fired
    program_rules: int
    setup: dict[str, float] = field(default_factory=dict)
    policyc: dict[str, Latency] = field(default_factory=dict)
    pyd_actions: int = 0
    pyd: dict[str, Latency] = field(default_factory=dict)
    cedar_actions: int = 0
    cedar_rules: list[str] = field(default_factory=list)
    cedar_skipped: dict[str, str] = field(default_factory=dict)
    cedar_requests: float = 0.0
    cedar_denies: int = 0  # actions some translated rule forbids
    cedar_agree: int = 0  # actions on which the allow/deny of the translated rules agree
    cedar: dict[str, Latency] = field(default_factory=dict)
    scaling: list[ScalingRow] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)


def spread(n: int, k: int) -> list[int]:
    """``k`` indices evenly spread over ``range(n)``."""
    if k >= n:
        return list(range(n))
    return [int(i * n / k) for i in range(k)]


def extra_rules(count: int) -> str:
    """A module of ``count`` outcome rules for MCP tools and hosts the workload never uses.

    Three shapes, in turn: a tool by name, a tool by name and a boolean argument, and a host an
    ``http.request`` contacts. The workload has tool calls and HTTP requests, so these rules
    share the action types of real actions; only their tool names and hosts never occur.
    """
    lines = ["# generated by benchmarks/decision_bench.py", "module bench.extra", ""]
    effects = ("deny", "require_approval", "alert")
    for i in range(count):
        effect = effects[i % 3]
        shape = i % 4
        if shape in (0, 1):
            cond = f'action_type = "tool.call", tool.name = "mcp__svc{i}__op{i % 7}"'
        elif shape == 2:
            cond = f'action_type = "tool.call", tool.name = "mcp__svc{i}__admin", tool.input.force = true'
        else:
            cond = f'action_type = "http.request", contacts_host("api{i}.partner{i % 13}.example")'
        approver = '\n  approver "platform"' if effect == "require_approval" else ""
        lines.append(f'{effect} gen.r{i}\n  when {cond}\n  reason "generated rule {i}"{approver}\n')
    return "\n".join(lines)


def _comparable(decision: Any, policy_set: bool = True) -> dict[str, Any]:
    """A decision without what differs between two runs (its id and timestamp), and without the
    hash of the policy set unless ``policy_set``."""
    exclude = (
        {"decision_id", "timestamp"} if policy_set else {"decision_id", "timestamp", "policy_set"}
    )
    data: dict[str, Any] = decision.model_dump(exclude=exclude)
    return data


def _fired(model: Any) -> Fired:
    return frozenset(
        (p, tuple(r)) for p in model.derived_with_prefix("outcome.") for r in model.rows(p)
    )


def run_pydatalog(
    result: DecisionResult,
    program: Any,
    actions: list[dict[str, Any]],
    normalized: list[Any],
    fired: list[Fired],
    policyc_runners: dict[str, Callable[[int], object]],
    pyd_sample: int | None,
    pyd_repeat: int,
    log: Callable[[str], None],
) -> None:
    """The pyDatalog part of :func:`run_decision`: check every action's outcomes, then time."""
    from policyc.action.model import parse_action
    from policyc.normalize import normalize_action

    n = len(actions)
    t0 = time.perf_counter()
    translation = PyDatalogProgram(program)
    translation.load()
    result.setup["pyDatalog: translate and load the program"] = time.perf_counter() - t0
    pyd_facts = [translation.input_facts(x.facts) for x in normalized]
    store = PyDatalogFacts(engine=True)
    query = PyDatalogQuery(translation.OUTCOME, translation.width + 1)

    def pyd_from_facts(i: int) -> Any:
        store.replace(pyd_facts[i])
        return query.ask()

    def pyd_end_to_end(i: int) -> object:
        facts = normalize_action(parse_action(actions[i]), FINGERPRINT_KEY).facts
        store.replace(translation.input_facts(facts))
        return query.ask()

    pyd_items = spread(n, pyd_sample) if pyd_sample else list(range(n))
    result.pyd_actions = len(pyd_items)
    bad = 0
    for i in pyd_items:  # warm-up and check: the same outcomes, row for row
        got = translation.fired(pyd_from_facts(i))
        if got != fired[i]:
            bad += 1
            if bad <= 3:
                result.mismatches.append(
                    f"pyDatalog on {actions[i]['action_id']}: only policyc "
                    f"{sorted(fired[i] - got, key=repr)}, only pyDatalog {sorted(got - fired[i], key=repr)}"
                )
    if bad:
        result.mismatches.append(
            f"pyDatalog: {bad} of {len(pyd_items)} actions differ from policyc"
        )
    log(f"  pyDatalog: {len(pyd_items):,} actions x {pyd_repeat} runs, interleaved with policyc")
    result.pyd = time_per_action(
        {
            "pyDatalog": pyd_from_facts,
            "pyDatalog end to end": pyd_end_to_end,
            **{f"policyc {k}": run for k, run in policyc_runners.items()},
        },
        pyd_items,
        pyd_repeat,
    )
    store.clear()


def run_decision(
    sample: int | None = None,
    pyd_sample: int | None = None,
    extra: tuple[int, ...] = (1_000, 10_000),
    repeat: int = 5,
    pyd_repeat: int = 3,
    data: Path = DATA,
    log: Callable[[str], None] = print,
) -> DecisionResult:
    import cedarpy

    import policyc
    from policyc.action.model import parse_action
    from policyc.decision import stdlib_path
    from policyc.normalize import Normalized, normalize_action

    actions = load(data)
    if sample is not None:
        actions = [actions[i] for i in spread(len(actions), sample)]
    n = len(actions)

    t0 = time.perf_counter()
    engine = policyc.load(cache=False, fingerprint_key=FINGERPRINT_KEY, proofs=True)
    load_time = time.perf_counter() - t0
    ps = engine.policy_set
    program = ps.program

    parsed = [parse_action(a) for a in actions]
    normalized = [normalize_action(p, FINGERPRINT_KEY) for p in parsed]
    # what the policies read of each action: the facts every engine is given "from facts"
    inputs = [Normalized(engine.input_facts(x), x.findings) for x in normalized]

    def policyc_runners(eng: Any) -> tuple[Callable[[int], object], Callable[[int], object]]:
        """(from facts, end to end) for an engine: the steps of ``PolicyEngine.decide`` after
        normalization, and ``decide`` itself."""

        def from_facts(i: int) -> object:
            return eng.decide_normalized(parsed[i], normalized[i])

        def end_to_end(i: int) -> object:
            return eng.decide(actions[i])

        return from_facts, end_to_end

    decision, decide = policyc_runners(engine)

    def evaluate(i: int) -> object:
        return program.evaluate(inputs[i].facts, proofs=True)

    def evaluate_no_proofs(i: int) -> object:
        return program.evaluate(inputs[i].facts, proofs=False)

    def normalize(i: int) -> object:
        return normalize_action(parsed[i], FINGERPRINT_KEY)

    # -- policyc: warm-up and checks ---------------------------------------------------------
    t0 = time.perf_counter()
    decisions = [engine.decide(a) for a in actions]
    first_pass = time.perf_counter() - t0
    fired = [_fired(program.evaluate(x.facts, proofs=True)) for x in inputs]
    result = DecisionResult(
        actions=n,
        action_types=Counter(a["action_type"] for a in actions),
        effects=Counter(d.decision for d in decisions),
        rules_fired=Counter(o.policy_id for d in decisions for o in d.outcomes),
        quiet=sum(1 for f in fired if not f),
        program_rules=len(program.rules),
    )
    result.setup["policyc: load the standard library (no cache)"] = load_time
    result.setup["policyc: first pass over the actions (generates code)"] = first_pass
    for i, d in enumerate(decisions):
        if d.error is not None:
            result.mismatches.append(f"{actions[i]['action_id']}: decide failed: {d.error}")
        if any(o.proof is None for o in d.outcomes):
            result.mismatches.append(f"{actions[i]['action_id']}: an outcome without a proof")
        if _comparable(decision(i)) != _comparable(d):
            result.mismatches.append(
                f"{actions[i]['action_id']}: decide and the steps after normalization differ"
            )

    log(f"  policyc: {n:,} actions x {repeat} runs per mode, interleaved")
    result.policyc = time_per_action(
        {
            "evaluate, proofs off": evaluate_no_proofs,
            "evaluate": evaluate,
            "decision": decision,
            "decide": decide,
            "normalize": normalize,
        },
        range(n),
        repeat,
    )

    # -- pyDatalog -----------------------------------------------------------------------------
    try:
        mine = {"evaluate": evaluate, "decision": decision, "decide": decide}
        run_pydatalog(result, program, actions, inputs, fired, mine, pyd_sample, pyd_repeat, log)
    except NotImplementedError as e:  # the program uses what the translation does not cover
        result.mismatches.append(f"pyDatalog: the program is not translated: {e}")

    # -- cedarpy -------------------------------------------------------------------------------
    t0 = time.perf_counter()
    cedar = translate(program)
    policy_set = cedarpy.PolicySet.from_str(cedar.policies)
    entities = cedarpy.Entities.from_json_str("[]")
    result.setup["cedarpy: translate and parse the policies"] = time.perf_counter() - t0
    result.cedar_rules, result.cedar_skipped = cedar.rules, cedar.skipped
    translated = set(cedar.rules)
    requests = [cedar_requests(x.facts) for x in normalized]
    result.cedar_actions = n
    result.cedar_requests = statistics.mean(len(r) for r in requests)
    authorize = cedarpy.is_authorized_batch

    def cedar_authorize(i: int) -> Any:
        return authorize(requests[i], policy_set, entities)

    def cedar_from_facts(i: int) -> object:
        return authorize(cedar_requests(normalized[i].facts), policy_set, entities)

    def cedar_end_to_end(i: int) -> object:
        facts = normalize_action(parse_action(actions[i]), FINGERPRINT_KEY).facts
        return authorize(cedar_requests(facts), policy_set, entities)

    bad = 0
    for i in range(n):
        want = frozenset(ps.by_predicate[p].id for p, _ in fired[i] if p in ps.by_predicate)
        want &= translated
        got, errors = forbidding_rules(cedar_authorize(i))
        if errors:
            result.mismatches.append(f"cedarpy on {actions[i]['action_id']}: errors {errors[:2]}")
        result.cedar_denies += bool(want)
        result.cedar_agree += bool(want) == bool(got)
        if got != want:
            bad += 1
            if bad <= 3:
                result.mismatches.append(
                    f"cedarpy on {actions[i]['action_id']}: policyc fires {sorted(want)}, "
                    f"Cedar forbids by {sorted(got)}; requests {json.dumps(requests[i])[:400]}"
                )
    if bad:
        result.mismatches.append(f"cedarpy: {bad} of {n} actions differ from policyc")
    log(f"  cedarpy: {n:,} actions x {repeat} runs, interleaved with policyc")
    result.cedar = time_per_action(
        {
            "cedarpy is_authorized": cedar_authorize,
            "cedarpy from facts": cedar_from_facts,
            "cedarpy end to end": cedar_end_to_end,
            "policyc evaluate": evaluate,
            "policyc decision": decision,
            "policyc decide": decide,
        },
        range(n),
        repeat,
    )

    # -- scaling: extra rules that cannot apply ----------------------------------------------
    runners: dict[str, Callable[[int], object]] = {}
    shapes: list[tuple[int, int, float]] = []
    baseline = [_comparable(d, policy_set=False) for d in decisions]
    with tempfile.TemporaryDirectory(prefix="policyc-bench-") as tmp:
        for count in (0, *extra):
            eng, seconds = engine, load_time
            if count:
                folder = Path(tmp) / f"extra{count}"
                folder.mkdir()
                (folder / "extra.policy").write_text(extra_rules(count), encoding="utf-8")
                log(f"  scaling: loading the standard library + {count:,} extra rules")
                t0 = time.perf_counter()
                eng = policyc.load(
                    [stdlib_path(), folder],
                    cache=False,
                    fingerprint_key=FINGERPRINT_KEY,
                    proofs=True,
                )
                seconds = time.perf_counter() - t0
            from_facts, end_to_end = policyc_runners(eng)
            if count:  # warm-up, and the extra rules must change nothing
                changed = [
                    i
                    for i in range(n)
                    if _comparable(end_to_end(i), policy_set=False) != baseline[i]
                ]
                if changed:
                    result.mismatches.append(
                        f"{count:,} extra rules changed {len(changed)} decisions, e.g. "
                        f"{actions[changed[0]]['action_id']}"
                    )
            runners[f"{count}/decision"] = from_facts
            runners[f"{count}/decide"] = end_to_end
            shapes.append((count, len(eng.policy_set.program.rules), seconds))
        log(f"  scaling: {n:,} actions x {repeat} runs per policy set, interleaved")
        timed = time_per_action(runners, range(n), repeat)
    targeted = [i for i in range(n) if actions[i]["action_type"] in EXTRA_RULE_TYPES]
    result.scaling = [
        ScalingRow(
            count,
            rules,
            seconds,
            timed[f"{count}/decision"],
            timed[f"{count}/decide"],
            timed[f"{count}/decision"].subset(targeted),
        )
        for count, rules, seconds in shapes
    ]
    return result
