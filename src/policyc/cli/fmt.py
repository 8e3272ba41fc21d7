"""``policyc fmt PATHS``: print, check or rewrite policies in their canonical layout."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from policyc.cli.main import EXIT_INVALID, EXIT_NO, EXIT_OK


def register(sub: Any) -> None:
    p = sub.add_parser(
        "fmt",
        help="format policies canonically",
        description="Format policy files. Without --write or --check, print the formatted text.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="rewrite the files in place")
    mode.add_argument(
        "--check", action="store_true", help="exit 1 if a file is not formatted (changes nothing)"
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from policyc.lang.formatter import format_module
    from policyc.lang.loader import policy_files
    from policyc.lang.parser import parse_module
    from policyc.lang.report import render_text

    files, problems = policy_files(args.paths)
    status = EXIT_OK
    for d in problems:
        print(str(d), file=sys.stderr)
        if d.severity == "error":
            status = EXIT_INVALID
    for path in files:
        try:
            text = Path(path).read_text("utf-8")
        except (OSError, UnicodeDecodeError) as e:
            print(f"policyc fmt: cannot read {path}: {e}", file=sys.stderr)
            status = EXIT_INVALID
            continue
        module, diagnostics = parse_module(text, str(path))
        if module is None or diagnostics:
            print(render_text(diagnostics, {str(path): text}), file=sys.stderr)
            print(f"policyc fmt: {path} not formatted: it does not parse", file=sys.stderr)
            status = max(status, EXIT_NO)
            continue
        formatted = format_module(module)
        if args.check:
            if formatted != text:
                print(f"would reformat {path}")
                status = max(status, EXIT_NO)
        elif args.write:
            if formatted != text:
                Path(path).write_text(formatted, "utf-8")
                print(f"reformatted {path}", file=sys.stderr)
        else:
            sys.stdout.write(formatted)
    return status
