"""The HTTP decision API: the runtime behind a small JSON API (docs/integrations/http.md).

:func:`create_app` builds the Starlette application around a
:class:`~policyc.runtime.runtime.Runtime`; ``policyc serve`` runs it under uvicorn, and tests run
it in-process. Routes:

- ``POST /v1/decide``: one action → its decision record. A grant token goes in the header
  ``X-Policyc-Grant`` (the body is the action itself, exactly as the Action schema says).
- ``POST /v1/decide/batch``: a JSON array of actions (at most ``max_batch``) → the array of their
  decisions, in order, each decided and recorded on its own.
- ``GET /v1/decisions/{id}``: the decision's entry in the audit log (404 when absent).
- ``GET /v1/approvals[?status=]``, ``GET /v1/approvals/{id}``, ``POST
  /v1/approvals/{id}/approve`` and ``…/deny`` with ``{"approver": …, "role": …}``.
- ``GET /healthz`` (no authentication): 200 when the runtime can decide and record, else 503.
- ``GET /metrics``: Prometheus text exposition. ``GET /openapi.json``: the OpenAPI 3.1 document.

The decision itself is never a 4xx: an action the model refuses is a 200 with a ``deny`` record
(the engine fails closed), and so is a runtime failure. 4xx answers are about the request: its
authentication (401, 403), its JSON (400, with the line and column), its size (413), its content
type (415), its shape (422). Every error is ``{"error": {"code": …, "message": …}}``.

Authentication: ``Authorization: Bearer <token>`` on every route but ``/healthz``; tokens are
compared by their SHA-256 digests with :func:`hmac.compare_digest`, against every configured
token. A token may be limited to scopes (``decide``, ``read``, ``approve``); a bare token has all.

Deciding is synchronous (the engine, inside one SQLite write transaction): it runs in worker threads
(``anyio.to_thread``, at most ``decide_threads`` at once) so the event loop stays free; the state
store serialises the writers, so every decision is audited in one chain whatever the concurrency.
Counters are updated on the event loop only, so they need no lock.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import hmac
import json
import logging
import os
import re
import stat
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from policyc.decision.record import Decision
from policyc.runtime.runtime import Runtime
from policyc.runtime.store import StoreError

log = logging.getLogger("policyc.http")

__all__ = [
    "DEFAULT_DECIDE_THREADS",
    "DEFAULT_MAX_BATCH",
    "DEFAULT_MAX_BODY",
    "GRANT_HEADER",
    "SCOPES",
    "TOKENS_ENV",
    "ApiToken",
    "Metrics",
    "TokenError",
    "TokenSet",
    "create_app",
    "load_token_file",
    "openapi_document",
    "parse_tokens",
]

DEFAULT_MAX_BODY = 1 << 20
"""The largest request body accepted, in bytes (1 MiB)."""
DEFAULT_MAX_BATCH = 100
"""The most actions one ``POST /v1/decide/batch`` may carry."""
DEFAULT_DECIDE_THREADS = 1
"""Worker threads deciding at once. The runtime decides inside the state store's write
transaction (the session's counters and the decision must agree), so decisions are serialised
whatever the number of threads; more threads only contend for the GIL (measured: 30-80% more
CPU per decision with 4 threads than with 1 under 16 or 64 clients, benchmarks/http_bench.py)."""
GRANT_HEADER = "X-Policyc-Grant"
"""The request header that carries an approval grant's token to ``POST /v1/decide``."""
TOKENS_ENV = "POLICYC_API_TOKENS"
"""The environment variable ``policyc serve`` reads API tokens from (comma-separated)."""
SCOPES = ("decide", "read", "approve")
# a token listed without scopes: approving must be given explicitly (an agent's harness
# holding an unscoped token must not be able to approve its own actions)
DEFAULT_SCOPES = ("decide", "read")
"""What a token may do: ``decide`` (``/v1/decide``, ``/v1/decide/batch``), ``read`` (decisions,
approvals, metrics), ``approve`` (approve and deny approvals)."""

_MIN_TOKEN = 16
_MAX_TOKEN = 512
_TOKEN_SYNTAX = re.compile(r"[A-Za-z0-9\-._~+/]+=*")  # RFC 6750 b64token
_AUDIT_FAILURE_CODES = frozenset({"audit_unavailable", "state_unavailable"})
_EFFECTS = ("allow", "alert", "redact", "require_approval", "deny", "terminate")
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_UNMATCHED = "unmatched"
_JSON = "application/json"
_PARSE_INLINE = 64 * 1024  # bodies up to this size are parsed on the event loop


# -- tokens ---------------------------------------------------------------------------------------


class TokenError(ValueError):
    """API tokens that cannot be used: a file that is missing, unreadable or readable by others,
    or a line that is not a token. The message never contains a token."""


@dataclass(frozen=True, slots=True)
class ApiToken:
    """One accepted bearer token, kept as its SHA-256 digest, with what it may do."""

    digest: bytes
    scopes: frozenset[str]

    @classmethod
    def of(cls, token: str, scopes: Iterable[str] = SCOPES) -> ApiToken:
        return cls(_digest(token), frozenset(scopes))


def _digest(token: str) -> bytes:
    # header values reach the application decoded as Latin-1: encoding them back is exact
    return hashlib.sha256(token.encode("latin-1", "replace")).digest()


class TokenSet:
    """The tokens a server accepts. :meth:`match` compares a presented token with every one of
    them in constant time (digests of equal length, no early exit)."""

    def __init__(self, tokens: Iterable[ApiToken | str]) -> None:
        self._tokens = tuple(t if isinstance(t, ApiToken) else ApiToken.of(t) for t in tokens)
        if not self._tokens:
            raise TokenError("no API token")

    def __len__(self) -> int:
        return len(self._tokens)

    def match(self, presented: str) -> frozenset[str] | None:
        """The scopes of the token presented, or None when it is not one of ours."""
        digest = _digest(presented)
        found: frozenset[str] | None = None
        for token in self._tokens:
            if hmac.compare_digest(digest, token.digest):
                found = token.scopes
        return found


def parse_tokens(text: str, *, source: str, separator: str = "\n") -> list[ApiToken]:
    """The tokens of ``text``, one per ``separator``-separated entry: ``TOKEN [SCOPE ...]``.
    ``#`` starts a comment (no token holds one); blank entries are skipped. A token is 16 to 512
    characters of the RFC 6750 ``b64token`` alphabet (``A-Z a-z 0-9 - . _ ~ + /``, then ``=``
    padding); scopes are those of :data:`SCOPES`. Raises :class:`TokenError` naming ``source``
    and the entry's number, never what the entry holds (a word taken for a scope may be half of
    a token split by a space)."""
    tokens: list[ApiToken] = []
    seen: set[bytes] = set()
    for number, entry in enumerate(text.split(separator), start=1):
        words = entry.split("#", 1)[0].split()
        if not words:
            continue
        where = f"{source}:{number}" if separator == "\n" else f"{source} (entry {number})"
        secret, scopes = words[0], words[1:]
        if not (_MIN_TOKEN <= len(secret) <= _MAX_TOKEN and _TOKEN_SYNTAX.fullmatch(secret)):
            raise TokenError(
                f"{where}: not a token: a token is {_MIN_TOKEN} to {_MAX_TOKEN} characters of "
                "A-Z a-z 0-9 - . _ ~ + / (then = padding); generate one with "
                "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`"
            )
        unknown = sorted(set(scopes) - set(SCOPES))
        if unknown:
            raise TokenError(
                f"{where}: unknown scope: the words after a token are its scopes, each one of "
                f"{', '.join(SCOPES)}"
            )
        token = ApiToken.of(secret, scopes or DEFAULT_SCOPES)
        if token.digest in seen:
            raise TokenError(f"{where}: this token is listed twice")
        seen.add(token.digest)
        tokens.append(token)
    return tokens


def load_token_file(path: str | os.PathLike[str]) -> list[ApiToken]:
    """The tokens of a token file (one per line, see :func:`parse_tokens`). The file must be a
    regular file that neither group nor others may read or write."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError as e:
        raise TokenError(f"{path}: cannot read the token file: {e.strerror or e}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise TokenError(f"{path}: the token file is not a regular file")
        if os.name == "posix" and st.st_mode & 0o077:
            mode = stat.S_IMODE(st.st_mode)
            raise TokenError(
                f"{path}: the token file is readable or writable by group or others "
                f"(mode {mode:04o}); refusing it. Make it owner-only: chmod 600 {path}"
            )
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read(1 << 20)
    except OSError as e:
        raise TokenError(f"{path}: cannot read the token file: {e.strerror or e}") from None
    finally:
        os.close(fd)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise TokenError(f"{path}: the token file is not UTF-8 text") from None
    tokens = parse_tokens(text, source=str(path))
    if not tokens:
        raise TokenError(f"{path}: the token file holds no token")
    return tokens


# -- metrics --------------------------------------------------------------------------------------

_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class _Histogram:
    __slots__ = ("count", "counts", "sum")

    def __init__(self) -> None:
        self.counts = [0] * (len(_BUCKETS) + 1)  # the last one: above every bound
        self.sum = 0.0
        self.count = 0

    def observe(self, seconds: float) -> None:
        self.counts[bisect.bisect_left(_BUCKETS, seconds)] += 1
        self.sum += seconds
        self.count += 1

    def lines(self, name: str, labels: str) -> list[str]:
        sep = "," if labels else ""
        out = []
        total = 0
        for bound, n in zip(_BUCKETS, self.counts, strict=False):
            total += n
            out.append(f'{name}_bucket{{{labels}{sep}le="{bound}"}} {total}')
        out.append(f'{name}_bucket{{{labels}{sep}le="+Inf"}} {self.count}')
        braces = f"{{{labels}}}" if labels else ""
        out.append(f"{name}_sum{braces} {self.sum!r}")
        out.append(f"{name}_count{braces} {self.count}")
        return out


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class Metrics:
    """The server's counters, rendered in the Prometheus text format (version 0.0.4). Updated on
    the event loop only."""

    def __init__(self) -> None:
        self.decisions: dict[str, int] = dict.fromkeys(_EFFECTS, 0)
        self.decision_errors: dict[str, int] = {}
        self.audit_failures = 0
        self.decision_seconds = _Histogram()
        self.requests: dict[tuple[str, str, int], int] = {}
        self.request_seconds: dict[str, _Histogram] = {}
        self.in_flight = 0
        self.auth_failures = 0

    def count_decision(self, decision: Decision, seconds: float) -> None:
        self.decisions[decision.decision] = self.decisions.get(decision.decision, 0) + 1
        self.decision_seconds.observe(seconds)
        if decision.error is not None:
            code = decision.error.code
            self.decision_errors[code] = self.decision_errors.get(code, 0) + 1
            if code in _AUDIT_FAILURE_CODES:
                self.audit_failures += 1

    def count_request(self, route: str, method: str, status: int, seconds: float) -> None:
        key = (route, method if method in _METHODS else "other", status)
        self.requests[key] = self.requests.get(key, 0) + 1
        hist = self.request_seconds.get(route)
        if hist is None:
            hist = self.request_seconds[route] = _Histogram()
        hist.observe(seconds)

    def render(self, *, up: bool, audit_entries: int | None, info: Mapping[str, str]) -> str:
        out: list[str] = []

        def family(name: str, kind: str, help_text: str) -> None:
            out.append(f"# HELP {name} {help_text}")
            out.append(f"# TYPE {name} {kind}")

        family("policyc_up", "gauge", "Whether the runtime can decide and record (1) or not (0).")
        out.append(f"policyc_up {int(up)}")
        family("policyc_info", "gauge", "The server's version and policy set.")
        labels = ",".join(f'{k}="{_label(v)}"' for k, v in sorted(info.items()))
        out.append(f"policyc_info{{{labels}}} 1")
        family("policyc_decisions_total", "counter", "Decisions made, by effective decision.")
        for effect, n in self.decisions.items():
            out.append(f'policyc_decisions_total{{decision="{_label(effect)}"}} {n}')
        family(
            "policyc_decision_errors_total",
            "counter",
            "Decisions that failed closed (deny with an error), by error code.",
        )
        for code, n in sorted(self.decision_errors.items()):
            out.append(f'policyc_decision_errors_total{{code="{_label(code)}"}} {n}')
        family(
            "policyc_audit_failures_total",
            "counter",
            "Decisions denied because the audit log or the state store could not be written.",
        )
        out.append(f"policyc_audit_failures_total {self.audit_failures}")
        if audit_entries is not None:
            family("policyc_audit_entries", "gauge", "Entries in the audit log.")
            out.append(f"policyc_audit_entries {audit_entries}")
        family(
            "policyc_decision_duration_seconds",
            "histogram",
            "Time to decide and record one action, in its worker thread.",
        )
        out.extend(self.decision_seconds.lines("policyc_decision_duration_seconds", ""))
        family(
            "policyc_http_requests_total", "counter", "HTTP requests, by route, method and status."
        )
        for (route, method, status), n in sorted(self.requests.items()):
            out.append(
                f'policyc_http_requests_total{{route="{_label(route)}",method="{method}",'
                f'status="{status}"}} {n}'
            )
        family(
            "policyc_http_request_duration_seconds",
            "histogram",
            "Time from a request's arrival to the end of its response, by route.",
        )
        for route, hist in sorted(self.request_seconds.items()):
            out.extend(
                hist.lines("policyc_http_request_duration_seconds", f'route="{_label(route)}"')
            )
        family("policyc_http_requests_in_flight", "gauge", "HTTP requests being served.")
        out.append(f"policyc_http_requests_in_flight {self.in_flight}")
        family(
            "policyc_http_auth_failures_total",
            "counter",
            "Requests refused for a missing or wrong token (401).",
        )
        out.append(f"policyc_http_auth_failures_total {self.auth_failures}")
        return "\n".join(out) + "\n"


# -- responses ------------------------------------------------------------------------------------


def _json_bytes(value: Any) -> bytes:
    text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate (a JSON escape can hold one): keep it escaped
        return json.dumps(value, ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode()


def _json_response(
    value: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    return Response(_json_bytes(value), status, headers=dict(headers or {}), media_type=_JSON)


def _decision_bytes(decision: Decision) -> bytes:
    try:
        return decision.model_dump_json(by_alias=True).encode("utf-8")  # 3-4x faster
    except (ValueError, UnicodeEncodeError):  # a lone surrogate: escaped by the slow path
        return _json_bytes(decision.to_dict())


def _error(
    status: int,
    code: str,
    message: str,
    *,
    headers: Mapping[str, str] | None = None,
    close: bool = False,
    **extra: Any,
) -> Response:
    """An error response. ``close``: the request body may be unread, so the connection is not
    kept alive."""
    all_headers = dict(headers or {})
    if close:
        all_headers["Connection"] = "close"
    return _json_response(
        {"error": {"code": code, "message": message, **extra}}, status, all_headers
    )


class _Refused(Exception):
    """A request refused before it reaches the runtime; carries the response."""

    def __init__(self, response: Response) -> None:
        super().__init__()
        self.response = response


def _parse_json(data: bytes) -> Any:
    """``data`` parsed as JSON; raises :class:`_Refused` (400) with where it goes wrong."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise _Refused(
            _error(
                400,
                "invalid_json",
                f"the body is not UTF-8: {e.reason} at byte {e.start}",
                position=e.start,
            )
        ) from None
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as e:
        raise _Refused(
            _error(
                400,
                "invalid_json",
                f"the body is not valid JSON: {e.msg} at line {e.lineno} column {e.colno}",
                line=e.lineno,
                column=e.colno,
                position=e.pos,
            )
        ) from None
    except _ConstantRejected as e:
        raise _Refused(
            _error(400, "invalid_json", f"the body is not valid JSON: {e} is not a JSON value")
        ) from None
    except RecursionError:
        raise _Refused(
            _error(400, "invalid_json", "the body is not valid JSON: nested too deeply")
        ) from None


class _ConstantRejected(ValueError):
    pass


def _reject_constant(name: str) -> Any:
    raise _ConstantRejected(name)


def _is_json(content_type: str | None) -> bool:
    if not content_type:
        return False
    media, _, params = content_type.partition(";")
    media = media.strip().lower()
    if not (media == _JSON or (media.startswith("application/") and media.endswith("+json"))):
        return False
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in (
            "utf-8",
            "utf8",
        ):
            return False
    return True


# -- the application ------------------------------------------------------------------------------

_Endpoint = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True, slots=True)
class _RouteSpec:
    path: str
    method: str
    scope: str | None  # the token scope it needs; None: any token (or none for /healthz)


class _Api:
    def __init__(
        self,
        runtime: Runtime,
        *,
        max_body: int,
        max_batch: int,
        decide_threads: int,
        metrics: Metrics,
    ) -> None:
        self.runtime = runtime
        self.max_body = max_body
        self.max_batch = max_batch
        self.metrics = metrics
        self.limiter = anyio.CapacityLimiter(decide_threads)
        self.openapi = _json_bytes(openapi_document(max_batch=max_batch))

    # -- reading requests -------------------------------------------------------------------------

    async def read_json(self, request: Request) -> tuple[Any, bytes]:
        """The request's body parsed as JSON (and its bytes); raises :class:`_Refused`."""
        if not _is_json(request.headers.get("content-type")):
            raise _Refused(
                _error(
                    415,
                    "unsupported_media_type",
                    "the body must be JSON: send Content-Type: application/json (UTF-8)",
                    close=True,
                )
            )
        declared = request.headers.get("content-length")
        if declared is not None:
            if not declared.isdigit():
                raise _Refused(
                    _error(400, "bad_request", "Content-Length is not a number", close=True)
                )
            if int(declared) > self.max_body:
                raise _Refused(self._too_large())
        body = bytearray()
        try:
            async for chunk in request.stream():
                body += chunk
                if len(body) > self.max_body:
                    raise _Refused(self._too_large())
        except ClientDisconnect:
            raise _Refused(_error(400, "bad_request", "the client went away", close=True)) from None
        data = bytes(body)
        if len(data) > _PARSE_INLINE:  # a large body is parsed off the event loop
            return await anyio.to_thread.run_sync(_parse_json, data), data
        return _parse_json(data), data

    def _too_large(self) -> Response:
        return _error(
            413,
            "body_too_large",
            f"the body is larger than the limit of {self.max_body} bytes",
            limit=self.max_body,
            close=True,
        )

    # -- deciding ---------------------------------------------------------------------------------

    def _decide_one(self, data: Any, grant: str | None) -> tuple[Decision, float]:
        started = time.perf_counter()
        decision = self.runtime.decide(data, grant=grant)
        return decision, time.perf_counter() - started

    async def decide(self, request: Request) -> Response:
        try:
            value, raw = await self.read_json(request)
        except _Refused as r:
            return r.response
        grant = request.headers.get(GRANT_HEADER) or None
        # a JSON value that is not an object goes to the runtime as text, which denies it
        data = value if isinstance(value, dict) else raw
        decision, seconds = await anyio.to_thread.run_sync(
            self._decide_one, data, grant, limiter=self.limiter
        )
        self.metrics.count_decision(decision, seconds)
        return Response(_decision_bytes(decision), media_type=_JSON)

    async def decide_batch(self, request: Request) -> Response:
        if request.headers.get(GRANT_HEADER):
            return _error(
                400,
                "grant_not_allowed",
                f"{GRANT_HEADER} applies to one action: send it with POST /v1/decide (the "
                "grants issued for each action of a batch are found without it)",
                close=True,
            )
        try:
            value, _ = await self.read_json(request)
        except _Refused as r:
            return r.response
        if not isinstance(value, list):
            return _error(422, "batch_not_array", "the body must be a JSON array of actions")
        if len(value) > self.max_batch:
            return _error(
                413,
                "batch_too_long",
                f"the batch holds {len(value)} actions; the limit is {self.max_batch}",
                limit=self.max_batch,
            )
        decisions: list[bytes] = []
        for item in value:
            # one worker-thread job per action: single decisions queue between them, not
            # behind the whole batch
            data = item if isinstance(item, dict) else json.dumps(item)
            decision, seconds = await anyio.to_thread.run_sync(
                self._decide_one, data, None, limiter=self.limiter
            )
            self.metrics.count_decision(decision, seconds)
            decisions.append(_decision_bytes(decision))
        body = b"[" + b",".join(decisions) + b"]"
        return Response(body, media_type=_JSON)

    # -- reading state ----------------------------------------------------------------------------

    async def _in_thread(self, func: Callable[..., Any], *args: Any) -> Any:
        return await anyio.to_thread.run_sync(functools.partial(func, *args))

    async def get_decision(self, request: Request) -> Response:
        decision_id = request.path_params["decision_id"]
        audit = self.runtime.audit
        if audit is None and not self.runtime.config.audit.enabled:
            return _error(404, "audit_disabled", "the audit log is off ([audit] enabled = false)")
        if audit is None:
            return _error(503, "state_unavailable", "the audit log is unavailable")
        entry = await self._in_thread(audit.get, decision_id)
        if entry is None:
            return _error(404, "decision_not_found", "no decision with this id in the audit log")
        return _json_response({**entry.content(), "hash": entry.hash})

    async def list_approvals(self, request: Request) -> Response:
        from policyc.runtime.approvals import STATUSES

        book = self.runtime.approvals
        if book is None:
            return _error(503, "state_unavailable", "the approvals are unavailable")
        status = request.query_params.get("status") or None
        if status is not None and status not in STATUSES:
            return _error(
                400,
                "invalid_parameter",
                f"status must be one of {', '.join(STATUSES)}",
                parameter="status",
            )
        items = await self._in_thread(book.list, status)
        return _json_response({"approvals": [a.to_dict() for a in items]})

    async def get_approval(self, request: Request) -> Response:
        book = self.runtime.approvals
        if book is None:
            return _error(503, "state_unavailable", "the approvals are unavailable")
        approval = await self._in_thread(book.get, request.path_params["approval_id"])
        if approval is None:
            return _error(404, "approval.unknown", "there is no approval with this id")
        return _json_response(approval.to_dict())

    async def _person(self, request: Request) -> tuple[str, str]:
        value, _ = await self.read_json(request)
        if not isinstance(value, dict):
            raise _Refused(
                _error(422, "invalid_body", 'the body must be {"approver": …, "role": …}')
            )
        extra = sorted(set(value) - {"approver", "role"})
        if extra:
            raise _Refused(
                _error(422, "invalid_body", f"unknown field {extra[0]!r}", field=extra[0])
            )
        for name in ("approver", "role"):
            v = value.get(name)
            if not isinstance(v, str) or not v.strip():
                raise _Refused(
                    _error(422, "invalid_body", f"{name} must be a non-empty string", field=name)
                )
        return value["approver"], value["role"]

    async def approve(self, request: Request) -> Response:
        return await self._decide_approval(request, approve=True)

    async def deny(self, request: Request) -> Response:
        return await self._decide_approval(request, approve=False)

    async def _decide_approval(self, request: Request, *, approve: bool) -> Response:
        from policyc.runtime.approvals import ApprovalError

        book = self.runtime.approvals
        if book is None:
            return _error(503, "state_unavailable", "the approvals are unavailable")
        try:
            approver, role = await self._person(request)
        except _Refused as r:
            return r.response
        approval_id = request.path_params["approval_id"]
        try:
            if approve:
                grant = await self._in_thread(
                    functools.partial(book.approve, approval_id, approver=approver, role=role)
                )
            else:
                denied = await self._in_thread(
                    functools.partial(book.deny, approval_id, approver=approver, role=role)
                )
        except ApprovalError as e:
            status = _APPROVAL_STATUS.get(e.code, 503 if e.code.startswith("key.") else 409)
            return _error(status, e.code, e.message)
        except StoreError as e:
            log.error("policyc http: the state store failed: %s", e.message)
            return _error(503, "state_unavailable", "the state store is unavailable")
        if not approve:
            return _json_response({"approval": denied.to_dict()})
        current = await self._in_thread(book.get, approval_id)
        return _json_response(
            {
                "grant": {
                    "id": grant.id,
                    "approval_id": grant.approval_id,
                    "role": grant.role,
                    "approver": grant.approver,
                    "rule_ids": list(grant.rule_ids),
                    "fingerprint": grant.fingerprint,
                    "issued_at": grant.issued_at,
                    "expires_at": grant.expires_at,
                    "single_use": grant.single_use,
                    "token": grant.token(),
                },
                "approval": None if current is None else current.to_dict(),
            }
        )

    # -- operations -------------------------------------------------------------------------------

    def _health(self) -> tuple[bool, str | None]:
        rt = self.runtime
        if rt.failure is not None:
            return False, rt.failure[0]
        if rt.engine is None:
            return False, "policy_error"
        if rt.store is None:
            return False, "state_unavailable"
        try:
            with rt.store.read() as conn:
                conn.execute("SELECT 1").fetchone()
        except Exception:  # StoreError, sqlite3.Error, OSError: whatever it is, not healthy
            return False, "state_unavailable"
        return True, None

    async def health(self, request: Request) -> Response:
        ok, code = await self._in_thread(self._health)
        if ok:
            return _json_response({"status": "ok"})
        return _json_response({"status": "failing", "code": code}, 503)

    def _audit_entries(self) -> int | None:
        audit = self.runtime.audit
        if audit is None:
            return None
        try:
            head = audit.head()
        except Exception:
            return None
        return None if head is None else head[0]

    async def metrics_endpoint(self, request: Request) -> Response:
        ok, _ = await self._in_thread(self._health)
        entries = await self._in_thread(self._audit_entries)
        from policyc import __version__

        engine = self.runtime.engine
        text = self.metrics.render(
            up=ok,
            audit_entries=entries,
            info={
                "version": __version__,
                "policy_set": engine.policy_set_hash if engine is not None else "",
            },
        )
        return Response(text, media_type="text/plain; version=0.0.4; charset=utf-8")

    async def openapi_endpoint(self, request: Request) -> Response:
        return Response(self.openapi, media_type=_JSON)


_APPROVAL_STATUS = {
    "approval.unknown": 404,
    "approval.expired": 409,
    "approval.decided": 409,
    "approval.role_mismatch": 403,
    "approval.invalid": 422,
}


class _Guard:
    """Authentication, the request counters and the latency histogram, around every route."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        routes: Sequence[BaseRoute],
        specs: Mapping[str, _RouteSpec],
        tokens: TokenSet | None,
        metrics: Metrics,
    ) -> None:
        self.app = app
        self.routes = routes
        self.specs = specs
        self.tokens = tokens
        self.metrics = metrics

    def _route(self, scope: Scope) -> str:
        for route in self.routes:
            match, _ = route.matches(scope)
            if match is not Match.NONE and isinstance(route, Route):
                return route.path
        return _UNMATCHED

    def _refusal(self, scope: Scope, route: str) -> Response | None:
        if self.tokens is None or route == "/healthz":
            return None
        header = ""
        for name, value in scope["headers"]:
            if name == b"authorization":
                header = value.decode("latin-1")
                break
        scheme, _, credentials = header.strip().partition(" ")
        if not header:
            self.metrics.auth_failures += 1
            return _error(
                401,
                "unauthorized",
                "this API needs a bearer token: Authorization: Bearer <token>",
                headers={"WWW-Authenticate": 'Bearer realm="policyc"'},
                close=True,
            )
        scopes = self.tokens.match(credentials.strip()) if scheme.lower() == "bearer" else None
        if scopes is None:
            self.metrics.auth_failures += 1
            return _error(
                401,
                "invalid_token",
                "the bearer token is not valid",
                headers={"WWW-Authenticate": 'Bearer realm="policyc", error="invalid_token"'},
                close=True,
            )
        spec = self.specs.get(route)
        need = spec.scope if spec is not None else None
        if need is not None and need not in scopes:
            return _error(
                403,
                "insufficient_scope",
                f"this token may not use {route}: it needs the scope {need!r}",
                headers={
                    "WWW-Authenticate": f'Bearer realm="policyc", error="insufficient_scope", '
                    f'scope="{need}"'
                },
                close=True,
            )
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        route = self._route(scope)
        status = 500
        metrics = self.metrics

        async def send_observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        metrics.in_flight += 1
        try:
            refusal = self._refusal(scope, route)
            if refusal is not None:
                await refusal(scope, receive, send_observed)
                return
            await self.app(scope, receive, send_observed)
        finally:
            metrics.in_flight -= 1
            metrics.count_request(
                route, str(scope.get("method", "")), status, time.perf_counter() - started
            )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    codes = {404: "not_found", 405: "method_not_allowed"}
    return _error(
        exc.status_code,
        codes.get(exc.status_code, "http_error"),
        str(exc.detail),
        headers=exc.headers,
    )


async def _store_error(request: Request, exc: Exception) -> Response:
    log.error("policyc http: the state store failed on %s: %s", request.url.path, exc)
    return _error(503, "state_unavailable", "the state store is unavailable")


async def _internal_error(request: Request, exc: Exception) -> Response:
    log.error(
        "policyc http: internal error on %s %s", request.method, request.url.path, exc_info=exc
    )
    return _error(500, "internal_error", f"internal error ({type(exc).__name__})")


def create_app(
    runtime: Runtime,
    *,
    tokens: TokenSet | Iterable[ApiToken | str] | None,
    max_body: int = DEFAULT_MAX_BODY,
    max_batch: int = DEFAULT_MAX_BATCH,
    decide_threads: int = DEFAULT_DECIDE_THREADS,
) -> Starlette:
    """The HTTP API of ``runtime`` as a Starlette (ASGI) application.

    ``tokens``: the bearer tokens accepted (strings have every scope); ``None`` turns
    authentication off, which must be asked for explicitly — an empty collection is refused
    (:class:`TokenError`). The caller owns ``runtime`` and closes it after the server stops.
    """
    if max_body < 1 or max_batch < 1 or decide_threads < 1:
        raise ValueError("max_body, max_batch and decide_threads must be positive")
    token_set = (
        None if tokens is None else (tokens if isinstance(tokens, TokenSet) else TokenSet(tokens))
    )
    metrics = Metrics()
    api = _Api(
        runtime,
        max_body=max_body,
        max_batch=max_batch,
        decide_threads=decide_threads,
        metrics=metrics,
    )
    table: list[tuple[_RouteSpec, _Endpoint]] = [
        (_RouteSpec("/v1/decide", "POST", "decide"), api.decide),
        (_RouteSpec("/v1/decide/batch", "POST", "decide"), api.decide_batch),
        (_RouteSpec("/v1/decisions/{decision_id}", "GET", "read"), api.get_decision),
        (_RouteSpec("/v1/approvals", "GET", "read"), api.list_approvals),
        (_RouteSpec("/v1/approvals/{approval_id}", "GET", "read"), api.get_approval),
        (_RouteSpec("/v1/approvals/{approval_id}/approve", "POST", "approve"), api.approve),
        (_RouteSpec("/v1/approvals/{approval_id}/deny", "POST", "approve"), api.deny),
        (_RouteSpec("/healthz", "GET", None), api.health),
        (_RouteSpec("/metrics", "GET", "read"), api.metrics_endpoint),
        (_RouteSpec("/openapi.json", "GET", None), api.openapi_endpoint),
    ]
    routes: list[BaseRoute] = [
        Route(spec.path, endpoint, methods=[spec.method]) for spec, endpoint in table
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(
                _Guard,
                routes=routes,
                specs={spec.path: spec for spec, _ in table},
                tokens=token_set,
                metrics=metrics,
            )
        ],
        exception_handlers={
            HTTPException: _http_error,
            StoreError: _store_error,
            Exception: _internal_error,
        },
    )
    app.state.runtime = runtime
    app.state.metrics = metrics
    return app


# -- OpenAPI --------------------------------------------------------------------------------------


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json_content(schema: Mapping[str, Any]) -> dict[str, Any]:
    return {"content": {_JSON: {"schema": dict(schema)}}}


def _errors(*statuses: int) -> dict[str, Any]:
    texts = {
        400: "Bad request: the body is not JSON (the error gives line and column), or a bad "
        "parameter",
        401: "No token, or a wrong one",
        403: "The token lacks the scope, or the role is not the approval's approver role",
        404: "Not found",
        409: "The approval expired or was already decided",
        413: "The body (or the batch) is too large",
        415: "The body is not application/json",
        422: "The body does not have the expected shape",
        503: "The state store is unavailable",
    }
    return {str(s): {"description": texts[s], **_json_content(_ref("Error"))} for s in statuses}


def openapi_document(*, max_batch: int = DEFAULT_MAX_BATCH) -> dict[str, Any]:
    """The OpenAPI 3.1 document of the API, with the Action and Decision schemas generated from
    the pydantic models."""
    from pydantic.json_schema import models_json_schema

    from policyc import __version__
    from policyc.action.model import Action

    _, generated = models_json_schema(
        [(Action, "validation"), (Decision, "serialization")],
        ref_template="#/components/schemas/{model}",
        by_alias=True,
    )
    schemas: dict[str, Any] = dict(generated.get("$defs", {}))
    schemas["Error"] = {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "line": {"type": "integer"},
                    "column": {"type": "integer"},
                    "position": {"type": "integer"},
                    "limit": {"type": "integer"},
                    "field": {"type": "string"},
                    "parameter": {"type": "string"},
                },
            }
        },
    }
    schemas["AuditEntry"] = {
        "type": "object",
        "description": "An entry of the hash-chained audit log (docs/audit.md) and its hash.",
        "required": [
            "schema",
            "seq",
            "decision_id",
            "recorded_at",
            "action",
            "decision",
            "prev_hash",
            "hash",
        ],
        "properties": {
            "schema": {"const": "policyc.audit/1"},
            "seq": {"type": "integer", "minimum": 1},
            "decision_id": {"type": "string"},
            "recorded_at": {"type": "string"},
            "action": {
                "description": "the action as logged (redacted); null when it was invalid",
                "anyOf": [{"type": "object"}, {"type": "null"}],
            },
            "decision": _ref("Decision"),
            "prev_hash": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            "hash": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        },
    }
    number_or_null = {"anyOf": [{"type": "number"}, {"type": "null"}]}
    string_or_null = {"anyOf": [{"type": "string"}, {"type": "null"}]}
    schemas["PendingApproval"] = {
        "type": "object",
        "description": "An approval request (docs/approvals.md). Times are seconds since the "
        "epoch.",
        "required": ["id", "status", "approver_role", "rule_ids", "requested_at", "expires_at"],
        "properties": {
            "id": {"type": "string"},
            "status": {"enum": ["pending", "approved", "denied", "expired", "used"]},
            "approver_role": {"type": "string"},
            "rule_ids": {"type": "array", "items": {"type": "string"}},
            "fingerprint": {"type": "string"},
            "requested_at": {"type": "number"},
            "expires_at": {"type": "number"},
            "decision_id": {"type": "string"},
            "action_id": {"type": "string"},
            "reason": {"type": "string"},
            "summary": {"type": "object", "additionalProperties": {"type": "string"}},
            "decided_at": number_or_null,
            "decided_by": string_or_null,
            "grant_id": string_or_null,
            "grant_expires_at": number_or_null,
        },
    }
    schemas["ApprovalList"] = {
        "type": "object",
        "required": ["approvals"],
        "properties": {"approvals": {"type": "array", "items": _ref("PendingApproval")}},
    }
    schemas["Approver"] = {
        "type": "object",
        "required": ["approver", "role"],
        "additionalProperties": False,
        "properties": {
            "approver": {"type": "string", "minLength": 1, "description": "who decides"},
            "role": {
                "type": "string",
                "minLength": 1,
                "description": "their role: must be the approval's approver role",
            },
        },
    }
    schemas["Grant"] = {
        "type": "object",
        "description": "A signed grant; present `token` in the X-Policyc-Grant header, or let "
        "the runtime find the grant when the same action comes again.",
        "required": ["id", "approval_id", "role", "approver", "expires_at", "token"],
        "properties": {
            "id": {"type": "string"},
            "approval_id": {"type": "string"},
            "role": {"type": "string"},
            "approver": {"type": "string"},
            "rule_ids": {"type": "array", "items": {"type": "string"}},
            "fingerprint": {"type": "string"},
            "issued_at": {"type": "number"},
            "expires_at": {"type": "number"},
            "single_use": {"type": "boolean"},
            "token": {"type": "string"},
        },
    }
    schemas["Approved"] = {
        "type": "object",
        "required": ["grant", "approval"],
        "properties": {"grant": _ref("Grant"), "approval": _ref("PendingApproval")},
    }
    schemas["Denied"] = {
        "type": "object",
        "required": ["approval"],
        "properties": {"approval": _ref("PendingApproval")},
    }
    schemas["Health"] = {
        "type": "object",
        "required": ["status"],
        "properties": {
            "status": {"enum": ["ok", "failing"]},
            "code": {"type": "string", "description": "why the runtime cannot decide"},
        },
    }
    action_body = {"required": True, **_json_content(_ref("Action"))}
    decision_ok = {
        "description": "The decision record (an invalid action is a deny with its error)",
        **_json_content(_ref("Decision")),
    }
    approval_id = {
        "name": "approval_id",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
    }
    approver_body = {"required": True, **_json_content(_ref("Approver"))}
    paths: dict[str, Any] = {
        "/v1/decide": {
            "post": {
                "operationId": "decide",
                "summary": "Decide one action and record the decision in the audit log",
                "parameters": [
                    {
                        "name": GRANT_HEADER,
                        "in": "header",
                        "required": False,
                        "description": "an approval grant's token (POST "
                        "/v1/approvals/{id}/approve gives it)",
                        "schema": {"type": "string"},
                    }
                ],
                "requestBody": action_body,
                "responses": {"200": decision_ok, **_errors(400, 401, 403, 413, 415)},
            }
        },
        "/v1/decide/batch": {
            "post": {
                "operationId": "decideBatch",
                "summary": "Decide several actions, in order, each recorded on its own",
                "requestBody": {
                    "required": True,
                    **_json_content(
                        {"type": "array", "maxItems": max_batch, "items": _ref("Action")}
                    ),
                },
                "responses": {
                    "200": {
                        "description": "The decisions, in the order of the actions",
                        **_json_content({"type": "array", "items": _ref("Decision")}),
                    },
                    **_errors(400, 401, 403, 413, 415, 422),
                },
            }
        },
        "/v1/decisions/{decision_id}": {
            "get": {
                "operationId": "getDecision",
                "summary": "A decision's entry in the audit log",
                "parameters": [
                    {
                        "name": "decision_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    }
                ],
                "responses": {
                    "200": {"description": "The audit entry", **_json_content(_ref("AuditEntry"))},
                    **_errors(401, 403, 404, 503),
                },
            }
        },
        "/v1/approvals": {
            "get": {
                "operationId": "listApprovals",
                "summary": "The approvals, oldest first",
                "parameters": [
                    {
                        "name": "status",
                        "in": "query",
                        "required": False,
                        "schema": {"enum": ["pending", "approved", "denied", "expired", "used"]},
                    }
                ],
                "responses": {
                    "200": {"description": "The approvals", **_json_content(_ref("ApprovalList"))},
                    **_errors(400, 401, 403, 503),
                },
            }
        },
        "/v1/approvals/{approval_id}": {
            "get": {
                "operationId": "getApproval",
                "summary": "One approval",
                "parameters": [approval_id],
                "responses": {
                    "200": {
                        "description": "The approval",
                        **_json_content(_ref("PendingApproval")),
                    },
                    **_errors(401, 403, 404, 503),
                },
            }
        },
        "/v1/approvals/{approval_id}/approve": {
            "post": {
                "operationId": "approve",
                "summary": "Approve a pending approval: issues a signed grant",
                "parameters": [approval_id],
                "requestBody": approver_body,
                "responses": {
                    "200": {"description": "The grant", **_json_content(_ref("Approved"))},
                    **_errors(400, 401, 403, 404, 409, 413, 415, 422, 503),
                },
            }
        },
        "/v1/approvals/{approval_id}/deny": {
            "post": {
                "operationId": "deny",
                "summary": "Deny a pending approval",
                "parameters": [approval_id],
                "requestBody": approver_body,
                "responses": {
                    "200": {
                        "description": "The denied approval",
                        **_json_content(_ref("Denied")),
                    },
                    **_errors(400, 401, 403, 404, 409, 413, 415, 422, 503),
                },
            }
        },
        "/healthz": {
            "get": {
                "operationId": "health",
                "summary": "Whether the runtime can decide and record (no token needed)",
                "security": [],
                "responses": {
                    "200": {"description": "It can", **_json_content(_ref("Health"))},
                    "503": {
                        "description": "It cannot: every action would be denied",
                        **_json_content(_ref("Health")),
                    },
                },
            }
        },
        "/metrics": {
            "get": {
                "operationId": "metrics",
                "summary": "Counters and histograms in the Prometheus text format",
                "responses": {
                    "200": {
                        "description": "Prometheus text exposition (version 0.0.4)",
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    },
                    **_errors(401, 403),
                },
            }
        },
        "/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This document",
                "responses": {
                    "200": {
                        "description": "The OpenAPI document",
                        **_json_content({"type": "object"}),
                    },
                    **_errors(401),
                },
            }
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "policyc decision API",
            "version": __version__,
            "description": "Decisions on the actions of AI agents, recorded in a hash-chained "
            "audit log; approvals of the actions that need them. An invalid action is a 200 "
            "with a deny decision (the engine fails closed); 4xx errors are about the request.",
        },
        "servers": [{"url": "http://127.0.0.1:8731"}],
        "security": [{"bearerAuth": []}],
        "paths": paths,
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "a token from --token-file or POLICYC_API_TOKENS",
                }
            },
        },
    }
