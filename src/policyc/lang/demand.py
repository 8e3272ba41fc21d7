"""The demand transformation: helper predicates whose arguments their own body cannot bind.

Policy helpers read like functions of their arguments::

    secret_file(P) :- secret_glob(G), glob(P, G), not public_file(P).

Bottom-up, ``P`` is bound by nothing, so the rule is unsafe. Such a predicate is computed on
demand instead (the magic-sets idea, restricted to the positions that need it): each of its rules
gains a premise ``demand.secret_file(P)``, and every place that uses ``secret_file(X)`` adds a rule
deriving ``demand.secret_file(X)`` from what that place has bound. Proofs keep the helper as a
node of its own (with its demand as a premise), so explanations still read like the policy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from policyc.engine.builtins import BUILTINS
from policyc.engine.ir import (
    Atom,
    BuiltinCall,
    Comparison,
    Literal,
    Negation,
    Rule,
    Term,
    Var,
    expr_vars,
)

DEMAND_PREFIX = "demand."


def _bound(body: Sequence[Literal], needs: dict[str, set[int]]) -> set[str]:
    bound: set[str] = set()
    for lit in body:
        if isinstance(lit, Atom):
            skip = needs.get(lit.predicate, set())
            for i, a in enumerate(lit.args):
                if isinstance(a, Var) and not a.anonymous and i not in skip:
                    bound.add(a.name)
    changed = True
    while changed:
        changed = False
        for lit in body:
            if isinstance(lit, Comparison) and lit.op == "=":
                for var, other in ((lit.left, lit.right), (lit.right, lit.left)):
                    if (
                        isinstance(var, Var)
                        and not var.anonymous
                        and var.name not in bound
                        and all(v.name in bound for v in expr_vars(other))
                    ):
                        bound.add(var.name)
                        changed = True
            elif isinstance(lit, BuiltinCall) and not lit.negated and lit.name in BUILTINS:
                b = BUILTINS[lit.name]
                if len(lit.args) == b.arity and all(
                    not isinstance(a, Var) or a.name in bound for a in lit.args[: b.inputs]
                ):
                    for a in lit.args[b.inputs :]:
                        if isinstance(a, Var) and not a.anonymous and a.name not in bound:
                            bound.add(a.name)
                            changed = True
    return bound


def demand_positions(rules: Sequence[Rule], roots: tuple[str, ...] = ()) -> dict[str, set[int]]:
    """For each derived predicate, the argument positions its rules cannot bind themselves.
    Predicates starting with a ``roots`` prefix are what callers ask for: never on demand."""
    needs: dict[str, set[int]] = {}
    changed = True
    while changed:
        changed = False
        for r in rules:
            if (not r.body and r.is_fact) or r.head.predicate.startswith(roots):
                continue
            bound = _bound(r.body, needs)
            for i, a in enumerate(r.head.args):
                if isinstance(a, Var) and a.name not in bound:
                    s = needs.setdefault(r.head.predicate, set())
                    if i not in s:
                        s.add(i)
                        changed = True
    return {p: s for p, s in needs.items() if s}


@dataclass(frozen=True)
class Unbound:
    """A use of an on-demand predicate whose demanded arguments nothing binds."""

    atom: Atom
    variables: tuple[str, ...]
    rule: Rule


def transform(
    rules: Sequence[Rule], roots: tuple[str, ...] = ()
) -> tuple[list[Rule], list[Unbound]]:
    """Rewrite ``rules`` so that predicates needing demand are computed on demand; also return
    the uses where nothing binds what the predicate needs (each is an unsafe variable)."""
    needs = demand_positions(rules, roots)
    problems: list[Unbound] = []
    if not needs:
        return list(rules), problems
    out: list[Rule] = []
    demand_rules: list[Rule] = []
    counters: dict[str, int] = {}
    for r in rules:
        body = list(r.body)
        positions = needs.get(r.head.predicate)
        if positions and r.body:
            demand_atom = Atom(
                DEMAND_PREFIX + r.head.predicate,
                tuple(r.head.args[i] for i in sorted(positions)),
                r.head.position,
            )
            body.insert(0, demand_atom)
            r = Rule(r.head, tuple(body), r.id, r.source, r.explicit_id, r.position, r.annotations)
        out.append(r)
        for lit in body:
            atom = lit.atom if isinstance(lit, Negation) else lit
            if not isinstance(atom, Atom) or atom.predicate not in needs:
                continue
            pos = sorted(needs[atom.predicate])
            if pos[-1] >= len(atom.args):
                continue  # wrong number of arguments: analysis reports the arity mismatch
            head_args: tuple[Term, ...] = tuple(atom.args[i] for i in pos)
            support: list[Literal] = [
                x
                for x in body
                if isinstance(x, Atom) and x is not atom and x.predicate not in needs
            ]
            bound = _bound(support, needs)
            support += [
                x
                for x in body
                if isinstance(x, Comparison | BuiltinCall)
                and not (isinstance(x, BuiltinCall) and x.negated)
                and _lit_inputs_bound(x, bound)
            ]
            bound = _bound(support, needs)
            missing = tuple(a.name for a in head_args if isinstance(a, Var) and a.name not in bound)
            if missing:
                if positions is None or not any(
                    isinstance(a, Var) and a.name in missing for a in r.head.args
                ):
                    problems.append(Unbound(atom, missing, r))
                continue
            name = DEMAND_PREFIX + atom.predicate
            where = (
                (("source", f"{atom.position.file}:{atom.position.line}:{atom.position.column}"),)
                if atom.position
                else ()
            )
            if not support:  # constant arguments: the demand is a plain fact
                demand_rules.append(
                    Rule(
                        Atom(name, head_args, atom.position),
                        (),
                        "",
                        atom.position,
                        False,
                        atom.position,
                        where,
                    )
                )
                continue
            n = counters[name] = counters.get(name, 0) + 1
            rid = f"{name}#{n}"
            demand_rules.append(
                Rule(
                    Atom(name, head_args, atom.position),
                    tuple(support),
                    rid,
                    atom.position,
                    True,
                    atom.position,
                    (
                        ("id", rid),
                        *(
                            (
                                (
                                    "source",
                                    f"{atom.position.file}:{atom.position.line}:{atom.position.column}",
                                ),
                            )
                            if atom.position
                            else ()
                        ),
                    ),
                )
            )
    return out + demand_rules, problems


def _lit_inputs_bound(lit: Comparison | BuiltinCall, bound: set[str]) -> bool:
    if isinstance(lit, Comparison):
        if lit.op == "=":
            return True  # an assignment binds, a check filters: both are sound in a demand body
        return all(v.name in bound for v in expr_vars(lit.left) + expr_vars(lit.right))
    b = BUILTINS.get(lit.name)
    if b is None:
        return False
    return all(not isinstance(a, Var) or a.name in bound for a in lit.args[: b.inputs])
