"""A compiled policy set: the Datalog program plus what decisions and tests need to know."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from policyc.engine.errors import Position
from policyc.engine.program import Program
from policyc.lang.ast import Expectation


@dataclass(frozen=True, slots=True)
class TemplatePart:
    """A piece of a reason template: literal text, a variable, or an attribute path."""

    kind: str  # "text" | "var" | "attr"
    value: str


@dataclass(frozen=True, slots=True)
class OutcomeRule:
    """One outcome rule as compiled: its effect, metadata and the predicate that fires it."""

    id: str
    effect: str
    predicate: str  # the Datalog predicate of the rule's fired facts: outcome.<id>
    params: tuple[str, ...]  # the variables of the reason template, in head order
    reason: tuple[TemplatePart, ...]
    risk: int | None
    approver: str | None
    tags: tuple[str, ...]
    source: Position | None
    module: str


@dataclass(frozen=True, slots=True)
class TestCase:
    name: str
    module: str
    action: dict[str, Any]
    expectations: tuple[Expectation, ...]
    source: Position | None


@dataclass(frozen=True, slots=True)
class InvariantCase:
    id: str
    description: str
    module: str
    predicate: str  # holds (zero arity) when the invariant's `when` applies to the action
    bound: str  # "exactly" | "at_least" | "not"
    effect: str
    source: Position | None


@dataclass(frozen=True)
class PolicySet:
    program: Program
    outcomes: dict[str, OutcomeRule]
    default: str
    default_declared: bool
    tests: tuple[TestCase, ...] = ()
    invariants: tuple[InvariantCase, ...] = ()
    modules: tuple[str, ...] = ()
    digest: str = ""
    disabled: dict[str, str | None] = field(default_factory=dict)
    entries: tuple[str, ...] = ()  # the modules given (not those only imported)
    by_predicate: dict[str, OutcomeRule] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if not self.by_predicate:
            self.by_predicate.update({r.predicate: r for r in self.outcomes.values()})
