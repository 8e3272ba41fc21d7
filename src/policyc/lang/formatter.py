"""``policyc fmt``: the canonical layout of a policy file. Idempotent, keeps every comment, and
never changes what the policy compiles to (only where things are)."""

from __future__ import annotations

import json
import re
from typing import Any

from policyc.lang.ast import (
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

WIDTH = 100
# keywords the grammar does not take as bare object keys: written quoted
_KEYWORDS = {"mod", "allow", "alert", "redact", "require_approval", "deny", "terminate"}
_BARE_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "mod": 2}


def format_module(module: Module) -> str:
    """The canonical text of a parsed module (its comments included)."""
    comments = sorted(module.comments, key=lambda c: (c.line, c.column))
    out: list[str] = []
    ci = 0

    def flush_comments(before_line: int | None) -> None:
        nonlocal ci
        while ci < len(comments) and (before_line is None or comments[ci].line < before_line):
            out.append(comments[ci].text.rstrip())
            ci += 1

    header_line = module.name_span.line if module.name_span else None
    if header_line is not None:
        flush_comments(header_line)
        out.append(f"module {module.name}")
        # a comment on the module line itself
        while ci < len(comments) and comments[ci].line == header_line:
            out[-1] += "  " + comments[ci].text.rstrip()
            ci += 1
    previous: Item | None = None
    for item in module.items:
        start = item.span.line if item.span else None
        end = item.span.end_line if item.span and item.span.end_line else start
        if (out and not _grouped(previous, item)) or (
            out and ci < len(comments) and start is not None and comments[ci].line < start
        ):
            out.append("")
        flush_comments(start)
        text = format_item(item)
        lines = text.split("\n")
        # comments inside the item's lines move to just above it; one on its only line stays
        inner = []
        while ci < len(comments) and end is not None and comments[ci].line <= end:
            inner.append(comments[ci].text.rstrip())
            ci += 1
        if len(inner) == 1 and len(lines) == 1:
            lines[0] += "  " + inner[0]
        else:
            out.extend(inner)
        out.extend(lines)
        previous = item
    if comments[ci:]:
        if out:
            out.append("")
        flush_comments(None)
    return "\n".join(out).strip("\n") + "\n"


def _grouped(a: Item | None, b: Item) -> bool:
    """Items printed without a blank line between them."""
    if a is None:
        return False
    if isinstance(a, Import) and isinstance(b, Import):
        return True
    if isinstance(a, Fact) and isinstance(b, Fact):
        return a.atom.name == b.atom.name
    if isinstance(a, HelperRule | Fact) and isinstance(b, HelperRule):
        head_a = a.head if isinstance(a, HelperRule) else a.atom
        return head_a.name == b.head.name
    return isinstance(a, Disable) and isinstance(b, Disable)


def format_item(item: Item) -> str:
    if isinstance(item, Import):
        default_alias = item.module.rsplit(".", 1)[-1]
        return f"import {item.module}" + (
            "" if item.alias == default_alias else f" as {item.alias}"
        )
    if isinstance(item, Default):
        return f"default {item.effect}"
    if isinstance(item, Fact):
        return f"{atom(item.atom)}."
    if isinstance(item, HelperRule):
        head = atom(item.head)
        conds = [condition(c) for c in item.body]
        one = f"{head} :- {', '.join(conds)}."
        if len(one) <= WIDTH:
            return one
        return f"{head} :-\n    " + ",\n    ".join(conds) + "."
    if isinstance(item, Outcome):
        lines = [f"{item.effect} {item.id}"]
        for when in item.when:
            lines += _clause("when", when)
        for unless in item.unless:
            lines += _clause("unless", unless)
        lines += _meta(item.meta)
        return "\n".join(lines)
    if isinstance(item, Disable):
        return f"disable {item.id}" + (
            f" reason {_str(item.reason)}" if item.reason is not None else ""
        )
    if isinstance(item, Override):
        return "\n".join([f"override {item.id}", *_meta(item.meta)])
    if isinstance(item, TestBlock):
        lines = [f"test {_str(item.name)} {{"]
        action = value(item.action, 2)
        lines.append(f"  action {action}")
        lines += ["  " + expectation(e) for e in item.expectations]
        lines.append("}")
        return "\n".join(lines)
    assert isinstance(item, Invariant)
    bound = {"exactly": "", "at_least": "at_least ", "not": "not "}[item.bound]
    lines = [f"invariant {item.id} {_str(item.description)} {{"]
    lines += _clause("when", item.when)
    lines.append(f"  expect {bound}{item.effect}")
    lines.append("}")
    return "\n".join(lines)


def _clause(keyword: str, conds: tuple[Condition, ...]) -> list[str]:
    parts = [condition(c) for c in conds]
    one = f"  {keyword} {', '.join(parts)}"
    if len(one) <= WIDTH or len(parts) == 1:
        return [one]
    pad = " " * (len(keyword) + 3)
    return (
        [f"  {keyword} {parts[0]},"] + [f"{pad}{p}," for p in parts[1:-1]] + [f"{pad}{parts[-1]}"]
    )


def _meta(meta: Metadata) -> list[str]:
    lines = []
    if meta.reason is not None:
        lines.append(f"  reason {_str(meta.reason)}")
    if meta.risk is not None:
        lines.append(f"  risk {meta.risk}")
    if meta.approver is not None:
        lines.append(f"  approver {_str(meta.approver)}")
    if meta.tags is not None:
        lines.append("  tags " + ", ".join(_str(t) for t in meta.tags))
    return lines


def expectation(e: Expectation) -> str:
    if e.kind == "decision":
        return f"expect {e.effect}" + (f" by {', '.join(e.ids)}" if e.ids else "")
    return ("expect fired " if e.kind == "fired" else "expect not fired ") + ", ".join(e.ids)


def condition(c: Condition) -> str:
    if isinstance(c, Positive):
        return atom(c.atom)
    if isinstance(c, Negative):
        return "not " + atom(c.atom)
    if isinstance(c, Compare):
        return f"{expr(c.left)} {c.op} {expr(c.right)}"
    assert isinstance(c, Member)
    items = ", ".join(expr(i) for i in c.items)
    return f"{expr(c.expr)} {'not in' if c.negated else 'in'} [{items}]"


def atom(a: PAtom) -> str:
    if not a.args:
        return f"{a.name}()" if a.parens else a.name
    return f"{a.name}({', '.join(expr(x) for x in a.args)})"


def expr(e: PExpr, parent: int = 0, right: bool = False) -> str:
    if isinstance(e, PVar):
        return e.name
    if isinstance(e, PAttr):
        return e.path
    if isinstance(e, PConst):
        return constant(e.value)
    if isinstance(e, PNeg):
        return "-" + expr(e.operand, 3)
    assert isinstance(e, PBin)
    prec = _PRECEDENCE[e.op]
    text = f"{expr(e.left, prec)} {e.op} {expr(e.right, prec, right=True)}"
    if prec < parent or (prec == parent and right):
        return f"({text})"
    return text


def constant(v: str | int | float | bool) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return _str(v)
    return repr(v)


def _str(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)


def value(v: Any, indent: int) -> str:
    """A test action's JSON value: on one line when it fits, else one key per line."""
    one = _value_inline(v)
    if len(one) + indent + 7 <= WIDTH or not isinstance(v, dict | list) or not v:
        return one
    pad = " " * (indent + 2)
    if isinstance(v, dict):
        parts = [f"{pad}{_key(k)}: {value(x, indent + 2)}," for k, x in v.items()]
        return "{\n" + "\n".join(parts) + "\n" + " " * indent + "}"
    parts = [f"{pad}{value(x, indent + 2)}," for x in v]
    return "[\n" + "\n".join(parts) + "\n" + " " * indent + "]"


def _value_inline(v: Any) -> str:
    if isinstance(v, dict):
        if not v:
            return "{}"
        return "{ " + ", ".join(f"{_key(k)}: {_value_inline(x)}" for k, x in v.items()) + " }"
    if isinstance(v, list):
        return "[" + ", ".join(_value_inline(x) for x in v) + "]"
    if v is None:
        return "null"
    return constant(v)


def _key(k: str) -> str:
    return k if _BARE_KEY.match(k) and k not in _KEYWORDS else _str(k)
