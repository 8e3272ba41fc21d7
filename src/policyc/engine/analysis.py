"""Analysis: an ordered list of named passes from parsed rules to an immutable analysed program.

    collect   → facts apart from rules; predicate arities            (arity_mismatch)
    builtins  → built-in names, arities, constant patterns           (unknown_builtin, builtin_arity,
                                                                      invalid_pattern)
    safety    → every variable bound by a positive atom or binding  (unsafe_variable)
    stratify  → strata over negation                                 (cyclic_negation)
    plan      → join orders, delta plans and the rule index          (needs all the above clean)

Every checking pass runs even when an earlier one found errors, so a program's errors are all
reported together. The evaluator trusts what this module proved and checks none of it again.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from policyc.engine.builtins import BUILTINS, check_pattern
from policyc.engine.errors import (
    ArityMismatch,
    BuiltinArity,
    CyclicNegation,
    DatalogError,
    DatalogErrors,
    InvalidPattern,
    Position,
    UnknownBuiltin,
    UnsafeVariable,
)
from policyc.engine.ir import (
    Atom,
    BuiltinCall,
    Comparison,
    Const,
    Expr,
    Literal,
    Negation,
    Rule,
    Value,
    Var,
    expr_vars,
    literal_vars,
)

# ---------------------------------------------------------------------------------------------
# plans: the steps of a rule body in execution order


@dataclass(frozen=True, slots=True)
class Scan:
    """Join a positive atom: look up the tuples matching its bound positions."""

    premise: int  # index among the rule's positive atoms (source order)
    atom: Atom
    bound: tuple[int, ...]  # argument positions bound before the scan (constants and bound vars)
    from_delta: bool = False


@dataclass(frozen=True, slots=True)
class Absent:
    atom: Atom
    bound: tuple[int, ...]  # non-anonymous positions (all bound, by safety)


@dataclass(frozen=True, slots=True)
class Check:
    """A comparison with both sides bound."""

    cmp: Comparison


@dataclass(frozen=True, slots=True)
class Assign:
    """``Var = Expr`` (either way round) where only ``Var`` is unbound: binds it."""

    var: Var
    expr: Expr
    cmp: Comparison


@dataclass(frozen=True, slots=True)
class Call:
    call: BuiltinCall
    binds: tuple[int, ...]  # output positions that are unbound variables, bound by this call


Step = Scan | Absent | Check | Assign | Call


@dataclass(frozen=True, slots=True)
class RulePlan:
    rule_index: int
    rule: Rule
    positives: tuple[Atom, ...]  # positive atoms in source order
    variables: tuple[str, ...]  # named variables in sorted order
    # Variables bound by assignments or built-in outputs, not by a positive atom: the only values
    # a witness stores besides the premise tuples (the rest is read back from those tuples).
    extra: tuple[str, ...]
    full: tuple[Step, ...]
    deltas: tuple[tuple[Step, ...], ...]  # one per positive atom, that atom scanned from the delta


@dataclass(frozen=True, slots=True)
class Stratum:
    number: int
    predicates: frozenset[str]
    rules: tuple[int, ...]  # rule indexes (into AnalysedProgram.rules), in source order
    # Level-1 rule index: rules whose positive premises all lie in lower strata. A rule with a
    # constant in such a premise is filed under (predicate, position, constant) — the most
    # selective one: the position with the most distinct constants across the program — and only
    # runs if a fact with that constant exists. The others are grouped by the predicates of their
    # positive premises and run only if each of those has facts (no premise: always).
    level1_guarded: tuple[tuple[frozenset[str], tuple[int, ...]], ...]
    # (rule, the other premise predicates that must have facts too)
    level1_keyed: Mapping[tuple[str, int], Mapping[Value, tuple[tuple[int, frozenset[str]], ...]]]
    # Delta triggers: predicate → (rule index, premise) pairs, in rule order.
    triggers: Mapping[str, tuple[tuple[int, int], ...]]
    # Predicates of lower strata (or inputs) that rules of this stratum read positively.
    lower_inputs: frozenset[str]


@dataclass(frozen=True)
class AnalysedProgram:
    """The immutable result of analysis: what the evaluator runs."""

    rules: tuple[Rule, ...]  # every rule with a body or a variable (facts excluded)
    facts: tuple[tuple[str, tuple[Value, ...], Position | None], ...]  # facts of the text
    arities: dict[str, int]
    derived: frozenset[str]  # predicates defined by rules
    strata: tuple[Stratum, ...]
    plans: tuple[RulePlan, ...]
    stratum_of: dict[str, int] = field(default_factory=dict)

    @property
    def predicates(self) -> frozenset[str]:
        return frozenset(self.arities)


# ---------------------------------------------------------------------------------------------
# the pass pipeline


@dataclass
class _State:
    source_rules: Sequence[Rule]
    errors: list[DatalogError] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    facts: list[tuple[str, tuple[Value, ...], Position | None]] = field(default_factory=list)
    arities: dict[str, int] = field(default_factory=dict)
    arity_at: dict[str, Position | None] = field(default_factory=dict)
    strata: list[Stratum] = field(default_factory=list)
    stratum_of: dict[str, int] = field(default_factory=dict)
    strata_rules: list[list[int]] = field(default_factory=list)
    plans: list[RulePlan] = field(default_factory=list)


def _collect(st: _State) -> None:
    # Facts are rules with an empty body and a ground head; everything else is evaluated.
    for rule in st.source_rules:
        atoms: list[Atom] = [rule.head]
        for lit in rule.body:
            if isinstance(lit, Atom):
                atoms.append(lit)
            elif isinstance(lit, Negation):
                atoms.append(lit.atom)
        for a in atoms:
            known = st.arities.get(a.predicate)
            if known is None:
                st.arities[a.predicate] = a.arity
                st.arity_at[a.predicate] = a.position
            elif known != a.arity:
                st.errors.append(
                    ArityMismatch(
                        f"predicate '{a.predicate}' is used with {a.arity} argument(s) here but "
                        f"with {known} at {st.arity_at[a.predicate]}",
                        a.position,
                    )
                )
        if rule.is_fact:
            values = tuple(a.value for a in rule.head.args if isinstance(a, Const))
            st.facts.append((rule.head.predicate, values, rule.source))
        else:
            st.rules.append(rule)


def _check_builtins(st: _State) -> None:
    for rule in st.rules:
        for lit in rule.body:
            if not isinstance(lit, BuiltinCall):
                continue
            b = BUILTINS.get(lit.name)
            if b is None:
                hint = difflib.get_close_matches(lit.name, list(BUILTINS), n=1, cutoff=0.75)
                more = f"; did you mean @{hint[0]}?" if hint else ""
                st.errors.append(
                    UnknownBuiltin(
                        f"unknown built-in '@{lit.name}'{more} (built-ins: "
                        + ", ".join(sorted(BUILTINS))
                        + ")",
                        lit.position,
                    )
                )
                continue
            if len(lit.args) != b.arity:
                st.errors.append(
                    BuiltinArity(
                        f"built-in '@{lit.name}' takes {b.arity} argument(s), got {len(lit.args)}"
                        f" ({b.doc})",
                        lit.position,
                    )
                )
                continue
            if b.pattern_arg is not None:
                arg = lit.args[b.pattern_arg]
                if isinstance(arg, Const):
                    if type(arg.value) is not str:
                        st.errors.append(
                            InvalidPattern(
                                f"the pattern of '@{lit.name}' must be a string", arg.position
                            )
                        )
                    else:
                        problem = check_pattern(b.pattern_kind, arg.value)
                        if problem:
                            st.errors.append(InvalidPattern(problem, arg.position or lit.position))


def _bindings(rule: Rule) -> set[str]:
    """Variables a body binds: positive atoms, then assignments and built-in outputs to fixpoint."""
    bound = {
        v.name
        for lit in rule.body
        if isinstance(lit, Atom)
        for v in lit.args
        if isinstance(v, Var) and not v.anonymous
    }
    changed = True
    while changed:
        changed = False
        for lit in rule.body:
            if isinstance(lit, Comparison) and lit.op == "=":
                target = _assign_target(lit, bound)
                if target is not None:
                    bound.add(target[0].name)
                    changed = True
            elif isinstance(lit, BuiltinCall) and not lit.negated:
                b = BUILTINS.get(lit.name)
                if b is None or len(lit.args) != b.arity:
                    continue
                ins = lit.args[: b.inputs]
                if all(not isinstance(a, Var) or a.name in bound for a in ins):
                    for a in lit.args[b.inputs :]:
                        if isinstance(a, Var) and a.name not in bound:
                            bound.add(a.name)
                            changed = True
    return bound


def _assign_target(c: Comparison, bound: set[str]) -> tuple[Var, Expr] | None:
    """If ``c`` is ``V = E`` or ``E = V`` with only ``V`` unbound, return ``(V, E)``."""
    for var, other in ((c.left, c.right), (c.right, c.left)):
        if (
            isinstance(var, Var)
            and not var.anonymous
            and var.name not in bound
            and all(v.name in bound and not v.anonymous for v in expr_vars(other))
        ):
            return var, other
    return None


def _check_safety(st: _State) -> None:
    for rule in st.rules:
        bound = _bindings(rule)

        def unsafe(v: Var, where: str, rule: Rule = rule) -> None:
            name = "'_'" if v.anonymous else f"'{v.name}'"
            st.errors.append(
                UnsafeVariable(
                    f"variable {name} in {where} of rule {rule.id} is never bound: no positive "
                    "atom, assignment or built-in output gives it a value",
                    v.position or rule.position,
                )
            )

        for a in rule.head.args:
            if isinstance(a, Var):
                if a.anonymous:
                    st.errors.append(
                        UnsafeVariable(
                            f"'_' cannot appear in the head of rule {rule.id}",
                            a.position or rule.position,
                        )
                    )
                elif a.name not in bound:
                    unsafe(a, "the head")
        for lit in rule.body:
            if isinstance(lit, Negation):
                for a in lit.atom.args:
                    if isinstance(a, Var) and not a.anonymous and a.name not in bound:
                        unsafe(a, f"'not {lit.atom.predicate}(...)'")
            elif isinstance(lit, Comparison):
                for v in expr_vars(lit.left) + expr_vars(lit.right):
                    if v.anonymous or v.name not in bound:
                        unsafe(v, f"the comparison '{lit}'")
            elif isinstance(lit, BuiltinCall):
                b = BUILTINS.get(lit.name)
                if b is None or len(lit.args) != b.arity:
                    continue
                # a negated call checks every argument: all must be bound ('_' as an output
                # means "any value": not @lower(X, _) holds when X has no lower case)
                checked = lit.args if lit.negated else lit.args[: b.inputs]
                for pos, a in enumerate(checked):
                    if lit.negated and pos >= b.inputs and isinstance(a, Var) and a.anonymous:
                        continue
                    if isinstance(a, Var) and (a.anonymous or a.name not in bound):
                        where = (
                            f"'not @{lit.name}(...)'"
                            if lit.negated
                            else f"the input of '@{lit.name}'"
                        )
                        unsafe(a, where)


def _stratify(st: _State) -> None:
    # Dependency graph over derived predicates: head → body predicate, marked negative or not.
    derived = sorted({r.head.predicate for r in st.rules})
    deps: dict[str, dict[str, bool]] = {p: {} for p in derived}  # p → {q: negative?}
    where: dict[tuple[str, str], Position | None] = {}
    for r in st.rules:
        h = r.head.predicate
        for lit in r.body:
            if isinstance(lit, Atom) and lit.predicate in deps:
                deps[h].setdefault(lit.predicate, False)
            elif isinstance(lit, Negation) and lit.atom.predicate in deps:
                deps[h][lit.atom.predicate] = True
                where.setdefault((h, lit.atom.predicate), lit.position)
    sccs = _tarjan(derived, {p: sorted(d) for p, d in deps.items()})
    comp: dict[str, int] = {}
    for i, scc in enumerate(sccs):
        for p in scc:
            comp[p] = i
    # Negation inside a strongly connected component cannot be stratified.
    for scc in sccs:
        members = set(scc)
        for p in sorted(scc):
            for q, neg in sorted(deps[p].items()):
                if neg and q in members:
                    cycle = _cycle_path(q, p, deps, members)
                    if p == q:
                        st.errors.append(
                            CyclicNegation(
                                f"'{p}' depends negatively on itself; negation through "
                                "recursion cannot be stratified",
                                where.get((p, q)),
                            )
                        )
                        continue
                    st.errors.append(
                        CyclicNegation(
                            f"'{p}' depends negatively on '{q}', which depends on '{p}' again "
                            f"(cycle: {' -> '.join([p, *cycle])}); negation through recursion "
                            "cannot be stratified",
                            where.get((p, q)),
                        )
                    )
    if st.errors:
        return
    # Tarjan yields components dependencies-first, so one forward sweep computes strata:
    # a positive dependency may share a stratum, a negative one forces the next.
    stratum: dict[str, int] = {}
    for scc in sccs:
        level = 0
        members = set(scc)
        for p in scc:
            for q, neg in deps[p].items():
                if q not in members:
                    level = max(level, stratum[q] + (1 if neg else 0))
        for p in scc:
            stratum[p] = level
    st.stratum_of = stratum
    count = max(stratum.values(), default=-1) + 1
    st.strata_rules = [[] for _ in range(count)]
    for i, r in enumerate(st.rules):
        st.strata_rules[stratum[r.head.predicate]].append(i)


def _tarjan(nodes: list[str], edges: dict[str, list[str]]) -> list[list[str]]:
    """Strongly connected components, dependencies first; iterative (no deep Python recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for root in nodes:
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            v, i = work.pop()
            if i == 0:
                index[v] = low[v] = counter
                counter += 1
                stack.append(v)
                on_stack.add(v)
            succ = edges.get(v, [])
            recurse = False
            while i < len(succ):
                w = succ[i]
                i += 1
                if w not in index:
                    work.append((v, i))
                    work.append((w, 0))
                    recurse = True
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            if recurse:
                continue
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                out.append(sorted(comp))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[v])
    return out


def _cycle_path(
    start: str, goal: str, deps: dict[str, dict[str, bool]], members: set[str]
) -> list[str]:
    """Predicates from ``start`` back to ``goal`` inside one component (breadth-first)."""
    prev: dict[str, str | None] = {start: None}
    queue = [start]
    while queue:
        p = queue.pop(0)
        if p == goal:
            break
        for q in sorted(deps[p]):
            if q in members and q not in prev:
                prev[q] = p
                queue.append(q)
    path: list[str] = []
    node: str | None = goal
    while node is not None:
        path.append(node)
        node = prev.get(node)
    path.reverse()
    return path


def _plan(st: _State) -> None:
    if st.errors:
        return
    for i, rule in enumerate(st.rules):
        positives = tuple(lit for lit in rule.body if isinstance(lit, Atom))
        names = sorted(
            {v.name for lit in rule.body for v in literal_vars(lit) if not v.anonymous}
            | {v.name for v in rule.head.args if isinstance(v, Var)}
        )
        full = _order(rule, positives, None)
        deltas = tuple(_order(rule, positives, k) for k in range(len(positives)))
        in_atoms = {v.name for a in positives for v in a.args if isinstance(v, Var)}
        extra = tuple(n for n in names if n not in in_atoms)
        st.plans.append(RulePlan(i, rule, positives, tuple(names), extra, full, deltas))
    # how many distinct constants each (predicate, position) is matched against: the more, the
    # fewer rules a fact with one of them can wake, so the better a key it makes
    spread: dict[tuple[str, int], set[Value]] = {}
    keys = [_keys(plan) for plan in st.plans]
    for rule_keys in keys:
        for where, value in rule_keys:
            spread.setdefault(where, set()).add(value)
    selectivity = {k: len(v) for k, v in spread.items()}
    for number, rule_ids in enumerate(st.strata_rules):
        preds = frozenset(st.rules[i].head.predicate for i in rule_ids)
        guarded: dict[tuple[str, ...], list[int]] = {}
        keyed: dict[tuple[str, int], dict[Value, list[tuple[int, frozenset[str]]]]] = {}
        triggers: dict[str, list[tuple[int, int]]] = {}
        lower: set[str] = set()
        for i in rule_ids:
            plan = st.plans[i]
            for k, atom in enumerate(plan.positives):
                triggers.setdefault(atom.predicate, []).append((i, k))
                if atom.predicate not in preds:
                    lower.add(atom.predicate)
            if any(a.predicate in preds for a in plan.positives):
                continue  # runs only when one of its in-stratum premises gains facts
            needs = tuple(sorted({a.predicate for a in plan.positives}))
            key = _discriminator(keys[i], selectivity)
            if key is None:
                guarded.setdefault(needs, []).append(i)
            else:
                (pred, pos), value = key
                others = frozenset(needs) - {pred}
                keyed.setdefault((pred, pos), {}).setdefault(value, []).append((i, others))
        st.strata.append(
            Stratum(
                number,
                preds,
                tuple(rule_ids),
                tuple((frozenset(needs), tuple(ids)) for needs, ids in sorted(guarded.items())),
                {
                    k: {v: tuple(ids) for v, ids in by_value.items()}
                    for k, by_value in keyed.items()
                },
                {p: tuple(sorted(t)) for p, t in sorted(triggers.items())},
                frozenset(lower),
            )
        )


def _keys(plan: RulePlan) -> list[tuple[tuple[str, int], Value]]:
    """Every (predicate, position) = constant a premise of the rule requires: constants in its
    positive atoms, and variables of those atoms that an equality ``X = c`` fixes."""
    fixed: dict[str, Value] = {}
    for lit in plan.rule.body:
        if isinstance(lit, Comparison) and lit.op == "=":
            for var, const in ((lit.left, lit.right), (lit.right, lit.left)):
                if isinstance(var, Var) and isinstance(const, Const) and not var.anonymous:
                    fixed.setdefault(var.name, const.value)
    out = []
    for atom in plan.positives:
        for pos, a in enumerate(atom.args):
            if isinstance(a, Const):
                out.append(((atom.predicate, pos), a.value))
            elif isinstance(a, Var) and a.name in fixed:
                out.append(((atom.predicate, pos), fixed[a.name]))
    return out


def _discriminator(
    keys: Sequence[tuple[tuple[str, int], Value]], selectivity: Mapping[tuple[str, int], int]
) -> tuple[tuple[str, int], Value] | None:
    """The key to file a rule under: the most selective (ties: the first)."""
    best: tuple[tuple[str, int], Value] | None = None
    best_score = 0
    for where, value in keys:
        score = selectivity.get(where, 1)
        if score > best_score:
            best, best_score = (where, value), score
    return best


def _order(rule: Rule, positives: tuple[Atom, ...], delta: int | None) -> tuple[Step, ...]:
    """A join order: the delta atom first, filters as soon as their inputs are bound, then the
    positive atom with the most bound arguments (ties in source order)."""
    bound: set[str] = set()
    steps: list[Step] = []
    atoms = list(enumerate(positives))
    others = [lit for lit in rule.body if not isinstance(lit, Atom)]

    def scan(k: int, atom: Atom, from_delta: bool) -> None:
        positions = tuple(
            p
            for p, a in enumerate(atom.args)
            if isinstance(a, Const) or (isinstance(a, Var) and a.name in bound)
        )
        steps.append(Scan(k, atom, positions, from_delta))
        bound.update(a.name for a in atom.args if isinstance(a, Var) and not a.anonymous)

    if delta is not None:
        scan(delta, positives[delta], True)
        atoms = [(k, a) for k, a in atoms if k != delta]

    while True:
        progressed = True
        while progressed:
            progressed = False
            for lit in list(others):
                step = _ready(lit, bound)
                if step is not None:
                    steps.append(step)
                    others.remove(lit)
                    if isinstance(step, Assign):
                        bound.add(step.var.name)
                    elif isinstance(step, Call):
                        bound.update(
                            a.name for p in step.binds if isinstance(a := step.call.args[p], Var)
                        )
                    progressed = True
        if not atoms:
            break
        best = max(
            atoms,
            key=lambda ka: (
                sum(
                    1
                    for a in ka[1].args
                    if isinstance(a, Const) or (isinstance(a, Var) and a.name in bound)
                ),
                -ka[0],
            ),
        )
        atoms.remove(best)
        scan(best[0], best[1], False)
    assert not others, f"unplaceable literals in {rule.id}: {others}"  # excluded by safety
    return tuple(steps)


def _ready(lit: Literal, bound: set[str]) -> Step | None:
    if isinstance(lit, Negation):
        if all(not isinstance(a, Var) or a.anonymous or a.name in bound for a in lit.atom.args):
            positions = tuple(
                p for p, a in enumerate(lit.atom.args) if not (isinstance(a, Var) and a.anonymous)
            )
            return Absent(lit.atom, positions)
        return None
    if isinstance(lit, Comparison):
        vs = expr_vars(lit.left) + expr_vars(lit.right)
        if all(v.name in bound for v in vs):
            return Check(lit)
        if lit.op == "=":
            target = _assign_target(lit, bound)
            if target is not None:
                return Assign(target[0], target[1], lit)
        return None
    if isinstance(lit, BuiltinCall):
        b = BUILTINS[lit.name]
        if lit.negated:
            if all(
                not isinstance(a, Var) or a.name in bound or (a.anonymous and p >= b.inputs)
                for p, a in enumerate(lit.args)
            ):
                return Call(lit, ())
            return None
        ins = lit.args[: b.inputs]
        if all(not isinstance(a, Var) or a.name in bound for a in ins):
            binds = tuple(
                b.inputs + p
                for p, a in enumerate(lit.args[b.inputs :])
                if isinstance(a, Var) and not a.anonymous and a.name not in bound
            )
            # A variable repeated among outputs is bound by its first occurrence only.
            seen: set[str] = set()
            unique = []
            for p in binds:
                arg = lit.args[p]
                assert isinstance(arg, Var)
                if arg.name not in seen:
                    seen.add(arg.name)
                    unique.append(p)
            return Call(lit, tuple(unique))
        return None
    return None


PASSES: tuple[tuple[str, Callable[[_State], None]], ...] = (
    ("collect", _collect),
    ("builtins", _check_builtins),  # after collect: needs the rules apart from the facts
    ("safety", _check_safety),  # after builtins: built-in modes decide what binds
    ("stratify", _stratify),  # independent of safety, but runs after it to report in order
    ("plan", _plan),  # last: only for programs without errors
)


def analyse(rules: Sequence[Rule], *, until: str | None = None) -> AnalysedProgram:
    """Run the passes (up to and including ``until``); raise :class:`DatalogErrors` on errors."""
    names = [n for n, _ in PASSES]
    if until is not None and until not in names:
        raise ValueError(f"unknown pass {until!r}; passes: {', '.join(names)}")
    st = _State(rules)
    for name, run in PASSES:
        run(st)
        if name == until:
            break
    if st.errors:
        raise DatalogErrors(st.errors)
    derived = frozenset(r.head.predicate for r in st.rules)
    return AnalysedProgram(
        tuple(st.rules),
        tuple(st.facts),
        dict(st.arities),
        derived,
        tuple(st.strata),
        tuple(st.plans),
        dict(st.stratum_of),
    )
