"""``policyc eval`` as a user runs it: a subprocess, its exit code, stdout and stderr."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).parent.parent / "examples" / "policies"


def policyc_eval(*args: str, stdin: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).parent / "policyc"
    cmd = [str(script)] if script.exists() else [sys.executable, "-m", "policyc.cli.main"]
    return subprocess.run(
        [*cmd, "eval", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        env={"POLICYC_CACHE_DIR": str(cwd / "cache"), "PATH": "/usr/bin:/bin", "NO_COLOR": "1"},
    )


def test_one_action_pretty_json(tmp_path: Path) -> None:
    r = policyc_eval(
        "--policy",
        str(EXAMPLES),
        stdin='{"action_type": "file.read", "resource": {"path": "/repo/.env"}}',
        cwd=tmp_path,
    )
    assert r.returncode == 1, r.stderr
    d = json.loads(r.stdout)
    assert (d["decision"], d["policy_ids"]) == ("deny", ["secrets.read"])
    assert d["outcomes"][0]["proof"]["schema"] == "policyc.proof/1"
    assert r.stdout.startswith("{\n")


def test_json_lines_with_a_bad_line(tmp_path: Path) -> None:
    lines = [
        '{"action_type": "file.read", "resource": {"path": "/repo/a.py"}}',
        "",
        '{"action_type": "file.read", "resource": {"path": ',
        '{"action_type": "teleport"}',
        '{"action_type": "shell.exec", "command": "rm -fr /srv"}',
    ]
    src = tmp_path / "actions.jsonl"
    src.write_text("\n".join(lines) + "\n")
    r = policyc_eval(str(src), "--policy", str(EXAMPLES), stdin="", cwd=tmp_path)
    assert r.returncode == 2
    out = [json.loads(line) for line in r.stdout.splitlines()]
    assert [d["decision"] for d in out] == ["allow", "deny", "deny", "deny"]
    assert out[1]["error"]["code"] == "invalid_input"
    assert out[2]["error"]["code"] == "invalid_action"
    assert out[3]["policy_ids"] == ["shell.recursive_force_delete"]
    assert f"{src}:3: not valid JSON at column" in r.stderr
    assert f"{src}:4: invalid action: action_type:" in r.stderr
    assert "Traceback" not in r.stderr


def test_text_format_shows_the_tree(tmp_path: Path) -> None:
    r = policyc_eval(
        "--policy",
        str(EXAMPLES),
        "--format",
        "text",
        stdin='{"action_type": "shell.exec", "command": "bash -c \\"rm -rf /srv\\""}',
        cwd=tmp_path,
    )
    assert r.returncode == 1
    assert r.stdout.startswith("DENY  act_")
    assert "reason:    recursive forced deletion (rm -rf) is not allowed" in r.stdout
    assert '└── command_flag("rm", "-f")   [input]' in r.stdout
    assert "\x1b[" not in r.stdout
    coloured = policyc_eval(
        "-p", str(EXAMPLES), "--format", "text", "--colour", "always",
        stdin='{"action_type": "file.read", "resource": {"path": "/a.py"}}',
        cwd=tmp_path,
    )  # fmt: skip
    assert coloured.returncode == 0 and coloured.stdout.startswith("\x1b[32mALLOW\x1b[0m")


def test_broken_policies_fail_closed(tmp_path: Path) -> None:
    bad = tmp_path / "bad.policy"
    bad.write_text("module t.bad\ndefault allow\nallow x.y when reads_file(\n")
    r = policyc_eval(
        "--policy",
        str(bad),
        stdin='{"action_id": "a1", "action_type": "file.read", "resource": {"path": "/a"}}',
        cwd=tmp_path,
    )
    assert r.returncode == 2
    d = json.loads(r.stdout)
    assert (d["decision"], d["action_id"], d["error"]["code"]) == ("deny", "a1", "policy_error")
    assert "bad.policy:3" in r.stderr


def test_empty_input_and_missing_file(tmp_path: Path) -> None:
    r = policyc_eval("--policy", str(EXAMPLES), stdin="  \n", cwd=tmp_path)
    assert r.returncode == 2 and "the input is empty" in r.stderr
    r = policyc_eval(str(tmp_path / "nope.json"), stdin="", cwd=tmp_path)
    assert r.returncode == 2 and "cannot read" in r.stderr


def test_array_of_actions(tmp_path: Path) -> None:
    r = policyc_eval(
        "--policy",
        str(EXAMPLES),
        "--no-proofs",
        stdin='[{"action_type": "file.read", "resource": {"path": "/a"}},'
        ' {"action_type": "file.read", "resource": {"path": "/b/.env"}}]',
        cwd=tmp_path,
    )
    out = [json.loads(line) for line in r.stdout.splitlines()]
    assert [d["decision"] for d in out] == ["allow", "deny"]
    assert out[1]["outcomes"][0]["proof"] is None


def test_published_schemas_are_current() -> None:
    from policyc.cli.schema import schema

    docs = Path(__file__).parent.parent / "docs" / "schemas"
    for which in ("action", "decision"):
        published = json.loads((docs / f"{which}.schema.json").read_text())
        assert published == schema(which), (
            f"regenerate: policyc schema {which} > {docs}/{which}.schema.json"
        )


def test_a_number_too_long_to_convert_is_an_invalid_line(tmp_path: Path) -> None:
    src = tmp_path / "a.jsonl"
    src.write_text(
        '{"action_type": "file.read", "resource": {"path": "/a"}}\n{"x": ' + "1" * 5000 + "}\n"
    )
    r = policyc_eval(str(src), "--policy", str(EXAMPLES), "--no-proofs", stdin="", cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    out = [json.loads(line) for line in r.stdout.splitlines()]
    assert [d["decision"] for d in out] == ["allow", "deny"]
    assert out[1]["error"]["code"] == "invalid_input"
    assert "internal error" not in r.stderr
