"""Joins of a path against a relation of glob patterns (``pat(G), glob(P, G)``) run through the
relation's GlobIndex; they must derive exactly what the naive evaluator derives, with the same
proofs whether the patterns are program facts, input facts or derived."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from policyc import parse_program
from policyc.engine.ir import to_python_value
from policyc.engine.naive import naive_model
from tests.hyp import scaled

PROGRAM = """
pat("**/.env").
pat("**/.env.*").
pat("*.pem").
pat("src/**").
pat("{a,b}/?").
hit(P, G) :- path(P), pat(G), @glob(P, G).
derived(G) :- pat(G).
derived(G) :- extra(G).
hit2(P, G) :- path(P), derived(G), @glob(P, G).
miss(P) :- path(P), not hit(P, _).
"""

PATHS = st.lists(
    st.lists(
        st.sampled_from(["a", "b", "src", ".env", ".env.x", "k.pem", "/", "x"]), max_size=5
    ).map("".join),
    max_size=6,
)
EXTRA = st.lists(st.sampled_from(["**/k.pem", "a*", "[ab]", "**", "x/**", "b"]), max_size=4)


@settings(max_examples=scaled(150))
@given(PATHS, EXTRA)
def test_glob_joins_match_the_oracle(paths: list[str], extra: list[str]) -> None:
    program = parse_program(PROGRAM)
    facts = {
        "path": [(p,) for p in dict.fromkeys(paths)],
        "extra": [(g,) for g in dict.fromkeys(extra)],
    }
    want = naive_model(program.analysed, facts)
    for proofs in (False, True):
        model = program.evaluate(facts, proofs=proofs)
        for pred in ("hit", "hit2", "miss"):
            got = set(model.rows(pred))
            expected = {tuple(map(to_python_value, t)) for t in want.get(pred, ())}
            assert got == expected, (pred, proofs)
    again = program.evaluate(facts, proofs=True)
    for row in sorted(again.rows("hit2")):
        assert again.explain("hit2", row).to_dict() == model.explain("hit2", row).to_dict()


def test_a_known_case_uses_the_index_and_finds_the_hits() -> None:
    from policyc.engine.codegen import compile_plan

    program = parse_program(PROGRAM)
    plan = next(p for p in program.analysed.plans if p.rule.head.predicate == "hit")
    assert ".glob_matches(" in compile_plan(plan, plan.full, False)[1]
    model = program.evaluate({"path": [("a/.env",), ("k.pem",), ("a/b",)], "extra": [("a/*",)]})
    assert sorted(model.rows("hit")) == [
        ("a/.env", "**/.env"),
        ("a/b", "{a,b}/?"),
        ("k.pem", "*.pem"),
    ]
    assert sorted(model.rows("hit2")) == [
        ("a/.env", "**/.env"),
        ("a/.env", "a/*"),  # `*` matches a leading dot too
        ("a/b", "a/*"),
        ("a/b", "{a,b}/?"),
        ("k.pem", "*.pem"),
    ]
