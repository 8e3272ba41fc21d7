"""``policyc hook claude-code|codex|gemini``: a coding agent's tool-call hook. Reads the hook
event (JSON) on stdin, decides the tool call through the runtime and prints the agent's answer
(docs/integrations/). ``policyc hook stop`` stops the decision daemon of the state folder.

By default the event goes to the long-lived decision daemon of the state folder (started on
first use: :mod:`policyc.adapters.hookclient`); ``--no-daemon`` decides in this process.
Exit status 0 with the answer on stdout, or 2 with one line on stderr and nothing on stdout:
the agent blocks the tool call. Nothing makes it 0 without a decision.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from typing import Any

from policyc.cli.main import EXIT_INVALID, EXIT_OK, group_usage, seconds

AGENT_HELP = {
    "claude-code": "Claude Code PreToolUse / PostToolUse hook",
    "codex": "Codex CLI PreToolUse / PostToolUse hook",
    "gemini": "Gemini CLI BeforeTool / AfterTool hook",
}


def register(sub: Any) -> None:
    p = sub.add_parser(
        "hook",
        help="decide a coding agent's tool call (Claude Code, Codex, Gemini CLI hooks)",
        description="Decide a coding agent's tool call: read the hook's JSON on stdin, decide "
        "it through the runtime (recorded in the audit log) and print the hook's answer. "
        "Malformed input, an invalid configuration or any failure blocks the call (exit 2).",
    )
    p.set_defaults(run=group_usage(p))
    cmds = p.add_subparsers(dest="hook_command", metavar="AGENT")
    for agent, help_text in AGENT_HELP.items():
        a = cmds.add_parser(agent, help=help_text, description=f"The {help_text}.")
        a.add_argument(
            "--config",
            metavar="FILE",
            help="the configuration (default: $POLICYC_CONFIG, "
            "else policyc.toml or pyproject.toml found from the current folder upward)",
        )
        a.add_argument(
            "--no-daemon",
            action="store_true",
            help="decide in this process instead of the decision daemon (slower start-up)",
        )
        a.add_argument(
            "--timeout",
            type=seconds,
            metavar="S",
            help="block the call when the daemon has not answered in S seconds "
            "(default $POLICYC_HOOK_TIMEOUT, else 20)",
        )
        a.add_argument(
            "--idle-timeout",
            type=seconds,
            metavar="S",
            help="a daemon started by this call exits after S seconds without a request "
            "(default $POLICYC_HOOK_IDLE_TIMEOUT, else 600)",
        )
        a.add_argument(
            "--deny-approvals",
            action="store_true",
            help="answer require_approval with deny instead of ask (Claude Code; Codex and "
            "Gemini CLI always deny)",
        )
        a.add_argument(
            "--print-command",
            action="store_true",
            help="print the fastest command line for this hook (the thin client run as a "
            "script), for the agent's settings, and exit",
        )
        a.set_defaults(run=run_hook, agent=agent)
    stop = cmds.add_parser(
        "stop",
        help="stop the decision daemon of the state folder",
        description="Stop the decision daemon of the configuration's state folder.",
    )
    stop.add_argument("--config", metavar="FILE", help="the configuration that names the folder")
    stop.add_argument(
        "--state", metavar="DIR", help="the state folder (default: the configuration's)"
    )
    stop.set_defaults(run=run_stop)


def client_command(agent: str, args: argparse.Namespace) -> str:
    """The thin client as a script, with the options of ``args``: no import of policyc, no site
    packages (``-S``), nothing from the environment's ``PYTHON*`` variables (``-I``); and
    ``|| exit 2``, so that even a Python that cannot start blocks the call (the agents block
    only on exit status 2)."""
    from policyc.adapters import hookclient

    start = os.path.join(os.path.dirname(os.path.abspath(hookclient.__file__)), "hookstart.py")
    words = [sys.executable, "-I", "-S", start, agent]
    if args.config:
        words += ["--config", os.path.abspath(args.config)]
    if args.timeout:
        words += ["--timeout", f"{args.timeout:g}"]
    if args.idle_timeout:
        words += ["--idle-timeout", f"{args.idle_timeout:g}"]
    if args.deny_approvals:
        words.append("--deny-approvals")
    return shlex.join(words) + " || exit 2"


def run_hook(args: argparse.Namespace) -> int:
    """Never raises, never exits 0 without an answer from a runtime."""
    try:
        if args.print_command:
            print(client_command(args.agent, args))
            return EXIT_OK
        code, out, err = _decide(args)
    except BaseException as e:  # fail closed, even on an interrupt
        code, out, err = (
            2,
            "",
            f"policyc hook: internal error ({type(e).__name__}); the tool call is blocked",
        )
    if code != 0:
        code, out = EXIT_INVALID, ""
    if out:
        sys.stdout.write(out + "\n")
        sys.stdout.flush()
    if err:
        sys.stderr.write(err + "\n")
    return code


def _decide(args: argparse.Namespace) -> tuple[int, str, str]:
    raw = sys.stdin.buffer.read()
    cwd = os.getcwd()
    approvals = "deny" if args.deny_approvals else "ask"

    def local(
        agent: str, raw: bytes, *, config: str | None, cwd: str, approvals: str, timeout: float
    ) -> tuple[int, str, str]:
        from policyc.adapters.hookd import in_process  # the daemon's path imports none of it

        r = in_process(agent, raw, config=config, cwd=cwd, env=os.environ, approvals=approvals)
        return r.exit, r.stdout, r.stderr

    if args.no_daemon:
        return local(args.agent, raw, config=args.config, cwd=cwd, approvals=approvals, timeout=0)
    from policyc.adapters import hookclient

    return hookclient.run(
        args.agent,
        raw,
        config=args.config,
        cwd=cwd,
        timeout=args.timeout,
        idle_timeout=args.idle_timeout,
        approvals=approvals,
        fallback=local,
    )


def run_stop(args: argparse.Namespace) -> int:
    from policyc.adapters import hookclient

    if args.state:
        state = os.path.abspath(args.state)
    else:
        from pathlib import Path

        from policyc.runtime.config import ConfigError, load_config

        try:
            config = load_config(None if args.config is None else Path(args.config), cwd=Path.cwd())
        except ConfigError as e:
            print(f"policyc hook stop: {e.message}", file=sys.stderr)
            return EXIT_INVALID
        state = str(config.state_dir)
    if hookclient.stop(state):
        print(f"stopped the decision daemon of {state}")
    else:
        print(f"no decision daemon serves {state}")
    return EXIT_OK
