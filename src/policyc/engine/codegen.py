"""Compile rule plans to Python functions: one straight loop nest per plan, no interpretation.

A generated function has the signature ``f(G, N, D, NEW, L)``:

- ``G``: predicate → relation, for reading positive premises (what is visible at this level);
- ``N``: predicate → relation, complete relations for negation and for "already known" checks;
- ``D``: the delta tuples of the premise the plan starts from (unused by full plans);
- ``NEW``: predicate → {tuple: witness}, the facts found at this level;
- ``L``: the level, i.e. the height every fact found now has.

With recording on, each new fact's witness is ``(L, rule_index, premise tuples…, values of the
variables no premise binds…)``; with recording off it is ``None`` and the function builds nothing more than the fact.
Constants reach the code through the tuple ``C``, never as source text.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, ClassVar

from policyc.engine import builtins as B
from policyc.engine.analysis import Absent, Assign, Call, Check, RulePlan, Scan, Step
from policyc.engine.ir import BinOp, BuiltinCall, Const, Expr, Neg, Value, Var

NO_VALUE = B.NO_VALUE


class _Empty:
    """The relation of a predicate with no facts: shared, immutable, empty."""

    __slots__ = ()
    rows: ClassVar[dict[tuple[Value, ...], Any]] = {}

    def index(self, cols: tuple[int, ...]) -> dict[Any, list[tuple[Value, ...]]]:
        return {}

    def glob_matches(self, col: int, path: object) -> list[tuple[Value, ...]]:
        return []


EMPTY = _Empty()


def _num(x: object) -> bool:
    t = type(x)
    return t is int or t is float


def _result(x: Any) -> object:
    """A number, or NO_VALUE for results that are not finite (inf, nan)."""
    if type(x) is float and not math.isfinite(x):
        return NO_VALUE
    return x


def _add(a: Any, b: Any) -> object:
    if _num(a) and _num(b):
        try:
            return _result(a + b)
        except OverflowError:
            pass
    return NO_VALUE


def _sub(a: Any, b: Any) -> object:
    if _num(a) and _num(b):
        try:
            return _result(a - b)
        except OverflowError:
            pass
    return NO_VALUE


def _mul(a: Any, b: Any) -> object:
    if _num(a) and _num(b):
        try:
            return _result(a * b)
        except OverflowError:
            pass
    return NO_VALUE


def _div(a: Any, b: Any) -> object:
    if _num(a) and _num(b) and b != 0:
        try:
            return _result(a / b)
        except OverflowError:
            pass
    return NO_VALUE


def _mod(a: Any, b: Any) -> object:
    if _num(a) and _num(b) and b != 0:
        try:
            return _result(a % b)
        except OverflowError:
            pass
    return NO_VALUE


def _neg(a: Any) -> object:
    return -a if _num(a) else NO_VALUE


def _ordered(a: object, b: object) -> bool:
    """Ordering comparisons hold only between two numbers or two strings."""
    if _num(a):
        return _num(b)
    return type(a) is str and type(b) is str


def cmp_lt(a: Any, b: Any) -> bool:
    return _ordered(a, b) and a < b


def cmp_le(a: Any, b: Any) -> bool:
    return _ordered(a, b) and a <= b


def cmp_gt(a: Any, b: Any) -> bool:
    return _ordered(a, b) and a > b


def cmp_ge(a: Any, b: Any) -> bool:
    return _ordered(a, b) and a >= b


def cmp_eq(a: Any, b: Any) -> bool:
    return a is not NO_VALUE and b is not NO_VALUE and a == b


def cmp_ne(a: Any, b: Any) -> bool:
    return a is not NO_VALUE and b is not NO_VALUE and a != b


COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "<": cmp_lt,
    "<=": cmp_le,
    ">": cmp_gt,
    ">=": cmp_ge,
    "=": cmp_eq,
    "!=": cmp_ne,
}
_CMP_NAME = {"<": "_lt", "<=": "_le", ">": "_gt", ">=": "_ge", "=": "_eq", "!=": "_ne"}
_ARITH = {"+": "_add", "-": "_sub", "*": "_mul", "/": "_div", "mod": "_mod"}
ARITH: dict[str, Callable[[object, object], object]] = {
    "+": _add,
    "-": _sub,
    "*": _mul,
    "/": _div,
    "mod": _mod,
}


def eval_expr(e: Expr, env: dict[str, Value]) -> object:
    """Evaluate an expression under bindings (used to explain, not in the hot path)."""
    if isinstance(e, Const):
        return e.value
    if isinstance(e, Var):
        return env[e.name]
    if isinstance(e, Neg):
        return _neg(eval_expr(e.operand, env))
    assert isinstance(e, BinOp)
    return ARITH[e.op](eval_expr(e.left, env), eval_expr(e.right, env))


_RUNTIME: dict[str, Any] = {
    "EMPTY": EMPTY,
    "NO": NO_VALUE,
    "_add": _add,
    "_sub": _sub,
    "_mul": _mul,
    "_div": _div,
    "_mod": _mod,
    "_neg": _neg,
    "_lt": cmp_lt,
    "_le": cmp_le,
    "_gt": cmp_gt,
    "_ge": cmp_ge,
    "_eq": cmp_eq,
    "_ne": cmp_ne,
    **{f"B_{name}": b.fn for name, b in B.BUILTINS.items()},
}

PlanFunction = Callable[[Any, Any, Any, Any, int], None]
MAX_NESTING = 16  # loops per generated function (CPython's limit on nested blocks is 20)


class _Gen:
    def __init__(self, plan: RulePlan, steps: tuple[Step, ...], record: bool) -> None:
        self.plan = plan
        self.steps = steps
        self.record = record
        self.consts: list[Any] = []
        self.lines: list[str] = []
        self.setup: list[str] = []
        self.vars: dict[str, str] = {}  # Datalog variable → Python local
        self.tuples: dict[int, str] = {}  # premise index → local holding its tuple
        self.tmp = 0
        # finished functions (header, setup lines, body lines); None is the entry function
        self.parts: list[tuple[str | None, list[str], list[str]]] = []
        self.header: str | None = None

    def const(self, value: Any) -> str:
        self.consts.append(value)
        return f"C[{len(self.consts) - 1}]"

    def fresh(self, prefix: str) -> str:
        self.tmp += 1
        return f"{prefix}{self.tmp}"

    def term(self, t: Var | Const) -> str:
        if isinstance(t, Const):
            return self.const(t.value)
        return self.vars[t.name]

    def expr(self, e: Expr) -> str:
        if isinstance(e, Var | Const):
            return self.term(e)
        if isinstance(e, Neg):
            return f"_neg({self.expr(e.operand)})"
        return f"{_ARITH[e.op]}({self.expr(e.left)}, {self.expr(e.right)})"

    def emit(self, depth: int, line: str) -> None:
        self.lines.append("    " * depth + line)

    def build(self) -> tuple[str, list[Any]]:
        depth = 1
        steps = self.steps
        k = 0
        while k < len(steps):
            step = steps[k]
            nxt = steps[k + 1] if k + 1 < len(steps) else None
            col = self.glob_join(step, nxt)
            if col is not None:
                assert isinstance(step, Scan) and isinstance(nxt, Call)
                depth = self.scan(step, depth, glob=(col, nxt.call.args[0]))
                k += 2
                continue
            depth = self.step(step, depth)
            k += 1
        head = self.plan.rule.head
        key = self.key_expr([self.term(a) for a in head.args])
        hp = self.const(head.predicate)
        # the head's buffers are fetched when the first fact is found, not on every call
        self.emit(depth, "if H is None:")
        self.emit(depth + 1, f"H = NEW.get({hp})")
        self.emit(depth + 1, "if H is None:")
        self.emit(depth + 2, f"H = NEW[{hp}] = {{}}")
        self.emit(depth + 1, f"T = N.get({hp}, EMPTY).rows")
        self.emit(depth, f"k = {key}")
        self.emit(depth, "if k not in T and k not in H:")
        if self.record:
            parts = ["L", str(self.plan.rule_index)]
            parts += [self.tuples[k] for k in range(len(self.plan.positives))]
            parts += [self.vars[v] for v in self.plan.extra]
            self.emit(depth + 1, f"H[k] = ({', '.join(parts)},)")
        else:
            self.emit(depth + 1, "H[k] = None")
        prologue = ["def plan(G, N, D, NEW, L):", "    H = T = None"]
        self.parts.append((self.header, self.setup, self.lines))
        chunks = []
        for header, setup, lines in self.parts:
            chunks.append("\n".join([*(prologue if header is None else [header]), *setup, *lines]))
        return "\n\n".join(chunks) + "\n", self.consts

    def split(self, depth: int) -> int:
        """Continue in a new function: CPython allows only 20 nested blocks in one function, and
        every joined atom opens one. The current bindings become the new function's parameters."""
        name = self.fresh("cont")
        params = ["G", "N", "D", "NEW", "H", "T", "L"]
        params += sorted(set(self.vars.values()) | set(self.tuples.values()))
        self.emit(depth, f"{name}({', '.join(params)})")
        self.parts.append((self.header, self.setup, self.lines))
        self.header = f"def {name}({', '.join(params)}):"
        self.setup, self.lines = [], []
        return 1

    @staticmethod
    def key_expr(parts: list[str]) -> str:
        if not parts:
            return "()"
        return "(" + ", ".join(parts) + ",)"

    def step(self, step: Step, depth: int) -> int:
        if isinstance(step, Scan):
            return self.scan(step, depth)
        if isinstance(step, Absent):
            return self.absent(step, depth)
        if isinstance(step, Check):
            c = step.cmp
            self.emit(
                depth, f"if not {_CMP_NAME[c.op]}({self.expr(c.left)}, {self.expr(c.right)}):"
            )
            self.emit(depth + 1, "continue" if depth > 1 else "return")
            return depth
        if isinstance(step, Assign):
            local = self.fresh("v")
            self.emit(depth, f"{local} = {self.expr(step.expr)}")
            self.emit(depth, f"if {local} is NO:")
            self.emit(depth + 1, "continue" if depth > 1 else "return")
            self.vars[step.var.name] = local
            return depth
        assert isinstance(step, Call)
        return self.call(step, depth)

    def fail(self, depth: int) -> str:
        return "continue" if depth > 1 else "return"

    def glob_join(self, step: Step, nxt: Step | None) -> int | None:
        """The column of a scan whose patterns the next step matches a known path against
        (``pattern(G), glob(P, G)`` with ``P`` bound): such a scan asks the relation's
        :class:`~policyc.engine.builtins.GlobIndex` for the matching rows, in one RE2 pass."""
        if not isinstance(step, Scan) or step.from_delta or step.bound:
            return None
        if not isinstance(nxt, Call) or nxt.call.name != "glob" or nxt.call.negated:
            return None
        subject, pattern = nxt.call.args[0], nxt.call.args[1]
        if not isinstance(pattern, Var) or pattern.anonymous:
            return None
        if isinstance(subject, Var) and subject.name not in self.vars:
            return None  # the path is bound by this very scan (or later)
        cols = [c for c, a in enumerate(step.atom.args) if a == pattern]
        if len(cols) != 1 or pattern.name in self.vars:
            return None
        return cols[0]

    def scan(self, step: Scan, depth: int, glob: tuple[int, Var | Const] | None = None) -> int:
        if depth >= MAX_NESTING:
            depth = self.split(depth)
        atom = step.atom
        t = self.fresh("t")
        self.tuples[step.premise] = t
        bound = set(step.bound)
        if not step.from_delta and len(bound) == len(atom.args):
            # every argument known: a membership test, no loop (and no index to build)
            p = self.const(atom.predicate)
            rel = self.fresh("r")
            self.fetch(rel, f"G.get({p}, EMPTY).rows", depth)
            self.emit(depth, f"{t} = {self.key_expr([self.term(a) for a in atom.args])}")
            self.emit(depth, f"if {t} not in {rel}:")
            self.emit(depth + 1, self.fail(depth))
            return depth
        if glob is not None:
            col, subject = glob
            p = self.const(atom.predicate)
            rel = self.fresh("r")
            self.fetch(rel, f"G.get({p}, EMPTY)", depth)
            self.emit(depth, f"for {t} in {rel}.glob_matches({col}, {self.term(subject)}):")
            checks = set()
        elif step.from_delta:
            self.emit(depth, f"for {t} in D:")
            checks = bound
        elif bound:
            cols = tuple(sorted(bound))
            idx = self.fresh("i")
            p = self.const(atom.predicate)
            self.fetch(idx, f"G.get({p}, EMPTY).index({cols!r})", depth)
            key = [self.term(atom.args[c]) for c in cols]
            key_src = key[0] if len(key) == 1 else self.key_expr(key)
            self.emit(depth, f"for {t} in {idx}.get({key_src}, ()):")
            checks = set()
        else:
            p = self.const(atom.predicate)
            rel = self.fresh("r")
            self.fetch(rel, f"G.get({p}, EMPTY).rows", depth)
            self.emit(depth, f"for {t} in {rel}:")
            checks = set()
        depth += 1
        for pos, a in enumerate(atom.args):
            if isinstance(a, Var) and a.anonymous:
                continue
            if pos in checks:
                self.emit(depth, f"if {t}[{pos}] != {self.term(a)}:")
                self.emit(depth + 1, "continue")
            elif isinstance(a, Var) and a.name not in self.vars:
                local = self.fresh("x")
                self.emit(depth, f"{local} = {t}[{pos}]")
                self.vars[a.name] = local
            elif isinstance(a, Var) and pos not in bound:
                # a variable repeated inside this atom: bound by its first occurrence above
                self.emit(depth, f"if {t}[{pos}] != {self.vars[a.name]}:")
                self.emit(depth + 1, "continue")
        return depth

    def fetch(self, name: str, expr: str, depth: int) -> None:
        """Look a relation or index up where it is first needed: at the top level directly, inside
        a loop once (a rule whose first premise finds nothing never pays for the others)."""
        if depth == 1:
            self.emit(depth, f"{name} = {expr}")
            return
        self.setup.append(f"    {name} = None")
        self.emit(depth, f"if {name} is None:")
        self.emit(depth + 1, f"{name} = {expr}")

    def absent(self, step: Absent, depth: int) -> int:
        atom = step.atom
        p = self.const(atom.predicate)
        if len(step.bound) == len(atom.args):
            rel = self.fresh("n")
            self.fetch(rel, f"N.get({p}, EMPTY).rows", depth)
            key_src = self.key_expr([self.term(a) for a in atom.args])
            self.emit(depth, f"if {key_src} in {rel}:")
        elif not step.bound:
            rel = self.fresh("n")
            self.fetch(rel, f"N.get({p}, EMPTY).rows", depth)
            self.emit(depth, f"if {rel}:")
        else:
            idx = self.fresh("n")
            self.fetch(idx, f"N.get({p}, EMPTY).index({step.bound!r})", depth)
            key = [self.term(atom.args[c]) for c in step.bound]
            key_src = key[0] if len(key) == 1 else self.key_expr(key)
            self.emit(depth, f"if {key_src} in {idx}:")
        self.emit(depth + 1, self.fail(depth))
        return depth

    def call(self, step: Call, depth: int) -> int:
        call = step.call
        b = B.BUILTINS[call.name]
        ins = [self.term(a) for a in call.args[: b.inputs]]
        fail = self.fail(depth)
        if call.negated:
            return self.negated_call(call, b, ins, depth)
        if b.outputs == 0:
            pattern = call.args[b.pattern_arg] if b.pattern_arg is not None else None
            if isinstance(pattern, Const) and type(pattern.value) is str and b.tests_subject:
                # Constant pattern: compiled once here (analysis proved it compiles).
                compiled = (B.compile_glob if b.pattern_kind == "glob" else B.compile_regex)(
                    pattern.value
                )
                test = self.const(compiled.test)
                subject = ins[0]
                self.emit(depth, f"if type({subject}) is not str or not {test}({subject}):")
            else:
                self.emit(depth, f"if not B_{call.name}({', '.join(ins)}):")
            self.emit(depth + 1, fail)
            return depth
        out = self.fresh("o")
        self.emit(depth, f"{out} = B_{call.name}({', '.join(ins)})")
        self.emit(depth, f"if {out} is NO:")
        self.emit(depth + 1, fail)
        # one output per function built-in
        a = call.args[b.inputs]
        pos = b.inputs
        if isinstance(a, Var) and a.anonymous:
            return depth
        if pos in step.binds and isinstance(a, Var):
            self.vars[a.name] = out
        else:
            self.emit(depth, f"if {out} != {self.term(a)}:")
            self.emit(depth + 1, fail)
        return depth

    def negated_call(self, call: BuiltinCall, b: B.Builtin, ins: list[str], depth: int) -> int:
        """``not @name(args)``: every argument is bound; fail when the call holds."""
        fail = self.fail(depth)
        if b.outputs == 0:
            pattern = call.args[b.pattern_arg] if b.pattern_arg is not None else None
            if isinstance(pattern, Const) and type(pattern.value) is str and b.tests_subject:
                compiled = (B.compile_glob if b.pattern_kind == "glob" else B.compile_regex)(
                    pattern.value
                )
                test = self.const(compiled.test)
                self.emit(depth, f"if type({ins[0]}) is str and {test}({ins[0]}):")
            else:
                self.emit(depth, f"if B_{call.name}({', '.join(ins)}):")
            self.emit(depth + 1, fail)
            return depth
        out = self.fresh("o")
        self.emit(depth, f"{out} = B_{call.name}({', '.join(ins)})")
        a = call.args[b.inputs]
        if isinstance(a, Var) and a.anonymous:
            self.emit(depth, f"if {out} is not NO:")
        else:
            self.emit(depth, f"if {out} is not NO and {out} == {self.term(a)}:")
        self.emit(depth + 1, fail)
        return depth


def compile_plan(plan: RulePlan, steps: tuple[Step, ...], record: bool) -> tuple[PlanFunction, str]:
    """Return the generated function for one plan, and its source (for debugging and tests)."""
    source, consts = _Gen(plan, steps, record).build()
    namespace: dict[str, Any] = dict(_RUNTIME)
    namespace["C"] = tuple(consts)
    filename = f"<policyc plan {plan.rule.id}>"
    exec(compile(source, filename, "exec"), namespace)
    fn: PlanFunction = namespace["plan"]
    return fn, source
