"""``policyc eval [ACTION.json | -] [--policy PATH…] [--sessions]``: decide actions, print the
decisions.

Input is one JSON action, a JSON array of actions, or JSON Lines (one action per line). Output is
the decision record as JSON (JSON Lines for several actions) or, with ``--format text``, the
decision and its proof trees for people. Every action gets a decision: an invalid action, like
policies that do not load, gives ``deny`` with the error in the record (fail closed), and the
problem is also reported on stderr with its line. With ``--sessions`` the actions are one stream:
each session's counters (actions, recent denials, alerts, termination) come from the decisions
made before it in the input (:mod:`policyc.runtime.sessions`).

Exit codes: 0 every action may go ahead (allow, alert, redact), 1 some action is refused (deny,
require_approval, terminate), 2 some input or policy was invalid, 3 the engine failed on some
action (it was denied).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from policyc.cli.main import EXIT_CRASH, EXIT_INVALID, EXIT_NO, EXIT_OK, seconds

if TYPE_CHECKING:
    from policyc.decision.record import Decision


def register(sub: Any) -> None:
    p = sub.add_parser(
        "eval",
        help="decide actions and print the decisions",
        description="Decide one JSON action, a JSON array, or JSON Lines; print the decisions.",
    )
    p.add_argument(
        "input", nargs="?", default="-", metavar="ACTION.json", help="a file, or - for stdin"
    )
    p.add_argument(
        "--policy",
        "-p",
        action="append",
        metavar="PATH",
        help="a .policy file or folder; repeat for more (default: the standard library)",
    )
    p.add_argument(
        "--format",
        choices=("json", "text"),
        default="json",
        help="JSON records (default) or text for people",
    )
    p.add_argument(
        "--colour",
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour in --format text (auto: on a terminal unless NO_COLOR is set)",
    )
    p.add_argument(
        "--sessions",
        action="store_true",
        help="keep each session's counters across the input (actions, recent denials, alerts, "
        "termination) and supply them to the policies",
    )
    p.add_argument(
        "--denial-window",
        type=seconds,
        default=600.0,
        metavar="SECONDS",
        help="with --sessions: how long a denial counts as recent (default 600)",
    )
    p.add_argument(
        "--record",
        action="store_true",
        help="decide through the runtime of the configuration (policyc.toml): sessions kept in "
        "the state folder, approvals verified, every decision in the audit log, alerts delivered",
    )
    p.add_argument(
        "--config",
        metavar="FILE",
        help="with --record: the configuration file (default: policyc.toml or pyproject.toml "
        "found from the current folder upward, else the defaults)",
    )
    p.add_argument(
        "--grant",
        metavar="TOKEN",
        help="with --record: an approval grant token presented with the action(s)",
    )
    p.add_argument("--no-proofs", action="store_true", help="leave proof trees out")
    p.add_argument("--no-cache", action="store_true", help="compile the policies afresh")
    p.set_defaults(run=run)


def _inputs(text: str) -> Iterator[tuple[int, Any, str | None]]:
    """(line, parsed JSON or None, error) for each action in the input."""
    stripped = text.strip()
    if not stripped:
        yield 1, None, "the input is empty (expected a JSON action or JSON Lines)"
        return
    try:
        whole = json.loads(stripped)
    except (ValueError, RecursionError):
        whole = None
    else:
        if isinstance(whole, list):
            for item in whole:
                yield 1, item, None
            return
        yield 1, whole, None
        return
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield n, json.loads(line), None
        except json.JSONDecodeError as e:
            yield n, None, f"not valid JSON at column {e.colno}: {e.msg}"
        except RecursionError:
            yield n, None, "JSON nested too deeply"
        except ValueError as e:  # e.g. an integer beyond Python's conversion limit
            yield n, None, f"not valid JSON: {str(e).split(';')[0]}"


def run(args: argparse.Namespace) -> int:
    from policyc.action.model import new_id
    from policyc.decision.decide import failed_decision
    from policyc.decision.engine import PolicyEngine, PolicyLoadError, claimed_action_id, load
    from policyc.decision.render import render_decision

    try:
        if args.input == "-":
            text = sys.stdin.read()
        else:
            with open(args.input, encoding="utf-8") as fh:
                text = fh.read()
    except (OSError, UnicodeDecodeError) as e:
        print(f"policyc eval: cannot read {args.input}: {e}", file=sys.stderr)
        return EXIT_INVALID
    where = "<stdin>" if args.input == "-" else args.input

    engine: PolicyEngine | None = None
    load_error: str | None = None
    if (args.config or args.grant) and not args.record:
        print("policyc eval: --config and --grant go with --record", file=sys.stderr)
        return EXIT_INVALID
    if args.record and args.sessions:
        print("policyc eval: --record keeps sessions in the state folder; drop --sessions",
              file=sys.stderr)  # fmt: skip
        return EXIT_INVALID
    try:
        if not args.record or args.policy:  # else the runtime loads the configuration's
            engine = load(args.policy, cache=not args.no_cache, proofs=not args.no_proofs)
    except PolicyLoadError as e:
        load_error = str(e)
        print(e.rendered or f"policyc eval: {e}", file=sys.stderr)

    decide: Callable[[Any], Decision] | None = engine.decide if engine else None
    policy_hash = engine.policy_set_hash if engine else ""
    runtime = None
    if args.record and (engine is not None or not args.policy):
        from policyc.runtime.config import ConfigError
        from policyc.runtime.runtime import Runtime

        try:
            runtime = Runtime.from_config(args.config, engine=engine)
        except ConfigError as e:
            print(f"policyc eval: {e.message}", file=sys.stderr)
            return EXIT_INVALID
        except ValueError as e:  # an alert sink the configuration describes badly
            print(f"policyc eval: {e}", file=sys.stderr)
            return EXIT_INVALID
        if runtime.failure is not None:
            print(f"policyc eval: {runtime.failure[1]}", file=sys.stderr)
            load_error = runtime.failure[1]
        policy_hash = runtime.engine.policy_set_hash if runtime.engine else ""
        grant = args.grant
        decide = lambda data: runtime.decide(data, grant=grant)  # noqa: E731
    if engine is not None and args.sessions:
        from policyc.runtime.sessions import SessionTracker

        decide = SessionTracker(engine, window=args.denial_window).decide
    colour = args.colour == "always" or (
        args.colour == "auto" and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    )
    items = list(_inputs(text.removeprefix("\ufeff")))
    many = len(items) > 1
    code = EXIT_OK
    for n, data, error in items:
        if error is not None:
            decision = failed_decision(
                action_id=new_id("act_"),
                policy_set=policy_hash,
                code="invalid_input",
                message=error,
            )
        elif decide is None:
            decision = failed_decision(
                action_id=claimed_action_id(data),
                policy_set="",
                code="policy_error",
                message=load_error or "the policies do not load",
            )
        else:
            decision = decide(data)  # an invalid action is denied, with the error
            if decision.error is not None and decision.error.code == "invalid_action":
                error = decision.error.message
        if error is not None:
            print(f"{where}:{n}: {error}", file=sys.stderr)
        if decision.error is not None and decision.error.code == "internal_error":
            code = EXIT_CRASH
        elif decision.error is not None and code != EXIT_CRASH:
            code = EXIT_INVALID
        elif not decision.allowed and code == EXIT_OK:
            code = EXIT_NO
        if args.format == "text":
            print(render_decision(decision, colour=colour, proofs=not args.no_proofs))
            if many:
                print()
        else:
            print(decision.to_json(indent=None if many else 2))
    if runtime is not None:
        runtime.close()
    return code
