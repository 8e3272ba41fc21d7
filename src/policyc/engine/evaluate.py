"""Stratified, semi-naive, bottom-up evaluation by levels.

Within a stratum, facts are found level by level: level ``L`` finds exactly the facts whose
shortest derivation has height ``L`` (input facts have height 0). With proof recording on, facts
of lower strata become visible at their own height, so the first derivation found for every fact
is one of minimal height and the witness kept for it yields a minimal-height proof. With recording
off, lower strata are visible at once (plain semi-naive evaluation), which finds the same facts.

Facts that depend on the program alone (``static`` predicates) are computed once per program and
recording mode and released in every evaluation at the level at which a complete evaluation finds
them (:meth:`CompiledProgram.ahead`), so they cost an evaluation almost nothing and change neither
its model nor its proofs.

Everything that decides an order iterates over insertion-ordered dicts and lists, never over
hash-ordered sets (the level-1 rule selection reads a set, then sorts what it selected), so the
same program and input give the same model and the same proofs in every process.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from policyc.engine.analysis import AnalysedProgram, RulePlan, Stratum
from policyc.engine.builtins import GlobIndex
from policyc.engine.codegen import PlanFunction, compile_plan
from policyc.engine.ir import Atom, Negation, Rule, Value

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
        self.rows: dict[Row, Witness] = {} if rows is None else rows
        # built on first use (most relations of an evaluation are never indexed)
        self.indexes: dict[tuple[int, ...], dict[Any, list[Row]]] | None = None
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
        indexes = self.indexes
        if indexes is None:
            indexes = self.indexes = {}
        idx = indexes.get(cols)
        if idx is None:
            idx = {}
            _file(idx, cols, self.rows)
            indexes[cols] = idx
        return idx

    def add_new(self, new: dict[Row, Witness]) -> None:
        """Add tuples known to be absent, keeping every built index up to date."""
        self.rows.update(new)
        self.globs = None
        if self.indexes:
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


_Keys = tuple[int, Mapping[Value, tuple[tuple[int, frozenset[str]], ...]]]
_Trigger = tuple[int, int, frozenset[str], frozenset[str]]


@dataclass(frozen=True, slots=True)
class _Schedule:
    """How one stratum is evaluated: its level-1 rule index and delta triggers, and (when the
    facts that depend on the program alone were computed ahead) those facts' release."""

    # Level-1 rules. Those with no constant to be keyed on are grouped by the premise
    # predicates that must have facts, less those that every evaluation has (``present``: the
    # program's own facts, facts computed ahead); ``always`` needs none. A predicate of
    # ``index`` files (1) groups (the predicates they need besides it: a derived one is
    # chosen to file a group under if any, as the likeliest to have no facts) and (2) keyed
    # rules: (position, constant → (rule, the other predicates it needs)). The keyed rules of
    # present predicates are in ``keyed_present``.
    always: tuple[int, ...]
    index: Mapping[
        str, tuple[tuple[tuple[frozenset[str], tuple[int, ...]], ...], tuple[_Keys, ...]]
    ]
    keyed_present: tuple[
        tuple[str, int, Mapping[Value, tuple[tuple[int, frozenset[str]], ...]]], ...
    ]
    # delta triggers: predicate → (rule, premise, the other premise predicates that must have
    # facts for the plan to find anything, the predicates of the premises before it)
    triggers: Mapping[str, tuple[_Trigger, ...]]
    # lower predicates rules derive, whose views are filled level by level when recording
    lower_derived: tuple[str, ...]
    # facts computed ahead that rules of this stratum read. When recording, they are released
    # level by level: (height, predicate, the facts of that height, a shared relation of the
    # facts up to that height), by height; their predicates are hidden until then (``hidden``).
    # Without recording, those of the stratum's own predicates are a first delta.
    static_release: tuple[tuple[int, str, list[Row], Relation], ...]
    hidden: tuple[str, ...]
    # per released predicate, the lower predicates each rule reading it needs besides: when no
    # rule has them all, nothing reads the facts and they are not released
    release_needs: Mapping[str, tuple[frozenset[str], ...]]
    static_initial: tuple[tuple[str, list[Row]], ...]
    # the stratum's predicates with facts of the program (a first delta), sorted
    own_base: tuple[str, ...]


class CompiledProgram:
    """Generated functions for every plan, in both recording modes, built once per program.

    Facts that depend on the program alone (derived from its own facts by rules that read no
    predicate an evaluation may be given) are the same in every evaluation, down to their
    witnesses: they are computed once per recording mode and shared, and evaluations that give
    no fact of a predicate they depend on run only the other rules (``static``)."""

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
        self.static, self.static_support = _static_predicates(program, self.base_predicates)
        self.full = [
            _schedule(
                s,
                self.base_predicates,
                lower,
                None,
                {},
                self.static,
                program.plans,
                self.derived,
                True,
            )
            for s, lower in zip(program.strata, self.lower_derived, strict=True)
        ]
        # per recording mode: (the facts computed ahead, the schedules that rely on them)
        self._ahead: dict[bool, tuple[dict[str, Relation], list[_Schedule]]] = {}

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

    def ahead(self, record: bool) -> tuple[dict[str, Relation], list[_Schedule]]:
        """The relations evaluation starts from — the program's facts, and those of the static
        predicates (shared, with the witnesses a complete evaluation records for them) — and
        the schedules of the rules left to run."""
        done = self._ahead.get(record)
        if done is None:
            G = _run(self, {}, record, self.base, self.full)
            facts = {p: G[p] for p in sorted(self.static) if p in G and G[p].rows}
            releases = {}
            for pred, rel in facts.items():
                rel.shared = True
                releases[pred] = _releases(rel) if record else ()
            schedules = [
                _schedule(
                    s,
                    self.base_predicates,
                    lower,
                    facts,
                    releases,
                    self.static,
                    self.program.plans,
                    self.derived,
                    record,
                )
                for s, lower in zip(self.program.strata, self.lower_derived, strict=True)
            ]
            done = self._ahead[record] = ({**self.base, **facts}, schedules)
        return done


def _releases(rel: Relation) -> tuple[tuple[int, list[Row], Relation], ...]:
    """The facts of a relation computed ahead by height: (height, its facts, a shared relation of
    the facts up to it — for the last height, ``rel`` itself), in increasing height."""
    by_height: dict[int, list[Row]] = {}
    for t, w in rel.rows.items():
        by_height.setdefault(height_of(w), []).append(t)
    heights = sorted(by_height)
    out = []
    for h in heights:
        if h == heights[-1]:
            view = rel
        else:
            view = Relation({t: w for t, w in rel.rows.items() if height_of(w) <= h}, shared=True)
        out.append((h, by_height[h], view))
    return tuple(out)


def _static_predicates(
    program: AnalysedProgram, base: frozenset[str]
) -> tuple[frozenset[str], frozenset[str]]:
    """The derived predicates whose facts depend on the program's own facts alone — defined only
    by rules whose premises (positive or negated) are such predicates or predicates of program
    facts that no rule defines — and every predicate those facts depend on (inputs to any of
    them would make the facts computed ahead wrong)."""
    rules_of: dict[str, list[Rule]] = {}
    for r in program.rules:
        rules_of.setdefault(r.head.predicate, []).append(r)
    leaves = base - rules_of.keys()
    static = {p for p in rules_of if p not in base}
    changed = True
    while changed:  # the greatest set closed under the condition (recursion allowed)
        changed = False
        for p in sorted(static):
            for rule in rules_of[p]:
                if any(q not in static and q not in leaves for q in _premise_predicates(rule)):
                    static.discard(p)
                    changed = True
                    break
    support = set(static)
    for p in static:
        for rule in rules_of[p]:
            support.update(_premise_predicates(rule))
    return frozenset(static), frozenset(support)


def _premise_predicates(rule: Rule) -> list[str]:
    out = []
    for lit in rule.body:
        if isinstance(lit, Atom):
            out.append(lit.predicate)
        elif isinstance(lit, Negation):
            out.append(lit.atom.predicate)
    return out


def _schedule(
    stratum: Stratum,
    base: frozenset[str],
    lower_derived: tuple[str, ...],
    ahead: Mapping[str, Relation] | None,
    releases: Mapping[str, tuple[tuple[int, list[Row], Relation], ...]],
    static: frozenset[str],
    plans: Sequence[RulePlan],
    derived: frozenset[str],
    record: bool,
) -> _Schedule:
    """A stratum's schedule. With ``ahead`` (the facts of the ``static`` predicates, computed
    ahead), the rules deriving those predicates are left out and their facts are released as the
    complete evaluation finds them: at their height when recording, else as a first delta."""
    if ahead is None:
        ahead, skip, dead = {}, frozenset[int](), frozenset[str]()
    else:
        skip = frozenset(i for i in stratum.rules if plans[i].rule.head.predicate in static)
        dead = static - ahead.keys()  # no facts: rules reading them positively never fire
    present = base | ahead.keys()  # predicates with facts in every evaluation
    always: list[int] = []
    guarded: dict[frozenset[str], list[int]] = {}
    for needs, ids in stratum.level1_guarded:
        kept = [i for i in ids if i not in skip]
        if not kept or needs & dead:
            continue
        if needs <= present:
            always.extend(kept)
        else:
            guarded.setdefault(needs - present, []).extend(kept)
    keyed: dict[tuple[str, int], dict[Value, tuple[tuple[int, frozenset[str]], ...]]] = {}
    for where, by_value in stratum.level1_keyed.items():
        if where[0] in dead:
            continue
        for value, found in by_value.items():
            kept_keyed = tuple(
                (i, others - present) for i, others in found if i not in skip and not others & dead
            )
            if kept_keyed:
                keyed.setdefault(where, {})[value] = kept_keyed
    by_lead: dict[str, list[tuple[frozenset[str], tuple[int, ...]]]] = {}
    for needs, rule_ids in guarded.items():
        lead = min(needs, key=lambda p: (p not in derived, p))
        by_lead.setdefault(lead, []).append((needs - {lead}, tuple(rule_ids)))
    # delta triggers, each with the other premise predicates that must have facts for the plan
    # to find anything (a plan joining an empty relation is not run)
    premises = {i: [a.predicate for a in plans[i].positives] for i in stratum.rules}
    triggers: dict[str, tuple[_Trigger, ...]] = {}
    for pred, pairs in stratum.triggers.items():
        kept_pairs = tuple(
            (
                i,
                k,
                frozenset(premises[i][:k] + premises[i][k + 1 :]) - present,
                frozenset(premises[i][:k]),
            )
            for i, k in pairs
            if i not in skip and not dead.intersection(premises[i])
        )
        if kept_pairs and pred not in dead:
            triggers[pred] = kept_pairs
    release: list[tuple[int, str, list[Row], Relation]] = []
    hidden: list[str] = []
    initial: list[tuple[str, list[Row]]] = []
    release_needs: dict[str, tuple[frozenset[str], ...]] = {}
    for pred in sorted(ahead.keys() & triggers.keys()):
        if record:  # released at their height, as the complete evaluation finds them
            hidden.append(pred)
            release_needs[pred] = tuple(
                {others - stratum.predicates for _, _, others, _ in triggers[pred]}
            )
            release.extend((h, pred, rows, view) for h, rows, view in releases[pred])
        elif pred in stratum.predicates:  # facts of lower strata are complete already
            initial.append((pred, list(ahead[pred].rows)))
    index: dict[str, tuple[list[tuple[frozenset[str], tuple[int, ...]]], list[_Keys]]] = {}
    for lead, groups in by_lead.items():
        index.setdefault(lead, ([], []))[0].extend(groups)
    keyed_present = []
    for (pred, pos), by_value in keyed.items():
        if pred in present:
            keyed_present.append((pred, pos, by_value))
        else:
            index.setdefault(pred, ([], []))[1].append((pos, by_value))
    return _Schedule(
        tuple(sorted(always)),
        {pred: (tuple(groups), tuple(keys)) for pred, (groups, keys) in index.items()},
        tuple(keyed_present),
        triggers,
        tuple(p for p in lower_derived if p not in ahead),
        tuple(sorted(release, key=lambda r: (r[0], r[1]))),
        tuple(hidden),
        release_needs,
        tuple(initial),
        tuple(sorted(base & stratum.predicates)),
    )


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
    inputs: Mapping[str, Sequence[Row]],
    record: bool,
) -> dict[str, Relation]:
    """Evaluate to fixpoint; ``inputs`` are already validated engine values, in a fixed order."""
    if compiled.static and compiled.static_support.isdisjoint(inputs):
        return _run(compiled, inputs, record, *compiled.ahead(record))
    return _run(compiled, inputs, record, compiled.base, compiled.full)


def _run(
    compiled: CompiledProgram,
    inputs: Mapping[str, Sequence[Row]],
    record: bool,
    start: Mapping[str, Relation],
    schedules: list[_Schedule],
) -> dict[str, Relation]:
    fns = compiled.functions(record)
    witness0 = 0 if record else None
    G: dict[str, Relation] = dict(start)
    # predicates with facts so far, kept up to date as strata derive facts — but for those of
    # the relations evaluation starts from (which have some in every evaluation: the schedules
    # need not ask about them)
    nonempty: set[str] = set()
    for pred, rows in inputs.items():
        rel = G.get(pred)
        if rel is None:
            if len(rows) == 1:
                rel = G[pred] = Relation({rows[0]: witness0})
            else:
                rel = G[pred] = Relation(dict.fromkeys(rows, witness0))
        else:
            if rel.shared:
                rel = G[pred] = rel.copy()
            r = rel.rows
            for t in rows:
                if t not in r:
                    r[t] = witness0
            rel.indexes = rel.globs = None
        if rel.rows:
            nonempty.add(pred)
    # Facts given for predicates that rules derive (a first delta in their stratum; the
    # program's own facts of such predicates are in each schedule).
    given = compiled.derived.intersection(inputs)
    for stratum, schedule in zip(compiled.program.strata, schedules, strict=True):
        first = _level1_rules(schedule, nonempty, G)
        _run_stratum(stratum, schedule, G, fns, record, given, first, nonempty)
    return G


def _run_stratum(
    stratum: Stratum,
    schedule: _Schedule,
    G: dict[str, Relation],
    fns: list[Any],
    record: bool,
    given: frozenset[str],
    first: list[int],
    nonempty: set[str],
) -> None:
    triggers = schedule.triggers
    # The rules that may fire at level 1 (chosen on the complete relations: a superset of those
    # that find anything in the level-1 views below), and the facts given for this stratum's own
    # predicates. With neither, nothing in this stratum can be derived: no rule has premises
    # that all hold, and its own predicates stay empty.
    own = schedule.own_base
    if given:  # facts given for predicates that rules derive: those of this stratum's
        own = tuple(sorted({*own, *(p for p in given if p in stratum.predicates)}))
    initial = [(p, list(G[p].rows)) for p in own if G[p].rows] if own else []
    if schedule.static_initial:  # facts computed ahead, when not recording
        initial = sorted(initial + list(schedule.static_initial))
    release = schedule.static_release
    if release:  # facts no rule can read (one of its lower premises has none): not released
        dead = []
        for pred, needs in schedule.release_needs.items():
            for n in needs:
                if n <= nonempty:
                    break
            else:
                dead.append(pred)
        if len(dead) == len(schedule.release_needs):
            release = ()
        elif dead:
            release = tuple(r for r in release if r[1] not in dead)
    if not first and not initial and not release:
        return
    # What rules read positively: with recording on, lower-strata relations are views that fill
    # up level by level; with it off, the complete relations themselves.
    visible: dict[str, Relation]
    pending: dict[int, dict[str, list[Row]]] = {}
    lower = [p for p in schedule.lower_derived if p in G] if record else []
    if record and (lower or release):
        visible = dict(G)
        # facts computed ahead, released at their height as the complete evaluation finds them
        # (hidden until then; with none to release, no rule can read them)
        if release:
            for pred in schedule.hidden:
                del visible[pred]
        for pred in lower:
            seen: dict[Row, Witness] = {}
            for t, w in G[pred].rows.items():
                if not w:  # an input fact (height 0)
                    seen[t] = w
                else:
                    pending.setdefault(w[0], {}).setdefault(pred, []).append(t)
            visible[pred] = Relation(seen)
    else:  # the relations themselves: complete, or (recording) none fills up level by level
        visible = G

    new: dict[str, dict[Row, Witness]] = {}
    # Level 1: rules over lower strata only, filtered by the rule index …
    for rule_index in first:
        fns[rule_index][0](visible, G, None, new, 1)
    # … and facts given directly for this stratum's predicates act as a first delta.
    _run_deltas(initial, triggers, fns, visible, G, new, 1, nonempty)

    level = 1  # every fact in `new` has height `level`
    r = 0  # the next of the facts computed ahead to release
    while True:
        delta: list[tuple[str, list[Row]]] = []
        for pred, found in new.items():
            if not found:
                continue
            rel = G.get(pred)
            if rel is None:  # the first facts of a predicate: `found` is no longer written
                rel = G[pred] = Relation(found)
            else:
                if rel.shared:
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
            while r < len(release) and release[r][0] <= level:
                _, pred, rows, upto = release[r]
                r += 1
                visible[pred] = upto
                delta.append((pred, rows))
        if not delta:
            if record and (pending or r < len(release)):
                # No fact has a height between here and the next lower-stratum fact: skip ahead.
                level = min(pending) if pending else release[r][0]
                if r < len(release):
                    level = min(level, release[r][0])
                new = {}
                continue
            return
        level += 1
        new = {}
        _run_deltas(delta, triggers, fns, visible, G, new, level, nonempty)


def _run_deltas(
    delta: list[tuple[str, list[Row]]],
    triggers: Mapping[str, tuple[_Trigger, ...]],
    fns: list[Any],
    visible: dict[str, Relation],
    G: dict[str, Relation],
    new: dict[str, dict[Row, Witness]],
    level: int,
    nonempty: set[str],
) -> None:
    """Run the delta plans the facts of ``delta`` trigger, in (rule, premise) order.

    A plan is left out when another premise has no facts, and when a premise before its own has
    only new facts (all in this delta): the plan of that earlier premise, which runs first,
    finds every fact this one would."""
    if not delta:
        return
    by_pred = dict(delta)
    fresh: set[str] | None = None  # the predicates all of whose facts are in this delta
    work: list[tuple[int, int, str]] = []
    for pred in by_pred:
        for rule_index, premise, others, before in triggers.get(pred, ()):
            if others <= nonempty:
                if before:
                    if fresh is None:
                        fresh = {p for p, rows in delta if len(visible[p].rows) == len(rows)}
                    if not before.isdisjoint(fresh):
                        continue
                work.append((rule_index, premise, pred))
    work.sort()
    for rule_index, premise, pred in work:
        fns[rule_index][1][premise](visible, G, by_pred[pred], new, level)


# Up to this many rows, the level-1 rule index reads a relation's rows instead of indexing it.
_SCAN_ROWS = 8


def _level1_rules(schedule: _Schedule, nonempty: set[str], G: dict[str, Relation]) -> list[int]:
    """The rules of a stratum that may fire at level 1: every premise predicate has facts, and a
    keyed rule's constant is among its premise's values. ``nonempty`` holds the predicates with
    facts that not every evaluation has."""
    rules = list(schedule.always)
    index = schedule.index
    # the predicates with facts that file rules, in any order (the rules are sorted at the end)
    if len(index) < len(nonempty):
        filing = [p for p in index if p in nonempty]
    else:
        filing = [p for p in nonempty if p in index]
    for pred in filing:
        groups, keys = index[pred]
        for needs, ids in groups:
            if needs <= nonempty:
                rules.extend(ids)
        for pos, by_value in keys:
            rows = G[pred].rows
            if len(rows) == 1:  # one row (an action attribute): its value, looked up
                for row in rows:
                    found = by_value.get(row[pos])
                    if found:
                        for rule, others in found:
                            if others <= nonempty:
                                rules.append(rule)
            else:
                _keyed_rules(G[pred], pos, by_value, nonempty, rules)
    for pred, pos, by_value in schedule.keyed_present:
        _keyed_rules(G[pred], pos, by_value, nonempty, rules)
    rules.sort()
    return rules


def _keyed_rules(
    rel: Relation,
    pos: int,
    by_value: Mapping[Value, tuple[tuple[int, frozenset[str]], ...]],
    nonempty: set[str],
    rules: list[int],
) -> None:
    """Add the rules keyed on a constant that column ``pos`` of ``rel`` holds (and whose other
    premise predicates have facts) to ``rules``."""
    rows = rel.rows
    n = len(rows)
    if n == 1:  # one row (an action attribute): its value, looked up
        for row in rows:
            found = by_value.get(row[pos])
            hits = [found] if found else []
    elif n <= _SCAN_ROWS:  # a few rows: read them, build no index
        hits = [found for v in {row[pos] for row in rows} if (found := by_value.get(v))]
    else:
        idx = rel.index((pos,))
        if len(idx) < len(by_value):
            hits = [found for v in idx if (found := by_value.get(v))]
        else:
            hits = [found for v, found in by_value.items() if v in idx]
    for found in hits:
        for rule, others in found:
            if others <= nonempty:
                rules.append(rule)
