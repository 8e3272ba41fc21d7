"""Policy text → typed AST, with positioned syntax errors and recovery at item boundaries."""

from __future__ import annotations

import json
import math
from contextvars import ContextVar
from functools import cache
from importlib import resources
from typing import Any

from lark import Lark, Token, Tree, UnexpectedInput

from policyc.engine.errors import Position
from policyc.engine.syntax import blank, describe_syntax_error, error_offset
from policyc.lang.ast import (
    Comment,
    Compare,
    Condition,
    Default,
    Disable,
    Expectation,
    Fact,
    HelperRule,
    Import,
    Invariant,
    Item,
    Member,
    Metadata,
    Module,
    Negative,
    Outcome,
    Override,
    PAtom,
    PAttr,
    PBin,
    PConst,
    PExpr,
    PNeg,
    Positive,
    PVar,
    TestBlock,
)
from policyc.lang.diagnostics import Diagnostic

MAX_EXPRESSION_DEPTH = 64
_OPERATORS = {"add": "+", "sub": "-", "mul": "*", "div": "/", "mod": "mod"}
_BOUNDS = {"exactly": "exactly", "at_least": "at_least", "not_effect": "not"}

_WORDS = {
    "LPAR": "'('",
    "RPAR": "')'",
    "LSQB": "'['",
    "RSQB": "']'",
    "LBRACE": "'{'",
    "RBRACE": "'}'",
    "COMMA": "','",
    "DOT": "'.'",
    "COLON": "':'",
    "MINUS": "'-'",
    "__ANON_0": "':-'",
}


@cache
def _parser() -> Lark:
    grammar = resources.files("policyc.lang").joinpath("grammar/policy.lark").read_text("utf-8")
    # The basic lexer keeps keywords reserved everywhere, so that a keyword where an expression
    # was expected is reported there, not two lines later.
    return Lark(
        grammar,
        parser="lalr",
        lexer="basic",
        propagate_positions=True,
        maybe_placeholders=False,
        lexer_callbacks={"COMMENT": _keep_comment},
    )


# The parser is built once; the comments of the parse under way go to this per-call list.
_COMMENTS: ContextVar[list[Comment] | None] = ContextVar("policyc_comments", default=None)


def _keep_comment(tok: Token) -> Token:
    sink = _COMMENTS.get()
    if sink is not None:
        sink.append(Comment(str(tok), tok.line or 0, tok.column or 0))
    return tok


def parse_module(text: str, file: str = "<policy>") -> tuple[Module | None, list[Diagnostic]]:
    """Parse one policy file. Returns the module (None if nothing could be parsed) and the
    syntax diagnostics; after an error, parsing resumes at the next item, so every broken item
    is reported in one run."""
    diagnostics: list[Diagnostic] = []
    comments: list[Comment] = []
    current = text
    tree: Tree[Token] | None = None
    text = text.removeprefix("\ufeff")  # a byte-order mark is not part of the policy
    current = text
    last_offset = -1
    for _ in range(500):
        comments.clear()
        try:
            tree = _parse(current, comments)
            break
        except UnexpectedInput as e:
            offset = error_offset(e, current)
            if offset == last_offset:
                # blanking the item before did not help: the item starting here is the broken
                # one (reported already), so blank it instead
                start, end = _item_bounds(current, offset + 1)
            else:
                message, position = describe_syntax_error(e, current, file, _parser(), _WORDS)
                diagnostics.append(Diagnostic("syntax_error", "error", message, position))
                start, end = _item_bounds(current, offset)
            last_offset = offset
            if start == end:
                break
            current = blank(current, start, end)
    if tree is None:
        return None, diagnostics
    builder = _Builder(file)
    module = builder.module(tree, comments, text)
    return module, diagnostics + builder.diagnostics


def _parse(text: str, comments: list[Comment]) -> Tree[Token]:
    token = _COMMENTS.set(comments)
    try:
        return _parser().parse(text)
    finally:
        _COMMENTS.reset(token)


def _item_bounds(text: str, offset: int) -> tuple[int, int]:
    """The item holding ``offset``: from the last line starting in column 1 at or before it, to
    the next such line (items are written flush left; their clauses are indented)."""
    starts = [0]
    pos = 0
    for line in text.split("\n"):
        if pos > 0 and line[:1] not in ("", " ", "\t", "}", "#", "/"):
            starts.append(pos)
        pos += len(line) + 1
    if offset in starts and offset > 0:
        # the error is the first token of an item: the item before it is the broken one
        return max(s for s in starts if s < offset), offset
    start = max(s for s in starts if s <= offset)
    later = [s for s in starts if s > offset]
    end = later[0] if later else len(text)
    if end <= start:
        end = len(text)
    return start, end


def parse_json_string(token: str) -> str:
    value = json.loads(token, strict=False)  # raw tabs and other control characters are kept
    assert isinstance(value, str)
    return value


class _Builder:
    def __init__(self, file: str) -> None:
        self.file = file
        self.diagnostics: list[Diagnostic] = []
        self.too_deep = False

    def finite(self, text: str, at: Position | None) -> float:
        value = float(text)
        if not math.isfinite(value):
            self.diagnostics.append(
                Diagnostic("syntax_error", "error", f"number {text} is out of range", at)
            )
            return 0.0
        return value

    def integer(self, text: str, at: Position | None) -> int:
        if len(text) > 4000:
            self.diagnostics.append(
                Diagnostic("syntax_error", "error", "integer literal longer than 4000 digits", at)
            )
            return 0
        return int(text)

    def span(self, node: Any) -> Position | None:
        meta = getattr(node, "meta", None)
        if meta is not None and not getattr(meta, "empty", True):
            return Position(self.file, meta.line, meta.column, meta.end_line, meta.end_column)
        if isinstance(node, Token) and node.line is not None:
            return Position(self.file, node.line, node.column or 1, node.end_line, node.end_column)
        return None

    def module(self, tree: Tree[Token], comments: list[Comment], text: str) -> Module:
        name = ""
        name_span = None
        items: list[Item] = []
        for child in tree.children:
            if not isinstance(child, Tree):
                continue
            if child.data == "module_decl":
                tok = child.children[0]
                name, name_span = str(tok), self.span(tok)
                continue
            item = self.item(child)
            if item is not None:
                items.append(item)
        return Module(name, self.file, tuple(items), tuple(comments), name_span, text)

    def item(self, node: Tree[Token]) -> Item | None:
        kind = node.data
        sp = self.span(node)
        c = node.children
        if kind == "import_decl":
            module = str(c[0])
            alias = str(c[1]) if len(c) > 1 else module.rsplit(".", 1)[-1]
            return Import(module, alias, sp)
        if kind == "default_decl":
            return Default(self.effect(c[0]), sp)
        if kind == "fact":
            return Fact(self.atom(c[0]), sp)
        if kind == "helper_rule":
            return HelperRule(self.atom(c[0]), self.conditions(c[1]), sp)
        if kind == "outcome_rule":
            return self.outcome(node)
        if kind == "disable_decl":
            reason = parse_json_string(str(c[1])) if len(c) > 1 else None
            return Disable(str(c[0]), reason, sp)
        if kind == "override_decl":
            return Override(str(c[0]), self.metadata(c[1:]), sp)
        if kind == "test_block":
            name = parse_json_string(str(c[0]))
            obj = c[1]
            action = self.value(obj)
            exps = tuple(self.expectation(e) for e in c[2:])
            return TestBlock(name, action, exps, sp, self.span(obj))
        if kind == "invariant_decl":
            inv_id = str(c[0])
            desc = parse_json_string(str(c[1]))
            when = self.conditions(c[2])
            bound = c[3]
            assert isinstance(bound, Tree)
            return Invariant(
                inv_id, desc, when, _BOUNDS[str(bound.data)], self.effect(bound.children[0]), sp
            )
        raise AssertionError(kind)

    def effect(self, node: Any) -> str:
        if isinstance(node, Tree):
            return str(node.children[0])
        return str(node)

    def outcome(self, node: Tree[Token]) -> Outcome:
        effect = self.effect(node.children[0])
        id_tok = node.children[1]
        when: list[tuple[Condition, ...]] = []
        unless: list[tuple[Condition, ...]] = []
        meta_nodes = []
        for clause in node.children[2:]:
            assert isinstance(clause, Tree)
            if clause.data == "when_clause":
                when.append(self.conditions(clause.children[0]))
            elif clause.data == "unless_clause":
                unless.append(self.conditions(clause.children[0]))
            else:
                meta_nodes.append(clause)
        return Outcome(
            effect,
            str(id_tok),
            tuple(when),
            tuple(unless),
            self.metadata(meta_nodes),
            self.span(node),
            self.span(id_tok),
        )

    def metadata(self, nodes: list[Any]) -> Metadata:
        reason = risk = approver = tags = None
        spans: dict[str, Position | None] = {}
        for clause in nodes:
            assert isinstance(clause, Tree)
            kind = clause.data
            if kind in spans or (kind == "reason_clause" and reason is not None):
                self.diagnostics.append(
                    Diagnostic(
                        "duplicate_clause",
                        "error",
                        f"'{kind.removesuffix('_clause')}' is given twice",
                        self.span(clause),
                    )
                )
            spans[kind] = self.span(clause)
            if kind == "reason_clause":
                reason = parse_json_string(str(clause.children[0]))
            elif kind == "risk_clause":
                risk = self.integer(str(clause.children[0]), self.span(clause))
            elif kind == "approver_clause":
                approver = parse_json_string(str(clause.children[0]))
            elif kind == "tags_clause":
                tags = tuple(parse_json_string(str(t)) for t in clause.children)
        return Metadata(
            reason,
            risk,
            approver,
            tags,
            spans.get("reason_clause"),
            spans.get("risk_clause"),
            spans.get("approver_clause"),
        )

    def expectation(self, node: Any) -> Expectation:
        assert isinstance(node, Tree)
        sp = self.span(node)
        if node.data == "expect_decision":
            effect = self.effect(node.children[0])
            return Expectation("decision", effect, tuple(str(t) for t in node.children[1:]), sp)
        kind = "fired" if node.data == "expect_fired" else "not_fired"
        return Expectation(kind, None, tuple(str(t) for t in node.children), sp)

    def conditions(self, node: Any) -> tuple[Condition, ...]:
        assert isinstance(node, Tree)
        return tuple(self.condition(c) for c in node.children)

    def condition(self, node: Any) -> Condition:
        assert isinstance(node, Tree)
        sp = self.span(node)
        kind = node.data
        if kind == "positive":
            return Positive(self.atom(node.children[0]), sp)
        if kind == "negative":
            return Negative(self.atom(node.children[0]), sp)
        if kind == "compare":
            left, op, right = node.children
            return Compare(str(op), self.expr(left), self.expr(right), sp)
        if kind in ("member", "not_member"):
            expr, lst = node.children
            assert isinstance(lst, Tree)
            items = tuple(self.expr(i) for i in lst.children)
            return Member(self.expr(expr), items, kind == "not_member", sp)
        raise AssertionError(kind)

    def atom(self, node: Any) -> PAtom:
        assert isinstance(node, Tree)
        name = node.children[0]
        args = tuple(self.expr(a) for a in node.children[1:])
        # `name()` and `name` differ only in how they read: both have no arguments
        name_end = name.end_column if isinstance(name, Token) else None
        text_after = node.meta.end_column - (name_end or 0) if not node.meta.empty else 0
        return PAtom(str(name), args, self.span(node), parens=bool(args) or text_after > 0)

    def expr(self, node: Any, depth: int = 0) -> PExpr:
        assert isinstance(node, Tree)
        kind = node.data
        sp = self.span(node)
        c = node.children
        if depth > MAX_EXPRESSION_DEPTH:
            if not self.too_deep:
                self.too_deep = True
                self.diagnostics.append(
                    Diagnostic(
                        "syntax_error",
                        "error",
                        f"expression nested too deeply (more than {MAX_EXPRESSION_DEPTH} "
                        "operators or parentheses inside one another); split it with "
                        "intermediate variables",
                        sp,
                    )
                )
            return PConst(0, sp)
        if kind == "var":
            return PVar(str(c[0]), sp)
        if kind == "attr":
            return PAttr(str(c[0]), sp)
        if kind == "string":
            return PConst(parse_json_string(str(c[0])), sp)
        if kind == "int":
            return PConst(self.integer(str(c[0]), sp), sp)
        if kind == "float":
            return PConst(self.finite(str(c[0]), sp), sp)
        if kind == "true":
            return PConst(True, sp)
        if kind == "false":
            return PConst(False, sp)
        if kind == "neg":
            inner = self.expr(c[0], depth + 1)
            if isinstance(inner, PConst) and type(inner.value) in (int, float):
                return PConst(-inner.value, sp)  # type: ignore[operator]
            return PNeg(inner, sp)
        if kind in _OPERATORS:
            left, right = c
            return PBin(
                _OPERATORS[kind], self.expr(left, depth + 1), self.expr(right, depth + 1), sp
            )
        raise AssertionError(kind)

    def value(self, node: Any) -> Any:
        """A JSON value written in a test block's ``action { … }``."""
        assert isinstance(node, Tree)
        kind = node.data
        c = node.children
        if kind == "object":
            out: dict[str, Any] = {}
            for pair in c:
                assert isinstance(pair, Tree)
                key_node, val = pair.children
                if pair.data in ("pair_neg_int", "pair_neg_float"):
                    # `{ n:-1 }`: the lexer reads ':-' as one token; the value is negative
                    kind_name = "neg_int" if pair.data == "pair_neg_int" else "neg_float"
                    val = Tree(kind_name, [val], pair.meta)
                assert isinstance(key_node, Tree)
                key_tok = key_node.children[0]
                assert isinstance(key_tok, Token)
                key = str(key_tok)
                if key_tok.type == "STRING":
                    key = parse_json_string(key)
                # dotted keys are nested paths: `resource.path: "x"` = `resource: {path: "x"}`
                target = out
                parts = key.split(".") if key_tok.type == "NAME" else [key]
                for part in parts[:-1]:
                    nxt = target.setdefault(part, {})
                    if not isinstance(nxt, dict):
                        nxt = target[part] = {}
                    target = nxt
                if parts[-1] in target:
                    self.diagnostics.append(
                        Diagnostic(
                            "duplicate_key",
                            "error",
                            f"key '{key}' is given twice in this object",
                            self.span(pair),
                        )
                    )
                target[parts[-1]] = self.value(val)
            return out
        if kind == "array":
            return [self.value(v) for v in c]
        if kind == "string":
            return parse_json_string(str(c[0]))
        if kind == "int":
            return self.integer(str(c[0]), self.span(node))
        if kind == "float":
            return self.finite(str(c[0]), self.span(node))
        if kind == "neg_int":
            return -self.integer(str(c[0]), self.span(node))
        if kind == "neg_float":
            return -self.finite(str(c[0]), self.span(node))
        if kind == "true":
            return True
        if kind == "false":
            return False
        if kind == "null":
            return None
        raise AssertionError(kind)
