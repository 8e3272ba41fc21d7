"""Small language features pinned by example, and language bugs with minimal reproducers.

Each bug is a strict xfail: it fails today and will flag (XPASS) once fixed.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from policyc.action.model import parse_action
from policyc.decision.verdict import evaluate
from policyc.lang.ast import Compare, Outcome, PBin, PConst
from policyc.lang.checker import check_texts
from policyc.lang.parser import parse_module
from policyc.lang.policy_set import PolicySet
from policyc.lang.testing import check_invariant, run_test


def _compile(text: str) -> PolicySet:
    result = check_texts({"m.policy": text})
    assert result.policy_set is not None, [str(d) for d in result.diagnostics]
    return result.policy_set


def _effect(ps: PolicySet, action: dict[str, Any]) -> str:
    return evaluate(ps, parse_action(action, trusted=True)).effect


def _first_condition(text: str) -> Any:
    module, diagnostics = parse_module(text, "<m>")
    assert module is not None and not diagnostics, [str(d) for d in diagnostics]
    (outcome,) = module.of(Outcome)
    return outcome.when[0][0]


# ---------------------------------------------------------------------------------------------
# features


def test_effects_resolve_by_precedence() -> None:
    ps = _compile(
        "module m\ndefault allow\n"
        'allow m.a when action_type = "shell.exec" reason "a"\n'
        'alert m.b when action_type = "shell.exec" reason "b"\n'
        'redact m.c when command = "x" reason "c"\n'
        'require_approval m.d when command = "y" approver "r" reason "d"\n'
        'deny m.e when command = "z" reason "e"\n'
        'terminate m.f when command = "z", session.recent_denials > 5 reason "f"\n'
    )
    shell = {"action_type": "shell.exec"}
    assert _effect(ps, {**shell, "command": "ls"}) == "alert"
    assert _effect(ps, {**shell, "command": "x"}) == "redact"
    assert _effect(ps, {**shell, "command": "y"}) == "require_approval"
    assert _effect(ps, {**shell, "command": "z"}) == "deny"
    assert _effect(ps, {**shell, "command": "z", "session": {"recent_denials": 6}}) == "terminate"
    assert _effect(ps, {"action_type": "file.read"}) == "allow"


def test_default_applies_when_nothing_fires() -> None:
    ps = _compile('module m\ndefault alert\ndeny m.d when command = "x" reason "x"\n')
    verdict = evaluate(ps, parse_action({"action_type": "web.search"}, trusted=True))
    assert verdict.effect == "alert" and verdict.default_applied
    assert not verdict.fired


def test_undeclared_default_is_deny() -> None:
    ps = _compile('module m\nalert m.a when command = "x" reason "x"\n')
    assert (ps.default, ps.default_declared) == ("deny", False)
    assert _effect(ps, {"action_type": "web.search"}) == "deny"


def test_in_and_not_in() -> None:
    ps = _compile(
        "module m\ndefault allow\n"
        'deny m.d when action_type in ["file.read", "file.list"], environment not in ["development", "test"] reason "x"\n'
    )
    assert _effect(ps, {"action_type": "file.list", "environment": "production"}) == "deny"
    assert _effect(ps, {"action_type": "file.list", "environment": "test"}) == "allow"
    assert _effect(ps, {"action_type": "file.write", "environment": "production"}) == "allow"


def test_unless_clauses_are_exceptions() -> None:
    ps = _compile(
        "module m\ndefault allow\n"
        'deny m.d\n  when reads_file(P), glob(P, "**/*.key")\n'
        '  unless approval.granted\n  unless ends_with(P, "/public.key")\n  reason "{P}"\n'
    )
    read = {"action_type": "file.read"}
    assert _effect(ps, {**read, "resource": {"path": "/a/b.key"}}) == "deny"
    assert _effect(ps, {**read, "resource": {"path": "/a/public.key"}}) == "allow"
    assert (
        _effect(ps, {**read, "resource": {"path": "/a/b.key"}, "approval": {"granted": True}})
        == "allow"
    )


def test_boolean_attributes() -> None:
    ps = _compile(
        "module m\ndefault allow\n"
        'deny m.d when session.terminated, not approval.granted reason "x"\n'
        'alert m.a when approval.granted = false reason "x"\n'
    )
    assert _effect(ps, {"action_type": "web.search", "session": {"terminated": True}}) == "deny"
    assert _effect(ps, {"action_type": "web.search"}) == "alert"
    assert _effect(ps, {"action_type": "web.search", "approval": {"granted": True}}) == "allow"


def test_default_require_approval_is_refused() -> None:
    """A default of require_approval would name no approver: refused."""
    result = check_texts({"m.policy": "module m\ndefault require_approval\n"})
    assert [(d.code, d.position.line if d.position else 0) for d in result.errors] == [
        ("missing_approver", 2)
    ]


def test_test_runner_reports_an_invalid_test_action() -> None:
    """check refuses such a test (invalid_test_action); the runner, handed one anyway, fails it."""
    ps = _compile(
        'module m\ndefault allow\ntest "ok" { action { action_type: "file.read" } expect allow }\n'
    )
    (case,) = ps.tests
    bad = dataclasses.replace(case, action={"action_type": "file.read", "bogus": 1})
    result = run_test(ps, bad)
    assert not result.passed and "invalid" in result.messages[0]


def test_dotted_keys_in_test_actions_nest() -> None:
    module, diagnostics = parse_module(
        'module m\ntest "t" { action { action_type: "file.read", resource: { owner: "o" }, '
        'resource.path: "/a", "tool.x": 1 } expect allow }\n',
        "<m>",
    )
    assert module is not None and not diagnostics
    (test,) = module.items
    assert test.action == {  # type: ignore[union-attr]
        "action_type": "file.read",
        "resource": {"owner": "o", "path": "/a"},
        "tool.x": 1,
    }


def test_arithmetic_precedence() -> None:
    cond = _first_condition('module m\nalert m.a when session.actions + 2 * 3 > 1 reason "x"\n')
    assert isinstance(cond, Compare) and isinstance(cond.left, PBin)
    assert cond.left.op == "+" and isinstance(cond.left.right, PBin) and cond.left.right.op == "*"


def test_negative_literals_fold() -> None:
    cond = _first_condition('module m\nalert m.a when session.actions > -(3) reason "x"\n')
    assert isinstance(cond, Compare) and cond.right == PConst(-3)


# ---------------------------------------------------------------------------------------------
# bugs


def test_subtraction_parses_and_evaluates() -> None:
    """Regression: binary '-' used to be a syntax error (the lexer always read the unary '-')."""
    cond = _first_condition('module m\nalert m.a when session.actions - 1 - 1 > 3 reason "x"\n')
    assert isinstance(cond, Compare) and isinstance(cond.left, PBin) and cond.left.op == "-"
    assert isinstance(cond.left.left, PBin) and cond.left.left.op == "-"  # left-associative
    ps = _compile(
        'module m\ndefault allow\nalert m.a when session.actions - 10 > 2 - 5 reason "x"\n'
    )
    assert _effect(ps, {"action_type": "web.search", "session": {"actions": 8}}) == "alert"
    assert _effect(ps, {"action_type": "web.search", "session": {"actions": 7}}) == "allow"


def test_mod_parses_and_evaluates() -> None:
    """Regression: 'mod' used to be lexed as a name."""
    cond = _first_condition('module m\nalert m.a when session.actions mod 2 = 1 reason "x"\n')
    assert isinstance(cond, Compare) and isinstance(cond.left, PBin) and cond.left.op == "mod"
    ps = _compile('module m\ndefault allow\nalert m.a when session.actions mod 3 = 1 reason "x"\n')
    assert _effect(ps, {"action_type": "web.search", "session": {"actions": 7}}) == "alert"
    assert _effect(ps, {"action_type": "web.search", "session": {"actions": 9}}) == "allow"


def test_compact_negative_value_in_test_action() -> None:
    _module, diagnostics = parse_module(
        'module m\ntest "t" { action { action_type: "tool.call", tool: { name: "t", input: { n:-1 } } } expect allow }\n',
        "<m>",
    )
    assert not diagnostics


def test_violated_not_invariant_is_reported() -> None:
    """Regression: this used to crash (KeyError: 'not_effect'), and `policyc test` with it."""
    ps = _compile(
        'module m\ndefault allow\ninvariant m.i "reads are never allowed" {\n'
        '  when action_type = "file.read"\n  expect not allow\n}\n'
    )
    (inv,) = ps.invariants
    result = check_invariant(ps, inv, examples=30, seed=0)
    assert not result.passed and "requires not allow" in result.messages[0]


def test_held_not_invariant_passes() -> None:
    """The same bound, when it holds, passes."""
    ps = _compile(
        'module m\ndefault allow\ndeny m.d when action_type = "file.read" reason "x"\n'
        'invariant m.i "reads are never allowed" {\n  when action_type = "file.read"\n  expect not allow\n}\n'
    )
    (inv,) = ps.invariants
    assert check_invariant(ps, inv, examples=30, seed=0).passed


def test_invariants_reach_facts_only_commands_produce() -> None:
    """An invariant over a derived fact of a command (``destructive``) is reached through the
    action shapes, and a rule that forgets a spelling is caught."""
    ps = _compile(
        "module m\ndefault allow\n"
        'deny m.rm when command = "rm -rf /" reason "x"\n'
        'invariant m.i "no forced recursive delete" {\n'
        '  when destructive("recursive_force_delete", _)\n  expect at_least deny\n}\n'
    )
    (inv,) = ps.invariants
    result = check_invariant(ps, inv, examples=100, seed=0)
    assert not result.passed and "requires at least deny" in result.messages[0]


def test_invariants_reach_helpers_through_their_definitions() -> None:
    """A helper in the ``when`` is followed to the input facts it is defined from."""
    ps = _compile(
        "module m\ndefault allow\n"
        'pushes(D) :- git_op("force_push", D).\n'
        'deny m.push when pushes(D) reason "force push {D}"\n'
        'invariant m.i "no force push" {\n  when pushes(_)\n  expect deny\n}\n'
    )
    (inv,) = ps.invariants
    result = check_invariant(ps, inv, examples=100, seed=0)
    assert result.passed and result.messages[0].startswith("held on"), result.messages


def test_a_failing_invariant_prints_the_action_redacted() -> None:
    ps = _compile(
        "module m\ndefault allow\n"
        'invariant m.i "secrets are never sent" {\n  when secret(_, _)\n  expect deny\n}\n'
    )
    (inv,) = ps.invariants
    result = check_invariant(ps, inv, examples=100, seed=0)
    assert not result.passed
    assert "[REDACTED:" in result.messages[0]
    assert "EXAMPLEKEY" not in result.messages[0] and "Sup3rS3cret" not in result.messages[0]
