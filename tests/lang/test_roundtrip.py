"""Compiled policies as Datalog text, and the proofs of their decisions.

``policy_set.program.to_text()`` must parse back (``parse_program``) to a program with the same
model on every sample action; proofs of fired outcomes must cite the policy file, line and rule id.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest

from policyc.action.model import Action, parse_action
from policyc.decision.verdict import evaluate
from policyc.engine import parse_program
from policyc.engine.program import Program
from policyc.lang.checker import check_texts
from policyc.lang.policy_set import PolicySet
from policyc.normalize import action_facts
from tests.lang.corpus import CORPUS, CORPUS_IDS, check_case, model_of, sample_actions


@cache
def _policy_set(path: Path) -> PolicySet:
    result = check_case(path)
    assert result.policy_set is not None, [str(d) for d in result.errors]
    return result.policy_set


@cache
def _actions() -> tuple[Action, ...]:
    return tuple(sample_actions())


def _assert_same_models(original: Program, parsed: Program) -> int:
    fired = 0
    for action in _actions():
        want = model_of(original, action)
        got = model_of(parsed, action)
        assert got == want, action.model_dump(exclude_defaults=True)
        fired += sum(len(rows) for p, rows in want.items() if p.startswith("outcome."))
    return fired


@pytest.mark.parametrize("path", CORPUS, ids=CORPUS_IDS)
def test_text_parses_back_to_the_same_model(path: Path) -> None:
    program = _policy_set(path).program
    text = program.to_text()
    parsed = parse_program(text, "roundtrip.dl")
    assert len(parsed.rules) == len(program.rules)
    assert [r.id for r in parsed.rules if r.body] == [r.id for r in program.rules if r.body]
    assert parsed.to_text() == text, "printing the parsed program changes it"
    assert _assert_same_models(program, parsed) > 0
    # proofs from the parsed text still cite the policy
    for action in _actions():
        model = parsed.evaluate(action_facts(action))
        for pred in model.derived_with_prefix("outcome."):
            for row in model.rows(pred):
                proof = model.explain(pred, row)
                assert proof.source is not None and proof.source.file.endswith(".policy")
                assert proof.rule_id is not None and proof.rule_id.startswith(
                    pred[len("outcome.") :]
                )


def test_every_corpus_outcome_fires_on_some_sample() -> None:
    """The sample actions reach every outcome rule of the corpus (so the comparisons above
    compare something)."""
    never = []
    for path in CORPUS:
        ps = _policy_set(path)
        fired: set[str] = set()
        for action in _actions():
            fired |= evaluate(ps, action, proofs=False).ids()
        never += [f"{path.stem}:{rid}" for rid in ps.outcomes if rid not in fired]
    assert not never


# ---------------------------------------------------------------------------------------------
# proofs


@pytest.mark.parametrize("path", CORPUS, ids=CORPUS_IDS)
def test_proofs_cite_the_policy(path: Path) -> None:
    ps = _policy_set(path)
    checked = 0
    for action in _actions():
        verdict = evaluate(ps, action)
        for f in verdict.fired:
            proof = f.proof
            assert proof is not None
            assert proof.kind == "rule"
            assert proof.predicate == f.rule.predicate == "outcome." + f.rule.id
            assert proof.rule_id is not None
            assert proof.rule_id == f.rule.id or proof.rule_id.startswith(f.rule.id + "#")
            assert proof.source is not None and f.rule.source is not None
            assert proof.source.file.endswith(".policy")
            assert Path(proof.source.file).name == Path(f.rule.source.file).name
            assert proof.source.line == f.rule.source.line  # the rule's own line
            for node in proof.walk():
                if node.kind == "rule":
                    assert node.rule_id, node.label()
                    assert node.source is not None and node.source.file.endswith(".policy")
                elif node.kind == "fact" and node.origin == "program":
                    assert node.source is not None and node.source.file.endswith(".policy")
            text = proof.to_text()
            assert f.rule.id in text and ".policy:" in text
            checked += 1
    assert checked > 0


def test_proof_of_a_helper_cites_the_helper_line() -> None:
    ps = _policy_set(next(p for p in CORPUS if p.stem == "secrets"))
    verdict = evaluate(
        ps,
        parse_action({"action_type": "file.read", "resource": {"path": "/r/.env"}}, trusted=True),
    )
    (fired,) = verdict.fired
    assert fired.proof is not None
    helper = next(
        n
        for n in fired.proof.walk()
        if n.kind == "rule" and n.predicate == "corp.secrets.secret_file"
    )
    assert helper.rule_id == "corp.secrets.secret_file#1"
    assert helper.source is not None
    text = (Path(helper.source.file)).read_text("utf-8").splitlines()[helper.source.line - 1]
    assert text.startswith("secret_file(P) :-")
    fact = next(n for n in fired.proof.walk() if n.kind == "fact" and n.origin == "program")
    assert fact.predicate == "corp.secrets.secret_glob" and fact.args == ("**/.env",)
    assert fact.source is not None
    line = Path(fact.source.file).read_text("utf-8").splitlines()[fact.source.line - 1]
    assert line == 'secret_glob("**/.env").'


# ---------------------------------------------------------------------------------------------
# round-trip bugs with minimal reproducers


def _compile(text: str) -> PolicySet:
    result = check_texts({"m.policy": text})
    assert result.policy_set is not None, [str(d) for d in result.errors]
    return result.policy_set


def _same_on(ps: PolicySet, parsed: Program, actions: list[dict[str, Any]]) -> None:
    for data in actions:
        action = parse_action(data, trusted=True)
        assert model_of(parsed, action) == model_of(ps.program, action)


def test_unless_roundtrip() -> None:
    """Regression: exception predicates used to be named 'unless.<id>.1.1', which no Datalog
    parser accepts, so no policy with 'unless' compiled to text that parses back."""
    ps = _compile(
        'module m\ndefault allow\ndeny m.d\n  when reads_file(P)\n  unless approval.granted\n  reason "x"\n'
    )
    parsed = parse_program(ps.program.to_text())
    read = {"action_type": "file.read", "resource": {"path": "/x"}}
    _same_on(ps, parsed, [read, {**read, "approval": {"granted": True}}])


def test_long_in_list_roundtrip() -> None:
    """Regression: a list of over 32 constants becomes a table (it used to be named 'set.1')."""
    items = ", ".join(f'"cmd{i}"' for i in range(33))
    ps = _compile(f'module m\ndefault allow\ndeny m.d\n  when command in [{items}]\n  reason "x"\n')
    parsed = parse_program(ps.program.to_text())
    _same_on(
        ps,
        parsed,
        [{"action_type": "shell.exec", "command": c} for c in ("cmd0", "cmd32", "cmd33")],
    )

    def decide(c: str) -> str:
        return evaluate(ps, parse_action({"action_type": "shell.exec", "command": c})).effect

    assert (decide("cmd0"), decide("cmd32"), decide("cmd33")) == ("deny", "deny", "allow")


def test_in_list_of_32_roundtrips() -> None:
    """Up to 32 alternatives, ``in`` expands into rules, and the text parses back."""
    items = ", ".join(f'"cmd{i}"' for i in range(32))
    ps = _compile(f'module m\ndefault allow\ndeny m.d\n  when command in [{items}]\n  reason "x"\n')
    parsed = parse_program(ps.program.to_text())
    for cmd in ("cmd0", "cmd31", "cmd32"):
        action = parse_action({"action_type": "shell.exec", "command": cmd}, trusted=True)
        assert model_of(parsed, action) == model_of(ps.program, action)


def test_large_float_roundtrip() -> None:
    # 1e999 is out of range (a syntax error); the largest finite floats round-trip exactly
    ps = _compile(
        'module m\ndefault allow\nalert m.a\n  when session.actions < 1e308\n  reason "x"\n'
    )
    parsed = parse_program(ps.program.to_text())
    action = parse_action({"action_type": "web.search", "session": {"actions": 5}}, trusted=True)
    assert model_of(ps.program, action).get("outcome.m.a") == {()}
    assert model_of(parsed, action) == model_of(ps.program, action)


def test_demand_fact_roundtrip() -> None:
    ps = _compile(
        'module m\ndefault allow\nin_repo(P) :- starts_with(P, "/repo/").\n'
        'alert m.a\n  when in_repo("/repo/x")\n  reason "x"\n'
    )
    assert evaluate(ps, parse_action({"action_type": "web.search"}, trusted=True)).effect == "alert"
    parsed = parse_program(ps.program.to_text())
    _same_on(ps, parsed, [{"action_type": "web.search"}])
