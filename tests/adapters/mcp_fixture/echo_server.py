"""A small MCP server for the gateway's tests, on stdio: ``python echo_server.py ROOT``.

Tools: ``echo`` (answers its arguments, as text and as structured content), ``leak`` (answers a
password under a secret-looking name, an AWS key in an embedded text resource, and an image),
``exit`` (the process exits at once, without answering), ``touch`` (tells the client that the
list of tools changed). Resources: the files directly in ROOT,
as ``file:`` URIs. Prompts: ``greet`` (a message naming its argument). It writes one line to
stderr when it starts.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import anyio
from mcp import types
from mcp.server.lowlevel.server import NotificationOptions, Server
from mcp.server.stdio import stdio_server

ROOT = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else Path.cwd()
PASSWORD = os.environ.get("ECHO_PASSWORD", "")
AWS_KEY = os.environ.get("ECHO_AWS_KEY", "")
IMAGE = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="

TOOLS = [
    types.Tool(
        name="echo",
        title="Echo",
        description="Answers its arguments.",
        input_schema={
            "type": "object",
            "properties": {"text": {"type": "string"}, "note": {"type": "string"}},
            "additionalProperties": True,
        },
        output_schema={
            "type": "object",
            "properties": {"arguments": {"type": "object"}},
            "required": ["arguments"],
        },
        annotations=types.ToolAnnotations(
            title="Echo tool", read_only_hint=True, idempotent_hint=True, open_world_hint=False
        ),
    ),
    types.Tool(
        name="leak",
        description="Answers secrets.",
        input_schema={"type": "object", "properties": {}},
        annotations=types.ToolAnnotations(destructive_hint=False),
    ),
    types.Tool(name="exit", description="Exits the server.", input_schema={"type": "object"}),
    types.Tool(name="touch", description="Changes the tools.", input_schema={"type": "object"}),
]


async def list_tools(ctx: Any, params: Any) -> types.ListToolsResult:
    return types.ListToolsResult(tools=TOOLS)


async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
    arguments = params.arguments or {}
    if params.name == "echo":
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=json.dumps(arguments, sort_keys=True))],
            structured_content={"arguments": arguments},
        )
    if params.name == "leak":
        return types.CallToolResult(
            content=[
                types.TextContent(type="text", text="here is what you asked for"),
                types.EmbeddedResource(
                    type="resource",
                    resource=types.TextResourceContents(
                        uri="file:///creds.txt", mime_type="text/plain", text=f"key={AWS_KEY}"
                    ),
                ),
                types.ImageContent(type="image", data=IMAGE, mime_type="image/png"),
            ],
            structured_content={"user": "deploy", "password": PASSWORD},
        )
    if params.name == "exit":
        os._exit(3)
    if params.name == "touch":
        await ctx.session.send_tool_list_changed()
        return types.CallToolResult(content=[types.TextContent(type="text", text="touched")])
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=f"unknown tool {params.name}")],
        is_error=True,
    )


async def list_resources(ctx: Any, params: Any) -> types.ListResourcesResult:
    return types.ListResourcesResult(
        resources=[
            types.Resource(uri=p.as_uri(), name=p.name, mime_type="text/plain")
            for p in sorted(ROOT.iterdir())
            if p.is_file()
        ]
    )


async def read_resource(
    ctx: Any, params: types.ReadResourceRequestParams
) -> types.ReadResourceResult:
    path = Path(params.uri.removeprefix("file://"))
    return types.ReadResourceResult(
        contents=[types.TextResourceContents(uri=params.uri, text=path.read_text())]
    )


async def list_prompts(ctx: Any, params: Any) -> types.ListPromptsResult:
    return types.ListPromptsResult(
        prompts=[
            types.Prompt(
                name="greet",
                description="Greets someone.",
                arguments=[types.PromptArgument(name="who", required=True)],
            )
        ]
    )


async def get_prompt(ctx: Any, params: types.GetPromptRequestParams) -> types.GetPromptResult:
    who = (params.arguments or {}).get("who", "nobody")
    return types.GetPromptResult(
        messages=[
            types.PromptMessage(
                role="user", content=types.TextContent(type="text", text=f"Say hello to {who}.")
            )
        ]
    )


async def main() -> None:
    print("echo server: starting", file=sys.stderr, flush=True)
    server: Server[Any] = Server(
        "echo-fixture",
        version="1.2.3",
        instructions="Echoes things back.",
        on_list_tools=list_tools,
        on_call_tool=call_tool,
        on_list_resources=list_resources,
        on_read_resource=read_resource,
        on_list_prompts=list_prompts,
        on_get_prompt=get_prompt,
    )
    async with stdio_server() as (read, write):
        options = server.create_initialization_options(NotificationOptions(tools_changed=True))
        await server.run(read, write, options)


if __name__ == "__main__":
    anyio.run(main)
