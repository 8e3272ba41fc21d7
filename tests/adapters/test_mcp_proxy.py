"""``policyc mcp-proxy``: the MCP gateway, driven with the ``mcp`` SDK's client over stdio.

The main test runs the reference filesystem server from the npm registry
(``@modelcontextprotocol/server-filesystem``, pinned) behind the gateway: its tools come through
unchanged, an allowed read is answered, a read of ``.env`` is denied, a file holding an AWS key
is answered redacted, a write with a key in its content is forwarded redacted, and a write to
auth code needs approval, is approved with the command the error names, and then goes through.
The audit log holds every decision; no raw secret reaches the client or the state folder.

If ``npx`` cannot fetch the package the test fails, saying so. The package is kept in an npm
cache in pytest's cache folder, so reruns do not download it again.

The other tests use a small Python MCP server (tests/adapters/mcp_fixture/echo_server.py) for
what the filesystem server does not offer: structured results with secrets, images, resources,
prompts, list-changed notifications, a server that dies, a runtime that cannot record, a
session terminated after too many denials, and the command line's errors.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TextIO

import pytest

pytest.importorskip("mcp", reason="the MCP gateway needs the mcp extra")

import anyio
from mcp import types
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.shared.exceptions import MCPError

from policyc.normalize.secrets import find_secrets
from policyc.runtime.audit import AuditLog
from policyc.runtime.store import StateStore

FILESYSTEM_PACKAGE = "@modelcontextprotocol/server-filesystem@2026.8.31"
FIXTURE = Path(__file__).parent / "mcp_fixture" / "echo_server.py"
TIMEOUT = 60  # seconds for one test's conversation: a hang fails, it does not block the run

GATEWAY_POLICY = """\
module gateway.mcp

default allow

require_approval gateway.auth_write
  when action_type = "tool.call", tool.name in ["write_file", "edit_file"], glob(tool.input.path, "**/auth/**")
  unless approval.granted
  approver "security"
  reason "writing {tool.input.path} changes authentication code"
  risk 60
"""


def aws_key() -> str:
    """A fresh AWS access key id (AKIA and 16 base-32 characters), which the detectors find."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    key = "AKIA" + "".join(secrets.choice(alphabet) for _ in range(16))
    assert [f.kind for f in find_secrets(f"key = {key}", "payload")] == ["aws-access-key"]
    return key


def password() -> str:
    return "Zq8V" + secrets.token_urlsafe(18)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project folder with a policyc.toml: the standard library and one project rule (writes
    to auth code through a file tool need the security role's approval), state in ``state``."""
    root = tmp_path / "project"
    (root / "policies").mkdir(parents=True)
    (root / "policies" / "gateway.policy").write_text(GATEWAY_POLICY)
    (root / "policyc.toml").write_text(
        'policies = ["policies"]\nstdlib = true\nstate_dir = "state"\n'
    )
    return root


def gateway(
    cwd: Path, server: list[str], *flags: str, env: dict[str, str] | None = None
) -> StdioServerParameters:
    """The gateway, run as ``python -m policyc.cli.main mcp-proxy FLAGS -- SERVER…``."""
    return StdioServerParameters(
        command=sys.executable,
        args=["-m", "policyc.cli.main", "mcp-proxy", *flags, "--", *server],
        cwd=str(cwd),
        env=env,
    )


@asynccontextmanager
async def connect(
    params: StdioServerParameters, errlog: TextIO = sys.stderr, notes: list[Any] | None = None
) -> AsyncIterator[ClientSession]:
    """A client session with ``params``' server; the server's notifications go to ``notes``."""

    async def note(message: Any) -> None:
        if notes is not None:
            notes.append(message)

    async with (
        stdio_client(params, errlog=errlog) as (read, write),
        ClientSession(read, write, message_handler=note) as session,
    ):
        await session.initialize()
        yield session


def run(body: Callable[[], Awaitable[Any]]) -> Any:
    async def bounded() -> Any:
        with anyio.fail_after(TIMEOUT):
            return await body()

    return anyio.run(bounded)


def text_of(result: types.CallToolResult) -> str:
    return "\n".join(c.text for c in result.content if isinstance(c, types.TextContent))


def dump(result: Any) -> str:
    return json.dumps(result.model_dump(by_alias=True, mode="json", exclude_none=True))


def state_bytes(state: Path) -> bytes:
    """Every file of the state folder (the database, its WAL and shared memory, the keys)."""
    return b"".join(p.read_bytes() for p in sorted(state.rglob("*")) if p.is_file())


def audit(state: Path) -> list[tuple[str, str, dict[str, Any]]]:
    """(decision, tool name, entry content) of each entry, in order."""
    entries = AuditLog(StateStore.in_folder(state)).search()
    out = []
    for entry in entries:
        action = entry.action() or {}
        out.append((entry.decision, str((action.get("tool") or {}).get("name")), entry.content()))
    return out


# -- the reference filesystem server, from npm ------------------------------------------------


def npm_environment(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    """The environment that runs the filesystem server with npx from a kept npm cache, after
    making sure that npx can fetch and start it (else the test fails, saying why: called from
    the test itself, not a fixture, so that this is a failure of the test)."""
    npx = shutil.which("npx")
    if npx is None:
        pytest.fail("npx is not on PATH: the MCP gateway test needs node and npm")
    cache = getattr(request.config, "cache", None)
    folder = (
        Path(cache.mkdir("policyc-npm-cache"))
        if cache is not None
        else tmp_path_factory.mktemp("npm-cache")
    )
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", str(folder)),
        "npm_config_cache": str(folder),
        "npm_config_prefer_offline": "true",
        "npm_config_update_notifier": "false",
        "npm_config_fund": "false",
        "npm_config_audit": "false",
    }
    probe_root = tmp_path_factory.mktemp("npm-probe")
    try:
        # the server announces itself on stderr, then exits when its stdin closes
        done = subprocess.run(
            [npx, "-y", FILESYSTEM_PACKAGE, str(probe_root)],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            env=env,
            timeout=180,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"npx could not fetch and start {FILESYSTEM_PACKAGE} within 180 seconds")
    if "running on stdio" not in done.stderr:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
        pytest.fail(
            f"npx could not fetch or start {FILESYSTEM_PACKAGE} from the npm registry "
            f"(exit {done.returncode}):\n{tail}"
        )
    return env


def filesystem_server(root: Path) -> list[str]:
    return ["npx", "-y", FILESYSTEM_PACKAGE, str(root)]


def test_the_filesystem_server_behind_the_gateway(
    project: Path,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    npm_env = npm_environment(request, tmp_path_factory)
    root = project
    key = aws_key()
    (root / "README.md").write_text("# a project\n\nNothing secret here.\n")
    (root / ".env").write_text(f"AWS_ACCESS_KEY_ID={key}\nDB_PASSWORD={password()}\n")
    (root / "config").mkdir()
    (root / "config" / "keys.txt").write_text(f"aws_access_key_id = {key}\nregion = eu-west-1\n")
    (root / "src" / "auth").mkdir(parents=True)
    auth_file = root / "src" / "auth" / "x.py"
    state = root / "state"
    server = filesystem_server(root)
    errors = (tmp_path / "gateway-stderr.txt").open("w")
    seen: list[str] = []  # every result the client saw, as JSON

    async def call(session: ClientSession, name: str, **arguments: Any) -> types.CallToolResult:
        result = await session.call_tool(name, arguments)
        seen.append(dump(result))
        return result

    async def body() -> dict[str, Any]:
        out: dict[str, Any] = {}
        direct = StdioServerParameters(command=server[0], args=server[1:], env=npm_env, cwd=root)
        async with connect(direct, errors) as session:
            out["direct_tools"] = (await session.list_tools()).tools
        async with connect(gateway(root, server, env=npm_env), errors) as session:
            out["server_info"] = session.server_info
            out["tools"] = (await session.list_tools()).tools
            out["readme"] = await call(session, "read_text_file", path=str(root / "README.md"))
            out["env"] = await call(session, "read_text_file", path=str(root / ".env"))
            out["keys"] = await call(
                session, "read_text_file", path=str(root / "config" / "keys.txt")
            )
            out["note"] = await call(
                session,
                "write_file",
                path=str(root / "notes.txt"),
                content=f"rotate {key} on Monday\n",
            )
            write = {"path": str(auth_file), "content": "MAX_ATTEMPTS = 5\n"}
            out["held"] = await call(session, "write_file", **write)
            match = re.search(
                r"policyc approvals approve (apr_\w+) --as NAME --role (\S+) --state (\S+)",
                text_of(out["held"]),
            )
            assert match is not None, text_of(out["held"])
            out["approval"] = match.groups()
            approved = subprocess.run(
                [sys.executable, "-m", "policyc.cli.main", "approvals", "approve",
                 match[1], "--as", "ana", "--role", match[2], "--state", match[3]],
                capture_output=True, text=True, cwd=root, timeout=60,
            )  # fmt: skip
            assert approved.returncode == 0, approved.stderr
            out["written"] = await call(session, "write_file", **write)
            out["again"] = await call(session, "write_file", **write)  # single use: held again
        return out

    try:
        out = run(body)
    finally:
        errors.close()

    # the server's identity and tools come through, schemas and annotations unchanged
    assert out["server_info"].name == "secure-filesystem-server"
    assert [t.name for t in out["tools"]] == [t.name for t in out["direct_tools"]]
    assert {"read_text_file", "write_file", "read_multiple_files"} <= {t.name for t in out["tools"]}
    for mine, theirs in zip(out["tools"], out["direct_tools"], strict=True):
        assert mine.model_dump() == theirs.model_dump()
    assert any(t.annotations is not None for t in out["tools"])

    # an allowed read is answered as the server answers it
    assert not out["readme"].is_error
    assert text_of(out["readme"]) == (root / "README.md").read_text()

    # .env is never read
    assert out["env"].is_error
    assert "secrets" in text_of(out["env"]) and "secrets.read" in text_of(out["env"])
    assert (out["env"].meta or {})["policyc/decision"]["decision"] == "deny"

    # a file holding a key is answered with the key redacted, in text and structured content
    assert not out["keys"].is_error
    assert (
        text_of(out["keys"])
        == "aws_access_key_id = [REDACTED:aws-access-key]\nregion = eu-west-1\n"
    )
    assert key not in dump(out["keys"])

    # a write with a key in its content is forwarded with the key redacted
    assert not out["note"].is_error, text_of(out["note"])
    assert (root / "notes.txt").read_text() == "rotate [REDACTED:aws-access-key] on Monday\n"

    # a write to auth code waits for approval, then goes through once
    assert out["held"].is_error
    apr, role, state_arg = out["approval"]
    assert role == "security" and Path(state_arg) == state
    assert (out["held"].meta or {})["policyc/decision"]["approval_id"] == apr
    assert not out["written"].is_error, text_of(out["written"])
    assert auth_file.read_text() == "MAX_ATTEMPTS = 5\n"
    assert out["again"].is_error and "apr_" in text_of(out["again"])

    # the server's stderr passes through the gateway's
    assert (
        "Secure MCP Filesystem Server running on stdio"
        in (tmp_path / "gateway-stderr.txt").read_text()
    )

    # every decision is in the audit log, in one session
    log = audit(state)
    kinds = [(decision, tool) for decision, tool, _ in log]
    assert kinds == [
        ("allow", "read_text_file"),
        ("deny", "read_text_file"),
        ("allow", "read_text_file"),
        ("redact", "mcp/result"),
        ("redact", "write_file"),
        ("require_approval", "write_file"),
        ("allow", "write_file"),
        ("require_approval", "write_file"),
    ]
    assert len({content["decision"]["action_id"] for *_, content in log}) == len(log)
    sessions = {content["action"]["session"]["id"] for *_, content in log}
    assert len(sessions) == 1
    result_entry = log[3][2]
    assert result_entry["action"]["tool"]["input"]["name"] == "read_text_file"
    assert result_entry["action"]["tool"]["input"]["call"] == log[2][2]["action"]["action_id"]
    assert {r["field"] for r in result_entry["decision"]["redactions"]} == {
        "tool.input.result.content.0.text",
        "tool.input.result.structuredContent.content",
    }
    assert log[6][2]["decision"]["approval_id"] == apr
    assert log[1][2]["decision"]["policy_ids"] == ["secrets.read"]

    # no raw secret in what the client saw, nor anywhere in the state folder
    assert key not in "".join(seen)
    assert key.encode() not in state_bytes(state)


# -- a small Python MCP server --------------------------------------------------------------


def echo_server(root: Path) -> list[str]:
    return [sys.executable, str(FIXTURE), str(root)]


def test_structured_results_resources_prompts_and_a_server_that_dies(
    project: Path, tmp_path: Path
) -> None:
    root = project
    key, secret = aws_key(), password()
    (root / "notes.txt").write_text("plain notes\n")
    (root / ".env").write_text(f"TOKEN={secret}\n")
    env = {"ECHO_AWS_KEY": key, "ECHO_PASSWORD": secret}
    params = gateway(
        root, echo_server(root), "--server-name", "echo", "--session-id", "s-1", env=env
    )
    stderr_path = tmp_path / "stderr.txt"
    seen: list[str] = []
    notes: list[Any] = []

    async def body() -> dict[str, Any]:
        out: dict[str, Any] = {}
        with stderr_path.open("w") as errors:
            async with connect(params, errors, notes) as session:
                out["instructions"] = session.instructions
                capabilities = session.server_capabilities
                assert capabilities is not None and capabilities.tools is not None
                out["tools_changed"] = capabilities.tools.list_changed
                out["tools"] = (await session.list_tools()).tools
                echo = await session.call_tool("echo", {"text": f"use {key}", "note": "hi"})
                leak = await session.call_tool("leak", {})
                out["home"] = await session.call_tool("echo", {"path": "~/.aws/credentials"})
                out["echo"], out["leak"] = echo, leak
                seen.extend([dump(echo), dump(leak)])
                resources = (await session.list_resources()).resources
                out["resources"] = sorted(r.name for r in resources)
                plain = await session.read_resource((root / "notes.txt").as_uri())
                out["notes"] = plain.contents[0]
                with pytest.raises(MCPError) as denied:
                    await session.read_resource((root / ".env").as_uri())
                out["env_error"] = denied.value.message
                prompt = await session.get_prompt("greet", {"who": "Ana"})
                out["prompt"] = prompt.messages[0].content
                await session.call_tool("touch", {})
                with anyio.move_on_after(5):
                    while not any(isinstance(n, types.ToolListChangedNotification) for n in notes):
                        await anyio.sleep(0.02)
                out["exit"] = await session.call_tool("exit", {})
                out["after"] = await session.call_tool("echo", {"text": "still there?"})
                with pytest.raises(MCPError):
                    await session.list_tools()
        return out

    out = run(body)

    # identity, instructions and tools pass through: schemas, output schemas, annotations
    assert out["instructions"] == "Echoes things back."
    tools = {t.name: t for t in out["tools"]}
    assert list(tools) == ["echo", "leak", "exit", "touch"]
    echo_tool = tools["echo"]
    assert echo_tool.title == "Echo"
    assert echo_tool.input_schema["additionalProperties"] is True
    assert echo_tool.output_schema == {
        "type": "object",
        "properties": {"arguments": {"type": "object"}},
        "required": ["arguments"],
    }
    assert echo_tool.annotations == types.ToolAnnotations(
        title="Echo tool", read_only_hint=True, idempotent_hint=True, open_world_hint=False
    )

    # the key in the arguments was redacted before the server saw them (it echoes them back)
    echo = out["echo"]
    assert not echo.is_error
    assert echo.structured_content == {
        "arguments": {"text": "use [REDACTED:aws-access-key]", "note": "hi"}
    }

    # results: a password under a secret name, a key in an embedded resource; images untouched
    leak = out["leak"]
    assert not leak.is_error
    assert leak.structured_content == {"user": "deploy", "password": "[REDACTED:generic-secret]"}
    embedded = leak.content[1]
    assert isinstance(embedded, types.EmbeddedResource)
    assert isinstance(embedded.resource, types.TextResourceContents)
    assert embedded.resource.text == "key=[REDACTED:aws-access-key]"
    image = leak.content[2]
    assert isinstance(image, types.ImageContent) and image.data.startswith("iVBORw0KGgo")
    assert key not in "".join(seen) and secret not in "".join(seen)

    # `~` in an argument is the home folder of the user the gateway and the server run as
    assert out["home"].is_error and "/.aws/credentials would expose secrets" in text_of(out["home"])

    # resources and prompts: listed, read, denied like a tool call
    assert out["resources"] == [".env", "notes.txt", "policyc.toml"]
    assert isinstance(out["notes"], types.TextResourceContents)
    assert out["notes"].text == "plain notes\n"
    assert "secrets" in out["env_error"] and secret not in out["env_error"]
    assert isinstance(out["prompt"], types.TextContent)
    assert out["prompt"].text == "Say hello to Ana."

    # the server's list-changed notifications reach the client
    assert out["tools_changed"] is True
    assert any(isinstance(n, types.ToolListChangedNotification) for n in notes)

    # a server that dies: error results, not a hang
    assert out["exit"].is_error and "not running" in text_of(out["exit"])
    assert out["after"].is_error and "not running" in text_of(out["after"])

    # its stderr is the gateway's
    assert "echo server: starting" in stderr_path.read_text()

    # audited under the given server name and session
    log = audit(root / "state")
    kinds = [(decision, tool) for decision, tool, _ in log]
    assert kinds == [
        ("redact", "echo"),
        ("allow", "leak"),
        ("redact", "mcp/result"),
        ("deny", "echo"),
        ("allow", "resources/read"),
        ("deny", "resources/read"),
        ("allow", "prompts/get"),
        ("allow", "touch"),
        ("allow", "exit"),
        ("allow", "echo"),
    ]
    assert {c["action"]["tool"]["server"] for *_, c in log} == {"echo"}
    assert {c["action"]["session"]["id"] for *_, c in log} == {"s-1"}
    assert log[5][2]["action"]["tool"]["input"]["path"] == str(root / ".env")
    data = state_bytes(root / "state")
    assert key.encode() not in data and secret.encode() not in data


def test_a_runtime_that_cannot_record_refuses_every_call(tmp_path: Path) -> None:
    root = tmp_path / "project"
    root.mkdir()
    (root / "taken").write_text("a file where the state folder should be\n")
    (root / "policyc.toml").write_text('state_dir = "taken/state"\n')
    params = gateway(root, echo_server(root))

    async def body() -> types.CallToolResult:
        async with connect(params) as session:
            return await session.call_tool("echo", {"text": "hello"})

    result = run(body)
    assert result.is_error
    assert "could not decide" in text_of(result) and "state store is unavailable" in text_of(result)
    assert (result.meta or {})["policyc/decision"]["decision"] == "deny"


def test_a_session_with_too_many_denials_is_terminated(project: Path) -> None:
    root = project
    (root / ".env").write_text(f"TOKEN={password()}\n")
    params = gateway(root, echo_server(root))

    async def body() -> list[types.CallToolResult]:
        async with connect(params) as session:
            results = [await session.call_tool("echo", {"path": ".env"}) for _ in range(11)]
            results.append(await session.call_tool("echo", {"text": "hello"}))
            return results

    results = run(body)
    assert all(r.is_error for r in results)
    assert all("policyc denied the call to echo" in text_of(r) for r in results[:10])
    assert "terminated this session" in text_of(results[10])
    assert "sessions.too_many_denials" in text_of(results[10])
    assert "terminated this session" in text_of(results[11])
    assert (results[11].meta or {})["policyc/decision"]["decision"] == "terminate"


def test_command_line_errors(project: Path, tmp_path: Path) -> None:
    bad_config = tmp_path / "bad"
    bad_config.mkdir()
    (bad_config / "policyc.toml").write_text('fail_mode = "opne"\n')
    cases = [
        (project, [], "no MCP server to run"),
        (project, ["--", str(tmp_path / "no-such-server")], "cannot start the MCP server"),
        (project, ["--", sys.executable, "-c", "pass"], "exited before it answered initialize"),
        (
            project,
            ["--startup-timeout", "1", "--", sys.executable, "-c", "import time; time.sleep(30)"],
            "did not answer initialize within 1 seconds",
        ),
        (bad_config, ["--", *echo_server(bad_config)], 'fail_mode: "opne" is not one of'),
    ]
    running = [
        subprocess.Popen(
            [sys.executable, "-m", "policyc.cli.main", "mcp-proxy", *args],
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for cwd, args, _ in cases
    ]
    for process, (_, args, expected) in zip(running, cases, strict=True):
        out, err = process.communicate(timeout=TIMEOUT)
        assert process.returncode == 2, (args, err)
        assert expected in err, (args, err)
        assert "Traceback" not in err and out == ""


def test_only_image_audio_and_blob_data_is_left_unscanned() -> None:
    from policyc.adapters.mcp_proxy import _split_binary
    from policyc.normalize.secrets import scrub_json

    token = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"

    def scanned(result: dict[str, Any]) -> bool:
        text_only = _split_binary(result, (), {})
        return scrub_json(text_only) is not text_only  # a secret found in what is scanned

    assert scanned({"structuredContent": {"data": token, "mimeType": "text/plain"}})
    assert scanned({"type": "text", "data": token, "mimeType": "image/png"})
    assert scanned({"structuredContent": {"password": ["Tr0ub4dor&3horseZq8V"]}})
    assert not scanned({"type": "image", "data": token, "mimeType": "image/png"})
    assert not scanned({"uri": "file:///x", "blob": token, "mimeType": "x/y"})
