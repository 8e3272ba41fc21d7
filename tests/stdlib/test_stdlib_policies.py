"""The standard library checks clean and passes its own test blocks and invariants."""

from __future__ import annotations

import pytest

from policyc.decision import stdlib_path
from policyc.lang.checker import CheckResult, check_paths
from policyc.lang.testing import check_invariant, run_test


@pytest.fixture(scope="module")
def stdlib() -> CheckResult:
    return check_paths([stdlib_path()])


def test_checks_without_errors_or_warnings(stdlib: CheckResult) -> None:
    assert [str(d) for d in stdlib.errors + stdlib.warnings] == []
    assert stdlib.policy_set is not None
    assert stdlib.policy_set.default == "allow"


def test_every_test_block_passes(stdlib: CheckResult) -> None:
    ps = stdlib.policy_set
    assert ps is not None and ps.tests
    failures = {}
    for case in ps.tests:
        result = run_test(ps, case)
        if not result.passed:
            failures[f"{case.name} ({case.source})"] = result.messages
    assert failures == {}


def test_every_invariant_holds(stdlib: CheckResult) -> None:
    ps = stdlib.policy_set
    assert ps is not None
    failures = {}
    for inv in ps.invariants:
        result = check_invariant(ps, inv, 300, 0)  # as `policyc test` does
        if not result.passed:
            failures[inv.id] = result.messages
    assert failures == {}


def test_every_rule_has_a_firing_and_a_neighbouring_test(stdlib: CheckResult) -> None:
    """Each outcome rule is fired by a test block of its module, and some other test of the same
    module checks a neighbouring action on which it does not fire."""
    ps = stdlib.policy_set
    assert ps is not None
    fired_by: dict[str, set[str]] = {}
    quiet_in: dict[str, list[set[str]]] = {}
    for case in ps.tests:
        result = run_test(ps, case)
        fired = {f.rule.id for f in result.verdict.fired} if result.verdict else set()
        for rule_id in fired:
            fired_by.setdefault(rule_id, set()).add(case.name)
        quiet_in.setdefault(case.module, []).append(fired)
    missing_fire = sorted(r for r in ps.outcomes if r not in fired_by)
    assert missing_fire == []
    missing_neighbour = sorted(
        r
        for r, rule in ps.outcomes.items()
        if not any(r not in fired for fired in quiet_in.get(rule.module, []))
    )
    assert missing_neighbour == []
