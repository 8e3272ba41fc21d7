"""``policyc audit verify|show|search|export``: the audit log in the runtime's state folder
(docs/audit.md).

``--state DIR`` (default: the configuration's ``state_dir``, ``.policyc``) is the runtime's state folder; its ``state.db`` holds the
log. These commands only read: a folder without a database, or a database without an audit log,
is reported (exit 2) and nothing is created.

Exit codes: 0 success; 1 the answer is "no": ``verify`` found the log tampered with, ``show``
found no entry for the decision, ``search`` matched no entry; 2 bad input (no audit log, a bad
time or hash, an unreadable database); 3 an internal error.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from policyc.cli.main import EXIT_INVALID, EXIT_NO, EXIT_OK, group_usage
from policyc.cli.state import resolve_state, state_options

if TYPE_CHECKING:
    from policyc.runtime.audit import AuditEntry, AuditLog

EFFECTS = ("allow", "alert", "redact", "require_approval", "deny", "terminate")


def register(sub: Any) -> None:
    p = sub.add_parser(
        "audit",
        help="verify, show, search or export the audit log",
        description="Verify the hash chain of the audit log, show the decision of an entry, "
        "search the entries, or export them as JSON Lines.",
    )
    p.set_defaults(run=group_usage(p))
    cmds = p.add_subparsers(dest="audit_command", metavar="SUBCOMMAND")

    state = state_options()

    verify = cmds.add_parser(
        "verify",
        parents=[state],
        help="check the hash chain; name the first bad entry",
        description="Check every entry and the chain that links them. Prints the number of "
        "entries and the head hash (keep it elsewhere, and pass it to --expect-head later), or "
        "the first bad entry and what was done to it. Exit 1 when the log was tampered with.",
    )
    verify.add_argument(
        "--expect-head",
        type=_hash,
        metavar="HASH",
        help="a head hash printed by an earlier verify: the log must still contain it",
    )
    verify.set_defaults(run=run_verify)

    show = cmds.add_parser(
        "show",
        parents=[state],
        help="show the logged decision of an action, with its proofs",
        description="Show the entry of a decision: the decision, its reasons and proof trees, "
        "and the logged (redacted) action.",
    )
    show.add_argument("decision_id", metavar="DECISION_ID", help="the decision's id (dec_…)")
    show.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    show.set_defaults(run=run_show)

    search = cmds.add_parser(
        "search",
        parents=[state],
        help="list the entries matching filters",
        description="List the entries matching every filter given, in log order, one per line. "
        "Times are ISO 8601 (UTC when no offset is given) and bound the decision's timestamp: "
        "--since inclusive, --until exclusive.",
    )
    search.add_argument("--session", metavar="S", help="the session id")
    search.add_argument("--agent", metavar="A", help="the agent id")
    search.add_argument("--decision", choices=EFFECTS, help="the effective decision")
    search.add_argument(
        "--policy", metavar="ID", help="a rule id that fired (whether or not it decided)"
    )
    search.add_argument("--since", type=_time, metavar="T", help="decided at or after T")
    search.add_argument("--until", type=_time, metavar="T", help="decided before T")
    search.add_argument("--limit", type=_count, metavar="N", help="at most N entries, the first")
    search.add_argument(
        "--format",
        choices=("text", "jsonl"),
        default="text",
        help="one line per entry for people (default), or the export lines",
    )
    search.set_defaults(run=run_search)

    export = cmds.add_parser(
        "export",
        parents=[state],
        help="write every entry as JSON Lines",
        description='Write every entry, in log order, as one line {"body":BODY,"hash":HASH}: '
        "the body's bytes verbatim, so that their SHA-256 is the hash.",
    )
    export.add_argument("--format", choices=("jsonl",), default="jsonl", help="output format")
    export.add_argument(
        "-o", "--output", metavar="FILE", default="-", help="the file to write (default stdout)"
    )
    export.set_defaults(run=run_export)


# --- arguments ----------------------------------------------------------------------------------


def _hash(text: str) -> str:
    value = text.strip().lower()
    if not re.fullmatch(r"[0-9a-f]{64}", value):
        raise argparse.ArgumentTypeError(f"expected a SHA-256 hash (64 hex digits), got {text!r}")
    return value


def _time(text: str) -> str:
    from policyc.runtime.audit import parse_time

    try:
        return parse_time(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


# --- running ------------------------------------------------------------------------------------


def _fail(message: str) -> int:
    print(f"policyc audit: {message}", file=sys.stderr)
    return EXIT_INVALID


def _with_log(
    run: Callable[[argparse.Namespace, AuditLog], int],
) -> Callable[[argparse.Namespace], int]:
    """Open the log of ``--state`` without creating anything; store errors as one line and
    exit 2."""

    def guarded(args: argparse.Namespace) -> int:
        from policyc.runtime.audit import open_audit_log
        from policyc.runtime.config import ConfigError
        from policyc.runtime.store import StoreError

        try:
            args.state = resolve_state(args)
        except ConfigError as e:
            return _fail(e.message)
        try:
            log = open_audit_log(args.state, create=False)
        except StoreError as e:
            if e.code == "audit.missing":
                return _fail(
                    f"no audit log in {args.state}: {e.message} (--state names the runtime's "
                    "state folder; by default the configuration's state_dir)"
                )
            return _fail(e.message)
        try:
            return run(args, log)
        except StoreError as e:
            return _fail(e.message)
        except OSError as e:
            return _fail(f"{getattr(e, 'filename', None) or args.state}: {e.strerror or e}")
        finally:
            log.store.close()

    guarded.__doc__ = run.__doc__
    return guarded


@_with_log
def run_verify(args: argparse.Namespace, log: AuditLog) -> int:
    report = log.verify(expect_head=args.expect_head)
    where = log.store.path
    if report.ok:
        print(f"ok: {where}: {report.message}")
        print(f"head {report.head}")
        return EXIT_OK
    print(f"TAMPERED ({report.kind}): {where}: {report.message}")
    if report.first_bad is not None:
        print(f"entries intact before entry {report.first_bad}: {report.entries}")
    print(f"head {report.head or '(missing)'}")
    return EXIT_NO


@_with_log
def run_show(args: argparse.Namespace, log: AuditLog) -> int:
    entry = log.get(args.decision_id)
    if entry is None:
        print(f"policyc audit: no entry for decision {args.decision_id}", file=sys.stderr)
        return EXIT_NO
    if not entry.hash_ok():
        print(
            f"policyc audit: warning: entry {entry.seq} does not match its hash: it was changed "
            "(run policyc audit verify)",
            file=sys.stderr,
        )
    try:
        content = entry.content()
    except ValueError:
        return _fail(f"entry {entry.seq} is not valid JSON (run policyc audit verify)")
    if args.format == "json":
        print(json.dumps({"body": content, "hash": entry.hash}, indent=2, ensure_ascii=False))
        return EXIT_OK
    print(_show_text(entry, content))
    return EXIT_OK


def _show_text(entry: AuditEntry, content: dict[str, Any]) -> str:
    from pydantic import ValidationError

    from policyc.decision.render import render_decision

    lines = [
        f"entry {entry.seq}  recorded {entry.recorded_at}",
        f"  hash:      {entry.hash}",
        f"  previous:  {content.get('prev_hash')}",
    ]
    if entry.session_id or entry.agent_id:
        lines.append(f"  session:   {entry.session_id or '-'}  agent: {entry.agent_id or '-'}")
    action = content.get("action")
    if action is None:
        lines.append("  action:    (none: the action was invalid)")
    else:
        shown = json.dumps(_compact(action), ensure_ascii=False, sort_keys=True)
        lines.append(f"  action:    {shown}")
    try:
        decision = entry.to_decision()
    except (ValidationError, KeyError, TypeError) as e:
        lines.append(f"  (the decision cannot be shown: {str(e).splitlines()[0]})")
        return "\n".join(lines)
    return "\n".join([*lines, "", render_decision(decision)])


def _compact(value: Any) -> Any:
    """A JSON value without its null and empty fields (for people)."""
    if isinstance(value, dict):
        out = {k: _compact(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v not in (None, [], {})}
    if isinstance(value, list):
        return [_compact(v) for v in value]
    return value


@_with_log
def run_search(args: argparse.Namespace, log: AuditLog) -> int:
    entries = log.search(
        session=args.session,
        agent=args.agent,
        decision=args.decision,
        policy_id=args.policy,
        since=args.since,
        until=args.until,
        limit=args.limit,
    )
    for entry in entries:
        if args.format == "jsonl":
            print(entry.jsonl().decode("utf-8", "backslashreplace"))
        else:
            print(_line(entry))
    return EXIT_OK if entries else EXIT_NO


def _line(entry: AuditEntry) -> str:
    try:
        reason = entry.content()["decision"]["reason"]
    except (ValueError, KeyError, TypeError):
        reason = "(malformed entry)"
    return (
        f"{entry.seq}  {entry.decided_at}  {entry.decision}  {entry.decision_id}  "
        f"session={entry.session_id or '-'}  agent={entry.agent_id or '-'}  "
        f"{','.join(entry.policy_ids) or '-'}  {reason}"
    )


@_with_log
def run_export(args: argparse.Namespace, log: AuditLog) -> int:
    if args.output == "-":
        log.export(sys.stdout, fmt=args.format)
        return EXIT_OK
    with open(args.output, "wb") as out:
        n = log.export(out, fmt=args.format)
    print(f"exported {n} entries to {args.output}", file=sys.stderr)
    return EXIT_OK
