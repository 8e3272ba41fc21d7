"""docs/stdlib.md is kept in step with the standard library.

- Every outcome rule of the library has exactly one row in the table of its module's section,
  with its effect, risk and approver; the document names no rule id that does not exist.
- Every predicate the document offers for tuning exists, as a table of facts of the right
  arity (and its default limit is the library's); every table of facts of the library is
  offered for tuning.
- The examples are run again: each ``console`` block's commands (from the repository root) must
  print what the document shows, and each ``pycon`` block is run as a doctest. The one
  normalisation is the number of generated actions an invariant applied to ("held on N of
  300"), which moves whenever any policy's constants change; that it held is still checked.
- ``examples/stdlib-project`` checks clean, is formatted, and its tests and invariant pass.
"""

from __future__ import annotations

import doctest
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from policyc.decision import stdlib_path
from policyc.lang.checker import check_paths
from policyc.lang.loader import stdlib_modules
from policyc.lang.policy_set import PolicySet
from policyc.lang.testing import check_invariant, run_test

ROOT = Path(__file__).resolve().parents[2]
DOC_PATH = ROOT / "docs" / "stdlib.md"
DOC = DOC_PATH.read_text(encoding="utf-8")
EXAMPLE = ROOT / "examples" / "stdlib-project"
EFFECTS = ("allow", "alert", "redact", "require_approval", "deny", "terminate")
# the aliases the modules are imported under: coding_agent.X is X
ALIASES = ("secrets", "destructive", "approvals", "redaction", "egress", "unusual", "sessions", "unresolved")  # fmt: skip
ALIAS = "|".join(ALIASES)
ID = rf"(?:{ALIAS})\.[a-z][a-z0-9_]*"


@pytest.fixture(scope="module")
def stdlib() -> PolicySet:
    result = check_paths([stdlib_path()])
    assert result.policy_set is not None, [str(d) for d in result.errors]
    return result.policy_set


def sections(level: int) -> dict[str, str]:
    """The text under each heading of ``level`` (up to the next heading of that level or above),
    by the heading's text."""
    out: dict[str, str] = {}
    heads = list(re.finditer(rf"^(#{{1,{level}}}) (.+)$", DOC, re.MULTILINE))
    for i, m in enumerate(heads):
        if len(m.group(1)) == level:
            end = heads[i + 1].start() if i + 1 < len(heads) else len(DOC)
            out[m.group(2)] = DOC[m.end() : end]
    return out


ROW = re.compile(
    r"^\| `([a-z0-9_.]+)` \| `(" + "|".join(EFFECTS) + r")` \| (\d+|—) \| (`[^`|]+`|—) \|",
    re.MULTILINE,
)


def rule_rows() -> dict[str, list[tuple[str, str, int | None, str | None]]]:
    """Each rule row of the document: id → [(section, effect, risk, approver)]."""
    rows: dict[str, list[tuple[str, str, int | None, str | None]]] = {}
    for title, text in sections(2).items():
        for m in ROW.finditer(text):
            risk = None if m.group(3) == "—" else int(m.group(3))
            approver = None if m.group(4) == "—" else m.group(4).strip("`")
            rows.setdefault(m.group(1), []).append((title, m.group(2), risk, approver))
    return rows


def code_spans(text: str) -> list[str]:
    """The inline code spans of ``text``, fenced blocks left out."""
    prose = re.sub(r"^```.*?^```", "", text, flags=re.MULTILINE | re.DOTALL)
    return re.findall(r"`([^`\n]+)`", prose)


def stdlib_predicates(ps: PolicySet) -> dict[str, int]:
    """Every predicate of the library's modules, as ``alias.name`` → arity."""
    prefix = "coding_agent."
    return {
        name.removeprefix(prefix): arity
        for name, arity in ps.program.analysed.arities.items()
        if name.startswith(prefix)
    }


def fact_tables(ps: PolicySet) -> dict[str, list[tuple[object, ...]]]:
    """The library's predicates made of facts only (no rule derives them): its data."""
    analysed = ps.program.analysed
    heads = {rule.head.predicate for rule in analysed.rules}
    tables: dict[str, list[tuple[object, ...]]] = {}
    for predicate, args, _position in analysed.facts:
        if predicate.startswith("coding_agent.") and predicate not in heads:
            tables.setdefault(predicate.removeprefix("coding_agent."), []).append(args)
    return tables


# -- (a) the rules ------------------------------------------------------------------------------


def test_every_rule_has_one_row_in_its_modules_section(stdlib: PolicySet) -> None:
    rows = rule_rows()
    assert sorted(set(stdlib.outcomes) - set(rows)) == [], "rules without a row"
    assert sorted(set(rows) - set(stdlib.outcomes)) == [], "rows of rules that do not exist"
    assert {r: len(v) for r, v in rows.items() if len(v) > 1} == {}, "rules with several rows"
    for rule_id, [(title, *_)] in rows.items():
        assert title == f"`{stdlib.outcomes[rule_id].module}`", rule_id


def test_each_row_gives_the_rules_effect_risk_and_approver(stdlib: PolicySet) -> None:
    wrong = {}
    for rule_id, [(_title, effect, risk, approver)] in rule_rows().items():
        rule = stdlib.outcomes[rule_id]
        if (effect, risk, approver) != (rule.effect, rule.risk, rule.approver):
            wrong[rule_id] = ((effect, risk, approver), (rule.effect, rule.risk, rule.approver))
    assert wrong == {}, "row (effect, risk, approver) != the rule's"


def test_the_document_names_no_rule_that_does_not_exist(stdlib: PolicySet) -> None:
    invariants = {inv.id for inv in stdlib.invariants}
    predicates = stdlib_predicates(stdlib)
    named = {s for s in code_spans(DOC) if re.fullmatch(ID, s)}
    # rule ids in policy text: disable/override, test expectations
    named |= set(re.findall(rf"\b(?:disable|override|by|fired) ({ID})\b", DOC))
    known = set(stdlib.outcomes) | invariants | set(predicates)
    assert sorted(named - known) == [], "ids that are neither a rule, an invariant nor a predicate"


def test_every_invariant_is_listed_with_its_module(stdlib: PolicySet) -> None:
    by_section = sections(2)
    for inv in stdlib.invariants:
        text = by_section.get(f"`{inv.module}`", "")
        assert f"- `{inv.id}`: " in text, inv.id


# -- (b) the data a project tunes ---------------------------------------------------------------

TUNING_ROW = re.compile(r"^\| `([a-z_]+\.[a-z_]+)\(([^)]*)\)` \| [^|]+ \| ([^|]+) \|", re.MULTILINE)


def tuning_rows() -> dict[str, tuple[int, str]]:
    """The rows of the table of tunable predicates: alias.name → (arity, default column)."""
    text = sections(3)["Adding facts"]
    return {
        m.group(1): (len(m.group(2).split(", ")), m.group(3).strip())
        for m in TUNING_ROW.finditer(text)
    }


def test_every_predicate_offered_for_tuning_is_a_table_of_facts(stdlib: PolicySet) -> None:
    tables = fact_tables(stdlib)
    rows = tuning_rows()
    assert rows, "no table of tunable predicates"
    for name, (arity, _default) in rows.items():
        assert name in tables, f"{name} is not a table of facts of the standard library"
        assert all(len(args) == arity for args in tables[name]), name


def test_every_table_of_facts_is_offered_for_tuning(stdlib: PolicySet) -> None:
    assert sorted(set(fact_tables(stdlib)) - set(tuning_rows())) == []


def test_the_default_limits_are_the_librarys(stdlib: PolicySet) -> None:
    tables = fact_tables(stdlib)
    for name, (_arity, default) in tuning_rows().items():
        values = [args[0] for args in tables[name] if len(args) == 1]
        if values and all(isinstance(v, int) for v in values):
            assert default == str(min(values)), name  # type: ignore[type-var]


def test_every_predicate_the_document_writes_exists(stdlib: PolicySet) -> None:
    predicates = stdlib_predicates(stdlib)
    used = re.findall(rf"\b((?:{ALIAS})\.[a-z_]+)\(([^()]*)\)", DOC)
    missing = sorted(
        {f"{name}/{len(args.split(','))}" for name, args in used}
        - {f"{name}/{arity}" for name, arity in predicates.items()}
    )
    assert missing == [], "predicates written in the document that the library does not have"


# -- (c) the examples ---------------------------------------------------------------------------


def console_blocks() -> list[tuple[int, list[tuple[str, str]]]]:
    """Each ``console`` block: (line, [(command, expected output)])."""
    blocks = []
    for m in re.finditer(r"^```console\n(.*?)^```", DOC, re.MULTILINE | re.DOTALL):
        line = DOC[: m.start()].count("\n") + 1
        runs: list[tuple[str, list[str]]] = []
        for text in m.group(1).splitlines():
            if text.startswith("$ "):
                runs.append((text[2:], []))
            else:
                assert runs, f"docs/stdlib.md:{line}: output before any command"
                runs[-1][1].append(text)
        blocks.append((line, [(cmd, "\n".join(out)) for cmd, out in runs]))
    return blocks


def normalise(output: str) -> str:
    return re.sub(r"held on \d+ of (\d+) generated actions", r"held on N of \1", output)


@pytest.fixture
def shell_env(tmp_path: Path) -> dict[str, str]:
    bin_dir = str(Path(sys.executable).parent)
    if shutil.which("policyc", path=bin_dir) is None:
        pytest.skip("the policyc script is not installed next to this Python")
    return {
        **os.environ,
        "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
        "POLICYC_CACHE_DIR": str(tmp_path / "cache"),
        "NO_COLOR": "1",
    }


@pytest.mark.parametrize(
    ("line", "runs"),
    [pytest.param(*block, id=f"stdlib.md:{block[0]}") for block in console_blocks()],
)
def test_console_examples_print_what_the_document_shows(
    line: int, runs: list[tuple[str, str]], shell_env: dict[str, str]
) -> None:
    for command, expected in runs:
        if "| jq" in command and shutil.which("jq") is None:
            pytest.skip("jq is not installed")
        done = subprocess.run(
            ["bash", "-c", command],
            cwd=ROOT,
            env=shell_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            timeout=300,
        )
        got = done.stdout.rstrip("\n")
        assert normalise(got) == normalise(expected), f"docs/stdlib.md:{line}: $ {command}"


def pycon_blocks() -> list[tuple[int, str]]:
    return [
        (DOC[: m.start()].count("\n") + 1, m.group(1))
        for m in re.finditer(r"^```pycon\n(.*?)^```", DOC, re.MULTILINE | re.DOTALL)
    ]


def test_python_examples_print_what_the_document_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ``pycon`` blocks, in order, as one session (a block may use the names of the ones
    before it)."""
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("POLICYC_CACHE_DIR", str(tmp_path / "cache"))
    blocks = pycon_blocks()
    assert blocks
    session: dict[str, object] = {}
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    report: list[str] = []
    for line, text in blocks:
        name = f"stdlib.md:{line}"
        test = doctest.DocTestParser().get_doctest(text, session, name, str(DOC_PATH), line)
        test.globs = session  # get_doctest copies the globals; the session is shared
        runner.run(test, out=report.append, clear_globs=False)
    assert runner.failures == 0, "".join(report)


def test_the_example_project_checks_clean_and_its_tests_pass() -> None:
    result = check_paths([EXAMPLE])
    assert [str(d) for d in result.errors + result.warnings] == []
    ps = result.policy_set
    assert ps is not None
    assert ps.entries == ("acme.agent",)
    # the whole standard library is imported, so it all applies
    assert set(stdlib_modules()) <= set(ps.modules)
    failures = {}
    for case in ps.tests:
        if case.module in ps.entries:
            r = run_test(ps, case)
            if not r.passed:
                failures[case.name] = r.messages
    for inv in ps.invariants:
        if inv.module in ps.entries:
            r = check_invariant(ps, inv, 300, 0)
            if not r.passed:
                failures[inv.id] = r.messages
    assert failures == {}


def test_the_example_project_is_formatted(shell_env: dict[str, str]) -> None:
    done = subprocess.run(
        ["policyc", "fmt", "--check", str(EXAMPLE)],
        cwd=ROOT,
        env=shell_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_every_link_resolves() -> None:
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", DOC):
        if re.match(r"[a-z]+://", target):
            continue
        file, _, fragment = target.partition("#")
        path = (DOC_PATH.parent / file).resolve() if file else DOC_PATH
        if not path.exists():
            broken.append(target)
        elif fragment:
            text = path.read_text(encoding="utf-8")
            text = re.sub(r"^```.*?^```", "", text, flags=re.MULTILINE | re.DOTALL)
            anchors = {slug(h) for h in re.findall(r"^#+ (.+)$", text, re.MULTILINE)}
            if fragment not in anchors:
                broken.append(target)
    assert broken == []


def test_the_corpus_counts_are_current() -> None:
    def entries(kind: str) -> list[dict[str, str]]:
        path = ROOT / "tests" / "corpus" / kind / "commands.jsonl"
        return [json.loads(x) for x in path.read_text("utf-8").splitlines() if x.strip()]

    evasion, benign = entries("evasion"), entries("benign")
    classes = len({e["class"] for e in evasion})
    text = " ".join(sections(2)["How the standard library is proven"].split())
    found = re.search(
        r"The evasion corpus holds (\d+) commands .*? one of (\d+) bypass classes"
        r" .*? the benign corpus holds (\d+) everyday",
        text,
    )
    assert found, "the sentence that counts the corpora is gone"
    said = tuple(int(n) for n in found.groups())
    assert said == (len(evasion), classes, len(benign)), (
        "docs/stdlib.md counts (evasion commands, bypass classes, benign commands) = "
        f"{said}; the corpora hold {(len(evasion), classes, len(benign))}"
    )
