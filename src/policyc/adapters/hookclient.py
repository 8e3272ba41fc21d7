"""The hook's thin client: sends the hook event to the decision daemon of the state folder and
prints its answer. It imports the standard library only (``json``, ``os``, ``socket``, ``sys``,
``time``; ``fcntl`` and ``tomllib`` when it must), so that a hook process costs little more than
starting Python: a hook runs once per tool call.

Run it as ``policyc hook AGENT`` (which loads the command line first), or, faster, as a script:
``python -I -S …/policyc/adapters/hookstart.py AGENT [--config FILE] [--timeout S]
[--idle-timeout S] [--deny-approvals] [--no-daemon]`` (``policyc hook AGENT --print-command``
prints that line for the installation at hand; :mod:`hookstart` imports this module).

1. The configuration file and its state folder are found as the runtime finds them
   (``--config``, ``$POLICYC_CONFIG``, ``policyc.toml`` or ``[tool.policyc]`` upward from the
   current folder; ``state_dir``, default ``.policyc``). When that cannot be read here, the hook
   is answered by ``policyc hook AGENT --no-daemon`` instead, which says what is wrong.
2. The daemon's socket is ``STATE/hookd/sock``. The state folder must belong to the user and not
   be writable by others, ``STATE/hookd`` must be a folder only the user can enter; else the
   call is blocked.
3. Connect and send. When nobody listens, whoever takes the lock ``STATE/hookd/lock`` starts the
   daemon (``python -m policyc.adapters.hookd``, detached, holding that lock for its life) and
   everybody retries until ``--timeout`` seconds (default 20) have passed.
4. The answer must be a hook answer (exit status 0 with a JSON object or nothing, or 2 with a
   message); anything else, no daemon in time, or any error blocks the tool call: exit status
   2 and one line on stderr, nothing on stdout.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs a hook call time
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    Fallback = Callable[..., tuple[int, str, str]]

PROTOCOL = 1
DEFAULT_TIMEOUT = 20.0
DEFAULT_IDLE_TIMEOUT = 600.0
TIMEOUT_ENV = "POLICYC_HOOK_TIMEOUT"
IDLE_TIMEOUT_ENV = "POLICYC_HOOK_IDLE_TIMEOUT"
AGENTS = ("claude-code", "codex", "gemini")
ENV_KEYS = ("HOME", "CLAUDE_PROJECT_DIR", "GEMINI_PROJECT_DIR")
MAX_ANSWER = 32 * 1024 * 1024
MAX_STARTS = 3
CONFIG_NAME = "policyc.toml"
PYPROJECT_NAME = "pyproject.toml"
DEFAULT_STATE_DIR = ".policyc"
BLOCKED = "the tool call is blocked"

Result = tuple[int, str, str]
"""(exit status, stdout, stderr) of the hook process."""


class Unlocatable(Exception):
    """The configuration cannot be read here (the library will say why)."""


class Blocked(Exception):
    """The call is blocked: the message says why."""


def blocked(message: str) -> Result:
    return 2, "", f"policyc hook: {message}; {BLOCKED}"


def run(
    agent: str,
    raw: bytes,
    *,
    config: str | None = None,
    cwd: str | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
    idle_timeout: float | None = None,
    approvals: str = "ask",
    fallback: Fallback | None = None,
) -> Result:
    """Answer one hook event (``raw``, the hook's stdin) through the daemon. ``fallback`` answers
    it in process when the configuration cannot be located here (default: ``policyc hook AGENT
    --no-daemon`` in a subprocess). Never raises."""
    try:
        return _run(agent, raw, config, cwd, env, timeout, idle_timeout, approvals, fallback)
    except Blocked as e:
        return blocked(str(e))
    except Exception as e:
        return blocked(f"internal error in the hook client ({type(e).__name__})")


def _run(
    agent: str,
    raw: bytes,
    config: str | None,
    cwd: str | None,
    env: Mapping[str, str] | None,
    timeout: float | None,
    idle_timeout: float | None,
    approvals: str,
    fallback: Fallback | None,
) -> Result:
    if agent not in AGENTS:
        raise Blocked(f"unknown agent {agent!r} (expected one of {', '.join(AGENTS)})")
    env = os.environ if env is None else env
    cwd = os.path.normpath(os.path.abspath(cwd or os.getcwd()))
    timeout = _seconds(timeout, env.get(TIMEOUT_ENV), DEFAULT_TIMEOUT)
    idle_timeout = _seconds(idle_timeout, env.get(IDLE_TIMEOUT_ENV), DEFAULT_IDLE_TIMEOUT)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise Blocked(f"the hook input is not UTF-8 text (a bad byte at {e.start})") from None
    explicit = config or env.get("POLICYC_CONFIG") or None
    if explicit:
        explicit = os.path.normpath(os.path.join(cwd, explicit))
    try:
        config_file, state = locate(cwd, explicit)
    except Unlocatable:
        local = fallback or _subprocess_fallback
        return local(agent, raw, config=config, cwd=cwd, approvals=approvals, timeout=timeout)
    folder = prepare(state)
    request = {
        "v": PROTOCOL,
        "op": "hook",
        "agent": agent,
        "stdin": text,
        "cwd": cwd,
        "config": config_file,
        "explicit": explicit,
        "env": {k: env[k] for k in ENV_KEYS if env.get(k)},
        "approvals": approvals,
    }
    data = json.dumps(request).encode("ascii")  # ASCII: a surrogate (from $HOME …) is escaped
    answer = exchange(folder, state, data, timeout=timeout, idle_timeout=idle_timeout)
    return validate(answer, os.path.join(folder, "sock"))


def _seconds(given: float | None, named: str | None, default: float) -> float:
    if given is not None:
        return float(given)
    if named:
        try:
            value = float(named)
        except ValueError:
            return default
        if value > 0:
            return value
    return default


# -- finding the state folder -------------------------------------------------------------------


def locate(cwd: str, explicit: str | None) -> tuple[str | None, str]:
    """(the configuration file or None, the state folder), as
    :func:`policyc.runtime.config.load_config` finds them. Raises :class:`Unlocatable` when a
    file cannot be read or parsed here."""
    if explicit:
        if not os.path.isfile(explicit):
            raise Unlocatable(explicit)
        return explicit, _state_dir(explicit)
    folder = cwd
    while True:
        candidate = os.path.join(folder, CONFIG_NAME)
        if os.path.isfile(candidate):
            return candidate, _state_dir(candidate)
        candidate = os.path.join(folder, PYPROJECT_NAME)
        if os.path.isfile(candidate) and _table(candidate, _read(candidate)) is not None:
            return candidate, _state_dir(candidate)
        parent = os.path.dirname(folder)
        if parent == folder:
            return None, os.path.join(cwd, DEFAULT_STATE_DIR)
        folder = parent


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        raise Unlocatable(path) from None


def _table(path: str, data: bytes) -> dict[str, object] | None:
    """The policyc table of a configuration file (None: a pyproject.toml without one)."""
    is_pyproject = os.path.basename(path) == PYPROJECT_NAME
    if is_pyproject and b"policyc" not in data:
        return None
    if not is_pyproject:
        if b"state_dir" not in data:
            return {}  # the state folder is the default: no need to parse
        simple = _simple_state_dir(data)
        if simple is not None:
            return {"state_dir": simple}
    import tomllib  # costs as much as the rest of the client: only when it must

    try:
        parsed = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
        raise Unlocatable(path) from None
    if not is_pyproject:
        return parsed
    tool = parsed.get("tool")
    if not isinstance(tool, dict) or "policyc" not in tool:
        return None
    table = tool["policyc"]
    if not isinstance(table, dict):
        raise Unlocatable(path)
    return table


def _simple_state_dir(data: bytes) -> str | None:
    """``state_dir`` of a simple file: one line ``state_dir = "…"`` (or ``'…'``) before any
    table, no escapes, and no multi-line string anywhere (which could hide or fake such a
    line). None: the file must be parsed. (The daemon checks the folder against the one the
    runtime finds, so a mistake here blocks calls, it never lets one through.)"""
    import re

    if b'"""' in data or b"'''" in data:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    found: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("["):
            break
        if not stripped.startswith("state_dir"):
            continue
        m = re.fullmatch(r"""state_dir\s*=\s*(?:"([^"\\]*)"|'([^']*)')\s*(?:#.*)?""", stripped)
        if m is None:
            return None
        found.append(m.group(1) if m.group(1) is not None else m.group(2))
    return found[0] if len(found) == 1 else None


def _state_dir(path: str) -> str:
    table = _table(path, _read(path))
    if table is None:
        raise Unlocatable(path)
    value = table.get("state_dir", DEFAULT_STATE_DIR)
    if not isinstance(value, str) or not value or "\0" in value:
        raise Unlocatable(path)
    if value.startswith("~"):
        value = os.path.expanduser(value)
        if value.startswith("~"):
            raise Unlocatable(path)
    return os.path.normpath(os.path.join(os.path.dirname(path), value))


def prepare(state: str) -> str:
    """The daemon's folder ``STATE/hookd``, created if needed; raises :class:`Blocked` when the
    state folder or it could be reached by another user."""
    import stat

    try:
        os.makedirs(state, mode=0o700, exist_ok=True)
        st = os.stat(state)
    except OSError as e:
        raise Blocked(f"the state folder {state} cannot be created ({e.strerror or e})") from None
    if st.st_uid != os.getuid():
        raise Blocked(f"the state folder {state} belongs to another user")
    if st.st_mode & 0o022:
        raise Blocked(f"the state folder {state} can be written by others (chmod go-w it)")
    folder = os.path.join(state, "hookd")
    try:
        os.mkdir(folder, 0o700)
    except FileExistsError:
        pass
    except OSError as e:
        raise Blocked(f"{folder} cannot be created ({e.strerror or e})") from None
    st = os.lstat(folder)
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid() or st.st_mode & 0o077:
        raise Blocked(f"{folder} must be a folder that only its owner can enter (chmod 700 it)")
    return folder


# -- talking to the daemon ----------------------------------------------------------------------


def exchange(
    folder: str, state: str, request: bytes, *, timeout: float, idle_timeout: float
) -> bytes:
    """Send ``request`` to the daemon of ``folder`` and return its answer, starting the daemon
    when nobody listens. Raises :class:`Blocked` when there is no answer in ``timeout``."""
    deadline = time.monotonic() + timeout
    path = os.path.join(folder, "sock")
    starts = 0
    delay = 0.002
    while True:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            _connect(sock, folder, path)
        except (FileNotFoundError, ConnectionRefusedError):
            sock.close()
            if starts < MAX_STARTS and start_daemon(folder, state, idle_timeout):
                starts += 1
            if time.monotonic() >= deadline:
                raise Blocked(
                    f"the decision daemon of {state} could not be reached or started within "
                    f"{timeout:g} s (see {os.path.join(folder, 'log')})"
                ) from None
            time.sleep(delay)
            delay = min(delay * 1.5, 0.05)
            continue
        except OSError as e:
            sock.close()
            raise Blocked(f"cannot connect to {path} ({e.strerror or e})") from None
        with sock:
            return _talk(sock, request, path, max(deadline - time.monotonic(), 0.5))


def _connect(sock: socket.socket, folder: str, path: str) -> None:
    if len(os.fsencode(path)) < 100:
        sock.connect(path)
        return
    # too long for a socket address: connect by the short name from inside the folder
    try:
        here: int | None = os.open(".", os.O_RDONLY)
    except OSError:
        here = None
    try:
        os.chdir(folder)
        sock.connect("sock")
    finally:
        if here is not None:
            os.fchdir(here)
            os.close(here)


def _talk(sock: socket.socket, request: bytes, path: str, timeout: float) -> bytes:
    sock.settimeout(timeout)
    chunks: list[bytes] = []
    size = 0
    try:
        sock.sendall(request)
        sock.shutdown(socket.SHUT_WR)
        while True:
            chunk = sock.recv(1 << 16)
            if not chunk:
                break
            size += len(chunk)
            if size > MAX_ANSWER:
                raise Blocked(f"the decision daemon ({path}) answered too much")
            chunks.append(chunk)
    except TimeoutError:
        raise Blocked(
            f"the decision daemon ({path}) did not answer within {timeout:.3g} s"
        ) from None
    except OSError as e:
        raise Blocked(f"the connection to {path} failed ({e.strerror or e})") from None
    return b"".join(chunks)


def validate(data: bytes, where: str) -> Result:
    """The hook's result from the daemon's answer; garbage blocks the call."""
    garbage = Blocked(f"the decision daemon ({where}) did not give a hook answer")
    try:
        answer = json.loads(data)
    except (ValueError, RecursionError):
        raise garbage from None
    if not isinstance(answer, dict) or answer.get("v") != PROTOCOL:
        raise garbage
    code, out, err = answer.get("exit"), answer.get("stdout"), answer.get("stderr")
    if type(code) is not int or code not in (0, 2):
        raise garbage
    if not isinstance(out, str) or not isinstance(err, str):
        raise garbage
    if code == 2:
        return 2, "", err or blocked("the decision daemon blocked the call")[2]
    if out:
        try:
            parsed = json.loads(out)
        except (ValueError, RecursionError):
            raise garbage from None
        if not isinstance(parsed, dict):
            raise garbage
    return 0, out, err


def start_daemon(folder: str, state: str, idle_timeout: float) -> bool:
    """Start the daemon if nobody holds the lock (then nobody serves the folder): True when this
    call started it. The lock is taken here and handed to the daemon, so racing clients start
    one daemon."""
    import fcntl

    fd = os.open(os.path.join(folder, "lock"), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        if not sys.executable:
            raise Blocked("no Python interpreter to start the decision daemon with")
        argv = [
            sys.executable,
            "-m",
            "policyc.adapters.hookd",
            "--state",
            state,
            "--idle-timeout",
            repr(float(idle_timeout)),
            "--lock-fd",
            str(fd),
        ]
        child_env = {k: v for k, v in os.environ.items() if k != "POLICYC_CONFIG"}
        log = os.path.join(folder, "log")
        os.set_inheritable(fd, True)
        try:
            os.posix_spawn(
                sys.executable,
                argv,
                child_env,
                file_actions=[
                    (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                    (os.POSIX_SPAWN_OPEN, 1, log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600),
                    (os.POSIX_SPAWN_DUP2, 1, 2),
                ],
                setsid=True,
            )
        except (AttributeError, NotImplementedError):  # pragma: no cover - no posix_spawn
            import subprocess

            with open(log, "ab") as out:
                subprocess.Popen(
                    argv,
                    env=child_env,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    pass_fds=(fd,),
                    start_new_session=True,
                )
        except OSError as e:
            raise Blocked(f"the decision daemon cannot be started ({e.strerror or e})") from None
        return True
    finally:
        os.close(fd)  # the daemon holds the lock through its own copy


def stop(state: str, *, timeout: float = 10.0) -> bool:
    """Ask the daemon of ``state`` to stop and wait until it has; False when none was running."""
    folder = os.path.join(state, "hookd")
    path = os.path.join(folder, "sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    with sock:
        try:
            _connect(sock, folder, path)
        except OSError:
            return False
        try:
            _talk(sock, json.dumps({"v": PROTOCOL, "op": "stop"}).encode(), path, timeout)
        except Blocked:
            return False
    deadline = time.monotonic() + timeout
    lock = os.path.join(folder, "lock")
    import fcntl

    while time.monotonic() < deadline:  # stopped when its lock is free
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CLOEXEC)
        except OSError:
            return True
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except OSError:
            time.sleep(0.02)
        finally:
            os.close(fd)
    return False


def _subprocess_fallback(
    agent: str, raw: bytes, *, config: str | None, cwd: str, approvals: str, timeout: float
) -> Result:
    """``policyc hook AGENT --no-daemon`` in a subprocess (from the script, which cannot import
    the library itself)."""
    import subprocess

    argv = [sys.executable, "-m", "policyc.cli.main", "hook", agent, "--no-daemon"]
    if config:
        argv += ["--config", config]
    if approvals == "deny":
        argv.append("--deny-approvals")
    try:
        done = subprocess.run(argv, input=raw, capture_output=True, cwd=cwd, timeout=timeout)
    except (OSError, subprocess.SubprocessError) as e:
        raise Blocked(f"policyc cannot be run ({type(e).__name__})") from None
    out = done.stdout.decode("utf-8", "replace").strip()
    err = done.stderr.decode("utf-8", "replace").strip()
    if done.returncode != 0:
        return 2, "", err or blocked(f"policyc hook exited with status {done.returncode}")[2]
    payload = {"v": PROTOCOL, "exit": 0, "stdout": out, "stderr": err}
    return validate(json.dumps(payload).encode(), "policyc hook --no-daemon")


# -- the script ---------------------------------------------------------------------------------

USAGE = (
    "usage: hookstart.py {claude-code,codex,gemini} [--config FILE] [--timeout S] "
    "[--idle-timeout S] [--deny-approvals] [--no-daemon]"
)


def main(argv: list[str] | None = None) -> int:
    """The hook as a script: exit status 0 with the answer on stdout, or 2 (blocked)."""
    code, out, err = 2, "", ""
    try:
        args = list(sys.argv[1:] if argv is None else argv)
        if not args or args[0] not in AGENTS:
            code, err = 2, USAGE
        else:
            agent, options = args[0], _options(args[1:])
            raw = sys.stdin.buffer.read()
            approvals = "deny" if options.get("deny-approvals") else "ask"
            config = options.get("config") or None
            if options.get("no-daemon"):
                code, out, err = _subprocess_fallback(
                    agent,
                    raw,
                    config=config,
                    cwd=os.getcwd(),
                    approvals=approvals,
                    timeout=_seconds(_float(options.get("timeout")), None, DEFAULT_TIMEOUT),
                )
            else:
                code, out, err = run(
                    agent,
                    raw,
                    config=config,
                    timeout=_float(options.get("timeout")),
                    idle_timeout=_float(options.get("idle-timeout")),
                    approvals=approvals,
                )
    except Blocked as e:
        code, out, err = blocked(str(e))
    except BaseException as e:  # fail closed, even on an interrupt
        code, out, err = blocked(f"internal error in the hook client ({type(e).__name__})")
    if code != 0:
        code, out = 2, ""
    if out:
        sys.stdout.write(out + "\n")
    if err:
        sys.stderr.write(err + "\n")
    return code


def _options(args: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    i = 0
    while i < len(args):
        arg = args[i]
        name, eq, value = arg.partition("=")
        if name in ("--deny-approvals", "--no-daemon") and not eq:
            out[name[2:]] = "1"
        elif name in ("--config", "--timeout", "--idle-timeout"):
            if not eq:
                i += 1
                if i >= len(args):
                    raise Blocked(f"{name} needs a value. {USAGE}")
                value = args[i]
            out[name[2:]] = value
        else:
            raise Blocked(f"unknown option {arg!r}. {USAGE}")
        i += 1
    return out


def _float(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        raise Blocked(f"not a number of seconds: {value!r}") from None
    if not seconds > 0:
        raise Blocked(f"not a positive number of seconds: {value!r}")
    return seconds


if __name__ == "__main__":
    sys.exit(main())
