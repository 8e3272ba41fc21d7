"""Every diagnostic code of ``policyc check``, produced from a policy and found where it belongs.

``tests/lang/neg_<code>.policy`` is a policy that must fail (or warn) with ``<code>``;
``neg_<code>.expected.json`` lists every diagnostic ``check_paths`` must report for it:
``[{"code": ..., "line": ..., "column": ...}]`` (``line``/``column`` are null for a diagnostic
without a position; an optional ``"file"``, relative to ``tests/lang``, names another file than
the case itself, such as a module it imports). No other diagnostic is allowed. The few codes that need another setup than
one policy file (an unreadable path, an empty directory, a standard-library file, a crash) are
tested in Python below; a last test checks that together they cover every code in ``CODES``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from policyc.lang import checker as checker_module
from policyc.lang import loader
from policyc.lang.checker import check_paths, check_texts
from policyc.lang.codes import CODES
from policyc.lang.diagnostics import SEVERITIES
from tests.lang.corpus import LANG_DIR, NEG_SUPPORT_DIR

NEG_CASES = sorted(LANG_DIR.glob("neg_*.policy"))

# Modules a case needs loaded before it (given on the command line, not imported).
EXTRA_PATHS: dict[str, list[Path]] = {
    "duplicate_module": [NEG_SUPPORT_DIR / "twin.policy"],
}


def _code(path: Path) -> str:
    return path.stem.removeprefix("neg_")


def _expected(path: Path) -> list[dict[str, Any]]:
    data = json.loads(path.with_name(path.stem + ".expected.json").read_text("utf-8"))
    assert isinstance(data, list) and data, "expected a non-empty list of diagnostics"
    for entry in data:
        assert set(entry) - {"file"} == {"code", "line", "column"}, entry
    return data


@pytest.mark.parametrize("path", NEG_CASES, ids=[_code(p) for p in NEG_CASES])
def test_negative_case(path: Path) -> None:
    code = _code(path)
    assert code in CODES, f"{path.name} is named after no diagnostic code"
    expected = _expected(path)
    assert code in {e["code"] for e in expected}, "the case must expect its own code"

    result = check_paths([*EXTRA_PATHS.get(code, []), path])

    got = []
    for d in result.diagnostics:
        assert d.code in CODES, f"undocumented code {d.code}"
        assert d.severity in SEVERITIES
        assert d.severity == CODES[d.code][0], f"{d.code} reported as {d.severity}"
        assert d.message.strip()
        entry: dict[str, Any] = {
            "code": d.code,
            "line": d.position.line if d.position else None,
            "column": d.position.column if d.position else None,
        }
        if d.position is not None and Path(d.position.file) != path:
            entry["file"] = Path(d.position.file).relative_to(LANG_DIR).as_posix()
        got.append(entry)
    key = lambda e: (e["code"], e.get("file", ""), e["line"] or 0, e["column"] or 0)  # noqa: E731
    assert sorted(got, key=key) == sorted(expected, key=key), "\n".join(
        str(d) for d in result.diagnostics
    )
    # fail closed: any error refuses the policy set; warnings and notes do not
    if any(d.severity == "error" for d in result.diagnostics):
        assert result.policy_set is None
    else:
        assert result.policy_set is not None


def test_every_case_has_its_expectation() -> None:
    policies = {p.stem for p in NEG_CASES}
    expectations = {p.name.removesuffix(".expected.json") for p in LANG_DIR.glob("neg_*.json")}
    assert policies == expectations


# ---------------------------------------------------------------------------------------------
# codes that need another setup than a single policy file


def test_io_error_missing_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.policy"
    result = check_paths([missing])
    assert [(d.code, d.severity) for d in result.errors] == [("io_error", "error")]
    assert str(missing) in result.errors[0].message
    assert result.policy_set is None


def test_io_error_undecodable_file(tmp_path: Path) -> None:
    bad = tmp_path / "latin1.policy"
    bad.write_bytes(b'module m\ndefault allow\np("caf\xe9").\n')
    result = check_paths([bad])
    assert "io_error" in {d.code for d in result.errors}
    assert result.policy_set is None


def test_no_policies_in_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a policy", "utf-8")
    result = check_paths([tmp_path])
    found = [d for d in result.diagnostics if d.code == "no_policies"]
    assert len(found) == 1 and found[0].severity == "warning"
    assert not result.errors


def _fake_stdlib(monkeypatch: pytest.MonkeyPatch, root: Path) -> None:
    monkeypatch.setattr(loader, "_stdlib_root", lambda: root)


def test_module_name_mismatch_in_the_standard_library(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The shipped standard library is empty; a stand-in shows how a mislabelled file is refused.
    stdlib = tmp_path / "stdlib"
    (stdlib / "corp").mkdir(parents=True)
    (stdlib / "corp" / "tools.policy").write_text(
        'module corp.other\n\ndefault allow\n\nhelper("x").\n', "utf-8"
    )
    _fake_stdlib(monkeypatch, stdlib)
    project = tmp_path / "project" / "p.policy"
    project.parent.mkdir()
    project.write_text("module p\n\nimport corp.tools\n\ndefault allow\n", "utf-8")
    result = check_paths([project])
    found = [d for d in result.diagnostics if d.code == "module_name_mismatch"]
    assert len(found) == 1 and found[0].severity == "error"
    assert found[0].position is not None
    assert found[0].position.file == "<stdlib>/corp/tools.policy"
    assert (found[0].position.line, found[0].position.column) == (1, 8)
    assert result.policy_set is None


def test_standard_library_import_resolves(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The counterpart of the mismatch: a well-labelled library module is found and used."""
    stdlib = tmp_path / "stdlib"
    (stdlib / "corp").mkdir(parents=True)
    (stdlib / "corp" / "tools.policy").write_text(
        'module corp.tools\n\ndefault allow\n\nbad_tool("rm").\n', "utf-8"
    )
    _fake_stdlib(monkeypatch, stdlib)
    project = tmp_path / "p.policy"
    project.write_text(
        "module p\n\nimport corp.tools\n\ndefault allow\n\n"
        'deny p.bad\n  when tool.name = T, tools.bad_tool(T)\n  reason "bad {T}"\n',
        "utf-8",
    )
    result = check_paths([project])
    assert not result.errors, result.diagnostics
    assert result.policy_set is not None
    assert "corp.tools" in result.policy_set.modules
    assert "<stdlib>/corp/tools.policy" in result.texts


def test_internal_error_fails_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object) -> list[object]:
        raise RuntimeError("lint exploded")

    monkeypatch.setattr(checker_module, "lint", boom)
    result = check_texts(
        {"p.policy": 'module p\ndefault allow\ndeny p.x when reads_file(P) reason "x"\n'}
    )
    found = [d for d in result.diagnostics if d.code == "internal_error"]
    assert len(found) == 1 and found[0].severity == "error"
    assert "lint exploded" in found[0].message
    assert result.policy_set is None


PYTHON_TESTED = {
    "io_error": test_io_error_missing_path,
    "no_policies": test_no_policies_in_empty_directory,
    "module_name_mismatch": test_module_name_mismatch_in_the_standard_library,
    "internal_error": test_internal_error_fails_closed,
}


def test_every_code_is_covered() -> None:
    by_file = {_code(p) for p in NEG_CASES}
    assert not by_file & set(PYTHON_TESTED), "a code is tested twice"
    assert by_file | set(PYTHON_TESTED) == set(CODES)


def test_codes_table_is_well_formed() -> None:
    for code, (severity, description) in CODES.items():
        assert code.isidentifier() and code == code.lower()
        assert severity in SEVERITIES
        assert description.strip().endswith(".")


# ---------------------------------------------------------------------------------------------
# diagnostics that should be reported but are not (bugs), each a strict xfail


def test_unsafe_use_of_an_on_demand_helper_is_reported() -> None:
    """Regression: 'p(X, Y) :- reads_file(X).' used as 'p(X, Y)' binds Y nowhere; it used to
    compile (the demand transformation made it look safe) and the deny rule silently never
    fired."""
    text = (
        "module m\ndefault allow\np(X, Y) :- reads_file(X).\n"
        'deny m.d\n  when p(X, Y)\n  reason "x"\n'
    )
    result = check_texts({"m.policy": text})
    found = [d for d in result.errors if d.code == "unsafe_variable"]
    assert found and found[0].position is not None
    assert (found[0].position.line, found[0].position.column) == (5, 8)
    assert "'Y'" in found[0].message
    assert result.policy_set is None


def test_on_demand_helper_with_its_argument_bound_is_fine() -> None:
    text = (
        'module m\ndefault allow\nin_repo(P) :- starts_with(P, "/repo/").\n'
        'deny m.d\n  when reads_file(P), in_repo(P)\n  reason "{P}"\n'
    )
    result = check_texts({"m.policy": text})
    assert not result.diagnostics and result.policy_set is not None


def test_unsafe_anonymous_argument_message_names_what_was_written() -> None:
    text = (
        "module m\ndefault allow\np(X, Y) :- reads_file(X).\n"
        'deny m.d\n  when p(X, _)\n  reason "x"\n'
    )
    (d,) = check_texts({"m.policy": text}).errors
    assert d.code == "unsafe_variable"
    assert "_?" not in d.message


def test_on_demand_helper_with_too_few_arguments_is_an_arity_mismatch() -> None:
    text = (
        'module m\ndefault allow\nsecret_path(P) :- glob(P, "**/.env").\n'
        'deny m.d\n  when reads_file(P), secret_path()\n  reason "x"\n'
    )
    result = check_texts({"m.policy": text})
    assert [(d.code, d.position.line if d.position else None) for d in result.errors] == [
        ("arity_mismatch", 5)
    ]


def test_on_demand_helper_with_too_many_arguments_is_an_arity_mismatch() -> None:
    text = (
        'module m\ndefault allow\nsecret_path(P) :- glob(P, "**/.env").\n'
        'deny m.d\n  when reads_file(P), secret_path(P, P)\n  reason "x"\n'
    )
    result = check_texts({"m.policy": text})
    assert [(d.code, d.position.line if d.position else None) for d in result.errors] == [
        ("arity_mismatch", 5)
    ]


@pytest.mark.parametrize(
    "snippet",
    [
        'p("a\tb").',
        'p("a\x00b").',
        'deny m.d when command in ["a\rb"] reason "x"',
        'deny m.d when reads_file(P) reason "tab\there"',
        'test "a\x01b" { action { action_type: "file.read" } expect allow }',
    ],
)
def test_control_character_in_string_is_no_crash(snippet: str) -> None:
    """Raw control characters in strings (the grammar allows them) are kept, never a crash."""
    result = check_texts({"m.policy": "module m\ndefault allow\n" + snippet + "\n"})
    assert not result.errors, result.diagnostics


def test_module_named_after_an_odd_file_name_compiles_to_valid_datalog() -> None:
    from policyc.engine import parse_program

    result = check_texts(
        {"2fa checks.policy": 'default allow\np("x").\ndeny d when p(X) reason "{X}"\n'}
    )
    assert result.policy_set is not None
    parse_program(result.policy_set.program.to_text())


def test_lone_surrogate_is_not_an_internal_error() -> None:
    result = check_texts({"m.policy": 'module m\ndefault allow\np("\ud800").\n'})
    assert "internal_error" not in {d.code for d in result.diagnostics}
