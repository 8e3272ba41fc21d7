"""``policyc fmt``: the formatter corpus (``tests/lang/fmt``) and the formatter's promises.

``fmt/NAME.input.policy`` must format to exactly ``fmt/NAME.expected.policy``; formatting is
idempotent, keeps every comment, and never changes what the policy compiles to (the engine rules
with positions stripped are equal, and so are the models on sample actions, the tests and the
invariants).

Texts are parsed with ``fresh_parse`` (tests/lang/corpus.py): a plain second ``parse_module`` in
one process loses every comment (``test_comments_survive_a_second_parse``).
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policyc.lang.ast import Module
from policyc.lang.checker import check_texts
from policyc.lang.formatter import format_module
from policyc.lang.parser import parse_module
from policyc.lang.policy_set import PolicySet
from tests.hyp import scaled
from tests.lang.corpus import (
    CORPUS,
    CORPUS_IDS,
    FMT_DIR,
    fresh_parse,
    model_of,
    read,
    sample_actions,
    stripped_rules,
)

# Modules the formatter corpus imports (so that it compiles).
FMT_SUPPORT = {
    "<fmt.lib>": 'module fmt.lib\n\nshared("rm").\n',
    "<fmt.other>": 'module fmt.other\n\nflagged("a1").\n',
}

FMT_CASES = sorted(p.name.removesuffix(".input.policy") for p in FMT_DIR.glob("*.input.policy"))


def _params() -> list[Any]:
    return [pytest.param(name, id=name) for name in FMT_CASES]


def fmt(text: str, file: str = "<fmt>") -> str:
    module, diagnostics = fresh_parse(text, file)
    assert module is not None and not diagnostics, [str(d) for d in diagnostics]
    return format_module(module)


def _input(name: str) -> str:
    return read(FMT_DIR / f"{name}.input.policy")


def _expected(name: str) -> str:
    return read(FMT_DIR / f"{name}.expected.policy")


def _compile(text: str, file: str) -> PolicySet:
    result = check_texts({**FMT_SUPPORT, file: text})
    assert not result.errors, [str(d) for d in result.errors]
    assert result.policy_set is not None
    return result.policy_set


def test_corpus_is_big_enough() -> None:
    assert len(FMT_CASES) >= 6
    for name in FMT_CASES:
        assert (FMT_DIR / f"{name}.expected.policy").is_file(), name


@pytest.mark.parametrize("name", _params())
def test_exact_output(name: str) -> None:
    assert fmt(_input(name)) == _expected(name)


@pytest.mark.parametrize("name", _params())
def test_idempotent(name: str) -> None:
    once = fmt(_input(name))
    assert fmt(once) == once
    assert fmt(_expected(name)) == _expected(name)


@pytest.mark.parametrize("name", _params())
def test_comments_and_items_are_kept(name: str) -> None:
    module, _ = fresh_parse(_input(name))
    assert module is not None
    before = Counter(c.text.rstrip() for c in module.comments)
    after_module, diagnostics = fresh_parse(fmt(_input(name)))
    assert after_module is not None and not diagnostics, [str(d) for d in diagnostics]
    assert Counter(c.text.rstrip() for c in after_module.comments) == before
    assert _strip(after_module.items) == _strip(module.items)


def test_the_comment_corpus_has_comments_everywhere() -> None:
    module, _ = fresh_parse(_input("comments"))
    assert module is not None and len(module.comments) >= 15


@pytest.mark.parametrize("name", _params())
def test_meaning_is_unchanged(name: str) -> None:
    file = f"{name}.policy"
    before = _compile(_input(name), file)
    after = _compile(fmt(_input(name)), file)
    assert stripped_rules(after.program) == stripped_rules(before.program)
    for action in sample_actions():
        assert model_of(after.program, action) == model_of(before.program, action)
    assert _tests_of(after) == _tests_of(before)
    assert _invariants_of(after) == _invariants_of(before)
    assert _outcomes_of(after) == _outcomes_of(before)
    assert (after.default, after.disabled) == (before.default, before.disabled)


def _tests_of(ps: PolicySet) -> list[Any]:
    return [
        (t.name, t.module, t.action, [(e.kind, e.effect, e.ids) for e in t.expectations])
        for t in ps.tests
    ]


def _invariants_of(ps: PolicySet) -> list[Any]:
    return [(i.id, i.description, i.predicate, i.bound, i.effect) for i in ps.invariants]


def _outcomes_of(ps: PolicySet) -> dict[str, Any]:
    return {k: dataclasses.replace(v, source=None) for k, v in ps.outcomes.items()}


# ---------------------------------------------------------------------------------------------
# formatting the positive corpus: same policy set


@pytest.mark.parametrize("path", CORPUS, ids=CORPUS_IDS)
def test_formatting_a_corpus_file_keeps_the_policy_set(path: Path) -> None:
    """Regression: session.policy and workspace.policy used to crash the formatter ('expect not'
    invariants) and session.policy's test key "approver" came out unquoted, which did not parse."""
    texts = {str(p): read(p) for p in CORPUS}
    formatted = fmt(texts[str(path)], str(path))
    assert fmt(formatted, str(path)) == formatted
    before = check_texts(texts)
    after = check_texts({**texts, str(path): formatted})
    assert before.policy_set is not None and after.policy_set is not None, after.errors
    assert stripped_rules(after.policy_set.program) == stripped_rules(before.policy_set.program)
    assert _tests_of(after.policy_set) == _tests_of(before.policy_set)
    assert _invariants_of(after.policy_set) == _invariants_of(before.policy_set)


# ---------------------------------------------------------------------------------------------
# operators: parentheses exactly where the grammar needs them

_ATOMS = st.sampled_from(["session.actions", "session.alerts", "N", "1", "2", "3", "2.5"])


@st.composite
def _expression(draw: Any, depth: int = 0) -> str:
    if depth >= 3 or draw(st.booleans()):
        return str(draw(_ATOMS))
    if draw(st.integers(0, 4)) == 0:
        return f"-({draw(_expression(depth + 1))})"
    op = draw(st.sampled_from(["+", "-", "*", "/", "mod"]))
    return f"({draw(_expression(depth + 1))} {op} {draw(_expression(depth + 1))})"


def _strip(x: Any) -> Any:
    """An AST value with every position cleared (so that equality means same structure)."""
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        changes = {}
        for f in dataclasses.fields(x):
            v = getattr(x, f.name)
            changes[f.name] = None if f.name.endswith("span") else _strip(v)
        return dataclasses.replace(x, **changes)
    if isinstance(x, tuple):
        return tuple(_strip(v) for v in x)
    if isinstance(x, list):
        return [_strip(v) for v in x]
    if isinstance(x, dict):
        return {k: _strip(v) for k, v in x.items()}
    return x


def _items(text: str) -> Any:
    module, diagnostics = parse_module(text, "<ops>")
    assert module is not None and not diagnostics, [str(d) for d in diagnostics]
    return _strip(module.items)


@settings(max_examples=scaled(60))
@given(left=_expression(), right=_expression(), op=st.sampled_from(["<", ">=", "=", "!="]))
def test_arithmetic_prints_with_the_parentheses_it_needs(left: str, right: str, op: str) -> None:
    text = f'module m\nalert m.a\n  when session.actions = N, {left} {op} {right}\n  reason "x"\n'
    module, diagnostics = parse_module(text, "<ops>")  # no comments: the cached parser will do
    assert module is not None and not diagnostics
    out = format_module(module)
    assert _items(out) == _items(text)


# ---------------------------------------------------------------------------------------------
# formatter bugs with minimal reproducers


def test_comments_survive_a_second_parse() -> None:
    text = "module m  # keep me\n# and me\ndefault allow\n"
    parse_module("module warmup # c\n", "<warmup>")
    module, _ = parse_module(text, "<second>")
    assert module is not None
    assert [c.text for c in module.comments] == ["# keep me", "# and me"]


@pytest.mark.parametrize(
    "text",
    [
        'module m\nalert m.a\n  when session.actions < 1e999\n  reason "x"\n',
        'module m\ntest "t" {\n  action { action_type: "tool.call", tool: { name: "t", input: { x: -1e999 } } }\n  expect allow\n}\n',
    ],
    ids=["condition", "test_action"],
)
def test_overflowing_float_is_a_syntax_error(text: str) -> None:
    # a literal too large for a float never becomes inf (which would not format back)
    _module, diagnostics = parse_module(text, "<in>")
    assert [d.code for d in diagnostics] == ["syntax_error"]
    assert "out of range" in diagnostics[0].message


def test_formatter_output_lines_fit_where_they_can() -> None:
    for name in FMT_CASES:
        for line in _expected(name).splitlines():
            # only a single unbreakable piece (a string, one condition, one value) may be longer
            if len(line) > 100:
                if line.strip().startswith(("when ", "unless ")) and not line.endswith(","):
                    continue  # a clause of one condition, which cannot be broken
                assert not re.search(r",\s", line.strip().rstrip(",")), line


def test_formatting_is_independent_of_the_input_layout() -> None:
    """The spacing corpus and its canonical form format to the same text; so does a copy
    re-indented with tabs and CRLF line ends."""
    text = _input("spacing")
    messy = text.replace("\n", "\r\n").replace("  ", "\t")
    assert fmt(messy) == fmt(text) == _expected("spacing")


def test_module_without_items_keeps_its_comments() -> None:
    text = "# only\n// comments\n"
    module, diagnostics = fresh_parse(text)
    assert module is not None and not diagnostics
    assert isinstance(module, Module)
    assert format_module(module) == "# only\n// comments\n"
