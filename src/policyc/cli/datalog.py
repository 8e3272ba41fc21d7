"""``policyc datalog FILE``: run a raw Datalog program, print facts and explain one of them."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from policyc.cli.main import EXIT_INVALID, EXIT_NO, EXIT_OK


def register(sub: Any) -> None:
    p = sub.add_parser(
        "datalog",
        help="evaluate a Datalog program and explain derived facts",
        description="Evaluate a Datalog program (docs/datalog.md) over optional input facts.",
    )
    p.add_argument("file", help="the Datalog program ('-' reads standard input)")
    p.add_argument(
        "--facts",
        metavar="FILE.json",
        help='input facts as JSON: {"edge": [["a", "b"], ...], ...}',
    )
    p.add_argument(
        "--query",
        metavar="PRED",
        action="append",
        help="print the facts of PRED (repeatable); default: every derived predicate",
    )
    p.add_argument(
        "--explain",
        metavar="FACT",
        action="append",
        help='print the proof of a fact, e.g. \'path("a", "c")\' (repeatable)',
    )
    p.add_argument("--json", action="store_true", help="print one JSON document instead of text")
    p.set_defaults(run=run)


def _fail(message: str) -> int:
    print(f"policyc datalog: {message}", file=sys.stderr)
    return EXIT_INVALID


def run(args: argparse.Namespace) -> int:
    from policyc.engine import (
        DatalogError,
        DatalogErrors,
        NotDerived,
        Proof,
        parse_program,
        render_error,
    )
    from policyc.engine.ir import format_value

    name = "<stdin>" if args.file == "-" else args.file
    try:
        if args.file == "-":
            text = sys.stdin.read()
        else:
            with open(args.file, encoding="utf-8") as fh:
                text = fh.read()
    except (OSError, UnicodeDecodeError) as e:
        return _fail(f"cannot read {name}: {e}")
    facts: dict[str, Any] = {}
    if args.facts:
        try:
            with open(args.facts, encoding="utf-8") as fh:
                facts = json.load(fh)
        except (OSError, UnicodeDecodeError) as e:
            return _fail(f"cannot read {args.facts}: {e}")
        except json.JSONDecodeError as e:
            return _fail(f"{args.facts}:{e.lineno}:{e.colno}: invalid JSON: {e.msg}")
        if not isinstance(facts, dict):
            return _fail(
                f"{args.facts}: expected a JSON object of predicate names to lists of rows"
            )
    try:
        program = parse_program(text, name)
        model = program.evaluate(facts)
    except DatalogErrors as e:
        for err in e.errors:
            src = text if err.position is not None and err.position.file == name else None
            print(render_error(err, src), file=sys.stderr)
        return EXIT_INVALID
    except DatalogError as e:
        print(render_error(e, None), file=sys.stderr)
        return EXIT_INVALID

    queries = args.query or sorted(program.derived)
    unknown = [q for q in queries if q not in program.predicates and q not in facts]
    if unknown:
        return _fail(f"unknown predicate(s) in --query: {', '.join(unknown)}")
    proofs: list[tuple[str, Proof | NotDerived]] = []
    status = EXIT_OK
    for fact in args.explain or []:
        try:
            proofs.append((fact, model.explain_text(fact)))
        except NotDerived as e:
            proofs.append((fact, e))
            status = EXIT_NO
        except DatalogErrors as e:
            for err in e.errors:
                print(f"policyc datalog: --explain {fact!r}: {err.message}", file=sys.stderr)
            return EXIT_INVALID

    if args.json:
        doc: dict[str, Any] = {
            "facts": {q: [list(r) for r in model.rows(q)] for q in queries},
            "proofs": [
                {"fact": f, "proof": p.to_dict()}
                if isinstance(p, Proof)
                else {"fact": f, "error": {"code": p.code, "message": p.message}}
                for f, p in proofs
            ],
        }
        print(json.dumps(doc, indent=2, ensure_ascii=False))
        return status
    out = []
    for q in queries:
        rows = model.rows(q)
        out.append(f"{q}: {len(rows)} fact(s)")
        for r in rows:
            out.append(f"  {q}({', '.join(format_value(v) for v in r)})" if r else f"  {q}")
    for f, p in proofs:
        out.append("")
        if isinstance(p, NotDerived):
            out.append(f"{f}: {p.message}")
        else:
            out.append(f"why {f}:")
            out.append(p.to_text())
    print("\n".join(out))
    return status
