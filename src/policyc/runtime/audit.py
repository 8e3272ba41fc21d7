"""The audit log: every decision, hash-chained and scrubbed of secrets, in the state store.

Each decision the runtime makes is appended as one entry. An entry's ``body`` is canonical JSON
(keys sorted, no whitespace, UTF-8) of::

    {"schema": "policyc.audit/1", "seq": N, "decision_id": …, "recorded_at": …,
     "action": <the redacted action, or null>, "decision": <Decision.to_dict()>,
     "prev_hash": <the hash of entry N-1, 64 zeros for entry 1>}

and its ``hash`` is the SHA-256 of those bytes, in lower-case hex. Each body names the hash of
the entry before it, so changing, removing, adding or moving an entry breaks the chain at that
entry; a head row (entry count and last hash), written in the same transaction as each entry,
catches a tail cut off. :meth:`AuditLog.verify` walks the chain and names the first bad entry.
What the chain cannot catch: whoever can write the database file can rewrite every entry and the
head consistently. Compare the head hash with a copy kept elsewhere (``verify --expect-head``).

Defence in depth: before an entry is stored, every string of the action and of the decision
(values and keys) is scanned by the secret detectors and each finding is replaced by its marker,
as is a structured value held under a secret-looking name (``{"password": "…"}``). No raw secret
reaches the database, even when the caller passes an action it did not redact. All the strings
are scanned in one pass, joined with a separator no detector matches across; only the strings a
finding touches are then scanned one by one and redacted, so the scan runs on decoded strings and
JSON escaping cannot hide or split a secret.

Appending costs one read of the head, one ``INSERT`` and one ``UPDATE``; the scrubbing and the
serialisation of the action and the decision happen before the write transaction
(:meth:`AuditLog.prepare`), so the store's write lock is held only to chain the entry.

The store is the runtime's SQLite database (:mod:`policyc.runtime.store`); docs/audit.md has the
format, the guarantees and the command line (``policyc audit``).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import sqlite3
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from policyc.runtime.config import DEFAULT_STATE_DIR
from policyc.runtime.store import DATABASE_NAME, StateStore, StoreError

if TYPE_CHECKING:
    from policyc.decision.record import Decision

__all__ = [
    "AUDIT_SCHEMA",
    "DEFAULT_STATE_DIR",
    "ENTRY_SCHEMA",
    "GENESIS_HASH",
    "TAMPER_KINDS",
    "AuditEntry",
    "AuditLog",
    "PreparedEntry",
    "VerifyReport",
    "canonical_json",
    "open_audit_log",
    "parse_time",
]

"""The runtime's state folder, relative to the current directory, when none is named."""

ENTRY_SCHEMA = "policyc.audit/1"
GENESIS_HASH = "0" * 64
"""The ``prev_hash`` of the first entry."""

TAMPER_KINDS = ("edited", "deleted", "inserted", "reordered", "truncated", "malformed")

AUDIT_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS audit_entries (
    seq INTEGER PRIMARY KEY,
    decision_id TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    session_id TEXT,
    agent_id TEXT,
    decision TEXT NOT NULL,
    policy_ids TEXT NOT NULL,
    decided_at TEXT NOT NULL,
    body BLOB NOT NULL,
    hash TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS audit_entries_decision_id ON audit_entries (decision_id);
CREATE INDEX IF NOT EXISTS audit_entries_session ON audit_entries (session_id, decided_at);
CREATE INDEX IF NOT EXISTS audit_entries_agent ON audit_entries (agent_id, decided_at);
CREATE INDEX IF NOT EXISTS audit_entries_decided_at ON audit_entries (decided_at);
CREATE TABLE IF NOT EXISTS audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    count INTEGER NOT NULL,
    hash TEXT NOT NULL
);
INSERT OR IGNORE INTO audit_head (id, count, hash)
    SELECT 1, 0, '{GENESIS_HASH}' WHERE NOT EXISTS (SELECT 1 FROM audit_entries)
"""
"""The audit log's tables. ``audit_entries``: one row per entry; ``seq`` is the position in the
chain, ``body`` and ``hash`` the chained record, the other columns copies of body fields for
search (``policy_ids``: the rules that fired, space-separated with a space at each end).
``audit_head``: one row, the number of entries and the hash of the last one. The head row is
created only while there is no entry: a log whose head row was deleted stays broken."""

_COLUMNS = (
    "seq, decision_id, recorded_at, session_id, agent_id, decision, policy_ids, decided_at, "
    "body, hash"
)
_INSERT = (
    "INSERT INTO audit_entries (seq, decision_id, recorded_at, session_id, agent_id, decision, "
    "policy_ids, decided_at, body, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_HEAD = "SELECT count, hash FROM audit_head WHERE id = 1"
_UPDATE_HEAD = "UPDATE audit_head SET count = ?, hash = ? WHERE id = 1"

_ENCODER = json.JSONEncoder(
    ensure_ascii=False, allow_nan=False, sort_keys=True, separators=(",", ":")
)
_HEX64 = re.compile(r"[0-9a-f]{64}")
_BODY_KEYS = frozenset(
    {"schema", "seq", "decision_id", "recorded_at", "action", "decision", "prev_hash"}
)


def canonical_json(value: Any) -> bytes:
    """``value`` as canonical JSON: keys sorted, no whitespace, UTF-8. A lone surrogate (which a
    JSON ``\\uXXXX`` escape can hold) is written as that escape."""
    return _ENCODER.encode(value).encode("utf-8", "backslashreplace")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _utc_text(moment: datetime) -> str:
    """A moment as fixed-width UTC ISO 8601 (``2025-01-31T12:00:00.000000Z``): the text order is
    the time order."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def parse_time(value: str | datetime) -> str:
    """An ISO 8601 date or time (``2025-01-31``, ``2025-01-31T12:00``, ``…Z``, ``…+02:00``) as
    the text the log stores; a time without offset is UTC. Raises ``ValueError``."""
    if isinstance(value, datetime):
        return _utc_text(value)
    text = value.strip()
    try:
        return _utc_text(datetime.fromisoformat(text))
    except ValueError:
        raise ValueError(f"not an ISO 8601 date or time: {value!r}") from None


# --- entries ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One entry of the log. ``body`` is the exact bytes that were hashed."""

    seq: int
    decision_id: str
    recorded_at: str
    session_id: str | None
    agent_id: str | None
    decision: str  # the effective decision: allow, alert, redact, require_approval, deny, terminate
    policy_ids: tuple[str, ...]  # the rules that fired (not only those that decided)
    decided_at: str  # the decision's timestamp, UTC
    hash: str
    body: bytes

    def content(self) -> dict[str, Any]:
        """The body, parsed."""
        data: dict[str, Any] = json.loads(self.body)
        return data

    @property
    def prev_hash(self) -> str:
        return str(self.content()["prev_hash"])

    def action(self) -> dict[str, Any] | None:
        """The action as logged (redacted), or None when the action was invalid."""
        action: dict[str, Any] | None = self.content()["action"]
        return action

    def to_decision(self) -> Decision:
        """The decision record as logged."""
        from policyc.decision.record import Decision

        return Decision.model_validate(self.content()["decision"])

    def hash_ok(self) -> bool:
        """Whether the body still hashes to the stored hash (this entry alone; the chain is
        checked by :meth:`AuditLog.verify`)."""
        return _sha256(self.body) == self.hash

    def jsonl(self) -> bytes:
        """The export line, without its newline: ``{"body":BODY,"hash":"HASH"}``, the body's
        bytes verbatim, so that the SHA-256 of the bytes between ``{"body":`` and
        ``,"hash":"…"}`` is the hash."""
        return b'{"body":' + self.body + b',"hash":"' + self.hash.encode("ascii") + b'"}'


def _entry(row: tuple[Any, ...]) -> AuditEntry:
    seq, decision_id, recorded_at, session_id, agent_id, decision, policy_ids, decided_at = row[:8]
    body, hash_ = row[8], row[9]
    return AuditEntry(
        seq=seq,
        decision_id=decision_id,
        recorded_at=recorded_at,
        session_id=session_id,
        agent_id=agent_id,
        decision=decision,
        policy_ids=tuple(str(policy_ids or "").split()),
        decided_at=decided_at,
        hash=str(hash_),
        body=_as_bytes(body),
    )


def _as_bytes(body: Any) -> bytes:
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):  # a body edited by hand as text
        return body.encode("utf-8", "surrogatepass")
    return b"" if body is None else str(body).encode("utf-8")


@dataclass(frozen=True, slots=True)
class PreparedEntry:
    """An entry scrubbed and serialised, waiting for its place in the chain (``seq``,
    ``prev_hash``, ``recorded_at``), which :meth:`AuditLog.append` gives it inside the write
    transaction."""

    decision_id: str
    action_json: str  # canonical JSON of the scrubbed action (``null`` if none)
    decision_json: str  # canonical JSON of the scrubbed decision
    session_id: str | None
    agent_id: str | None
    decision: str
    policy_ids: str  # " id1 id2 " (search column)
    decided_at: str


def _search_columns(action: Any, decision: Any) -> tuple[str | None, str | None, str, str, str]:
    """(session id, agent id, decision, policy ids, decided at) of a body's action and decision;
    the same function fills the columns and checks them. Raises on a malformed body."""
    session_id = agent_id = None
    if isinstance(action, dict):
        session, agent = action.get("session"), action.get("agent")
        if isinstance(session, dict) and isinstance(session.get("id"), str):
            session_id = session["id"]
        if isinstance(agent, dict) and isinstance(agent.get("id"), str):
            agent_id = agent["id"]
    if not isinstance(decision, dict):
        raise ValueError("the decision is not an object")
    effect = decision["decision"]
    if not isinstance(effect, str):
        raise ValueError("the decision has no effect")
    fired: dict[str, None] = {}
    for pid in decision.get("policy_ids") or ():
        fired[str(pid)] = None
    for key in ("outcomes", "alerts"):
        for item in decision.get(key) or ():
            fired[str(item["policy_id"])] = None
    for item in decision.get("redactions") or ():
        for pid in item.get("policy_ids") or ():
            fired[str(pid)] = None
    policy_ids = " " + "".join(p + " " for p in fired if p and " " not in p)
    return session_id, agent_id, effect, policy_ids, parse_time(str(decision["timestamp"]))


# --- scrubbing ----------------------------------------------------------------------------------

# --- verification -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """What :meth:`AuditLog.verify` found.

    ``entries``: the entries found intact before the first bad one (all of them when ``ok``);
    ``head``: the head hash the log records (to keep elsewhere and pass as ``expect_head``
    later); ``first_bad``: the ``seq`` of the first bad entry (the missing one for ``deleted``,
    the first missing one for ``truncated``), None when the log is intact or when no single entry
    is to blame; ``kind``: one of :data:`TAMPER_KINDS`, None when ``ok``."""

    ok: bool
    entries: int
    head: str
    first_bad: int | None = None
    kind: str | None = None
    message: str = ""


@dataclass(slots=True)
class _Row:
    seq: Any  # the seq column
    hash: str  # the hash column
    computed: str  # sha256 of the body
    content: dict[str, Any] | None  # the body parsed, None if it is not a JSON object
    columns: tuple[Any, ...]  # decision_id, recorded_at, session_id, agent_id, decision, …

    @property
    def body_seq(self) -> int | None:
        seq = self.content.get("seq") if self.content is not None else None
        return seq if isinstance(seq, int) and not isinstance(seq, bool) else None

    @property
    def prev(self) -> str | None:
        prev = self.content.get("prev_hash") if self.content is not None else None
        return prev if isinstance(prev, str) else None

    @property
    def intact(self) -> bool:
        return self.computed == self.hash


def _row(raw: tuple[Any, ...]) -> _Row:
    body = _as_bytes(raw[8])
    content: dict[str, Any] | None
    try:
        parsed = json.loads(body)
        content = parsed if isinstance(parsed, dict) else None
    except (ValueError, RecursionError):
        content = None
    return _Row(raw[0], str(raw[9]), _sha256(body), content, tuple(raw[1:8]))


def _malformed(row: _Row) -> str | None:
    """Why an intact row's body is not an entry, or None."""
    c = row.content
    if c is None:
        return "its body is not a JSON object"
    if set(c) != _BODY_KEYS:
        return "its body does not have the fields of an entry"
    if c["schema"] != ENTRY_SCHEMA:
        return f"its body's schema is {c['schema']!r}, not {ENTRY_SCHEMA!r}"
    if row.body_seq is None or row.body_seq < 1:
        return "its body's seq is not a positive integer"
    if row.prev is None or not _HEX64.fullmatch(row.prev):
        return "its body's prev_hash is not a SHA-256 hash"
    if not isinstance(c["decision_id"], str) or not isinstance(c["recorded_at"], str):
        return "its body's decision_id or recorded_at is not a string"
    return None


def _column_mismatch(row: _Row) -> str | None:
    """Which search column of an intact, well-formed row disagrees with its body, or None."""
    c = row.content
    assert c is not None
    try:
        derived = (c["decision_id"], c["recorded_at"], *_search_columns(c["action"], c["decision"]))
    except (KeyError, TypeError, ValueError, AttributeError):
        return "malformed"
    names = (
        "decision_id",
        "recorded_at",
        "session_id",
        "agent_id",
        "decision",
        "policy_ids",
        "decided_at",
    )
    for name, stored, wanted in zip(names, row.columns, derived, strict=True):
        if stored != wanted:
            return name
    return None


class _Lookahead:
    def __init__(self, rows: Iterator[tuple[Any, ...]]) -> None:
        self._rows = rows
        self._next: _Row | None = None
        self._done = False

    def next(self) -> _Row | None:
        if self._next is not None:
            row, self._next = self._next, None
            return row
        return self._pull()

    def peek(self) -> _Row | None:
        if self._next is None:
            self._next = self._pull()
        return self._next

    def _pull(self) -> _Row | None:
        if self._done:
            return None
        raw = next(self._rows, None)
        if raw is None:
            self._done = True
            return None
        return _row(raw)


# --- the log ------------------------------------------------------------------------------------


class AuditLog:
    """The hash-chained audit log kept in ``store``.

    ``create=False`` opens an existing log only (for readers such as ``policyc audit``): it
    raises :class:`StoreError` ``audit.missing`` when the store holds no audit log, and writes
    nothing."""

    def __init__(self, store: StateStore, *, create: bool = True) -> None:
        self.store = store
        if create:
            store.ensure("audit", AUDIT_SCHEMA)
        else:
            with store.read() as conn:
                found = conn.execute(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'table' "
                    "AND name IN ('audit_entries', 'audit_head')"
                ).fetchone()[0]
            if found != 2:
                raise StoreError("audit.missing", f"{store.path} holds no audit log")

    def _scrub(self, value: Any) -> Any:
        from policyc.normalize.secrets import scrub_json  # writers only: readers never need it

        return scrub_json(value)

    # -- writing -------------------------------------------------------------------------------

    def prepare(self, decision: Decision, action: Mapping[str, Any] | None) -> PreparedEntry:
        """Scrub and serialise an entry, outside any transaction. Raises :class:`StoreError`
        ``audit.invalid`` when the action is not JSON."""
        try:
            action_data = None if action is None else self._scrub(dict(action))
            decision_data = self._scrub(decision.to_dict())
            action_json = _ENCODER.encode(action_data)
            decision_json = _ENCODER.encode(decision_data)
            columns = _search_columns(action_data, decision_data)
            decision_id = decision_data["decision_id"]
            if not isinstance(decision_id, str):
                raise TypeError("the decision has no decision_id")
        except (TypeError, ValueError, KeyError, RecursionError) as e:
            raise StoreError("audit.invalid", f"the entry cannot be logged: {e}") from e
        return PreparedEntry(decision_id, action_json, decision_json, *columns)

    def append(
        self,
        conn: sqlite3.Connection,
        decision: Decision | PreparedEntry,
        action: Mapping[str, Any] | None = None,
    ) -> AuditEntry:
        """Append an entry inside the caller's write transaction (``with store.write() as
        conn``), which commits it together with whatever else the caller wrote. ``action`` is
        the redacted action as JSON, None when it was invalid; a :class:`PreparedEntry` carries
        its own. Raises :class:`StoreError`; the caller's transaction is then rolled back."""
        prepared = (
            decision if isinstance(decision, PreparedEntry) else self.prepare(decision, action)
        )
        try:
            head = conn.execute(_HEAD).fetchone()
            if head is None:
                raise StoreError(
                    "audit.no_head",
                    f"{self.store.path}: the audit log's head row is missing; the log was "
                    "tampered with (run policyc audit verify)",
                )
            count, prev_hash = head
            seq = int(count) + 1
            recorded_at = _utc_text(datetime.now(UTC))
            text = (
                '{"action":'
                + prepared.action_json
                + ',"decision":'
                + prepared.decision_json
                + ',"decision_id":'
                + _ENCODER.encode(prepared.decision_id)
                + ',"prev_hash":"'
                + str(prev_hash)
                + '","recorded_at":"'
                + recorded_at
                + '","schema":"'
                + ENTRY_SCHEMA
                + '","seq":'
                + str(seq)
                + "}"
            )
            body = text.encode("utf-8", "backslashreplace")
            digest = _sha256(body)
            conn.execute(
                _INSERT,
                (
                    seq,
                    prepared.decision_id,
                    recorded_at,
                    prepared.session_id,
                    prepared.agent_id,
                    prepared.decision,
                    prepared.policy_ids,
                    prepared.decided_at,
                    body,
                    digest,
                ),
            )
            conn.execute(_UPDATE_HEAD, (seq, digest))
        except sqlite3.Error as e:
            raise StoreError("store.unavailable", f"{self.store.path}: {e}") from e
        return AuditEntry(
            seq=seq,
            decision_id=prepared.decision_id,
            recorded_at=recorded_at,
            session_id=prepared.session_id,
            agent_id=prepared.agent_id,
            decision=prepared.decision,
            policy_ids=tuple(prepared.policy_ids.split()),
            decided_at=prepared.decided_at,
            hash=digest,
            body=body,
        )

    def record(self, decision: Decision, action: Mapping[str, Any] | None) -> AuditEntry:
        """Append an entry in a transaction of its own (scrubbed before the write lock is
        taken)."""
        prepared = self.prepare(decision, action)
        with self.store.write() as conn:
            return self.append(conn, prepared)

    # -- reading -------------------------------------------------------------------------------

    def head(self) -> tuple[int, str] | None:
        """(number of entries, hash of the last one) as the head row records them."""
        with self.store.read() as conn:
            row = conn.execute(_HEAD).fetchone()
        return None if row is None else (int(row[0]), str(row[1]))

    def get(self, decision_id: str) -> AuditEntry | None:
        """The entry of a decision, or None."""
        with self.store.read() as conn:
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM audit_entries WHERE decision_id = ?", (decision_id,)
            ).fetchone()
        return None if row is None else _entry(row)

    def entries(self) -> Iterator[AuditEntry]:
        """Every entry in chain order, read from one snapshot, one at a time. The snapshot is a
        read transaction on this thread's connection until the iteration ends: consume it (or
        close it) before writing from the same thread."""
        with self.store.read() as conn:
            for row in conn.execute(f"SELECT {_COLUMNS} FROM audit_entries ORDER BY seq"):
                yield _entry(row)

    def search(
        self,
        *,
        session: str | None = None,
        agent: str | None = None,
        decision: str | None = None,
        policy_id: str | None = None,
        since: str | datetime | None = None,
        until: str | datetime | None = None,
        limit: int | None = None,
    ) -> list[AuditEntry]:
        """The entries matching every filter given, in chain order. ``policy_id``: a rule that
        fired (whether or not it decided); ``since`` (inclusive) and ``until`` (exclusive) bound
        the decision's timestamp (ISO 8601; UTC when no offset is given); ``limit``: at most
        that many, the first in chain order. Raises ``ValueError`` for a bad time or limit."""
        where: list[str] = []
        params: list[Any] = []
        for column, value in (("session_id", session), ("agent_id", agent), ("decision", decision)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if policy_id is not None:
            where.append("instr(policy_ids, ?) > 0")
            params.append(f" {policy_id} ")
        if since is not None:
            where.append("decided_at >= ?")
            params.append(parse_time(since))
        if until is not None:
            where.append("decided_at < ?")
            params.append(parse_time(until))
        sql = f"SELECT {_COLUMNS} FROM audit_entries"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY seq"
        if limit is not None:
            if limit < 0:
                raise ValueError("the limit must not be negative")
            sql += " LIMIT ?"
            params.append(limit)
        with self.store.read() as conn:
            return [_entry(row) for row in conn.execute(sql, params)]

    def export(self, stream: IO[Any], fmt: str = "jsonl") -> int:
        """Write every entry to ``stream`` (binary or text), one line each (see
        :meth:`AuditEntry.jsonl`), in chain order; the number written."""
        if fmt != "jsonl":
            raise ValueError(f"unknown export format {fmt!r} (expected jsonl)")
        binary = not isinstance(stream, io.TextIOBase)
        n = 0
        for entry in self.entries():
            line = entry.jsonl() + b"\n"
            stream.write(line if binary else line.decode("utf-8", "backslashreplace"))
            n += 1
        return n

    # -- verification --------------------------------------------------------------------------

    def verify(self, expect_head: str | None = None) -> VerifyReport:
        """Walk the chain from one snapshot, one entry at a time, and report the first bad
        entry. With ``expect_head`` (a head hash kept elsewhere), the chain must also contain
        that hash: as its head, or as an earlier entry when the log has grown since."""
        with self.store.read() as conn:
            head_row = conn.execute(_HEAD).fetchone()
            cursor = conn.execute(f"SELECT {_COLUMNS} FROM audit_entries ORDER BY seq")
            return _verify(conn, head_row, _Lookahead(iter(cursor)), expect_head)


def _verify(
    conn: sqlite3.Connection,
    head_row: tuple[Any, ...] | None,
    rows: _Lookahead,
    expect_head: str | None,
) -> VerifyReport:
    head_hash = "" if head_row is None else str(head_row[1])

    def bad(kind: str, first_bad: int | None, message: str, entries: int) -> VerifyReport:
        return VerifyReport(False, entries, head_hash, first_bad, kind, message)

    prev_hash = GENESIS_HASH
    head_at: int | None = 0 if head_hash == GENESIS_HASH else None  # where the head hash is
    anchor_at: int | None = 0 if expect_head == GENESIS_HASH else None
    i = 0
    while (row := rows.next()) is not None:
        i += 1
        nxt = rows.peek()
        if not row.intact:
            links_over = (
                nxt is not None and nxt.intact and nxt.prev == prev_hash and nxt.body_seq == i
            ) or (nxt is None and head_row is not None and head_hash == prev_hash)
            if links_over:
                return bad("inserted", i, f"entry {i} was inserted: the chain skips it", i - 1)
            if nxt is not None and nxt.prev == row.computed:
                why = "its hash column was changed"
            elif nxt is not None and nxt.prev == row.hash:
                why = "its body was changed"
            else:
                why = "its body does not match its hash"
            return bad("edited", i, f"entry {i} was edited: {why}", i - 1)
        malformed = _malformed(row)
        if malformed is not None:
            return bad("malformed", i, f"entry {i} is malformed: {malformed}", i - 1)
        b, p = row.body_seq, row.prev
        assert b is not None and p is not None
        if b > i:  # entry i is not here
            if nxt is not None and nxt.intact and nxt.body_seq == i and nxt.prev == prev_hash:
                if p == nxt.hash:
                    return bad(
                        "reordered", i, f"entry {i} was moved: entries {i} and {b} swapped", i - 1
                    )
                return bad("inserted", i, f"entry {i} was inserted before the real one", i - 1)
            while (later := rows.next()) is not None:
                if later.body_seq == i and later.intact:
                    return bad(
                        "reordered",
                        i,
                        f"entry {i} was moved: entry {b} stands in its place and entry {i} "
                        f"comes later (at seq {later.seq})",
                        i - 1,
                    )
            missing = f"entry {i} was" if b == i + 1 else f"entries {i} to {b - 1} were"
            where = f"follows entry {i - 1}" if i > 1 else "comes first"
            return bad("deleted", i, f"{missing} deleted: entry {b} {where}", i - 1)
        if b < i:  # a second entry claims an earlier place
            before = GENESIS_HASH
            if b > 1:
                found = conn.execute(
                    "SELECT hash FROM audit_entries WHERE seq = ?", (b - 1,)
                ).fetchone()
                before = str(found[0]) if found else ""
            genuine = p == before and (
                (nxt is not None and nxt.prev == row.hash)
                or (nxt is None and head_hash == row.hash)
            )
            if genuine:
                return bad(
                    "inserted",
                    b,
                    f"entry {b} was inserted: the real entry {b} comes after it (at seq {row.seq})",
                    b - 1,
                )
            return bad(
                "inserted",
                i,
                f"entry {i} was inserted: it is a copy claiming to be entry {b}",
                i - 1,
            )
        if p != prev_hash:
            # Either entry i-1 was changed and its hash recomputed (entry i, and what follows it,
            # still link to the old hash), or entry i was replaced by one linking elsewhere.
            follows = (nxt is not None and nxt.prev == row.hash) or (
                nxt is None and head_hash == row.hash
            )
            if i > 1 and follows:
                return bad(
                    "edited",
                    i - 1,
                    f"entry {i - 1} was edited and its hash recomputed: entry {i} links to "
                    "another hash",
                    i - 2,
                )
            return bad("edited", i, f"entry {i} was edited: it links to another entry", i - 1)
        if row.seq != i:
            return bad("edited", i, f"entry {i} was edited: its seq column says {row.seq}", i - 1)
        mismatch = _column_mismatch(row)
        if mismatch == "malformed":
            return bad(
                "malformed", i, f"entry {i} is malformed: its decision is not a decision", i - 1
            )
        if mismatch is not None:
            return bad(
                "edited",
                i,
                f"entry {i} was edited: its {mismatch} column does not match its body",
                i - 1,
            )
        prev_hash = row.hash
        if row.hash == head_hash:
            head_at = i
        if expect_head is not None and row.hash == expect_head:
            anchor_at = i
    n = i
    if head_row is None:
        return bad("malformed", None, "the log's head row is missing", n)
    head_count = head_row[0]
    if head_at is not None and head_at < n:
        return bad(
            "inserted",
            head_at + 1,
            f"entry {head_at + 1} was inserted: the head ends the log at entry {head_at}",
            head_at,
        )
    if isinstance(head_count, int) and head_count > n:
        return bad(
            "truncated",
            n + 1,
            f"the log was truncated {f'after entry {n}' if n else 'to nothing'}: entr"
            + (f"y {n + 1} is" if head_count == n + 1 else f"ies {n + 1} to {head_count} are")
            + f" missing (the head records {head_count} entries)",
            n,
        )
    if isinstance(head_count, int) and head_count < n:
        return bad(
            "inserted",
            head_count + 1,
            f"entry {head_count + 1} was inserted: the head records {head_count} entries",
            head_count,
        )
    if head_at is None or head_count != n:
        return bad(
            "edited",
            n or None,
            f"the head does not match entry {n}: the entry or the head was changed",
            max(n - 1, 0),
        )
    if expect_head is not None:
        if anchor_at is None:
            return bad(
                "edited",
                None,
                f"the log does not contain the expected head {expect_head}: it was rewritten "
                "or cut back (or the hash is another log's)",
                n,
            )
        if anchor_at < n:
            return VerifyReport(
                True,
                n,
                head_hash,
                message=f"{n} entries verified; the expected head is entry {anchor_at}, "
                f"{n - anchor_at} entries were added since",
            )
    return VerifyReport(True, n, head_hash, message=f"{n} entries verified")


def open_audit_log(
    state_dir: str | os.PathLike[str] = DEFAULT_STATE_DIR, *, create: bool = True
) -> AuditLog:
    """The audit log in the state folder's store. With ``create=False`` nothing is created:
    :class:`StoreError` ``audit.missing`` when there is no database or no log in it."""
    path = Path(state_dir) / DATABASE_NAME
    if not create and not path.is_file():
        raise StoreError("audit.missing", f"{path} does not exist")
    store = StateStore(path)
    try:
        return AuditLog(store, create=create)
    except BaseException:
        store.close()
        raise
