"""The positive corpus: realistic policies for coding agents (``tests/lang/cases``).

Each file is checked as the entry of its own policy set (its imports come along): it must check
clean, every one of its test blocks must pass and every one of its invariants must hold. The corpus
as a whole must exercise the whole language, so that the other tests run on all of it.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from pathlib import Path

import pytest

from policyc.action.model import parse_action
from policyc.decision.verdict import evaluate
from policyc.engine.builtins import BUILTINS
from policyc.engine.decisions import EFFECTS
from policyc.lang import ast as lang_ast
from policyc.lang.ast import (
    Compare,
    Default,
    Disable,
    Expectation,
    Fact,
    HelperRule,
    Import,
    Invariant,
    Member,
    Module,
    Negative,
    Outcome,
    Override,
    PAtom,
    PAttr,
    PBin,
    PExpr,
    PNeg,
    Positive,
)
from policyc.lang.checker import check_paths
from policyc.lang.parser import parse_module
from policyc.lang.policy_set import PolicySet
from policyc.lang.testing import check_invariant, run_test
from tests.lang.corpus import CASES_DIR, CORPUS, CORPUS_IDS, check_case, read

INVARIANT_EXAMPLES = 60


@pytest.fixture(scope="module")
def policy_sets() -> dict[str, PolicySet]:
    out = {}
    for path in CORPUS:
        result = check_case(path)
        assert result.policy_set is not None, [str(d) for d in result.errors]
        out[path.stem] = result.policy_set
    return out


def _modules() -> list[Module]:
    mods = []
    for path in CORPUS:
        module, diagnostics = parse_module(read(path), str(path))
        assert module is not None and not diagnostics
        mods.append(module)
    return mods


def test_corpus_is_big_enough() -> None:
    assert len(CORPUS) >= 8
    importing = [m for m in _modules() if m.of(Import)]
    assert len(importing) >= 3, "the corpus must import between its files"


@pytest.mark.parametrize("path", CORPUS, ids=CORPUS_IDS)
def test_checks_clean(path: Path) -> None:
    result = check_case(path)
    assert not result.errors, "\n".join(map(str, result.errors))
    assert not result.warnings, "\n".join(map(str, result.warnings))
    # notes are allowed: an allow rule that can overlap a deny rule is informational
    assert {d.code for d in result.diagnostics} <= {"allow_overlaps_deny"}
    assert result.policy_set is not None
    # the imports were loaded from the corpus folder, not the entry alone
    for name in result.policy_set.modules:
        assert name.startswith(("corp.", "acme."))


def test_whole_corpus_checks_clean_together() -> None:
    result = check_paths([CASES_DIR])
    assert not result.errors and not result.warnings, "\n".join(map(str, result.diagnostics))
    assert result.policy_set is not None
    assert set(result.policy_set.entries) == set(result.policy_set.modules)
    assert len(result.policy_set.modules) == len(CORPUS)


@pytest.mark.parametrize("path", CORPUS, ids=CORPUS_IDS)
def test_test_blocks_pass(path: Path, policy_sets: dict[str, PolicySet]) -> None:
    ps = policy_sets[path.stem]
    own = [t for t in ps.tests if t.module in ps.entries]
    assert own, f"{path.name} has no test block"
    for case in own:
        result = run_test(ps, case)
        assert result.passed, f"{case.name}: {result.messages}"
        assert result.verdict is not None


@pytest.mark.parametrize("path", CORPUS, ids=CORPUS_IDS)
def test_test_blocks_can_fail(path: Path, policy_sets: dict[str, PolicySet]) -> None:
    """The test runner is not vacuous: every decision expectation, turned into another effect
    (or a fired expectation into a not-fired one), fails."""
    ps = policy_sets[path.stem]
    for case in (t for t in ps.tests if t.module in ps.entries):
        for i, exp in enumerate(case.expectations):
            if exp.kind == "decision":
                assert exp.effect is not None
                other = EFFECTS[(EFFECTS.index(exp.effect) + 1) % len(EFFECTS)]
                wrong = dataclasses.replace(exp, effect=other, ids=())
            else:
                wrong = Expectation(
                    "not_fired" if exp.kind == "fired" else "fired", None, exp.ids, exp.span
                )
            exps = (*case.expectations[:i], wrong, *case.expectations[i + 1 :])
            result = run_test(ps, dataclasses.replace(case, expectations=exps))
            assert not result.passed, f"{case.name}: {wrong} should fail"
            assert result.messages


@pytest.mark.parametrize("path", CORPUS, ids=CORPUS_IDS)
def test_invariants_hold(path: Path, policy_sets: dict[str, PolicySet]) -> None:
    ps = policy_sets[path.stem]
    for inv in (i for i in ps.invariants if i.module in ps.entries):
        result = check_invariant(ps, inv, examples=INVARIANT_EXAMPLES, seed=0)
        assert result.passed, f"{inv.id}: {result.messages}"
        assert result.examples == INVARIANT_EXAMPLES
        assert result.messages and result.messages[0].startswith("held on ")


def test_invariant_violation_is_found(policy_sets: dict[str, PolicySet]) -> None:
    """An invariant that does not hold is caught, with the action that breaks it."""
    ps = policy_sets["session"]
    inv = next(i for i in ps.invariants if i.id == "session.stuck")
    wrong = dataclasses.replace(inv, effect="deny")  # they terminate, not deny
    result = check_invariant(ps, wrong, examples=INVARIANT_EXAMPLES, seed=0)
    assert not result.passed
    assert "requires deny, but this action got terminate" in result.messages[0]
    assert '"recent_denials":' in result.messages[0]


# ---------------------------------------------------------------------------------------------
# reasons, overrides and disables


REASONS = [
    (
        "secrets",
        {"action_type": "file.read", "resource": {"path": "/repo/.env"}, "agent": {"id": "bot-7"}},
        "secrets.read",
        "reading /repo/.env would expose secrets (agent bot-7)",
    ),
    (
        "secrets",
        {"action_type": "file.read", "resource": {"path": "/repo/.env"}},
        "secrets.read",
        "reading /repo/.env would expose secrets (agent (none))",
    ),
    (
        "shell",
        {"action_type": "shell.exec", "command": "sudo reboot", "environment": "production"},
        "shell.sudo",
        "privileged command in production: sudo reboot",
    ),
    (
        "tools",
        {
            "action_type": "tool.call",
            "tool": {
                "name": "mcp__github__delete_repository",
                "input": {"owner": "a", "repo": "b"},
            },
        },
        "tools.delete_repository",
        "deleting a/b cannot be undone",
    ),
    (
        "tools",
        {"action_type": "tool.call", "tool": {"name": "f", "input": {"limit": 600}}},
        "tools.big_batch",
        "a batch of 600 items",
    ),
    (
        "session",
        {"action_type": "web.search", "session": {"recent_denials": 14}},
        "session.runaway",
        "14 recent denials: the agent is stuck",
    ),
    (
        "workspace",
        {"action_type": "file.write", "workspace": "/repo", "resource": {"path": "/etc/x"}},
        "ws.outside",
        "/etc/x is outside the workspace /repo",
    ),
    (
        "workspace",
        {"action_type": "file.write", "resource": {"path": "/repo/lib/a.dylib"}},
        "ws.binary",
        "writing a .dylib binary",
    ),
    (
        "network",
        {"action_type": "http.request", "method": "PUT", "url": "https://x.example/u"},
        "net.untrusted_upload",
        "PUT to https://x.example/u would send data to an untrusted host",
    ),
    (
        "data",
        {"action_type": "tool.call", "tool": {"name": "llm", "input": {"temperature": 2.5}}},
        "data.sampling",
        "sampling temperature 2.5",
    ),
    (
        "agents",
        {
            "action_type": "file.delete",
            "agent": {"owner": "ana"},
            "resource": {"path": "/repo/x", "owner": "bo"},
        },
        "agents.owner_mismatch",
        "ana edits a file owned by bo",
    ),
    (
        "project",
        {"action_type": "shell.exec", "command": "sudo ls", "environment": "staging"},
        "shell.sudo",
        "sudo needs the platform team (sudo ls)",  # the overridden reason
    ),
]


@pytest.mark.parametrize(
    ("case", "action", "rule_id", "reason"), REASONS, ids=[f"{r[0]}-{r[2]}" for r in REASONS]
)
def test_reason_templates_render(
    case: str,
    action: dict[str, object],
    rule_id: str,
    reason: str,
    policy_sets: dict[str, PolicySet],
) -> None:
    verdict = evaluate(policy_sets[case], parse_action(action, trusted=True))
    fired = {f.rule.id: f.reason for f in verdict.fired}
    assert fired.get(rule_id) == reason, fired


def test_overrides_and_disables(policy_sets: dict[str, PolicySet]) -> None:
    project = policy_sets["project"]
    push = project.outcomes["git.push_protected"]
    assert (push.approver, push.risk) == ("release-managers", 55)
    assert push.effect == "require_approval"
    assert "ws.lockfile" not in project.outcomes
    assert project.disabled == {"ws.lockfile": "lockfiles are committed by the bots"}
    # the same modules without the project's adjustments
    git = policy_sets["git"].outcomes["git.push_protected"]
    assert (git.approver, git.risk) == ("maintainers", 40)
    assert "ws.lockfile" in policy_sets["workspace"].outcomes
    assert policy_sets["workspace"].disabled == {}


def test_outcome_metadata(policy_sets: dict[str, PolicySet]) -> None:
    secrets = policy_sets["secrets"].outcomes["secrets.read"]
    assert secrets.effect == "deny" and secrets.risk == 95
    assert secrets.tags == ("secrets", "files")
    assert secrets.params == ("P",)
    assert secrets.module == "corp.secrets"
    assert secrets.source is not None and secrets.source.file.endswith("secrets.policy")
    assert policy_sets["secrets"].default == "allow" and policy_sets["secrets"].default_declared


def test_demand_transformation_is_used(policy_sets: dict[str, PolicySet]) -> None:
    """Parameterised helpers (secret_file(P), dangerous_command(C), …) are computed on demand."""
    for case, helper in [
        ("secrets", "corp.secrets.secret_file"),
        ("shell", "corp.shell.dangerous_command"),
        ("network", "corp.network.trusted_url"),
        ("data", "corp.data.writes_data"),
        ("project", "acme.project.risky_shell"),
    ]:
        preds = policy_sets[case].program.predicates
        assert helper in preds and f"demand.{helper}" in preds, case


# ---------------------------------------------------------------------------------------------
# the corpus covers the language


def _exprs(e: PExpr) -> list[PExpr]:
    out = [e]
    if isinstance(e, PBin):
        out += _exprs(e.left) + _exprs(e.right)
    elif isinstance(e, PNeg):
        out += _exprs(e.operand)
    return out


def test_corpus_covers_the_language() -> None:
    seen: Counter[str] = Counter()
    for m in _modules():
        for item in m.items:
            seen[type(item).__name__] += 1
            conditions = []
            if isinstance(item, Outcome):
                seen["effect:" + item.effect] += 1
                seen["when"] += len(item.when)
                seen["multiple_when"] += len(item.when) > 1
                seen["unless"] += len(item.unless)
                conditions = [c for w in item.when + item.unless for c in w]
                reason = item.meta.reason or ""
                if "{" in reason:
                    seen["template_var"] += any(
                        p[:1].isupper() for p in reason.replace("}", "{").split("{")[1::2]
                    )
                    seen["template_attr"] += any(
                        p[:1].islower() for p in reason.replace("}", "{").split("{")[1::2]
                    )
                seen["tags"] += item.meta.tags is not None
                seen["risk"] += item.meta.risk is not None
                seen["approver"] += item.meta.approver is not None
            elif isinstance(item, HelperRule):
                conditions = list(item.body)
                seen["helper_param"] += bool(item.head.args)
            elif isinstance(item, Invariant):
                conditions = list(item.when)
                seen["bound:" + item.bound] += 1
            elif isinstance(item, Default):
                seen["default:" + item.effect] += 1
            elif isinstance(item, Import):
                seen["import_alias"] += item.alias != item.module.rsplit(".", 1)[-1]
            elif isinstance(item, lang_ast.TestBlock):
                for exp in item.expectations:
                    seen["expect:" + exp.kind] += 1
            for c in conditions:
                seen[type(c).__name__] += 1
                atoms: list[PAtom] = []
                exprs: list[PExpr] = []
                if isinstance(c, Positive | Negative):
                    atoms.append(c.atom)
                    exprs += list(c.atom.args)
                elif isinstance(c, Compare):
                    seen["op:" + c.op] += 1
                    exprs += [c.left, c.right]
                elif isinstance(c, Member):
                    seen["not_in" if c.negated else "in"] += 1
                    exprs += [c.expr, *c.items]
                for a in atoms:
                    if a.name in BUILTINS:
                        seen["builtin:" + a.name] += 1
                    elif not a.args and "." in a.name:
                        seen["boolean_attribute"] += 1
                    elif "." in a.name:
                        seen["qualified_predicate"] += 1
                for e in (x for top in exprs for x in _exprs(top)):
                    if isinstance(e, PBin):
                        seen["arith:" + e.op] += 1
                    if isinstance(e, PAttr) and e.path.startswith("tool.input."):
                        seen["tool_input"] += 1
    required = {
        "Import", "Default", "Fact", "HelperRule", "Outcome", "Disable", "Override",
        "TestBlock", "Invariant", "unless", "multiple_when", "in", "not_in", "Negative",
        "template_var", "template_attr", "tags", "risk", "approver", "helper_param",
        "boolean_attribute", "qualified_predicate", "tool_input", "import_alias",
        "arith:+", "arith:*", "expect:decision", "expect:fired", "expect:not_fired",
        "bound:exactly", "bound:at_least", "default:allow",
    }  # fmt: skip
    required |= {"effect:" + e for e in EFFECTS}
    required |= {"op:" + op for op in ("=", "!=", "<", ">", ">=")}
    required |= {"builtin:" + b for b in BUILTINS}
    missing = required - {k for k, v in seen.items() if v}
    assert not missing, f"the corpus does not use: {sorted(missing)}"
    assert {type(i) for m in _modules() for i in m.items} >= {Fact, Disable, Override}
