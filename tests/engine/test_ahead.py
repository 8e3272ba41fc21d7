"""Facts computed ahead: the predicates derived from the program's own facts alone (``static``)
are evaluated once per program and shared. An evaluation that relies on them must give exactly
what a complete evaluation gives — the same facts, witnesses and order of facts (hence the same
proofs) — and one given facts of a predicate they depend on must evaluate everything itself."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from policyc import parse_program
from policyc.engine.evaluate import Relation, _run, run
from policyc.engine.ir import to_python_value
from policyc.engine.naive import naive_model
from policyc.engine.program import Program
from tests.engine.strategies import Case, cases
from tests.hyp import scaled

# ``reach`` (recursive, facts of several heights), ``gap`` (negation) and ``tail`` (a built-in)
# depend on the program's facts alone; ``seen``, ``near`` and ``flag`` read them with inputs, in
# their own stratum and above.
PROGRAM = """
link("a", "b").
link("b", "c").
link("c", "d").
link("x", "y").
reach(X, Y) :- link(X, Y).
reach(X, Y) :- reach(X, Z), link(Z, Y).
node(X) :- link(X, _).
node(Y) :- link(_, Y).
gap(X, Y) :- node(X), node(Y), X != Y, not reach(X, Y).
tail(X, S) :- node(X), @concat("n-", X, S).
seen(X, Y) :- at(X), reach(X, Y).
seen(X, Y) :- seen(X, Z), reach(Z, Y).
near(X) :- at(X), gap(X, _), not seen(X, "d").
flag(S) :- seen(_, X), tail(X, S).
"""


def _rows(relations: dict[str, Relation]) -> dict[str, list[tuple[Any, Any]]]:
    return {p: list(rel.rows.items()) for p, rel in relations.items() if rel.rows}


def _same_as_complete(program: Program, facts: dict[str, list[tuple[Any, ...]]]) -> None:
    compiled = program._compiled
    inputs = program._prepare(facts)
    for record in (True, False):
        got = run(compiled, inputs, record)
        want = _run(compiled, inputs, record, compiled.base, compiled.full)
        if record:  # the same witnesses, in the same order
            assert _rows(got) == _rows(want)
        else:
            assert {p: set(r) for p, r in _rows(got).items()} == {
                p: set(r) for p, r in _rows(want).items()
            }


def test_the_static_predicates_of_a_known_program() -> None:
    program = parse_program(PROGRAM)
    compiled = program._compiled
    assert compiled.static == {"reach", "node", "gap", "tail"}
    assert compiled.static_support == {"reach", "node", "gap", "tail", "link"}
    facts = {"at": [("a",), ("x",), ("q",)]}
    _same_as_complete(program, facts)
    model = program.evaluate(facts, proofs=True)
    want = naive_model(program.analysed, facts)
    for pred in ("seen", "near", "flag", "reach", "gap"):
        assert set(model.rows(pred)) == {tuple(map(to_python_value, t)) for t in want[pred]}
    # proofs built on the shared facts are those of a complete evaluation, evaluation after
    # evaluation (the shared relations never change)
    again = program.evaluate(facts, proofs=False)
    for pred in ("seen", "flag", "near", "reach"):
        for row in model.rows(pred):
            assert model.explain(pred, row).to_dict() == again.explain(pred, row).to_dict()
    assert model.explain("seen", ("a", "d")).height == 3


def test_facts_given_for_what_they_depend_on_are_evaluated_in_full() -> None:
    program = parse_program(PROGRAM)
    given: list[dict[str, list[tuple[Any, ...]]]] = [
        {"at": [("c",)], "link": [("d", "e")]},  # a program fact's predicate
        {"at": [("c",)], "reach": [("e", "a")]},  # a static predicate itself
    ]
    for facts in given:
        assert not program._compiled.static_support.isdisjoint(facts)
        _same_as_complete(program, facts)
        model = program.evaluate(facts, proofs=True)
        want = naive_model(program.analysed, facts)
        assert set(model.rows("seen")) == {tuple(map(to_python_value, t)) for t in want["seen"]}
    model = program.evaluate({"at": [("c",)], "link": [("d", "e")]})
    assert ("c", "e") in model.rows("seen")


def _lit(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return f'"{v}"'
    return repr(v)


@settings(max_examples=scaled(300))
@given(cases(arithmetic=True, builtins=True, wild_values=True), st.data())
def test_random_programs_with_facts_in_their_text(case: Case, data: st.DataObject) -> None:
    # some input predicates become facts of the program: rules over them only are static
    moved = {p for p in sorted(case.facts) if data.draw(st.booleans())}
    text = case.text + "".join(
        f"{p}({', '.join(map(_lit, row))}).\n" if row else f"{p}.\n"
        for p in sorted(moved)
        for row in case.facts[p]
    )
    program = parse_program(text)
    facts = {p: rows for p, rows in case.facts.items() if p not in moved}
    _same_as_complete(program, facts)
