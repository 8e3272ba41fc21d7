"""Proof trees: why a fact holds, rebuilt from the witnesses recorded during evaluation.

A proof is a DAG of nodes (a fact used twice is one node): ``rule`` nodes for derived facts (rule
id, source position, variable bindings, premises), ``fact`` nodes for input facts, ``absence``
nodes for negated premises and ``check`` nodes for comparisons and built-ins. Text and JSON are two
views of the same data; both are produced without recursion, so proofs of any depth render.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from policyc.engine.analysis import AnalysedProgram
from policyc.engine.codegen import COMPARE, eval_expr
from policyc.engine.errors import Position
from policyc.engine.ir import (
    Atom,
    BuiltinCall,
    Comparison,
    Const,
    Negation,
    Value,
    Var,
    format_value,
    to_python_value,
)

SCHEMA = "policyc.proof/1"
_INTERNAL = re.compile(r"^_[a-z0-9]")

PyValue = str | int | float | bool


@dataclass(frozen=True, eq=False)
class Proof:
    """One node of a proof. ``premises`` are the nodes it rests on (empty for leaves)."""

    kind: str  # "rule" | "fact" | "absence" | "check"
    predicate: str | None = None
    args: tuple[PyValue | None, ...] = ()  # None: any value (``_`` in a negated atom)
    height: int = 0
    rule_id: str | None = None
    source: Position | None = None
    origin: str | None = None  # for facts: "input" or "program"
    bindings: Mapping[str, PyValue] = field(default_factory=dict)
    premises: tuple[Proof, ...] = ()
    op: str | None = None  # for checks: the comparison operator or built-in name
    text: str | None = None  # for checks: the check with values substituted

    @property
    def fact(self) -> tuple[str, tuple[PyValue | None, ...]] | None:
        return (self.predicate, self.args) if self.predicate is not None else None

    def label(self) -> str:
        if self.kind == "check":
            return f"check {self.text}"
        atom = _format_atom(self.predicate or "", self.args)
        if self.kind == "absence":
            return f"not {atom}"
        return atom

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (schema ``policyc.proof/1``, documented in docs/explanations.md)."""
        ids: dict[int, int] = {}
        order: list[Proof] = []
        queue = [self]
        ids[id(self)] = 0
        order.append(self)
        i = 0
        while i < len(queue):
            node = queue[i]
            i += 1
            for p in node.premises:
                if id(p) not in ids:
                    ids[id(p)] = len(order)
                    order.append(p)
                    queue.append(p)
        nodes = []
        for node in order:
            d: dict[str, Any] = {"id": ids[id(node)], "kind": node.kind, "height": node.height}
            if node.kind == "check":
                d["op"] = node.op
                d["args"] = list(node.args)
                d["text"] = node.text
            else:
                d["predicate"] = node.predicate
                d["args"] = list(node.args)
            if node.kind == "rule":
                d["rule"] = {
                    "id": node.rule_id,
                    "source": node.source.to_dict() if node.source else None,
                }
                d["bindings"] = dict(node.bindings)
            if node.kind == "fact":
                d["origin"] = node.origin
                d["source"] = node.source.to_dict() if node.source else None
            d["premises"] = [ids[id(p)] for p in node.premises]
            nodes.append(d)
        return {"schema": SCHEMA, "root": 0, "nodes": nodes}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Proof:
        """The proof a :meth:`to_dict` JSON form describes (for rendering stored explanations).

        Raises ``ValueError`` when the data is not a well-formed ``policyc.proof/1`` DAG."""
        if data.get("schema") != SCHEMA:
            raise ValueError(f"not a {SCHEMA} proof")
        raw = data.get("nodes")
        if not isinstance(raw, list) or not raw:
            raise ValueError("a proof needs a non-empty list of nodes")
        built: dict[int, Proof] = {}
        # premises are built before the nodes resting on them, iteratively (proofs can be deep)
        by_id = {n["id"]: n for n in raw if isinstance(n, dict) and isinstance(n.get("id"), int)}
        if len(by_id) != len(raw):
            raise ValueError("every proof node needs a unique integer id")
        state: dict[int, int] = {}  # 1: on the stack, 2: built
        for start in by_id:
            stack = [start]
            while stack:
                nid = stack[-1]
                if state.get(nid) == 2:
                    stack.pop()
                    continue
                node = by_id.get(nid)
                if node is None:
                    raise ValueError(f"proof node {nid} is referenced but missing")
                premises = node.get("premises") or []
                pending = [p for p in premises if state.get(p) != 2]
                if pending and state.get(nid) != 1:
                    state[nid] = 1
                    for p in pending:
                        if state.get(p) == 1:
                            raise ValueError("a proof cannot be cyclic")
                        stack.append(p)
                    continue
                if pending:
                    raise ValueError("a proof cannot be cyclic")
                stack.pop()
                built[nid] = cls._node_from_dict(node, tuple(built[p] for p in premises))
                state[nid] = 2
        root = data.get("root", 0)
        if root not in built:
            raise ValueError("the proof's root node is missing")
        return built[root]

    @classmethod
    def _node_from_dict(cls, node: Mapping[str, Any], premises: tuple[Proof, ...]) -> Proof:
        def position(d: Any) -> Position | None:
            if not isinstance(d, Mapping):
                return None
            return Position(str(d.get("file")), int(d.get("line", 0)), int(d.get("column", 0)))

        rule = node.get("rule") or {}
        return cls(
            kind=str(node.get("kind")),
            predicate=node.get("predicate"),
            args=tuple(node.get("args") or ()),
            height=int(node.get("height", 0)),
            rule_id=rule.get("id") if isinstance(rule, Mapping) else None,
            source=position(rule.get("source") if rule else node.get("source")),
            origin=node.get("origin"),
            bindings=dict(node.get("bindings") or {}),
            premises=premises,
            op=node.get("op"),
            text=node.get("text"),
        )

    def to_text(self) -> str:
        """An indented tree; a sub-proof already shown is referred to, not repeated."""
        lines: list[str] = []
        shown: set[int] = set()
        # (node, prefix for this line, prefix for its children, connector)
        stack: list[tuple[Proof, str, str]] = [(self, "", "")]
        while stack:
            node, lead, child_lead = stack.pop()
            note = _note(node)
            if node.kind in ("rule", "fact") and id(node) in shown and node.premises:
                lines.append(f"{lead}{node.label()}   [shown above]")
                continue
            lines.append(f"{lead}{node.label()}{note}")
            shown.add(id(node))
            kids = node.premises
            for k in range(len(kids) - 1, -1, -1):
                last = k == len(kids) - 1
                stack.append(
                    (
                        kids[k],
                        child_lead + ("└── " if last else "├── "),
                        child_lead + ("    " if last else "│   "),
                    )
                )
        return "\n".join(lines)

    def walk(self) -> list[Proof]:
        """Every node once, root first (breadth-first)."""
        seen = {id(self)}
        out = [self]
        i = 0
        while i < len(out):
            for p in out[i].premises:
                if id(p) not in seen:
                    seen.add(id(p))
                    out.append(p)
            i += 1
        return out


def _note(node: Proof) -> str:
    if node.kind == "rule":
        where = f" at {node.source}" if node.source else ""
        # variables named _lowercase are generated by compilers (attribute values and the like)
        # or marked "don't care" by authors; the JSON form keeps them, the text view does not
        binds = ", ".join(
            f"{k} = {_fmt(v)}" for k, v in node.bindings.items() if not _INTERNAL.match(k)
        )
        return f"   [rule {node.rule_id}{where}" + (f"; {binds}]" if binds else "]")
    if node.kind == "fact":
        if node.origin == "program" and node.source:
            return f"   [fact at {node.source}]"
        return "   [input]"
    if node.kind == "absence":
        return "   [absent]"
    return ""


def _fmt(v: PyValue | None) -> str:
    if v is None:
        return "_"
    if isinstance(v, bool):
        return "true" if v else "false"
    return format_value(v)


def _format_atom(pred: str, args: tuple[PyValue | None, ...]) -> str:
    if not args:
        return pred
    return f"{pred}({', '.join(_fmt(a) for a in args)})"


def _py(t: tuple[Value, ...]) -> tuple[PyValue, ...]:
    return tuple(to_python_value(v) for v in t)


def build_proof(
    program: AnalysedProgram,
    relations: Mapping[str, Any],
    fact_sources: Mapping[tuple[str, tuple[Value, ...]], Position | None],
    predicate: str,
    row: tuple[Value, ...],
) -> Proof:
    """The proof of ``predicate(row)`` from recorded witnesses (the fact must be in the model)."""
    # 1. collect the facts the proof needs (iteratively), 2. build nodes by increasing height.
    needed: dict[tuple[str, tuple[Value, ...]], Any] = {}
    stack = [(predicate, row)]
    while stack:
        key = stack.pop()
        if key in needed:
            continue
        w = relations[key[0]].rows[key[1]]
        needed[key] = w
        if w is not None and w != 0:
            plan = program.plans[w[1]]
            for k, atom in enumerate(plan.positives):
                stack.append((atom.predicate, w[2 + k]))
    built: dict[tuple[str, tuple[Value, ...]], Proof] = {}
    for key, w in sorted(needed.items(), key=lambda kv: 0 if kv[1] in (None, 0) else kv[1][0]):
        pred, t = key
        if w is None or w == 0:
            src = fact_sources.get(key)
            built[key] = Proof(
                "fact",
                pred,
                _py(t),
                0,
                source=src,
                origin="program" if key in fact_sources else "input",
            )
            continue
        plan = program.plans[w[1]]
        n = len(plan.positives)
        env: dict[str, Value] = dict(zip(plan.extra, w[2 + n :], strict=True))
        for k, atom in enumerate(plan.positives):
            row_k = w[2 + k]
            for pos, a in enumerate(atom.args):
                if isinstance(a, Var) and not a.anonymous:
                    env[a.name] = row_k[pos]
        premises: list[Proof] = []
        k = 0
        for lit in plan.rule.body:
            if isinstance(lit, Atom):
                premises.append(built[(lit.predicate, w[2 + k])])
                k += 1
            elif isinstance(lit, Negation):
                args = tuple(
                    None
                    if isinstance(a, Var) and a.anonymous
                    else to_python_value(a.value if isinstance(a, Const) else env[a.name])
                    for a in lit.atom.args
                )
                premises.append(Proof("absence", lit.atom.predicate, args, 0))
            elif isinstance(lit, Comparison):
                left = eval_expr(lit.left, env)
                right = eval_expr(lit.right, env)
                assert COMPARE[lit.op](left, right)
                text = f"{_fmt(to_python_value(left))} {lit.op} {_fmt(to_python_value(right))}"  # type: ignore[arg-type]
                if not (isinstance(lit.left, Var | Const) and isinstance(lit.right, Var | Const)):
                    text += f"   ({lit})"
                premises.append(
                    Proof(
                        "check",
                        args=(to_python_value(left), to_python_value(right)),  # type: ignore[arg-type]
                        op=lit.op,
                        text=text,
                    )
                )
            else:
                assert isinstance(lit, BuiltinCall)
                values = tuple(
                    None
                    if isinstance(a, Var) and a.anonymous
                    else to_python_value(a.value if isinstance(a, Const) else env[a.name])
                    for a in lit.args
                )
                text = f"@{lit.name}({', '.join(_fmt(v) for v in values)})"
                op = lit.name
                if lit.negated:
                    text, op = "not " + text, "not " + op
                premises.append(Proof("check", args=values, op=op, text=text))
        built[key] = Proof(
            "rule",
            pred,
            _py(t),
            int(w[0]),
            rule_id=plan.rule.id,
            source=plan.rule.source,
            bindings={name: to_python_value(env[name]) for name in plan.variables},
            premises=tuple(premises),
        )
    return built[(predicate, row)]
