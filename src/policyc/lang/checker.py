"""``policyc check``: load, compile, and lint policies; every problem as a positioned diagnostic.

The compiler reports what makes a policy set wrong (unknown names, types, unsafe rules, …);
this module adds what makes it suspicious: rules that can never fire, rules made redundant by
another, allow rules overlapping deny rules, and definitions nothing uses.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from policyc.action.schema import ATTRIBUTES
from policyc.action.vocabulary import ATTRIBUTE_PREFIX
from policyc.engine.builtins import check_pattern
from policyc.engine.decisions import RANK
from policyc.engine.ir import (
    Atom,
    BuiltinCall,
    Comparison,
    Const,
    Literal,
    Negation,
    Rule,
    Term,
    Value,
    Var,
)
from policyc.lang.compiler import Compiler
from policyc.lang.diagnostics import Diagnostic
from policyc.lang.loader import Sources, load, load_texts
from policyc.lang.policy_set import PolicySet


@dataclass
class CheckResult:
    diagnostics: list[Diagnostic]
    policy_set: PolicySet | None
    texts: dict[str, str] = field(default_factory=dict)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "warning"]


_MAYBE_FROM_MISSING_ITEMS = {
    "unknown_predicate",
    "unknown_rule_id",
    "unused_predicate",
    "redundant_rule",
    "allow_overlaps_deny",
    "no_default",
    "unbound_template_variable",
    "unsafe_variable",
    "arity_mismatch",
}


def check_paths(paths: Iterable[str | Path]) -> CheckResult:
    return check_sources(load(paths))


def check_texts(texts: dict[str, str]) -> CheckResult:
    return check_sources(load_texts(texts))


def check_sources(sources: Sources) -> CheckResult:
    diagnostics = list(sources.diagnostics)
    policy_set = None
    broken = any(d.code == "syntax_error" for d in diagnostics)
    compiler = Compiler(sources.modules, sources.entries)
    try:
        policy_set = compiler.run()
        found = compiler.diagnostics + lint(compiler)
        if broken:
            # Items lost to syntax errors may define what others use: report only what
            # cannot be a consequence of a missing item.
            found = [d for d in found if d.code not in _MAYBE_FROM_MISSING_ITEMS]
        diagnostics += found
    except Exception as e:  # fail closed: a crash in the checker refuses the policy set
        diagnostics.append(Diagnostic("internal_error", "error", f"{type(e).__name__}: {e}", None))
        policy_set = None
    if any(d.severity == "error" for d in diagnostics):
        policy_set = None
    # one of each, in a fixed order (position, code, then message: never hash order)
    diagnostics = sorted(dict.fromkeys(diagnostics), key=lambda d: (*d.sort_key(), d.message))
    return CheckResult(diagnostics, policy_set, dict(sources.texts))


# ---------------------------------------------------------------------------------------------
# lints


def lint(c: Compiler) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    # rules that can never fire
    satisfiable: dict[str, list[tuple[tuple[Literal, ...], dict[str, str]]]] = {}
    for rule_id, bodies in c.rule_bodies.items():
        alive = []
        reasons = []
        for literals, attrs in bodies:
            problem = contradiction(literals, attrs)
            if problem is None:
                alive.append((literals, attrs))
            else:
                reasons.append(problem)
        satisfiable[rule_id] = alive
        if bodies and not alive:
            item = c.outcome_items[rule_id]
            out.append(
                Diagnostic(
                    "unreachable_rule",
                    "error",
                    f"rule '{rule_id}' can never fire: {reasons[0]}",
                    item.id_span,
                )
            )
    # redundancy: B fires only when A fires, same effect. Each body of A is filed under its
    # rarest literal; a body of B can only contain A's body if it contains that literal, so
    # candidates come from B's own literals (linear in practice, not quadratic).
    plain = {
        rid: [_canonical(lits, attrs) for lits, attrs in bodies]
        for rid, bodies in satisfiable.items()
        if bodies and not c.outcome_items[rid].unless
    }
    frequency: dict[str, int] = {}
    for canon_bodies in plain.values():
        for body in canon_bodies:
            for lit in body:
                frequency[lit] = frequency.get(lit, 0) + 1
    index: dict[str, list[tuple[str, frozenset[str]]]] = {}
    for rid, canon_bodies in plain.items():
        for body in canon_bodies:
            if body:
                key = min(body, key=lambda lit: (frequency[lit], lit))
                index.setdefault(key, []).append((rid, body))
    for b_id, b_bodies in plain.items():
        b = c.outcome_items[b_id]
        # rules whose bodies all lie inside some body of B, for every body of B
        covering: set[str] | None = None
        for bb in b_bodies:
            found = {
                a_id
                for lit in bb
                for a_id, ab in index.get(lit, ())
                if a_id != b_id and c.outcome_items[a_id].effect == b.effect and ab <= bb
            }
            covering = found if covering is None else covering & found
            if not covering:
                break
        for a_id in sorted(covering or ()):
            a_bodies = plain[a_id]
            # A must cover every body of B, and mutual cover reports only one of the pair
            if not all(any(ab <= bb for ab in a_bodies) for bb in b_bodies):
                continue
            if all(any(bb <= ab for bb in b_bodies) for ab in a_bodies) and a_id > b_id:
                continue
            a = c.outcome_items[a_id]
            out.append(
                Diagnostic(
                    "redundant_rule",
                    "warning",
                    f"rule '{b_id}' is redundant: '{a_id}' ({a.span}) has the same effect "
                    f"and fires whenever '{b_id}' does",
                    b.id_span,
                    "remove one of them, or make their conditions differ",
                )
            )
            break
    # allow overlapping deny (informational)
    allows = [rid for rid in satisfiable if c.outcome_items[rid].effect == "allow"]
    denies = [rid for rid in satisfiable if RANK[c.outcome_items[rid].effect] >= RANK["deny"]]
    for a_id in allows:
        for d_id in denies:  # one note per allow rule is enough to make the point
            if _overlap(satisfiable[a_id], satisfiable[d_id]):
                item = c.outcome_items[a_id]
                out.append(
                    Diagnostic(
                        "allow_overlaps_deny",
                        "info",
                        f"allow rule '{a_id}' and {c.outcome_items[d_id].effect} rule '{d_id}' "
                        f"({c.outcome_items[d_id].span}) can fire on the same action; "
                        f"{c.outcome_items[d_id].effect} wins",
                        item.id_span,
                    )
                )
                break
    out += _pattern_facts(c)
    # definitions nothing uses (in the modules given, not the libraries they import)
    for d in c.defined.values():
        scope = c.scopes.get(d.module)
        if d.used or scope is None or not scope.entry:
            continue
        out.append(
            Diagnostic(
                "unused_predicate",
                "warning",
                f"'{d.name.removeprefix(d.module + '.')}' is defined but no rule uses it",
                d.position,
            )
        )
    return out


def _pattern_facts(c: Compiler) -> list[Diagnostic]:
    """Facts whose values a rule uses as glob or regex patterns must compile, like constants."""
    facts: dict[str, list[Rule]] = {}
    for r in c.rules:
        if r.is_fact:
            facts.setdefault(r.head.predicate, []).append(r)
    out: list[Diagnostic] = []
    seen: set[tuple[str, int, str]] = set()
    for r in c.rules:
        for lit in r.body:
            if not isinstance(lit, BuiltinCall) or lit.name not in (
                "glob",
                "regex",
                "glob_overlap",
            ):
                continue
            kind = "regex" if lit.name == "regex" else "glob"
            pattern = lit.args[1] if len(lit.args) > 1 else None
            if not isinstance(pattern, Var):
                continue
            for atom in r.body:
                if not isinstance(atom, Atom):
                    continue
                for i, a in enumerate(atom.args):
                    if not (isinstance(a, Var) and a.name == pattern.name):
                        continue
                    for fact in facts.get(atom.predicate, ()):
                        value = fact.head.args[i]
                        if not isinstance(value, Const) or not isinstance(value.value, str):
                            continue
                        key = (atom.predicate, i, value.value)
                        if key in seen:
                            continue
                        seen.add(key)
                        problem = check_pattern(kind, value.value)
                        if problem:
                            out.append(
                                Diagnostic(
                                    f"invalid_{kind}",
                                    "error",
                                    f"{problem} (a fact used as a {kind} pattern by rule '{r.id}')",
                                    fact.source,
                                )
                            )
    return out


def _overlap(
    a_bodies: Sequence[tuple[tuple[Literal, ...], dict[str, str]]],
    d_bodies: Sequence[tuple[tuple[Literal, ...], dict[str, str]]],
) -> bool:
    for a_lits, a_attrs in a_bodies:
        for d_lits, d_attrs in d_bodies:
            a_keys = _attribute_keys(a_lits)
            d_keys = _attribute_keys(d_lits)
            if not (a_keys & d_keys):
                continue
            merged = _rename(a_lits, "a.", a_attrs) + _rename(d_lits, "d.", d_attrs)
            attrs = {"a." + k: v for k, v in a_attrs.items()} | {
                "d." + k: v for k, v in d_attrs.items()
            }
            if contradiction(tuple(merged), attrs) is None:
                return True
    return False


def _attribute_keys(literals: Sequence[Literal]) -> set[str]:
    keys = set()
    for lit in literals:
        if isinstance(lit, Atom) and lit.predicate.startswith(ATTRIBUTE_PREFIX):
            keys.add(lit.predicate)
    return keys


def _rename(literals: Sequence[Literal], prefix: str, attrs: dict[str, str]) -> list[Literal]:
    def term(t: Term) -> Term:
        if isinstance(t, Var) and not t.anonymous:
            return Var(prefix + t.name, t.position)
        return t

    out: list[Literal] = []
    for lit in literals:
        if isinstance(lit, Atom):
            out.append(Atom(lit.predicate, tuple(term(a) for a in lit.args), lit.position))
        elif isinstance(lit, Negation):
            a = lit.atom
            out.append(Negation(Atom(a.predicate, tuple(term(x) for x in a.args), a.position)))
        elif (
            isinstance(lit, Comparison)
            and isinstance(lit.left, Var | Const)
            and isinstance(lit.right, Var | Const)
        ):
            out.append(Comparison(lit.op, term(lit.left), term(lit.right), lit.position))
    return out


def _canonical(literals: Sequence[Literal], attrs: dict[str, str]) -> frozenset[str]:
    """Literals as text, with attribute variables named by their attribute (comparable across
    rules); exceptions (``not unless.…``) are left out by the caller."""
    names = {v: f"<{p}>" for v, p in attrs.items()}

    def term(t: Term) -> str:
        if isinstance(t, Var):
            return "_" if t.anonymous else names.get(t.name, t.name)
        return str(t)

    out = set()
    for lit in literals:
        if isinstance(lit, Atom):
            out.add(f"{lit.predicate}({', '.join(term(a) for a in lit.args)})")
        elif isinstance(lit, Negation):
            a = lit.atom
            out.add(f"not {a.predicate}({', '.join(term(x) for x in a.args)})")
        else:
            text = str(lit)
            for v, n in names.items():
                text = text.replace(v, n)
            out.add(text)
    return frozenset(out)


class _Classes:
    """Union-find over variables, attributes and constants, for spotting contradictions."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}
        self.value: dict[str, Value] = {}
        self.problem: str | None = None

    def find(self, k: str) -> str:
        root = k
        while self.parent.get(root, root) != root:
            root = self.parent[root]
        self.parent[k] = root
        return root

    def const(self, v: Value) -> str:
        k = f"const:{type(v).__name__}:{v!r}"
        self.value.setdefault(k, v)
        return k

    def union(self, a: str, b: str, what: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        va, vb = self.value.get(ra), self.value.get(rb)
        if va is not None and vb is not None and not (va == vb and type(va) is type(vb)):
            self.problem = self.problem or f"{what} cannot be both {_show(va)} and {_show(vb)}"
        self.parent[ra] = rb
        if vb is None and va is not None:
            self.value[rb] = va


def _show(v: Value) -> str:
    return f'"{v}"' if isinstance(v, str) else str(v)


def contradiction(literals: Sequence[Literal], attrs: dict[str, str]) -> str | None:
    """Why the conjunction can never hold, or None when no contradiction is evident."""
    cls = _Classes()
    scalar = {p for p, t in ATTRIBUTES.items() if not t.many and t.kind != "object"}

    def key(t: Term) -> str | None:
        if isinstance(t, Const):
            return cls.const(t.value)
        if isinstance(t, Var) and not t.anonymous:
            return f"var:{t.name}"
        return None

    def label(t: Term) -> str:
        if isinstance(t, Var):
            return f"'{attrs.get(t.name, t.name)}'"
        return str(t)

    for lit in literals:
        if isinstance(lit, Atom) and lit.predicate.startswith(ATTRIBUTE_PREFIX):
            path = lit.predicate[len(ATTRIBUTE_PREFIX) :]
            if path in scalar and len(lit.args) == 1:
                k = key(lit.args[0])
                if k is not None:
                    cls.union(f"attr:{path}", k, f"'{path}'")
        elif isinstance(lit, Comparison) and lit.op == "=":
            lk = key(lit.left) if isinstance(lit.left, Var | Const) else None
            rk = key(lit.right) if isinstance(lit.right, Var | Const) else None
            if (
                lk
                and rk
                and isinstance(lit.left, Var | Const)
                and isinstance(lit.right, Var | Const)
            ):
                what = label(lit.left) if isinstance(lit.left, Var) else label(lit.right)
                cls.union(lk, rk, what)
        if cls.problem:
            return cls.problem
    # disequalities and bounds
    bounds: dict[str, list[tuple[str, float]]] = {}
    for lit in literals:
        if not isinstance(lit, Comparison) or not (
            isinstance(lit.left, Var | Const) and isinstance(lit.right, Var | Const)
        ):
            continue
        lk, rk = key(lit.left), key(lit.right)
        if lk is None or rk is None:
            continue
        rl, rr = cls.find(lk), cls.find(rk)
        if lit.op == "!=":
            vl, vr = cls.value.get(rl), cls.value.get(rr)
            if rl == rr or (
                vl is not None and vr is not None and vl == vr and type(vl) is type(vr)
            ):
                return f"{lit} contradicts an equality of the same rule"
        elif lit.op in ("<", "<=", ">", ">="):
            op, var_root, num = lit.op, rl, cls.value.get(rr)
            if num is None:
                op = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}[op]
                var_root, num = rr, cls.value.get(rl)
            if isinstance(num, int | float) and not isinstance(num, bool):
                bounds.setdefault(var_root, []).append((op, float(num)))
    for root, bs in bounds.items():
        lo, lo_strict, hi, hi_strict = float("-inf"), False, float("inf"), False
        for op, n in bs:
            if op in (">", ">=") and (n > lo or (n == lo and op == ">")):
                lo, lo_strict = n, op == ">"
            if op in ("<", "<=") and (n < hi or (n == hi and op == "<")):
                hi, hi_strict = n, op == "<"
        fixed = cls.value.get(root)
        if isinstance(fixed, int | float) and not isinstance(fixed, bool):
            lo2, hi2 = float(fixed), float(fixed)
            if lo2 < lo or (lo2 == lo and lo_strict) or hi2 > hi or (hi2 == hi and hi_strict):
                return f"the value {fixed} is outside the bounds the rule also requires"
        if lo > hi or (lo == hi and (lo_strict or hi_strict)):
            return "its numeric bounds exclude every value"

    # p(x) together with not p(x)
    def canon(a: Atom) -> str:
        parts = []
        for t in a.args:
            k = key(t)
            parts.append("?" if k is None else cls.find(k))
        return f"{a.predicate}({','.join(parts)})"

    positives = {canon(lit) for lit in literals if isinstance(lit, Atom)}
    for lit in literals:
        if (
            isinstance(lit, Negation)
            and "?" not in canon(lit.atom)
            and canon(lit.atom) in positives
        ):
            return f"it requires both {lit.atom.predicate}(…) and its negation"
    return None
