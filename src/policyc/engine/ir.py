"""The engine's intermediate representation: terms, literals and rules, as immutable dataclasses.

Values are ``str``, ``int``, ``float`` and the two booleans. Inside the engine booleans are the
singletons :data:`TRUE` and :data:`FALSE` so that ``true`` never equals ``1`` (as Python's ``True``
does); the public API converts them back to Python ``bool``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

from policyc.engine.errors import Position


class Bool:
    """A Datalog boolean, distinct from every number (unlike Python's ``bool``)."""

    __slots__ = ("value",)

    def __init__(self, value: bool) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "true" if self.value else "false"

    def __reduce__(self) -> str:
        return "TRUE" if self.value else "FALSE"


TRUE = Bool(True)
FALSE = Bool(False)

Value = str | int | float | Bool


def to_engine_value(v: object) -> Value:
    """Turn a Python value into an engine value; raises ``TypeError`` for unsupported types."""
    t = type(v)
    if t is str or t is int:
        return v  # type: ignore[return-value]
    if t is float:
        if not math.isfinite(v):  # type: ignore[arg-type]
            raise TypeError(f"{v!r} is not a finite number")
        return v  # type: ignore[return-value]
    if t is bool:
        return TRUE if v else FALSE
    if isinstance(v, Bool):
        return v
    if isinstance(v, str):
        return str.__str__(v)  # the characters of a str subclass (an enum's value, not its name)
    if isinstance(v, int) and not isinstance(v, bool):
        return int(v)
    if isinstance(v, float):
        return to_engine_value(float(v))
    raise TypeError(f"unsupported value of type {t.__name__}")


def to_python_value(v: Value) -> str | int | float | bool:
    if type(v) is Bool:
        return v.value
    return v  # type: ignore[return-value]


def format_value(v: Value) -> str:
    """The Datalog source text of a value (strings always quoted, so that it parses back)."""
    if type(v) is str:
        return json.dumps(v, ensure_ascii=False)
    if type(v) is Bool or type(v) is bool:
        return "true" if (v.value if type(v) is Bool else v) else "false"
    return repr(v)


def value_sort_key(v: Value) -> tuple[int, object]:
    """A total order over values, used wherever output must not depend on hashing."""
    t = type(v)
    if t is Bool:
        return (0, v.value)  # type: ignore[union-attr]
    if t is int or t is float:
        return (1, v)
    return (2, v)


def fact_sort_key(t: tuple[Value, ...]) -> tuple[tuple[int, object], ...]:
    return tuple(value_sort_key(v) for v in t)


# ---------------------------------------------------------------------------------------------
# terms and expressions


@dataclass(frozen=True, slots=True)
class Var:
    name: str
    position: Position | None = field(default=None, compare=False)
    anonymous: bool = False

    def __str__(self) -> str:
        return "_" if self.anonymous else self.name


@dataclass(frozen=True, slots=True)
class Const:
    value: Value
    position: Position | None = field(default=None, compare=False)

    def __str__(self) -> str:
        return format_value(self.value)


Term = Var | Const


@dataclass(frozen=True, slots=True)
class BinOp:
    op: str  # + - * / mod
    left: Expr
    right: Expr
    position: Position | None = field(default=None, compare=False)

    def __str__(self) -> str:
        return f"({self.left} {self.op} {self.right})"


@dataclass(frozen=True, slots=True)
class Neg:
    operand: Expr
    position: Position | None = field(default=None, compare=False)

    def __str__(self) -> str:
        return f"-{self.operand}"


Expr = Var | Const | BinOp | Neg


def expr_vars(e: Expr) -> list[Var]:
    """Variables of an expression, left to right (iterative, expressions can be long)."""
    out: list[Var] = []
    stack: list[Expr] = [e]
    while stack:
        x = stack.pop()
        if isinstance(x, Var):
            out.append(x)
        elif isinstance(x, BinOp):
            stack.append(x.right)
            stack.append(x.left)
        elif isinstance(x, Neg):
            stack.append(x.operand)
    return out


def format_expr(e: Expr) -> str:
    s = str(e)
    if isinstance(e, BinOp) and s.startswith("(") and s.endswith(")"):
        return s[1:-1]
    return s


# ---------------------------------------------------------------------------------------------
# literals


@dataclass(frozen=True, slots=True)
class Atom:
    predicate: str
    args: tuple[Term, ...]
    position: Position | None = field(default=None, compare=False)

    @property
    def arity(self) -> int:
        return len(self.args)

    def __str__(self) -> str:
        if not self.args:
            return self.predicate
        return f"{self.predicate}({', '.join(str(a) for a in self.args)})"


@dataclass(frozen=True, slots=True)
class Negation:
    atom: Atom
    position: Position | None = field(default=None, compare=False)

    def __str__(self) -> str:
        return f"not {self.atom}"


@dataclass(frozen=True, slots=True)
class Comparison:
    op: str  # = != < <= > >=
    left: Expr
    right: Expr
    position: Position | None = field(default=None, compare=False)

    def __str__(self) -> str:
        return f"{format_expr(self.left)} {self.op} {format_expr(self.right)}"


@dataclass(frozen=True, slots=True)
class BuiltinCall:
    """``@name(args)``, or ``not @name(args)`` when ``negated`` (every argument then bound)."""

    name: str
    args: tuple[Term, ...]
    position: Position | None = field(default=None, compare=False)
    negated: bool = False

    def __str__(self) -> str:
        call = f"@{self.name}({', '.join(str(a) for a in self.args)})"
        return f"not {call}" if self.negated else call


Literal = Atom | Negation | Comparison | BuiltinCall


def literal_vars(lit: Literal) -> list[Var]:
    if isinstance(lit, Atom | BuiltinCall):
        return [a for a in lit.args if isinstance(a, Var)]
    if isinstance(lit, Negation):
        return [a for a in lit.atom.args if isinstance(a, Var)]
    return expr_vars(lit.left) + expr_vars(lit.right)


# ---------------------------------------------------------------------------------------------
# rules and programs


@dataclass(frozen=True, slots=True)
class Rule:
    """``head :- body.``; a fact is a rule with an empty body and a ground head.

    ``id`` is unique in a program: given by an ``id`` annotation, or ``pred#n`` for the n-th rule of
    ``pred``. ``source`` is where the rule came from for explanations: the rule's own position, or
    the ``source`` annotation (a policy compiled to Datalog cites the policy, not generated text).
    """

    head: Atom
    body: tuple[Literal, ...]
    id: str
    source: Position | None
    explicit_id: bool = False
    position: Position | None = field(default=None, compare=False)
    annotations: tuple[tuple[str, str], ...] = ()

    @property
    def is_fact(self) -> bool:
        return not self.body and all(isinstance(a, Const) for a in self.head.args)

    def __str__(self) -> str:
        if not self.body:
            return f"{self.head}."
        return f"{self.head} :- {', '.join(str(b) for b in self.body)}."


def format_rule(rule: Rule) -> str:
    """The rule as Datalog text, with its annotations, so that it parses back to the same rule."""
    ann = list(rule.annotations)
    text = str(rule)
    if ann:
        inner = ", ".join(f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in ann)
        return f"#[{inner}]\n{text}"
    return text
