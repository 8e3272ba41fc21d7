"""The data-driven corpus of tests/engine/cases (format: tests/engine/cases/README.md).

Every positive case runs three ways: through the library (``parse_program(...).evaluate``, with
and without proof recording), through the CLI (``policyc datalog --json``) and after a round trip
through ``Program.to_text()``. Every must-fail case (``neg_*``) runs through the library and the
CLI, which must agree on the error codes and their positions.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from policyc import DatalogError, DatalogErrors, NotDerived, Proof, parse_program

CASES_DIR = Path(__file__).parent / "cases"
RUNNERS_POSITIVE = ("library", "cli", "roundtrip")
RUNNERS_NEGATIVE = ("library", "cli")
ERROR_CODES = {
    "syntax_error",
    "arity_mismatch",
    "unsafe_variable",
    "cyclic_negation",
    "unknown_builtin",
    "builtin_arity",
    "invalid_pattern",
    "duplicate_rule_id",
    "unknown_annotation",
    "invalid_fact",
    "evaluation_error",
    "not_derived",
}
POSITIVE_KEYS = {"description", "facts", "model", "strata", "proofs", "absent", "xfail"}
NEGATIVE_KEYS = {"description", "facts", "errors", "xfail"}
PROOF_KEYS = {"height", "rule_id", "kind", "source", "premises"}


@dataclass(frozen=True)
class Case:
    name: str
    text: str
    expected: dict[str, Any] = field(hash=False)

    @property
    def negative(self) -> bool:
        return self.name.startswith("neg_")

    @property
    def file(self) -> str:
        return f"{self.name}.dl"

    @property
    def facts(self) -> dict[str, Any]:
        return dict(self.expected.get("facts", {}))

    def xfail_reason(self, runner: str) -> str | None:
        x = self.expected.get("xfail")
        if isinstance(x, str):
            return x
        if isinstance(x, dict):
            return x.get(runner)
        return None


def load_cases() -> list[Case]:
    cases = []
    for dl in sorted(CASES_DIR.glob("*.dl")):
        name = dl.name[: -len(".dl")]
        exp_path = CASES_DIR / f"{name}.expected.json"
        expected = json.loads(exp_path.read_text("utf-8")) if exp_path.exists() else {}
        # newline="" keeps CRLF line ends exactly as written
        with open(dl, encoding="utf-8", newline="") as fh:
            text = fh.read()
        cases.append(Case(name, text, expected))
    return cases


CASES = load_cases()


def _params() -> list[Any]:
    params = []
    for case in CASES:
        for runner in RUNNERS_NEGATIVE if case.negative else RUNNERS_POSITIVE:
            marks = []
            reason = case.xfail_reason(runner)
            if reason:
                marks.append(pytest.mark.xfail(strict=True, reason=reason))
            params.append(pytest.param(case, runner, id=f"{case.name}-{runner}", marks=marks))
    return params


# ---------------------------------------------------------------------------------------------
# the corpus itself is well formed


def test_corpus_is_complete_and_well_formed() -> None:
    dl = {p.name[: -len(".dl")] for p in CASES_DIR.glob("*.dl")}
    js = {p.name[: -len(".expected.json")] for p in CASES_DIR.glob("*.expected.json")}
    assert dl == js, f"unpaired files: {sorted(dl ^ js)}"
    positive = [c for c in CASES if not c.negative]
    negative = [c for c in CASES if c.negative]
    assert len(positive) >= 40
    assert len(negative) >= 15
    for case in positive:
        assert set(case.expected) <= POSITIVE_KEYS, case.name
        assert "model" in case.expected, case.name
        for key, spec in case.expected.get("proofs", {}).items():
            assert spec and set(spec) <= PROOF_KEYS, (case.name, key)
    for case in negative:
        assert set(case.expected) <= NEGATIVE_KEYS, case.name
        assert case.expected["errors"], case.name
        for err in case.expected["errors"]:
            assert err["code"] in ERROR_CODES, (case.name, err)
            assert "column" not in err or "line" in err, (case.name, err)
    # every error code raisable by parse_program has at least one must-fail case
    covered = {e["code"] for c in negative for e in c.expected["errors"]}
    assert ERROR_CODES - {"not_derived"} <= covered, ERROR_CODES - covered


# ---------------------------------------------------------------------------------------------
# values: 1, 1.0 and true are three different expectations


def typed(v: Any) -> tuple[str, Any]:
    if isinstance(v, bool):
        return ("bool", v)
    if isinstance(v, int):
        return ("int", v)
    if isinstance(v, float):
        return ("float", v)
    if isinstance(v, str):
        return ("str", v)
    raise AssertionError(f"unexpected value {v!r} of type {type(v).__name__}")


def typed_rows(rows: Any) -> set[tuple[tuple[str, Any], ...]]:
    return {tuple(typed(v) for v in row) for row in rows}


def expected_model(case: Case) -> dict[str, set[tuple[tuple[str, Any], ...]]]:
    return {p: typed_rows(rows) for p, rows in case.expected["model"].items()}


def fmt_value(v: Any) -> str:
    if v is None:
        return "_"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    return repr(v)


def fmt_atom(pred: str, args: Any) -> str:
    if not args:
        return pred
    return f"{pred}({', '.join(fmt_value(a) for a in args)})"


def parse_fact(text: str) -> tuple[str, tuple[Any, ...]]:
    """A ground atom written in Datalog, e.g. ``path("a", 1)``, as (predicate, row)."""
    facts = parse_program(text + ".", "<fact>").evaluate().facts
    [(pred, rows)] = [(p, r) for p, r in facts.items() if r]
    [row] = rows
    return pred, row


# ---------------------------------------------------------------------------------------------
# positive cases


def check_library_proof(case: Case, key: str, proof: Proof) -> None:
    spec = case.expected["proofs"][key]
    where = f"{case.name}: proof of {key}"
    if "height" in spec:
        assert proof.height == spec["height"], where
    if "rule_id" in spec:
        assert proof.rule_id == spec["rule_id"], where
    if "kind" in spec:
        assert proof.kind == spec["kind"], where
    if "source" in spec:
        assert (str(proof.source) if proof.source else None) == spec["source"], where
    if "premises" in spec:
        assert [p.label() for p in proof.premises] == spec["premises"], where
    # heights are consistent: a rule node is one above its highest premise
    for node in proof.walk():
        if node.kind == "rule":
            below = [p.height for p in node.premises if p.kind in ("rule", "fact")]
            assert node.height == 1 + max(below, default=0), f"{where}: node {node.label()}"
        elif node.kind in ("fact", "absence", "check"):
            assert node.height == 0
    assert proof.to_text().splitlines()[0].startswith(proof.label())
    doc = proof.to_dict()
    assert doc["nodes"][0]["height"] == proof.height


def run_library(case: Case) -> None:
    program = parse_program(case.text, case.file)
    expected = expected_model(case)
    for record in (False, True):
        model = program.evaluate(case.facts, proofs=record)
        got = {p: typed_rows(rows) for p, rows in model.facts.items()}
        assert got == expected, f"{case.name} (proofs={record})"
        for pred, rows in expected.items():
            listed = model.rows(pred)
            assert len(listed) == len(rows), f"{case.name}: rows({pred})"
            assert typed_rows(listed) == rows
        for key in case.expected.get("proofs", {}):
            pred, row = parse_fact(key)
            assert model.holds(pred, row), f"{case.name}: {key} should hold"
            check_library_proof(case, key, model.explain(pred, row))
        for key in case.expected.get("absent", []):
            pred, row = parse_fact(key)
            assert not model.holds(pred, row), f"{case.name}: {key} should not hold"
            with pytest.raises(NotDerived) as info:
                model.explain(pred, row)
            assert info.value.code == "not_derived"
    if "strata" in case.expected:
        assert program.strata == case.expected["strata"]


def run_roundtrip(case: Case) -> None:
    program = parse_program(case.text, case.file)
    text = program.to_text()
    again = parse_program(text, case.file)
    assert again.to_text() == text, "to_text() is not a fixpoint"
    assert [r.id for r in again.rules] == [r.id for r in program.rules]
    assert [(r.head, r.body) for r in again.rules] == [(r.head, r.body) for r in program.rules]
    model = again.evaluate(case.facts)
    # rows() rather than facts: the round trip is about the program, not the Python view
    got = {p: typed_rows(model.rows(p)) for p in model.facts}
    assert got == expected_model(case)
    for key, spec in case.expected.get("proofs", {}).items():
        pred, row = parse_fact(key)
        proof = model.explain(pred, row)
        assert proof.height == spec.get("height", proof.height), key
        assert proof.rule_id == spec.get("rule_id", proof.rule_id), key
    for key in case.expected.get("absent", []):
        assert not model.holds(*parse_fact(key)), key


def policyc_command() -> list[str]:
    script = Path(sys.executable).parent / "policyc"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "policyc.cli.main"]


def cli_args(case: Case) -> list[str]:
    """The ``policyc`` arguments for a case (facts are added by :func:`run_cli`)."""
    if case.negative:
        return ["datalog", case.file]
    args = ["datalog", case.file, "--json"]
    for p in sorted(case.expected["model"]):
        args += ["--query", p]
    for f in [*case.expected.get("proofs", {}), *case.expected.get("absent", [])]:
        args += ["--explain", f]
    return args


def run_cli(
    args: list[str], tmp_dir: Path, facts: dict[str, Any] | None
) -> subprocess.CompletedProcess[str]:
    cmd = [*policyc_command(), *args]
    if facts:
        tmp_dir.mkdir(parents=True, exist_ok=True)
        facts_file = tmp_dir / "facts.json"
        facts_file.write_text(json.dumps(facts), encoding="utf-8")
        cmd += ["--facts", str(facts_file)]
    return subprocess.run(
        cmd, cwd=CASES_DIR, capture_output=True, text=True, encoding="utf-8", timeout=120
    )


@pytest.fixture(scope="session")
def cli_results(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, subprocess.CompletedProcess[str]]:
    """Run the CLI for every selected case up front, a few processes at a time (start-up dominates)."""
    wanted = []
    for item in request.session.items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if params.get("runner") == "cli" and isinstance(params.get("case"), Case):
            wanted.append(params["case"])
    base = tmp_path_factory.mktemp("cli")

    def one(case: Case) -> tuple[str, subprocess.CompletedProcess[str]]:
        return case.name, run_cli(cli_args(case), base / case.name, case.facts)

    with ThreadPoolExecutor(max_workers=max(2, min(8, (os.cpu_count() or 2) * 2))) as pool:
        return dict(pool.map(one, wanted))


def node_label(node: dict[str, Any]) -> str:
    if node["kind"] == "check":
        return f"check {node['text']}"
    atom = fmt_atom(node["predicate"], node["args"])
    return f"not {atom}" if node["kind"] == "absence" else atom


def check_cli_proof(case: Case, key: str, doc: dict[str, Any]) -> None:
    spec = case.expected["proofs"][key]
    where = f"{case.name}: proof of {key}"
    assert doc["schema"] == "policyc.proof/1"
    nodes = {n["id"]: n for n in doc["nodes"]}
    root = nodes[doc["root"]]
    assert [typed(a) for a in root["args"]] == [typed(b) for b in parse_fact(key)[1]], where
    if "height" in spec:
        assert root["height"] == spec["height"], where
    if "kind" in spec:
        assert root["kind"] == spec["kind"], where
    if "rule_id" in spec:
        assert (root["rule"]["id"] if root["kind"] == "rule" else None) == spec["rule_id"], where
    if "source" in spec:
        src = root["rule"]["source"] if root["kind"] == "rule" else root.get("source")
        shown = f"{src['file']}:{src['line']}:{src['column']}" if src else None
        assert shown == spec["source"], where
    if "premises" in spec:
        assert [node_label(nodes[i]) for i in root["premises"]] == spec["premises"], where


def run_cli_positive(case: Case, result: subprocess.CompletedProcess[str]) -> None:
    proofs = list(case.expected.get("proofs", {}))
    absent = list(case.expected.get("absent", []))
    assert "Traceback" not in result.stderr
    assert result.returncode == (1 if absent else 0), result.stderr
    doc = json.loads(result.stdout)
    assert set(doc) == {"facts", "proofs"}
    got = {p: typed_rows(rows) for p, rows in doc["facts"].items()}
    assert got == expected_model(case)
    for pred, rows in doc["facts"].items():
        assert len(rows) == len(got[pred]), f"duplicate rows in {pred}"
    assert [e["fact"] for e in doc["proofs"]] == proofs + absent
    for entry in doc["proofs"][: len(proofs)]:
        assert "proof" in entry, entry
        check_cli_proof(case, entry["fact"], entry["proof"])
    for entry in doc["proofs"][len(proofs) :]:
        assert entry.get("error", {}).get("code") == "not_derived", entry


# ---------------------------------------------------------------------------------------------
# must-fail cases


def check_error_list(case: Case, got: list[tuple[str, int | None, int | None, str]]) -> None:
    expected = case.expected["errors"]
    assert [g[0] for g in got] == [e["code"] for e in expected], got
    for (code, line, column, message), e in zip(got, expected, strict=True):
        if "line" in e:
            assert line == e["line"], f"{code} at line {line}: {message}"
        if "column" in e:
            assert column == e["column"], f"{code} at {line}:{column}: {message}"
        if "message" in e:
            assert e["message"] in message, message
        assert message.strip(), f"empty message for {code}"


def within_text(text: str, line: int, column: int) -> bool:
    lines = text.split("\n")
    return 1 <= line <= len(lines) and 1 <= column <= len(lines[line - 1].rstrip("\r")) + 1


def run_library_negative(case: Case) -> None:
    try:
        program = parse_program(case.text, case.file)
        program.evaluate(case.facts)
    except DatalogErrors as e:
        errors: list[DatalogError] = list(e.errors)
        assert e.code == "invalid_program"
    except DatalogError as e:
        errors = [e]
    else:
        pytest.fail(f"{case.name}: no error raised")
    got = []
    for err in errors:
        p = err.position
        if p is not None:
            assert p.file == case.file
            assert within_text(case.text, p.line, p.column), (err.code, str(p))
        got.append((err.code, p.line if p else None, p.column if p else None, err.message))
    check_error_list(case, got)
    # in source order
    keys = [(g[1], g[2]) for g in got if g[1] is not None]
    assert keys == sorted(keys)


_RENDERED = re.compile(
    r"^(?:(?P<file>[^\s:][^:]*):(?P<line>\d+):(?P<col>\d+): )?error\[(?P<code>\w+)\]: (?P<msg>.*)$"
)


def run_cli_negative(case: Case, result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    got = []
    for i, line in enumerate(lines):
        m = _RENDERED.match(line)
        if not m:
            continue
        if m["file"] is None:
            got.append((m["code"], None, None, m["msg"]))
            continue
        assert m["file"] == case.file
        ln, col = int(m["line"]), int(m["col"])
        got.append((m["code"], ln, col, m["msg"]))
        # the source line and a caret under the column follow the message
        assert i + 2 < len(lines), f"no source line and caret after {line!r}"
        assert lines[i + 1] == f"  {ln:>4} | {case.text.splitlines()[ln - 1]}", lines[i : i + 3]
        caret = lines[i + 2]
        assert caret.startswith("       | "), caret
        assert caret.index("^") - len("       | ") == col - 1, caret
    check_error_list(case, got)


# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("case", "runner"), _params())
def test_case(case: Case, runner: str, request: pytest.FixtureRequest) -> None:
    if runner == "cli":
        result = request.getfixturevalue("cli_results")[case.name]
        if case.negative:
            run_cli_negative(case, result)
        else:
            run_cli_positive(case, result)
    elif case.negative:
        run_library_negative(case)
    elif runner == "library":
        run_library(case)
    else:
        run_roundtrip(case)


# ---------------------------------------------------------------------------------------------
# found while writing the corpus: regressions of fixed bugs, and open bugs (strict xfails)


def test_arithmetic_overflow_has_no_value() -> None:
    # int / int and int + float raised OverflowError for ints beyond the float range
    big = "9" * 400
    model = parse_program(
        f"n({big}).\nq(Y) :- n(X), Y = X / 3.\nr(Y) :- n(X), Y = X + 1.5.\ns(Y) :- n(X), Y = X + 1.\n"
    ).evaluate()
    assert model.facts["q"] == set() and model.facts["r"] == set()
    assert model.facts["s"] == {(int(big) + 1,)}


def test_explain_text_of_non_ground_atom_is_invalid_input() -> None:
    model = parse_program("p(1).").evaluate()
    with pytest.raises(DatalogErrors) as info:
        model.explain_text("p(X)")
    assert [e.code for e in info.value.errors] == ["invalid_fact"]


def test_rule_with_21_positive_atoms() -> None:
    body = ", ".join(f"q(X{i})" for i in range(21))
    model = parse_program(f"q(1).\np :- {body}.").evaluate()
    assert model.facts["p"] == {()}


def test_unterminated_block_comment_message() -> None:
    with pytest.raises(DatalogErrors) as info:
        parse_program("p.\n/* never closed\nq.\n")
    [error] = info.value.errors
    assert "comment" in error.message
