"""``policyc approvals list|show|approve|deny``: the approvals waiting in a state folder, and the
decisions of the people who may give them (docs/approvals.md).

``--state DIR`` (default: the configuration's ``state_dir``, ``.policyc``) is the runtime's state folder: its ``state.db`` holds the
approvals and grants, its ``approvals.key`` the key that signs grants. No command creates the
folder. Errors are one line on stderr and exit 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from policyc.cli.main import EXIT_INVALID, EXIT_OK, group_usage
from policyc.cli.state import resolve_state, state_options

if TYPE_CHECKING:
    from policyc.runtime.approvals import ApprovalBook, PendingApproval

STATUS_CHOICES = ("pending", "approved", "denied", "expired", "used")


def register(sub: Any) -> None:
    p = sub.add_parser(
        "approvals",
        help="list, show, approve or deny the actions waiting for approval",
        description="List, show, approve or deny the actions waiting for approval in a state "
        "folder. Approving issues a signed grant that lets the same action through.",
    )
    p.set_defaults(run=group_usage(p))
    cmds = p.add_subparsers(dest="approvals_command", metavar="SUBCOMMAND")

    state = state_options()
    fmt = argparse.ArgumentParser(add_help=False)
    fmt.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    person = argparse.ArgumentParser(add_help=False)
    person.add_argument("id", metavar="ID", help="the approval's id (apr_…)")
    person.add_argument("--as", dest="approver", required=True, metavar="NAME", help="your name")
    person.add_argument(
        "--role", required=True, metavar="ROLE", help="your role (must be the approver role)"
    )

    ls = cmds.add_parser(
        "list", parents=[state, fmt], help="list approvals", description="List approvals."
    )
    ls.add_argument("--status", choices=STATUS_CHOICES, help="only approvals in this status")
    ls.set_defaults(run=run_list)

    show = cmds.add_parser(
        "show", parents=[state, fmt], help="show one approval", description="Show one approval."
    )
    show.add_argument("id", metavar="ID", help="the approval's id (apr_…)")
    show.set_defaults(run=run_show)

    approve = cmds.add_parser(
        "approve",
        parents=[person, state],
        help="approve a pending approval and issue a grant",
        description="Approve a pending approval: issues a signed grant for the same action.",
    )
    approve.add_argument(
        "--print-token", action="store_true", help="also print the grant's token, on a last line"
    )
    approve.set_defaults(run=run_approve)

    deny = cmds.add_parser(
        "deny",
        parents=[person, state],
        help="deny a pending approval",
        description="Deny a pending approval.",
    )
    deny.set_defaults(run=run_deny)


def _fail(message: str) -> int:
    print(f"policyc approvals: {message}", file=sys.stderr)
    return EXIT_INVALID


def _book(args: argparse.Namespace) -> ApprovalBook | None:
    """The book of ``--state``; None when the state folder has no database (nothing is created:
    a mistyped ``--state`` leaves no folder behind)."""
    from policyc.runtime.approvals import ApprovalBook
    from policyc.runtime.store import DATABASE_NAME

    folder = Path(args.state)
    if not (folder / DATABASE_NAME).is_file():
        return None
    return ApprovalBook.in_folder(folder)


def _guarded(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Library errors (store, key, approval) as one line and exit 2."""

    def guarded(args: argparse.Namespace) -> int:
        from policyc.runtime.approvals import ApprovalError
        from policyc.runtime.config import ConfigError
        from policyc.runtime.store import StoreError

        try:
            args.state = resolve_state(args)
        except ConfigError as e:
            return _fail(e.message)
        try:
            return run(args)
        except (ApprovalError, StoreError) as e:
            return _fail(e.message)
        except OSError as e:
            return _fail(f"{args.state}: {e.strerror or e}")

    guarded.__doc__ = run.__doc__
    return guarded


@_guarded
def run_list(args: argparse.Namespace) -> int:
    book = _book(args)
    items = [] if book is None else book.list(args.status)
    if args.format == "json":
        print(json.dumps([_json(a) for a in items], indent=2, ensure_ascii=False))
        return EXIT_OK
    if not items:
        print("no approvals" + (f" {args.status}" if args.status else ""))
        return EXIT_OK
    for a in items:
        what = a.summary.get("path") or a.summary.get("command") or a.summary.get("url") or ""
        print(
            f"{a.id}  {a.status:<8}  {a.approver_role:<10}  {','.join(a.rule_ids)}  "
            f"{a.summary.get('action_type', '')} {what}".rstrip()
        )
    return EXIT_OK


@_guarded
def run_show(args: argparse.Namespace) -> int:
    book = _book(args)
    approval = None if book is None else book.get(args.id)
    if approval is None:
        return _fail(f"there is no approval {args.id}")
    if args.format == "json":
        print(json.dumps(_json(approval), indent=2, ensure_ascii=False))
        return EXIT_OK
    print(_text(approval))
    return EXIT_OK


@_guarded
def run_approve(args: argparse.Namespace) -> int:
    from policyc.runtime.approvals import iso

    book = _book(args)
    if book is None:
        return _fail(f"there is no approval {args.id}")
    grant = book.approve(args.id, approver=args.approver, role=args.role)
    print(
        f"approved {grant.approval_id} as {grant.approver} ({grant.role}): grant {grant.id}, "
        f"{'single use, ' if grant.single_use else ''}expires {iso(grant.expires_at)}"
    )
    if args.print_token:
        print(grant.token())
    return EXIT_OK


@_guarded
def run_deny(args: argparse.Namespace) -> int:
    book = _book(args)
    if book is None:
        return _fail(f"there is no approval {args.id}")
    denied = book.deny(args.id, approver=args.approver, role=args.role)
    print(f"denied {denied.id} as {denied.decided_by} ({denied.approver_role})")
    return EXIT_OK


def _json(a: PendingApproval) -> dict[str, Any]:
    from policyc.runtime.approvals import iso

    out = a.to_dict()
    for key in ("requested_at", "expires_at", "decided_at", "grant_expires_at"):
        if out.get(key) is not None:
            out[key] = iso(out[key])
    return out


def _text(a: PendingApproval) -> str:
    from policyc.runtime.approvals import iso

    lines = [
        f"approval     {a.id}",
        f"status       {a.status}",
        f"approver     role {a.approver_role}",
        f"rules        {', '.join(a.rule_ids)}",
        f"reason       {a.reason}",
        f"requested    {iso(a.requested_at)}",
        f"expires      {iso(a.expires_at)}",
        f"decision     {a.decision_id}",
        f"action       {a.action_id}",
        f"fingerprint  {a.fingerprint}",
    ]
    if a.decided_at is not None:
        lines.append(f"decided      {iso(a.decided_at)} by {a.decided_by}")
    if a.grant_id is not None:
        until = f", expires {iso(a.grant_expires_at)}" if a.grant_expires_at is not None else ""
        lines.append(f"grant        {a.grant_id}{until}")
    lines.append("summary")
    lines.extend(f"  {k:<12} {v}" for k, v in a.summary.items())
    return "\n".join(lines)
