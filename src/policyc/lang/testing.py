"""``policyc test``: run the ``test`` blocks and check the ``invariant`` declarations of policies.

Invariants are checked by property-based generation: Hypothesis draws actions from the values
the policies mention (paths matching their globs, their constants, every action type) and from
disguises of them (``./``, ``..``, doubled slashes, relative paths under a working directory),
and every action on which an invariant's ``when`` holds must meet its bound.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from policyc.action.model import ACTION_TYPES, Action, ActionError, parse_action
from policyc.action.schema import ATTRIBUTES
from policyc.decision.verdict import Verdict, evaluate, verdict_of
from policyc.engine.builtins import glob_to_regex
from policyc.engine.decisions import RANK
from policyc.engine.errors import DatalogError
from policyc.engine.ir import Atom, BuiltinCall, Const, Negation, Rule
from policyc.lang.compiler import CHECKING_INVARIANTS
from policyc.lang.policy_set import InvariantCase, PolicySet, TestCase
from policyc.lang.shapes import shapes
from policyc.normalize import normalize_action


@dataclass
class CaseResult:
    name: str
    module: str
    passed: bool
    messages: list[str] = field(default_factory=list)
    verdict: Verdict | None = None
    kind: str = "test"
    examples: int = 0


def run_test(policy_set: PolicySet, case: TestCase) -> CaseResult:
    result = CaseResult(case.name, case.module, True)
    try:
        action = parse_action(case.action, trusted=True)
    except ActionError as e:
        result.passed = False
        result.messages.append(f"the test's action is invalid: {e}")
        return result
    try:
        verdict = evaluate(policy_set, action)
    except DatalogError as e:  # e.g. a pattern from a fact that RE2 rejects: fail closed
        result.passed = False
        result.messages.append(f"evaluation failed (the decision would be deny): {e.message}")
        return result
    result.verdict = verdict
    for exp in case.expectations:
        if exp.kind == "decision":
            if verdict.effect != exp.effect:
                result.passed = False
                result.messages.append(f"expected {exp.effect}, got {verdict.effect}")
            elif exp.ids and set(exp.ids) != verdict.ids(exp.effect):
                result.passed = False
                result.messages.append(
                    f"expected {exp.effect} by {', '.join(sorted(exp.ids))}; "
                    f"{exp.effect} came from {', '.join(sorted(verdict.ids(exp.effect))) or 'the default'}"
                )
        elif exp.kind == "fired":
            missing = set(exp.ids) - verdict.ids()
            if missing:
                result.passed = False
                result.messages.append(
                    f"expected to fire but did not: {', '.join(sorted(missing))}"
                )
        else:
            present = set(exp.ids) & verdict.ids()
            if present:
                result.passed = False
                result.messages.append(
                    f"expected not to fire but did: {', '.join(sorted(present))}"
                )
    return result


def meets(effect: str, bound: str, expected: str) -> bool:
    if bound == "exactly":
        return effect == expected
    if bound == "at_least":
        return RANK[effect] >= RANK[expected]
    return effect != expected


# ---------------------------------------------------------------------------------------------
# invariants


def _program_strings(rules: list[Rule]) -> tuple[list[str], list[str]]:
    """String constants of the program, and the regexes of its glob and regex patterns."""
    strings: set[str] = set()
    patterns: set[str] = set()
    for r in rules:
        for a in r.head.args:
            if isinstance(a, Const) and isinstance(a.value, str):
                strings.add(a.value)
        for lit in r.body:
            atom = lit.atom if isinstance(lit, Negation) else lit
            args: tuple[Any, ...] = getattr(atom, "args", ())
            for a in args:
                if isinstance(a, Const) and isinstance(a.value, str):
                    strings.add(a.value)
            if isinstance(lit, BuiltinCall) and lit.name in ("glob", "regex"):
                pat = lit.args[1]
                if isinstance(pat, Const) and isinstance(pat.value, str):
                    patterns.add(glob_to_regex(pat.value) if lit.name == "glob" else pat.value)
    # facts used as patterns (secret_glob("**/.env")) are globs too, most likely
    for s in list(strings):
        if any(ch in s for ch in "*?[") and "/" in s:
            with contextlib.suppress(ValueError):
                patterns.add(glob_to_regex(s))
    return sorted(strings), sorted(patterns)


# Which action types produce an input fact (so that generation can aim at an invariant's `when`).
_PRODUCERS = {
    "reads_file": ("file.read", "file.list"),
    "writes_file": ("file.write", "file.edit"),
    "deletes_file": ("file.delete",),
}


def action_strategy(policy_set: PolicySet, focus: InvariantCase | None = None) -> Any:
    """Hypothesis strategy for actions built from what the policies talk about; with ``focus``,
    half of the actions are built from what that invariant's ``when`` mentions."""
    from hypothesis import strategies as st

    every = list(policy_set.program.rules)
    general = _actions(every, ACTION_TYPES, _mentioned(every, every))
    if focus is None:
        return general
    rules = [r for r in policy_set.program.rules if r.head.predicate == focus.predicate]
    types: list[str] = []
    for r in rules:
        for lit in r.body:
            if isinstance(lit, Atom):
                types += _PRODUCERS.get(lit.predicate, ())
                if lit.predicate == "action.action_type" and isinstance(lit.args[0], Const):
                    types.append(str(lit.args[0].value))
    types = sorted(set(types) & set(ACTION_TYPES)) or list(ACTION_TYPES)
    return st.one_of(_actions(rules, tuple(types), _mentioned(rules, every), aimed=True), general)


def _mentioned(rules: list[Rule], program: list[Rule]) -> set[str]:
    """The predicates the rules' bodies mention (negated or not), and those the helpers they
    mention are defined from, transitively: the input facts that can make the rules hold."""
    defined: dict[str, list[Rule]] = {}
    for r in program:
        defined.setdefault(r.head.predicate, []).append(r)
    out: set[str] = set()
    todo = list(rules)
    while todo:
        for lit in todo.pop().body:
            atom = lit.atom if isinstance(lit, Negation) else lit
            if isinstance(atom, Atom) and atom.predicate not in out:
                out.add(atom.predicate)
                todo += defined.get(atom.predicate, [])
    return out


def _actions(
    rules: list[Rule],
    action_types: tuple[str, ...] | list[str],
    predicates: set[str],
    *,
    aimed: bool = False,
) -> Any:
    from hypothesis import strategies as st

    strings, patterns = _program_strings(rules)
    pattern_strategies = []
    for p in patterns:
        try:
            rx = re.compile(p.replace("(?s)", ""))
        except re.error:
            continue
        pattern_strategies.append(st.from_regex(rx, fullmatch=True))
    segment = st.sampled_from(["repo", "src", "app", ".ssh", "config", "a", "b", ".git", "home"])
    plain_paths = st.lists(segment, min_size=1, max_size=4).map(lambda xs: "/" + "/".join(xs))
    interesting = [st.sampled_from([s for s in strings if "/" in s or "." in s] or ["/repo/x"])]
    base_paths = st.one_of(plain_paths, *pattern_strategies, *interesting)
    absolute = base_paths.map(lambda p: p if p.startswith("/") else "/repo/" + p)

    def disguise(draw: Callable[[Any], Any], path: str) -> tuple[str, str | None]:
        how = draw(st.sampled_from(["plain", "dot", "dotdot", "double", "relative"]))
        if how == "dot":
            head, _, tail = path.rpartition("/")
            return f"{head}/./{tail}", None
        if how == "dotdot":
            head, _, tail = path.rpartition("/")
            return f"{head}/x/../{tail}", None
        if how == "double":
            return path.replace("/", "//", 1), None
        if how == "relative":
            head, _, tail = path.rpartition("/")
            return tail, head or "/"
        return path, None

    short = [s for s in strings if len(s) <= 40 and "/" not in s and "*" not in s]
    command_patterns = [
        st.from_regex(re.compile(p.replace("(?s)", ""))) for p in patterns if _compiles(p)
    ]
    commands = st.one_of(st.sampled_from(strings or ["true"]), *command_patterns)
    shaped = shapes(predicates, absolute)

    @st.composite
    def actions(draw: Callable[[Any], Any]) -> Action:
        data: dict[str, Any] = {"action_type": draw(st.sampled_from(action_types))}
        path, cwd = disguise(draw, draw(absolute))
        data["resource"] = {"path": path}
        if cwd is not None:
            data["cwd"] = cwd
        for attr in ("environment", "data_classification"):
            t = ATTRIBUTES[attr]
            named = [c for c in t.choices if c in strings]  # the values the rules compare with
            data[attr] = draw(
                st.one_of(
                    st.none(),
                    st.sampled_from(t.choices),
                    *([st.sampled_from(named)] if named else []),
                )
            )
        data["session"] = {
            "recent_denials": draw(st.integers(0, 20)),
            "actions": draw(st.integers(0, 200)),
            "alerts": draw(st.integers(0, 20)),
            "terminated": draw(st.booleans()),
        }
        data["approval"] = {"granted": draw(st.booleans())}
        data["command"] = draw(st.none() | commands)
        words = st.none() | (st.sampled_from(short) if short else st.just("x"))
        data["agent"] = {"id": draw(words), "team": draw(words), "owner": draw(words)}
        data["resource"].update(team=draw(words), owner=draw(words))
        for attr in ("branch", "method", "workspace"):
            data[attr] = draw(words)
        labels = st.lists(st.sampled_from(short or ["x"]), max_size=3, unique=True)
        data["risk_signals"] = draw(labels)
        data["permissions"] = draw(labels)
        if draw(st.booleans()):
            data["url"] = "https://" + draw(st.sampled_from(short or ["example.com"])) + "/"
        if draw(st.booleans()):
            data["tool"] = {
                "name": draw(st.sampled_from(short or ["tool"])),
                "input": draw(st.dictionaries(st.sampled_from(short or ["k"]), words, max_size=3)),
            }
        if shaped is not None and (aimed or draw(st.booleans())):
            data.update(draw(shaped))  # a command or request that produces a derived fact
        return parse_action(data, trusted=True)

    return actions()


def _compiles(pattern: str) -> bool:
    try:
        re.compile(pattern.replace("(?s)", ""))
    except re.error:
        return False
    return True


def check_invariant(
    policy_set: PolicySet, inv: InvariantCase, examples: int = 300, seed: int | None = 0
) -> CaseResult:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import seed as fix_seed
    from hypothesis.errors import Unsatisfiable

    result = CaseResult(inv.description, inv.module, True, kind="invariant")
    applied = 0
    failure: list[tuple[Action, Verdict]] = []
    errors: list[tuple[Action, str]] = []

    @settings(
        max_examples=examples,
        derandomize=False,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(action_strategy(policy_set, inv))
    def prop(action: Action) -> None:
        nonlocal applied
        try:
            facts = {**normalize_action(action).facts, CHECKING_INVARIANTS: [()]}
            model = policy_set.program.evaluate(facts)
            if not model.holds(inv.predicate):
                return
            applied += 1
            verdict = verdict_of(policy_set, model, action, proofs=False)
        except DatalogError as e:  # evaluation failed: the decision would be deny (fail closed)
            errors[:] = [(action, e.message)]
            raise AssertionError("evaluation failed") from None
        if not meets(verdict.effect, inv.bound, inv.effect):
            failure[:] = [(action, verdict)]
            raise AssertionError("invariant violated")

    if seed is not None:
        prop = fix_seed(seed)(prop)  # the same seed draws the same actions, run after run
    try:
        prop()
    except AssertionError:
        pass
    except Unsatisfiable:
        pass
    result.examples = examples
    if errors:
        action, message = errors[-1]
        result.passed = False
        result.messages.append(f"evaluation failed on {_shown(action)}: {message}")
    elif failure:
        action, verdict = failure[-1]
        result.passed = False
        bound = {"exactly": "", "at_least": "at least ", "not": "not "}[inv.bound]
        result.messages.append(
            f"invariant {inv.id} requires {bound}{inv.effect}, but this action got "
            f"{verdict.effect}: {_shown(action)}"
        )
        result.verdict = verdict
    elif applied == 0:
        result.passed = False
        result.messages.append(
            f"invariant {inv.id} never applied in {examples} generated actions, so it proves "
            "nothing; make its 'when' reachable or the policies' values more specific"
        )
    else:
        result.messages.append(f"held on {applied} of {examples} generated actions")
    return result


def _shown(action: Action) -> str:
    """The action as JSON for a failure message, every secret in it redacted."""
    from policyc.normalize.secrets import find_secrets, redact_text

    text = action.model_dump_json(exclude_defaults=True, exclude={"action_id"})
    return redact_text(text, find_secrets(text, "action"))
