"""Entry point of ``policyc``: dispatches to one module per subcommand.

Exit codes (docs/cli.md): 0 success, 1 the answer is "no" (a denied action, a fact that does not
hold), 2 bad input or failed checks (the message says where), 3 an internal error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

EXIT_OK = 0
EXIT_NO = 1
EXIT_INVALID = 2
EXIT_CRASH = 3


def seconds(text: str) -> float:
    """An argparse type: a positive, finite number of seconds."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value


def group_usage(parser: argparse.ArgumentParser) -> Callable[[argparse.Namespace], int]:
    """The ``run`` of a command group given no subcommand: its help, on stderr, exit 2."""

    def run(args: argparse.Namespace) -> int:
        parser.print_help(sys.stderr)
        return EXIT_INVALID

    return run


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of every subcommand; with ``command`` = ``"hook"``, of that one alone (a hook
    starts a process per tool call: it imports no other subcommand)."""
    from policyc import __version__

    if command == "hook":
        from policyc.cli import hook

        parser = argparse.ArgumentParser(prog="policyc")
        hook.register(parser.add_subparsers(dest="command", metavar="COMMAND"))
        return parser
    from policyc.cli import (
        approvals,
        audit,
        check,
        compile,
        datalog,
        evaluate,
        fmt,
        hook,
        mcp_proxy,
        schema,
        serve,
        test,
    )

    parser = argparse.ArgumentParser(
        prog="policyc",
        description="A deterministic policy engine for the actions of AI agents.",
    )
    parser.add_argument("--version", action="version", version=f"policyc {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    approvals.register(sub)
    audit.register(sub)
    check.register(sub)
    compile.register(sub)
    datalog.register(sub)
    evaluate.register(sub)
    fmt.register(sub)
    hook.register(sub)
    mcp_proxy.register(sub)
    schema.register(sub)
    serve.register(sub)
    test.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):
        # Strings may hold lone surrogates (valid in JSON escapes): print them escaped, never crash.
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser("hook" if argv[:1] == ["hook"] else None)
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help(sys.stderr)
        return EXIT_INVALID
    try:
        code: int = args.run(args)
        return code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as e:  # last resort: a crash is reported plainly, never as a traceback
        print(f"policyc: internal error: {type(e).__name__}: {e}", file=sys.stderr)
        return EXIT_CRASH


if __name__ == "__main__":
    sys.exit(main())
