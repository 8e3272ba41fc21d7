"""Fuzzing the Datalog parser with Hypothesis.

Whatever the text, ``parse_program`` either returns a program or raises ``DatalogErrors`` (never
another exception); every error it reports has a code, a message and a position inside the text,
and the errors come in source order. A program that parses prints (``to_text``) to text that parses
back to the same rules, and (for generated programs) to the same model.

Inputs that hit a bug already reported elsewhere in this file (as a strict xfail) are rejected, so
that these properties keep checking everything else.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from policyc import DatalogError, DatalogErrors, Program, parse_program
from tests.hyp import scaled

CASES_DIR = Path(__file__).parent / "cases"
SOURCE = "fuzz.dl"
PARSE_CODES = {
    "syntax_error",
    "arity_mismatch",
    "unsafe_variable",
    "cyclic_negation",
    "unknown_builtin",
    "builtin_arity",
    "invalid_pattern",
    "duplicate_rule_id",
    "unknown_annotation",
}


def fuzz(n: int) -> settings:
    """``n`` examples in the ci profile (more in the deep one); rejected known bugs are no health issue."""
    return settings(
        max_examples=scaled(n),
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )


def _valid_programs() -> list[str]:
    texts = []
    for dl in sorted(CASES_DIR.glob("*.dl")):
        if dl.name.startswith("neg_"):
            continue
        with open(dl, encoding="utf-8", newline="") as fh:
            texts.append(fh.read())
    return texts


VALID = _valid_programs()

# ---------------------------------------------------------------------------------------------
# the properties


def _within(text: str, line: int, column: int) -> bool:
    lines = text.split("\n")
    return 1 <= line <= len(lines) and 1 <= column <= len(lines[line - 1]) + 1


def parse_or_errors(text: str) -> Program | None:
    """Parse; check the error report if it fails. Returns the program, or None."""
    try:
        program = parse_program(text, SOURCE)
    except DatalogErrors as e:
        assert e.errors, "DatalogErrors without errors"
        keys = []
        for err in e.errors:
            assert isinstance(err, DatalogError)
            assert err.code in PARSE_CODES, err.code
            assert err.message and err.message.strip()
            p = err.position
            assert p is not None, f"{err.code} without a position: {err.message}"
            assert p.file == SOURCE
            assert _within(text, p.line, p.column), f"{err.code} at {p} is outside the text"
            assert str(err).startswith(f"{SOURCE}:{p.line}:{p.column}: error[{err.code}]")
            keys.append((p.line, p.column))
        assert keys == sorted(keys), "errors are not in source order"
        return None
    return program


def _rule_shape(program: Program) -> list[tuple[Any, ...]]:
    return [(r.head, r.body, r.id, r.annotations) for r in program.rules]


def check_round_trip(program: Program) -> Program:
    text = program.to_text()
    again = parse_program(text, SOURCE)  # must not raise: the text came from a valid program
    assert again.to_text() == text
    assert _rule_shape(again) == _rule_shape(program)
    assert again.predicates == program.predicates
    assert again.strata == program.strata
    return again


def check_text(text: str) -> None:
    program = parse_or_errors(text)
    if program is not None:
        check_round_trip(program)


# ---------------------------------------------------------------------------------------------
# strategies: arbitrary text, token soup, mutated corpus programs

CHARS = st.one_of(
    st.sampled_from(list("abpqXY_Z019 \n.,:-()\"\\%/*#[]=@<>!+{}'?&;$e")),
    st.characters(blacklist_categories=("Cs",)),
)
TOKENS = [
    "p",
    "q",
    "edge",
    "path",
    "X",
    "Y",
    "_",
    "_1",
    "(",
    ")",
    ",",
    ".",
    ":-",
    "not",
    "true",
    "false",
    "mod",
    "@",
    "@glob",
    "@regex",
    "@lower",
    "@concat",
    "@nope",
    '"a"',
    '"a.b"',
    '"\\n"',
    '"\\u00e9"',
    '"\\"',
    '"',
    "1",
    "-",
    "-1",
    "2.5",
    "1e3",
    "0",
    "=",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "+",
    "*",
    "/",
    "%",
    "% c\n",
    "// c\n",
    "/*",
    "*/",
    "/* c */",
    "#[",
    "]",
    "id",
    "source",
    '"f.policy:1:1"',
    '"x"',
    "\n",
    " ",
    "\t",
    "é",
    "P",
    "::",
    "..",
    "not @glob",
    "a.b",
    ".c",
    "action.path",
]
TOKEN_SOUP = st.lists(st.sampled_from(TOKENS), max_size=40).map(lambda ts: " ".join(ts))
GLUED_SOUP = st.lists(st.sampled_from(TOKENS), max_size=40).map("".join)


@st.composite
def mutated_program(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(VALID))
    for _ in range(draw(st.integers(1, 4))):
        n = len(text)
        i = draw(st.integers(0, n))
        j = draw(st.integers(i, min(n, i + 12)))
        op = draw(st.sampled_from(["delete", "insert", "replace", "duplicate", "char"]))
        if op == "delete":
            text = text[:i] + text[j:]
        elif op == "insert":
            text = text[:i] + draw(st.sampled_from(TOKENS)) + text[i:]
        elif op == "replace":
            text = text[:i] + draw(st.sampled_from(TOKENS)) + text[j:]
        elif op == "duplicate":
            text = text[:j] + text[i:j] + text[j:]
        else:
            text = text[:i] + draw(CHARS) + text[i + 1 :]
    return text


@fuzz(300)
@given(st.text(CHARS, max_size=120))
@example("")
@example(".")
@example("p(")
@example('p("')
@example("/*")
@example("#[")
@example("p :- q\n\n% c\n")
@example("p.\r\nq :- \r\n")
@example("\u00fc(1).")
@example("p(1) :- q(1)..")
def test_arbitrary_text(text: str) -> None:
    check_text(text)


@fuzz(300)
@given(st.one_of(TOKEN_SOUP, GLUED_SOUP))
@example("not ( 1 ) .")
@example("p :- not ( 1 ) .")
@example("p ( mod ) . q :- X = X mod mod .")
@example("p :- true , false .")
@example('#[ id = "x" , id = "y" ] p .')
def test_token_soup(text: str) -> None:
    check_text(text)


@fuzz(300)
@given(mutated_program())
def test_mutated_valid_programs(text: str) -> None:
    check_text(text)


@pytest.mark.parametrize("index", range(len(VALID)))
def test_corpus_programs_round_trip(index: int) -> None:
    program = parse_or_errors(VALID[index])
    if program is None:
        pytest.skip("a corpus program marked as failing")
    check_round_trip(program)


# ---------------------------------------------------------------------------------------------
# generated valid programs: must parse, and print to a program with the same model

PREDICATES = {"r0": 0, "p1": 1, "e2": 2, "t3": 3, "a.b2": 2}
VARIABLES = ["X", "Y", "Z", "W2", "_V"]
KEYWORDS = {"not", "true", "false", "mod"}


@st.composite
def constant(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["int", "float", "bool", "string", "ident"]))
    if kind == "int":
        return str(draw(st.integers(-(10**20), 10**20)))
    if kind == "float":
        return repr(draw(st.floats(allow_nan=False, allow_infinity=False, width=64)))
    if kind == "bool":
        return draw(st.sampled_from(["true", "false"]))
    if kind == "ident":
        name = draw(st.from_regex(r"[a-z][A-Za-z0-9_]{0,6}(\.[a-z][a-z0-9]{0,3})?", fullmatch=True))
        return name if name not in KEYWORDS else f"{name}_"
    value = draw(st.text(st.characters(blacklist_categories=("Cs",)), max_size=8))
    return json.dumps(value, ensure_ascii=draw(st.booleans()))


def _atom(pred: str, args: list[str], empty_parens: bool = False) -> str:
    if not args:
        return f"{pred}()" if empty_parens else pred
    return f"{pred}({', '.join(args)})"


@st.composite
def fact(draw: st.DrawFn) -> str:
    pred = draw(st.sampled_from(sorted(PREDICATES)))
    args = [draw(constant()) for _ in range(PREDICATES[pred])]
    return _atom(pred, args, draw(st.booleans())) + "."


@st.composite
def rule(draw: st.DrawFn, number: int) -> str:
    body: list[str] = []
    bound: list[str] = []
    for _ in range(draw(st.integers(1, 3))):
        pred = draw(st.sampled_from(sorted(PREDICATES)))
        args = []
        for _ in range(PREDICATES[pred]):
            choice = draw(st.sampled_from(["var", "var", "const", "anon"]))
            if choice == "var":
                v = draw(st.sampled_from(VARIABLES))
                args.append(v)
                bound.append(v)
            elif choice == "const":
                args.append(draw(constant()))
            else:
                args.append("_")
        body.append(_atom(pred, args))
    bound = sorted(set(bound))

    def term() -> str:
        if bound and draw(st.booleans()):
            return draw(st.sampled_from(bound))
        return draw(constant())

    for _ in range(draw(st.integers(0, 3))):
        extra = draw(st.sampled_from(["not", "cmp", "builtin", "cmp_expr", "not_builtin"]))
        if extra == "not":
            pred = draw(st.sampled_from(sorted(PREDICATES)))
            args = [draw(st.sampled_from([term(), "_"])) for _ in range(PREDICATES[pred])]
            body.append("not " + _atom(pred, args))
        elif extra == "cmp":
            op = draw(st.sampled_from(["=", "!=", "<", "<=", ">", ">="]))
            body.append(f"{term()} {op} {term()}")
        elif extra == "cmp_expr":
            op = draw(st.sampled_from(["+", "-", "*", "/", "mod"]))
            body.append(f"({term()} {op} {term()}) * -1 < {term()}")
        elif extra == "not_builtin":
            name = draw(st.sampled_from(["length", "lower", "concat"]))
            args = [term() for _ in range(3 if name == "concat" else 2)]
            body.append(f"not @{name}({', '.join(args)})")
        else:
            name, pattern = draw(
                st.sampled_from(
                    [
                        ("glob", '"**/*.py"'),
                        ("glob", '"{a,b}?[!x]"'),
                        ("regex", '"^a.*\\\\d$"'),
                        ("starts_with", '"a"'),
                        ("ends_with", '""'),
                        ("contains", '"\\u00e9"'),
                        ("path_within", '"/tmp"'),
                    ]
                )
            )
            body.append(f"@{name}({term()}, {pattern})")
    head_pred = draw(st.sampled_from(sorted(PREDICATES)))
    head_args = [term() for _ in range(PREDICATES[head_pred])]
    annotations = draw(
        st.sampled_from(
            [
                "",
                f'#[id = "rule {number}"]\n',
                f'#[source = "gen.policy:{number + 1}:3", id = "r{number}",]\n',
            ]
        )
    )
    sep = draw(st.sampled_from([", ", ",\n    ", " /* and */ , ", ",\t"]))
    return f"{annotations}{_atom(head_pred, head_args)} :- {sep.join(body)}."


@st.composite
def program_text(draw: st.DrawFn) -> str:
    statements = [draw(fact()) for _ in range(draw(st.integers(0, 6)))]
    statements += [draw(rule(i)) for i in range(draw(st.integers(0, 5)))]
    statements = draw(st.permutations(statements))
    out = []
    for s in statements:
        out.append(s)
        out.append(
            draw(st.sampled_from(["\n", " ", "\n% note. p(1).\n", " // x :- y.\n", "\n/* . */\n"]))
        )
    return "".join(out)


def _model(program: Program) -> dict[str, set[tuple[tuple[str, Any], ...]]]:
    model = program.evaluate()
    return {
        p: {tuple((type(v).__name__, v) for v in row) for row in model.rows(p)}
        for p in sorted(model.facts)
    }


@fuzz(150)
@given(program_text())
def test_generated_programs_parse_and_print_back(text: str) -> None:
    try:
        program = parse_program(text, SOURCE)
    except DatalogErrors as e:
        # the generator makes only safe, well-typed, well-formed programs; negation may be cyclic
        assert {err.code for err in e.errors} == {"cyclic_negation"}, str(e)
        return
    again = check_round_trip(program)
    model = _model(program)
    assert _model(again) == model
    # recording proofs does not change the model
    recorded = program.evaluate(proofs=True)
    assert {p: set(recorded.rows(p)) for p in recorded.facts} == {
        p: set(program.evaluate().rows(p)) for p in recorded.facts
    }


def test_generated_floats_survive_the_round_trip() -> None:
    values = [0.1, -0.0, 1e16, 1.5e-7, 5e-324, 1.7976931348623157e308, 123456.789]
    text = "".join(f"f({v!r}).\n" for v in values)
    program = parse_program(text)
    again = parse_program(program.to_text())
    assert sorted(again.evaluate().facts["f"]) == sorted((v,) for v in values)
    for (v,) in again.evaluate().facts["f"]:
        assert isinstance(v, float) and math.isfinite(v)


# ---------------------------------------------------------------------------------------------
# parser bugs found by fuzzing (strict xfails: they start passing when the bug is fixed)


def _parses_cleanly(text: str) -> None:
    """The text either parses or raises DatalogErrors with positioned errors."""
    try:
        parse_program(text, SOURCE)
    except DatalogErrors as e:
        for err in e.errors:
            assert err.position is not None and _within(
                text, err.position.line, err.position.column
            )


def test_raw_control_character_in_string() -> None:
    _parses_cleanly('p("a\tb").')


def test_integer_literal_longer_than_4300_digits() -> None:
    _parses_cleanly("p(" + "9" * 5000 + ").")


def test_overflowing_float_literal_is_a_syntax_error() -> None:
    # it used to become inf and print as the identifier `inf`, which parses back as a string
    with pytest.raises(DatalogErrors) as info:
        parse_program("p(1e999).\nq(-1e400).", SOURCE)
    assert [(e.code, e.position.line, e.position.column) for e in info.value.errors] == [
        ("syntax_error", 1, 3),
        ("syntax_error", 2, 3),
    ]


@pytest.mark.parametrize(
    "expression",
    ["X" + " + 1" * 3000, "- " * 3000 + "X", "X" + " * (1 + X)" * 500],
    ids=["long-sum", "many-minus", "nested-products"],
)
def test_deep_expressions_are_a_clean_error(expression: str) -> None:
    # no RecursionError, no "too many nested parentheses" from the generated code
    text = f"q(1). p(Y) :- q(X), Y = {expression}."
    with pytest.raises(DatalogErrors) as info:
        parse_program(text, SOURCE)
    [error] = info.value.errors
    assert error.code == "syntax_error" and "nested too deeply" in error.message
    assert error.position is not None and _within(text, error.position.line, error.position.column)


def test_many_parentheses_are_fine() -> None:
    model = parse_program("p(Y) :- Y = " + "(" * 500 + "1" + ")" * 500 + ".").evaluate()
    assert model.facts["p"] == {(1,)}
