"""Run every benchmark in one process and print the tables: ``python -m benchmarks``.

Options: ``--quick`` (smaller sizes, for a smoke run),
``--only closure|policy|scaling|lang|decision|runtime`` (repeatable).
Nothing here asserts on time; the run fails (exit status 1) only when engines disagree on results.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import time
from importlib.metadata import PackageNotFoundError, version

from benchmarks.closure import ClosureResult, chain, random_graph, run_closure
from benchmarks.decision_bench import EXTRA_RULE_TYPES, DecisionResult, Latency, run_decision
from benchmarks.decision_cedar import NOT_TRANSLATED
from benchmarks.hook_bench import section as hook_section
from benchmarks.http_bench import section as http_section
from benchmarks.lang_bench import run_cold_start, run_inprocess
from benchmarks.policy_bench import PolicyResult, run_policy
from benchmarks.runtime_bench import RuntimeResult, run_runtime
from benchmarks.scaling import ScalingRow, run_scaling
from benchmarks.timing import ResultMismatch, Timing, fmt_ratio, fmt_time, table

TARGET_VS_PYDATALOG = 30.0  # policyc at least this many times faster per decision
TARGET_PROOFS_OVERHEAD = 1.3  # proofs on at most this many times proofs off
TARGET_VS_CEDAR = 0.5  # policyc's p50 per decision at most this fraction of cedarpy's
TARGET_EXTRA_RULES = 1.5  # p50 growth with 10,000 extra rules that cannot apply


def _version(dist: str) -> str:
    try:
        return version(dist)
    except PackageNotFoundError:
        return "not installed"


def _us(t: Timing | None, best: bool = True) -> str:
    if t is None:
        return "-"
    return f"{(t.best if best else t.median) * 1e6:,.1f}"


def _verdict(ok: bool) -> str:
    return "met" if ok else "NOT MET"


def closure_section(quick: bool) -> list[ClosureResult]:
    n_chain = 300 if quick else 1_000
    nodes, edges = (150, 450) if quick else (300, 900)
    repeat = 2 if quick else 5
    out = []
    for name, es in (
        (f"chain {n_chain}", chain(n_chain)),
        (f"random {nodes}/{edges}", random_graph(nodes, edges)),
    ):
        print(f"  {name}: policyc x {repeat} runs per mode, pyDatalog x 1 run", flush=True)
        out.append(run_closure(name, es, repeat))
    rows = []
    for r in out:
        pyd = r.pydatalog.best if r.pydatalog else float("nan")
        rows.append(
            [
                r.name,
                str(r.nodes),
                str(r.edges),
                f"{r.paths:,}",
                fmt_time(r.policyc_off.best),
                fmt_time(r.policyc_on.best),
                fmt_time(pyd),
                fmt_ratio(pyd / r.policyc_off.best),
                fmt_ratio(pyd / r.policyc_on.best),
                fmt_ratio(r.policyc_on.best / r.policyc_off.best),
            ]
        )
    print()
    print(
        table(
            "Transitive closure (best of runs; pyDatalog one run; results checked equal to a BFS)",
            [
                "graph",
                "nodes",
                "edges",
                "path facts",
                "policyc off",
                "policyc on",
                "pyDatalog",
                "pyD/off",
                "pyD/on",
                "on/off",
            ],
            rows,
        )
    )
    return out


def _ratios(a: Timing | None, b: Timing | None) -> str:
    """``a / b`` on wall-clock and on CPU time."""
    if a is None or b is None:
        return "-"
    return f"{fmt_ratio(a.best / b.best)} / {fmt_ratio(a.cpu_best / b.cpu_best)}"


def policy_section(quick: bool) -> PolicyResult:
    kw = (
        {"n_decisions": 2_000, "pyd_sample": 100, "cedar_sample": 200, "repeat": 2}
        if quick
        else {"n_decisions": 10_000, "pyd_sample": 400, "cedar_sample": 1_000, "repeat": 5}
    )
    r = run_policy(**kw)  # type: ignore[arg-type]
    print()
    print(
        f"  workload: {r.rules} outcome rules + {r.helper_rules} helper rules; {r.decisions:,} "
        f"decisions, {r.mean_facts:.1f} input facts each on average; {r.mean_fired:.2f} outcomes "
        f"fire per decision on average, none on {r.share_quiet:.0%}; cedarpy: "
        f"{r.cedar_requests:.1f} requests per decision"
    )
    print()
    print(table("One-off setup", ["step", "time"], [[k, fmt_time(v)] for k, v in r.setup.items()]))
    print()
    assert r.policyc_off is not None
    base = r.policyc_off.best
    rows = []
    for label, t in (
        ("evaluate, proofs off", r.policyc_off),
        ("evaluate, proofs on", r.policyc_on),
        ("evaluate + read every outcome predicate", r.policyc_off_read),
    ):
        rows.append(
            [
                label,
                str(t.runs) if t else "-",
                _us(t),
                _us(t, best=False),
                f"{t.cpu_best * 1e6:,.1f}" if t else "-",
                fmt_ratio(t.best / base) if t else "-",
            ]
        )
    print(
        table(
            f"policyc on all {r.decisions:,} decisions (µs per decision)",
            ["mode", "runs", "best µs", "median µs", "CPU best µs", "vs proofs off"],
            rows,
        )
    )
    print()
    rows = []
    for label, n, group, key in (
        ("pyDatalog, engine API (pyEngine.assert_, 1 query)", r.pyd_sample, r.pyd, "pyDatalog"),
        ("pyDatalog, documented API (assert_fact, ask)", r.pyd_sample, r.pyd, "pyDatalog public"),
        ("cedarpy is_authorized_batch (1 request/resource)", r.cedar_sample, r.cedar, "cedarpy"),
    ):
        other, off, read = group.get(key), group.get("policyc off"), group.get("policyc read")
        rows.append(
            [
                label,
                f"{n:,}",
                _us(other),
                _us(off),
                _ratios(other, off),
                _us(read),
                _ratios(other, read),
            ]
        )
    print(
        table(
            "Against the alternatives: the same sampled decisions, timed interleaved "
            "(µs per decision, best; ratios wall / CPU time)",
            [
                "engine",
                "decisions",
                "engine µs",
                "policyc off",
                "ratio",
                "policyc off+read",
                "ratio",
            ],
            rows,
        )
    )
    return r


def scaling_section(quick: bool) -> list[ScalingRow]:
    sizes = (20, 200) if quick else (20, 200, 2_000)
    rows = run_scaling(sizes, n_decisions=50 if quick else 100, repeat=3 if quick else 5)
    first: dict[str, float] = {}
    out = []
    for r in rows:
        first.setdefault(r.series, r.off.best)
        out.append(
            [
                r.series,
                f"{r.dead_rules:,}",
                f"{r.total_rules:,}",
                _us(r.off),
                _us(r.on),
                fmt_ratio(r.off.best / first[r.series]),
            ]
        )
    print()
    print(
        table(
            "Rule scaling: file-read decisions against N rules that cannot fire (µs per decision, best)",
            ["series", "N", "rules", "proofs off", "proofs on", "off vs smallest N"],
            out,
        )
    )
    return rows


def lang_section(quick: bool) -> None:
    sizes = (100, 1_000) if quick else (1_000, 10_000)
    rows = run_inprocess(sizes, repeat=3 if quick else 5)
    out = []
    base = None
    for r in rows:
        per_rule = r.check.best / max(r.rules, 1)
        if r.name.startswith("generated"):
            base = base or per_rule
        out.append(
            [
                r.name,
                f"{r.rules:,}",
                fmt_time(r.parse.best),
                fmt_time(r.check.best),
                f"{per_rule * 1e3:.2f}",
                fmt_ratio(per_rule / base) if base and r.name.startswith("generated") else "",
            ]
        )
    print()
    print(
        table(
            "Policies: parse, and check (= parse + compile + analyse + lint), best time",
            ["policy set", "rules", "parse", "check", "ms / rule", "per rule vs smallest"],
            out,
        )
    )
    starts = run_cold_start(repeat=3 if quick else 7)
    baseline = starts[0].seconds
    print()
    print(
        table(
            "Cold start: a fresh process (best wall time)",
            ["process", "time", "vs python -c pass"],
            [[s.name, fmt_time(s.seconds), fmt_ratio(s.seconds / baseline)] for s in starts],
        )
    )


def _lat(label: str, t: Latency | None, base: Latency | None = None) -> list[str]:
    if t is None:
        return [label, "-", "-", "-", "-", "-"]
    return [
        label,
        f"{t.p50:,.1f}",
        f"{t.p99:,.1f}",
        f"{t.mean:,.1f}",
        f"{t.cpu_p50:,.1f}",
        fmt_ratio(t.p50 / base.p50) if base else "",
    ]


_LAT_HEADER = ["", "p50 µs", "p99 µs", "mean µs", "CPU p50 µs", "p50 vs policyc"]


def decision_section(quick: bool) -> DecisionResult:
    kw = (
        {"sample": 300, "extra": (100, 1_000), "repeat": 3, "pyd_repeat": 2}
        if quick
        else {"sample": None, "extra": (1_000, 10_000), "repeat": 5, "pyd_repeat": 3}
    )
    r = run_decision(**kw)
    types = ", ".join(f"{k} {v}" for k, v in r.action_types.most_common())
    effects = ", ".join(f"{k} {v}" for k, v in r.effects.most_common())
    rules = ", ".join(f"{k} {v}" for k, v in r.rules_fired.most_common(8))
    print()
    print(
        f"  workload: {r.actions:,} actions (benchmarks/data/agent_actions.jsonl): {types}\n"
        f"  decisions (standard library, {r.program_rules} compiled rules, proofs on): {effects}; "
        f"no rule fired on {r.quiet:,} ({r.quiet / r.actions:.0%})\n"
        f"  outcomes fired most: {rules}"
    )
    print()
    print(table("One-off setup", ["step", "time"], [[k, fmt_time(v)] for k, v in r.setup.items()]))
    print()
    p = r.policyc
    print(
        table(
            f"policyc on all {r.actions:,} actions, per decision (fastest of the runs per action)",
            ["step", "p50 µs", "p99 µs", "mean µs", "CPU p50 µs", "p50 vs decide"],
            [
                _lat(
                    "evaluate, proofs off (for comparison)",
                    p.get("evaluate, proofs off"),
                    p.get("decide"),
                ),
                _lat("evaluate, proofs on", p.get("evaluate"), p.get("decide")),
                _lat("evaluate + verdict + Decision record", p.get("decision"), p.get("decide")),
                _lat("normalize (common to all engines)", p.get("normalize"), p.get("decide")),
                _lat("engine.decide, end to end", p.get("decide"), p.get("decide")),
            ],
        )
    )
    print()
    y, base = r.pyd, r.pyd.get("policyc decision")
    print(
        table(
            f"pyDatalog: the same compiled program, {r.pyd_actions:,} actions, interleaved "
            "with policyc (ratios: against policyc from facts; end-to-end rows against decide)",
            _LAT_HEADER,
            [
                _lat("pyDatalog: replace facts + 1 query, from facts", y.get("pyDatalog"), base),
                _lat(
                    "pyDatalog end to end", y.get("pyDatalog end to end"), y.get("policyc decide")
                ),
                _lat("policyc evaluate", y.get("policyc evaluate"), base),
                _lat("policyc evaluate + decision, from facts", base, base),
                _lat(
                    "policyc decide, end to end", y.get("policyc decide"), y.get("policyc decide")
                ),
            ],
        )
    )
    print()
    c, base = r.cedar, r.cedar.get("policyc decision")
    print(
        f"  Cedar translation: {len(r.cedar_rules)} rules as forbid policies "
        f"({', '.join(r.cedar_rules)}); {r.cedar_requests:.2f} requests per action; "
        f"the translated rules stop {r.cedar_denies} actions, allow/deny agree on "
        f"{r.cedar_agree} of {r.cedar_actions}"
    )
    skipped = {**r.cedar_skipped, **NOT_TRANSLATED}
    print("  not translated: " + "; ".join(f"{k} ({v})" for k, v in skipped.items()))
    print()
    print(
        table(
            f"cedarpy: the translated rules, {r.cedar_actions:,} actions, interleaved with "
            "policyc (ratios: against policyc from facts; end-to-end rows against decide)",
            _LAT_HEADER,
            [
                _lat(
                    "cedarpy is_authorized_batch (requests built)",
                    c.get("cedarpy is_authorized"),
                    base,
                ),
                _lat(
                    "cedarpy requests from facts + is_authorized", c.get("cedarpy from facts"), base
                ),
                _lat("cedarpy end to end", c.get("cedarpy end to end"), c.get("policyc decide")),
                _lat("policyc evaluate", c.get("policyc evaluate"), base),
                _lat("policyc evaluate + decision, from facts", base, base),
                _lat(
                    "policyc decide, end to end", c.get("policyc decide"), c.get("policyc decide")
                ),
            ],
        )
    )
    print()
    rows = []
    first = r.scaling[0] if r.scaling else None
    for s in r.scaling:
        assert first is not None
        rows.append(
            [
                f"{s.extra_rules:,}",
                f"{s.program_rules:,}",
                fmt_time(s.load_seconds),
                f"{s.decision.p50:,.1f}",
                f"{s.decision.p99:,.1f}",
                fmt_ratio(s.decision.p50 / first.decision.p50),
                f"{s.end_to_end.p50:,.1f}",
                fmt_ratio(s.end_to_end.p50 / first.end_to_end.p50),
                f"{s.targeted.p50:,.1f}",
                f"{s.targeted.p99:,.1f}",
                fmt_ratio(s.targeted.p50 / first.targeted.p50),
            ]
        )
    n_targeted = len(first.targeted.wall) if first else 0
    print(
        table(
            "Extra rules for tools and hosts no action uses (µs per decision; interleaved); "
            f"the last three columns: the {n_targeted} {' and '.join(EXTRA_RULE_TYPES)} actions, "
            "whose action types the extra rules name",
            [
                "extra rules",
                "compiled rules",
                "load",
                "decision p50",
                "p99",
                "growth",
                "decide p50",
                "growth",
                "same-type p50",
                "p99",
                "growth",
            ],
            rows,
        )
    )
    return r


def _row(label: str, a: Timing, b: Timing, target: str = "", ok: bool | None = None) -> list[str]:
    """A summary row: ``a / b`` on wall-clock and CPU time, with the verdict on each."""
    wall, cpu = a.best / b.best, a.cpu_best / b.cpu_best
    verdict = ""
    if ok is not None:
        lo = target.startswith(">=")
        bound = float(target.split()[1].rstrip("x"))
        met_wall = wall >= bound if lo else wall <= bound
        met_cpu = cpu >= bound if lo else cpu <= bound
        verdict = f"{target}: {_verdict(met_wall)} (CPU: {_verdict(met_cpu)})"
    return [label, fmt_ratio(wall), fmt_ratio(cpu), verdict]


def _p50_row(label: str, a: Latency | None, b: Latency | None, target: str = "") -> list[str]:
    """A summary row: ``a / b`` of the p50 latencies, wall-clock and CPU, with the verdict."""
    if a is None or b is None:
        return [label, "-", "-", target]
    wall, cpu = a.p50 / b.p50, a.cpu_p50 / b.cpu_p50
    verdict = ""
    if target:
        lo = target.startswith(">=")
        bound = float(target.split()[1].rstrip("x"))
        met_wall = wall >= bound if lo else wall <= bound
        met_cpu = cpu >= bound if lo else cpu <= bound
        verdict = f"{target}: {_verdict(met_wall)} (CPU: {_verdict(met_cpu)})"
    return [label, fmt_ratio(wall), fmt_ratio(cpu), verdict]


def decision_summary(d: DecisionResult) -> list[list[str]]:
    y, c = d.pyd, d.cedar
    vs_pyd = f">= {TARGET_VS_PYDATALOG:.0f}x"
    vs_cedar = f"<= {TARGET_VS_CEDAR}x"
    rows = [
        _p50_row(
            "decision p50: pyDatalog / policyc (evaluate + decision)",
            y.get("pyDatalog"),
            y.get("policyc decision"),
            vs_pyd,
        ),
        _p50_row(
            "decision p50: pyDatalog / policyc (evaluate only)",
            y.get("pyDatalog"),
            y.get("policyc evaluate"),
            vs_pyd,
        ),
        _p50_row(
            "decision p50: pyDatalog / policyc, end to end",
            y.get("pyDatalog end to end"),
            y.get("policyc decide"),
        ),
        _p50_row(
            "decision p50: policyc (evaluate + decision) / cedarpy (from facts)",
            c.get("policyc decision"),
            c.get("cedarpy from facts"),
            vs_cedar,
        ),
        _p50_row(
            "decision p50: policyc (evaluate + decision) / cedarpy (is_authorized only)",
            c.get("policyc decision"),
            c.get("cedarpy is_authorized"),
            vs_cedar,
        ),
        _p50_row(
            "decision p50: policyc / cedarpy, end to end",
            c.get("policyc decide"),
            c.get("cedarpy end to end"),
        ),
    ]
    if len(d.scaling) > 1:
        first = d.scaling[0]
        for s in d.scaling[1:]:
            target = f"<= {TARGET_EXTRA_RULES}x" if s.extra_rules >= 10_000 else ""
            rows.append(
                _p50_row(
                    f"decision p50 with {s.extra_rules:,} extra rules / without",
                    s.decision,
                    first.decision,
                    target,
                )
            )
            rows.append(
                _p50_row(
                    f"decide p50 (end to end) with {s.extra_rules:,} extra rules / without",
                    s.end_to_end,
                    first.end_to_end,
                    target,
                )
            )
            rows.append(
                _p50_row(
                    f"decision p50 of {'/'.join(EXTRA_RULE_TYPES)} actions, "
                    f"{s.extra_rules:,} extra rules / without",
                    s.targeted,
                    first.targeted,
                    target,
                )
            )
    return rows


def summary(
    closure: list[ClosureResult],
    policy: PolicyResult | None,
    scaling: list[ScalingRow],
    decision: DecisionResult | None = None,
) -> None:
    rows: list[list[str]] = []
    for c in closure:
        if c.pydatalog:
            rows.append(_row(f"closure {c.name}: pyDatalog / policyc", c.pydatalog, c.policyc_off))
        rows.append(_row(f"closure {c.name}: proofs on / off", c.policyc_on, c.policyc_off))
    if policy:
        pyd, off, on, read = (
            policy.pyd.get(k) for k in ("pyDatalog", "policyc off", "policyc on", "policyc read")
        )
        vs_pyd = f">= {TARGET_VS_PYDATALOG:.0f}x"
        if pyd and off and read and on:
            for label, t in (
                ("proofs off", off),
                ("proofs off + read outcomes", read),
                ("proofs on", on),
            ):
                rows.append(_row(f"policy: pyDatalog / policyc ({label})", pyd, t, vs_pyd, True))
        if policy.policyc_off and policy.policyc_on:
            rows.append(
                _row(
                    "policy: proofs on / proofs off",
                    policy.policyc_on,
                    policy.policyc_off,
                    f"<= {TARGET_PROOFS_OVERHEAD}x",
                    True,
                )
            )
        cedar, c_off, c_read = (
            policy.cedar.get(k) for k in ("cedarpy", "policyc off", "policyc read")
        )
        if cedar and c_off and c_read:
            rows.append(_row("policy: cedarpy / policyc (proofs off)", cedar, c_off))
            rows.append(_row("policy: cedarpy / policyc (off + read outcomes)", cedar, c_read))
    indexed = [r for r in scaling if r.series.startswith("indexed")]
    if len(indexed) > 1:
        label = f"scaling: {indexed[-1].dead_rules:,} vs {indexed[0].dead_rules:,} dead rules"
        rows.append([*_row(label, indexed[-1].off, indexed[0].off)[:3], "flat is ~1x"])
    if decision:
        rows += decision_summary(decision)
    print()
    print(
        table(
            "Summary: ratios of best times, wall-clock and CPU",
            ["ratio", "wall", "CPU", "target"],
            rows,
        )
    )


def runtime_section(quick: bool) -> RuntimeResult:
    r = run_runtime(sample=300 if quick else None)
    base = r.rows[0]
    rows = [
        [
            row.label,
            f"{row.decisions:,}",
            f"{row.per_second:,.0f}",
            f"{row.us_per_decision:,.0f}",
            fmt_ratio(row.us_per_decision / base.us_per_decision),
        ]
        for row in r.rows
    ]
    print()
    print(
        table(
            "The runtime: sessions, approvals and the audit log around the engine "
            "(the decision benchmark's actions, sessions of 50)",
            ["", "decisions", "decisions/s", "µs / decision", "vs engine alone"],
            rows,
        )
    )
    print(
        f"\n  {r.processes} processes wrote {r.entries:,} audit entries; the chain "
        f"{'verifies' if r.chain_ok else 'DOES NOT VERIFY'} ({fmt_time(r.verify_seconds)} to "
        "verify). µs / decision for 8 processes is wall time over all of them."
    )
    return r


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    ap.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    ap.add_argument(
        "--only",
        action="append",
        choices=("closure", "policy", "scaling", "lang", "decision", "runtime", "http", "hook"),
        help="run only this benchmark (repeatable)",
    )
    args = ap.parse_args(argv)
    only = set(
        args.only or ("closure", "policy", "scaling", "lang", "decision", "runtime", "http", "hook")
    )
    import policyc

    started = time.perf_counter()
    print(
        f"policyc {policyc.__version__} benchmarks, {datetime.date.today().isoformat()}: "
        f"Python {platform.python_version()} on {platform.machine()} ({os.cpu_count()} CPUs); "
        f"pyDatalog {_version('pyDatalog')}, cedarpy {_version('cedarpy')}"
        + (" [--quick]" if args.quick else ""),
        flush=True,
    )
    failures: list[str] = []
    closure: list[ClosureResult] = []
    policy: PolicyResult | None = None
    scaling: list[ScalingRow] = []
    decision: DecisionResult | None = None
    try:
        if "closure" in only:
            print("\n[1] transitive closure", flush=True)
            closure = closure_section(args.quick)
        if "policy" in only:
            print("\n[2] policy workload: policyc, pyDatalog, cedarpy", flush=True)
            policy = policy_section(args.quick)
            failures += policy.mismatches
        if "scaling" in only:
            print("\n[3] rule scaling", flush=True)
            scaling = scaling_section(args.quick)
        if "lang" in only:
            print("\n[4] the policy language: parse, check, load", flush=True)
            lang_section(args.quick)
        if "decision" in only:
            print("\n[5] decisions: the standard library on agent actions", flush=True)
            decision = decision_section(args.quick)
            failures += decision.mismatches
        if "runtime" in only:
            print("\n[6] the runtime: decisions recorded in the audit log", flush=True)
            runtime = runtime_section(args.quick)
            if not runtime.chain_ok:
                failures.append("the audit chain written by the runtime benchmark does not verify")
        if "http" in only:
            http_section(args.quick)
        if "hook" in only:
            hook_section(args.quick)
    except ResultMismatch as e:
        failures.append(str(e))
    summary(closure, policy, scaling, decision)
    print(f"\ntotal time {time.perf_counter() - started:.0f} s")
    if failures:
        print("\nRESULTS DISAGREE (the timings above are void):", file=sys.stderr)
        for f in failures:
            print(f, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
