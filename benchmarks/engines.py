"""Thin adapters around pyDatalog and cedarpy, so that every benchmark drives them the same way.

pyDatalog keeps one global knowledge base per thread; :func:`pydatalog_reset` clears it and
registers the ``globmatch`` resolver (policyc's own glob matcher, called from pyDatalog rules).
:class:`PyDatalogProgram` turns a compiled policyc program (engine IR) into pyDatalog clauses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from policyc.engine.builtins import BUILTINS, NO_VALUE
from policyc.engine.ir import (
    FALSE,
    TRUE,
    Atom,
    Bool,
    BuiltinCall,
    Comparison,
    Const,
    Literal,
    Negation,
    Rule,
    Term,
    Var,
)

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


# -- a policyc program (engine IR) on pyDatalog ---------------------------------------------------
# Lifted from the differential tests' translation (tests/engine/test_differential.py), with what
# the policy programs need besides: dotted predicate names, built-ins as Python resolvers,
# booleans, and one query for every outcome predicate.

_TRUE, _FALSE = "\x00true", "\x00false"  # booleans: Python's True == 1 would merge them


def _to_pyd(v: object) -> object:
    """An engine or Python value as a pyDatalog constant."""
    if type(v) is bool:
        return _TRUE if v else _FALSE
    if isinstance(v, Bool):
        return _TRUE if v.value else _FALSE
    return v


def _from_pyd(v: object) -> object:
    """A pyDatalog constant back to the engine value a built-in expects."""
    if v == _TRUE:
        return TRUE
    if v == _FALSE:
        return FALSE
    return v


def _to_python(v: object) -> object:
    """A pyDatalog constant back to the Python value policyc's ``Model`` reports."""
    if v == _TRUE:
        return True
    if v == _FALSE:
        return False
    return v


def _builtin_resolver(name: str, negated: bool) -> Callable[..., Iterator[tuple[object, ...]]]:
    """A pyDatalog Python resolver for the built-in ``name`` (negated: holds when it fails).

    A check holds when its function returns true; a function (``@concat(A, B, AB)``) yields its
    inputs and its output, and pyDatalog matches an output that is already bound. Inputs are
    always bound: the translation places each built-in after the atoms that bind them.
    """
    b = BUILTINS[name]
    fn, n_in = b.fn, b.inputs

    def resolve(*terms: Any) -> Iterator[tuple[object, ...]]:
        if not all(t.is_const() for t in terms[:n_in]):
            return
        result = fn(*(_from_pyd(t.id) for t in terms[:n_in]))
        if b.outputs == 0:
            if bool(result) != negated:
                yield tuple(t.id for t in terms)
            return
        if negated:  # every argument bound: holds unless the function gives that output
            out = terms[n_in]
            if out.is_const() and (result is NO_VALUE or _to_pyd(result) != out.id):
                yield tuple(t.id for t in terms)
            return
        if result is not NO_VALUE:
            yield (*(t.id for t in terms[:n_in]), _to_pyd(result))

    return resolve


def _atom_of(lit: Literal) -> Atom | None:
    if isinstance(lit, Atom):
        return lit
    if isinstance(lit, Negation):
        return lit.atom
    return None


def _named(t: Term) -> str | None:
    """The name of a named (not anonymous) variable, else None."""
    return t.name if isinstance(t, Var) and not t.anonymous else None


class PyDatalogProgram:
    """A policyc :class:`~policyc.Program` (engine IR, after the demand transformation) as
    pyDatalog source text, so that both engines run the same rules.

    - Predicate names are dotted in policyc (``coding_agent.secrets.secret_file``); each becomes
      a pyDatalog name (``p_coding_agent_secrets_secret_file``). Variables get a ``V`` prefix
      (pyDatalog variables must start with a capital letter).
    - Every outcome rule (head ``outcome.ID(…)``) derives ``outcome_all('outcome.ID', A1, A2, A3)``
      instead, padded with ``''`` to the longest outcome, so that **one** query answers every
      outcome rule (the policy benchmark measured one query ~30% faster than one per predicate).
      An outcome predicate that other rules read keeps its own rules, plus a bridge rule.
    - ``@glob(P, G)`` and every other built-in become Python resolvers (``bi_glob(P, G)``;
      ``not @glob(…)`` is ``bi_not_glob(…)``) calling policyc's own functions, so both engines do
      the same matching work; nothing is precomputed into facts.
    - Booleans are the constants ``_TRUE`` / ``_FALSE``; a zero-arity predicate gets one dummy
      argument ``0``; each ``_`` becomes a fresh variable (pyDatalog shares ``_`` across a
      clause); ``not q(X, _)`` goes through an auxiliary predicate ``aux_k(X) <= q(X, Anon)``.
    - Positive atoms come first in a body, in their order; then negations, comparisons and
      built-ins, each as soon as the variables it needs are bound (pyDatalog runs a body left to
      right).
    - Every input predicate gets a clause over a predicate that is never defined, so that
      querying or negating it is empty rather than an error when an action has no such fact.

    The translation refuses recursive programs (pyDatalog 0.22.4 can loop forever on them; see
    the differential tests) and arithmetic, neither of which the policy programs measured here
    use: ``NotImplementedError``.
    """

    OUTCOME = "outcome_all"

    def __init__(self, program: Any, outcome_prefix: str = "outcome.") -> None:
        rules: tuple[Rule, ...] = program.rules
        arities: dict[str, int] = dict(program.predicates)
        self.inputs: frozenset[str] = frozenset(program.inputs)
        _check_not_recursive(rules, program.derived)
        self.names: dict[str, str] = {}
        taken: set[str] = set()
        for pred in sorted(arities):
            base = "p_" + "".join(c if c.isalnum() else "_" for c in pred)
            name, k = base, 1
            while name in taken:
                k += 1
                name = f"{base}_{k}"
            taken.add(name)
            self.names[pred] = name
        self.outcomes = {p: a for p, a in arities.items() if p.startswith(outcome_prefix)}
        self.width = max(self.outcomes.values(), default=0)
        read = {a.predicate for rule in rules for lit in rule.body if (a := _atom_of(lit))}
        self.bridged = {p for p in self.outcomes if p in read}
        self.builtins: set[tuple[str, bool]] = set()
        self.lines: list[str] = []
        self._aux = 0
        self._anon = 0
        for rule in rules:
            if rule.is_fact:
                self.lines.append("+ " + self._head(rule.head))
            else:
                self.lines.append(f"{self._head(rule.head)} <= {' & '.join(self._body(rule))}")
        for pred in sorted(self.bridged):
            vs = [f"A{i}" for i in range(arities[pred])]
            self.lines.append(f"{self._outcome_head(pred, vs)} <= {self._call(pred, vs)}")
        for pred in sorted(self.inputs):
            n = max(arities[pred], 1)
            args = ", ".join(f"V{i}" for i in range(n))
            self.lines.append(f"{self.names[pred]}({args}) <= never_defined_{n}({args})")

    @property
    def text(self) -> str:
        return "\n".join(self.lines) + "\n"

    # -- rendering -----------------------------------------------------------------------------

    def _value(self, v: object) -> str:
        c = _to_pyd(v)
        if type(c) is str or type(c) is int or type(c) is float:
            return repr(c)
        raise NotImplementedError(f"value {v!r} is not translated to pyDatalog")

    def _term(self, t: Term) -> str:
        if isinstance(t, Const):
            return self._value(t.value)
        if t.anonymous:
            self._anon += 1
            return f"Anon{self._anon}"
        return "V" + t.name

    def _call(self, pred: str, args: list[str]) -> str:
        return f"{self.names[pred]}({', '.join(args or ['0'])})"

    def _atom(self, a: Atom) -> str:
        return self._call(a.predicate, [self._term(t) for t in a.args])

    def _outcome_head(self, pred: str, args: list[str]) -> str:
        padded = [repr(pred), *args, *(["''"] * (self.width - len(args)))]
        return f"{self.OUTCOME}({', '.join(padded)})"

    def _head(self, head: Atom) -> str:
        if head.predicate in self.outcomes and head.predicate not in self.bridged:
            return self._outcome_head(head.predicate, [self._term(t) for t in head.args])
        return self._atom(head)

    def _body(self, rule: Rule) -> list[str]:
        body: list[str] = []
        bound: set[str] = set()
        for lit in rule.body:
            if isinstance(lit, Atom):
                body.append(self._atom(lit))
                bound.update(n for t in lit.args if (n := _named(t)))
        pending = [lit for lit in rule.body if not isinstance(lit, Atom)]
        while pending:
            for i, lit in enumerate(pending):
                text = self._filter(lit, bound)
                if text is not None:
                    body.append(text)
                    del pending[i]
                    break
            else:
                raise NotImplementedError(f"cannot order the body of {rule}")
        return body

    def _filter(self, lit: Literal, bound: set[str]) -> str | None:
        """A negation, comparison or built-in as pyDatalog text, or None while it needs
        variables that are not bound yet."""
        if isinstance(lit, Negation):
            atom = lit.atom
            names = sorted({n for t in atom.args if (n := _named(t))})
            if not set(names) <= bound:
                return None
            if any(isinstance(t, Var) and t.anonymous for t in atom.args):
                self._aux += 1
                head = f"aux_{self._aux}({', '.join(['V' + n for n in names] or ['0'])})"
                self.lines.append(f"{head} <= {self._atom(atom)}")
                return f"~{head}"
            return f"~{self._atom(atom)}"
        if isinstance(lit, BuiltinCall):
            b = BUILTINS[lit.name]
            args = lit.args if lit.negated else lit.args[: b.inputs]
            if not {n for t in args if (n := _named(t))} <= bound:
                return None
            bound.update(n for t in lit.args if (n := _named(t)))
            self.builtins.add((lit.name, lit.negated))
            name = f"bi_not_{lit.name}" if lit.negated else f"bi_{lit.name}"
            return f"{name}({', '.join(self._term(t) for t in lit.args)})"
        if isinstance(lit, Comparison):
            left, right = lit.left, lit.right
            if not isinstance(left, Var | Const) or not isinstance(right, Var | Const):
                raise NotImplementedError("arithmetic is not translated to pyDatalog")
            if isinstance(left, Const) and isinstance(right, Var) and right.name not in bound:
                left, right = right, left  # an assignment: the variable on the left
            if isinstance(right, Var) and right.name not in bound:
                return None
            if isinstance(left, Var) and left.name not in bound:
                if lit.op != "=":
                    return None
                bound.add(left.name)
            op = "==" if lit.op == "=" else lit.op
            return f"({self._term(left)} {op} {self._term(right)})"
        raise NotImplementedError(f"{lit!r} is not translated to pyDatalog")

    # -- running -------------------------------------------------------------------------------

    def load(self) -> None:
        """Clear pyDatalog, register the built-in resolvers and load the program."""
        pyDatalog, pyEngine = _import_pydatalog()
        pyDatalog.clear()
        for name, negated in sorted(self.builtins):
            arity = BUILTINS[name].arity
            pyd_name = f"bi_not_{name}" if negated else f"bi_{name}"
            # the key pyDatalog looks resolvers up by: name + arity, '/', arity
            resolver = _builtin_resolver(name, negated)
            pyEngine.Python_resolvers[f"{pyd_name}{arity}/{arity}"] = resolver
        pyDatalog.load(self.text)

    def input_facts(
        self, facts: Mapping[str, Iterable[Sequence[object]]]
    ) -> dict[str, list[tuple[object, ...]]]:
        """The input facts the program reads, under pyDatalog names and values (a zero-arity
        fact gets the dummy argument)."""
        out: dict[str, list[tuple[object, ...]]] = {}
        for pred, rows in facts.items():
            if pred in self.inputs:
                out[self.names[pred]] = [tuple(_to_pyd(v) for v in row) or (0,) for row in rows]
        return out

    def fired(
        self, answers: Iterable[Sequence[object]]
    ) -> frozenset[tuple[str, tuple[object, ...]]]:
        """``outcome_all`` answers as ``(outcome predicate, row)`` pairs, rows in Python values."""
        out = set()
        for a in answers:
            pred = str(a[0])
            arity = self.outcomes[pred]
            out.add((pred, tuple(_to_python(v) for v in a[1 : 1 + arity])))
        return frozenset(out)


def _check_not_recursive(rules: Sequence[Rule], derived: frozenset[str]) -> None:
    """Raise ``NotImplementedError`` if a derived predicate depends on itself."""
    deps: dict[str, set[str]] = {}
    for rule in rules:
        for lit in rule.body:
            atom = _atom_of(lit)
            if atom is not None and atom.predicate in derived:
                deps.setdefault(rule.head.predicate, set()).add(atom.predicate)
    done: set[str] = set()

    def visit(p: str, path: frozenset[str]) -> None:
        if p in path:
            raise NotImplementedError(f"{p} is recursive: pyDatalog may not terminate")
        if p not in done:
            for q in sorted(deps.get(p, ())):
                visit(q, path | {p})
            done.add(p)

    for p in sorted(deps):
        visit(p, frozenset())
