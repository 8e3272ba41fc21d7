"""The runtime's state store: one SQLite database in WAL mode, shared by every process that decides
(hooks start one process per action), holding the audit log, session state and approvals.

Each part of the runtime owns its tables and declares them with :meth:`StateStore.ensure`; the
store only opens connections and runs transactions. Writes go through :meth:`StateStore.write`, a
``BEGIN IMMEDIATE`` transaction: one writer at a time across processes (others wait up to
``timeout`` seconds), all or nothing, so a process killed mid-write loses only its own
transaction and never damages what was committed before.

The store is behind this small interface (``write``, ``read``, ``ensure``) so that a shared server
database can take its place when several decision servers run.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import stat
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

DATABASE_NAME = "state.db"


class StoreError(Exception):
    """The state store cannot be opened, read or written. ``code`` is stable."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class StateStore:
    """The SQLite database at ``path`` (created with its folder if missing, owner-only)."""

    def __init__(
        self, path: str | os.PathLike[str], *, timeout: float = 30.0, synchronous: str = "NORMAL"
    ) -> None:
        if synchronous not in ("NORMAL", "FULL"):
            raise ValueError("synchronous must be NORMAL or FULL")
        self.path = Path(path)
        self.timeout = timeout
        self.synchronous = synchronous
        self._local = threading.local()
        self._ensured: set[str] = set()
        self._ensure_lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        # one writer at a time: threads of this process, then processes (a lock file)
        self._thread_writer = threading.Lock()
        self._lock_file: int | None = None

    @classmethod
    def in_folder(cls, folder: str | os.PathLike[str], **options: object) -> StateStore:
        """The store ``state.db`` in ``folder`` (the runtime's state folder)."""
        return cls(Path(folder) / DATABASE_NAME, **options)  # type: ignore[arg-type]

    # -- connections ---------------------------------------------------------------------------

    def connection(self) -> sqlite3.Connection:
        """This thread's connection (sqlite3 connections are not shared between threads)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._open()
            self._local.conn = conn
            with self._connections_lock:
                self._connections.append(conn)
        return conn

    def _open(self) -> sqlite3.Connection:
        try:
            folder = self.path.parent
            if not folder.exists():
                folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            new = not self.path.exists()
            conn = sqlite3.connect(
                self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False
            )
            if new:
                with suppress(OSError):
                    os.chmod(self.path, stat.S_IRUSR | stat.S_IWUSR)
            conn.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StoreError(
                    "store.not_wal", f"{self.path}: the database cannot use WAL mode ({mode})"
                )
            conn.execute(f"PRAGMA synchronous = {self.synchronous}")
            conn.execute("PRAGMA foreign_keys = ON")
            return conn
        except sqlite3.Error as e:
            raise StoreError("store.unavailable", f"{self.path}: {e}") from e
        except OSError as e:
            raise StoreError("store.unavailable", f"{self.path}: {e.strerror or e}") from e

    def close(self) -> None:
        with self._connections_lock:
            for conn in self._connections:
                with suppress(sqlite3.Error):
                    conn.close()
            self._connections.clear()
        self._local = threading.local()
        if self._lock_file is not None:
            with suppress(OSError):
                os.close(self._lock_file)
            self._lock_file = None

    # -- schema --------------------------------------------------------------------------------

    def ensure(self, name: str, ddl: str) -> None:
        """Create a part's tables (``ddl``: ``CREATE … IF NOT EXISTS`` statements) once per
        process."""
        if name in self._ensured:
            return
        with self._ensure_lock:
            if name in self._ensured:
                return
            with self.write() as conn:
                for statement in _statements(ddl):
                    conn.execute(statement)
            self._ensured.add(name)

    # -- transactions --------------------------------------------------------------------------

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (``BEGIN IMMEDIATE``): committed when the block ends, rolled back
        if it raises. Raises :class:`StoreError` when the database cannot be written.

        Writers queue on a lock file beside the database before they begin: SQLite's own wait
        for a busy database sleeps in steps of up to 100 ms, which starves writers under
        contention (8 hook processes at once), while the lock file is polled in steps of at most
        2 ms. A process that dies holding it releases it (the kernel drops its locks)."""
        with self._writer():
            yield from self._transaction()

    def _transaction(self) -> Iterator[sqlite3.Connection]:
        conn = self.connection()
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as e:
            raise StoreError("store.unavailable", f"{self.path}: {e}") from e
        try:
            yield conn
        except BaseException as e:
            with suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            if isinstance(e, sqlite3.Error):
                raise StoreError("store.unavailable", f"{self.path}: {e}") from e
            raise
        try:
            conn.execute("COMMIT")
        except sqlite3.Error as e:
            with suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            raise StoreError("store.unavailable", f"{self.path}: {e}") from e

    @contextmanager
    def _writer(self) -> Iterator[None]:
        deadline = time.monotonic() + self.timeout
        if not self._thread_writer.acquire(timeout=self.timeout):
            raise StoreError("store.busy", f"{self.path}: no write turn within {self.timeout} s")
        try:
            fd = self._lock_fd()
            delay = 0.00005
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise StoreError(
                            "store.busy", f"{self.path}: no write turn within {self.timeout} s"
                        ) from None
                    time.sleep(delay)
                    delay = min(delay * 2, 0.002)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            self._thread_writer.release()

    def _lock_fd(self) -> int:
        if self._lock_file is None:
            try:
                self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                self._lock_file = os.open(
                    str(self.path) + ".lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600
                )
            except OSError as e:
                raise StoreError("store.unavailable", f"{self.path}: {e.strerror or e}") from e
        return self._lock_file

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: one consistent snapshot for the block."""
        conn = self.connection()
        try:
            conn.execute("BEGIN")
        except sqlite3.Error as e:
            raise StoreError("store.unavailable", f"{self.path}: {e}") from e
        try:
            yield conn
        finally:
            with suppress(sqlite3.Error):
                conn.execute("COMMIT")


def _statements(ddl: str) -> Iterator[str]:
    for part in ddl.split(";"):
        if part.strip():
            yield part.strip()
