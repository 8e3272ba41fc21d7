"""Alert events and sinks (policyc.runtime.alerts), webhooks against a real local HTTP server."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

import policyc
from policyc.decision import PolicyEngine
from policyc.decision.record import Decision
from policyc.runtime.alerts import (
    EVENT_SCHEMA,
    AlertDispatcher,
    JsonlSink,
    StderrSink,
    WebhookSink,
    _retry_after,
    alert_events,
    build_sinks,
)

ROOT = Path(__file__).parents[2]
WAIT = 30.0  # an upper bound for waiting, never an expectation of speed

UNKNOWN_DOMAIN = {"action_type": "http.request", "url": "https://unknown-example-domain.io/x"}
SECRET = "ghp_abcdefghijklmnopqrstuvwxyz0123456789"
SECRET_IN_URL = {
    "action_type": "http.request",
    "url": f"https://unknown-example-domain.io/x?key={SECRET}",
}


# -- a scripted local HTTP server ---------------------------------------------------------------


class Server:
    """Answers each POST with the next scripted (status, headers), then 200; records requests.
    While ``gate`` is clear, requests wait for it."""

    def __init__(self) -> None:
        self.script: list[tuple[int, dict[str, str]]] = []
        self.requests: list[dict[str, Any]] = []
        self.gate = threading.Event()
        self.gate.set()
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                server.gate.wait(WAIT)
                with server.lock:
                    server.requests.append(
                        {"path": self.path, "headers": dict(self.headers), "body": body}
                    )
                    status, headers = server.script.pop(0) if server.script else (200, {})
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.gate.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(WAIT)

    def bodies(self) -> list[dict[str, Any]]:
        with self.lock:
            return [json.loads(r["body"]) for r in self.requests]


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    for name in (
        "http_proxy",
        "https_proxy",
        "all_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
    ):
        monkeypatch.delenv(name, raising=False)
    s = Server()
    yield s
    s.close()


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook/SECRET-PATH?token=SECRET-QUERY"


def record_pauses(sink: WebhookSink) -> list[float]:
    """Make the sink's waits between retries instant, recording what it asked for."""
    pauses: list[float] = []

    def pause(seconds: float) -> bool:
        pauses.append(seconds)
        return False

    sink._pause = pause  # type: ignore[method-assign]
    return pauses


def event(n: int = 0, **extra: Any) -> dict[str, Any]:
    return {"schema": EVENT_SCHEMA, "alert_id": f"dec_test:{n}", "reason": "r", **extra}


# -- events from real decisions -----------------------------------------------------------------


@pytest.fixture(scope="module")
def engine() -> PolicyEngine:
    return policyc.load(cache=False, fingerprint_key=b"alerts")


def test_events_of_an_alert(engine: PolicyEngine) -> None:
    d = engine.decide(UNKNOWN_DOMAIN)
    assert d.decision == "alert"
    events = alert_events(d, session_id="s-1", agent_id="agent-7")
    assert len(events) == 1
    (e,) = events
    assert e == {
        "schema": "policyc.alert/1",
        "kind": "alert",
        "alert_id": f"{d.decision_id}:0",
        "decision_id": d.decision_id,
        "action_id": d.action_id,
        "decision": "alert",
        "policy_id": "egress.unknown_domain",
        "policy_ids": ["egress.unknown_domain"],
        "reason": "network access to unknown-example-domain.io, which is not a known domain",
        "risk": 30,
        "session_id": "s-1",
        "agent_id": "agent-7",
        "timestamp": d.to_dict()["timestamp"],
    }
    assert json.loads(json.dumps(events)) == events
    assert alert_events(d, session_id="s-1", agent_id="agent-7") == events  # deterministic
    assert alert_events(d)[0]["session_id"] is None


def test_events_of_a_terminate_decision_carry_no_secret(engine: PolicyEngine) -> None:
    d = engine.decide(SECRET_IN_URL)
    assert d.decision == "terminate"
    events = alert_events(d)
    assert [e["kind"] for e in events] == ["alert", "terminate"]
    alert, terminate = events
    assert alert["policy_id"] == "egress.unknown_domain"
    assert alert["decision"] == "terminate"  # an alert goes out whatever the decision
    assert terminate["alert_id"] == f"{d.decision_id}:1"
    assert terminate["policy_id"] == "egress.secret_exfiltration"
    assert terminate["policy_ids"] == d.policy_ids
    assert terminate["reason"] == d.reason
    assert terminate["risk"] == d.risk_score == 100
    text = json.dumps(events)
    assert SECRET not in text
    assert SECRET_IN_URL["url"] not in text


def test_a_decision_without_alerts_has_no_events(engine: PolicyEngine) -> None:
    d = engine.decide({"action_type": "file.read", "resource": {"path": "/repo/README.md"}})
    assert d.alerts == [] and d.decision != "terminate"
    assert alert_events(d) == []


# -- the webhook sink ---------------------------------------------------------------------------


def test_webhook_posts_json_with_headers(server: Server) -> None:
    sink = WebhookSink(
        server.url + "/hook?x=1", headers={"Authorization": "Bearer t0ken", "X-Team": "infra"}
    )
    sink.deliver(event(1, risk=30))
    sink.close(WAIT)
    assert sink.stats() == {"delivered": 1, "failed": 0, "dropped": 0}
    (request,) = server.requests
    assert request["path"] == "/hook?x=1"
    headers = {k.lower(): v for k, v in request["headers"].items()}
    assert headers["content-type"] == "application/json"
    assert headers["authorization"] == "Bearer t0ken"
    assert headers["x-team"] == "infra"
    assert json.loads(request["body"]) == event(1, risk=30)
    assert sink.errors() == []


def test_webhook_content_type_stays_json(server: Server) -> None:
    sink = WebhookSink(server.url, headers={"content-type": "text/plain"})
    sink.deliver(event())
    sink.close(WAIT)
    headers = {k.lower(): v for k, v in server.requests[0]["headers"].items()}
    assert headers["content-type"] == "application/json"


def test_webhook_retries_5xx_then_delivers_once(server: Server) -> None:
    server.script = [(500, {}), (503, {})]
    sink = WebhookSink(server.url, retries=3)
    pauses = record_pauses(sink)
    sink.deliver(event())
    sink.close(WAIT)
    assert len(server.requests) == 3
    assert sink.stats() == {"delivered": 1, "failed": 0, "dropped": 0}
    assert pauses == [0.5, 1.0]  # backoff, doubled


def test_webhook_backoff_is_capped(server: Server) -> None:
    server.script = [(500, {})] * 4
    sink = WebhookSink(server.url, retries=4, backoff=0.5, max_backoff=1.5)
    pauses = record_pauses(sink)
    sink.deliver(event())
    sink.close(WAIT)
    assert pauses == [0.5, 1.0, 1.5, 1.5]
    assert sink.delivered == 1


def test_webhook_honours_retry_after(server: Server) -> None:
    server.script = [(429, {"Retry-After": "3"}), (503, {"Retry-After": "120"})]
    sink = WebhookSink(server.url, backoff=0.01, max_backoff=60)
    pauses = record_pauses(sink)
    sink.deliver(event())
    sink.close(WAIT)
    assert pauses == [3.0, 60.0]  # what the server asked, capped by max_backoff
    assert len(server.requests) == 3
    assert sink.stats() == {"delivered": 1, "failed": 0, "dropped": 0}


def test_webhook_retry_after_for_real(server: Server) -> None:
    server.script = [(429, {"Retry-After": "0"})]
    sink = WebhookSink(server.url, backoff=5, max_backoff=8)
    sink.deliver(event())
    sink.close(WAIT)
    assert len(server.requests) == 2
    assert sink.delivered == 1


def test_retry_after_values() -> None:
    assert _retry_after("7") == 7.0
    assert _retry_after(None) is None
    assert _retry_after("soon") is None
    later = format_datetime(datetime.now(UTC) + timedelta(hours=1), usegmt=True)
    delay = _retry_after(later)
    assert delay is not None and 0 < delay <= 3600
    past = format_datetime(datetime.now(UTC) - timedelta(seconds=30), usegmt=True)
    assert _retry_after(past) == 0.0


@pytest.mark.parametrize("status", [400, 401, 404, 413])
def test_webhook_does_not_retry_other_4xx(server: Server, status: int) -> None:
    server.script = [(status, {})]
    sink = WebhookSink(server.url, retries=3)
    pauses = record_pauses(sink)
    sink.deliver(event())
    sink.close(WAIT)
    assert len(server.requests) == 1
    assert pauses == []
    assert sink.stats() == {"delivered": 0, "failed": 1, "dropped": 0}
    assert sink.errors() == [f"webhook {server.url}: HTTP {status}; not retried"]


def test_webhook_does_not_follow_redirects(server: Server) -> None:
    server.script = [(307, {"Location": server.url + "/elsewhere"})]
    sink = WebhookSink(server.url)
    sink.deliver(event())
    sink.close(WAIT)
    assert len(server.requests) == 1
    assert sink.failed == 1 and sink.delivered == 0


def test_webhook_to_a_closed_port_fails_quietly(capsys: pytest.CaptureFixture[str]) -> None:
    url = closed_port_url()
    sink = WebhookSink(url, retries=2)
    pauses = record_pauses(sink)
    sink.deliver(event())  # no exception, now or later
    sink.close(WAIT)
    assert len(pauses) == 2
    assert sink.stats() == {"delivered": 0, "failed": 1, "dropped": 0}
    (error,) = sink.errors()
    assert "giving up after 3 attempt(s)" in error
    err = capsys.readouterr().err
    assert "policyc: alerts: webhook http://127.0.0.1:" in err
    assert "giving up" in err
    for secret in ("SECRET-PATH", "SECRET-QUERY"):  # tokens in the URL never reach a log
        assert secret not in err
        assert secret not in error


def test_webhook_full_queue_drops_and_counts(
    server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    server.gate.clear()  # the server holds the first request: the queue fills up
    sink = WebhookSink(server.url, queue_size=2, timeout=WAIT)
    for n in range(10):
        sink.deliver(event(n))
    accepted = 10 - sink.dropped
    assert 2 <= accepted <= 3  # two queued, and perhaps one taken by the thread
    assert sink.dropped == len(sink.errors())
    assert capsys.readouterr().err.count("the queue is full") == 1  # one line per overflow
    server.gate.set()
    sink.close(WAIT)
    assert sink.delivered == accepted
    sent = [int(b["alert_id"].split(":")[1]) for b in server.bodies()]
    assert len(sent) == accepted and sent[:2] == [0, 1] and sent == sorted(sent)


def test_webhook_close_drains_the_queue(server: Server) -> None:
    sink = WebhookSink(server.url)
    for n in range(50):
        sink.deliver(event(n))
    sink.close(WAIT)
    assert sink.stats() == {"delivered": 50, "failed": 0, "dropped": 0}
    assert [b["alert_id"] for b in server.bodies()] == [f"dec_test:{n}" for n in range(50)]


def test_webhook_close_timeout_drops_the_rest(
    server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    server.gate.clear()
    sink = WebhookSink(server.url, timeout=WAIT)
    for n in range(3):
        sink.deliver(event(n))
    sink.close(0)
    assert "not sent before the close timeout" in capsys.readouterr().err
    server.gate.set()
    assert sink._thread is not None
    sink._thread.join(WAIT)
    assert not sink._thread.is_alive()  # the thread ends once closed
    assert sink.delivered <= 1
    assert sink.delivered + sink.dropped == 3
    sink.deliver(event(9))  # after close: dropped, never sent
    assert sink.delivered + sink.dropped == 4
    assert all(b["alert_id"] != "dec_test:9" for b in server.bodies())


def test_webhook_sends_nothing_and_starts_no_thread_without_events() -> None:
    sink = WebhookSink("https://alerts.example.com/hook")
    sink.close(1)
    assert sink._thread is None
    assert sink.stats() == {"delivered": 0, "failed": 0, "dropped": 0}


def test_webhook_without_a_thread_drops_and_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    sink = WebhookSink("https://alerts.example.com/hook")

    def refuse() -> None:
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(sink, "_start", refuse)
    sink.deliver(event())  # no exception
    assert sink.stats() == {"delivered": 0, "failed": 0, "dropped": 1}
    assert "cannot start the delivery thread" in sink.errors()[0]
    sink.close(1)


def test_webhook_unencodable_event_is_counted() -> None:
    sink = WebhookSink("https://alerts.example.com/hook")
    sink.deliver({"x": object()})
    assert sink.failed == 1
    assert sink._thread is None
    sink.close(1)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.com/x", "must be an http or https URL (the scheme is ftp)"),
        ("file:///etc/passwd", "must be an http or https URL (the scheme is file)"),
        ("example.com/hook", "must be an http or https URL (the scheme is none)"),
        ("https://", "must name a host"),
        ("https://example.com:99999/", "is not a valid URL"),
        ("https://exa mple.com/", "without spaces or control characters"),
        ("", "must be a non-empty http or https URL"),
    ],
)
def test_webhook_bad_url(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=r"^webhook url: ") as info:
        WebhookSink(url)
    assert message in str(info.value)


def test_webhook_bad_options() -> None:
    with pytest.raises(ValueError, match="webhook timeout: "):
        WebhookSink("https://example.com", timeout=0)
    with pytest.raises(ValueError, match="webhook headers: "):
        WebhookSink("https://example.com", headers={"X-A": "a\r\nX-B: b"})
    with pytest.raises(ValueError, match="webhook queue_size: "):
        WebhookSink("https://example.com", queue_size=0)


# -- the file and stderr sinks ------------------------------------------------------------------


def test_jsonl_sink_appends_lines_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "alerts.jsonl"
    sink = JsonlSink(path)
    for n in range(3):
        sink.deliver(event(n, reason="line\nbreak and \u00e9"))
    sink.close(1)
    lines = path.read_text().splitlines()
    assert [json.loads(line) for line in lines] == [
        event(n, reason="line\nbreak and \u00e9") for n in range(3)
    ]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sink.stats() == {"delivered": 3, "failed": 0, "dropped": 0}
    JsonlSink(path).deliver(event(3))  # a second sink appends
    assert len(path.read_text().splitlines()) == 4


def test_jsonl_sink_failure_is_counted_not_raised(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sink = JsonlSink(tmp_path)  # a folder: cannot be opened for writing
    sink.deliver(event())
    assert sink.stats() == {"delivered": 0, "failed": 1, "dropped": 0}
    assert sink.errors()[0].startswith(f"jsonl {tmp_path}: cannot append the event")
    assert "policyc: alerts: jsonl" in capsys.readouterr().err


WRITER = """
import sys
from policyc.runtime.alerts import JsonlSink
sink = JsonlSink(sys.argv[1])
for n in range(int(sys.argv[3])):
    sink.deliver({"writer": sys.argv[2], "n": n, "pad": sys.argv[2] * 20000})
"""


def test_jsonl_concurrent_processes_never_interleave(tmp_path: Path) -> None:
    path = tmp_path / "alerts.jsonl"
    count, writers = 100, "abcd"
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(path), w, str(count)]) for w in writers
    ]
    for p in procs:
        assert p.wait(timeout=120) == 0
    check_lines(path, writers, count)


def test_jsonl_concurrent_threads_never_interleave(tmp_path: Path) -> None:
    path = tmp_path / "alerts.jsonl"
    sink = JsonlSink(path)
    count, writers = 100, "efgh"

    def write(w: str) -> None:
        for n in range(count):
            sink.deliver({"writer": w, "n": n, "pad": w * 20000})

    threads = [threading.Thread(target=write, args=(w,)) for w in writers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT * 4)
    check_lines(path, writers, count)
    assert sink.delivered == count * len(writers)


def check_lines(path: Path, writers: str, count: int) -> None:
    seen: dict[str, list[int]] = {w: [] for w in writers}
    with path.open() as f:
        for line in f:
            record = json.loads(line)  # a partial or interleaved line would not parse
            assert record["pad"] == record["writer"] * 20000
            seen[record["writer"]].append(record["n"])
    assert seen == {w: list(range(count)) for w in writers}


def test_stderr_sink(capsys: pytest.CaptureFixture[str]) -> None:
    sink = StderrSink()
    sink.deliver(event(1))
    sink.deliver(event(2))
    sink.close(1)
    lines = capsys.readouterr().err.splitlines()
    assert [json.loads(line) for line in lines] == [event(1), event(2)]
    assert sink.delivered == 2


# -- building sinks from configuration ----------------------------------------------------------


def test_build_sinks(tmp_path: Path) -> None:
    sinks = build_sinks(
        [
            {"type": "jsonl", "path": str(tmp_path / "a.jsonl")},
            {"type": "stderr"},
            {
                "type": "webhook",
                "url": "https://alerts.example.com/hook",
                "headers": {"Authorization": "Bearer x"},
                "timeout": 2,
                "retries": 0,
                "backoff": 0.1,
                "max_backoff": 1,
                "queue_size": 10,
            },
        ]
    )
    jsonl, stderr, webhook = sinks
    assert isinstance(jsonl, JsonlSink) and jsonl.path == str(tmp_path / "a.jsonl")
    assert isinstance(stderr, StderrSink)
    assert isinstance(webhook, WebhookSink)
    assert (webhook.timeout, webhook.retries, webhook.backoff, webhook.max_backoff) == (
        2.0,
        0,
        0.1,
        1.0,
    )
    assert webhook.queue_size == 10
    assert webhook.headers == {"Authorization": "Bearer x"}
    assert build_sinks([]) == []


@pytest.mark.parametrize(
    ("specs", "message"),
    [
        ([{"type": "pager"}], "alerts[0].type: unknown sink type 'pager'"),
        ([{"path": "x"}], "alerts[0].type: missing"),
        ([{"type": "stderr"}, {"type": "webhook"}], "alerts[1].url: missing"),
        (
            [{"type": "stderr"}, {"type": "webhook", "url": "ftp://x"}],
            "alerts[1].url: must be an http or https URL",
        ),
        ([{"type": "webhook", "url": 5}], "alerts[0].url: must be a non-empty"),
        ([{"type": "jsonl"}], "alerts[0].path: missing"),
        ([{"type": "jsonl", "path": ""}], "alerts[0].path: must be a non-empty string"),
        ([{"type": "jsonl", "path": "a", "url": "b"}], "alerts[0].url: unknown key"),
        ([{"type": "stderr", "colour": "red"}], "alerts[0].colour: unknown key"),
        (["stderr"], "alerts[0]: must be a table"),
        ([{"type": "webhook", "url": "https://h", "timeout": -1}], "alerts[0].timeout: "),
        ([{"type": "webhook", "url": "https://h", "timeout": "5"}], "alerts[0].timeout: "),
        ([{"type": "webhook", "url": "https://h", "retries": True}], "alerts[0].retries: "),
        ([{"type": "webhook", "url": "https://h", "retries": 1.5}], "alerts[0].retries: "),
        ([{"type": "webhook", "url": "https://h", "backoff": -0.1}], "alerts[0].backoff: "),
        ([{"type": "webhook", "url": "https://h", "max_backoff": None}], "alerts[0].max_backoff: "),
        ([{"type": "webhook", "url": "https://h", "queue_size": 0}], "alerts[0].queue_size: "),
        ([{"type": "webhook", "url": "https://h", "headers": ["a"]}], "alerts[0].headers: "),
        (
            [{"type": "webhook", "url": "https://h", "headers": {"X": 1}}],
            "alerts[0].headers: the value of X must be a string",
        ),
        (
            [{"type": "webhook", "url": "https://h", "headers": {"Bad Name": "v"}}],
            "alerts[0].headers: 'Bad Name' is not a valid header name",
        ),
    ],
)
def test_build_sinks_errors_name_the_key(specs: list[Any], message: str) -> None:
    with pytest.raises(ValueError) as info:
        build_sinks(specs)
    assert str(info.value).startswith(message), str(info.value)


def test_build_sinks_where() -> None:
    with pytest.raises(ValueError, match=r"^config\.alerts\[0\]\.type: "):
        build_sinks([{"type": "nope"}], where="config.alerts")


# -- the dispatcher -----------------------------------------------------------------------------


class Recording:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.closed: list[float] = []

    def deliver(self, event: dict[str, Any]) -> None:
        self.events.append(event)

    def close(self, timeout: float = 5.0) -> None:
        self.closed.append(timeout)

    def errors(self) -> list[str]:
        return []


class Broken(Recording):
    def deliver(self, event: dict[str, Any]) -> None:
        raise RuntimeError("boom")

    def close(self, timeout: float = 5.0) -> None:
        raise RuntimeError("boom at close")


def test_dispatcher_sends_every_event_to_every_sink(
    engine: PolicyEngine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = engine.decide(SECRET_IN_URL)
    first, second = Recording(), Recording()
    jsonl = JsonlSink(tmp_path / "alerts.jsonl")
    dispatcher = AlertDispatcher([first, Broken(), jsonl, second])
    events = dispatcher.dispatch(d, session_id="s", agent_id="a")  # no exception from Broken
    assert events == alert_events(d, session_id="s", agent_id="a")
    assert first.events == second.events == events
    lines = (tmp_path / "alerts.jsonl").read_text().splitlines()
    assert [json.loads(line) for line in lines] == events
    dispatcher.close(3)
    assert len(first.closed) == len(second.closed) == 1
    assert 0 <= second.closed[0] <= 3
    err = capsys.readouterr().err
    assert "policyc: alerts: Broken: boom" in err
    assert "boom at close" in err


def test_dispatcher_with_a_webhook(engine: PolicyEngine, server: Server) -> None:
    d = engine.decide(UNKNOWN_DOMAIN)
    dispatcher = AlertDispatcher(build_sinks([{"type": "webhook", "url": server.url}]))
    dispatcher.dispatch(d, session_id="s")
    dispatcher.close(WAIT)
    assert server.bodies() == alert_events(d, session_id="s")
    assert dispatcher.errors() == []


def test_dispatcher_without_sinks(engine: PolicyEngine) -> None:
    d: Decision = engine.decide(UNKNOWN_DOMAIN)
    assert AlertDispatcher([]).dispatch(d) == []


def test_a_hook_process_flushes_before_exit(server: Server, tmp_path: Path) -> None:
    """A process that dispatches and closes delivers its events before it exits."""
    script = f"""
import policyc
from policyc.runtime.alerts import AlertDispatcher, build_sinks
d = policyc.load(cache=False).decide({UNKNOWN_DOMAIN!r})
dispatcher = AlertDispatcher(build_sinks([{{"type": "webhook", "url": {server.url!r}}}]))
dispatcher.dispatch(d, agent_id="hook")
dispatcher.close(20)
"""
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120, env=env, cwd=ROOT)
    (body,) = server.bodies()
    assert body["policy_id"] == "egress.unknown_domain"
    assert body["agent_id"] == "hook"
