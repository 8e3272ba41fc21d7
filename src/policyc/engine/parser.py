"""Datalog text → IR rules, with positioned syntax errors and recovery at statement boundaries."""

from __future__ import annotations

import json
import math
import re
from functools import cache
from importlib import resources
from typing import Any

from lark import Lark, Token, Tree, UnexpectedInput

from policyc.engine.errors import (
    DatalogError,
    DatalogErrors,
    DatalogSyntaxError,
    DuplicateRuleId,
    Position,
    UnknownAnnotation,
)
from policyc.engine.ir import (
    FALSE,
    TRUE,
    Atom,
    BinOp,
    BuiltinCall,
    Comparison,
    Const,
    Expr,
    Literal,
    Neg,
    Negation,
    Rule,
    Term,
    Var,
)
from policyc.engine.syntax import blank, describe_syntax_error, error_offset

ANNOTATIONS = ("id", "source")
MAX_EXPRESSION_DEPTH = 64
MAX_INTEGER_DIGITS = 4000  # below Python's own limit on converting digit strings

# Terminal names in plain words, for "expected ..." in syntax errors.
_WORDS = {
    "LPAR": "'('",
    "RPAR": "')'",
    "COMMA": "','",
    "DOT": "'.'",
    "__ANON_0": "':-'",
    "IF": "':-'",
    "NOT": "'not'",
    "AT": "'@'",
    "MINUS": "'-'",
    "TRUE": "'true'",
    "FALSE": "'false'",
    "EQUAL": "'='",
    "RSQB": "']'",
    "$END": "the end of the text",
}


@cache
def _parser() -> Lark:
    grammar = resources.files("policyc.engine").joinpath("grammar/datalog.lark").read_text("utf-8")
    return Lark(grammar, parser="lalr", propagate_positions=True, maybe_placeholders=False)


def parse_rules(text: str, source_name: str = "<program>") -> list[Rule]:
    """Parse a whole program; raises :class:`DatalogErrors` holding every error found."""
    rules, errors = parse_rules_collecting(text, source_name)
    if errors:
        raise DatalogErrors(errors)
    return rules


def parse_rules_collecting(
    text: str, source_name: str = "<program>"
) -> tuple[list[Rule], list[DatalogError]]:
    """Parse a program; raise on syntax errors, but return the rules together with the other
    errors found while building them (annotations, ids), so analysis can report its own too."""
    errors: list[DatalogError] = []
    current = text
    tree: Tree[Token] | None = None
    for _ in range(1000):
        try:
            tree = _parser().parse(current)
            break
        except UnexpectedInput as e:
            errors.append(_syntax_error(e, current, source_name))
            start, end = _statement_bounds(current, error_offset(e, current))
            current = blank(current, start, end)
    if errors or tree is None:
        raise DatalogErrors(errors or [DatalogSyntaxError("too many syntax errors", None)])
    builder = _Builder(source_name)
    rules = [builder.statement(st) for st in tree.children if isinstance(st, Tree)]
    rules = _assign_ids(rules, builder.errors)
    return rules, builder.errors


def parse_atom(text: str, source_name: str = "<query>") -> Atom:
    """Parse one atom such as ``path("a", X)`` (used for ``--explain`` and queries)."""
    text = text.strip()
    if text.endswith("."):
        text = text[:-1]
    rules = parse_rules(text + ".", source_name)
    if len(rules) != 1 or rules[0].body:
        raise DatalogErrors([DatalogSyntaxError("expected exactly one atom", None)])
    return rules[0].head


# ---------------------------------------------------------------------------------------------
# syntax errors and recovery


def _syntax_error(e: UnexpectedInput, text: str, source_name: str) -> DatalogSyntaxError:
    message, position = describe_syntax_error(e, text, source_name, _parser(), _WORDS)
    return DatalogSyntaxError(message, position)


_SCAN = re.compile(
    r'"(?:[^"\\\n]|\\.)*"?|(?:%|//)[^\n]*|/\*(?:.|\n)*?(?:\*/|$)|[0-9]+\.[0-9]+'
    r"|[a-z][A-Za-z0-9_]*(?:\.[a-z][A-Za-z0-9_]*)+|\.|[^\".%/0-9a-z]+|.",
    re.S,
)


def _statement_dots(text: str) -> list[int]:
    """Offsets just past each statement-ending '.', skipping strings, comments and decimals."""
    ends = []
    for m in _SCAN.finditer(text):
        if m.group() == ".":
            ends.append(m.end())
    return ends


def _statement_bounds(text: str, offset: int) -> tuple[int, int]:
    dots = _statement_dots(text)
    start = 0
    end = len(text)
    for d in dots:
        if d <= offset:
            start = d
        else:
            end = d
            break
    if end <= start:
        end = len(text)
    return start, end


# ---------------------------------------------------------------------------------------------
# tree → IR


class _Builder:
    def __init__(self, source_name: str) -> None:
        self.source_name = source_name
        self.errors: list[DatalogError] = []
        self._anon = 0
        self._too_deep = False

    def integer(self, text: str, pos: Position | None) -> int:
        if len(text) > MAX_INTEGER_DIGITS:
            self.errors.append(
                DatalogSyntaxError(f"integer literal longer than {MAX_INTEGER_DIGITS} digits", pos)
            )
            return 0
        return int(text)

    def finite(self, text: str, pos: Position | None) -> float:
        value = float(text)
        if not math.isfinite(value):
            self.errors.append(DatalogSyntaxError(f"number {text} is out of range", pos))
            return 0.0
        return value

    def pos(self, node: Any) -> Position | None:
        meta = getattr(node, "meta", None)
        if meta is not None and not getattr(meta, "empty", True):
            return Position(
                self.source_name, meta.line, meta.column, meta.end_line, meta.end_column
            )
        if isinstance(node, Token) and node.line is not None:
            return Position(
                self.source_name, node.line, node.column or 1, node.end_line, node.end_column
            )
        return None

    def statement(self, st: Tree[Token]) -> Rule:
        self._anon = 0
        children = list(st.children)
        annotations: list[tuple[str, str, Position | None]] = []
        first = children[0] if children else None
        if isinstance(first, Tree) and first.data == "annotations":
            children.pop(0)
            for ann in first.children:
                assert isinstance(ann, Tree)
                key_tok, val_tok = ann.children
                annotations.append((str(key_tok), _string(str(val_tok)), self.pos(ann)))
        head = self.atom(children[0])
        body: tuple[Literal, ...] = ()  # a fact or a head-only rule
        if st.data == "rule":
            body_tree = children[1]
            assert isinstance(body_tree, Tree)
            body = tuple(self.literal(lit) for lit in body_tree.children)
        position = self.pos(st)
        rule_id = ""
        explicit = False
        source = position
        kept: list[tuple[str, str]] = []
        given: set[str] = set()
        for key, value, apos in annotations:
            if key in given and key in ANNOTATIONS:
                self.errors.append(DatalogSyntaxError(f"annotation '{key}' is given twice", apos))
                continue
            given.add(key)
            if key == "id":
                if not value.strip():
                    self.errors.append(DatalogSyntaxError("a rule id must not be empty", apos))
                rule_id, explicit = value, True
            elif key == "source":
                parsed = _parse_source(value)
                if parsed is None:
                    self.errors.append(
                        DatalogSyntaxError(
                            f"source annotation {value!r} is not of the form FILE:LINE:COLUMN", apos
                        )
                    )
                else:
                    source = parsed
            else:
                self.errors.append(
                    UnknownAnnotation(
                        f"unknown annotation {key!r}; known: {', '.join(ANNOTATIONS)}", apos
                    )
                )
                continue
            kept.append((key, value))
        return Rule(head, body, rule_id, source, explicit, position, tuple(kept))

    def atom(self, node: Any) -> Atom:
        assert isinstance(node, Tree)
        name = node.children[0]
        args = tuple(self.term(c) for c in node.children[1:])
        return Atom(str(name), args, self.pos(node))

    def literal(self, node: Any) -> Literal:
        assert isinstance(node, Tree)
        if node.data == "atom":
            return self.atom(node)
        if node.data == "negation":
            return Negation(self.atom(node.children[0]), self.pos(node))
        if node.data in ("builtin", "negated_builtin"):
            call = node.children[0] if node.data == "negated_builtin" else node
            assert isinstance(call, Tree)
            name = call.children[0]
            args = tuple(self.term(c) for c in call.children[1:])
            return BuiltinCall(str(name), args, self.pos(node), node.data == "negated_builtin")
        if node.data == "comparison":
            left, op, right = node.children
            return Comparison(str(op), self.expr(left), self.expr(right), self.pos(node))
        raise AssertionError(node.data)

    def term(self, node: Any) -> Term:
        e = self.expr(node)
        assert isinstance(e, Var | Const)
        return e

    def expr(self, node: Any, depth: int = 0) -> Expr:
        assert isinstance(node, Tree)
        kind = node.data
        pos = self.pos(node)
        if depth > MAX_EXPRESSION_DEPTH:
            if not self._too_deep:
                self._too_deep = True
                self.errors.append(
                    DatalogSyntaxError(
                        f"expression nested too deeply (more than {MAX_EXPRESSION_DEPTH} "
                        "operators or parentheses inside one another); split it with "
                        "intermediate variables",
                        pos,
                    )
                )
            return Const(0, pos)
        if kind == "var":
            name = str(node.children[0])
            if name == "_":
                self._anon += 1
                return Var(f"_?{self._anon}", pos, anonymous=True)
            return Var(name, pos)
        if kind == "ident":
            return Const(str(node.children[0]), pos)
        if kind == "string":
            return Const(_string(str(node.children[0])), pos)
        if kind == "int":
            return Const(self.integer(str(node.children[0]), pos), pos)
        if kind == "float":
            return Const(self.finite(str(node.children[0]), pos), pos)
        if kind == "neg_int":
            return Const(-self.integer(str(node.children[0]), pos), pos)
        if kind == "neg_float":
            return Const(-self.finite(str(node.children[0]), pos), pos)
        if kind == "true":
            return Const(TRUE, pos)
        if kind == "false":
            return Const(FALSE, pos)
        if kind == "neg":
            inner = self.expr(node.children[0], depth + 1)
            if isinstance(inner, Const) and type(inner.value) in (int, float):
                return Const(-inner.value, pos)  # type: ignore[operator]
            return Neg(inner, pos)
        if kind == "binop":
            left, op, right = node.children
            return BinOp(str(op), self.expr(left, depth + 1), self.expr(right, depth + 1), pos)
        raise AssertionError(kind)


def _string(token: str) -> str:
    value = json.loads(token, strict=False)  # raw tabs and other control characters are kept
    assert isinstance(value, str)
    return value


_SOURCE = re.compile(r"^(.*):([0-9]+):([0-9]+)$", re.S)


def _parse_source(value: str) -> Position | None:
    m = _SOURCE.match(value)
    if not m or not m.group(1):
        return None
    return Position(m.group(1), int(m.group(2)), int(m.group(3)))


def _assign_ids(rules: list[Rule], errors: list[DatalogError]) -> list[Rule]:
    """Give every rule without an ``id`` annotation the id ``pred#n``; report duplicates."""
    counters: dict[str, int] = {}
    seen: dict[str, Rule] = {}
    out = []
    for r in rules:
        if r.is_fact:
            if r.explicit_id:
                errors.append(
                    DatalogSyntaxError(
                        "a fact takes no 'id' annotation (only rules have ids)", r.position
                    )
                )
            out.append(r)
            continue
        if not r.explicit_id:
            n = counters.get(r.head.predicate, 0) + 1
            counters[r.head.predicate] = n
            rid = f"{r.head.predicate}#{n}"
            while rid in seen:
                n += 1
                counters[r.head.predicate] = n
                rid = f"{r.head.predicate}#{n}"
            r = Rule(r.head, r.body, rid, r.source, False, r.position, r.annotations)
        if r.id in seen:
            first = seen[r.id]
            errors.append(
                DuplicateRuleId(
                    f"rule id {r.id!r} is already used by the rule at {first.position}", r.position
                )
            )
        else:
            seen[r.id] = r
        out.append(r)
    return out
