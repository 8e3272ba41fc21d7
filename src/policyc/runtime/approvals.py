"""Approvals: the runtime's answer to a ``require_approval`` decision, and the signed grants that
let the same action through once a person with the right role has approved it.

The flow (docs/approvals.md):

1. The engine decides an action ``require_approval``. Inside its write transaction the runtime
   calls :meth:`ApprovalBook.request`, which records a *pending approval*: the action's
   :func:`fingerprint`, the rules that asked for approval, the approver role, a redacted summary
   of the action, and an expiry. The same action asked again while its approval is pending gets
   the same approval back, not a new one.
2. A person with the approver role approves it (:meth:`ApprovalBook.approve`, ``policyc
   approvals approve``) or denies it (:meth:`ApprovalBook.deny`). Approving issues a
   :class:`Grant` bound to the fingerprint, the rules, the role and the approver, with an expiry
   and a nonce, signed with HMAC-SHA256 under the key of the state folder. The grant is stored;
   :meth:`Grant.token` also gives it as a compact string that a client may present.
3. When the same action comes again, the runtime calls :meth:`ApprovalBook.redeem` inside its
   write transaction. The grant is checked (signature, fingerprint, expiry, role, rules, single
   use), marked used, and turned into the :class:`~policyc.action.model.Approval` that the
   runtime supplies to the engine (``engine.decide(action_with_approval, trusted=True)``).

A grant that fails a check raises :class:`GrantRejected`, whose ``code`` is one of
:data:`REJECTION_CODES`; ``redeem`` returns ``None`` when there is no grant to check at all.
Approval state written by the caller into the action is never trusted: ``parse_action`` drops it,
and only ``redeem`` produces a granted :class:`~policyc.action.model.Approval`.

Times are wall-clock seconds (``time.time``), shared by every process using the state folder.
"""

from __future__ import annotations

import base64
import binascii
import builtins
import errno
import hashlib
import hmac
import json
import math
import os
import re
import secrets
import sqlite3
import stat
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from policyc.action.model import Action, Approval, new_id
from policyc.decision.record import Decision
from policyc.runtime.store import StateStore

# -- the schema -----------------------------------------------------------------------------------

APPROVALS_SCHEMA = """
CREATE TABLE IF NOT EXISTS approvals (
    id TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    rule_ids TEXT NOT NULL,
    approver_role TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'denied', 'used')),
    requested_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    decision_id TEXT NOT NULL,
    action_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    summary TEXT NOT NULL,
    decided_at REAL,
    decided_by TEXT,
    decided_role TEXT,
    grant_id TEXT,
    grant_expires_at REAL
);
CREATE INDEX IF NOT EXISTS approvals_by_fingerprint ON approvals (fingerprint, status);
CREATE INDEX IF NOT EXISTS approvals_by_time ON approvals (requested_at);
CREATE TABLE IF NOT EXISTS approval_grants (
    id TEXT PRIMARY KEY,
    approval_id TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    rule_ids TEXT NOT NULL,
    role TEXT NOT NULL,
    approver TEXT NOT NULL,
    issued_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    nonce TEXT NOT NULL,
    single_use INTEGER NOT NULL,
    key_id TEXT NOT NULL,
    signature TEXT NOT NULL,
    used_at REAL,
    uses INTEGER NOT NULL DEFAULT 0,
    last_action_id TEXT
);
CREATE INDEX IF NOT EXISTS approval_grants_by_fingerprint ON approval_grants (fingerprint)
"""
"""The tables of the approvals part of the state store (``StateStore.ensure("approvals", …)``)."""

STATUSES = ("pending", "approved", "denied", "expired", "used")
"""The status of an approval as reported: ``expired`` and the others are derived from the stored
status and the clock (a pending approval, or an approved one whose grant was never used, expires)."""

REJECTION_CODES = (
    "grant.forged",
    "grant.expired",
    "grant.replayed",
    "grant.role_mismatch",
    "grant.action_mismatch",
    "grant.rule_mismatch",
    "grant.unknown",
)
"""The reasons :meth:`ApprovalBook.redeem` refuses a grant (docs/approvals.md)."""

KEY_FILE_NAME = "approvals.key"
KEY_BYTES = 32
TOKEN_PREFIX = "pcg1"
GRANT_VERSION = 1
_MAX_TOKEN = 8192
_SIGNATURE_DOMAIN = b"policyc.grant/1\n"
_FINGERPRINT_DOMAIN = b"policyc.action-fingerprint/1\n"
_KEY_ID_DOMAIN = b"policyc.approvals.key-id/1\n"
_SUMMARY_TEXT = 200  # characters of each summary field
_REASON_TEXT = 500
_HEX64 = re.compile(r"[0-9a-f]{64}")


class ApprovalError(Exception):
    """An approval cannot be requested, approved, denied or read. ``code`` is stable:

    - ``approval.unknown``: no approval has this id;
    - ``approval.expired``: the approval expired before anyone decided it;
    - ``approval.decided``: it was already approved, denied or used;
    - ``approval.role_mismatch``: the role given is not the approval's approver role;
    - ``approval.invalid``: an argument is empty or malformed (approver, role, status, decision);
    - ``key.insecure``: the key file is readable or writable by group or others;
    - ``key.invalid``: the key file is not a regular file holding a 32-byte key;
    - ``key.unavailable``: the key file cannot be read or created.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class GrantRejected(ApprovalError):
    """A grant that :meth:`ApprovalBook.redeem` refuses; ``code`` is one of
    :data:`REJECTION_CODES`. The runtime logs it and decides the action without approval."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        grant_id: str | None = None,
        approval_id: str | None = None,
    ) -> None:
        super().__init__(code, message)
        self.grant_id = grant_id
        self.approval_id = approval_id


# -- the fingerprint of an action -----------------------------------------------------------------

FINGERPRINT_EXCLUDED = (
    "action_id",
    "approval",
    "session.actions",
    "session.recent_denials",
    "session.alerts",
    "session.terminated",
)
"""The fields of an action left out of its fingerprint: those that differ between two requests of
the same action (its id, and the state the runtime supplies). Every other field is bound."""


def fingerprint(action: Action) -> str:
    """The SHA-256 (hex) of the action's canonical JSON without :data:`FINGERPRINT_EXCLUDED`.

    Canonical JSON: every field of the model (absent ones as their defaults), keys sorted, no
    whitespace, non-ASCII escaped. Two requests of the same action have the same fingerprint;
    a change to any bound field (type, agent, session id, resource, command, tool and its input,
    URL, method, payload, cwd, workspace, branch, home, environment, classification, risk signals,
    permissions) gives another.
    """
    data = action.model_dump(mode="json")
    for name in FINGERPRINT_EXCLUDED:
        holder = data
        *parents, last = name.split(".")
        for p in parents:
            holder = holder[p]
        holder.pop(last, None)
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(_FINGERPRINT_DOMAIN + text.encode("ascii")).hexdigest()


# -- records --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PendingApproval:
    """An approval request, in any status (``pending`` until someone decides it or it expires)."""

    id: str
    fingerprint: str
    rule_ids: tuple[str, ...]
    approver_role: str
    status: str
    requested_at: float
    expires_at: float
    decision_id: str
    action_id: str
    reason: str
    summary: dict[str, str]
    decided_at: float | None = None
    decided_by: str | None = None
    grant_id: str | None = None
    grant_expires_at: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "approver_role": self.approver_role,
            "rule_ids": list(self.rule_ids),
            "fingerprint": self.fingerprint,
            "requested_at": self.requested_at,
            "expires_at": self.expires_at,
            "decision_id": self.decision_id,
            "action_id": self.action_id,
            "reason": self.reason,
            "summary": dict(self.summary),
            "decided_at": self.decided_at,
            "decided_by": self.decided_by,
            "grant_id": self.grant_id,
            "grant_expires_at": self.grant_expires_at,
        }


@dataclass(frozen=True)
class Grant:
    """A signed permission to run one action (by fingerprint) once the approver role approved it.

    ``signature`` is the hex HMAC-SHA256, under the key ``key_id`` names, of
    :meth:`signed_bytes`: every other field, as canonical JSON.
    """

    id: str
    approval_id: str
    fingerprint: str
    rule_ids: tuple[str, ...]
    role: str
    approver: str
    issued_at: float
    expires_at: float
    nonce: str
    single_use: bool
    key_id: str
    signature: str = ""

    def payload(self) -> dict[str, Any]:
        """The signed fields, under their names in the token."""
        return {
            "v": GRANT_VERSION,
            "grant_id": self.id,
            "approval_id": self.approval_id,
            "fingerprint": self.fingerprint,
            "rule_ids": list(self.rule_ids),
            "role": self.role,
            "approver": self.approver,
            "issued_at": self.issued_at,
            "expires_at": self.expires_at,
            "nonce": self.nonce,
            "single_use": self.single_use,
            "key_id": self.key_id,
        }

    def payload_bytes(self) -> bytes:
        return _canonical(self.payload())

    def signed_bytes(self) -> bytes:
        return _SIGNATURE_DOMAIN + self.payload_bytes()

    def token(self) -> str:
        """The grant as one URL-safe line: ``pcg1.<base64url payload>.<base64url signature>``."""
        try:
            signature = bytes.fromhex(self.signature)
        except ValueError:
            signature = b""
        return f"{TOKEN_PREFIX}.{_b64(self.payload_bytes())}.{_b64(signature)}"


def _canonical(value: Any) -> bytes:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    ).encode("ascii")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    if not re.fullmatch(r"[A-Za-z0-9_-]*", text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# -- the key --------------------------------------------------------------------------------------


def key_id(key: bytes) -> str:
    """A short public name of a key (a hash of it), recorded in each grant it signs."""
    return hashlib.sha256(_KEY_ID_DOMAIN + key).hexdigest()[:16]


def load_or_create_key(path: str | os.PathLike[str]) -> bytes:
    """The approval key at ``path``, created (32 bytes from :mod:`secrets`, owner-only) if there
    is none.

    The key is written to a private temporary file, then published with a hard link, which fails
    if the key already exists: processes racing to create it all end with the one key that won,
    and no process ever reads a half-written key. A key file that group or others may read or
    write is refused (``key.insecure``).
    """
    path = Path(path)
    for _ in range(200):
        try:
            return _read_key(path)
        except FileNotFoundError:
            _create_key(path)
        except _ShortKey:
            time.sleep(0.005)  # a key being written by the fallback path: wait for it
    raise ApprovalError("key.invalid", f"{path}: the approval key file is empty or truncated")


class _ShortKey(Exception):
    pass


def _read_key(path: Path) -> bytes:
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise ApprovalError(
                "key.invalid", f"{path}: the approval key file is a symbolic link; refusing it"
            ) from None
        raise ApprovalError(
            "key.unavailable", f"{path}: cannot read the approval key: {e.strerror or e}"
        ) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ApprovalError("key.invalid", f"{path}: the approval key is not a regular file")
        if os.name == "posix" and st.st_mode & 0o077:
            mode = stat.S_IMODE(st.st_mode)
            raise ApprovalError(
                "key.insecure",
                f"{path}: the approval key file is readable or writable by group or others "
                f"(mode {mode:04o}); refusing to use it. Make it owner-only (chmod 600 {path}), "
                "or remove it to create a new key (which voids every grant issued so far)",
            )
        chunks: list[bytes] = []
        size = 0
        while size <= 4096:  # a key is 65 bytes: more is not a key, and is not read on
            chunk = os.read(fd, 4096)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as e:
        raise ApprovalError(
            "key.unavailable", f"{path}: cannot read the approval key: {e.strerror or e}"
        ) from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if not data:  # created but not yet written (only where hard links are not available)
        raise _ShortKey
    try:
        key = bytes.fromhex(data.decode("ascii").strip())
    except (UnicodeDecodeError, ValueError):
        key = b""
    if len(key) != KEY_BYTES:
        raise ApprovalError(
            "key.invalid",
            f"{path}: the approval key file does not hold a {KEY_BYTES}-byte key "
            f"({2 * KEY_BYTES} hexadecimal digits)",
        )
    return key


def _create_key(path: Path) -> None:
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        text = (secrets.token_bytes(KEY_BYTES).hex() + "\n").encode("ascii")
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(6)}.tmp")
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(tmp, flags | getattr(os, "O_CLOEXEC", 0), 0o600)
        try:
            os.write(fd, text)
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)  # atomic, and fails if the key exists: one key wins
        except FileExistsError:
            pass
        except OSError:  # no hard links here: create the key itself, exclusively
            try:
                fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0), 0o600)
            except FileExistsError:
                pass
            else:
                try:
                    os.write(fd, text)
                    os.fsync(fd)
                finally:
                    os.close(fd)
        finally:
            os.unlink(tmp)
    except OSError as e:
        raise ApprovalError(
            "key.unavailable", f"{path}: cannot create the approval key: {e.strerror or e}"
        ) from None


# -- the book -------------------------------------------------------------------------------------

_APPROVAL_COLUMNS = (
    "id, fingerprint, rule_ids, approver_role, status, requested_at, expires_at, decision_id, "
    "action_id, reason, summary, decided_at, decided_by, grant_id, grant_expires_at"
)
_GRANT_COLUMNS = (
    "id, approval_id, fingerprint, rule_ids, role, approver, issued_at, expires_at, nonce, "
    "single_use, key_id, signature, used_at"
)


class ApprovalBook:
    """The approvals and grants of one state store, signed with the key at ``key_path``.

    ``expiry_seconds`` is how long a pending approval waits for a decision, and how long a grant
    stays valid once issued. ``single_use`` grants let one action through; otherwise a grant lets
    the same action through until it expires. ``clock`` gives wall-clock seconds.

    The constructor creates the tables (its own transaction): build the book outside the
    runtime's write transaction, then call :meth:`request` and :meth:`redeem` inside it.
    """

    def __init__(
        self,
        store: StateStore,
        *,
        key_path: str | os.PathLike[str],
        expiry_seconds: float = 3600,
        single_use: bool = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not (expiry_seconds > 0 and math.isfinite(expiry_seconds)):
            raise ValueError("expiry_seconds must be a positive number of seconds")
        self.store = store
        self.key_path = Path(key_path)
        self.expiry_seconds = float(expiry_seconds)
        self.single_use = single_use
        self.clock = clock
        self._key: bytes | None = None
        self._key_lock = threading.Lock()
        store.ensure("approvals", APPROVALS_SCHEMA)

    @classmethod
    def in_folder(cls, folder: str | os.PathLike[str], **options: Any) -> ApprovalBook:
        """The book of the state folder ``folder``: its ``state.db`` and ``approvals.key``."""
        return cls(StateStore.in_folder(folder), key_path=Path(folder) / KEY_FILE_NAME, **options)

    def _now(self) -> float:
        return float(self.clock())

    def key(self) -> bytes:
        """The signing key, read (or created) on first use."""
        if self._key is None:
            with self._key_lock:
                if self._key is None:
                    self._key = load_or_create_key(self.key_path)
        return self._key

    # -- requests ------------------------------------------------------------------------------

    def request(
        self, conn: sqlite3.Connection, action: Action, decision: Decision
    ) -> PendingApproval:
        """Record that ``action`` waits for approval (inside the runtime's write transaction on
        ``conn``). A pending, unexpired approval of the same action, rules and role is returned
        instead of a new one."""
        if decision.decision != "require_approval":
            raise ApprovalError(
                "approval.invalid",
                f"only a require_approval decision asks for approval (got {decision.decision})",
            )
        role = decision.approver_role
        if not role:
            raise ApprovalError("approval.invalid", "the decision names no approver role")
        rule_ids = tuple(
            sorted({o.policy_id for o in decision.outcomes if o.effect == "require_approval"})
        ) or tuple(decision.policy_ids)
        fp = fingerprint(action)
        now = self._now()
        rules_json = json.dumps(list(rule_ids))
        row = conn.execute(
            f"SELECT {_APPROVAL_COLUMNS} FROM approvals WHERE fingerprint = ? AND status = "
            "'pending' AND expires_at > ? AND approver_role = ? AND rule_ids = ? "
            "ORDER BY requested_at DESC, id DESC LIMIT 1",
            (fp, now, role, rules_json),
        ).fetchone()
        if row is not None:
            return _approval(row, now)
        pending = PendingApproval(
            id=new_id("apr_"),
            fingerprint=fp,
            rule_ids=rule_ids,
            approver_role=role,
            status="pending",
            requested_at=now,
            expires_at=now + self.expiry_seconds,
            decision_id=decision.decision_id,
            action_id=action.action_id,
            reason=_short(decision.reason, _REASON_TEXT),
            summary=summarize(action, decision),
        )
        conn.execute(
            "INSERT INTO approvals (id, fingerprint, rule_ids, approver_role, status, "
            "requested_at, expires_at, decision_id, action_id, reason, summary) "
            "VALUES (?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?)",
            (
                pending.id,
                fp,
                rules_json,
                role,
                pending.requested_at,
                pending.expires_at,
                pending.decision_id,
                pending.action_id,
                pending.reason,
                json.dumps(pending.summary, sort_keys=True),
            ),
        )
        return pending

    # -- reading -------------------------------------------------------------------------------

    def list(self, status: str | None = None) -> builtins.list[PendingApproval]:
        """The approvals, oldest first; with ``status``, only those in it (see :data:`STATUSES`)."""
        now = self._now()
        where, params = _status_filter(status, now)
        with self.store.read() as conn:
            rows = conn.execute(
                f"SELECT {_APPROVAL_COLUMNS} FROM approvals {where} ORDER BY requested_at, id",
                params,
            ).fetchall()
        return [_approval(r, now) for r in rows]

    def get(self, approval_id: str) -> PendingApproval | None:
        """The approval ``approval_id``, or None if there is none."""
        now = self._now()
        with self.store.read() as conn:
            row = conn.execute(
                f"SELECT {_APPROVAL_COLUMNS} FROM approvals WHERE id = ?", (approval_id,)
            ).fetchone()
        return None if row is None else _approval(row, now)

    def grant(self, grant_id: str) -> Grant | None:
        """The stored grant ``grant_id``, or None."""
        with self.store.read() as conn:
            row = conn.execute(
                f"SELECT {_GRANT_COLUMNS} FROM approval_grants WHERE id = ?", (grant_id,)
            ).fetchone()
        return None if row is None else _grant_row(row)[0]

    # -- decisions -----------------------------------------------------------------------------

    def approve(self, approval_id: str, *, approver: str, role: str) -> Grant:
        """Approve a pending approval as ``approver`` in ``role`` (which must be its approver
        role): issues, stores and returns the signed grant."""
        approver, role = _person(approver, role)
        key = self.key()  # before the transaction: creating the key takes no lock on the store
        with self.store.write() as conn:
            now = self._now()
            pending = self._decidable(conn, approval_id, role, now)
            grant = _sign(
                Grant(
                    id=new_id("grt_"),
                    approval_id=pending.id,
                    fingerprint=pending.fingerprint,
                    rule_ids=pending.rule_ids,
                    role=role,
                    approver=approver,
                    issued_at=now,
                    expires_at=now + self.expiry_seconds,
                    nonce=secrets.token_urlsafe(16),
                    single_use=self.single_use,
                    key_id=key_id(key),
                ),
                key,
            )
            _insert_grant(conn, grant)
            conn.execute(
                "UPDATE approvals SET status = 'approved', decided_at = ?, decided_by = ?, "
                "decided_role = ?, grant_id = ?, grant_expires_at = ? WHERE id = ?",
                (now, approver, role, grant.id, grant.expires_at, pending.id),
            )
        return grant

    def deny(self, approval_id: str, *, approver: str, role: str) -> PendingApproval:
        """Deny a pending approval as ``approver`` in ``role`` (its approver role)."""
        approver, role = _person(approver, role)
        with self.store.write() as conn:
            now = self._now()
            pending = self._decidable(conn, approval_id, role, now)
            conn.execute(
                "UPDATE approvals SET status = 'denied', decided_at = ?, decided_by = ?, "
                "decided_role = ? WHERE id = ?",
                (now, approver, role, pending.id),
            )
        return replace(pending, status="denied", decided_at=now, decided_by=approver)

    def _decidable(
        self, conn: sqlite3.Connection, approval_id: str, role: str, now: float
    ) -> PendingApproval:
        row = conn.execute(
            f"SELECT {_APPROVAL_COLUMNS} FROM approvals WHERE id = ?", (approval_id,)
        ).fetchone()
        if row is None:
            raise ApprovalError("approval.unknown", f"there is no approval {approval_id}")
        pending = _approval(row, now)
        if pending.status == "expired" and pending.decided_at is None:
            raise ApprovalError(
                "approval.expired",
                f"approval {approval_id} expired at {iso(pending.expires_at)} before anyone "
                "decided it",
            )
        if pending.status != "pending":
            raise ApprovalError(
                "approval.decided",
                f"approval {approval_id} was already decided ({pending.status}"
                + (f" by {pending.decided_by}" if pending.decided_by else "")
                + ")",
            )
        if role != pending.approver_role:
            raise ApprovalError(
                "approval.role_mismatch",
                f"approval {approval_id} needs the role {pending.approver_role!r}, not {role!r}",
            )
        return pending

    # -- grants --------------------------------------------------------------------------------

    def parse_token(self, token: str) -> Grant:
        """The grant a token holds (see :meth:`Grant.token`). Checks its form only, not its
        signature: :meth:`redeem` and :meth:`verify` do. A malformed token is ``grant.forged``."""
        return parse_token(token)

    def verify(self, grant: Grant) -> None:
        """Raise ``grant.forged`` unless ``grant`` is signed with this book's key."""
        key = self.key()
        if not hmac.compare_digest(grant.key_id.encode(), key_id(key).encode()):
            raise GrantRejected(
                "grant.forged",
                f"grant {grant.id} is signed with another key ({grant.key_id})",
                grant_id=grant.id,
                approval_id=grant.approval_id,
            )
        expected = hmac.new(key, grant.signed_bytes(), hashlib.sha256).hexdigest()
        if not (
            _HEX64.fullmatch(grant.signature)
            and hmac.compare_digest(expected.encode(), grant.signature.encode())
        ):
            raise GrantRejected(
                "grant.forged",
                f"grant {grant.id} has a bad signature (a field or the signature was changed)",
                grant_id=grant.id,
                approval_id=grant.approval_id,
            )

    def redeem(
        self,
        conn: sqlite3.Connection,
        action: Action,
        token: str | None = None,
        *,
        decision: Decision | None = None,
    ) -> Approval | None:
        """The approval of ``action``, from a grant (inside the runtime's write transaction).

        With ``token``, the grant it holds is checked; without, the grants stored for the
        action's fingerprint are, newest first, and the first valid one is used. The grant must
        carry a good signature under this book's key and match a grant this store issued
        (``grant.forged``, ``grant.unknown``), be for this action (``grant.action_mismatch``),
        unused if single-use (``grant.replayed``), unexpired (``grant.expired``), and for the
        approval's approver role (``grant.role_mismatch``). Given ``decision`` (the decision for
        the action without approval), the grant must also be for its approver role and cover its
        require_approval rules (``grant.rule_mismatch``); a decision that is not
        require_approval is not lifted by any grant (None, nothing consumed).

        Returns the granted :class:`Approval` after marking the grant used; None when there is
        no grant to check; raises :class:`GrantRejected` for a grant that fails (the first
        failure of the newest grant when none is valid). A key that cannot be used raises
        :class:`ApprovalError` (``key.*``).
        """
        if decision is not None and decision.decision != "require_approval":
            return None
        fp = fingerprint(action)
        now = self._now()
        if token is not None:
            grant = parse_token(token)
            self.verify(grant)
            row = conn.execute(
                f"SELECT {_GRANT_COLUMNS} FROM approval_grants WHERE id = ?", (grant.id,)
            ).fetchone()
            if row is None:
                raise GrantRejected(
                    "grant.unknown",
                    f"grant {grant.id} was not issued by this state store",
                    grant_id=grant.id,
                    approval_id=grant.approval_id,
                )
            stored, used_at = _grant_row(row)
            if stored != grant:
                raise GrantRejected(
                    "grant.forged",
                    f"grant {grant.id} differs from the grant this store issued",
                    grant_id=grant.id,
                    approval_id=grant.approval_id,
                )
            candidates: list[tuple[Grant | GrantRejected, float | None]] = [(grant, used_at)]
        else:
            rows = conn.execute(
                f"SELECT {_GRANT_COLUMNS} FROM approval_grants WHERE fingerprint = ? "
                "ORDER BY issued_at DESC, id DESC",
                (fp,),
            ).fetchall()
            if not rows:
                return None
            candidates = []
            for row in rows:
                try:
                    candidates.append(_grant_row(row))
                except GrantRejected as e:
                    candidates.append((e, None))
        first: GrantRejected | None = None
        for candidate, used_at in candidates:
            try:
                if isinstance(candidate, GrantRejected):
                    raise candidate
                self._check(conn, candidate, used_at, fp, now, decision)
                return self._use(conn, candidate, action, now)
            except GrantRejected as e:
                first = first or e
        assert first is not None
        raise first

    def _check(
        self,
        conn: sqlite3.Connection,
        grant: Grant,
        used_at: float | None,
        fp: str,
        now: float,
        decision: Decision | None,
    ) -> None:
        def reject(code: str, message: str) -> GrantRejected:
            return GrantRejected(
                code,
                f"grant {grant.id}: {message}",
                grant_id=grant.id,
                approval_id=grant.approval_id,
            )

        self.verify(grant)
        row = conn.execute(
            "SELECT approver_role, grant_id FROM approvals WHERE id = ?", (grant.approval_id,)
        ).fetchone()
        if row is None or row[1] != grant.id:
            raise reject("grant.forged", "its approval did not issue it")
        if not hmac.compare_digest(grant.fingerprint.encode(), fp.encode()):
            raise reject("grant.action_mismatch", "it was granted for another action")
        if grant.single_use and used_at is not None:
            raise reject("grant.replayed", f"it was already used at {iso(used_at)}")
        if now >= grant.expires_at:
            raise reject("grant.expired", f"it expired at {iso(grant.expires_at)}")
        if grant.role != row[0]:
            raise reject(
                "grant.role_mismatch",
                f"it was granted by the role {grant.role!r}; the approval needs {row[0]!r}",
            )
        if decision is not None:
            if decision.approver_role != grant.role:
                raise reject(
                    "grant.role_mismatch",
                    f"it was granted by the role {grant.role!r}; the decision needs "
                    f"{decision.approver_role!r}",
                )
            needed = {o.policy_id for o in decision.outcomes if o.effect == "require_approval"}
            missing = sorted(needed - set(grant.rule_ids))
            if missing:
                raise reject("grant.rule_mismatch", f"it does not cover {', '.join(missing)}")

    def _use(self, conn: sqlite3.Connection, grant: Grant, action: Action, now: float) -> Approval:
        if grant.single_use:
            cursor = conn.execute(
                "UPDATE approval_grants SET used_at = ?, uses = uses + 1, last_action_id = ? "
                "WHERE id = ? AND used_at IS NULL",
                (now, action.action_id, grant.id),
            )
            if cursor.rowcount != 1:
                raise GrantRejected(
                    "grant.replayed",
                    f"grant {grant.id}: it was already used",
                    grant_id=grant.id,
                    approval_id=grant.approval_id,
                )
            conn.execute("UPDATE approvals SET status = 'used' WHERE id = ?", (grant.approval_id,))
        else:
            conn.execute(
                "UPDATE approval_grants SET used_at = COALESCE(used_at, ?), uses = uses + 1, "
                "last_action_id = ? WHERE id = ?",
                (now, action.action_id, grant.id),
            )
        return Approval(
            granted=True, approval_id=grant.approval_id, approver=grant.approver, role=grant.role
        )


# -- helpers --------------------------------------------------------------------------------------


def parse_token(token: str) -> Grant:
    """The grant a token holds; ``grant.forged`` when the token is malformed or not canonical."""

    def bad(why: str) -> GrantRejected:
        return GrantRejected("grant.forged", f"the token is not a well-formed grant: {why}")

    if not isinstance(token, str) or len(token) > _MAX_TOKEN:
        raise bad("too long" if isinstance(token, str) else "not a string")
    parts = token.strip().split(".")
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        raise bad(f"expected {TOKEN_PREFIX}.<payload>.<signature>")
    try:
        raw = _unb64(parts[1])
        signature = _unb64(parts[2])
        data = json.loads(raw.decode("ascii"))
    except (ValueError, UnicodeDecodeError, binascii.Error, RecursionError):
        raise bad("undecodable") from None
    if not isinstance(data, dict):
        raise bad("the payload is not an object")
    expected = set(Grant("", "", "", (), "", "", 0.0, 0.0, "", False, "").payload())
    if set(data) != expected or data.get("v") != GRANT_VERSION:
        raise bad("unexpected fields or version")
    strings = ("grant_id", "approval_id", "fingerprint", "role", "approver", "nonce", "key_id")
    if not all(isinstance(data[k], str) for k in strings):
        raise bad("a field has the wrong type")
    rules = data["rule_ids"]
    if not (isinstance(rules, list) and all(isinstance(r, str) for r in rules)):
        raise bad("rule_ids is not a list of strings")
    times = (data["issued_at"], data["expires_at"])
    if not all(isinstance(t, float) for t in times) or not isinstance(data["single_use"], bool):
        raise bad("a field has the wrong type")
    grant = Grant(
        id=data["grant_id"],
        approval_id=data["approval_id"],
        fingerprint=data["fingerprint"],
        rule_ids=tuple(rules),
        role=data["role"],
        approver=data["approver"],
        issued_at=data["issued_at"],
        expires_at=data["expires_at"],
        nonce=data["nonce"],
        single_use=data["single_use"],
        key_id=data["key_id"],
        signature=signature.hex(),
    )
    try:
        canonical = grant.payload_bytes()
    except ValueError:
        raise bad("not canonical") from None
    if canonical != raw:
        raise bad("not canonical")
    return grant


def _sign(grant: Grant, key: bytes) -> Grant:
    signature = hmac.new(key, grant.signed_bytes(), hashlib.sha256).hexdigest()
    return replace(grant, signature=signature)


def _insert_grant(conn: sqlite3.Connection, grant: Grant) -> None:
    conn.execute(
        f"INSERT INTO approval_grants ({_GRANT_COLUMNS}) VALUES "
        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
        (
            grant.id,
            grant.approval_id,
            grant.fingerprint,
            json.dumps(list(grant.rule_ids)),
            grant.role,
            grant.approver,
            grant.issued_at,
            grant.expires_at,
            grant.nonce,
            int(grant.single_use),
            grant.key_id,
            grant.signature,
        ),
    )


def _grant_row(row: tuple[Any, ...]) -> tuple[Grant, float | None]:
    """A stored grant and when it was used; ``grant.forged`` for a row that is not well formed."""
    try:
        rules = json.loads(row[3])
        if not (isinstance(rules, list) and all(isinstance(r, str) for r in rules)):
            raise ValueError("rule_ids")
        if not all(isinstance(row[i], str) for i in (0, 1, 2, 4, 5, 8, 10, 11)):
            raise ValueError("types")
        if not all(isinstance(row[i], float | int) for i in (6, 7)) or row[9] not in (0, 1):
            raise ValueError("types")
        grant = Grant(
            id=row[0],
            approval_id=row[1],
            fingerprint=row[2],
            rule_ids=tuple(rules),
            role=row[4],
            approver=row[5],
            issued_at=float(row[6]),
            expires_at=float(row[7]),
            nonce=row[8],
            single_use=bool(row[9]),
            key_id=row[10],
            signature=row[11],
        )
    except (ValueError, TypeError, RecursionError):
        raise GrantRejected(
            "grant.forged", f"grant {row[0]!s:.60}: the stored grant is malformed"
        ) from None
    used_at = row[12]
    return grant, (float(used_at) if used_at is not None else None)


def _approval(row: tuple[Any, ...], now: float) -> PendingApproval:
    status = row[4]
    if (status == "pending" and now >= row[6]) or (
        status == "approved" and row[14] is not None and now >= row[14]
    ):
        status = "expired"
    try:
        summary = json.loads(row[10])
    except ValueError:
        summary = {}
    return PendingApproval(
        id=row[0],
        fingerprint=row[1],
        rule_ids=tuple(json.loads(row[2])),
        approver_role=row[3],
        status=status,
        requested_at=row[5],
        expires_at=row[6],
        decision_id=row[7],
        action_id=row[8],
        reason=row[9],
        summary=summary if isinstance(summary, dict) else {},
        decided_at=row[11],
        decided_by=row[12],
        grant_id=row[13],
        grant_expires_at=row[14],
    )


def _status_filter(status: str | None, now: float) -> tuple[str, tuple[Any, ...]]:
    if status is None:
        return "", ()
    if status == "pending":
        return "WHERE status = 'pending' AND expires_at > ?", (now,)
    if status == "approved":
        return "WHERE status = 'approved' AND grant_expires_at > ?", (now,)
    if status == "expired":
        return (
            "WHERE (status = 'pending' AND expires_at <= ?) "
            "OR (status = 'approved' AND grant_expires_at <= ?)",
            (now, now),
        )
    if status in ("denied", "used"):
        return "WHERE status = ?", (status,)
    raise ApprovalError(
        "approval.invalid", f"unknown status {status!r} (expected one of {', '.join(STATUSES)})"
    )


def _person(approver: str, role: str) -> tuple[str, str]:
    approver, role = (approver or "").strip(), (role or "").strip()
    if not approver:
        raise ApprovalError("approval.invalid", "the approver's name is empty")
    if not role:
        raise ApprovalError("approval.invalid", "the approver's role is empty")
    return approver, role


def summarize(action: Action, decision: Decision) -> dict[str, str]:
    """A short summary of the action for the approver: its main fields, each cut to 200
    characters, with the decision's redactions applied and every secret the detectors find in
    any field replaced by its marker. Never a raw secret."""
    from policyc.decision.decide import Scrubber, redact_action
    from policyc.normalize.facts import normalize_action

    data = redact_action(action, decision.redactions)
    scrub = Scrubber(action, normalize_action(action).findings)
    scrub.detect = True
    tool = data.get("tool") or {}
    fields: Iterable[tuple[str, Any]] = (
        ("action_type", data.get("action_type")),
        ("agent", (data.get("agent") or {}).get("id")),
        ("session", (data.get("session") or {}).get("id")),
        ("path", (data.get("resource") or {}).get("path")),
        ("command", data.get("command")),
        ("tool", tool.get("name")),
        ("tool_input", json.dumps(tool["input"], sort_keys=True) if tool.get("input") else None),
        ("method", data.get("method")),
        ("url", data.get("url")),
        ("cwd", data.get("cwd")),
        ("environment", data.get("environment")),
        ("payload", data.get("payload")),
    )
    return {k: _short(scrub.text(str(v)), _SUMMARY_TEXT) for k, v in fields if v}


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def iso(seconds: float) -> str:
    """Wall-clock seconds as ISO 8601 UTC, to the second."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


__all__ = [
    "APPROVALS_SCHEMA",
    "FINGERPRINT_EXCLUDED",
    "KEY_FILE_NAME",
    "REJECTION_CODES",
    "STATUSES",
    "ApprovalBook",
    "ApprovalError",
    "Grant",
    "GrantRejected",
    "PendingApproval",
    "fingerprint",
    "iso",
    "key_id",
    "load_or_create_key",
    "parse_token",
    "summarize",
]
