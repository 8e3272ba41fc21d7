"""The policy-language commands as a user runs them (``policyc check|compile|fmt|test``: a
subprocess, its exit code, stdout and stderr), and the signed compile cache.

Exit codes: 0 success (warnings and notes included), 1 errors or failed tests (warnings too with
``check --strict``), 2 bad input such as a missing path, 3 an internal error.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from policyc.action.model import parse_action
from policyc.decision.verdict import evaluate
from policyc.engine import parse_program
from policyc.lang import cache as cache_module
from policyc.lang.cache import load_policy_set
from policyc.lang.checker import check_paths
from policyc.lang.codes import CODES
from policyc.lang.testing import run_test
from policyc.normalize import action_facts

LANG = Path(__file__).parent / "lang"
CASES = LANG / "cases"
FMT = LANG / "fmt"


def policyc(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).parent / "policyc"
    cmd = [str(script)] if script.exists() else [sys.executable, "-m", "policyc.cli.main"]
    return subprocess.run(
        [*cmd, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def no_traceback(r: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in r.stderr and "Traceback" not in r.stdout


# A policy with one error, one warning and one note.
MIXED = """\
module mixed

default deny

allow mixed.reads
  when action_type = "file.read"
  reason "reads are fine"

deny mixed.secrets
  when action_type = "file.read", glob(resource.path, "**/.env")

alert mixed.typo
  when environment = "prodution"
  reason "there is no such environment"
"""

WARN_ONLY = """\
module warn

default allow

deny warn.read
  when action_type = "file.read"
"""


@pytest.fixture
def work(tmp_path: Path) -> Path:
    (tmp_path / "mixed.policy").write_text(MIXED, "utf-8")
    (tmp_path / "warn.policy").write_text(WARN_ONLY, "utf-8")
    for p in CASES.glob("*.policy"):
        shutil.copy(p, tmp_path / p.name)
    return tmp_path


# ---------------------------------------------------------------------------------------------
# policyc check


def test_check_clean_exits_0(work: Path) -> None:
    r = policyc("check", "tools.policy", cwd=work)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout == ""
    assert r.stderr.strip() == "0 error(s), 0 warning(s), 0 note(s)"


def test_check_notes_only_exits_0(work: Path) -> None:
    r = policyc("check", "git.policy", "--strict", cwd=work)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "info[allow_overlaps_deny]" in r.stdout
    assert "1 note(s)" in r.stderr


def test_check_warnings_exit_0_and_1_with_strict(work: Path) -> None:
    r = policyc("check", "warn.policy", cwd=work)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "warning[missing_reason]" in r.stdout
    assert "0 error(s), 1 warning(s), 0 note(s)" in r.stderr
    r = policyc("check", "--strict", "warn.policy", cwd=work)
    assert r.returncode == 1
    no_traceback(r)


def test_check_errors_exit_1_with_carets(work: Path) -> None:
    r = policyc("check", "mixed.policy", cwd=work)
    assert r.returncode == 1
    no_traceback(r)
    lines = r.stdout.splitlines()
    i = lines.index(next(x for x in lines if "error[invalid_value]" in x))
    assert lines[i].startswith("mixed.policy:13:22: error[invalid_value]:")
    assert lines[i + 1] == '    13 |   when environment = "prodution"'
    assert lines[i + 2] == "       |                      ^^^^^^^^^^^"
    assert "1 error(s), 1 warning(s), 1 note(s)" in r.stderr


def test_check_missing_path_exits_2(work: Path) -> None:
    r = policyc("check", "nope.policy", cwd=work)
    assert r.returncode == 2
    no_traceback(r)
    assert "io_error" in r.stdout and "nope.policy" in r.stdout
    r = policyc("check", "tools.policy", "nope.policy", cwd=work)
    assert r.returncode == 2


def test_check_empty_directory_warns(work: Path) -> None:
    (work / "empty").mkdir()
    r = policyc("check", "empty", cwd=work)
    assert r.returncode == 0
    assert "warning[no_policies]" in r.stdout
    assert policyc("check", "--strict", "empty", cwd=work).returncode == 1


def test_check_json(work: Path) -> None:
    r = policyc("check", "--format", "json", "mixed.policy", cwd=work)
    assert r.returncode == 1
    assert r.stderr == ""
    doc = json.loads(r.stdout)
    assert set(doc) == {"diagnostics", "summary"}
    assert doc["summary"] == {"error": 1, "warning": 1, "info": 1}
    for d in doc["diagnostics"]:
        assert set(d) == {"code", "severity", "message", "hint", "position", "related"}
        assert d["code"] in CODES and d["severity"] == CODES[d["code"]][0]
        assert set(d["position"]) == {"file", "line", "column"}
        assert d["position"]["file"] == "mixed.policy"
        assert isinstance(d["related"], list)
    library = check_paths([work / "mixed.policy"]).diagnostics
    assert [
        (d["code"], d["position"]["line"], d["position"]["column"]) for d in doc["diagnostics"]
    ] == [(d.code, d.position.line, d.position.column) for d in library if d.position]
    assert {d["code"] for d in doc["diagnostics"]} == {
        "allow_overlaps_deny",
        "missing_reason",
        "invalid_value",
    }
    hint = next(d["hint"] for d in doc["diagnostics"] if d["code"] == "invalid_value")
    assert hint == 'did you mean "production"?'


def test_check_json_clean(work: Path) -> None:
    r = policyc("check", "--format", "json", "tools.policy", cwd=work)
    assert r.returncode == 0
    assert json.loads(r.stdout) == {
        "diagnostics": [],
        "summary": {"error": 0, "warning": 0, "info": 0},
    }


def test_check_sarif(work: Path) -> None:
    r = policyc("check", "--format", "sarif", "mixed.policy", cwd=work)
    assert r.returncode == 1
    doc = json.loads(r.stdout)
    assert doc["version"] == "2.1.0"
    assert "sarif" in doc["$schema"]
    (run,) = doc["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "policyc" and driver["version"]
    rules = driver["rules"]
    assert [rule["id"] for rule in rules] == sorted(
        {"allow_overlaps_deny", "missing_reason", "invalid_value"}
    )
    for rule in rules:
        assert rule["shortDescription"]["text"] == CODES[rule["id"]][1]
        level = {"error": "error", "warning": "warning", "info": "note"}[CODES[rule["id"]][0]]
        assert rule["defaultConfiguration"]["level"] == level
    levels = set()
    for result in run["results"]:
        rule = rules[result["ruleIndex"]]
        assert result["ruleId"] == rule["id"]
        assert result["level"] in {"error", "warning", "note"}
        assert result["level"] == rule["defaultConfiguration"]["level"]
        levels.add(result["level"])
        assert result["message"]["text"]
        (loc,) = result["locations"]
        phys = loc["physicalLocation"]
        assert phys["artifactLocation"]["uri"] == "mixed.policy"
        region = phys["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1
        assert (region["endLine"], region["endColumn"]) >= (
            region["startLine"],
            region["startColumn"],
        )
    assert levels == {"error", "warning", "note"}
    by_rule = {x["ruleId"]: x["locations"][0]["physicalLocation"]["region"] for x in run["results"]}
    assert by_rule["invalid_value"] == {
        "startLine": 13,
        "startColumn": 22,
        "endLine": 13,
        "endColumn": 33,
    }


def test_check_sarif_without_position_and_absolute_uri(work: Path) -> None:
    (work / "nodefault.policy").write_text(
        'module nd\n\ndeny nd.x\n  when action_type = "file.read"\n  reason "x"\n', "utf-8"
    )
    r = policyc("check", "--format", "sarif", str(work / "nodefault.policy"), cwd=work)
    assert r.returncode == 0
    (result,) = json.loads(r.stdout)["runs"][0]["results"]
    assert result["ruleId"] == "no_default" and result["level"] == "warning"
    assert "locations" not in result
    r = policyc("check", "--format", "sarif", str(work / "warn.policy"), cwd=work)
    (result,) = json.loads(r.stdout)["runs"][0]["results"]
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri.startswith("file:///") and uri.endswith("/warn.policy")


@pytest.mark.parametrize(
    "paths",
    [
        ["neg_syntax_error.policy"],
        ["neg_unknown_attribute.policy"],
        ["neg_no_default.policy"],
        ["neg_unused_predicate.policy"],
        ["neg_support/twin.policy", "neg_duplicate_module.policy"],
    ],
    ids=lambda p: p[-1].removesuffix(".policy"),
)
def test_check_json_agrees_with_the_negative_corpus(paths: list[str]) -> None:
    """The CLI reports exactly what tests/lang/neg_<code>.expected.json lists."""
    r = policyc("check", "--format", "json", *paths, cwd=LANG)
    no_traceback(r)
    doc = json.loads(r.stdout)
    got = sorted(
        (d["code"], d["position"]["line"] if d["position"] else None,
         d["position"]["column"] if d["position"] else None)
        for d in doc["diagnostics"]
    )  # fmt: skip
    expected = json.loads(
        (LANG / paths[-1].replace(".policy", ".expected.json")).read_text("utf-8")
    )
    assert got == sorted((e["code"], e["line"], e["column"]) for e in expected)
    errors = any(CODES[code][0] == "error" for code, _, _ in got)
    assert r.returncode == (1 if errors else 0)


# ---------------------------------------------------------------------------------------------
# policyc compile


def test_compile_output_parses_with_the_engine(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    r = policyc("compile", "tools.policy", cwd=work)
    assert r.returncode == 0, r.stderr
    program = parse_program(r.stdout, "compiled.dl")
    monkeypatch.chdir(work)
    library = check_paths(["tools.policy"]).policy_set
    assert library is not None
    assert r.stdout == library.program.to_text()
    action = parse_action(
        {"action_type": "tool.call", "tool": {"name": "sql", "input": {"query": "drop table x"}}},
        trusted=True,
    )
    facts = action_facts(action)
    assert program.evaluate(facts).facts == library.program.evaluate(facts).facts
    assert program.evaluate(facts).query("outcome.tools.drop_table") == {("drop table x",)}
    assert '#[id = "tools.drop_table", source = "tools.policy:' in r.stdout


def test_compile_output_with_unless_parses(work: Path) -> None:
    """Regression: the exception predicates of 'unless' used to have numeric name segments."""
    r = policyc("compile", "project.policy", cwd=work)
    assert r.returncode == 0, r.stderr
    program = parse_program(r.stdout, "compiled.dl")
    assert any(p.startswith("unless.") for p in program.predicates)
    assert any(p.startswith("demand.") for p in program.predicates)


def test_compile_refuses_errors(work: Path) -> None:
    r = policyc("compile", "mixed.policy", cwd=work)
    assert r.returncode == 1
    assert r.stdout == ""
    assert "error[invalid_value]" in r.stderr
    assert "missing_reason" not in r.stderr  # only the errors
    r = policyc("compile", "nope.policy", cwd=work)
    assert r.returncode == 2 and r.stdout == ""
    no_traceback(r)


# ---------------------------------------------------------------------------------------------
# policyc fmt


def test_fmt_prints_the_canonical_form(work: Path) -> None:
    shutil.copy(FMT / "spacing.input.policy", work / "spacing.policy")
    r = policyc("fmt", "spacing.policy", cwd=work)
    assert r.returncode == 0, r.stderr
    assert r.stdout == (FMT / "spacing.expected.policy").read_text("utf-8")
    assert (work / "spacing.policy").read_text("utf-8") == (FMT / "spacing.input.policy").read_text(
        "utf-8"
    )


def test_fmt_keeps_comments_of_a_single_file(work: Path) -> None:
    shutil.copy(FMT / "comments.input.policy", work / "comments.policy")
    r = policyc("fmt", "comments.policy", cwd=work)
    assert r.returncode == 0, r.stderr
    assert r.stdout == (FMT / "comments.expected.policy").read_text("utf-8")


def test_fmt_check_and_write(work: Path) -> None:
    shutil.copy(FMT / "wrapping.input.policy", work / "messy.policy")
    shutil.copy(FMT / "canonical.expected.policy", work / "tidy.policy")
    r = policyc("fmt", "--check", "tidy.policy", cwd=work)
    assert (r.returncode, r.stdout) == (0, "")
    r = policyc("fmt", "--check", "tidy.policy", "messy.policy", cwd=work)
    assert r.returncode == 1
    assert r.stdout == "would reformat messy.policy\n"
    assert (work / "messy.policy").read_text("utf-8") == (FMT / "wrapping.input.policy").read_text(
        "utf-8"
    )
    r = policyc("fmt", "--write", "messy.policy", cwd=work)
    assert r.returncode == 0
    assert "reformatted messy.policy" in r.stderr
    assert (work / "messy.policy").read_text("utf-8") == (
        FMT / "wrapping.expected.policy"
    ).read_text("utf-8")
    r = policyc("fmt", "--check", "messy.policy", cwd=work)
    assert (r.returncode, r.stdout) == (0, "")
    before = (work / "tidy.policy").stat().st_mtime_ns
    assert policyc("fmt", "--write", "tidy.policy", cwd=work).returncode == 0
    assert (work / "tidy.policy").stat().st_mtime_ns == before  # untouched when already tidy


def test_fmt_refuses_what_does_not_parse(work: Path) -> None:
    broken = 'module b\ndeny b.x when action_type = reason "x"\n'
    (work / "broken.policy").write_text(broken, "utf-8")
    for flags in ([], ["--check"], ["--write"]):
        r = policyc("fmt", *flags, "broken.policy", cwd=work)
        assert r.returncode == 1
        assert "does not parse" in r.stderr and "syntax_error" in r.stderr
        no_traceback(r)
    assert (work / "broken.policy").read_text("utf-8") == broken
    r = policyc("fmt", "nope.policy", cwd=work)
    assert r.returncode == 2
    assert policyc("fmt", "--check", "--write", "warn.policy", cwd=work).returncode == 2


def test_fmt_keeps_comments_of_every_file(work: Path) -> None:
    shutil.copy(FMT / "comments.expected.policy", work / "a.policy")
    shutil.copy(FMT / "comments.expected.policy", work / "b.policy")
    r = policyc("fmt", "--check", "a.policy", "b.policy", cwd=work)
    assert (r.returncode, r.stdout) == (0, "")


def test_fmt_invariant_with_not_bound(work: Path) -> None:
    """Regression: `policyc fmt` used to crash (exit 3) on an 'expect not EFFECT' invariant."""
    r = policyc("fmt", "session.policy", cwd=work)
    assert r.returncode == 0, r.stderr
    assert "  expect not terminate\n" in r.stdout


# ---------------------------------------------------------------------------------------------
# policyc test


def test_test_passes(work: Path) -> None:
    r = policyc("test", "--examples", "40", "network.policy", cwd=work)
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert sum(x.startswith("PASS  test ") for x in lines) == 6
    assert sum(x.startswith("PASS  invariant net.restricted: ") for x in lines) == 1
    assert not any(x.startswith("FAIL") for x in lines)
    assert lines[-1] == "7 passed, 0 failed"
    assert "(network.policy:33:1)" in lines[0]


def test_test_failure_exits_1(work: Path) -> None:
    (work / "failing.policy").write_text(
        "module f\n\ndefault allow\n\n"
        'deny f.env\n  when reads_file(P), glob(P, "**/.env")\n  reason "{P} is secret"\n\n'
        'test "passes" {\n  action { action_type: "file.read", resource.path: "/r/.env" }\n'
        "  expect deny by f.env\n}\n\n"
        'test "wrong expectation" {\n  action { action_type: "file.read", resource.path: "/r/a.txt" }\n'
        "  expect deny\n}\n\n"
        'test "wrong rule" {\n  action { action_type: "file.read", resource.path: "/r/.env" }\n'
        "  expect allow\n  expect not fired f.env\n}\n",
        "utf-8",
    )
    r = policyc("test", "failing.policy", cwd=work)
    assert r.returncode == 1
    no_traceback(r)
    out = r.stdout
    assert "PASS  test 'passes'" in out
    assert (
        "FAIL  test 'wrong expectation'  (failing.policy:14:1)\n      expected deny, got allow"
        in out
    )
    assert "FAIL  test 'wrong rule'" in out
    assert "expected not to fire but did: f.env" in out
    assert "fired deny f.env: /r/.env is secret" in out  # with the proof
    assert "[rule f.env at failing.policy:5:1" in out
    assert out.rstrip().endswith("1 passed, 2 failed")


def test_failing_invariant_reports_the_counterexample(work: Path) -> None:
    (work / "inv.policy").write_text(
        "module inv\n\ndefault allow\n\n"
        'deny inv.read\n  when action_type = "file.read", glob(resource.path, "**/.env")\n  reason "x"\n\n'
        'invariant inv.no_env "no .env is ever read" {\n  when reads_file(P), glob(P, "**/.env")\n'
        "  expect deny\n}\n",
        "utf-8",
    )
    r = policyc("test", "--examples", "100", "inv.policy", cwd=work)
    assert r.returncode == 1, r.stdout
    line = next(x for x in r.stdout.splitlines() if "requires deny, but this action got" in x)
    assert line.strip().startswith(
        "invariant inv.no_env requires deny, but this action got allow: {"
    )
    action = json.loads(line[line.index("{") :])
    # the counterexample really breaks the invariant: a read of a .env the rule misses (a file
    # tool's read under a disguised path, or a shell command that reads it)
    from policyc.action import parse_action
    from policyc.engine.builtins import glob
    from policyc.normalize import normalize_action

    reads = normalize_action(parse_action(action, trusted=True)).facts.get("reads_file", [])
    assert any(glob(p, "**/.env") for (p,) in reads), (action, reads)
    assert "FAIL  invariant inv.no_env: no .env is ever read  (inv.policy:9:1)" in r.stdout
    assert r.stdout.rstrip().endswith("0 passed, 1 failed")


def test_test_refuses_bad_arguments_and_policies(work: Path) -> None:
    assert policyc("test", "--examples", "0", "tools.policy", cwd=work).returncode == 2
    assert policyc("test", "--seed", "x", "tools.policy", cwd=work).returncode == 2
    r = policyc("test", "mixed.policy", cwd=work)
    assert r.returncode == 1 and "invalid_value" in r.stderr
    r = policyc("test", "nope.policy", cwd=work)
    assert r.returncode == 2
    no_traceback(r)


def test_test_runs_only_the_given_files_tests(work: Path) -> None:
    r = policyc("test", "--examples", "20", "project.policy", cwd=work)
    assert r.returncode == 0, r.stdout
    assert "(project.policy:" in r.stdout
    assert "(secrets.policy:" not in r.stdout  # imported, not given


# ---------------------------------------------------------------------------------------------
# the compile cache


@pytest.fixture
def cache_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """(project folder with the corpus, cache folder); the cache key lives in a tmp XDG dir."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("POLICYC_CACHE_DIR", raising=False)
    project = tmp_path / "project"
    project.mkdir()
    for p in CASES.glob("*.policy"):
        shutil.copy(p, project / p.name)
    return project, tmp_path / "cache"


def _entries(cache_dir: Path) -> list[Path]:
    return sorted(cache_dir.glob("*.pickle"))


def test_cache_hit_after_a_miss(cache_env: tuple[Path, Path]) -> None:
    project, cache_dir = cache_env
    paths = [str(project / "project.policy")]
    ps1, result1, note1 = load_policy_set(paths, cache_dir)
    assert ps1 is not None and result1 is not None
    assert note1.startswith("miss: no entry")
    assert len(_entries(cache_dir)) == 1
    key = Path(os.environ["XDG_CACHE_HOME"]) / "policyc" / "cache.key"
    assert key.is_file() and len(key.read_bytes()) == 32
    assert key.stat().st_mode & 0o777 == 0o600
    ps2, result2, note2 = load_policy_set(paths, cache_dir)
    assert note2 == "hit" and result2 is None and ps2 is not None
    assert ps2.program.to_text() == ps1.program.to_text()
    assert ps2.outcomes == ps1.outcomes and ps2.digest == ps1.digest
    # the cached set decides like the compiled one, tests included
    for case in ps2.tests:
        if case.module in ps2.entries:
            assert run_test(ps2, case).passed, case.name
    action = parse_action({"action_type": "file.read", "resource": {"path": "/repo/.env"}})
    assert evaluate(ps2, action).ids() == evaluate(ps1, action).ids() == {"secrets.read"}


def test_cache_editing_the_source_recompiles(cache_env: tuple[Path, Path]) -> None:
    project, cache_dir = cache_env
    paths = [str(project / "tools.policy")]
    load_policy_set(paths, cache_dir)
    assert load_policy_set(paths, cache_dir)[2] == "hit"
    src = project / "tools.policy"
    src.write_text(src.read_text("utf-8").replace("N * 2 > 1000", "N * 2 > 10"), "utf-8")
    ps, result, note = load_policy_set(paths, cache_dir)
    assert note.startswith("miss") and result is not None and ps is not None
    action = parse_action(
        {"action_type": "tool.call", "tool": {"name": "f", "input": {"limit": 50}}}, trusted=True
    )
    assert "tools.big_batch" in evaluate(ps, action).ids()
    assert load_policy_set(paths, cache_dir)[2] == "hit"


def test_cache_editing_an_imported_file_makes_it_stale(cache_env: tuple[Path, Path]) -> None:
    project, cache_dir = cache_env
    paths = [str(project / "project.policy")]
    load_policy_set(paths, cache_dir)
    assert load_policy_set(paths, cache_dir)[2] == "hit"
    lib = project / "secrets.policy"
    lib.write_text(
        lib.read_text("utf-8").replace(
            'secret_glob("**/*.pem").', 'secret_glob("**/*.pem").\nsecret_glob("**/*.key").'
        ),
        "utf-8",
    )
    ps, result, note = load_policy_set(paths, cache_dir)
    assert note.startswith("miss: stale:") and "secrets.policy changed" in note
    assert ps is not None and result is not None
    action = parse_action({"action_type": "file.read", "resource": {"path": "/repo/a.key"}})
    assert "secrets.read" in evaluate(ps, action).ids()
    assert load_policy_set(paths, cache_dir)[2] == "hit"
    lib.unlink()  # a dependency that disappears is stale too (and the set no longer compiles)
    ps, result, note = load_policy_set(paths, cache_dir)
    assert note.startswith("miss: stale:")
    assert ps is None and result is not None
    assert "unknown_module" in {d.code for d in result.errors}


@pytest.mark.parametrize("where", ["payload", "signature", "magic"])
def test_cache_rejects_a_damaged_entry(cache_env: tuple[Path, Path], where: str) -> None:
    project, cache_dir = cache_env
    paths = [str(project / "secrets.policy")]
    ps1, _, _ = load_policy_set(paths, cache_dir)
    (entry,) = _entries(cache_dir)
    blob = bytearray(entry.read_bytes())
    magic = len(b"policyc-cache\n")
    index = {"magic": 3, "signature": magic + 5, "payload": len(blob) - 40}[where]
    blob[index] ^= 0x01
    entry.write_bytes(bytes(blob))
    ps2, result, note = load_policy_set(paths, cache_dir)
    expected = "not a cache entry" if where == "magic" else "signature mismatch"
    assert note.startswith("miss: " + expected), note
    assert ps2 is not None and result is not None  # rebuilt, never unpickled
    assert ps2.program.to_text() == ps1.program.to_text()  # type: ignore[union-attr]
    assert load_policy_set(paths, cache_dir)[2] == "hit"  # and rewritten


def test_cache_entry_signed_with_another_key_is_rejected(
    cache_env: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    project, cache_dir = cache_env
    paths = [str(project / "git.policy")]
    load_policy_set(paths, cache_dir)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "another-user"))
    _, result, note = load_policy_set(paths, cache_dir)
    assert note.startswith("miss: signature mismatch") and result is not None


def test_cache_does_not_store_a_failing_policy_set(cache_env: tuple[Path, Path]) -> None:
    project, cache_dir = cache_env
    (project / "bad.policy").write_text(MIXED, "utf-8")
    paths = [str(project / "bad.policy")]
    ps, result, _note = load_policy_set(paths, cache_dir)
    assert ps is None and result is not None and result.errors
    assert _entries(cache_dir) == []
    assert load_policy_set(paths, cache_dir)[2].startswith("miss")


def test_cache_can_be_disabled(cache_env: tuple[Path, Path]) -> None:
    project, cache_dir = cache_env
    ps, result, note = load_policy_set([str(project / "git.policy")], cache_dir, use_cache=False)
    assert note == "disabled" and ps is not None and result is not None
    assert not cache_dir.exists() or _entries(cache_dir) == []


def test_cache_default_dir_from_the_environment(
    cache_env: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    project, _ = cache_env
    monkeypatch.setenv("POLICYC_CACHE_DIR", str(tmp_path / "env-cache"))
    assert cache_module.default_cache_dir() == tmp_path / "env-cache"
    load_policy_set([str(project / "git.policy")])
    assert len(_entries(tmp_path / "env-cache")) == 1
