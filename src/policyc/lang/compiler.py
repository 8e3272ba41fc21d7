"""Policy AST → engine IR: name resolution, attribute facts, outcome rules, exceptions, types.

Every generated rule carries the policy's own source position (``#[source = …]``) and the rule
id, so that proofs cite the policy, not the generated Datalog. Every problem found is reported
as a :class:`Diagnostic`; compilation goes on after errors so that one run reports them all.
"""

from __future__ import annotations

import difflib
import hashlib
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from policyc.action.model import ActionError, parse_action
from policyc.action.schema import ATTRIBUTES, AttributeType
from policyc.action.vocabulary import INPUT_PREDICATES, attribute_predicate
from policyc.engine.builtins import BUILTINS, check_pattern
from policyc.engine.decisions import EFFECTS
from policyc.engine.errors import DatalogError, DatalogErrors, Position
from policyc.engine.ir import (
    FALSE,
    TRUE,
    Atom,
    BinOp,
    BuiltinCall,
    Comparison,
    Const,
    Expr,
    Literal,
    Neg,
    Negation,
    Rule,
    Term,
    Value,
    Var,
)
from policyc.engine.program import Program
from policyc.lang import demand
from policyc.lang.ast import (
    Compare,
    Condition,
    Default,
    Disable,
    Fact,
    HelperRule,
    Import,
    Invariant,
    Member,
    Metadata,
    Module,
    Negative,
    Outcome,
    Override,
    PAtom,
    PAttr,
    PBin,
    PConst,
    PExpr,
    PNeg,
    Positive,
    PVar,
    TestBlock,
)
from policyc.lang.diagnostics import Diagnostic
from policyc.lang.policy_set import InvariantCase, OutcomeRule, PolicySet, TemplatePart, TestCase

OUTCOME_PREFIX = "outcome."
UNLESS_PREFIX = "unless."
INVARIANT_PREFIX = "invariant."
# The input fact `policyc test` gives when it checks invariants, and a decision never does: every
# invariant rule starts with it, so the rule index skips invariants (and the demand rules their
# conditions seed) in decisions at the cost of one set test.
CHECKING_INVARIANTS = "policyc.checking_invariants"
SET_PREFIX = "set."
MAX_ALTERNATIVES = 32  # `in` lists expand into alternative rules up to this many per rule
TOOL_INPUT = "tool.input"


ENGINE_CODES = {
    "arity_mismatch": "arity_mismatch",
    "unsafe_variable": "unsafe_variable",
    "cyclic_negation": "cyclic_negation",
    "duplicate_rule_id": "duplicate_rule_id",
    "invalid_pattern": "invalid_pattern",
    "unknown_builtin": "unknown_builtin",
    "builtin_arity": "builtin_arity",
    "syntax_error": "internal_error",
}


def source_annotation(p: Position | None) -> tuple[tuple[str, str], ...]:
    return (("source", f"{p.file}:{p.line}:{p.column}"),) if p is not None else ()


@dataclass
class _Scope:
    module: Module
    imports: dict[str, str]  # alias → module name
    entry: bool


@dataclass
class _Defined:
    name: str
    arity: int
    position: Position | None
    module: str
    used: bool = False
    kind: str = "fact"  # "fact" | "rule"


@dataclass
class _Body:
    """The literals of one rule body being built, with its attribute variables."""

    scope: _Scope
    literals: list[Literal] = field(default_factory=list)
    attr_vars: dict[str, Var] = field(default_factory=dict)
    user_vars: set[str] = field(default_factory=set)
    counter: int = 0
    alternatives: list[list[list[Literal]]] = field(default_factory=list)

    def fresh(self, hint: str, position: Position | None) -> Var:
        while True:
            self.counter += 1
            name = f"_{hint}{self.counter}"
            if name not in self.user_vars:
                return Var(name, position)


class Compiler:
    def __init__(self, modules: Sequence[Module], entries: Iterable[str] = ()) -> None:
        self.modules = list(modules)
        self.entries = set(entries)
        self.by_name = {m.name: m for m in self.modules}
        self.diagnostics: list[Diagnostic] = []
        self.rules: list[Rule] = []
        self.defined: dict[str, _Defined] = {}
        self.outcomes: dict[str, OutcomeRule] = {}
        self.outcome_at: dict[str, Position | None] = {}
        self.set_counter = 0
        self.invariant_at: dict[str, Position | None] = {}
        self.tests: list[TestCase] = []
        self.invariants: list[InvariantCase] = []
        # outcome id → its lowered bodies, each with its attribute variables (name → path)
        self.rule_bodies: dict[str, list[tuple[tuple[Literal, ...], dict[str, str]]]] = {}
        self.outcome_items: dict[str, Outcome] = {}
        self.scopes = {m.name: self._scope(m) for m in self.modules}

    # -- diagnostics ---------------------------------------------------------------------------

    def error(self, code: str, message: str, at: Position | None, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(code, "error", message, at, hint))

    def warn(self, code: str, message: str, at: Position | None, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(code, "warning", message, at, hint))

    def info(self, code: str, message: str, at: Position | None, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(code, "info", message, at, hint))

    # -- scopes and names ----------------------------------------------------------------------

    def _scope(self, m: Module) -> _Scope:
        imports: dict[str, str] = {}
        for imp in m.of(Import):
            if imp.alias in imports and imports[imp.alias] != imp.module:
                self.error(
                    "duplicate_import",
                    f"'{imp.alias}' already names module '{imports[imp.alias]}'",
                    imp.span,
                    "give one of them another name with 'as'",
                )
            imports[imp.alias] = imp.module
        return _Scope(m, imports, m.name in self.entries)

    def qualify_head(self, name: str, scope: _Scope, at: Position | None) -> str | None:
        """The predicate a fact or rule head defines (local, or an imported module's)."""
        if name in BUILTINS:
            self.error(
                "reserved_predicate",
                f"'{name}' is a built-in and cannot be defined",
                at,
            )
            return None
        if name in INPUT_PREDICATES or name.startswith("action."):
            self.error(
                "reserved_predicate",
                f"'{name}' is an input fact produced from the action; define a predicate of "
                "your own instead",
                at,
            )
            return None
        if name.startswith((OUTCOME_PREFIX, UNLESS_PREFIX, INVARIANT_PREFIX, SET_PREFIX)):
            self.error(
                "reserved_predicate",
                f"names starting with '{name.split('.')[0]}.' are reserved",
                at,
            )
            return None
        if "." in name:
            target = self._qualified(name, scope)
            if target is not None:
                return target
            self.error(
                "unknown_module",
                f"'{name}' names no predicate of an imported module",
                at,
                "import the module first, or drop the prefix to define a local predicate",
            )
            return None
        return f"{scope.module.name}.{name}"

    def _qualified(self, name: str, scope: _Scope) -> str | None:
        for alias, target in scope.imports.items():
            if name.startswith(alias + "."):
                return target + name[len(alias) :]
        prefix, _, _ = name.rpartition(".")
        if prefix in self.by_name:
            return name
        return None

    def resolve(self, name: str, arity: int, scope: _Scope, at: Position | None) -> str | None:
        """The predicate a body atom reads: local, imported, or an input fact."""
        if "." not in name:
            local = f"{scope.module.name}.{name}"
            if local in self.defined:
                return local
            if name in INPUT_PREDICATES:
                return name
        else:
            if name in INPUT_PREDICATES:
                return name
            target = self._qualified(name, scope)
            if target is not None and target in self.defined:
                return target
        candidates = [p.removeprefix(scope.module.name + ".") for p in self.defined]
        for alias, target in scope.imports.items():
            candidates += [
                alias + p[len(target) :] for p in self.defined if p.startswith(target + ".")
            ]
        candidates += list(INPUT_PREDICATES)
        hint = difflib.get_close_matches(name, candidates, n=1, cutoff=0.7)
        self.error(
            "unknown_predicate",
            f"unknown predicate '{name}': not defined in this module, not imported, not an input "
            "fact and not a built-in",
            at,
            f"did you mean '{hint[0]}'?" if hint else None,
        )
        return None

    # -- the pipeline --------------------------------------------------------------------------

    def run(self) -> PolicySet | None:
        self.collect_definitions()
        disabled = self.collect_disables()
        overrides = self.collect_overrides()
        for m in self.modules:
            scope = self.scopes[m.name]
            for item in m.items:
                if isinstance(item, Fact):
                    self.compile_fact(item, scope)
                elif isinstance(item, HelperRule):
                    self.compile_helper(item, scope)
                elif isinstance(item, Outcome):
                    self.compile_outcome(item, scope, disabled, overrides)
                elif isinstance(item, TestBlock):
                    self.check_test_action(item)
                    self.tests.append(
                        TestCase(item.name, m.name, item.action, item.expectations, item.span)
                    )
                elif isinstance(item, Invariant):
                    self.compile_invariant(item, scope)
        for rule_id, (at, _) in disabled.items():
            if rule_id not in self.outcomes and rule_id not in self.outcome_at:
                self.error(
                    "unknown_rule_id",
                    f"'disable' names no rule: '{rule_id}'",
                    at,
                    self._id_hint(rule_id),
                )
        for rule_id, ov in overrides.items():
            if rule_id not in self.outcome_at:
                self.error(
                    "unknown_rule_id",
                    f"'override' names no rule: '{rule_id}'",
                    ov.span,
                    self._id_hint(rule_id),
                )
        self.check_tests()
        default, declared = self.default_effect()
        program = self.build_program()
        if program is None or any(d.severity == "error" for d in self.diagnostics):
            return None
        digest = hashlib.sha256(
            "\0".join(
                f"{m.file}\0{m.source}" for m in sorted(self.modules, key=lambda m: m.name)
            ).encode("utf-8", "surrogatepass")
        ).hexdigest()
        return PolicySet(
            program,
            dict(self.outcomes),
            default,
            declared,
            tuple(self.tests),
            tuple(self.invariants),
            tuple(m.name for m in self.modules),
            digest,
            {k: v[1] for k, v in disabled.items()},
            tuple(m.name for m in self.modules if m.name in self.entries),
        )

    def _id_hint(self, rule_id: str) -> str | None:
        hint = difflib.get_close_matches(rule_id, list(self.outcome_at), n=1, cutoff=0.7)
        return f"did you mean '{hint[0]}'?" if hint else None

    def collect_definitions(self) -> None:
        for m in self.modules:
            scope = self.scopes[m.name]
            for item in m.items:
                if isinstance(item, Fact | HelperRule):
                    atom = item.atom if isinstance(item, Fact) else item.head
                    name = self.qualify_head(atom.name, scope, atom.span)
                    if name is not None and name not in self.defined:
                        kind = "fact" if isinstance(item, Fact) else "rule"
                        self.defined[name] = _Defined(
                            name, len(atom.args), atom.span, m.name, kind=kind
                        )
                elif isinstance(item, Invariant):
                    if item.id in self.invariant_at:
                        self.error(
                            "duplicate_rule_id",
                            f"invariant id '{item.id}' is already used at {self.invariant_at[item.id]}",
                            item.span,
                        )
                    else:
                        self.invariant_at[item.id] = item.span
                elif isinstance(item, Outcome):
                    if item.id in self.outcome_at:
                        self.error(
                            "duplicate_rule_id",
                            f"rule id '{item.id}' is already used at {self.outcome_at[item.id]}",
                            item.id_span,
                        )
                    else:
                        self.outcome_at[item.id] = item.id_span

    def _project_only(self, m: Module, what: str, at: Position | None) -> bool:
        if self.scopes[m.name].entry:
            return True
        self.error(
            "library_override",
            f"'{what}' in module '{m.name}', which is only imported: only the modules given to "
            "policyc (the project) may switch off or change rules",
            at,
        )
        return False

    def collect_disables(self) -> dict[str, tuple[Position | None, str | None]]:
        out: dict[str, tuple[Position | None, str | None]] = {}
        for m in self.modules:
            for d in m.of(Disable):
                if self._project_only(m, "disable", d.span):
                    out[d.id] = (d.span, d.reason)
        return out

    def collect_overrides(self) -> dict[str, Override]:
        out: dict[str, Override] = {}
        for m in self.modules:
            for o in m.of(Override):
                if not self._project_only(m, "override", o.span):
                    continue
                if o.id in out:
                    self.error(
                        "duplicate_override",
                        f"'{o.id}' is overridden twice (first at {out[o.id].span})",
                        o.span,
                    )
                out[o.id] = o
        return out

    def default_effect(self) -> tuple[str, bool]:
        declared = [(self.scopes[m.name].entry, d) for m in self.modules for d in m.of(Default)]
        entry = [d for is_entry, d in declared if is_entry]
        chosen = entry or [d for _, d in declared]
        effects = {d.effect for d in chosen}
        if len(effects) > 1:
            for d in chosen[1:]:
                if d.effect != chosen[0].effect:
                    self.error(
                        "conflicting_default",
                        f"default '{d.effect}' conflicts with default '{chosen[0].effect}' at {chosen[0].span}",
                        d.span,
                    )
        for d in chosen:
            if d.effect == "require_approval":
                self.error(
                    "missing_approver",
                    "'default require_approval' names no approver role; write a rule with "
                    "'approver' for the actions that need one, and another default",
                    d.span,
                )
        if not chosen and self.modules:
            self.warn(
                "no_default",
                "no module declares a default effect; when no rule fires, the decision is deny",
                None,
                "add 'default allow' (or another effect) to the project's module",
            )
            return "deny", False
        if not chosen:
            return "deny", False
        return chosen[0].effect, True

    # -- items ---------------------------------------------------------------------------------

    def compile_fact(self, fact: Fact, scope: _Scope) -> None:
        name = self.qualify_head(fact.atom.name, scope, fact.atom.span)
        values: list[Term] = []
        ok = True
        for a in fact.atom.args:
            if isinstance(a, PConst):
                values.append(Const(_engine_value(a.value), a.span))
            else:
                self.error(
                    "non_ground_fact",
                    "a fact's arguments must be constants",
                    a.span,
                    "write a rule with ':-' to derive facts from others",
                )
                ok = False
        if name is None or not ok:
            return
        self.rules.append(
            Rule(
                Atom(name, tuple(values), fact.atom.span),
                (),
                "",
                fact.span,
                False,
                fact.span,
                source_annotation(fact.span),
            )
        )

    def compile_helper(self, rule: HelperRule, scope: _Scope) -> None:
        name = self.qualify_head(rule.head.name, scope, rule.head.span)
        body = _Body(scope, user_vars=_user_vars(rule.body) | _user_vars_atom(rule.head))
        head_args: list[Term] = []
        for a in rule.head.args:
            if isinstance(a, PVar) and not a.anonymous:
                head_args.append(Var(a.name, a.span))
            elif isinstance(a, PConst):
                head_args.append(Const(_engine_value(a.value), a.span))
            else:
                self.error("invalid_head", "a rule head takes variables and constants only", a.span)
                return
        alternatives = self.lower_conditions(rule.body, body)
        if name is None or alternatives is None:
            return
        n = sum(1 for r in self.rules if r.head.predicate == name and r.body)
        for literals in alternatives:
            n += 1
            rid = f"{name}#{n}"
            self.rules.append(
                Rule(
                    Atom(name, tuple(head_args), rule.head.span),
                    tuple(literals),
                    rid,
                    rule.span,
                    True,
                    rule.span,
                    (("id", rid), *source_annotation(rule.span)),
                )
            )

    def compile_outcome(
        self,
        o: Outcome,
        scope: _Scope,
        disabled: dict[str, tuple[Position | None, str | None]],
        overrides: dict[str, Override],
    ) -> None:
        meta = o.meta
        if o.id in overrides:
            meta = _merge_meta(meta, overrides[o.id].meta)
        if o.effect not in EFFECTS:
            self.error("unknown_effect", f"unknown effect '{o.effect}'", o.span)
        if not o.when:
            self.error("missing_when", f"rule '{o.id}' has no 'when' clause", o.id_span)
            return
        if o.effect == "require_approval" and not meta.approver:
            self.error(
                "missing_approver",
                f"require_approval rule '{o.id}' names no approver role",
                o.id_span,
                'add: approver "security" (the role that may approve)',
            )
        if meta.risk is not None and not 0 <= meta.risk <= 100:
            self.error(
                "invalid_risk", f"risk must be between 0 and 100, got {meta.risk}", meta.risk_span
            )
        if meta.reason is None:
            self.warn(
                "missing_reason",
                f"rule '{o.id}' gives no reason",
                o.id_span,
                "a reason tells the agent and the auditor why",
            )
        template = self.parse_template(meta.reason or "", meta.reason_span)
        params = tuple(dict.fromkeys(p.value for p in template if p.kind == "var"))
        predicate = OUTCOME_PREFIX + o.id
        bodies: list[tuple[tuple[Literal, ...], dict[str, str]]] = []
        self.outcome_items[o.id] = o
        count = 0
        for when in o.when:
            body = _Body(
                scope, user_vars=_user_vars(when) | {v for u in o.unless for v in _user_vars(u)}
            )
            missing = [p for p in params if p not in _user_vars(when)]
            for p in missing:
                self.error(
                    "unbound_template_variable",
                    f"the reason names {{{p}}}, but '{p}' is not bound by the 'when' clause at "
                    f"{when[0].span if when else o.span}",
                    meta.reason_span,
                )
            alternatives = self.lower_conditions(when, body)
            if alternatives is None or missing:
                continue
            exceptions: list[Literal] = []
            for k, unless in enumerate(o.unless, 1):
                shared = sorted(_user_vars(when) & _user_vars(unless))
                helper = f"{UNLESS_PREFIX}{o.id}.when{count + 1}.unless{k}"
                ubody = _Body(scope, user_vars=_user_vars(when) | _user_vars(unless))
                ualts = self.lower_conditions(tuple(when) + tuple(unless), ubody)
                if ualts is None:
                    continue
                for j, literals in enumerate(ualts, 1):
                    rid = f"{o.id}#unless{count + 1}.{k}.{j}"
                    span = unless[0].span if unless else o.span
                    self.rules.append(
                        Rule(
                            Atom(helper, tuple(Var(v) for v in shared)),
                            tuple(literals),
                            rid,
                            span,
                            True,
                            span,
                            (("id", rid), *source_annotation(span)),
                        )
                    )
                exceptions.append(
                    Negation(
                        Atom(helper, tuple(Var(v) for v in shared)),
                        unless[0].span if unless else None,
                    )
                )
            for literals in alternatives:
                count += 1
                rid = o.id if count == 1 else f"{o.id}#{count}"
                full = tuple(literals) + tuple(exceptions)
                bodies.append((full, {v.name: path for path, v in body.attr_vars.items()}))
                if o.id in disabled:
                    continue
                self.rules.append(
                    Rule(
                        Atom(predicate, tuple(Var(p) for p in params), o.span),
                        full,
                        rid,
                        o.span,
                        True,
                        o.span,
                        (("id", rid), *source_annotation(o.span)),
                    )
                )
        self.rule_bodies[o.id] = bodies
        if o.id in disabled:
            return
        self.outcomes[o.id] = OutcomeRule(
            o.id,
            o.effect,
            predicate,
            params,
            template,
            meta.risk,
            meta.approver,
            meta.tags or (),
            o.span,
            scope.module.name,
        )

    def compile_invariant(self, inv: Invariant, scope: _Scope) -> None:
        predicate = INVARIANT_PREFIX + inv.id
        body = _Body(scope, user_vars=_user_vars(inv.when))
        alternatives = self.lower_conditions(inv.when, body)
        if alternatives is None:
            return
        for j, literals in enumerate(alternatives, 1):
            rid = f"invariant:{inv.id}" + ("" if j == 1 else f"#{j}")
            self.rules.append(
                Rule(
                    Atom(predicate, ()),
                    (Atom(CHECKING_INVARIANTS, ()), *literals),
                    rid,
                    inv.span,
                    True,
                    inv.span,
                    (("id", rid), *source_annotation(inv.span)),
                )
            )
        self.invariants.append(
            InvariantCase(
                inv.id,
                inv.description,
                scope.module.name,
                predicate,
                inv.bound,
                inv.effect,
                inv.span,
            )
        )

    def check_test_action(self, t: TestBlock) -> None:
        try:
            parse_action(t.action, trusted=True)
        except ActionError as e:
            for where, why in e.problems:
                self.error(
                    "invalid_test_action",
                    f"test '{t.name}': the action's {where}: {why}",
                    t.action_span or t.span,
                )

    def check_tests(self) -> None:
        for t in self.tests:
            for e in t.expectations:
                for rule_id in e.ids:
                    if rule_id not in self.outcome_at:
                        self.error(
                            "unknown_rule_id",
                            f"test '{t.name}' expects rule '{rule_id}', which does not exist",
                            e.span,
                            self._id_hint(rule_id),
                        )

    def parse_template(self, text: str, at: Position | None) -> tuple[TemplatePart, ...]:
        parts: list[TemplatePart] = []
        buf: list[str] = []
        i = 0
        while i < len(text):
            c = text[i]
            if c in "{}" and text.startswith(c * 2, i):
                buf.append(c)
                i += 2
                continue
            if c == "}":
                self.error(
                    "invalid_template", "unmatched '}' in reason (write '}}' for a brace)", at
                )
                buf.append(c)
                i += 1
                continue
            if c == "{":
                j = text.find("}", i)
                if j < 0:
                    self.error(
                        "invalid_template", "unclosed '{' in reason (write '{{' for a brace)", at
                    )
                    buf.append(text[i:])
                    break
                name = text[i + 1 : j].strip()
                if buf:
                    parts.append(TemplatePart("text", "".join(buf)))
                    buf = []
                if name[:1].isupper() or name[:1] == "_":
                    parts.append(TemplatePart("var", name))
                elif name in ATTRIBUTES or name.startswith(TOOL_INPUT + "."):
                    parts.append(TemplatePart("attr", name))
                else:
                    hint = difflib.get_close_matches(name, list(ATTRIBUTES), n=1, cutoff=0.7)
                    self.error(
                        "unknown_attribute",
                        f"the reason names unknown attribute '{{{name}}}'",
                        at,
                        f"did you mean '{hint[0]}'?" if hint else None,
                    )
                i = j + 1
                continue
            buf.append(c)
            i += 1
        if buf:
            parts.append(TemplatePart("text", "".join(buf)))
        return tuple(parts)

    # -- conditions → literals -----------------------------------------------------------------

    def lower_conditions(
        self, conditions: Sequence[Condition], body: _Body
    ) -> list[list[Literal]] | None:
        """Lower a conjunction; returns its alternatives (``in`` lists expand), or None on error."""
        before = sum(1 for d in self.diagnostics if d.severity == "error")
        members: list[Member] = []
        for c in conditions:
            if isinstance(c, Member) and not c.negated:
                members.append(c)
            else:
                self.lower_condition(c, body)
        # Expand `in` lists into alternative rules (each with its constant, which the rule index
        # can discriminate on) while the number of rules stays small; longer lists of constants
        # become fact tables.
        total = 1
        expanded: list[list[list[Literal]]] = []
        for c in sorted(members, key=lambda m: len(m.items)):
            if not c.items:
                self.error("empty_list", "'in []' can never hold", c.span)
                continue
            self.check_member_types(c)
            constants = all(isinstance(i, PConst) for i in c.items)
            if total * len(c.items) <= MAX_ALTERNATIVES or not constants:
                total *= len(c.items)
                expanded.append(self.lower_member(c, body))
            else:
                body.literals.extend(self.member_table(c, body))
        if sum(1 for d in self.diagnostics if d.severity == "error") > before:
            return None
        if total > 4 * MAX_ALTERNATIVES:
            self.error(
                "too_many_alternatives",
                f"these 'in' lists expand into {total} rules; use lists of constants (which become "
                "tables) or split the rule",
                members[0].span if members else None,
            )
            return None
        out = []
        for combo in itertools.product(*expanded):
            lits = list(body.literals)
            for part in combo:
                lits.extend(part)
            out.append(lits)
        return out

    def member_table(self, c: Member, body: _Body) -> list[Literal]:
        """``X in [c1, c2, …]`` for a long list of constants: a fact table ``set.lN(ci)`` and the
        premise ``set.lN(X)``."""
        self.set_counter += 1
        name = f"{SET_PREFIX}l{self.set_counter}"
        for item in c.items:
            assert isinstance(item, PConst)
            self.rules.append(
                Rule(Atom(name, (Const(_engine_value(item.value), item.span),)), (), "", item.span)
            )
        term = self.lower_term(c.expr, body)
        return [Atom(name, (term,), c.span)]

    def lower_member(self, c: Member, body: _Body) -> list[list[Literal]]:
        """One alternative per item. Each is lowered apart, so that every alternative carries
        the attribute premises it needs (none borrows them from another)."""
        opts: list[list[Literal]] = []
        for item in c.items:
            sub = _Body(
                body.scope,
                attr_vars=dict(body.attr_vars),
                user_vars=body.user_vars,
                counter=body.counter,
            )
            self.lower_condition(Compare("=", c.expr, item, c.span), sub)
            body.counter = sub.counter
            opts.append(sub.literals)
        return opts

    def lower_condition(self, c: Condition, body: _Body) -> None:
        if isinstance(c, Positive):
            self.lower_atom(c.atom, body, negated=False)
        elif isinstance(c, Negative):
            self.lower_atom(c.atom, body, negated=True)
        elif isinstance(c, Compare):
            self.lower_compare(c, body)
        else:
            assert isinstance(c, Member)
            self.check_member_types(c)
            # `X not in [a, b]`: X != a, X != b
            for item in c.items:
                self.lower_compare(Compare("!=", c.expr, item, c.span), body)

    def lower_atom(self, atom: PAtom, body: _Body, negated: bool) -> None:
        name = atom.name
        if name in BUILTINS:
            self.lower_builtin(atom, body, negated)
            return
        if not atom.parens and not atom.args and (t := ATTRIBUTES.get(name)) is not None:
            if t.kind != "boolean" or t.many:
                self.error(
                    "type_mismatch",
                    f"attribute '{name}' is a {t}, not a boolean: compare it instead",
                    atom.span,
                    f'for example: {name} = "..."' if t.kind == "string" else None,
                )
                return
            lit = Atom(attribute_predicate(name), (Const(TRUE),), atom.span)
            body.literals.append(Negation(lit, atom.span) if negated else lit)
            return
        target = self.resolve(name, len(atom.args), body.scope, atom.span)
        args = [self.lower_term(a, body) for a in atom.args]
        if target is None:
            return
        if target in self.defined:
            self.defined[target].used = True
        if target in INPUT_PREDICATES:
            spec = INPUT_PREDICATES[target]
            if spec.arity != len(args):
                self.error(
                    "arity_mismatch",
                    f"input fact '{target}' takes {spec.arity} argument(s) "
                    f"({', '.join(n for n, _ in spec.params)}), got {len(args)}",
                    atom.span,
                )
                return
            for (pname, kind), a in zip(spec.params, atom.args, strict=True):
                self.check_kind(a, kind, f"argument '{pname}' of '{target}'")
        lit = Atom(target, tuple(args), atom.span)
        body.literals.append(Negation(lit, atom.span) if negated else lit)

    def lower_builtin(self, atom: PAtom, body: _Body, negated: bool) -> None:
        b = BUILTINS[atom.name]
        if len(atom.args) != b.arity:
            self.error(
                "builtin_arity",
                f"'{atom.name}' takes {b.arity} argument(s), got {len(atom.args)} ({b.doc.replace('@', '')})",
                atom.span,
            )
            return
        for pos in range(b.inputs):  # every built-in takes strings as its inputs
            self.check_kind(atom.args[pos], "string", f"argument {pos + 1} of '{atom.name}'")
        if b.pattern_arg is not None:
            pat = atom.args[b.pattern_arg]
            if isinstance(pat, PConst) and isinstance(pat.value, str):
                problem = check_pattern(b.pattern_kind, pat.value)
                if problem:
                    code = "invalid_glob" if b.pattern_kind == "glob" else "invalid_regex"
                    self.error(code, problem, pat.span)
                    return
        args = tuple(self.lower_term(a, body) for a in atom.args)
        body.literals.append(BuiltinCall(atom.name, args, atom.span, negated))

    def lower_compare(self, c: Compare, body: _Body) -> None:
        self.check_compare_types(c)
        left, right = c.left, c.right
        # `attr = const` reads as the fact itself: a constant the rule index can use
        if c.op == "=" and isinstance(right, PAttr) and isinstance(left, PConst):
            left, right = right, left
        if (
            c.op == "="
            and isinstance(left, PAttr)
            and isinstance(right, PConst)
            and (t := ATTRIBUTES.get(left.path)) is not None
            and t.kind != "object"
            and not t.many
        ):
            body.literals.append(
                Atom(
                    attribute_predicate(left.path),
                    (Const(_engine_value(right.value), right.span),),
                    c.span,
                )
            )
            return
        if c.op == "=" and isinstance(right, PAttr) and isinstance(left, PVar):
            left, right = right, left
        if (
            c.op == "="
            and isinstance(left, PAttr)
            and isinstance(right, PVar)
            and not right.anonymous
            and left.path not in body.attr_vars
            and (t := ATTRIBUTES.get(left.path)) is not None
            and t.kind != "object"
            and not t.many
        ):
            # `resource.path = P` binds P to the attribute itself
            var = Var(right.name, right.span)
            body.attr_vars[left.path] = var
            body.literals.append(Atom(attribute_predicate(left.path), (var,), c.span))
            return
        lexpr = self.lower_expr(left, body)
        rexpr = self.lower_expr(right, body)
        body.literals.append(Comparison(c.op, lexpr, rexpr, c.span))

    def lower_term(self, e: PExpr, body: _Body) -> Term:
        x = self.lower_expr(e, body)
        if isinstance(x, Var | Const):
            return x
        v = body.fresh("E", getattr(e, "span", None))
        body.literals.append(Comparison("=", v, x, getattr(e, "span", None)))
        return v

    def lower_expr(self, e: PExpr, body: _Body) -> Expr:
        if isinstance(e, PVar):
            if e.anonymous:
                body.counter += 1
                return Var(f"_?{body.counter}", e.span, anonymous=True)
            return Var(e.name, e.span)
        if isinstance(e, PConst):
            return Const(_engine_value(e.value), e.span)
        if isinstance(e, PAttr):
            return self.attribute(e, body)
        if isinstance(e, PNeg):
            return Neg(self.lower_expr(e.operand, body), e.span)
        assert isinstance(e, PBin)
        return BinOp(e.op, self.lower_expr(e.left, body), self.lower_expr(e.right, body), e.span)

    def attribute(self, e: PAttr, body: _Body) -> Var:
        path = e.path
        if path.startswith(TOOL_INPUT + "."):
            key = path[len(TOOL_INPUT) + 1 :]
            var = body.attr_vars.get(path)
            if var is None:
                var = body.attr_vars[path] = body.fresh("tool_input_", e.span)
                body.literals.append(
                    Atom(attribute_predicate(TOOL_INPUT), (Const(key), var), e.span)
                )
            return var
        t = ATTRIBUTES.get(path)
        if t is None or t.kind == "object":
            if t is None:
                hint = difflib.get_close_matches(path, list(ATTRIBUTES), n=1, cutoff=0.6)
                self.error(
                    "unknown_attribute",
                    f"unknown attribute path '{path}' (the Action model has no such field)",
                    e.span,
                    f"did you mean '{hint[0]}'?" if hint else None,
                )
            else:
                self.error(
                    "type_mismatch",
                    f"'{path}' is an object: name one of its keys, e.g. {path}.query",
                    e.span,
                )
            return body.fresh("bad", e.span)
        if t.many:
            var = body.fresh(path.replace(".", "_") + "_", e.span)
            body.literals.append(Atom(attribute_predicate(path), (var,), e.span))
            return var
        var = body.attr_vars.get(path)
        if var is None:
            var = body.attr_vars[path] = body.fresh(path.replace(".", "_") + "_", e.span)
            body.literals.append(Atom(attribute_predicate(path), (var,), e.span))
        return var

    # -- types ---------------------------------------------------------------------------------

    def kind_of(self, e: PExpr) -> str | None:
        if isinstance(e, PConst):
            v = e.value
            if isinstance(v, bool):
                return "boolean"
            if isinstance(v, int | float):
                return "number"
            return "string"
        if isinstance(e, PAttr):
            if e.path.startswith(TOOL_INPUT + "."):
                return None
            t = ATTRIBUTES.get(e.path)
            if t is None:
                return None
            return "number" if t.kind == "integer" else t.kind
        if isinstance(e, PBin | PNeg):
            return "number"
        return None

    def check_kind(self, e: PExpr, expected: str, what: str) -> None:
        if expected in ("any", ""):
            return
        want = "number" if expected == "integer" else expected
        got = self.kind_of(e)
        if got is not None and got != want and got != "object":
            self.error(
                "type_mismatch",
                f"{what} must be a {want}, but {_describe(e)} is a {got}",
                getattr(e, "span", None),
            )

    def check_compare_types(self, c: Compare) -> None:
        lk, rk = self.kind_of(c.left), self.kind_of(c.right)
        if lk and rk and lk != rk and "object" not in (lk, rk):
            self.error(
                "type_mismatch",
                f"cannot compare {_describe(c.left)} ({lk}) with {_describe(c.right)} ({rk})",
                c.span,
            )
            return
        if c.op in ("<", "<=", ">", ">=") and "boolean" in (lk, rk):
            self.error("type_mismatch", "booleans are not ordered: use = or !=", c.span)
        for attr, other in ((c.left, c.right), (c.right, c.left)):
            if isinstance(attr, PAttr) and isinstance(other, PConst):
                self.check_choice(attr, other)
        for side in (c.left, c.right):
            if isinstance(side, PBin | PNeg):
                for leaf in _leaves(side):
                    k = self.kind_of(leaf)
                    if k not in (None, "number"):
                        self.error(
                            "type_mismatch",
                            f"arithmetic on {_describe(leaf)}, a {k}",
                            getattr(leaf, "span", None),
                        )

    def check_member_types(self, c: Member) -> None:
        for item in c.items:
            self.check_compare_types(
                Compare("=", c.expr, item, item.span if hasattr(item, "span") else c.span)
            )

    def check_choice(self, attr: PAttr, const: PConst) -> None:
        t: AttributeType | None = ATTRIBUTES.get(attr.path)
        if t is None or not t.choices or not isinstance(const.value, str):
            return
        if const.value not in t.choices:
            hint = difflib.get_close_matches(const.value, list(t.choices), n=1, cutoff=0.6)
            self.error(
                "invalid_value",
                f"'{attr.path}' is never \"{const.value}\"; its values are "
                + ", ".join(f'"{c}"' for c in t.choices),
                const.span,
                f'did you mean "{hint[0]}"?' if hint else None,
            )

    # -- the program ---------------------------------------------------------------------------

    def build_program(self) -> Program | None:
        if any(d.severity == "error" for d in self.diagnostics):
            return None
        rules, unbound = demand.transform(
            self.rules, (OUTCOME_PREFIX, UNLESS_PREFIX, INVARIANT_PREFIX)
        )
        for u in unbound:
            name = u.atom.predicate
            self.error(
                "unsafe_variable",
                f"{', '.join(_user_name(v) for v in u.variables)} in '{name}(…)' is never bound: "
                f"'{name}' needs that argument given (its own rules do not bind it), and no other "
                "condition of this rule binds it",
                u.atom.position,
            )
        if unbound:
            return None
        try:
            return Program(rules, "<policies>")
        except DatalogErrors as e:
            for err in e.errors:
                self.engine_error(err)
            return None

    def engine_error(self, err: DatalogError) -> None:
        code = ENGINE_CODES.get(err.code, err.code)
        self.error(code, err.message, err.position)


def _user_name(var: str) -> str:
    return "'_'" if var.startswith("_?") else repr(var)


def _merge_meta(base: Metadata, over: Metadata) -> Metadata:
    return Metadata(
        over.reason if over.reason is not None else base.reason,
        over.risk if over.risk is not None else base.risk,
        over.approver if over.approver is not None else base.approver,
        over.tags if over.tags is not None else base.tags,
        over.reason_span or base.reason_span,
        over.risk_span or base.risk_span,
        over.approver_span or base.approver_span,
    )


def _engine_value(v: str | int | float | bool) -> Value:
    if isinstance(v, bool):
        return TRUE if v else FALSE
    return v


def _describe(e: PExpr) -> str:
    if isinstance(e, PAttr):
        return f"'{e.path}'"
    if isinstance(e, PConst):
        return repr(e.value) if not isinstance(e.value, bool) else str(e.value).lower()
    if isinstance(e, PVar):
        return f"'{e.name}'"
    return "the expression"


def _leaves(e: PExpr) -> list[PExpr]:
    out: list[PExpr] = []
    stack = [e]
    while stack:
        x = stack.pop()
        if isinstance(x, PBin):
            stack += [x.right, x.left]
        elif isinstance(x, PNeg):
            stack.append(x.operand)
        else:
            out.append(x)
    return out


def _expr_vars(e: PExpr) -> set[str]:
    return {x.name for x in _leaves(e) if isinstance(x, PVar) and not x.anonymous}


def _user_vars_atom(atom: PAtom) -> set[str]:
    out: set[str] = set()
    for a in atom.args:
        out |= _expr_vars(a)
    return out


def _user_vars(conditions: Iterable[Condition]) -> set[str]:
    out: set[str] = set()
    for c in conditions:
        if isinstance(c, Positive | Negative):
            out |= _user_vars_atom(c.atom)
        elif isinstance(c, Compare):
            out |= _expr_vars(c.left) | _expr_vars(c.right)
        elif isinstance(c, Member):
            out |= _expr_vars(c.expr)
            for i in c.items:
                out |= _expr_vars(i)
    return out


def compile_modules(
    modules: Sequence[Module], entries: Iterable[str] = ()
) -> tuple[PolicySet | None, list[Diagnostic]]:
    compiler = Compiler(modules, entries)
    policy_set = compiler.run()
    return policy_set, compiler.diagnostics
