"""``policyc mcp-proxy [--config FILE] [--server-name NAME] [--session-id ID] -- COMMAND ARGS…``:
an MCP gateway (docs/integrations/mcp.md).

Starts the MCP server ``COMMAND ARGS…`` as a child process on stdio and serves the client on this
process's stdio, offering the child's tools (and resources and prompts), deciding every call with
the runtime of the configuration (policyc.toml: policies, state folder, audit log, approvals) and
redacting secrets in what comes back (:mod:`policyc.adapters.mcp_proxy`). The child's stderr is
this process's stderr.

Exit codes: 0 the client disconnected; 2 bad arguments, an invalid configuration, or a child that
cannot be started or does not answer ``initialize`` (one line on stderr); 3 an internal error.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from policyc.cli.main import EXIT_INVALID, EXIT_OK, seconds

DEFAULT_STARTUP_TIMEOUT = 60.0  # seconds


def register(sub: Any) -> None:
    p = sub.add_parser(
        "mcp-proxy",
        help="run an MCP server behind policyc: every tool call decided, audited, redacted",
        description="Start the MCP server COMMAND ARGS... as a child process and serve its "
        "tools (and resources and prompts) on stdio, deciding every call with the policies of "
        "the configuration and redacting secrets in the results. Put the server's command "
        "after --.",
        usage="policyc mcp-proxy [--config FILE] [--server-name NAME] [--session-id ID] "
        "[--startup-timeout SECONDS] -- COMMAND [ARGS...]",
    )
    p.add_argument(
        "--config",
        metavar="FILE",
        help="the configuration file (default: policyc.toml or pyproject.toml found from the "
        "current folder upward, else the defaults)",
    )
    p.add_argument(
        "--server-name",
        metavar="NAME",
        help="the server's name in the actions (tool.server; default: the name the server gives)",
    )
    p.add_argument(
        "--session-id",
        metavar="ID",
        help="the session of every action (session.id; default: a new id for each run)",
    )
    p.add_argument(
        "--startup-timeout",
        type=seconds,
        default=DEFAULT_STARTUP_TIMEOUT,
        metavar="SECONDS",
        help=f"how long the server may take to answer initialize (default "
        f"{DEFAULT_STARTUP_TIMEOUT:g})",
    )
    p.add_argument(
        "command",
        nargs=argparse.REMAINDER,
        metavar="-- COMMAND ARGS",
        help="the MCP server to run, after --",
    )
    p.set_defaults(run=run)


def _fail(message: str) -> int:
    print(f"policyc mcp-proxy: {message}", file=sys.stderr)
    return EXIT_INVALID


def run(args: argparse.Namespace) -> int:
    from policyc.runtime.config import ConfigError
    from policyc.runtime.runtime import Runtime

    command = list(args.command)
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        return _fail("no MCP server to run: give its command after -- (policyc mcp-proxy -- CMD)")
    try:
        import anyio

        from policyc.adapters.mcp_proxy import ProxyOptions, run_proxy
    except ImportError as e:
        return _fail(f"the MCP gateway needs the mcp package ({e}): pip install 'policyc[mcp]'")
    cwd = os.getcwd()
    try:
        runtime = Runtime.from_config(args.config, cwd=cwd)
    except ConfigError as e:
        return _fail(e.message)
    options = ProxyOptions(
        command=command[0],
        args=tuple(command[1:]),
        server_name=args.server_name,
        session_id=args.session_id,
        cwd=cwd,
        startup_timeout=args.startup_timeout,
    )
    try:
        problem = anyio.run(run_proxy, options, runtime)
    finally:
        runtime.close()
    if problem is not None:
        return _fail(problem)
    return EXIT_OK
