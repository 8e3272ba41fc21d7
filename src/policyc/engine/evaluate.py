"""Stratified, semi-naive, bottom-up evaluation by levels.

Within a stratum, facts are found level by level: level ``L`` finds exactly the facts whose
shortest derivation has height ``L`` (input facts have height 0). With proof recording on, facts
of lower strata become visible at their own height, so the first derivation found for every fact
is one of minimal height and the witness kept for it yields a minimal-height proof. With recording
off, lower strata are visible at once (plain semi-naive evaluation), which finds the same facts.

Everything iterates over insertion-ordered dicts and lists, never over hash-ordered sets, so the
same program and input give the same model and the same proofs in every process.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from policyc.engine.analysis import AnalysedProgram, Stratum
from policyc.engine.builtins import GlobIndex
from policyc.engine.codegen import PlanFunction, compile_plan
from policyc.engine.ir import Value

Row = tuple[Value, ...]
# A witness: None (recording off), 0 (an input fact), or
# (height, rule_index, premise tuples…, values of variables no premise binds…).
Witness = Any


class Relation:
    """The tuples of one predicate with lazily built indexes on bound positions.

    ``shared`` relations hold a program's own facts and are reused by every evaluation; they are
    copied before the first write (their index cache stays valid because they never change).
    """

    __slots__ = ("globs", "indexes", "rows", "shared")

    def __init__(self, rows: dict[Row, Witness] | None = None, shared: bool = False) -> None:
        self.rows: dict[Row, Witness] = rows if rows is not None else {}
        self.indexes: dict[tuple[int, ...], dict[Any, list[Row]]] = {}
        self.globs: dict[int, GlobIndex] | None = None
        self.shared = shared

    def glob_matches(self, col: int, path: object) -> list[Row]:
        """The rows whose column ``col`` is a glob that ``path`` matches, in row order."""
        globs = self.globs
        if globs is None:
            globs = self.globs = {}
        idx = globs.get(col)
        if idx is None:
            idx = globs[col] = GlobIndex(self.rows, col)
        return idx.matches(path)

    def index(self, cols: tuple[int, ...]) -> dict[Any, list[Row]]:
        idx = self.indexes.get(cols)
        if idx is None:
            idx = {}
            _file(idx, cols, self.rows)
            self.indexes[cols] = idx
        return idx

    def add_new(self, new: dict[Row, Witness]) -> None:
        """Add tuples known to be absent, keeping every built index up to date."""
        self.rows.update(new)
        self.globs = None
        for cols, idx in self.indexes.items():
            _file(idx, cols, new)

    def copy(self) -> Relation:
        return Relation(dict(self.rows))


def _file(idx: dict[Any, list[Row]], cols: tuple[int, ...], rows: Iterable[Row]) -> None:
    """File ``rows`` in an index on ``cols`` (a single column is keyed by its bare value)."""
    if len(cols) == 1:
        c = cols[0]
        for t in rows:
            k = t[c]
            bucket = idx.get(k)
            if bucket is None:
                idx[k] = [t]
            else:
                bucket.append(t)
        return
    for t in rows:
        key = tuple([t[c] for c in cols])
        bucket = idx.get(key)
        if bucket is None:
            idx[key] = [t]
        else:
            bucket.append(t)


def height_of(w: Witness) -> int:
    if w is None or w == 0:
        return 0
    return int(w[0])


class CompiledProgram:
    """Generated functions for every plan, in both recording modes, built once per program."""

    def __init__(self, program: AnalysedProgram) -> None:
        self.program = program
        self._fns: dict[bool, list[Any]] = {}
        self.base: dict[str, Relation] = {}
        for pred, values, _pos in program.facts:
            rel = self.base.get(pred)
            if rel is None:
                rel = self.base[pred] = Relation(shared=True)
            rel.rows.setdefault(values, 0)
        self.base_predicates = frozenset(self.base)
        self.derived = frozenset(r.head.predicate for r in program.rules)
        # per stratum, the lower predicates it reads that rules derive (their facts are released
        # level by level when recording); predicates of facts only are their own views
        self.lower_derived = [tuple(sorted(s.lower_inputs & self.derived)) for s in program.strata]

    def functions(self, record: bool) -> list[Any]:
        """Per rule ``[full_plan, [delta_plans…]]``. Each starts as a stub that generates and
        compiles its code on first call and puts the real function in its place: a process that
        decides one action compiles only the plans that action reaches."""
        fns = self._fns.get(record)
        if fns is None:
            fns = []
            for plan in self.program.plans:
                entry: list[Any] = [None, [None] * len(plan.deltas)]
                entry[0] = _stub(entry, None, plan, plan.full, record)
                for k, steps in enumerate(plan.deltas):
                    entry[1][k] = _stub(entry, k, plan, steps, record)
                fns.append(entry)
            self._fns[record] = fns
        return fns


def _stub(entry: list[Any], k: int | None, plan: Any, steps: Any, record: bool) -> PlanFunction:
    def first_call(G: Any, N: Any, D: Any, NEW: Any, L: int) -> None:
        fn, _ = compile_plan(plan, steps, record)
        if k is None:
            entry[0] = fn
        else:
            entry[1][k] = fn
        fn(G, N, D, NEW, L)

    return first_call


def run(
    compiled: CompiledProgram,
    inputs: Mapping[str, Iterable[Row]],
    record: bool,
) -> dict[str, Relation]:
    """Evaluate to fixpoint; ``inputs`` are already validated engine values, in a fixed order."""
    fns = compiled.functions(record)
    witness0 = 0 if record else None
    G: dict[str, Relation] = dict(compiled.base)
    for pred, rows in inputs.items():
        rel = G.get(pred)
        if rel is None:
            G[pred] = Relation(dict.fromkeys(rows, witness0))
            continue
        if rel.shared:
            rel = G[pred] = rel.copy()
        r = rel.rows
        for t in rows:
            if t not in r:
                r[t] = witness0
        rel.indexes.clear()
    # Predicates holding facts before evaluation starts (checked per stratum, never scanned).
    given = compiled.base_predicates | frozenset(inputs)
    # predicates with facts so far (kept up to date as strata derive facts)
    nonempty = {p for p, rel in G.items() if rel.rows}
    for k, stratum in enumerate(compiled.program.strata):
        first = _level1_rules(stratum, nonempty, G)
        _run_stratum(stratum, G, fns, record, given, compiled.lower_derived[k], first, nonempty)
    return G


def _run_stratum(
    stratum: Stratum,
    G: dict[str, Relation],
    fns: list[Any],
    record: bool,
    given: frozenset[str],
    lower_derived: tuple[str, ...],
    first: list[int],
    nonempty: set[str],
) -> None:
    triggers = stratum.triggers
    # The rules that may fire at level 1 (chosen on the complete relations: a superset of those
    # that find anything in the level-1 views below), and the facts given for this stratum's own
    # predicates. With neither, nothing in this stratum can be derived: no rule has premises
    # that all hold, and its own predicates stay empty.
    initial = [(p, list(G[p].rows)) for p in sorted(given & stratum.predicates) if G[p].rows]
    if not first and not initial:
        return
    # What rules read positively: with recording on, lower-strata relations are views that fill
    # up level by level; with it off, the complete relations themselves.
    visible: dict[str, Relation]
    pending: dict[int, dict[str, list[Row]]] = {}
    if record:
        visible = dict(G)
        for pred in lower_derived:
            rel = G.get(pred)
            if rel is None:
                continue
            view = Relation()
            for t, w in rel.rows.items():
                h = height_of(w)
                if h == 0:
                    view.rows[t] = w
                else:
                    pending.setdefault(h, {}).setdefault(pred, []).append(t)
            visible[pred] = view
    else:
        visible = G

    new: dict[str, dict[Row, Witness]] = {}
    # Level 1: rules over lower strata only, filtered by the rule index …
    for rule_index in first:
        fns[rule_index][0](visible, G, None, new, 1)
    # … and facts given directly for this stratum's predicates act as a first delta.
    _run_deltas(initial, triggers, fns, visible, G, new, 1)

    level = 1  # every fact in `new` has height `level`
    while True:
        delta: list[tuple[str, list[Row]]] = []
        for pred, found in new.items():
            if not found:
                continue
            rel = G.get(pred)
            if rel is None:
                rel = G[pred] = Relation()
            elif rel.shared:
                rel = G[pred] = rel.copy()
            rel.add_new(found)
            nonempty.add(pred)
            if record:
                visible[pred] = rel
            delta.append((pred, list(found)))
        if record:
            released = pending.pop(level, None)
            if released:
                for pred, rows in sorted(released.items()):
                    visible[pred].add_new(dict.fromkeys(rows, 0))
                    delta.append((pred, rows))
        if not delta:
            if record and pending:
                # No fact has a height between here and the next lower-stratum fact: skip ahead.
                level = min(pending)
                new = {}
                continue
            return
        level += 1
        new = {}
        _run_deltas(delta, triggers, fns, visible, G, new, level)


def _run_deltas(
    delta: list[tuple[str, list[Row]]],
    triggers: Mapping[str, tuple[tuple[int, int], ...]],
    fns: list[Any],
    visible: dict[str, Relation],
    G: dict[str, Relation],
    new: dict[str, dict[Row, Witness]],
    level: int,
) -> None:
    if not delta:
        return
    by_pred = dict(delta)
    work: list[tuple[int, int, str]] = []
    for pred in by_pred:
        for rule_index, premise in triggers.get(pred, ()):
            work.append((rule_index, premise, pred))
    work.sort()
    for rule_index, premise, pred in work:
        fns[rule_index][1][premise](visible, G, by_pred[pred], new, level)


# Up to this many rows, the level-1 rule index reads a relation's rows instead of indexing it.
_SCAN_ROWS = 8


def _level1_rules(stratum: Stratum, nonempty: set[str], G: dict[str, Relation]) -> list[int]:
    """The rules of a stratum that may fire at level 1: every premise predicate has facts, and a
    keyed rule's constant is among its premise's values."""
    guarded, keyed = stratum.level1_guarded, stratum.level1_keyed
    rules: list[int] = []
    for needs, ids in guarded:
        if needs <= nonempty:
            rules.extend(ids)
    for (pred, pos), by_value in keyed.items():
        if pred not in nonempty:
            continue
        rows = G[pred].rows
        if len(rows) <= _SCAN_ROWS:  # a few rows (an attribute): read them, build no index
            values = {row[pos] for row in rows}
            hits = [found for v in values if (found := by_value.get(v))]
        else:
            idx = G[pred].index((pos,))
            if len(idx) < len(by_value):
                hits = [found for v in idx if (found := by_value.get(v))]
            else:
                hits = [found for v, found in by_value.items() if v in idx]
        for found in hits:
            for rule, others in found:
                if others <= nonempty:
                    rules.append(rule)
    rules.sort()
    return rules
