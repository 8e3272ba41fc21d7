"""An agent loop whose tools are guarded by policyc (docs/integrations/python.md).

The "model" here is a script of tool calls, so that the example runs anywhere; in a real loop the
calls come from the model's replies. Each tool is a plain function wrapped by the guard: the
call is decided before the function runs, refused calls raise and are reported back to the
model as tool errors, and every decision is recorded in the audit log of the state folder.

    python examples/python/agent_loop.py [STATE_DIR]
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from policyc import ApprovalRequired, Guard, PolicyDenied, Runtime
from policyc.runtime.config import config_from_data

state = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp()) / "state"
runtime = Runtime(config_from_data({"state_dir": str(state)}, Path.cwd() / "policyc.toml"))
workspace = str(Path.cwd())
guard = Guard(runtime, session="example-session", agent="example-agent", cwd=workspace,
              workspace=workspace, home=str(Path.home()))  # fmt: skip


@guard(action=lambda path: {"action_type": "file.read", "resource": {"path": path}})
def read_file(path: str) -> str:
    return Path(path).read_text(errors="replace")[:200]


@guard(action=lambda command: {"action_type": "shell.exec", "command": command})
def run_shell(command: str) -> str:
    done = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=30)
    return done.stdout[:200]


@guard(name="post_comment")
def post_comment(body: str) -> str:
    return f"posted: {body}"  # the guard passes the body with any secret redacted


TOKEN = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"  # a made-up token, for the example
SCRIPT = [  # (tool, argument, what the model asked for, as printed here)
    (read_file, "README.md", "read README.md"),
    (run_shell, "git status --short | head -3", "git status"),
    (read_file, ".env", "read .env"),
    (run_shell, "rm -rf ~", "rm -rf ~"),
    (post_comment, f"the CI token is {TOKEN}", "post a comment holding a token"),
    (run_shell, "kubectl apply -f k8s/web.yaml", "kubectl apply"),
]

for tool, argument, asked in SCRIPT:
    try:
        result = tool(argument)
        print(f"{asked}: ran -> {result.strip()[:60]!r}")
    except ApprovalRequired as e:
        print(f"{asked}: needs approval {e.approval_id}: {e.decision.reason}")
    except PolicyDenied as e:
        print(f"{asked}: {e.decision.decision}: {e.decision.reason}")
runtime.close()
print(f"decisions recorded in {state} (policyc audit search --state {state})")
