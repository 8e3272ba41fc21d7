"""``policyc datalog`` as a user runs it: a subprocess, its exit code, stdout and stderr.

Exit codes: 0 success, 1 an explained fact does not hold, 2 invalid input (a clean message, never
a traceback), 3 an internal error (a one-line message, never a traceback).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

PROGRAM = """\
% reachability
path(X, Y) :- edge(X, Y).
path(X, Y) :- edge(X, Z), path(Z, Y).
edge("a", "b").
ok.
label("é", "x y").
"""


def policyc(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).parent / "policyc"
    cmd = [str(script)] if script.exists() else [sys.executable, "-m", "policyc.cli.main"]
    return subprocess.run(
        [*cmd, *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )


def clean_failure(result: subprocess.CompletedProcess[str], code: int = 2) -> str:
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert result.stderr.strip()
    return result.stderr


@pytest.fixture
def work(tmp_path: Path) -> Path:
    (tmp_path / "tc.dl").write_text(PROGRAM, encoding="utf-8")
    (tmp_path / "facts.json").write_text(json.dumps({"edge": [["b", "c"]]}), encoding="utf-8")
    return tmp_path


# ---------------------------------------------------------------------------------------------
# output


def test_text_output_with_proofs(work: Path) -> None:
    r = policyc(
        "datalog",
        "tc.dl",
        "--facts",
        "facts.json",
        "--explain",
        'path("a", "c")',
        "--explain",
        "ok",
        cwd=work,
    )
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    assert r.stdout == (
        "path: 3 fact(s)\n"
        '  path("a", "b")\n'
        '  path("a", "c")\n'
        '  path("b", "c")\n'
        "\n"
        'why path("a", "c"):\n'
        'path("a", "c")   [rule path#2 at tc.dl:3:1; X = "a", Y = "c", Z = "b"]\n'
        '├── edge("a", "b")   [fact at tc.dl:4:1]\n'
        '└── path("b", "c")   [rule path#1 at tc.dl:2:1; X = "b", Y = "c"]\n'
        '    └── edge("b", "c")   [input]\n'
        "\n"
        "why ok:\n"
        "ok   [fact at tc.dl:5:1]\n"
    )


def test_query_selects_predicates_in_the_given_order(work: Path) -> None:
    r = policyc(
        "datalog", "tc.dl", "--query", "ok", "--query", "label", "--query", "edge", cwd=work
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout == (
        "ok: 1 fact(s)\n"
        "  ok\n"
        "label: 1 fact(s)\n"
        '  label("é", "x y")\n'
        "edge: 1 fact(s)\n"
        '  edge("a", "b")\n'
    )


def _check_proof_schema(doc: dict[str, Any]) -> None:
    assert doc["schema"] == "policyc.proof/1"
    assert doc["root"] == 0
    ids = [n["id"] for n in doc["nodes"]]
    assert ids == list(range(len(ids)))
    for n in doc["nodes"]:
        assert n["kind"] in {"rule", "fact", "absence", "check"}
        assert isinstance(n["height"], int) and n["height"] >= 0
        assert all(p in ids and p > n["id"] for p in n["premises"])
        if n["kind"] == "rule":
            assert set(n) == {
                "id",
                "kind",
                "height",
                "predicate",
                "args",
                "rule",
                "bindings",
                "premises",
            }
            assert set(n["rule"]) == {"id", "source"}
            assert n["height"] == 1 + max(
                (doc["nodes"][p]["height"] for p in n["premises"]), default=0
            )
        elif n["kind"] == "fact":
            assert set(n) == {
                "id",
                "kind",
                "height",
                "predicate",
                "args",
                "origin",
                "source",
                "premises",
            }
            assert n["origin"] in {"input", "program"}
            assert n["premises"] == []
        elif n["kind"] == "check":
            assert {"op", "args", "text"} <= set(n)


def test_json_output_schema(work: Path) -> None:
    r = policyc(
        "datalog",
        "tc.dl",
        "--facts",
        "facts.json",
        "--json",
        "--query",
        "path",
        "--query",
        "label",
        "--explain",
        'path("a", "c")',
        cwd=work,
    )
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc == {
        "facts": {
            "path": [["a", "b"], ["a", "c"], ["b", "c"]],
            "label": [["é", "x y"]],
        },
        "proofs": [{"fact": 'path("a", "c")', "proof": doc["proofs"][0]["proof"]}],
    }
    proof = doc["proofs"][0]["proof"]
    _check_proof_schema(proof)
    root = proof["nodes"][0]
    assert root["predicate"] == "path" and root["args"] == ["a", "c"]
    assert root["rule"] == {"id": "path#2", "source": {"file": "tc.dl", "line": 3, "column": 1}}
    assert root["bindings"] == {"X": "a", "Y": "c", "Z": "b"}
    assert root["height"] == 2
    leaves = {(n["predicate"], tuple(n["args"])): n for n in proof["nodes"] if n["kind"] == "fact"}
    assert leaves[("edge", ("a", "b"))]["origin"] == "program"
    assert leaves[("edge", ("a", "b"))]["source"] == {"file": "tc.dl", "line": 4, "column": 1}
    assert leaves[("edge", ("b", "c"))]["origin"] == "input"
    assert leaves[("edge", ("b", "c"))]["source"] is None


def test_json_values_keep_their_types(tmp_path: Path) -> None:
    (tmp_path / "v.dl").write_text(
        'v(1, 1.0, true, "1", -2, 2.5e3).\nw(X) :- v(X, _, _, _, _, _).\n', encoding="utf-8"
    )
    r = policyc("datalog", "v.dl", "--json", "--query", "v", "--query", "w", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    [row] = doc["facts"]["v"]
    assert [type(x).__name__ for x in row] == ["int", "float", "bool", "str", "int", "float"]
    assert row == [1, 1.0, True, "1", -2, 2500.0]
    assert doc["facts"]["w"] == [[1]]


def test_default_query_is_every_derived_predicate(tmp_path: Path) -> None:
    (tmp_path / "p.dl").write_text("b(X) :- a(X).\na(1).\nc :- not b(2).\n", encoding="utf-8")
    r = policyc("datalog", "p.dl", "--json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"facts": {"b": [[1]], "c": [[]]}, "proofs": []}


def test_program_from_stdin(tmp_path: Path) -> None:
    r = policyc("datalog", "-", "--json", cwd=tmp_path, stdin="q(X) :- p(X).\np(1).\n")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["facts"] == {"q": [[1]]}
    bad = policyc("datalog", "-", cwd=tmp_path, stdin="q(X) :- p(Y).\n")
    err = clean_failure(bad)
    assert err.startswith("<stdin>:1:3: error[unsafe_variable]: ")


# ---------------------------------------------------------------------------------------------
# --explain


def test_explain_of_a_fact_that_does_not_hold_exits_1(work: Path) -> None:
    r = policyc("datalog", "tc.dl", "--explain", 'path("c", "a")', "--explain", "ok", cwd=work)
    assert r.returncode == 1
    assert "Traceback" not in r.stderr
    assert 'path("c", "a"): path("c", "a") does not hold in this model' in r.stdout
    assert "why ok:\nok   [fact at tc.dl:5:1]" in r.stdout  # the other proof is still printed

    j = policyc(
        "datalog", "tc.dl", "--json", "--explain", 'path("c", "a")', "--explain", "ok", cwd=work
    )
    assert j.returncode == 1
    proofs = json.loads(j.stdout)["proofs"]
    assert proofs[0] == {
        "fact": 'path("c", "a")',
        "error": {"code": "not_derived", "message": 'path("c", "a") does not hold in this model'},
    }
    assert proofs[1]["fact"] == "ok" and proofs[1]["proof"]["nodes"][0]["kind"] == "fact"


def test_explain_that_is_not_an_atom_exits_2(work: Path) -> None:
    err = clean_failure(policyc("datalog", "tc.dl", "--explain", 'path("a", ', cwd=work))
    assert err.startswith("policyc datalog: --explain 'path(\"a\", ': ")
    err = clean_failure(policyc("datalog", "tc.dl", "--explain", "p :- q", cwd=work))
    assert "--explain" in err


def test_explain_with_a_variable_is_invalid_input(work: Path) -> None:
    err = clean_failure(policyc("datalog", "tc.dl", "--explain", 'path(X, "b")', cwd=work))
    assert "ground" in err


# ---------------------------------------------------------------------------------------------
# invalid input: exit 2, a clean message


def test_missing_program_file(tmp_path: Path) -> None:
    err = clean_failure(policyc("datalog", "nope.dl", cwd=tmp_path))
    assert err.startswith("policyc datalog: cannot read nope.dl: ")
    assert err.count("\n") == 1


def test_program_file_that_is_a_directory_or_not_utf8(tmp_path: Path) -> None:
    err = clean_failure(policyc("datalog", ".", cwd=tmp_path))
    assert "cannot read ." in err
    (tmp_path / "bin.dl").write_bytes(b"p(\xff).\n")
    err = clean_failure(policyc("datalog", "bin.dl", cwd=tmp_path))
    assert "cannot read bin.dl" in err


def test_bad_facts_files(work: Path) -> None:
    (work / "bad.json").write_text('{"edge": [["a", "b"]],\n  oops}', encoding="utf-8")
    err = clean_failure(policyc("datalog", "tc.dl", "--facts", "bad.json", cwd=work))
    assert err.startswith("policyc datalog: bad.json:2:3: invalid JSON: ")

    (work / "list.json").write_text("[1, 2]", encoding="utf-8")
    err = clean_failure(policyc("datalog", "tc.dl", "--facts", "list.json", cwd=work))
    assert "list.json: expected a JSON object" in err

    err = clean_failure(policyc("datalog", "tc.dl", "--facts", "missing.json", cwd=work))
    assert "cannot read missing.json" in err

    (work / "arity.json").write_text('{"edge": [["a"]], "Edge": [[1]]}', encoding="utf-8")
    err = clean_failure(policyc("datalog", "tc.dl", "--facts", "arity.json", cwd=work))
    assert err.splitlines() == [
        "error[invalid_fact]: fact 1 of 'edge' has 1 value(s); 'edge' takes 2",
        "error[invalid_fact]: 'Edge' is not a predicate name (lower-case identifier)",
    ]


def test_bad_program_is_rendered_compiler_style(tmp_path: Path) -> None:
    (tmp_path / "bad.dl").write_text(
        'edge(1, 2).\np(X) :- edge(X, Y), not q(Z).\nr(X) :- edge(X), @glob(X, "a/**b").\n',
        encoding="utf-8",
    )
    err = clean_failure(policyc("datalog", "bad.dl", cwd=tmp_path))
    lines = err.splitlines()
    assert len(lines) == 9, lines
    heads, sources, carets = lines[0::3], lines[1::3], lines[2::3]
    assert [h.split(": error[")[0] for h in heads] == ["bad.dl:2:27", "bad.dl:3:9", "bad.dl:3:27"]
    assert [h.split("error[")[1].split("]")[0] for h in heads] == [
        "unsafe_variable",
        "arity_mismatch",
        "invalid_pattern",
    ]
    assert "'Z'" in heads[0]
    assert "'edge'" in heads[1] and "bad.dl:1:1" in heads[1]
    assert "a/**b" in heads[2]
    assert sources == [
        "     2 | p(X) :- edge(X, Y), not q(Z).",
        '     3 | r(X) :- edge(X), @glob(X, "a/**b").',
        '     3 | r(X) :- edge(X), @glob(X, "a/**b").',
    ]
    # the caret spans the offending text: the variable, the atom, the pattern
    assert carets == [
        "       | " + " " * 26 + "^",
        "       | " + " " * 8 + "^" * len("edge(X)"),
        "       | " + " " * 26 + "^" * len('"a/**b"'),
    ]


def test_syntax_error_is_rendered_with_a_caret(tmp_path: Path) -> None:
    (tmp_path / "s.dl").write_text("p(1).\nq(X) :- p(X) & r(X).\n", encoding="utf-8")
    err = clean_failure(policyc("datalog", "s.dl", cwd=tmp_path))
    lines = err.splitlines()
    assert lines[0].startswith("s.dl:2:14: error[syntax_error]: unexpected character '&'")
    assert lines[1:] == ["     2 | q(X) :- p(X) & r(X).", "       |              ^"]


def test_unknown_query_predicate(work: Path) -> None:
    err = clean_failure(policyc("datalog", "tc.dl", "--query", "nope", "--query", "path", cwd=work))
    assert err == "policyc datalog: unknown predicate(s) in --query: nope\n"


def test_runtime_evaluation_error(tmp_path: Path) -> None:
    (tmp_path / "e.dl").write_text("m(T) :- t(T), pat(P), @regex(T, P).\n", encoding="utf-8")
    (tmp_path / "f.json").write_text('{"t": [["x"]], "pat": [["("]]}', encoding="utf-8")
    err = clean_failure(policyc("datalog", "e.dl", "--facts", "f.json", cwd=tmp_path))
    assert err.startswith("error[evaluation_error]: invalid regular expression '('")


def test_no_arguments_prints_usage() -> None:
    r = policyc(cwd=Path.cwd())
    assert r.returncode == 2
    assert r.stdout == ""
    assert r.stderr.startswith("usage: policyc")
    assert "datalog" in r.stderr
    assert "Traceback" not in r.stderr


def test_datalog_without_file_and_version(tmp_path: Path) -> None:
    r = policyc("datalog", cwd=tmp_path)
    assert r.returncode == 2
    assert "the following arguments are required: file" in r.stderr
    v = policyc("--version", cwd=tmp_path)
    assert v.returncode == 0
    assert v.stdout.strip() == "policyc 0.1.0"


def test_internal_error_is_one_line_and_exit_3(tmp_path: Path) -> None:
    (tmp_path / "p.dl").write_text("p(1).\n", encoding="utf-8")
    code = (
        "import sys, policyc.engine as E\n"
        "def boom(*a, **k): raise RuntimeError('boom')\n"
        "E.parse_program = boom\n"
        "from policyc.cli.main import main\n"
        "sys.exit(main(['datalog', 'p.dl']))\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 3
    assert r.stderr == "policyc: internal error: RuntimeError: boom\n"


# ---------------------------------------------------------------------------------------------
# regressions of bugs already fixed, and bugs found (strict xfails)


def test_lone_surrogate_escape_does_not_crash(tmp_path: Path) -> None:
    (tmp_path / "s.dl").write_text('p("\\ud800").\n', encoding="utf-8")
    r = policyc("datalog", "s.dl", "--query", "p", cwd=tmp_path)
    assert r.returncode in (0, 2), r.stderr
    assert "internal error" not in r.stderr
    j = policyc("datalog", "s.dl", "--query", "p", "--json", cwd=tmp_path)
    assert j.returncode in (0, 2), j.stderr
    if j.returncode == 0:
        assert json.loads(j.stdout)["facts"]["p"] == [["\ud800"]]


def test_json_output_is_strict_json(tmp_path: Path) -> None:
    # arithmetic that overflows to infinity (or NaN) has no value, so it never reaches the output
    (tmp_path / "inf.dl").write_text(
        "p(Y) :- Y = 1e308 * 10.\nq(Y) :- Y = 1e308 * 10 - 1e308 * 10.\nr(Y) :- Y = 1e308 + 1.\n",
        encoding="utf-8",
    )
    r = policyc("datalog", "inf.dl", "--json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr

    def strict(token: str) -> None:
        raise ValueError(f"not JSON: {token}")

    assert json.loads(r.stdout, parse_constant=strict)["facts"] == {
        "p": [],
        "q": [],
        "r": [[1e308]],
    }


def test_rule_with_many_atoms(tmp_path: Path) -> None:
    body = ", ".join(f"q(X{i})" for i in range(21))
    (tmp_path / "big.dl").write_text(f"q(1).\np :- {body}.\n", encoding="utf-8")
    r = policyc("datalog", "big.dl", "--json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["facts"] == {"p": [[]]}


def test_missing_final_dot_shows_the_source_line(tmp_path: Path) -> None:
    (tmp_path / "f.dl").write_text("p :- q\n", encoding="utf-8")
    err = clean_failure(policyc("datalog", "f.dl", cwd=tmp_path))
    lines = err.splitlines()
    assert len(lines) == 3 and lines[1] == "     1 | p :- q", lines
