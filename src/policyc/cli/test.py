"""``policyc test PATHS``: run the policies' test blocks and check their invariants."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from policyc.cli.main import EXIT_INVALID, EXIT_NO, EXIT_OK


def register(sub: Any) -> None:
    p = sub.add_parser(
        "test",
        help="run test blocks and check invariants",
        description="Run every test block and check every invariant of the given policies.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument(
        "--examples", type=int, default=300, help="generated actions per invariant (default 300)"
    )
    p.add_argument(
        "--seed",
        default="0",
        help="'random' for a new random run, or an integer for a reproducible one (default 0)",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from policyc.lang.checker import check_paths
    from policyc.lang.report import render_text
    from policyc.lang.testing import check_invariant, run_test

    if args.examples < 1:
        print("policyc test: --examples must be at least 1", file=sys.stderr)
        return EXIT_INVALID
    seed: int | None
    if args.seed == "random":
        seed = None
    else:
        try:
            seed = int(args.seed)
        except ValueError:
            print("policyc test: --seed takes an integer or 'random'", file=sys.stderr)
            return EXIT_INVALID
    result = check_paths(args.paths)
    if result.errors or result.policy_set is None:
        print(render_text(result.errors, result.texts), file=sys.stderr)
        return EXIT_INVALID if any(d.code == "io_error" for d in result.errors) else EXIT_NO
    ps = result.policy_set
    entries = set(ps.entries)
    failed = passed = 0
    for case in ps.tests:
        if case.module not in entries:
            continue
        r = run_test(ps, case)
        mark = "PASS" if r.passed else "FAIL"
        print(f"{mark}  test {case.name!r}  ({case.source})")
        if not r.passed:
            failed += 1
            for m in r.messages:
                print(f"      {m}")
            if r.verdict is not None:
                for f in r.verdict.fired:
                    print(f"      fired {f.rule.effect} {f.rule.id}: {f.reason}")
                    if f.proof is not None:
                        for line in f.proof.to_text().splitlines():
                            print(f"        {line}")
        else:
            passed += 1
    for inv in ps.invariants:
        if inv.module not in entries:
            continue
        r = check_invariant(ps, inv, args.examples, seed)
        mark = "PASS" if r.passed else "FAIL"
        print(f"{mark}  invariant {inv.id}: {inv.description}  ({inv.source})")
        for m in r.messages:
            print(f"      {m}")
        if r.passed:
            passed += 1
        else:
            failed += 1
    print(f"{passed} passed, {failed} failed")
    return EXIT_NO if failed else EXIT_OK
