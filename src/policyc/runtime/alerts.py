"""Alert sinks: where the alerts of a decision go (docs/alerts.md).

:func:`alert_events` turns a :class:`~policyc.decision.record.Decision` into JSON-ready events, one
per alert it carries and one more when the decision is ``terminate``. An :class:`AlertDispatcher`
hands each event to every sink: :class:`JsonlSink` (a file, one line per event),
:class:`StderrSink`, :class:`WebhookSink` (an HTTP POST from a background thread). Sinks are built
from configuration tables with :func:`build_sinks`.

A sink never raises to the caller and never makes a decision wait on the network: a failure is
counted, kept in :meth:`errors` and reported as one line on standard error. Hooks start one process
per action, so this module imports little: the webhook sink imports ``queue`` and
``urllib.request`` only when it first has something to send.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Mapping
from contextlib import suppress
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import queue
    import threading
    import urllib.request

    from policyc.decision.record import Decision

EVENT_SCHEMA = "policyc.alert/1"

_MAX_ERRORS = 100


def alert_events(
    decision: Decision, *, session_id: str | None = None, agent_id: str | None = None
) -> list[dict[str, Any]]:
    """The events of ``decision``: one per alert (in the record's order), then one for a
    ``terminate`` decision. The same decision always gives the same events.

    Events hold only what the record holds (its reasons are already scrubbed of secrets) and the
    session and agent ids given here: never a field of the action itself.
    """
    timestamp = decision.model_dump(mode="json", include={"timestamp"})["timestamp"]

    def event(
        index: int, kind: str, policy_id: str | None, policy_ids: list[str], reason: str, risk: int
    ) -> dict[str, Any]:
        return {
            "schema": EVENT_SCHEMA,
            "kind": kind,
            "alert_id": f"{decision.decision_id}:{index}",
            "decision_id": decision.decision_id,
            "action_id": decision.action_id,
            "decision": decision.decision,
            "policy_id": policy_id,
            "policy_ids": policy_ids,
            "reason": reason,
            "risk": risk,
            "session_id": session_id,
            "agent_id": agent_id,
            "timestamp": timestamp,
        }

    events = [
        event(i, "alert", a.policy_id, [a.policy_id], a.reason, a.risk)
        for i, a in enumerate(decision.alerts)
    ]
    if decision.decision == "terminate":
        ids = list(decision.policy_ids)
        events.append(
            event(
                len(events),
                "terminate",
                ids[0] if ids else None,
                ids,
                decision.reason,
                decision.risk_score,
            )
        )
    return events


class Sink(Protocol):
    """Where alert events go. ``deliver`` never raises; ``close`` sends what is still queued, for
    at most ``timeout`` seconds; ``errors`` gives the latest failures, newest last."""

    def deliver(self, event: dict[str, Any]) -> None: ...

    def close(self, timeout: float = 5.0) -> None: ...

    def errors(self) -> list[str]: ...


def _log(message: str) -> None:
    try:
        sys.stderr.write(f"policyc: alerts: {message}\n")
        sys.stderr.flush()
    except Exception:  # standard error itself is gone: nothing more to do
        pass


def _encode(event: Mapping[str, Any]) -> bytes:
    return json.dumps(event, ensure_ascii=True, separators=(",", ":"), allow_nan=False).encode(
        "ascii"
    )


class _CountingSink:
    """Counters shared by the sinks: ``delivered``, ``failed``, ``dropped``, and the latest
    error messages."""

    name = "sink"

    def __init__(self) -> None:
        import threading

        self._lock = threading.Lock()
        self.delivered = 0
        self.failed = 0
        self.dropped = 0
        self._errors: list[str] = []

    def _count(self, counter: str) -> None:
        with self._lock:
            setattr(self, counter, getattr(self, counter) + 1)

    def _fail(self, message: str, *, counter: str | None = "failed", log: bool = True) -> None:
        text = f"{self.name}: {message}"
        with self._lock:
            if counter is not None:
                setattr(self, counter, getattr(self, counter) + 1)
            self._errors.append(text)
            del self._errors[:-_MAX_ERRORS]
        if log:
            _log(text)

    def errors(self) -> list[str]:
        """The latest failures (at most 100), newest last."""
        with self._lock:
            return list(self._errors)

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {"delivered": self.delivered, "failed": self.failed, "dropped": self.dropped}


class JsonlSink(_CountingSink):
    """Appends each event as one JSON line to ``path``.

    Every line is one ``write`` on a file opened with ``O_APPEND``, so processes writing the same
    file at once never interleave within a line. The parent folder is created if missing (mode
    0700) and the file is created owner-only (mode 0600).
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        super().__init__()
        self.path = os.path.expanduser(os.fspath(path))
        if not self.path:
            raise ValueError("the path of a jsonl alert sink is empty")
        self.name = f"jsonl {self.path}"

    def deliver(self, event: dict[str, Any]) -> None:
        try:
            line = _encode(event) + b"\n"
            parent = os.path.dirname(self.path)
            if parent:
                os.makedirs(parent, mode=0o700, exist_ok=True)
            flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
            fd = os.open(self.path, flags, 0o600)
            try:
                written = os.write(fd, line)
                while written < len(line):  # a short write on a regular file: out of space
                    written += os.write(fd, line[written:])
            finally:
                os.close(fd)
        except Exception as exc:
            self._fail(f"cannot append the event: {exc}")
        else:
            self._count("delivered")

    def close(self, timeout: float = 5.0) -> None:
        """Nothing to flush: every event is written when it is delivered."""


class StderrSink(_CountingSink):
    """Writes each event as one JSON line to standard error."""

    name = "stderr"

    def deliver(self, event: dict[str, Any]) -> None:
        try:
            sys.stderr.write(_encode(event).decode("ascii") + "\n")
            sys.stderr.flush()
        except Exception as exc:
            self._fail(f"cannot write the event: {exc}", log=False)
        else:
            self._count("delivered")

    def close(self, timeout: float = 5.0) -> None:
        with suppress(Exception):
            sys.stderr.flush()


def _check_http_url(url: object) -> str:
    from urllib.parse import urlsplit

    if not isinstance(url, str) or not url:
        raise ValueError("must be a non-empty http or https URL")
    if any(c in url for c in "\r\n\t ") or not url.isprintable():
        raise ValueError("must be a URL without spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"is not a valid URL ({exc})") from None
    if parts.scheme.lower() not in ("http", "https"):
        shown = parts.scheme or "none"
        raise ValueError(f"must be an http or https URL (the scheme is {shown})")
    if not parts.hostname:
        raise ValueError("must name a host (e.g. https://alerts.example.com/hook)")
    if port == 0:
        raise ValueError("has port 0")
    return url


def _public_url(url: str) -> str:
    """The URL as it may appear in logs: scheme, host and port only. Tokens often hide in the
    user part, the path (as in many chat webhooks) or the query."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    return f"{parts.scheme}://{host}{port}"


_TOKEN_CHARS = frozenset(
    "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
)


def _check_headers(headers: object) -> dict[str, str]:
    if headers is None:
        return {}
    if not isinstance(headers, Mapping):
        raise ValueError("must be a table of header names to strings")
    checked: dict[str, str] = {}
    for name, value in headers.items():
        if not isinstance(name, str) or not name or not set(name) <= _TOKEN_CHARS:
            raise ValueError(f"{name!r} is not a valid header name")
        if not isinstance(value, str):
            raise ValueError(f"the value of {name} must be a string")
        if any(c in value for c in "\r\n\0"):
            raise ValueError(f"the value of {name} holds a line break or NUL")
        checked[name] = value
    return checked


class _OptionError(ValueError):
    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"webhook {key}: {problem}")
        self.key = key
        self.problem = problem


def _seconds(value: object, *, zero: bool) -> bool:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False
    return (value >= 0 if zero else value > 0) and value < float("inf")


def _whole(value: object, least: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= least


def _check_webhook(
    *,
    url: object,
    headers: object = None,
    timeout: object = 5.0,
    retries: object = 3,
    backoff: object = 0.5,
    max_backoff: object = 8.0,
    queue_size: object = 1000,
) -> None:
    """Raise :class:`_OptionError` naming the first option of a webhook sink that is wrong."""
    for key, check in (("url", _check_http_url), ("headers", _check_headers)):
        try:
            check(url if key == "url" else headers)
        except ValueError as exc:
            raise _OptionError(key, str(exc)) from None
    if not _seconds(timeout, zero=False):
        raise _OptionError("timeout", "must be a number of seconds above 0")
    if not _whole(retries, 0):
        raise _OptionError("retries", "must be a whole number, 0 or more")
    if not _seconds(backoff, zero=True):
        raise _OptionError("backoff", "must be a number of seconds, 0 or more")
    if not _seconds(max_backoff, zero=True):
        raise _OptionError("max_backoff", "must be a number of seconds, 0 or more")
    if not _whole(queue_size, 1):
        raise _OptionError("queue_size", "must be a whole number, 1 or more")


class _Retryable(Exception):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class _Fatal(Exception):
    pass


def _retry_after(value: str | None) -> float | None:
    """The delay a ``Retry-After`` header asks for, in seconds: a number, or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        from datetime import UTC, datetime
        from email.utils import parsedate_to_datetime

        when = parsedate_to_datetime(value)
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max(0.0, (when - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


class WebhookSink(_CountingSink):
    """POSTs each event as JSON to ``url`` from a background daemon thread.

    ``deliver`` only puts the encoded event in a bounded queue (``queue_size``); when the queue is
    full the event is dropped and counted in ``dropped``. The thread sends events one at a time:
    connection errors, timeouts, 5xx and 429 answers are retried up to ``retries`` times, waiting
    ``backoff`` seconds and twice as long each time (or what a ``Retry-After`` header asks for),
    never more than ``max_backoff``; other answers outside 2xx (4xx, redirects) fail at once. An
    event that fails is counted in ``failed``. ``close(timeout)`` waits for the queue to drain, for
    at most ``timeout`` seconds; what is left then is dropped.
    """

    def __init__(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        timeout: float = 5.0,
        retries: int = 3,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
        queue_size: int = 1000,
    ) -> None:
        _check_webhook(
            url=url,
            headers=headers,
            timeout=timeout,
            retries=retries,
            backoff=backoff,
            max_backoff=max_backoff,
            queue_size=queue_size,
        )
        self.url = url
        self.headers = dict(headers or {})
        super().__init__()
        self.timeout = float(timeout)
        self.retries = retries
        self.backoff = float(backoff)
        self.max_backoff = float(max_backoff)
        self.queue_size = queue_size
        self.name = f"webhook {_public_url(self.url)}"
        import threading

        self._state = threading.Condition(self._lock)
        self._stop = threading.Event()
        self._queue: queue.Queue[bytes | None] | None = None
        self._thread: threading.Thread | None = None
        self._pending = 0  # queued or being sent
        self._closed = False
        self._overflowing = False

    # -- the caller's side ---------------------------------------------------------------------

    def deliver(self, event: dict[str, Any]) -> None:
        try:
            body = _encode(event)
        except Exception as exc:
            self._fail(f"cannot encode the event: {exc}")
            return
        import queue

        with self._state:
            if self._closed:
                problem = "the sink is closed; event dropped"
            else:
                try:
                    if self._queue is None:
                        self._start()
                    assert self._queue is not None
                    self._queue.put_nowait(body)
                except queue.Full:
                    problem = f"the queue is full ({self.queue_size} events); dropping events"
                except Exception as exc:  # no thread can be started
                    problem = f"cannot start the delivery thread ({exc}); event dropped"
                else:
                    self._pending += 1
                    self._overflowing = False
                    return
            log = not self._overflowing  # once per overflow, not once per event
            self._overflowing = True
        self._fail(problem, counter="dropped", log=log)

    def close(self, timeout: float = 5.0) -> None:
        """Wait until every queued event is sent or has failed, for at most ``timeout`` seconds,
        then stop the thread; events still queued are dropped."""
        import queue

        with self._state:
            if self._closed:
                return
            self._closed = True
            if self._queue is None:
                return
            self._state.wait_for(lambda: self._pending == 0, max(0.0, timeout))
            left = self._pending
        self._stop.set()
        # wake the thread if it waits for work; if the queue is full it does not, and it sees the
        # stop when it is done with the event at hand
        with suppress(queue.Full):
            self._queue.put_nowait(None)
        if left:
            _log(f"{self.name}: {left} event(s) not sent before the close timeout")

    def _start(self) -> None:
        import queue
        import threading

        work: queue.Queue[bytes | None] = queue.Queue(self.queue_size)
        thread = threading.Thread(
            target=self._run, args=(work,), name="policyc-alert-webhook", daemon=True
        )
        thread.start()
        self._queue, self._thread = work, thread

    # -- the thread's side ---------------------------------------------------------------------

    def _run(self, work: queue.Queue[bytes | None]) -> None:
        try:
            opener = self._opener()
        except Exception as exc:  # pragma: no cover - the standard library is broken
            opener = None
            self._fail(f"cannot set up HTTP: {exc}", counter=None)
        while True:
            body = work.get()
            if body is None:
                return
            try:
                if self._stop.is_set() or opener is None:
                    # close() has reported how many were left
                    self._fail(
                        "the sink closed before the event was sent", counter="dropped", log=False
                    )
                else:
                    self._send(opener, body)
            except Exception as exc:  # pragma: no cover - a bug here must not kill the thread
                self._fail(f"unexpected error: {exc!r}")
            finally:
                with self._state:
                    self._pending -= 1
                    self._state.notify_all()
            if self._stop.is_set() and work.empty():
                return

    def _opener(self) -> urllib.request.OpenerDirector:
        import urllib.request

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            # urllib would follow a redirect of a POST with a GET and no body, losing the event
            # while reporting success: a redirect is an error instead.
            def redirect_request(self, *args: Any, **kwargs: Any) -> None:
                return None

        return urllib.request.build_opener(NoRedirect)

    def _send(self, opener: urllib.request.OpenerDirector, body: bytes) -> None:
        attempt = 0
        while True:
            try:
                self._post(opener, body)
            except _Fatal as exc:
                self._fail(f"{exc}; not retried")
                return
            except _Retryable as exc:
                if attempt >= self.retries:
                    self._fail(f"{exc}; giving up after {attempt + 1} attempt(s)")
                    return
                delay = exc.retry_after
                if delay is None:
                    delay = self.backoff * 2 ** min(attempt, 64)
                attempt += 1
                if self._pause(min(delay, self.max_backoff)):
                    self._fail(
                        f"{exc}; the sink closed before a retry", counter="dropped", log=False
                    )
                    return
            else:
                self._count("delivered")
                return

    def _pause(self, seconds: float) -> bool:
        """Wait ``seconds`` before a retry; true if the sink was stopped meanwhile."""
        return self._stop.wait(seconds)

    def _post(self, opener: urllib.request.OpenerDirector, body: bytes) -> None:
        import http.client
        import urllib.error
        import urllib.request

        headers = {"User-Agent": "policyc-alerts", **self.headers}
        headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
        headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with opener.open(request, timeout=self.timeout) as response:
                response.read(65536)
        except urllib.error.HTTPError as exc:
            try:
                status = exc.code
                retry_after = _retry_after(exc.headers.get("Retry-After") if exc.headers else None)
            finally:
                exc.close()
            if status == 429 or 500 <= status <= 599:
                raise _Retryable(f"HTTP {status}", retry_after) from None
            raise _Fatal(f"HTTP {status}") from None
        except urllib.error.URLError as exc:
            raise _Retryable(self._scrub(f"cannot connect: {exc.reason}")) from None
        except (OSError, http.client.HTTPException) as exc:  # timeouts, resets, bad answers
            raise _Retryable(self._scrub(f"{type(exc).__name__}: {exc}")) from None

    def _scrub(self, message: str) -> str:
        return message.replace(self.url, _public_url(self.url))


_SINK_KEYS: dict[str, tuple[set[str], set[str]]] = {
    # type: (required keys, optional keys)
    "jsonl": ({"path"}, set()),
    "stderr": (set(), set()),
    "webhook": (
        {"url"},
        {"headers", "timeout", "retries", "backoff", "max_backoff", "queue_size"},
    ),
}


def build_sinks(specs: Iterable[Mapping[str, Any]], *, where: str = "alerts") -> list[Sink]:
    """The sinks of configuration tables such as ``{"type": "jsonl", "path": "alerts.jsonl"}``
    (docs/alerts.md). A problem raises :class:`ValueError` naming its key, e.g.
    ``alerts[1].url: …``; ``where`` is the name the tables have in the configuration."""
    sinks: list[Sink] = []
    for index, spec in enumerate(specs):
        here = f"{where}[{index}]"
        if not isinstance(spec, Mapping):
            raise ValueError(f"{here}: must be a table, not {type(spec).__name__}")
        kind = spec.get("type")
        if kind is None:
            raise ValueError(f"{here}.type: missing (one of jsonl, stderr, webhook)")
        if not isinstance(kind, str) or kind not in _SINK_KEYS:
            raise ValueError(
                f"{here}.type: unknown sink type {kind!r} (one of jsonl, stderr, webhook)"
            )
        required, optional = _SINK_KEYS[kind]
        for key in sorted(required - spec.keys()):
            raise ValueError(f"{here}.{key}: missing (a {kind} sink needs it)")
        for key in sorted(spec.keys() - required - optional - {"type"}, key=str):
            raise ValueError(f"{here}.{key}: unknown key for a {kind} sink")
        sinks.append(_build(kind, spec, here))
    return sinks


def _build(kind: str, spec: Mapping[str, Any], here: str) -> Sink:
    if kind == "stderr":
        return StderrSink()
    if kind == "jsonl":
        path = spec["path"]
        if not isinstance(path, str) or not path:
            raise ValueError(f"{here}.path: must be a non-empty string")
        return JsonlSink(path)
    options = {k: v for k, v in spec.items() if k != "type"}
    try:
        _check_webhook(**options)
    except _OptionError as exc:
        raise ValueError(f"{here}.{exc.key}: {exc.problem}") from None
    return WebhookSink(**options)


class AlertDispatcher:
    """Sends the events of each decision to every sink.

    A hook process calls :meth:`dispatch` once with its decision and :meth:`close` before it
    exits, so that a webhook's queue is sent; a long-running server calls :meth:`close` when it
    stops.
    """

    def __init__(self, sinks: Iterable[Sink]) -> None:
        self.sinks = list(sinks)

    def dispatch(
        self, decision: Decision, *, session_id: str | None = None, agent_id: str | None = None
    ) -> list[dict[str, Any]]:
        """Deliver the events of ``decision`` (see :func:`alert_events`) and return them. Never
        raises: a sink that fails counts and reports it."""
        if not self.sinks:
            return []
        try:
            events = alert_events(decision, session_id=session_id, agent_id=agent_id)
        except Exception as exc:  # pragma: no cover - a record always has these fields
            _log(f"cannot build the events of {decision.decision_id}: {exc}")
            return []
        for event in events:
            for sink in self.sinks:
                try:
                    sink.deliver(dict(event))
                except Exception as exc:  # a sink of someone else's making
                    _log(f"{type(sink).__name__}: {exc}")
        return events

    def close(self, timeout: float = 5.0) -> None:
        """Close every sink, all of them within ``timeout`` seconds in total."""
        import time

        deadline = time.monotonic() + timeout
        for sink in self.sinks:
            try:
                sink.close(max(0.0, deadline - time.monotonic()))
            except Exception as exc:
                _log(f"{type(sink).__name__}: {exc}")

    def errors(self) -> list[str]:
        return [e for sink in self.sinks for e in sink.errors()]
