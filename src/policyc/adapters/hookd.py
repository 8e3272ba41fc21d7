"""The hook's decisions: one hook event answered by a runtime (:func:`handle`), in the hook's
own process (``policyc hook … --no-daemon``) or in the long-lived decision daemon this module
runs (``python -m policyc.adapters.hookd``), which the thin client
:mod:`policyc.adapters.hookclient` starts and talks to.

The daemon serves one state folder. Its files are in ``STATE/hookd/`` (a folder only its owner
can enter): ``sock`` (the UNIX socket, mode 0600), ``lock`` (held for the daemon's whole life:
one daemon per state folder), ``pid`` and ``log``. It holds one :class:`Runtime` for the
configuration the client names, checks on every request whether that configuration or a policy
file changed (the files' sizes, times and inodes: a few ``stat`` calls) and then loads it again,
answers each connection in a thread of its own, and exits after ``--idle-timeout`` seconds
without a request (and when its socket file is removed or replaced). Before it exits it removes
its socket and answers the connections already waiting, so no client that got through is left
without an answer.

The protocol, one request per connection: the client sends one JSON object and closes its side;
the daemon answers one JSON object and closes. A request is ``{"v": 1, "op": "hook", "agent",
"stdin", "cwd", "config", "explicit", "env", "approvals"}`` or ``{"v": 1, "op": "stop"}``; the
answer ``{"v": 1, "exit": 0|2, "stdout", "stderr"}`` (``{"v": 1, "ok": true}`` to a stop).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from policyc.adapters.hooks import (
    ApprovalMode,
    HookError,
    parse_hook,
    post_tool_response,
    pre_tool_response,
)

if TYPE_CHECKING:
    from policyc.runtime.config import RuntimeConfig
    from policyc.runtime.runtime import Runtime

PROTOCOL = 1
MAX_REQUEST = 64 * 1024 * 1024
DEFAULT_IDLE_TIMEOUT = 600.0
BLOCKED = "the tool call is blocked"

RuntimeSource = Callable[[], "tuple[Runtime | None, str | None]"]
"""Gives the runtime to decide with, or (None, why there is none)."""


@dataclass(frozen=True)
class HookResult:
    """What the hook process prints and its exit status: 0 with the answer on stdout (nothing
    for a post event that needs no answer), or 2 with one line on stderr and nothing on stdout
    (the agent blocks the tool call)."""

    exit: int
    stdout: str
    stderr: str

    @classmethod
    def blocked(cls, message: str) -> HookResult:
        return cls(2, "", f"policyc hook: {one_line(message)}; {BLOCKED}")


def one_line(text: str) -> str:
    return "; ".join(line.strip() for line in text.splitlines() if line.strip()) or "error"


def handle(
    agent: str,
    text: str,
    runtime: RuntimeSource,
    *,
    cwd: str,
    env: Mapping[str, str],
    approvals: str = "ask",
) -> HookResult:
    """Answer the hook event ``text`` (the hook's stdin) of ``agent`` with the runtime that
    ``runtime()`` gives. Never raises: whatever goes wrong blocks the tool call."""
    try:
        return _handle(agent, text, runtime, cwd=cwd, env=env, approvals=approvals)
    except Exception as e:  # fail closed, whatever went wrong
        return HookResult.blocked(f"internal error ({type(e).__name__})")


def _handle(
    agent: str,
    text: str,
    runtime: RuntimeSource,
    *,
    cwd: str,
    env: Mapping[str, str],
    approvals: str,
) -> HookResult:
    if not text.strip():
        return HookResult.blocked("the hook input is empty (expected the hook's JSON on stdin)")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        return HookResult.blocked(
            f"the hook input is not valid JSON (line {e.lineno} column {e.colno}: {e.msg})"
        )
    except (RecursionError, ValueError):
        return HookResult.blocked("the hook input is not valid JSON")
    try:
        call = parse_hook(agent, data, env=env, cwd=cwd, is_file=_is_file)
    except HookError as e:
        return HookResult.blocked(f"{agent}: {e}")
    except RecursionError:
        return HookResult.blocked(f"{agent}: the hook input is nested too deeply")
    if call.phase == "post" and not call.actions:
        return HookResult(0, "", "")  # an output without secrets: nothing to decide or say
    rt, problem = runtime()
    if rt is None:
        return HookResult.blocked(problem or "the runtime is unavailable")
    state = str(rt.config.state_dir)
    if call.phase == "pre":
        decisions = [rt.decide(action) for action in call.actions]
        mode: ApprovalMode = "deny" if approvals == "deny" else "ask"
        answer: dict[str, Any] | None = pre_tool_response(
            call, decisions, state_dir=state, approvals=mode
        )
    else:
        decision = rt.decide(call.actions[0]) if call.actions else None
        answer = post_tool_response(call, decision)
    if answer is None:
        return HookResult(0, "", "")
    return HookResult(0, json.dumps(answer), "")  # ASCII: any text, even a lone surrogate


def _is_file(path: str) -> bool:
    try:
        return os.path.isfile(path)
    except (OSError, ValueError):
        return False


def in_process(
    agent: str,
    raw: bytes,
    *,
    config: str | None,
    cwd: str,
    env: Mapping[str, str],
    approvals: str = "ask",
) -> HookResult:
    """Answer a hook event in this process: load the runtime of the configuration (``config``,
    else ``$POLICYC_CONFIG``, else the file found from ``cwd``), decide, close it."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        return HookResult.blocked(f"the hook input is not UTF-8 text (a bad byte at {e.start})")
    opened: list[Runtime] = []

    def runtime() -> tuple[Runtime | None, str | None]:
        from policyc.runtime.config import ConfigError
        from policyc.runtime.runtime import Runtime

        try:
            rt = Runtime.from_config(config, cwd=cwd)
        except ConfigError as e:
            return None, e.message
        opened.append(rt)
        return rt, None

    try:
        return handle(agent, text, runtime, cwd=cwd, env=env, approvals=approvals)
    finally:
        for rt in opened:
            with contextlib.suppress(Exception):  # the answer stands; closing flushes alerts
                rt.close()


# -- the daemon ---------------------------------------------------------------------------------


def hookd_dir(state_dir: str) -> str:
    return os.path.join(state_dir, "hookd")


@dataclass
class _Loaded:
    key: tuple[str | None, str | None, str]  # (config file, explicit name, cwd when no file)
    runtime: Runtime | None
    error: str | None
    fingerprint: tuple[Any, ...]
    users: int = 0
    retired: bool = False


class Daemon:
    """The decision daemon of one state folder (see the module's documentation)."""

    def __init__(self, state_dir: str, *, idle_timeout: float = DEFAULT_IDLE_TIMEOUT) -> None:
        self.state_dir = os.path.normpath(os.path.abspath(state_dir))
        self.folder = hookd_dir(self.state_dir)
        self.idle_timeout = idle_timeout
        self._lock = threading.Lock()
        self._loaded: _Loaded | None = None
        self._active = 0
        self._last = time.monotonic()
        self._stopping = threading.Event()
        self._server: socket.socket | None = None
        self._inode: tuple[int, int] | None = None
        self._lock_fd: int | None = None
        self._code = _code_stamp()

    # -- the runtime ---------------------------------------------------------------------------

    def _acquire(self, config: str | None, explicit: str | None, cwd: str) -> _Loaded:
        key = (config, explicit, "" if config else cwd)
        with self._lock:
            current = self._loaded
            if current is not None and current.key == key:
                fingerprint = _fingerprint(
                    current.runtime.config if current.runtime else None, config
                )
                if fingerprint == current.fingerprint:
                    current.users += 1
                    return current
            fresh = self._load(key, config, explicit, cwd)
            if current is not None:
                current.retired = True
                self._close_if_unused(current)
            self._loaded = fresh
            fresh.users += 1
            return fresh

    def _release(self, loaded: _Loaded) -> None:
        with self._lock:
            loaded.users -= 1
            self._close_if_unused(loaded)

    @staticmethod
    def _close_if_unused(loaded: _Loaded) -> None:
        if loaded.retired and loaded.users == 0 and loaded.runtime is not None:
            runtime, loaded.runtime = loaded.runtime, None
            with contextlib.suppress(Exception):
                runtime.close()

    def _load(
        self,
        key: tuple[str | None, str | None, str],
        config: str | None,
        explicit: str | None,
        cwd: str,
    ) -> _Loaded:
        from policyc.runtime.config import ConfigError, load_config
        from policyc.runtime.runtime import Runtime

        before = _fingerprint(None, config)  # taken first: a change while loading reloads again
        try:
            loaded_config = load_config(None if explicit is None else Path(explicit), cwd=Path(cwd))
        except ConfigError as e:
            return _Loaded(key, None, e.message, before)
        source = str(loaded_config.source) if loaded_config.source else None
        if source != config:
            return _Loaded(
                key,
                None,
                f"the configuration changed while the hook ran (the hook found {config or 'none'}, "
                f"the daemon {source or 'none'}): try again",
                (),
            )
        if os.path.normpath(str(loaded_config.state_dir)) != self.state_dir:
            return _Loaded(
                key,
                None,
                f"the configuration names the state folder {loaded_config.state_dir}, not "
                f"{self.state_dir}: try again",
                (),
            )
        fingerprint = (before[0], *_fingerprint(loaded_config, config)[1:])
        try:
            runtime = Runtime(loaded_config)
        except Exception as e:  # the runtime fails closed by itself; this is a last resort
            return _Loaded(key, None, f"the runtime cannot start ({type(e).__name__})", fingerprint)
        return _Loaded(key, runtime, None, fingerprint)

    # -- serving -------------------------------------------------------------------------------

    def serve(self, lock_fd: int | None = None) -> int:
        """Bind the socket and answer requests until idle or stopped. Returns the exit status.
        The process keeps its working folder (the compile cache is relative to it, as for any
        ``policyc`` command run there)."""
        os.umask(0o077)
        os.makedirs(self.folder, mode=0o700, exist_ok=True)
        if lock_fd is None:
            lock_fd = _take_lock(self.folder)
            if lock_fd is None:
                print("policyc hookd: another daemon serves this state folder", file=sys.stderr)
                return 0
        self._lock_fd = lock_fd
        with open(self._path("pid"), "w", encoding="ascii") as f:
            f.write(f"{os.getpid()}\n")
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        temporary = f"sock.{os.getpid()}"
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._path(temporary))
        _bind(server, self.folder, temporary)
        os.chmod(self._path(temporary), 0o600)
        server.listen(128)
        os.rename(self._path(temporary), self._path("sock"))
        st = os.stat(self._path("sock"))
        self._inode = (st.st_dev, st.st_ino)
        self._server = server
        _log(f"serving {self.state_dir} (pid {os.getpid()}, idle timeout {self.idle_timeout:g} s)")
        server.settimeout(0.25)
        try:
            while not self._stopping.is_set():
                try:
                    conn, _ = server.accept()
                except TimeoutError:
                    if self._should_exit():
                        break
                    continue
                self._start(conn)
        finally:
            self._shutdown(server)
        return 0

    def _path(self, name: str) -> str:
        return os.path.join(self.folder, name)

    def _should_exit(self) -> bool:
        if _code_stamp() != self._code:
            _log("policyc was changed or upgraded: exiting (the next call starts the new one)")
            return True
        with self._lock:
            idle = self._active == 0 and time.monotonic() - self._last > self.idle_timeout
        if idle:
            _log("idle: exiting")
            return True
        try:
            st = os.stat(self._path("sock"))
            if (st.st_dev, st.st_ino) != self._inode:
                _log("the socket was replaced: exiting")
                return True
        except OSError:
            _log("the socket was removed: exiting")
            return True
        return False

    def _start(self, conn: socket.socket) -> None:
        with self._lock:
            self._active += 1
            self._last = time.monotonic()
        threading.Thread(target=self._serve_one, args=(conn,), daemon=True).start()

    def _serve_one(self, conn: socket.socket) -> None:
        try:
            with conn:
                conn.settimeout(30.0)
                answer = self._answer(_receive(conn))
                conn.sendall(json.dumps(answer).encode("ascii"))
        except Exception as e:
            _log(f"a connection failed: {type(e).__name__}")
        finally:
            with self._lock:
                self._active -= 1
                self._last = time.monotonic()

    def _answer(self, data: bytes | None) -> dict[str, Any]:
        def blocked(message: str) -> dict[str, Any]:
            result = HookResult.blocked(message)
            return {"v": PROTOCOL, "exit": result.exit, "stdout": "", "stderr": result.stderr}

        if data is None:
            return blocked("the request to the decision daemon is too large")
        try:
            request = json.loads(data)
        except ValueError:
            return blocked("the decision daemon got a request that is not JSON")
        if not isinstance(request, dict) or request.get("v") != PROTOCOL:
            return blocked("the decision daemon got a request of another version")
        if request.get("op") == "stop":
            self._stopping.set()
            return {"v": PROTOCOL, "ok": True}
        fields = ("agent", "stdin", "cwd")
        if request.get("op") != "hook" or not all(isinstance(request.get(k), str) for k in fields):
            return blocked("the decision daemon got a malformed request")
        config, explicit = request.get("config"), request.get("explicit")
        env = request.get("env")
        if not (
            (config is None or isinstance(config, str))
            and (explicit is None or isinstance(explicit, str))
            and isinstance(env, dict)
            and all(isinstance(v, str) for v in env.values())
        ):
            return blocked("the decision daemon got a malformed request")
        cwd: str = request["cwd"]
        holder: list[_Loaded] = []

        def runtime() -> tuple[Runtime | None, str | None]:
            loaded = self._acquire(config, explicit, cwd)
            holder.append(loaded)
            return loaded.runtime, loaded.error

        try:
            result = handle(
                request["agent"],
                request["stdin"],
                runtime,
                cwd=cwd,
                env=env,
                approvals=str(request.get("approvals") or "ask"),
            )
        finally:
            for loaded in holder:
                self._release(loaded)
        return {
            "v": PROTOCOL,
            "exit": result.exit,
            "stdout": result.stdout,
            "stderr": result.stderr,
        }

    def _shutdown(self, server: socket.socket) -> None:
        """Remove the socket (if still ours), answer the connections already queued, wait for
        the answers in flight, close the runtime."""
        try:
            st = os.stat(self._path("sock"))
            if (st.st_dev, st.st_ino) == self._inode:
                os.unlink(self._path("sock"))
        except OSError:
            pass
        server.setblocking(False)
        while True:
            try:
                conn, _ = server.accept()
            except (BlockingIOError, OSError):
                break
            conn.setblocking(True)
            self._start(conn)
        server.close()
        deadline = time.monotonic() + 30.0
        while time.monotonic() < deadline:
            with self._lock:
                if self._active == 0:
                    break
            time.sleep(0.01)
        with self._lock:
            if self._loaded is not None:
                self._loaded.retired = True
                self._close_if_unused(self._loaded)
        try:
            with open(self._path("pid"), encoding="ascii") as f:
                if f.read().strip() == str(os.getpid()):
                    os.unlink(self._path("pid"))
        except OSError:
            pass
        _log("stopped")


def _receive(conn: socket.socket) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = conn.recv(1 << 16)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > MAX_REQUEST:
            return None
        chunks.append(chunk)


def _bind(server: socket.socket, folder: str, name: str) -> None:
    """Bind to ``folder/name``; by the short relative name from inside the folder when the path
    is too long for a socket address."""
    path = os.path.join(folder, name)
    if len(os.fsencode(path)) < 100:
        server.bind(path)
        return
    here = os.open(".", os.O_RDONLY)
    try:
        os.chdir(folder)
        server.bind(name)
    finally:
        os.fchdir(here)
        os.close(here)


def _take_lock(folder: str) -> int | None:
    import fcntl

    fd = os.open(os.path.join(folder, "lock"), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def _fingerprint(config: RuntimeConfig | None, config_file: str | None) -> tuple[Any, ...]:
    """What the runtime was loaded from, as ``stat`` results: the configuration file, every
    ``.policy`` file and folder under the policy folders (and the folder of each policy file
    given, where its imports are looked for), and the standard library's folder."""
    from policyc.decision.engine import stdlib_path

    out: list[Any] = [_stat(config_file) if config_file else None]
    paths: list[str] = [str(stdlib_path())]
    if config is not None:
        paths += [str(p) for p in config.policy_paths() or ()]
    for path in dict.fromkeys(paths):
        if os.path.isdir(path):
            for folder, dirs, files in os.walk(path):
                dirs.sort()
                out.append(_stat(folder))
                out += [
                    _stat(os.path.join(folder, f)) for f in sorted(files) if f.endswith(".policy")
                ]
        else:
            out.append(_stat(path))
            parent = os.path.dirname(path)
            out.append(_stat(parent))
            try:
                names = sorted(n for n in os.listdir(parent) if n.endswith(".policy"))
            except OSError:
                names = []
            out += [_stat(os.path.join(parent, n)) for n in names]
    return tuple(out)


def _code_stamp() -> tuple[Any, ...]:
    """The files of the hook's own code (an upgrade replaces them)."""
    from policyc.adapters import hooks

    here = os.path.dirname(os.path.abspath(__file__))
    package = os.path.dirname(here)
    names = (__file__, hooks.__file__, os.path.join(package, "__init__.py"))
    return tuple(_stat(os.path.abspath(n)) for n in names)


def _stat(path: str) -> tuple[Any, ...]:
    try:
        st = os.stat(path)
    except OSError as e:
        return (path, "missing", e.errno)
    return (path, st.st_mtime_ns, st.st_size, st.st_ino, st.st_dev)


def _log(message: str) -> None:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
    print(f"{stamp} policyc hookd[{os.getpid()}]: {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    """``python -m policyc.adapters.hookd --state DIR [--idle-timeout S] [--lock-fd N]``: the
    client starts it detached, with the lock on ``STATE/hookd/lock`` already taken and passed
    as ``--lock-fd``."""
    import argparse

    ap = argparse.ArgumentParser(prog="python -m policyc.adapters.hookd")
    ap.add_argument("--state", required=True)
    ap.add_argument("--idle-timeout", type=float, default=DEFAULT_IDLE_TIMEOUT)
    ap.add_argument("--lock-fd", type=int)
    args = ap.parse_args(argv)
    os.environ.pop("POLICYC_CONFIG", None)  # the client names the configuration in each request
    try:
        return Daemon(args.state, idle_timeout=args.idle_timeout).serve(args.lock_fd)
    except Exception as e:
        _log(f"failed: {type(e).__name__}: {e}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
