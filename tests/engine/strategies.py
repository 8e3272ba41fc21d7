"""Hypothesis strategies for random safe, stratified Datalog programs (as text) and input facts.

Programs are safe and stratified by construction. Input predicates (``e0``, ``e1``, …) form layer
0; derived predicates (``p0``, ``p1``, …) are spread over layers 1…n. A rule for a predicate of
layer ``k`` reads positively any predicate of a layer ``<= k`` (so recursion and mutual recursion
happen inside a layer) and negates only predicates of layers ``< k`` (so negation never goes
through recursion). Every head variable, negated variable and compared variable is one that a
positive atom or an assignment binds (assignments from expressions and built-in outputs appear
only in rules over lower layers, so that no recursion can create new values forever). Values
come from tiny domains so that joins hit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import strategies as st

PyValue = int | float | str | bool

DOMAINS: dict[str, tuple[PyValue, ...]] = {
    "int": (0, 1, 2, 3),
    "str": ("a", "b", "c", "d"),
    "mixed": (0, 1, "a", "b"),
    # booleans (distinct from 0 and 1 in Datalog, unlike Python) and a float equal to an int
    "wild": (0, 1, 2.0, True, False, "a", "b"),
}
VARS = ("X", "Y", "Z", "W")


@dataclass(frozen=True)
class Pred:
    name: str
    arity: int
    layer: int  # 0: input predicate


@dataclass(frozen=True)
class Case:
    """A generated program and the input facts to evaluate it on."""

    text: str
    facts: dict[str, list[tuple[PyValue, ...]]]
    domain: str
    features: frozenset[str] = field(default_factory=frozenset)

    def __repr__(self) -> str:
        return f"Case(domain={self.domain!r}, facts={self.facts!r}, text=\n{self.text})"


def const_text(draw: st.DrawFn, v: PyValue) -> str:
    """A constant as Datalog text: strings quoted or as bare lower-case names."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    return v if draw(st.booleans()) else f'"{v}"'


def atom_text(draw: st.DrawFn, pred: str, args: list[str]) -> str:
    if not args:
        return draw(st.sampled_from([pred, f"{pred}()"]))
    return f"{pred}({', '.join(args)})"


@st.composite
def cases(
    draw: st.DrawFn,
    *,
    arithmetic: bool = False,
    builtins: bool = False,
    wild_values: bool = False,
    order_on_mixed: bool = True,
    max_layers: int = 3,
    max_per_layer: int = 3,
) -> Case:
    """A random safe, stratified program with its input facts.

    ``arithmetic`` adds assignments from expressions (``V = X + 1``) and arithmetic comparisons,
    ``builtins`` adds built-in calls, ``wild_values`` adds a domain with booleans and floats;
    ``order_on_mixed=False`` keeps ``<``/``>`` away from domains mixing ints and strings (where
    other engines disagree on what comparing an int with a string means). A layer has at most
    ``max_per_layer`` predicates (and at most 2 when there are several layers), so a recursive
    component has at most that many.
    """
    names = ["int", "str", "mixed"] + (["wild"] if wild_values else [])
    domain_name = draw(st.sampled_from(names))
    domain = DOMAINS[domain_name]
    features: set[str] = set()

    # -- predicates
    n_inputs = draw(st.integers(1, 3))
    inputs = [
        Pred(
            f"e{i}",
            draw(st.sampled_from([1, 2, 2, 3]) if i == 0 else st.sampled_from([0, 1, 2, 2, 3])),
            0,
        )
        for i in range(n_inputs)
    ]
    n_layers = draw(st.integers(1, max_layers))
    derived: list[Pred] = []
    for layer in range(1, n_layers + 1):
        for _ in range(
            draw(st.integers(1, min(2, max_per_layer) if n_layers > 1 else max_per_layer))
        ):
            derived.append(
                Pred(f"p{len(derived)}", draw(st.sampled_from([0, 1, 1, 2, 2, 3])), layer)
            )
    preds = inputs + derived

    # -- rules
    lines: list[str] = []
    for head in derived:
        n_rules = draw(st.integers(1, 3))
        for r in range(n_rules):
            lines.append(
                _rule(
                    draw,
                    head,
                    preds,
                    domain,
                    domain_name,
                    first=r == 0,
                    arithmetic=arithmetic,
                    builtins=builtins,
                    order_on_mixed=order_on_mixed,
                    features=features,
                )
            )

    # -- facts written in the program text (for input and derived predicates)
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 2]))):
        p = draw(st.sampled_from(preds))
        args = [const_text(draw, draw(st.sampled_from(domain))) for _ in range(p.arity)]
        lines.append(atom_text(draw, p.name, args) + ".")
        features.add("text-facts")

    lines = draw(st.permutations(lines))

    # -- input facts: every input predicate, and now and then a derived one
    facts: dict[str, list[tuple[PyValue, ...]]] = {}
    for p in inputs:
        if p.arity == 0:
            facts[p.name] = [()] if draw(st.booleans()) else []
        else:
            row = st.tuples(*[st.sampled_from(domain)] * p.arity)
            # rarely empty: programs over empty inputs derive little
            empty = draw(st.integers(0, 9)) == 0
            facts[p.name] = [] if empty else draw(st.lists(row, min_size=3, max_size=14))
    for p in derived:
        if draw(st.integers(0, 9)) == 0:
            row = st.tuples(*[st.sampled_from(domain)] * p.arity)
            facts[p.name] = draw(st.lists(row, min_size=1, max_size=3))
            features.add("derived-inputs")
    return Case("\n".join(lines) + "\n", facts, domain_name, frozenset(features))


def _rule(
    draw: st.DrawFn,
    head: Pred,
    preds: list[Pred],
    domain: tuple[PyValue, ...],
    domain_name: str,
    *,
    first: bool,
    arithmetic: bool,
    builtins: bool,
    order_on_mixed: bool,
    features: set[str],
) -> str:
    lower = [p for p in preds if p.layer < head.layer]
    same = [p for p in preds if p.layer == head.layer]
    body: list[str] = []
    bound: list[str] = []  # named variables bound so far, in order of binding

    def bind(v: str) -> None:
        if v not in bound:
            bound.append(v)

    # positive atoms: the first rule of a predicate reads only lower layers (a base case); now
    # and then a rule has none at all, or is a chain step (long derivations, deep proofs)
    n_pos = draw(st.sampled_from([0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3]))
    all_lower = True
    chain_from = [p for p in same if p.arity >= 1]
    chain_by = [p for p in lower if p.arity >= 2]
    head_vars: list[str] = []
    if not first and chain_from and chain_by and draw(st.integers(0, 2)) == 0:
        # q(..., Z), r(Z, Y, ...) for a head over (..., Y): transitive-closure-like
        n_pos = 0
        all_lower = False
        q = draw(st.sampled_from(chain_from))
        r = draw(st.sampled_from(chain_by))
        q_args = ["X", "W", "Z"][3 - q.arity :]
        r_args = ["Z", "Y"] + [draw(st.sampled_from(["X", "W", "_"])) for _ in range(r.arity - 2)]
        body += [atom_text(draw, q.name, q_args), atom_text(draw, r.name, r_args)]
        for v in q_args + r_args:
            if v in VARS:
                bind(v)
        head_vars = ["X", "W", "Y"][3 - head.arity :] if head.arity else []
        features.add("chain")
        features.add("mutual-recursion" if q.name != head.name else "recursion")
    for _ in range(n_pos):
        if not first and draw(st.booleans()):
            p = draw(st.sampled_from(same))
            all_lower = False
            features.add("mutual-recursion" if p.name != head.name else "recursion")
        else:
            p = draw(st.sampled_from(lower))
        args: list[str] = []
        for _ in range(p.arity):
            kind = draw(st.integers(0, 99))
            if kind < 78:
                v = draw(st.sampled_from(VARS))
                if v in args:
                    features.add("repeated-variable")
                args.append(v)
            elif kind < 90:
                args.append(const_text(draw, draw(st.sampled_from(domain))))
                features.add("constant")
            else:
                args.append("_")
                features.add("anonymous")
        for a in args:
            if a in VARS:
                bind(a)
        if p.arity == 0:
            features.add("zero-arity")
        body.append(atom_text(draw, p.name, args))
    if not body:
        features.add("no-positive-atom")
        if draw(st.booleans()):
            # a variable bound by an assignment from a constant (either way round)
            c = const_text(draw, draw(st.sampled_from(domain)))
            body.append(draw(st.sampled_from([f"X = {c}", f"{c} = X"])))
            bind("X")
    joined = list(bound)

    # assignments from expressions and built-in outputs: only over lower layers (finite values)
    if (
        arithmetic
        and domain_name != "str"
        and all_lower
        and joined
        and draw(st.integers(0, 2)) == 0
    ):
        x = draw(st.sampled_from(joined))
        y = draw(st.sampled_from(joined))
        expr = draw(
            st.sampled_from(
                [f"{x} + 1", f"{x} - {y}", f"{x} * 2", f"{x} mod 2", f"{x} / 2", f"-{x}"]
            )
        )
        body.append(draw(st.sampled_from([f"V = {expr}", f"{expr} = V"])))
        bind("V")
        features.add("arithmetic")
    if builtins and domain_name != "int" and all_lower and joined and draw(st.integers(0, 2)) == 0:
        x = draw(st.sampled_from(joined))
        y = draw(st.sampled_from(joined))
        call = draw(
            st.sampled_from(
                [
                    f"@concat({x}, {y}, U)",
                    f"@length({x}, U)",
                    f"@upper({x}, U)",
                    f'@starts_with({x}, "a")',
                    f"@contains({x}, {y})",
                    f"@concat({x}, {y}, _)",
                    f"@lower({x}, {y})",
                ]
            )
        )
        body.append(call)
        if "U)" in call:
            bind("U")
        features.add("builtin")

    # negations: only of lower layers
    for _ in range(draw(st.sampled_from([0, 0, 0, 0, 1, 1, 2]))):
        p = draw(st.sampled_from(lower))
        args = []
        for _ in range(p.arity):
            kind = draw(st.integers(0, 99))
            if bound and kind < 75:
                args.append(draw(st.sampled_from(bound)))
            elif kind < 88:
                args.append(const_text(draw, draw(st.sampled_from(domain))))
            else:
                args.append("_")
                features.add("negation-anonymous")
        body.append("not " + atom_text(draw, p.name, args))
        features.add("negation")

    # comparisons between bound variables (or a variable and a constant)
    ordered = order_on_mixed or domain_name in ("int", "str")
    ops = ["!=", "=", "<", ">", "<=", ">="] if ordered else ["!=", "="]
    for _ in range(draw(st.sampled_from([0, 0, 0, 0, 1, 1, 2]))):
        if not bound:
            break
        left = draw(st.sampled_from(bound))
        others = [v for v in bound if v != left]
        kind = draw(st.integers(0, 9))
        if kind < 3:
            right = const_text(draw, draw(st.sampled_from(domain)))
        elif kind < 9 and others:
            right = draw(st.sampled_from(others))
        else:
            right = left
        if arithmetic and domain_name in ("int", "wild") and draw(st.integers(0, 3)) == 0:
            left = f"{left} + 1"
        op = draw(st.sampled_from(ops))
        body.append(f"{left} {op} {right}")
        features.add("comparison")

    if not body:
        # no positive atom and nothing else drawn: a rule over a negated input predicate
        p = draw(st.sampled_from([q for q in lower if q.layer == 0]))
        args = [const_text(draw, draw(st.sampled_from(domain))) for _ in range(p.arity)]
        body.append("not " + atom_text(draw, p.name, args))
        features.add("negation")

    # the head: bound variables (possibly repeated) or constants
    head_args: list[str] = []
    for i in range(head.arity):
        if head_vars and head_vars[i] in bound and draw(st.integers(0, 9)) < 8:
            head_args.append(head_vars[i])
        elif bound and draw(st.integers(0, 9)) < 8:
            head_args.append(draw(st.sampled_from(bound)))
        else:
            head_args.append(const_text(draw, draw(st.sampled_from(domain))))
    body = draw(st.permutations(body))
    return f"{atom_text(draw, head.name, head_args)} :- {', '.join(body)}."
