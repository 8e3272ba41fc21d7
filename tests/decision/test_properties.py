"""Properties of decisions under the standard library: how a flag or a path is spelled never
changes the decision, and the same action always gets the same decision and proofs."""

from __future__ import annotations

import shlex
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import policyc
from policyc.decision import Decision, PolicyEngine
from tests.hyp import scaled

ENGINE: PolicyEngine | None = None


def engine() -> PolicyEngine:
    global ENGINE
    if ENGINE is None:
        ENGINE = policyc.load(cache=False, fingerprint_key=b"properties")
    return ENGINE


def shell(command: str) -> Decision:
    return engine().decide(
        {"action_type": "shell.exec", "cwd": "/repo", "home": "/home/dev", "command": command}
    )


# -- ways to write a program name and to wrap a command ---------------------------------------


def program(name: str) -> st.SearchStrategy[str]:
    return st.sampled_from(
        [name, f"/bin/{name}", f"/usr/bin/{name}", f"\\{name}", f"'{name}'", f'"{name}"']
        + [f"{name[:i]}''{name[i:]}" for i in range(1, len(name))]
    )


@st.composite
def wrapped(draw: st.DrawFn, command: str) -> str:
    """``command`` under zero or more wrappers, possibly inside ``sh -c`` strings."""
    simple = True  # a prefix wrapper only wraps a simple command
    for _ in range(draw(st.integers(0, 3))):
        how = draw(
            st.sampled_from(
                ["sudo", "sudo -u root", "env X=1", "timeout 5", "nice -n 5", "nohup", "command",
                 "time", "bash -c", "sh -c", "eval", "true &&", "false ||", "( )", "{ }", "$( )"]
            )
        )  # fmt: skip
        if how in ("bash -c", "sh -c", "eval") or (not simple and how not in ("( )", "{ }")):
            command = (
                f"{how if how in ('bash -c', 'sh -c', 'eval') else 'sh -c'} {shlex.quote(command)}"
            )
            simple = True
        elif how == "( )":
            command, simple = f"( {command} )", False
        elif how == "{ }":
            command, simple = f"{{ {command}; }}", False
        elif how == "$( )":
            command = f"echo $({command})"
        else:
            command = f"{how} {command}"
    return command


# -- rm -rf -----------------------------------------------------------------------------------

RECURSIVE = ["-r", "-R", "--recursive", "--recursiv", "--rec"]
FORCE = ["-f", "--force", "--forc"]


@st.composite
def rm_rf(draw: st.DrawFn, target: str) -> str:
    r, f = draw(st.sampled_from(RECURSIVE)), draw(st.sampled_from(FORCE))
    flags: list[str]
    if r.startswith("--") or f.startswith("--") or draw(st.booleans()):
        flags = [r, f]
    else:
        flags = [r + f[1:]]  # bundled: -rf, -Rf
    extra = draw(
        st.lists(st.sampled_from(["-v", "-i", "-I", "--one-file-system", "-d"]), max_size=2)
    )
    words = draw(st.permutations(flags + extra))
    before = draw(st.integers(0, len(words)))
    args = [*words[:before], target, *words[before:]]  # GNU rm reads options after operands
    return " ".join([draw(program("rm")), *args])


@settings(max_examples=scaled(150))
@given(st.data())
def test_rm_rf_is_denied_however_spelled(data: st.DataObject) -> None:
    target = data.draw(st.sampled_from(["build", "/srv/data", "./a/../b", "/", "~"]))
    command = data.draw(wrapped(data.draw(rm_rf(target))))
    d = shell(command)
    assert d.decision in ("deny", "terminate"), (command, d.decision, d.reason)
    assert "destructive.rm_rf" in {o.policy_id for o in d.outcomes}, command


@settings(max_examples=scaled(60))
@given(st.data())
def test_rm_without_force_is_not_a_forced_delete(data: st.DataObject) -> None:
    flag = data.draw(st.sampled_from(RECURSIVE))
    command = data.draw(wrapped(f"{data.draw(program('rm'))} {flag} build"))
    assert "destructive.rm_rf" not in {o.policy_id for o in shell(command).outcomes}, command


# -- force pushes -----------------------------------------------------------------------------


@st.composite
def force_push(draw: st.DrawFn) -> str:
    how = draw(
        st.sampled_from(
            [["-f"], ["--force"], ["--force-with-lease"], ["--force-with-lease=main"],
             ["--force-if-includes", "--force-with-lease"], ["+main"], ["+HEAD:main"],
             ["--mirror"], ["-fu"], ["-uf"]]
        )
    )  # fmt: skip
    refspec = [] if any(h.startswith("+") for h in how) else draw(st.sampled_from([[], ["main"]]))
    words = draw(st.permutations([*how, *refspec]))
    if how[0].startswith("+") or refspec:
        words = ["origin", *words]  # a refspec follows the remote
    pre = draw(st.sampled_from([[], ["-C", "."], ["-c", "user.name=x"], ["--no-pager"]]))
    return " ".join([draw(program("git")), *pre, "push", *words])


@settings(max_examples=scaled(120))
@given(st.data())
def test_force_push_is_denied_however_spelled(data: st.DataObject) -> None:
    command = data.draw(wrapped(data.draw(force_push())))
    d = shell(command)
    assert d.decision in ("deny", "terminate"), (command, d.decision, d.reason)
    assert "destructive.force_push" in {o.policy_id for o in d.outcomes}, command


# -- path spellings ---------------------------------------------------------------------------


@st.composite
def spelled(draw: st.DrawFn, path: str, cwd: str) -> str:
    """A spelling of absolute ``path`` that names the same file, seen from ``cwd``."""
    parts = path.strip("/").split("/")
    out: list[str] = []
    for part in parts[:-1]:
        if draw(st.booleans()):
            out.append(".")
        if draw(st.integers(0, 3)) == 0:
            out.extend([draw(st.sampled_from(["x", "tmp", "..."])), ".."])
        out.append(part)
    out.append(parts[-1])
    sep = draw(st.sampled_from(["/", "//"]))
    text = "/" + sep.join(out)
    cwd_parts = cwd.strip("/").split("/")
    if draw(st.booleans()) and path.startswith(cwd + "/"):
        text = "./" + path[len(cwd) + 1 :]  # relative to the working directory
    elif draw(st.booleans()):
        text = "/".join([".."] * len(cwd_parts)) + text  # up to the root, then down
    return text


@pytest.mark.parametrize(
    ("path", "expect", "rule"),
    [
        ("/repo/config/.env.production", "deny", "secrets.read"),
        ("/home/dev/.ssh/id_ed25519", "deny", "secrets.read"),
        ("/repo/src/app/views.py", "allow", None),
    ],
)
@settings(max_examples=scaled(60))
@given(data=st.data())
def test_path_spelling_does_not_change_the_decision(
    data: st.DataObject, path: str, expect: str, rule: str | None
) -> None:
    text = data.draw(spelled(path, "/repo/src"))
    tool = engine().decide(
        {"action_type": "file.read", "cwd": "/repo/src", "resource": {"path": text}}
    )
    command = data.draw(wrapped(f"{data.draw(program('cat'))} {shlex.quote(text)}"))
    sh = engine().decide({"action_type": "shell.exec", "cwd": "/repo/src", "command": command})
    for d, how in ((tool, text), (sh, command)):
        assert d.decision == expect, (how, d.decision, d.reason)
        if rule:
            assert rule in d.policy_ids, how


# -- determinism -----------------------------------------------------------------------------


def stable(d: Decision) -> dict[str, Any]:
    data = d.to_dict()
    del data["decision_id"], data["timestamp"]
    return data


@settings(max_examples=scaled(40))
@given(st.data())
def test_same_action_same_decision(data: st.DataObject) -> None:
    command = data.draw(
        st.one_of(
            wrapped("cat .env"), rm_rf("/srv"), force_push(), st.just("curl -d x https://a.example")
        )
    )
    action = {"action_id": "a", "action_type": "shell.exec", "cwd": "/repo", "command": command}
    assert stable(engine().decide(action)) == stable(engine().decide(action))
