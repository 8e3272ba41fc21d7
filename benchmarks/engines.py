"""Thin adapters around pyDatalog and cedarpy, so that every benchmark drives them the same way.

pyDatalog keeps one global knowledge base per thread; :func:`pydatalog_reset` clears it and
registers the ``globmatch`` resolver (policyc's own glob matcher, called from pyDatalog rules).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from policyc.engine.builtins import BUILTINS

_glob = BUILTINS["glob"].fn


def _import_pydatalog() -> tuple[Any, Any]:
    from pyDatalog import pyDatalog, pyEngine

    return pyDatalog, pyEngine


def globmatch2(path: Any, pattern: Any) -> Iterator[tuple[object, object]]:
    """pyDatalog resolver for ``globmatch(P, G)`` (the name ends with the arity, as pyDatalog
    requires): holds when both are bound and ``P`` matches the glob ``G`` — with policyc's matcher,
    so that both engines do the same matching work."""
    if path.is_const() and pattern.is_const() and _glob(path.id, pattern.id):
        yield (path.id, pattern.id)


def pydatalog_reset(source: str | None = None) -> None:
    """Clear pyDatalog's knowledge base, register ``globmatch`` and load ``source``."""
    pyDatalog, _ = _import_pydatalog()
    pyDatalog.clear()
    pyDatalog.predicate()(globmatch2)
    if source:
        pyDatalog.load(source)


class PyDatalogFacts:
    """The per-decision input facts in pyDatalog's knowledge base, replaced decision by decision.

    ``engine=True`` asserts and retracts through pyDatalog's engine (``pyEngine.assert_`` and
    ``retract`` of fact clauses); ``engine=False`` through the documented ``assert_fact`` and
    ``retract_fact``, which build the same clauses after a detour through the parser's classes.
    """

    def __init__(self, engine: bool = True) -> None:
        self.pyDatalog, self.pyEngine = _import_pydatalog()
        self.engine = engine
        self._clauses: list[Any] = []
        self._facts: list[tuple[str, Sequence[object]]] = []

    def replace(self, facts: Mapping[str, Iterable[Sequence[object]]]) -> None:
        if self.engine:
            E = self.pyEngine
            for clause in self._clauses:
                E.retract(clause)
            clauses = []
            for pred, rows in facts.items():
                for row in rows:
                    clause = E.Clause(E.Literal(pred, [E.Const(v) for v in row]), [])
                    E.assert_(clause)
                    clauses.append(clause)
            self._clauses = clauses
        else:
            P = self.pyDatalog
            for pred, row in self._facts:
                P.retract_fact(pred, *row)
            added = []
            for pred, rows in facts.items():
                for row in rows:
                    P.assert_fact(pred, *row)
                    added.append((pred, row))
            self._facts = added

    def clear(self) -> None:
        self.replace({})


class PyDatalogQuery:
    """A query literal built once and asked many times (``engine=True``), or a query string
    parsed by ``pyDatalog.ask`` on every call (``engine=False``). Returns answer tuples."""

    def __init__(self, predicate: str, arity: int, engine: bool = True) -> None:
        self.pyDatalog, E = _import_pydatalog()
        self.engine = engine
        names = [f"V{i}" for i in range(arity)]
        self.literal = E.Literal(predicate, [E.Var(n) for n in names])
        self.text = f"{predicate}({', '.join(names)})"

    def ask(self) -> list[tuple[Any, ...]]:
        if self.engine:
            res = self.literal.ask()
            return list(res) if res else []
        answer = self.pyDatalog.ask(self.text)
        return list(answer.answers) if answer is not None else []
