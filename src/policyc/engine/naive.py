"""A plain naive bottom-up evaluator, kept beside the fast one as the oracle its tests compare to.

Nothing here is clever on purpose: its own stratification (a fixpoint over levels), every rule of a
stratum re-run over the whole model until nothing changes, rule bodies interpreted literal by
literal from the IR with no plans, indexes or generated code. Only the value semantics are shared
with the fast evaluator (comparisons, arithmetic and built-ins), because those are definitions,
not algorithms. Minimal proof heights are found by levels over the finished model.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from policyc.engine.analysis import AnalysedProgram
from policyc.engine.builtins import BUILTINS, NO_VALUE
from policyc.engine.codegen import COMPARE, eval_expr
from policyc.engine.ir import (
    Atom,
    BuiltinCall,
    Comparison,
    Const,
    Expr,
    Literal,
    Negation,
    Rule,
    Term,
    Value,
    Var,
    expr_vars,
    to_engine_value,
)

Row = tuple[Value, ...]
Env = dict[str, Value]
Relations = dict[str, set[Row]]
FactKey = tuple[str, Row]
InputFacts = Mapping[str, Iterable[Sequence[object]]]


def naive_model(analysed: AnalysedProgram, facts: InputFacts | None = None) -> Relations:
    """The model: predicate → its rows (engine values), for every predicate of the program and input."""
    model = _base(analysed, facts)
    for rules in _strata(analysed):
        changed = True
        while changed:
            changed = False
            for rule in rules:
                for env in _solve(rule.body, model, model):
                    row = _instantiate(rule.head.args, env)
                    rel = model[rule.head.predicate]
                    if row not in rel:
                        rel.add(row)
                        changed = True
    return model


def naive_heights(
    analysed: AnalysedProgram,
    facts: InputFacts | None = None,
    model: Relations | None = None,
) -> dict[FactKey, int]:
    """The minimal proof height of every fact of the model.

    Input and program facts have height 0; a derived fact has height ``1 + max`` of the heights of
    its positive premises (``1`` with none), minimised over all its derivations. Level ``L`` adds
    the facts derivable from facts of height below ``L``, with negation read from the final model.
    """
    if model is None:
        model = naive_model(analysed, facts)
    known = _base(analysed, facts)
    heights: dict[FactKey, int] = {(p, t): 0 for p, rows in known.items() for t in rows}
    level = 0
    while True:
        level += 1
        found: set[FactKey] = set()
        for rule in analysed.rules:
            for env in _solve(rule.body, known, model):
                key = (rule.head.predicate, _instantiate(rule.head.args, env))
                if key not in heights:
                    found.add(key)
        if not found:
            return heights
        for pred, row in found:
            heights[(pred, row)] = level
            known[pred].add(row)


# ---------------------------------------------------------------------------------------------


def _base(analysed: AnalysedProgram, facts: InputFacts | None) -> Relations:
    """Every predicate → its facts from the program text and the input (nothing derived yet)."""
    out: Relations = {p: set() for p in analysed.arities}
    for pred, values, _pos in analysed.facts:
        out[pred].add(values)
    for pred, rows in (facts or {}).items():
        rel = out.setdefault(pred, set())
        for row in rows:
            rel.add(tuple(to_engine_value(v) for v in row))
    return out


def _strata(analysed: AnalysedProgram) -> list[list[Rule]]:
    """Rules grouped by stratum, lowest first: the least levels with ``level(head) >= level(q)`` for
    a positive premise ``q`` and ``level(head) > level(q)`` for a negated one."""
    derived = {r.head.predicate for r in analysed.rules}
    level = dict.fromkeys(derived, 0)
    changed = True
    while changed:
        changed = False
        for rule in analysed.rules:
            head = rule.head.predicate
            for lit in rule.body:
                if isinstance(lit, Atom) and lit.predicate in derived:
                    need = level[lit.predicate]
                elif isinstance(lit, Negation) and lit.atom.predicate in derived:
                    need = level[lit.atom.predicate] + 1
                else:
                    continue
                if level[head] < need:
                    if need > len(derived):
                        raise ValueError(f"the program is not stratified (at '{head}')")
                    level[head] = need
                    changed = True
    count = max(level.values(), default=-1) + 1
    out: list[list[Rule]] = [[] for _ in range(count)]
    for rule in analysed.rules:
        out[level[rule.head.predicate]].append(rule)
    return out


def _instantiate(args: Sequence[Term], env: Env) -> Row:
    return tuple(a.value if isinstance(a, Const) else env[a.name] for a in args)


def _solve(body: Sequence[Literal], positive: Relations, negative: Relations) -> list[Env]:
    """Every binding of the body's variables that satisfies it: positive atoms read ``positive``,
    negated atoms ``negative``. Literals run in source order, except that a literal that needs
    bound variables waits until they are (each environment binds the same variables)."""
    envs: list[Env] = [{}]
    bound: set[str] = set()
    pending = list(body)
    while pending and envs:
        lit = pending.pop(_next(pending, bound))
        out: list[Env] = []
        for env in envs:
            out.extend(_run(lit, env, positive, negative))
        envs = out
        bound.update(_named_vars(lit))
    return envs


def _named_vars(lit: Literal) -> list[str]:
    if isinstance(lit, Atom | BuiltinCall):
        terms: list[Var] = [a for a in lit.args if isinstance(a, Var)]
    elif isinstance(lit, Negation):
        terms = [a for a in lit.atom.args if isinstance(a, Var)]
    else:
        terms = expr_vars(lit.left) + expr_vars(lit.right)
    return [v.name for v in terms if not v.anonymous]


def _next(pending: Sequence[Literal], bound: set[str]) -> int:
    """The first literal that can run now other than a positive atom, else the first positive atom."""
    for i, lit in enumerate(pending):
        if isinstance(lit, Negation):
            if all(n in bound for n in _named_vars(lit)):
                return i
        elif isinstance(lit, Comparison):
            if all(n in bound for n in _named_vars(lit)) or _assignment(lit, bound) is not None:
                return i
        elif isinstance(lit, BuiltinCall):
            inputs = lit.args[: BUILTINS[lit.name].inputs]
            if all(not isinstance(a, Var) or a.name in bound for a in inputs):
                return i
    for i, lit in enumerate(pending):
        if isinstance(lit, Atom):
            return i
    raise ValueError(f"no literal of {list(map(str, pending))} can run (unsafe rule)")


def _assignment(c: Comparison, bound: set[str]) -> tuple[Var, Expr] | None:
    """``V = E`` or ``E = V`` with ``V`` the only unbound variable: ``(V, E)``."""
    if c.op != "=":
        return None
    for var, other in ((c.left, c.right), (c.right, c.left)):
        if (
            isinstance(var, Var)
            and not var.anonymous
            and var.name not in bound
            and all(not v.anonymous and v.name in bound for v in expr_vars(other))
        ):
            return var, other
    return None


def _run(lit: Literal, env: Env, positive: Relations, negative: Relations) -> list[Env]:
    if isinstance(lit, Atom):
        out: list[Env] = []
        for row in positive.get(lit.predicate, set()):
            matched = _match(lit.args, row, env)
            if matched is not None:
                out.append(matched)
        return out
    if isinstance(lit, Negation):
        rows = negative.get(lit.atom.predicate, set())
        if any(_match(lit.atom.args, row, env) is not None for row in rows):
            return []
        return [env]
    if isinstance(lit, Comparison):
        names = _named_vars(lit)
        if all(n in env for n in names):
            ok = COMPARE[lit.op](eval_expr(lit.left, env), eval_expr(lit.right, env))
            return [env] if ok else []
        target = _assignment(lit, set(env))
        assert target is not None, f"'{lit}' cannot run"
        var, other = target
        value = eval_expr(other, env)
        if value is NO_VALUE:
            return []
        return [{**env, var.name: value}]  # type: ignore[dict-item]
    return _call(lit, env)


def _call(call: BuiltinCall, env: Env) -> list[Env]:
    b = BUILTINS[call.name]
    inputs = [a.value if isinstance(a, Const) else env[a.name] for a in call.args[: b.inputs]]
    if b.outputs == 0:
        return [env] if b.fn(*inputs) else []
    value = b.fn(*inputs)
    if value is NO_VALUE:
        return []
    out = call.args[b.inputs]
    if isinstance(out, Var):
        if out.anonymous:
            return [env]
        if out.name not in env:
            return [{**env, out.name: value}]
        return [env] if env[out.name] == value else []
    return [env] if out.value == value else []


def _match(args: Sequence[Term], row: Row, env: Env) -> Env | None:
    """``env`` extended so that ``args`` equal ``row``, or None."""
    out = env
    for a, v in zip(args, row, strict=True):
        if isinstance(a, Const):
            if a.value != v:
                return None
        elif a.anonymous:
            continue
        elif a.name in out:
            if out[a.name] != v:
                return None
        else:
            if out is env:
                out = dict(env)
            out[a.name] = v
    return out
