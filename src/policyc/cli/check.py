"""``policyc check PATHS``: report every problem in the given policies (and their imports)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from policyc.cli.main import EXIT_INVALID, EXIT_NO, EXIT_OK


def register(sub: Any) -> None:
    p = sub.add_parser(
        "check",
        help="lint policies: every problem with its code and position",
        description="Check policy files (directories are searched for *.policy) and their imports.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--format", choices=("text", "json", "sarif"), default="text")
    p.add_argument("--strict", action="store_true", help="fail on warnings too")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from policyc.lang.checker import check_paths
    from policyc.lang.report import render_json, render_sarif, render_text, summary

    result = check_paths(args.paths)
    diagnostics = result.diagnostics
    if args.format == "json":
        print(render_json(diagnostics))
    elif args.format == "sarif":
        print(render_sarif(diagnostics))
    else:
        if diagnostics:
            print(render_text(diagnostics, result.texts))
        print(summary(diagnostics), file=sys.stderr)
    if any(d.code == "io_error" for d in diagnostics):
        return EXIT_INVALID
    failing = result.errors + (result.warnings if args.strict else [])
    return EXIT_NO if failing else EXIT_OK
