"""A corpus of actions with the facts they must yield and the decision the standard library
must reach (tests/decision/corpus.jsonl: one case per line).

A case is ``{"name", "action", "facts"?, "absent"?, "decision", "policy_ids"?}``: every row of
``facts`` (predicate → rows) must be among the action's input facts, no row of ``absent`` may
be, and the decision (and, when given, the ids of the rules that decided) must match.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import policyc
from policyc.decision import PolicyEngine
from policyc.normalize import normalize_action

CORPUS = Path(__file__).parent / "corpus.jsonl"


def _cases() -> list[Any]:
    out = []
    for n, line in enumerate(CORPUS.read_text("utf-8").splitlines(), start=1):
        if line.strip() and not line.startswith("//"):
            case = json.loads(line)
            out.append(pytest.param(case, id=f"{n}:{case['name']}"))
    return out


@pytest.fixture(scope="module")
def engine() -> PolicyEngine:
    return policyc.load(cache=False, fingerprint_key=b"corpus")


def _rows(facts: dict[str, list[tuple[Any, ...]]], pred: str) -> set[tuple[Any, ...]]:
    return {tuple(r) for r in facts.get(pred, [])}


@pytest.mark.parametrize("case", _cases())
def test_case(engine: PolicyEngine, case: dict[str, Any]) -> None:
    action = policyc.parse_action(case["action"], trusted=True)
    facts = normalize_action(action).facts
    for pred, rows in case.get("facts", {}).items():
        missing = {tuple(r) for r in rows} - _rows(facts, pred)
        assert not missing, f"{pred}: missing {sorted(missing)}; got {sorted(_rows(facts, pred))}"
    for pred, rows in case.get("absent", {}).items():
        present = {tuple(r) for r in rows} & _rows(facts, pred)
        assert not present, f"{pred}: unexpected {sorted(present)}"
    decision = engine.decide(action)
    got = (decision.decision, decision.policy_ids)
    want = (case["decision"], case.get("policy_ids", decision.policy_ids))
    assert got == want, decision.reason


def test_corpus_is_large_and_mixed() -> None:
    cases = [c.values[0] for c in _cases()]
    assert len(cases) >= 60
    assert {c["decision"] for c in cases} >= {
        "allow",
        "alert",
        "redact",
        "require_approval",
        "deny",
    }
