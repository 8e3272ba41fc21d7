"""``policyc schema action|decision``: the JSON Schema of the action input or the decision record."""

from __future__ import annotations

import argparse
import json
from typing import Any

from policyc.cli.main import EXIT_OK


def register(sub: Any) -> None:
    p = sub.add_parser(
        "schema",
        help="print the JSON Schema of an action or a decision",
        description="Print the JSON Schema of the action input or of the decision record.",
    )
    p.add_argument("which", choices=("action", "decision"))
    p.set_defaults(run=run)


def schema(which: str) -> dict[str, Any]:
    if which == "action":
        from policyc.action.model import Action

        return Action.model_json_schema()
    from policyc.decision.record import Decision

    return Decision.model_json_schema(by_alias=True)


def run(args: argparse.Namespace) -> int:
    print(json.dumps(schema(args.which), indent=2, sort_keys=True))
    return EXIT_OK
