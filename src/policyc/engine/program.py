"""The public face of the engine: ``parse_program`` → :class:`Program` → :class:`Model` → :class:`Proof`."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from typing import Any

from policyc.engine.analysis import AnalysedProgram, analyse
from policyc.engine.errors import DatalogError, DatalogErrors, InvalidFact, NotDerived, Position
from policyc.engine.evaluate import CompiledProgram, Relation, Row, run
from policyc.engine.ir import (
    FALSE,
    TRUE,
    Bool,
    Rule,
    Value,
    fact_sort_key,
    format_rule,
    format_value,
    to_engine_value,
    to_python_value,
)
from policyc.engine.proofs import Proof, build_proof

PyValue = str | int | float | bool
Facts = Mapping[str, Iterable[Sequence[PyValue]]]

_STR_INT = frozenset((str, int))
_SIMPLE = frozenset((str, int, bool))
_BOOLS = {True: TRUE, False: FALSE}
_KNOWN_NAMES: set[str] = set()  # predicate names already validated (a cache, bounded)
_PRED = re.compile(r"^[a-z][A-Za-z0-9_]*(\.[a-z][A-Za-z0-9_]*)*$")


class Program:
    """An analysed, ready-to-run Datalog program. Immutable; safe to evaluate many times."""

    def __init__(
        self,
        rules: Sequence[Rule],
        source_name: str = "<program>",
        analysed: AnalysedProgram | None = None,
    ) -> None:
        """Analyse ``rules`` (or trust ``analysed``, the result of analysing exactly these rules,
        as a verified cache provides)."""
        self.source_name = source_name
        self.rules: tuple[Rule, ...] = tuple(rules)
        self.analysed: AnalysedProgram = analysed if analysed is not None else analyse(self.rules)
        self._compiled = CompiledProgram(self.analysed)
        self._fact_sources: dict[tuple[str, tuple[Value, ...]], Position | None] = {}
        for pred, values, pos in self.analysed.facts:
            self._fact_sources.setdefault((pred, values), pos)

    # -- introspection -------------------------------------------------------------------------

    @property
    def predicates(self) -> dict[str, int]:
        """Every predicate the program mentions, with its arity."""
        return dict(self.analysed.arities)

    @property
    def derived(self) -> frozenset[str]:
        """Predicates defined by rules."""
        return self.analysed.derived

    @property
    def inputs(self) -> frozenset[str]:
        """Predicates only read (or given as facts): what ``evaluate`` may be handed."""
        return frozenset(self.analysed.arities) - self.analysed.derived

    @property
    def strata(self) -> list[list[str]]:
        return [sorted(s.predicates) for s in self.analysed.strata]

    def to_text(self) -> str:
        """The program as Datalog text; parsing it back gives the same program."""
        return "\n".join(format_rule(r) for r in self.rules) + ("\n" if self.rules else "")

    # -- evaluation ----------------------------------------------------------------------------

    def evaluate(self, facts: Facts | None = None, *, proofs: bool = False) -> Model:
        """Compute the model of the program over its own facts and ``facts``.

        ``facts`` maps predicate names to rows (tuples or lists) of ``str``, ``int``, ``float`` or
        ``bool``. Rows given in a set or another unordered collection are sorted first, so the
        result never depends on hashing. With ``proofs=True`` the witnesses for proofs are recorded
        during evaluation; otherwise :meth:`Model.explain` re-evaluates once when first asked.
        """
        inputs = self._prepare(facts or {})
        relations = run(self._compiled, inputs, proofs)
        return Model(self, inputs, relations, proofs)

    def evaluate_trusted(
        self,
        facts: Mapping[str, list[tuple[Any, ...]]],
        *,
        proofs: bool = False,
        only: AbstractSet[str] | None = None,
    ) -> Model:
        """:meth:`evaluate` for facts known to be well formed — lists of tuples of ``str``,
        ``int``, ``float`` and ``bool`` with the arities the program expects, as
        :mod:`policyc.normalize` produces them — without validating them again. Booleans are
        still converted (they are distinct from 1 and 0 in the engine). With ``only``, the facts
        of other predicates are left out. The model keeps the lists it is given (those without a
        boolean): they must not change afterwards."""
        inputs: dict[str, list[Row]] = {
            p: rows for p, rows in facts.items() if rows and (only is None or p in only)
        }
        for pred, rows in inputs.items():
            for row in rows:
                for v in row:
                    if v is True or v is False:
                        break
                else:
                    continue
                inputs[pred] = [
                    tuple([_BOOLS[v] if type(v) is bool else v for v in row]) for row in rows
                ]
                break
        relations = run(self._compiled, inputs, proofs)
        return Model(self, inputs, relations, proofs)

    def _prepare(self, facts: Facts) -> dict[str, list[Row]]:
        if not isinstance(facts, Mapping):
            raise DatalogErrors(
                [
                    InvalidFact(
                        f"facts must be a mapping of predicate names to rows, got {type(facts).__name__}"
                    )
                ]
            )
        arities = self.analysed.arities
        out: dict[str, list[Row]] = {}
        errors: list[DatalogError] = []
        for pred, rows in facts.items():
            # the common case, checked without the general machinery: a list of tuples of
            # strings and ints, for a predicate name seen before
            if type(rows) is list and (pred in arities or pred in _KNOWN_NAMES):
                arity = arities.get(pred)
                fast: list[Row] = []
                for row in rows:
                    if type(row) is not tuple or (arity is not None and len(row) != arity):
                        break
                    if not all(map(_STR_INT.__contains__, map(type, row))):
                        if not all(map(_SIMPLE.__contains__, map(type, row))):
                            break
                        row = tuple(_BOOLS.get(v, v) if type(v) is bool else v for v in row)
                    if arity is None:
                        arity = len(row)
                    fast.append(row)
                else:
                    out[pred] = fast
                    continue
            if not isinstance(pred, str) or not _PRED.match(pred):
                errors.append(
                    InvalidFact(f"{pred!r} is not a predicate name (lower-case identifier)")
                )
                continue
            if isinstance(rows, str | bytes) or not isinstance(rows, Iterable):
                errors.append(InvalidFact(f"facts of '{pred}' must be a collection of rows"))
                continue
            arity = arities.get(pred)
            converted: list[Row] = []
            for n, row in enumerate(rows, 1):
                if not isinstance(row, tuple | list):
                    errors.append(
                        InvalidFact(
                            f"fact {n} of '{pred}' must be a tuple or list, got {type(row).__name__}"
                        )
                    )
                    continue
                if arity is None:
                    arity = len(row)
                if len(row) != arity:
                    errors.append(
                        InvalidFact(
                            f"fact {n} of '{pred}' has {len(row)} value(s); '{pred}' takes {arity}"
                        )
                    )
                    continue
                try:
                    converted.append(tuple([to_engine_value(v) for v in row]))
                except TypeError as e:
                    errors.append(InvalidFact(f"fact {n} of '{pred}': {e}"))
            if not isinstance(rows, Sequence):
                converted.sort(key=fact_sort_key)
            if len(_KNOWN_NAMES) < 10_000:
                _KNOWN_NAMES.add(pred)
            out[pred] = converted
        if errors:
            raise DatalogErrors(errors)
        return out


class Model:
    """The facts that hold: inputs and everything derived from them."""

    def __init__(
        self,
        program: Program,
        inputs: dict[str, list[Row]],
        relations: dict[str, Relation],
        recorded: bool,
    ) -> None:
        self.program = program
        self._inputs = inputs
        self._relations = relations
        self._recorded = recorded
        self._facts: dict[str, frozenset[tuple[PyValue, ...]]] | None = None
        self._proofs: dict[tuple[str, Row], Proof] = {}

    @property
    def facts(self) -> dict[str, set[tuple[PyValue, ...]]]:
        """Every input and derived predicate (including empty ones) → its set of rows.

        A fresh copy each time: changing it does not change the model."""
        if self._facts is None:
            out: dict[str, frozenset[tuple[PyValue, ...]]] = dict.fromkeys(
                self.program.predicates, frozenset()
            )
            for pred, rel in self._relations.items():
                out[pred] = frozenset(_py_row(t) for t in rel.rows)
            self._facts = out
        return {p: set(rows) for p, rows in self._facts.items()}

    def query(self, predicate: str) -> set[tuple[PyValue, ...]]:
        rel = self._relations.get(predicate)
        return set() if rel is None else {_py_row(t) for t in rel.rows}

    def derived_with_prefix(self, prefix: str) -> list[str]:
        """Predicates starting with ``prefix`` that hold at least one fact, sorted (costs the
        number of predicates with facts, not the size of the program)."""
        return sorted(p for p, rel in self._relations.items() if rel.rows and p.startswith(prefix))

    def nonempty(self, predicates: Mapping[str, Any] | AbstractSet[str]) -> list[str]:
        """Those of ``predicates`` (a set, or a mapping's keys) that hold at least one fact,
        sorted."""
        rels = self._relations
        if type(predicates) is dict or isinstance(predicates, Mapping):
            keys: AbstractSet[str] = predicates.keys()
        else:
            keys = predicates
        common = rels.keys() & keys
        return sorted(p for p in common if rels[p].rows) if common else []

    def rows(self, predicate: str) -> list[tuple[PyValue, ...]]:
        """The rows of ``predicate`` in a stable order (for printing)."""
        rel = self._relations.get(predicate)
        if rel is None:
            return []
        return [_py_row(t) for t in sorted(rel.rows, key=fact_sort_key)]

    def holds(self, predicate: str, args: Sequence[PyValue] = ()) -> bool:
        rel = self._relations.get(predicate)
        if rel is None:
            return False
        try:
            row = tuple(to_engine_value(v) for v in args)
        except TypeError:
            return False
        return row in rel.rows

    def explain(self, predicate: str, args: Sequence[PyValue] = ()) -> Proof:
        """A minimal-height proof of ``predicate(args)``; raises :class:`NotDerived` if it does not hold."""
        try:
            row = tuple(to_engine_value(v) for v in args)
        except TypeError as e:
            raise NotDerived(f"{predicate}{tuple(args)!r} cannot hold: {e}") from None
        key = (predicate, row)
        proof = self._proofs.get(key)
        if proof is not None:
            return proof
        rel = self._relations.get(predicate)
        if rel is None or row not in rel.rows:
            shown = f"{predicate}({', '.join(_show(v) for v in row)})" if row else predicate
            raise NotDerived(f"{shown} does not hold in this model")
        if not self._recorded:
            # Recorded witnesses are needed; evaluate once more with recording on.
            self._relations = run(self.program._compiled, self._inputs, True)
            self._recorded = True
        proof = build_proof(
            self.program.analysed, self._relations, self.program._fact_sources, predicate, row
        )
        self._proofs[key] = proof
        return proof

    def explain_text(self, text: str) -> Proof:
        """Explain a fact written as Datalog, e.g. ``path("a", "c")``."""
        from policyc.engine.parser import parse_atom

        atom = parse_atom(text)
        values: list[PyValue] = []
        for a in atom.args:
            v = getattr(a, "value", None)
            if v is None:
                raise DatalogErrors(
                    [InvalidFact(f"'{text}' must be a ground fact (no variables)", a.position)]
                )
            values.append(to_python_value(v))
        return self.explain(atom.predicate, values)


def _py_row(t: Row) -> tuple[PyValue, ...]:
    for v in t:
        if type(v) is Bool:
            return tuple(to_python_value(x) for x in t)
    return t  # type: ignore[return-value]


def _show(v: Any) -> str:
    return format_value(v)


def parse_program(text: str, source_name: str = "<program>") -> Program:
    """Parse and analyse Datalog text; raises :class:`DatalogErrors` listing every error found."""
    # the parser (and Lark) load on first use: a process that runs a cached, already analysed
    # program never pays for them
    from policyc.engine.parser import parse_rules_collecting

    rules, errors = parse_rules_collecting(text, source_name)
    if not errors:
        return Program(rules, source_name)
    try:
        analyse(rules)
    except DatalogErrors as e:
        errors += [x for x in e.errors if x.code != "duplicate_rule_id"]
    raise DatalogErrors(errors)
