"""The typed AST of the policy language: frozen dataclasses, each carrying its source span."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from policyc.engine.errors import Position

Span = Position


# -- terms and expressions ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PVar:
    name: str
    span: Span | None = field(default=None, compare=False)

    @property
    def anonymous(self) -> bool:
        return self.name == "_"


@dataclass(frozen=True, slots=True)
class PConst:
    value: str | int | float | bool
    span: Span | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class PAttr:
    """An attribute path of the action, such as ``resource.path``."""

    path: str
    span: Span | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class PBin:
    op: str
    left: PExpr
    right: PExpr
    span: Span | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class PNeg:
    operand: PExpr
    span: Span | None = field(default=None, compare=False)


PExpr = PVar | PConst | PAttr | PBin | PNeg


# -- conditions ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PAtom:
    """``name(args)``: a predicate, a built-in, or (without arguments) a boolean attribute."""

    name: str
    args: tuple[PExpr, ...]
    span: Span | None = field(default=None, compare=False)
    parens: bool = field(default=False, compare=False)


@dataclass(frozen=True, slots=True)
class Positive:
    atom: PAtom
    span: Span | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Negative:
    atom: PAtom
    span: Span | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Compare:
    op: str
    left: PExpr
    right: PExpr
    span: Span | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Member:
    """``expr in [a, b]`` or ``expr not in [a, b]``."""

    expr: PExpr
    items: tuple[PExpr, ...]
    negated: bool
    span: Span | None = field(default=None, compare=False)


Condition = Positive | Negative | Compare | Member


# -- items --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Import:
    module: str
    alias: str
    span: Span | None = None


@dataclass(frozen=True, slots=True)
class Default:
    effect: str
    span: Span | None = None


@dataclass(frozen=True, slots=True)
class Fact:
    atom: PAtom
    span: Span | None = None


@dataclass(frozen=True, slots=True)
class HelperRule:
    head: PAtom
    body: tuple[Condition, ...]
    span: Span | None = None


@dataclass(frozen=True, slots=True)
class Metadata:
    reason: str | None = None
    risk: int | None = None
    approver: str | None = None
    tags: tuple[str, ...] | None = None
    reason_span: Span | None = None
    risk_span: Span | None = None
    approver_span: Span | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """``EFFECT id when … unless … reason … risk … approver … tags …``.

    Several ``when`` clauses are alternatives (any one fires the rule); every ``unless`` clause
    is an exception (any one that holds stops it).
    """

    effect: str
    id: str
    when: tuple[tuple[Condition, ...], ...]
    unless: tuple[tuple[Condition, ...], ...]
    meta: Metadata
    span: Span | None = None
    id_span: Span | None = None


@dataclass(frozen=True, slots=True)
class Disable:
    id: str
    reason: str | None
    span: Span | None = None


@dataclass(frozen=True, slots=True)
class Override:
    id: str
    meta: Metadata
    span: Span | None = None


@dataclass(frozen=True, slots=True)
class Expectation:
    kind: str  # "decision" | "fired" | "not_fired"
    effect: str | None
    ids: tuple[str, ...]
    span: Span | None = None


@dataclass(frozen=True, slots=True)
class TestBlock:
    name: str
    action: dict[str, Any]
    expectations: tuple[Expectation, ...]
    span: Span | None = None
    action_span: Span | None = None


@dataclass(frozen=True, slots=True)
class Invariant:
    """For every action where ``when`` holds, the decision must meet ``bound``."""

    id: str
    description: str
    when: tuple[Condition, ...]
    bound: str  # "exactly" | "at_least" | "not"
    effect: str
    span: Span | None = None


Item = Import | Default | Fact | HelperRule | Outcome | Disable | Override | TestBlock | Invariant


@dataclass(frozen=True, slots=True)
class Comment:
    text: str
    line: int
    column: int


@dataclass(frozen=True)
class Module:
    """One ``.policy`` file."""

    name: str
    file: str
    items: tuple[Item, ...]
    comments: tuple[Comment, ...] = ()
    name_span: Span | None = None
    source: str = ""

    def of(self, kind: type[Any]) -> list[Any]:
        return [i for i in self.items if isinstance(i, kind)]
