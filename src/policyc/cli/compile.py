"""``policyc compile PATHS``: print the Datalog program the policies compile to."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from policyc.cli.main import EXIT_INVALID, EXIT_NO, EXIT_OK


def register(sub: Any) -> None:
    p = sub.add_parser(
        "compile",
        help="print the Datalog program compiled from policies",
        description="Compile policies to the engine's Datalog (docs/datalog.md); it parses back.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from policyc.lang.checker import check_paths
    from policyc.lang.report import render_text

    result = check_paths(args.paths)
    if result.errors or result.policy_set is None:
        print(render_text(result.errors, result.texts), file=sys.stderr)
        return EXIT_INVALID if any(d.code == "io_error" for d in result.errors) else EXIT_NO
    print(result.policy_set.program.to_text(), end="")
    return EXIT_OK
