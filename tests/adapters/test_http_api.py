"""The HTTP decision API (policyc.adapters.http_api, ``policyc serve``): authentication, decisions
and their audit entries, approvals over HTTP, request errors, metrics, the OpenAPI document, and
a real uvicorn server under 50 concurrent clients with every decision audited."""

from __future__ import annotations

import http.client
import json
import os
import re
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")

import uvicorn  # noqa: E402
from starlette.applications import Starlette  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

from policyc.adapters.http_api import (  # noqa: E402
    ApiToken,
    TokenError,
    create_app,
    load_token_file,
    openapi_document,
    parse_tokens,
)
from policyc.cli.main import main  # noqa: E402
from policyc.decision.engine import PolicyEngine, load  # noqa: E402
from policyc.runtime.audit import AuditLog  # noqa: E402
from policyc.runtime.config import config_from_data  # noqa: E402
from policyc.runtime.runtime import Runtime  # noqa: E402
from policyc.runtime.store import StateStore, StoreError  # noqa: E402

TOKEN = "test-token-0123456789abcdef"
DECIDE_ONLY = "decide-only-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}

READ_SOURCE = {"action_type": "file.read", "resource": {"path": "/repo/src/app.py"}, "cwd": "/repo"}
READ_ENV = {"action_type": "file.read", "resource": {"path": "/repo/.env"}, "cwd": "/repo"}
AUTH_EDIT = {
    "action_type": "file.edit",
    "resource": {"path": "/repo/src/auth/login.py"},
    "session": {"id": "s1"},
}

SMALL_POLICY = """\
module load_test

default allow

deny load_test.env
  when action_type = "file.read", glob(resource.path, "**/.env")
  reason "no .env"
"""


@pytest.fixture(scope="module")
def stdlib() -> PolicyEngine:
    return load()


def make_runtime(tmp_path: Path, engine: PolicyEngine | None, **data: Any) -> Runtime:
    data.setdefault("state_dir", "state")
    return Runtime(config_from_data(data, tmp_path / "policyc.toml"), engine=engine)


@contextmanager
def client_for(
    tmp_path: Path, engine: PolicyEngine | None, *, tokens: Any = None, **options: Any
) -> Iterator[tuple[TestClient, Runtime]]:
    rt = make_runtime(tmp_path, engine)
    tokens = tokens if tokens is not None else [TOKEN, ApiToken.of(DECIDE_ONLY, ["decide"])]
    app = create_app(rt, tokens=tokens, **options)
    try:
        with TestClient(app, base_url="http://policyc.test") as client:
            yield client, rt
    finally:
        rt.close()


@contextmanager
def audit_of(tmp_path: Path) -> Iterator[AuditLog]:
    store = StateStore.in_folder(tmp_path / "state")
    try:
        yield AuditLog(store, create=False)
    finally:
        store.close()


def audited(tmp_path: Path) -> int:
    """The number of entries of the audit log, whose chain must verify."""
    with audit_of(tmp_path) as log:
        report = log.verify()
    assert report.ok, report.message
    return report.entries


# -- authentication --------------------------------------------------------------------------------


def test_every_route_but_health_needs_a_valid_token(tmp_path: Path, stdlib: PolicyEngine) -> None:
    with client_for(tmp_path, stdlib) as (client, _):
        assert client.get("/healthz").json() == {"status": "ok"}
        for method, path in (
            ("POST", "/v1/decide"),
            ("POST", "/v1/decide/batch"),
            ("GET", "/v1/decisions/dec_x"),
            ("GET", "/v1/approvals"),
            ("POST", "/v1/approvals/apr_x/approve"),
            ("GET", "/metrics"),
            ("GET", "/openapi.json"),
            ("GET", "/no/such/route"),
        ):
            missing = client.request(method, path, json=READ_SOURCE)
            assert missing.status_code == 401, path
            assert missing.headers["www-authenticate"] == 'Bearer realm="policyc"'
            assert missing.json()["error"]["code"] == "unauthorized"
            for header in (f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", f"Basic {TOKEN}", "Bearer"):
                wrong = client.request(
                    method, path, json=READ_SOURCE, headers={"Authorization": header}
                )
                assert wrong.status_code == 401, (path, header)
                assert 'error="invalid_token"' in wrong.headers["www-authenticate"]
        ok = client.post("/v1/decide", json=READ_SOURCE, headers=AUTH)
        assert ok.status_code == 200 and ok.json()["decision"] == "allow"
        lower = client.post(
            "/v1/decide", json=READ_SOURCE, headers={"authorization": f"bearer {TOKEN}"}
        )
        assert lower.status_code == 200
        assert audited(tmp_path) == 2


def test_a_token_limited_to_decide_cannot_read_or_approve(
    tmp_path: Path, stdlib: PolicyEngine
) -> None:
    limited = {"Authorization": f"Bearer {DECIDE_ONLY}"}
    with client_for(tmp_path, stdlib) as (client, _):
        pending = client.post("/v1/decide", json=AUTH_EDIT, headers=limited).json()
        assert pending["decision"] == "require_approval"
        for method, path in (
            ("POST", f"/v1/approvals/{pending['approval_id']}/approve"),
            ("GET", "/v1/approvals"),
            ("GET", f"/v1/decisions/{pending['decision_id']}"),
            ("GET", "/metrics"),
        ):
            r = client.request(
                method, path, json={"approver": "mallory", "role": "security"}, headers=limited
            )
            assert r.status_code == 403, path
            assert r.json()["error"]["code"] == "insufficient_scope"
            assert 'error="insufficient_scope"' in r.headers["www-authenticate"]
        # the agent did not approve itself: the same action still waits for approval
        again = client.post("/v1/decide", json=AUTH_EDIT, headers=limited).json()
        assert again["decision"] == "require_approval"


def test_tokens_are_parsed_and_the_token_file_must_be_owner_only(tmp_path: Path) -> None:
    tokens = parse_tokens(
        f"# API tokens\n\n{TOKEN} decide read approve\n{DECIDE_ONLY}  # no scope given\n",
        source="tokens",
    )
    assert [sorted(t.scopes) for t in tokens] == [
        ["approve", "decide", "read"],
        ["decide", "read"],  # approving is only ever given by name
    ]
    for bad, why in (
        ("short", "not a token"),
        (f"{TOKEN} admin", "unknown scope"),
        (f"{TOKEN[:10]} {TOKEN[10:]}", "not a token"),
        (f"{TOKEN} {TOKEN[10:]}", "unknown scope"),
        (f"{TOKEN}\n{TOKEN} read", "listed twice"),
        ("tøken-0123456789abcdef", "not a token"),
    ):
        with pytest.raises(TokenError, match=why) as e:
            parse_tokens(bad, source="tokens")
        assert TOKEN[:10] not in str(e.value) and TOKEN[10:] not in str(e.value)
    path = tmp_path / "tokens"
    path.write_text(f"{TOKEN}\n")
    path.chmod(0o644)
    with pytest.raises(TokenError, match="owner-only"):
        load_token_file(path)
    path.chmod(0o600)
    assert len(load_token_file(path)) == 1
    path.write_text("# nothing\n")
    with pytest.raises(TokenError, match="holds no token"):
        load_token_file(path)
    # the environment: comma-separated, scopes after a space; both sources together
    from policyc.cli.serve import load_tokens

    path.write_text(f"{TOKEN}\n")
    both = load_tokens(str(path), {"POLICYC_API_TOKENS": f" {DECIDE_ONLY} decide , "})
    assert [sorted(t.scopes) for t in both] == [["decide", "read"], ["decide"]]
    assert load_tokens(None, {}) == []
    with pytest.raises(TokenError, match="also in"):
        load_tokens(str(path), {"POLICYC_API_TOKENS": TOKEN})


def test_serve_refuses_to_start_without_a_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("POLICYC_API_TOKENS", raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(["serve", "--port", "0"]) == 2
    assert "refusing to start without an API token" in capsys.readouterr().err
    loose = tmp_path / "tokens"
    loose.write_text(f"{TOKEN}\n")
    loose.chmod(0o640)
    assert main(["serve", "--token-file", str(loose)]) == 2
    err = capsys.readouterr().err
    assert "owner-only" in err and TOKEN not in err
    monkeypatch.setenv("POLICYC_API_TOKENS", TOKEN)
    assert main(["serve", "--insecure-no-auth"]) == 2
    assert "choose one" in capsys.readouterr().err
    assert not (tmp_path / ".policyc").exists()  # nothing was started


# -- decisions -------------------------------------------------------------------------------------


def test_decide_batch_and_the_audit_entries_round_trip(
    tmp_path: Path, stdlib: PolicyEngine
) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    doc = openapi_document()
    decision_schema = {"$ref": "#/components/schemas/Decision", **doc}
    with client_for(tmp_path, stdlib) as (client, _):
        one = client.post("/v1/decide", json=READ_ENV, headers=AUTH)
        assert one.status_code == 200 and one.headers["content-type"] == "application/json"
        denied = one.json()
        assert denied["decision"] == "deny" and denied["policy_ids"] == ["secrets.read"]
        assert denied["outcomes"][0]["proof"] is not None
        jsonschema.validate(denied, decision_schema)

        batch = client.post(
            "/v1/decide/batch",
            json=[READ_SOURCE, READ_ENV, {"action_type": "file.read", "bogus": 1}, 42],
            headers=AUTH,
        )
        assert batch.status_code == 200
        decisions = batch.json()
        assert [d["decision"] for d in decisions] == ["allow", "deny", "deny", "deny"]
        assert [d["error"] and d["error"]["code"] for d in decisions] == [
            None,
            None,
            "invalid_action",
            "invalid_action",
        ]
        assert "got int" in decisions[3]["error"]["message"]
        for d in decisions:
            jsonschema.validate(d, decision_schema)
        assert client.post("/v1/decide/batch", json=[], headers=AUTH).json() == []

        # an invalid action is a decision (deny), not a request error
        invalid = client.post("/v1/decide", json={"action_type": "file.teleport"}, headers=AUTH)
        assert invalid.status_code == 200 and invalid.json()["decision"] == "deny"
        array = client.post("/v1/decide", json=[READ_SOURCE], headers=AUTH)
        assert array.status_code == 200 and array.json()["error"]["code"] == "invalid_action"

        # a lone surrogate (a JSON escape can hold one) is no request error either
        odd = client.post(
            "/v1/decide",
            content=b'{"action_type": "file.read", "x\\ud800": 1}',
            headers={**AUTH, "Content-Type": "application/json"},
        )
        assert odd.status_code == 200 and odd.json()["error"]["code"] == "invalid_action"

        for d in [denied, *decisions, invalid.json(), odd.json()]:
            got = client.get(f"/v1/decisions/{d['decision_id']}", headers=AUTH)
            assert got.status_code == 200
            entry = got.json()
            assert entry["decision"] == d
            assert re.fullmatch(r"[0-9a-f]{64}", entry["hash"])
            assert entry["schema"] == "policyc.audit/1"
        assert (
            client.get(f"/v1/decisions/{denied['decision_id']}", headers=AUTH).json()["action"][
                "resource"
            ]["path"]
            == "/repo/.env"
        )
        missing = client.get("/v1/decisions/dec_00000000000000000000000000", headers=AUTH)
        assert missing.status_code == 404
        assert missing.json()["error"]["code"] == "decision_not_found"
    assert audited(tmp_path) == 8  # 1 + 4 + the two invalid ones + the odd one


def test_batch_limits(tmp_path: Path, stdlib: PolicyEngine) -> None:
    with client_for(tmp_path, stdlib, max_batch=3) as (client, _):
        too_long = client.post("/v1/decide/batch", json=[READ_SOURCE] * 4, headers=AUTH)
        assert too_long.status_code == 413
        assert too_long.json()["error"] == {
            "code": "batch_too_long",
            "message": "the batch holds 4 actions; the limit is 3",
            "limit": 3,
        }
        not_array = client.post("/v1/decide/batch", json=READ_SOURCE, headers=AUTH)
        assert not_array.status_code == 422
        assert not_array.json()["error"]["code"] == "batch_not_array"
        grant = client.post(
            "/v1/decide/batch",
            json=[READ_SOURCE],
            headers={**AUTH, "X-Policyc-Grant": "pcg1.x.y"},
        )
        assert grant.status_code == 400 and grant.json()["error"]["code"] == "grant_not_allowed"
    assert audited(tmp_path) == 0  # nothing was decided


# -- approvals -------------------------------------------------------------------------------------


def test_approval_flow_over_http(tmp_path: Path, stdlib: PolicyEngine) -> None:
    with client_for(tmp_path, stdlib) as (client, _):
        first = client.post("/v1/decide", json=AUTH_EDIT, headers=AUTH).json()
        assert first["decision"] == "require_approval" and first["approver_role"] == "security"
        approval_id = first["approval_id"]
        assert approval_id

        listed = client.get("/v1/approvals", params={"status": "pending"}, headers=AUTH).json()
        assert [a["id"] for a in listed["approvals"]] == [approval_id]
        assert client.get("/v1/approvals?status=approved", headers=AUTH).json() == {"approvals": []}
        bad_status = client.get("/v1/approvals?status=maybe", headers=AUTH)
        assert bad_status.status_code == 400
        shown = client.get(f"/v1/approvals/{approval_id}", headers=AUTH).json()
        assert shown["status"] == "pending" and shown["decision_id"] == first["decision_id"]
        assert client.get("/v1/approvals/apr_nope", headers=AUTH).status_code == 404

        url = f"/v1/approvals/{approval_id}/approve"
        wrong_role = client.post(url, json={"approver": "eve", "role": "platform"}, headers=AUTH)
        assert wrong_role.status_code == 403
        assert wrong_role.json()["error"]["code"] == "approval.role_mismatch"
        for body in ({"approver": "ana"}, {"approver": "", "role": "security"}, ["ana"]):
            assert client.post(url, json=body, headers=AUTH).status_code == 422
        approved = client.post(url, json={"approver": "ana", "role": "security"}, headers=AUTH)
        assert approved.status_code == 200
        grant = approved.json()["grant"]
        assert grant["approval_id"] == approval_id and grant["token"].startswith("pcg1.")
        assert approved.json()["approval"]["status"] == "approved"
        twice = client.post(url, json={"approver": "ana", "role": "security"}, headers=AUTH)
        assert twice.status_code == 409 and twice.json()["error"]["code"] == "approval.decided"
        unknown = client.post(
            "/v1/approvals/apr_nope/approve",
            json={"approver": "ana", "role": "security"},
            headers=AUTH,
        )
        assert unknown.status_code == 404

        # the same action again goes through, once (grants are single-use)
        allowed = client.post("/v1/decide", json=AUTH_EDIT, headers=AUTH).json()
        assert allowed["decision"] == "allow" and allowed["approval_id"] == approval_id
        replay = client.post("/v1/decide", json=AUTH_EDIT, headers=AUTH).json()
        assert replay["decision"] == "require_approval"
        assert replay["approval_id"] != approval_id

        # a grant presented in the header: a forged one is refused, the issued one works
        second = replay["approval_id"]
        token = client.post(
            f"/v1/approvals/{second}/approve",
            json={"approver": "ana", "role": "security"},
            headers=AUTH,
        ).json()["grant"]["token"]
        forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
        refused = client.post(
            "/v1/decide", json=AUTH_EDIT, headers={**AUTH, "X-Policyc-Grant": forged}
        ).json()
        assert refused["decision"] == "require_approval"
        presented = client.post(
            "/v1/decide", json=AUTH_EDIT, headers={**AUTH, "X-Policyc-Grant": token}
        ).json()
        assert presented["decision"] == "allow" and presented["approval_id"] == second

        # deny: the approval is closed and the action keeps waiting
        third = client.post("/v1/decide", json=AUTH_EDIT, headers=AUTH).json()["approval_id"]
        denied = client.post(
            f"/v1/approvals/{third}/deny",
            json={"approver": "ana", "role": "security"},
            headers=AUTH,
        )
        assert denied.status_code == 200 and denied.json()["approval"]["status"] == "denied"
        assert (
            client.post("/v1/decide", json=AUTH_EDIT, headers=AUTH).json()["decision"]
            == "require_approval"
        )
    assert audited(tmp_path) == 7  # one entry per decision asked


# -- request errors --------------------------------------------------------------------------------


def test_bad_json_is_a_400_with_its_position(tmp_path: Path, stdlib: PolicyEngine) -> None:
    headers = {**AUTH, "Content-Type": "application/json"}
    with client_for(tmp_path, stdlib) as (client, _):
        r = client.post(
            "/v1/decide", content=b'{"action_type": "file.read",\n  "resource": }', headers=headers
        )
        assert r.status_code == 400
        error = r.json()["error"]
        assert error["code"] == "invalid_json"
        assert (error["line"], error["column"]) == (2, 15)
        assert "line 2 column 15" in error["message"]
        for body in (b"", b"NaN", b'{"a": Infinity}', b"\xff\xfe{}", b"[" * 100_000):
            r = client.post("/v1/decide", content=body, headers=headers)
            assert r.status_code == 400, body[:10]
            assert r.json()["error"]["code"] == "invalid_json"
        secret = b'{"command": "echo AKIAIOSFODNN7EXAMPLE",}'
        r = client.post("/v1/decide", content=secret, headers=headers)
        assert r.status_code == 400 and b"AKIA" not in r.content
    assert audited(tmp_path) == 0


def test_bodies_too_large_and_wrong_content_types(tmp_path: Path, stdlib: PolicyEngine) -> None:
    with client_for(tmp_path, stdlib, max_body=1024) as (client, _):
        big = {**READ_SOURCE, "payload": "x" * 2000}
        r = client.post("/v1/decide", json=big, headers=AUTH)
        assert r.status_code == 413
        assert r.json()["error"] == {
            "code": "body_too_large",
            "message": "the body is larger than the limit of 1024 bytes",
            "limit": 1024,
        }

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
            yield b'{"payload": "'
            for _ in range(20):
                yield b"y" * 100
            yield b'"}'

        chunked = client.post(
            "/v1/decide", content=chunks(), headers={**AUTH, "Content-Type": "application/json"}
        )
        assert chunked.status_code == 413
        assert client.post("/v1/decide", json=READ_SOURCE, headers=AUTH).status_code == 200

        # a body above 64 KiB is parsed in a worker thread: the same answers
        with client_for(tmp_path / "large", stdlib) as (large, _):
            padded = {**READ_SOURCE, "payload": "z" * 100_000}
            assert large.post("/v1/decide", json=padded, headers=AUTH).json()["decision"] == "allow"
            broken = json.dumps(padded)[:-1].encode()
            r = large.post(
                "/v1/decide", content=broken, headers={**AUTH, "Content-Type": "application/json"}
            )
            assert r.status_code == 400 and r.json()["error"]["column"] == len(broken) + 1

        for content_type in (
            None,
            "text/plain",
            "application/x-www-form-urlencoded",
            "application/json; charset=latin-1",
        ):
            headers = dict(AUTH)
            if content_type:
                headers["Content-Type"] = content_type
            r = client.post("/v1/decide", content=json.dumps(READ_SOURCE), headers=headers)
            assert r.status_code == 415, content_type
            assert r.json()["error"]["code"] == "unsupported_media_type"
        ok = client.post(
            "/v1/decide",
            content=json.dumps(READ_SOURCE),
            headers={**AUTH, "Content-Type": "application/json; charset=UTF-8"},
        )
        assert ok.status_code == 200
        assert client.get("/v1/decide", headers=AUTH).status_code == 405
        assert client.get("/v1/nothing", headers=AUTH).json()["error"]["code"] == "not_found"


# -- failing closed, health and metrics ------------------------------------------------------------


def test_health_is_503_and_every_action_denied_when_the_policies_do_not_load(
    tmp_path: Path,
) -> None:
    rt = make_runtime(tmp_path, None, policies=["missing.policy"])
    assert rt.failure is not None
    with TestClient(create_app(rt, tokens=[TOKEN])) as client:
        health = client.get("/healthz")
        assert health.status_code == 503
        assert health.json() == {"status": "failing", "code": "policy_error"}
        d = client.post("/v1/decide", json=READ_SOURCE, headers=AUTH)
        assert d.status_code == 200
        assert d.json()["decision"] == "deny" and d.json()["error"]["code"] == "policy_error"
        assert "policyc_up 0" in client.get("/metrics", headers=AUTH).text
    rt.close()


def test_a_state_store_that_fails_is_a_503_and_an_unhealthy_server(
    tmp_path: Path, stdlib: PolicyEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with client_for(tmp_path, stdlib) as (client, rt):
        assert client.get("/healthz").status_code == 200
        assert rt.store is not None

        @contextmanager
        def unreadable() -> Iterator[Any]:
            raise StoreError("store.unavailable", "disk gone")
            yield

        monkeypatch.setattr(rt.store, "read", unreadable)
        health = client.get("/healthz")
        assert health.status_code == 503
        assert health.json() == {"status": "failing", "code": "state_unavailable"}
        for path in ("/v1/decisions/dec_x", "/v1/approvals", "/v1/approvals/apr_x"):
            r = client.get(path, headers=AUTH)
            assert r.status_code == 503, path
            assert r.json()["error"] == {
                "code": "state_unavailable",
                "message": "the state store is unavailable",
            }
        assert "policyc_up 0" in client.get("/metrics", headers=AUTH).text.splitlines()


def test_metrics_count_decisions_requests_latency_and_audit_failures(
    tmp_path: Path, stdlib: PolicyEngine
) -> None:
    with client_for(tmp_path, stdlib) as (client, rt):
        for action in (READ_SOURCE, READ_SOURCE, READ_ENV):
            client.post("/v1/decide", json=action, headers=AUTH)
        client.post("/v1/decide/batch", json=[READ_SOURCE, {"bogus": True}], headers=AUTH)
        client.post("/v1/decide", json=READ_SOURCE)  # 401
        client.post(
            "/v1/decide", content=b"{", headers={**AUTH, "Content-Type": "application/json"}
        )

        # the audit log cannot be written: the decision is a deny, counted as an audit failure
        assert rt.audit is not None

        def broken(*args: Any, **kwargs: Any) -> Any:
            raise StoreError("store.unavailable", "disk full")

        original = rt.audit.append
        rt.audit.append = broken  # type: ignore[method-assign]
        failed = client.post("/v1/decide", json=READ_SOURCE, headers=AUTH).json()
        rt.audit.append = original  # type: ignore[method-assign]
        assert failed["decision"] == "deny" and failed["error"]["code"] == "audit_unavailable"

        r = client.get("/metrics", headers=AUTH)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
        text = r.text
    lines = set(text.splitlines())
    for line in (
        "policyc_up 1",
        'policyc_decisions_total{decision="allow"} 3',
        'policyc_decisions_total{decision="deny"} 3',
        'policyc_decisions_total{decision="terminate"} 0',
        'policyc_decision_errors_total{code="invalid_action"} 1',
        'policyc_decision_errors_total{code="audit_unavailable"} 1',
        "policyc_audit_failures_total 1",
        "policyc_audit_entries 5",
        'policyc_http_requests_total{route="/v1/decide",method="POST",status="200"} 4',
        'policyc_http_requests_total{route="/v1/decide",method="POST",status="401"} 1',
        'policyc_http_requests_total{route="/v1/decide",method="POST",status="400"} 1',
        'policyc_http_requests_total{route="/v1/decide/batch",method="POST",status="200"} 1',
        'policyc_http_request_duration_seconds_bucket{route="/v1/decide",le="+Inf"} 6',
        'policyc_http_request_duration_seconds_count{route="/v1/decide"} 6',
        'policyc_decision_duration_seconds_bucket{le="+Inf"} 6',
        "policyc_http_auth_failures_total 1",
        "# TYPE policyc_http_request_duration_seconds histogram",
    ):
        assert line in lines, line
    # every sample line is `name{labels} value`, and buckets are cumulative
    sample = re.compile(r'[a-z_]+(\{([a-z_]+="[^"\\]*",?)*\})? [0-9.e+-]+')
    for line in text.splitlines():
        assert line.startswith("# ") or sample.fullmatch(line), line
    buckets = [
        int(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith('policyc_http_request_duration_seconds_bucket{route="/v1/decide",')
    ]
    assert buckets == sorted(buckets) and buckets[-1] == 6


# -- the OpenAPI document --------------------------------------------------------------------------


def test_the_openapi_document(
    tmp_path: Path, stdlib: PolicyEngine, capsys: pytest.CaptureFixture[str]
) -> None:
    with client_for(tmp_path, stdlib) as (client, _):
        r = client.get("/openapi.json", headers=AUTH)
    assert r.status_code == 200
    doc = r.json()
    assert doc["openapi"].startswith("3.1")
    assert set(doc["paths"]) == {
        "/v1/decide",
        "/v1/decide/batch",
        "/v1/decisions/{decision_id}",
        "/v1/approvals",
        "/v1/approvals/{approval_id}",
        "/v1/approvals/{approval_id}/approve",
        "/v1/approvals/{approval_id}/deny",
        "/healthz",
        "/metrics",
        "/openapi.json",
    }
    schemas = doc["components"]["schemas"]
    assert {"Action", "Decision", "Outcome", "Error", "AuditEntry", "Grant"} <= set(schemas)
    assert schemas["Action"]["properties"]["action_type"]["enum"][0] == "file.read"
    assert "decision_id" in schemas["Decision"]["required"]
    assert doc["paths"]["/healthz"]["get"]["security"] == []
    # every $ref resolves
    refs = re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', json.dumps(doc))
    assert refs and set(refs) <= set(schemas)
    jsonschema = pytest.importorskip("jsonschema")
    for schema in schemas.values():
        jsonschema.Draft202012Validator.check_schema(schema)
    assert main(["serve", "--print-openapi"]) == 0
    assert json.loads(capsys.readouterr().out) == doc


# -- a real server under load ----------------------------------------------------------------------


@contextmanager
def serving(app: Starlette) -> Iterator[str]:
    """``app`` under uvicorn on 127.0.0.1 and a free port, in a thread; yields its base URL."""
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        log_level="warning",
        access_log=False,
        lifespan="off",
        ws="none",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)


CLIENTS = 50
REQUESTS = 100


def _client(port: int, n: int, actions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One client: a keep-alive connection sending its requests one after the other."""
    headers = {**AUTH, "Content-Type": "application/json"}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    out = []
    try:
        for i in range(REQUESTS):
            action = {**actions[(n + i) % len(actions)], "session": {"id": f"c{n}"}}
            conn.request("POST", "/v1/decide", json.dumps(action), headers)
            r = conn.getresponse()
            body = r.read()
            assert r.status == 200, body
            out.append(json.loads(body))
    finally:
        conn.close()
    return out


def test_fifty_clients_against_a_real_server_every_decision_audited(tmp_path: Path) -> None:
    (tmp_path / "load.policy").write_text(SMALL_POLICY)
    rt = make_runtime(tmp_path, None, policies=["load.policy"])
    assert rt.failure is None
    app = create_app(rt, tokens=[TOKEN])
    actions = [READ_SOURCE, READ_ENV, {"action_type": "shell.exec", "command": "ls -la"}]
    try:
        with serving(app) as base, ThreadPoolExecutor(CLIENTS) as pool:
            assert httpx.get(f"{base}/healthz").status_code == 200
            port = int(base.rsplit(":", 1)[1])
            runs = [pool.submit(_client, port, n, actions) for n in range(CLIENTS)]
            decisions = [d for run in runs for d in run.result()]
    finally:
        rt.close()
    assert len(decisions) == CLIENTS * REQUESTS
    assert [d for d in decisions if d["error"] is not None] == []
    assert {d["decision"] for d in decisions} == {"allow", "deny"}
    assert audited(tmp_path) == CLIENTS * REQUESTS
    with audit_of(tmp_path) as log:
        entries = list(log.entries())
    assert {e.decision_id for e in entries} == {d["decision_id"] for d in decisions}
    # sessions were counted under concurrency: each client's session saw its 100 actions
    last = {e.session_id: e.content()["action"]["session"] for e in entries}
    assert len(last) == CLIENTS
    assert all(s["actions"] == REQUESTS - 1 for s in last.values())


def test_the_standard_library_behind_a_real_server(tmp_path: Path, stdlib: PolicyEngine) -> None:
    rt = make_runtime(tmp_path, stdlib)
    app = create_app(rt, tokens=[TOKEN])
    try:
        with serving(app) as base, httpx.Client(base_url=base, headers=AUTH) as client:
            batch = client.post("/v1/decide/batch", json=[READ_SOURCE, READ_ENV, AUTH_EDIT])
            assert [d["decision"] for d in batch.json()] == ["allow", "deny", "require_approval"]
            bad = client.post(
                "/v1/decide", content=b"{", headers={"Content-Type": "application/json"}
            )
            assert bad.status_code == 400
            # the connection is still usable after an error
            assert client.get("/metrics").status_code == 200
    finally:
        rt.close()
    assert os.path.exists(tmp_path / "state" / "state.db")
    assert audited(tmp_path) == 3
