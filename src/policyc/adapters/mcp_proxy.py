"""The MCP gateway: an MCP server that stands in for another one and decides each of its calls.

``policyc mcp-proxy -- COMMAND ARGS…`` (docs/integrations/mcp.md) starts the real MCP server as a
child process on stdio, connects to it with the ``mcp`` SDK's client, and serves the client on
its own stdio with the SDK's low-level server, offering what the child offers: its identity and
instructions, its tools (schemas, output schemas and annotations as the child gives them), and,
when the child has them, its resources, resource templates, prompts and completions.

Every ``tools/call`` becomes the action ``{"action_type": "tool.call", "tool": {"name",
"server", "input"}, "session": {"id"}, "cwd", "home"}``, decided and recorded by the runtime
(:class:`policyc.runtime.runtime.Runtime`):

- ``allow``, ``alert``: forwarded as it is;
- ``redact``: forwarded with the decision's redactions applied to the arguments;
- ``require_approval``: not forwarded; a tool error result carries the approval id and the
  command that approves it; the same call made again after approval goes through;
- ``deny``, ``terminate``, and every failure of the runtime (fail closed): not forwarded; a tool
  error result (``isError: true``) gives the reason.

A ``resources/read`` is decided as the tool call ``resources/read`` with the argument ``uri`` (and
``path``, the local path of a ``file:`` URI, so that the file analysis applies), a
``prompts/get`` as the tool call ``prompts/get`` with ``name`` and ``arguments``. Refused, they
answer with a protocol error, since their results have no error flag.

What comes back is scanned by the secret detectors before it reaches the client: every string of
the result (text content, embedded text resources, structured content, metadata) but base64
data. A result in which they find something is decided as a second action, the tool call
``mcp/result`` whose input holds the request (``request``, ``name``), the action id of the call
(``call``) and the result (``result``), so that the audit log records what was redacted (each
redaction with its field, kind and fingerprint, never the value). Its redactions are applied,
then the detectors' findings once more (whatever the policies say, no secret they detect reaches
the client). If that decision does not let the result through (a policy, or a runtime that
cannot record it), the result is withheld and the client gets an error result instead.

Failures never hang the client: a child that exits, or answers with an error, gives an error
result for a tool call (and a protocol error for other requests); the runtime never raises and
denies what it cannot decide.
"""

from __future__ import annotations

import logging
import os
import shlex
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import anyio
import anyio.to_thread
from mcp import types
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel.server import NotificationOptions, Server
from mcp.server.session import ServerSession
from mcp.server.stdio import stdio_server
from mcp.shared.exceptions import MCPError

from policyc.action.model import Action, ActionError, new_id, parse_action
from policyc.decision.decide import redact_action
from policyc.decision.record import Decision
from policyc.normalize.secrets import find_secrets, redact_text, scrub_json
from policyc.runtime.runtime import Runtime

log = logging.getLogger("policyc.adapters.mcp_proxy")

RESULT_TOOL = "mcp/result"
"""The tool name of the action decided for a result with secrets (no MCP tool has a ``/``)."""
RESOURCE_TOOL = "resources/read"
PROMPT_TOOL = "prompts/get"
META_KEY = "policyc/decision"
"""The ``_meta`` key of an error result that carries the decision (id, effect, rules)."""
DEFAULT_STARTUP_TIMEOUT = 60.0

Context = ServerRequestContext[Any, Any]


@dataclass(frozen=True, slots=True)
class ProxyOptions:
    """How to run the gateway. ``server_name``: the ``tool.server`` of every action (default:
    the name the child gives in its ``initialize`` answer); ``session_id``: the ``session.id``
    (default: a new id per run); ``cwd``: the actions' ``cwd`` and the child's working folder
    (default: the current folder)."""

    command: str
    args: tuple[str, ...] = ()
    server_name: str | None = None
    session_id: str | None = None
    cwd: str | None = None
    startup_timeout: float = DEFAULT_STARTUP_TIMEOUT


class Refused(Exception):
    """A request the gateway does not forward, with the text the client gets."""

    def __init__(self, text: str, decision: Decision | None = None) -> None:
        super().__init__(text)
        self.text = text
        self.decision = decision


def scrub(text: str) -> str:
    """``text`` with every secret the detectors find replaced by its marker."""
    found = find_secrets(text, "result")
    return redact_text(text, found) if found else text


# -- the texts the client reads ---------------------------------------------------------------


def refusal_text(decision: Decision, *, what: str, state_dir: Path | None) -> str:
    """What a client reads when ``decision`` keeps ``what`` (``the call to read_file``) from
    going ahead. The reason is the decision's, already free of secrets."""
    rules = f" ({', '.join(decision.policy_ids)})" if decision.policy_ids else ""
    if decision.error is not None:
        return (
            f"policyc refused {what}: the policy runtime could not decide it, and refuses what "
            f"it cannot decide ({decision.error.code}: {decision.error.message})"
        )
    if decision.decision == "require_approval":
        role = decision.approver_role or "ROLE"
        text = f"policyc holds {what} for approval: {decision.reason}{rules}."
        if decision.approval_id is None:
            return text + " No approval could be recorded; ask the policy's owner."
        state = f" --state {shlex.quote(str(state_dir))}" if state_dir is not None else ""
        return (
            f"{text} Approval id: {decision.approval_id}. A person with the role {role!r} "
            f"approves it with: policyc approvals approve {decision.approval_id} --as NAME "
            f"--role {role}{state} - then make the same call again, with the same arguments."
        )
    if decision.decision == "terminate":
        return (
            f"policyc refused {what} and terminated this session: {decision.reason}{rules}. "
            f"Every further action of this session is refused."
        )
    return f"policyc denied {what}: {decision.reason}{rules}"


def withheld_text(decision: Decision, *, what: str) -> str:
    """What a client reads when ``decision`` keeps a result from it (the call took place)."""
    if decision.error is not None:
        return (
            f"policyc withheld {what}: the policy runtime could not decide or record it, and "
            f"withholds what it cannot ({decision.error.code}: {decision.error.message})"
        )
    rules = f" ({', '.join(decision.policy_ids)})" if decision.policy_ids else ""
    return f"policyc withheld {what} ({decision.decision}): {decision.reason}{rules}"


def error_result(text: str, decision: Decision | None = None) -> types.CallToolResult:
    meta = None
    if decision is not None:
        meta = {
            META_KEY: {
                "decision": decision.decision,
                "decision_id": decision.decision_id,
                "action_id": decision.action_id,
                "policy_ids": list(decision.policy_ids),
                "approval_id": decision.approval_id,
                "approver_role": decision.approver_role,
            }
        }
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=text)], is_error=True, _meta=meta
    )


def upstream_failure(error: BaseException, server: str) -> str:
    """What a client reads when the child could not answer."""
    if isinstance(error, MCPError):
        if error.code == types.CONNECTION_CLOSED:
            return (
                f"the MCP server {server!r} is not running (it exited or closed its connection); "
                "restart the gateway to start it again"
            )
        return f"the MCP server {server!r} answered with an error: {scrub(error.message)}"
    if isinstance(error, anyio.ClosedResourceError | anyio.BrokenResourceError):
        return f"the MCP server {server!r} is not running (its connection is closed)"
    return f"the call could not be forwarded to the MCP server {server!r} ({type(error).__name__})"


# -- results: find, decide, redact ------------------------------------------------------------

_BINARY_KEYS = ("blob",)


def _is_binary(holder: dict[str, Any], key: str) -> bool:
    """Base64 data: an embedded resource's ``blob``, or the ``data`` of an image or audio
    content block (``type`` image or audio); any other object's ``data`` is scanned."""
    if key in _BINARY_KEYS:
        return "uri" in holder and "mimeType" in holder and isinstance(holder.get(key), str)
    return key == "data" and "mimeType" in holder and holder.get("type") in ("image", "audio")


def _split_binary(
    value: Any, path: tuple[str | int, ...], out: dict[tuple[str | int, ...], Any]
) -> Any:
    """``value`` without its base64 data (kept in ``out`` by path, to be put back)."""
    if isinstance(value, list):
        return [_split_binary(v, (*path, i), out) for i, v in enumerate(value)]
    if isinstance(value, dict):
        kept: dict[str, Any] = {}
        for key, item in value.items():
            if _is_binary(value, key) and isinstance(item, str):
                out[(*path, key)] = item
                kept[key] = ""
            else:
                kept[key] = _split_binary(item, (*path, key), out)
        return kept
    return value


def _join_binary(value: Any, binary: dict[tuple[str | int, ...], Any]) -> Any:
    for path, data in binary.items():
        holder = value
        try:
            for part in path[:-1]:
                holder = holder[part]
            holder[path[-1]] = data
        except (KeyError, IndexError, TypeError):  # a key renamed by a redaction: data dropped
            continue
    return value


# -- the gateway ------------------------------------------------------------------------------


class Gateway:
    """Decides and forwards the requests of one client to one child MCP server."""

    def __init__(
        self,
        runtime: Runtime,
        *,
        server_name: str | None = None,
        session_id: str | None = None,
        cwd: str | None = None,
    ) -> None:
        self.runtime = runtime
        self.server_name = server_name
        self.session_id = session_id or new_id("mcp_")
        self.cwd = cwd or os.getcwd()
        home = os.path.expanduser("~")  # the child runs as this user: `~` is theirs
        self.home = home if os.path.isabs(home) else None
        self.upstream: ClientSession | None = None
        self.init: types.InitializeResult | None = None
        self._client: ServerSession | None = None  # the client's session, for notifications
        state = getattr(runtime.config, "state_dir", None)
        self.state_dir = Path(state) if state is not None else None

    @property
    def server(self) -> str:
        return self.server_name or "mcp"

    def attach(self, upstream: ClientSession, init: types.InitializeResult) -> None:
        self.upstream = upstream
        self.init = init
        if self.server_name is None:
            self.server_name = init.server_info.name

    # -- actions and decisions ----------------------------------------------------------------

    def action(self, tool: str, tool_input: dict[str, Any]) -> dict[str, Any]:
        return {
            "action_id": new_id("act_"),
            "action_type": "tool.call",
            "tool": {"name": tool, "server": self.server, "input": tool_input},
            "session": {"id": self.session_id},
            "cwd": self.cwd,
            "home": self.home,
        }

    def _decide_sync(self, data: dict[str, Any]) -> tuple[Decision, Action | None]:
        try:
            action: Action | None = parse_action(data)
        except ActionError:
            action = None  # the runtime denies it, with the error
        return self.runtime.decide(action if action is not None else data), action

    async def decide(self, data: dict[str, Any]) -> tuple[Decision, Action | None]:
        return await anyio.to_thread.run_sync(self._decide_sync, data)

    async def guard(self, tool: str, tool_input: dict[str, Any], what: str) -> tuple[str, Any]:
        """Decide a request; its action id and the input to forward, else :class:`Refused`."""
        data = self.action(tool, tool_input)
        decision, action = await self.decide(data)
        if not decision.allowed:
            raise Refused(refusal_text(decision, what=what, state_dir=self.state_dir), decision)
        forwarded: Any = tool_input
        if decision.redactions and action is not None:
            redacted = redact_action(action, decision.redactions)
            forwarded = (redacted.get("tool") or {}).get("input", {})
        return str(data["action_id"]), forwarded

    def _result_sync(
        self, request: str, name: str, call_id: str, result: dict[str, Any]
    ) -> dict[str, Any]:
        binary: dict[tuple[str | int, ...], Any] = {}
        text_only = _split_binary(result, (), binary)
        if scrub_json(text_only) is text_only:  # no secret in it
            return result
        data = self.action(
            RESULT_TOOL,
            {"request": request, "name": name, "call": call_id, "result": text_only},
        )
        decision, action = self._decide_sync(data)
        if not decision.allowed:
            raise Refused(withheld_text(decision, what=f"the result of {request} {name}"), decision)
        redacted: Any = text_only
        if action is not None and decision.redactions:
            tool = redact_action(action, decision.redactions).get("tool") or {}
            redacted = (tool.get("input") or {}).get("result", text_only)
        return dict(_join_binary(scrub_json(redacted), binary))

    async def screen_result(
        self, request: str, name: str, call_id: str, result: dict[str, Any]
    ) -> dict[str, Any]:
        """The result as the client may see it, or :class:`Refused` when it is withheld."""
        return await anyio.to_thread.run_sync(self._result_sync, request, name, call_id, result)

    def _upstream(self) -> ClientSession:
        if self.upstream is None:
            raise MCPError(types.INTERNAL_ERROR, "the gateway is not connected to its server")
        return self.upstream

    def _remember(self, ctx: Context) -> None:
        if self._client is None:
            self._client = ctx.session

    # -- tools ----------------------------------------------------------------------------------

    async def list_tools(
        self, ctx: Context, params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        self._remember(ctx)
        request = types.ListToolsRequest(params=_page(params))
        try:
            return await self._upstream().send_request(request, types.ListToolsResult)
        except MCPError as e:
            raise MCPError(e.code, upstream_failure(e, self.server)) from None
        except Exception as e:
            raise MCPError(types.INTERNAL_ERROR, upstream_failure(e, self.server)) from None

    async def call_tool(
        self, ctx: Context, params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        """Never raises: every refusal and failure is a tool error result."""
        self._remember(ctx)
        try:
            return await self._call_tool(params.name, dict(params.arguments or {}))
        except Refused as r:
            return error_result(r.text, r.decision)
        except Exception as e:  # fail closed, with no detail that could hold a secret
            log.error("policyc mcp-proxy: internal error in tools/call (%s)", type(e).__name__)
            log.debug("policyc mcp-proxy: internal error in tools/call", exc_info=True)
            return error_result(f"policyc refused the call: internal error ({type(e).__name__})")

    async def _call_tool(self, name: str, arguments: dict[str, Any]) -> types.CallToolResult:
        call_id, forwarded = await self.guard(name, arguments, f"the call to {name}")
        request = types.CallToolRequest(
            params=types.CallToolRequestParams(name=name, arguments=forwarded)
        )
        try:
            result = await self._upstream().send_request(request, types.CallToolResult)
        except Exception as e:
            return error_result(upstream_failure(e, self.server))
        dumped = result.model_dump(by_alias=True, mode="json", exclude_none=True)
        screened = await self.screen_result("tools/call", name, call_id, dumped)
        if screened is dumped:
            return result
        return types.CallToolResult.model_validate(screened)

    # -- resources, prompts, completions ----------------------------------------------------

    async def _forward(self, request: Any, result_type: type[Any]) -> Any:
        try:
            return await self._upstream().send_request(request, result_type)
        except MCPError as e:
            raise MCPError(e.code, upstream_failure(e, self.server)) from None
        except Exception as e:
            raise MCPError(types.INTERNAL_ERROR, upstream_failure(e, self.server)) from None

    async def _guarded(
        self,
        tool: str,
        tool_input: dict[str, Any],
        what: str,
        name: str,
        make: Callable[[Any], Any],
        result_type: type[Any],
    ) -> Any:
        try:
            call_id, forwarded = await self.guard(tool, tool_input, what)
            result = await self._forward(make(forwarded), result_type)
            dumped = result.model_dump(by_alias=True, mode="json", exclude_none=True)
            screened = await self.screen_result(tool, name, call_id, dumped)
        except Refused as r:
            raise MCPError(types.INVALID_REQUEST, r.text) from None
        return result if screened is dumped else result_type.model_validate(screened)

    async def list_resources(
        self, ctx: Context, params: types.PaginatedRequestParams | None
    ) -> types.ListResourcesResult:
        self._remember(ctx)
        request = types.ListResourcesRequest(params=_page(params))
        result: types.ListResourcesResult = await self._forward(request, types.ListResourcesResult)
        return result

    async def list_resource_templates(
        self, ctx: Context, params: types.PaginatedRequestParams | None
    ) -> types.ListResourceTemplatesResult:
        self._remember(ctx)
        request = types.ListResourceTemplatesRequest(params=_page(params))
        result: types.ListResourceTemplatesResult = await self._forward(
            request, types.ListResourceTemplatesResult
        )
        return result

    async def read_resource(
        self, ctx: Context, params: types.ReadResourceRequestParams
    ) -> types.ReadResourceResult:
        self._remember(ctx)
        uri = params.uri
        tool_input: dict[str, Any] = {"uri": uri}
        local = file_uri_path(uri)
        if local is not None:
            tool_input["path"] = local

        def make(forwarded: Any) -> types.ReadResourceRequest:
            return types.ReadResourceRequest(
                params=types.ReadResourceRequestParams(uri=str(forwarded.get("uri", uri)))
            )

        result: types.ReadResourceResult = await self._guarded(
            RESOURCE_TOOL, tool_input, f"reading {uri}", uri, make, types.ReadResourceResult
        )
        return result

    async def subscribe(
        self, ctx: Context, params: types.SubscribeRequestParams
    ) -> types.EmptyResult:
        self._remember(ctx)
        request = types.SubscribeRequest(params=types.SubscribeRequestParams(uri=params.uri))
        result: types.EmptyResult = await self._forward(request, types.EmptyResult)
        return result

    async def unsubscribe(
        self, ctx: Context, params: types.UnsubscribeRequestParams
    ) -> types.EmptyResult:
        self._remember(ctx)
        request = types.UnsubscribeRequest(params=types.UnsubscribeRequestParams(uri=params.uri))
        result: types.EmptyResult = await self._forward(request, types.EmptyResult)
        return result

    async def list_prompts(
        self, ctx: Context, params: types.PaginatedRequestParams | None
    ) -> types.ListPromptsResult:
        self._remember(ctx)
        request = types.ListPromptsRequest(params=_page(params))
        result: types.ListPromptsResult = await self._forward(request, types.ListPromptsResult)
        return result

    async def get_prompt(
        self, ctx: Context, params: types.GetPromptRequestParams
    ) -> types.GetPromptResult:
        self._remember(ctx)
        name = params.name
        tool_input: dict[str, Any] = {"name": name, "arguments": dict(params.arguments or {})}

        def make(forwarded: Any) -> types.GetPromptRequest:
            arguments = forwarded.get("arguments") or {}
            return types.GetPromptRequest(
                params=types.GetPromptRequestParams(
                    name=name, arguments={str(k): str(v) for k, v in arguments.items()} or None
                )
            )

        result: types.GetPromptResult = await self._guarded(
            PROMPT_TOOL, tool_input, f"the prompt {name}", name, make, types.GetPromptResult
        )
        return result

    async def complete(
        self, ctx: Context, params: types.CompleteRequestParams
    ) -> types.CompleteResult:
        self._remember(ctx)
        request = types.CompleteRequest(
            params=types.CompleteRequestParams(
                ref=params.ref, argument=params.argument, context=params.context
            )
        )
        result: types.CompleteResult = await self._forward(request, types.CompleteResult)
        return result

    # -- the child's notifications ------------------------------------------------------------

    async def on_child_message(self, message: Any) -> None:
        """Relays the child's list-changed and resource-updated notifications to the client.
        (Its log messages and progress are not relayed.)"""
        client = self._client
        if isinstance(message, Exception):
            log.warning("policyc mcp-proxy: the MCP server sent a malformed message")
            return
        if client is None:
            return
        try:
            if isinstance(message, types.ToolListChangedNotification):
                await client.send_tool_list_changed()
            elif isinstance(message, types.ResourceListChangedNotification):
                await client.send_resource_list_changed()
            elif isinstance(message, types.PromptListChangedNotification):
                await client.send_prompt_list_changed()
            elif isinstance(message, types.ResourceUpdatedNotification):
                await client.send_resource_updated(message.params.uri)
        except Exception:  # the client is gone: nothing to tell
            log.debug("policyc mcp-proxy: a notification could not be relayed", exc_info=True)

    # -- the server the client sees -----------------------------------------------------------

    def build_server(self) -> tuple[Server[Any], NotificationOptions]:
        """The low-level server offering what the child offers, under its identity."""
        assert self.init is not None
        caps = self.init.capabilities
        info = self.init.server_info
        tools, resources, prompts = caps.tools, caps.resources, caps.prompts
        server: Server[Any] = Server(
            info.name,
            version=info.version,
            title=info.title,
            description=info.description,
            instructions=self.init.instructions,
            website_url=info.website_url,
            icons=info.icons,
            on_list_tools=self.list_tools if tools is not None else None,
            on_call_tool=self.call_tool if tools is not None else None,
            on_list_resources=self.list_resources if resources is not None else None,
            on_list_resource_templates=(
                self.list_resource_templates if resources is not None else None
            ),
            on_read_resource=self.read_resource if resources is not None else None,
            on_subscribe_resource=(
                self.subscribe if resources is not None and resources.subscribe else None
            ),
            on_unsubscribe_resource=(
                self.unsubscribe if resources is not None and resources.subscribe else None
            ),
            on_list_prompts=self.list_prompts if prompts is not None else None,
            on_get_prompt=self.get_prompt if prompts is not None else None,
            on_completion=self.complete if caps.completions is not None else None,
        )
        notifications = NotificationOptions(
            prompts_changed=bool(prompts is not None and prompts.list_changed),
            resources_changed=bool(resources is not None and resources.list_changed),
            tools_changed=bool(tools is not None and tools.list_changed),
        )
        return server, notifications


def _page(params: types.PaginatedRequestParams | None) -> types.PaginatedRequestParams | None:
    """The pagination of a list request, without the client's ``_meta``."""
    if params is None or params.cursor is None:
        return None
    return types.PaginatedRequestParams(cursor=params.cursor)


def file_uri_path(uri: str) -> str | None:
    """The local path of a ``file:`` URI (``file:///repo/.env`` → ``/repo/.env``), else None."""
    try:
        parts = urlsplit(uri)
    except ValueError:
        return None
    if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
        return None
    return unquote(parts.path) or None


# -- running ----------------------------------------------------------------------------------


async def run_proxy(options: ProxyOptions, runtime: Runtime) -> str | None:
    """Serve the client on this process's stdio until it closes its end. Returns None, or why
    the child could not be started (the client has not been served then).

    When the client closes the connection, the child's stdin is closed, and the child and its
    process group are terminated if it does not exit (the SDK's shutdown sequence)."""
    gateway = Gateway(
        runtime,
        server_name=options.server_name,
        session_id=options.session_id,
        cwd=options.cwd,
    )
    child = StdioServerParameters(
        command=options.command,
        args=list(options.args),
        env=dict(os.environ),  # the child gets what the client gave the gateway
        cwd=options.cwd,
    )
    from policyc import __version__

    shown = " ".join([options.command, *options.args])
    try:
        async with (
            stdio_client(child, errlog=sys.stderr) as (read, write),
            ClientSession(
                read,
                write,
                message_handler=gateway.on_child_message,
                client_info=types.Implementation(name="policyc-mcp-proxy", version=__version__),
            ) as upstream,
        ):
            try:
                with anyio.fail_after(options.startup_timeout):
                    init = await upstream.initialize()
            except TimeoutError:
                return (
                    f"the MCP server ({shown}) did not answer initialize within "
                    f"{options.startup_timeout:g} seconds"
                )
            except MCPError as e:
                if e.code == types.CONNECTION_CLOSED:
                    return f"the MCP server ({shown}) exited before it answered initialize"
                return f"the MCP server ({shown}) refused initialize: {scrub(e.message)}"
            except Exception as e:
                return f"the MCP server ({shown}) could not be initialized ({type(e).__name__})"
            gateway.attach(upstream, init)
            server, notifications = gateway.build_server()
            async with stdio_server() as (client_read, client_write):
                await server.run(
                    client_read,
                    client_write,
                    server.create_initialization_options(notification_options=notifications),
                )
    except OSError as e:
        return f"cannot start the MCP server ({shown}): {e.strerror or e}"
    return None
