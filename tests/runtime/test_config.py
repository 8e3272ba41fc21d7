"""The runtime configuration (policyc.runtime.config): defaults, every key, where the file is
found, and errors that name the file, the key and the problem (never a traceback)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from policyc.decision.engine import stdlib_path
from policyc.runtime.config import (
    CONFIG_ENV,
    MAX_DURATION,
    ApprovalsConfig,
    AuditConfig,
    ConfigError,
    RuntimeConfig,
    SessionsConfig,
    config_from_data,
    find_config,
    load_config,
    parse_config,
    parse_duration,
    read_config,
)
from tests.hyp import scaled

FULL = """\
policies = ["policies/", "more.policy"]
stdlib = true
state_dir = "state"
default_effect = "deny"
fail_mode = "open"

[audit]
enabled = false
synchronous = "full"

[approvals]
expiry = "15m"
single_use = false

[sessions]
denial_window = 90

[[alerts]]
type = "jsonl"
path = "logs/alerts.jsonl"

[[alerts]]
type = "stderr"

[[alerts]]
type = "webhook"
url = "https://hooks.example.com/policyc"
headers = { Authorization = "Bearer x" }
timeout = 2.5
"""


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CONFIG_ENV, raising=False)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def error_of(text: str, name: str = "policyc.toml") -> ConfigError:
    with pytest.raises(ConfigError) as info:
        parse_config(text, Path("/proj") / name, shown=name)
    return info.value


def no_config_above(path: Path) -> None:
    if find_config(path) is not None:  # pragma: no cover - depends on the machine
        pytest.skip("a configuration file above the temporary folder")


# -- defaults ---------------------------------------------------------------------------------


def test_defaults(tmp_path: Path) -> None:
    config = RuntimeConfig.default(tmp_path)
    assert config.source is None
    assert config.policies == ()
    assert config.stdlib is True
    assert config.policy_paths() is None  # policyc.load(None): the standard library
    assert config.state_dir == tmp_path / ".policyc"
    assert config.default_effect is None
    assert config.fail_mode == "closed"
    assert config.audit == AuditConfig(enabled=True, synchronous="normal")
    assert config.approvals == ApprovalsConfig(expiry=3600.0, single_use=True)
    assert config.sessions == SessionsConfig(denial_window=600.0)
    assert config.alerts == ()


def test_no_file_gives_the_defaults(tmp_path: Path) -> None:
    no_config_above(tmp_path)
    assert load_config(cwd=tmp_path) == RuntimeConfig.default(tmp_path)


def test_an_empty_file_gives_the_defaults_relative_to_it(tmp_path: Path) -> None:
    path = write(tmp_path / "proj" / "policyc.toml", "")
    config = load_config(cwd=tmp_path / "proj")
    assert config.source == path
    assert config.model_dump(exclude={"source"}) == RuntimeConfig.default(
        tmp_path / "proj"
    ).model_dump(exclude={"source"})


# -- every key --------------------------------------------------------------------------------


def test_every_key_is_parsed(tmp_path: Path) -> None:
    path = write(tmp_path / "policyc.toml", FULL)
    config = read_config(path)
    assert config.source == path
    assert config.policies == (tmp_path / "policies", tmp_path / "more.policy")
    assert config.stdlib is True
    assert config.policy_paths() == [stdlib_path(), *config.policies]
    assert config.state_dir == tmp_path / "state"
    assert config.default_effect == "deny"
    assert config.fail_mode == "open"
    assert config.audit == AuditConfig(enabled=False, synchronous="full")
    assert config.approvals == ApprovalsConfig(expiry=900.0, single_use=False)
    assert config.sessions.denial_window == 90.0
    assert config.alerts == (
        {"type": "jsonl", "path": str(tmp_path / "logs" / "alerts.jsonl")},
        {"type": "stderr"},
        {
            "type": "webhook",
            "url": "https://hooks.example.com/policyc",
            "headers": {"Authorization": "Bearer x"},
            "timeout": 2.5,
        },
    )


def test_policies_without_stdlib_load_only_the_policies(tmp_path: Path) -> None:
    config = parse_config('policies = ["p"]\n', tmp_path / "policyc.toml")
    assert config.stdlib is False
    assert config.policy_paths() == [tmp_path / "p"]
    config = parse_config('policies = ["p"]\nstdlib = false\n', tmp_path / "policyc.toml")
    assert config.policy_paths() == [tmp_path / "p"]


def test_stdlib_alone(tmp_path: Path) -> None:
    config = parse_config("stdlib = true\npolicies = []\n", tmp_path / "policyc.toml")
    assert config.stdlib is True
    assert config.policy_paths() is None


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (1, 1.0),
        (0.5, 0.5),
        (3600, 3600.0),
        ('"30s"', 30.0),
        ('"15m"', 900.0),
        ('"1h"', 3600.0),
        ('"1d"', 86400.0),
        ('"365d"', MAX_DURATION),
    ],
)
def test_durations(value: object, seconds: float) -> None:
    config = parse_config(f"[approvals]\nexpiry = {value}\n", Path("/p/policyc.toml"))
    assert config.approvals.expiry == seconds
    config = parse_config(f"[sessions]\ndenial_window = {value}\n", Path("/p/policyc.toml"))
    assert config.sessions.denial_window == seconds


@pytest.mark.parametrize(
    "value",
    [
        '"1 hour"',
        '"1H"',
        '"1h30m"',
        '"90"',
        '"-1s"',
        '"1w"',
        '""',
        '"\u0661h"',  # an Arabic-Indic digit
        "true",
        "[1]",
        "nan",
        "inf",
        "1979-05-27",
    ],
)
def test_not_durations(value: str) -> None:
    e = error_of(f"[approvals]\nexpiry = {value}\n")
    assert e.code == "config_invalid"
    assert e.message.startswith("policyc.toml: approvals.expiry: ")
    assert "is not a duration (use seconds or 30s, 15m, 1h, 1d)" in e.message


@pytest.mark.parametrize(("value", "problem"), [("0", "more than zero"), ("-5", "more than zero")])
def test_durations_are_positive(value: str, problem: str) -> None:
    assert problem in error_of(f"[sessions]\ndenial_window = {value}\n").message


@pytest.mark.parametrize("value", ['"366d"', "31622400", "1e300", '"99999999999999999999s"'])
def test_durations_have_a_limit(value: str) -> None:
    assert "longer than 365 days" in error_of(f"[approvals]\nexpiry = {value}\n").message


def test_parse_duration_directly() -> None:
    assert parse_duration("2m") == 120.0
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(True)
    assert ApprovalsConfig(expiry="1d").expiry == 86400.0  # type: ignore[arg-type]


# -- paths ------------------------------------------------------------------------------------


def test_relative_paths_are_resolved_against_the_files_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    write(
        project / "conf" / "policyc.toml",
        'policies = ["../policies", "/abs/p.policy", "./a/./b/"]\n'
        'state_dir = "../var/state"\n'
        '[[alerts]]\ntype = "jsonl"\npath = "alerts.jsonl"\n'
        '[[alerts]]\ntype = "webhook"\nurl = "https://x"\npath = "not/a/jsonl/path"\n',
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    config = load_config(Path("../project/conf/policyc.toml"))
    assert config.source == project / "conf" / "policyc.toml"
    assert config.policies == (project / "policies", Path("/abs/p.policy"), project / "conf/a/b")
    assert config.state_dir == project / "var" / "state"
    assert config.alerts[0]["path"] == str(project / "conf" / "alerts.jsonl")
    assert config.alerts[1]["path"] == "not/a/jsonl/path"  # only a jsonl sink's path is a file
    assert all(p.is_absolute() for p in (*config.policies, config.state_dir))


def test_home_folders_are_expanded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", "/home/someone")
    config = parse_config(
        'state_dir = "~/.policyc"\n[[alerts]]\ntype = "jsonl"\npath = "~/a.jsonl"\n',
        Path("/proj/policyc.toml"),
    )
    assert config.state_dir == Path("/home/someone/.policyc")
    assert config.alerts[0]["path"] == "/home/someone/a.jsonl"
    e = error_of('policies = ["~no_such_user_here_x/p"]\n')
    assert e.message == 'policyc.toml: policies[0]: "~no_such_user_here_x/p": no such home folder'


def test_empty_and_nul_paths_are_errors() -> None:
    e = error_of('policies = ["ok", ""]\nstate_dir = "a\\u0000b"\n')
    assert "policyc.toml: policies[1]: an empty path" in e.message
    assert 'policyc.toml: state_dir: "a\\u0000b" contains a NUL character' in e.message


def test_runtime_config_made_in_python_has_absolute_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    config = RuntimeConfig(state_dir=Path("s"), policies=(Path("p"),))
    assert config.state_dir == tmp_path / "s"
    assert config.policies == (tmp_path / "p",)
    assert config.stdlib is False
    with pytest.raises(ValueError, match="nothing to load"):
        RuntimeConfig(state_dir=tmp_path, stdlib=False)
    with pytest.raises(ValueError, match="alert sink"):
        RuntimeConfig(state_dir=tmp_path, alerts=({"type": "email"},))


# -- where the file is found ------------------------------------------------------------------


def test_upward_search(tmp_path: Path) -> None:
    no_config_above(tmp_path)
    root = write(tmp_path / "policyc.toml", 'fail_mode = "open"\n')
    deep = tmp_path / "a" / "b" / "c"
    deep.mkdir(parents=True)
    assert find_config(deep) == root
    assert load_config(cwd=deep).fail_mode == "open"
    nearer = write(tmp_path / "a" / "policyc.toml", "")
    assert find_config(deep) == nearer
    assert load_config(cwd=deep).fail_mode == "closed"


def test_search_stops_at_the_root(tmp_path: Path) -> None:
    no_config_above(tmp_path)
    assert find_config(tmp_path / "does" / "not" / "exist") is None


def test_pyproject_with_tool_policyc(tmp_path: Path) -> None:
    no_config_above(tmp_path)
    path = write(
        tmp_path / "pyproject.toml",
        '[project]\nname = "x"\n\n[tool.policyc]\nstate_dir = "st"\n'
        '[tool.policyc.approvals]\nexpiry = "30s"\n'
        '[[tool.policyc.alerts]]\ntype = "stderr"\n',
    )
    (tmp_path / "src").mkdir()
    assert find_config(tmp_path / "src") == path
    config = load_config(cwd=tmp_path / "src")
    assert config.source == path
    assert config.state_dir == tmp_path / "st"
    assert config.approvals.expiry == 30.0
    assert config.alerts == ({"type": "stderr"},)


def test_pyproject_without_tool_policyc_is_skipped(tmp_path: Path) -> None:
    no_config_above(tmp_path)
    top = write(tmp_path / "pyproject.toml", '[tool.policyc]\nfail_mode = "open"\n')
    inner = tmp_path / "inner"
    write(inner / "pyproject.toml", '[project]\nname = "x"\n[tool.ruff]\nline-length = 100\n')
    write(inner / "sub" / "pyproject.toml", "# uses policyc, but configured elsewhere\n[tool.x]\n")
    assert find_config(inner / "sub") == top
    assert load_config(cwd=inner / "sub").fail_mode == "open"


def test_a_pyproject_that_is_not_toml_and_does_not_mention_policyc_is_skipped(
    tmp_path: Path,
) -> None:
    no_config_above(tmp_path)
    write(tmp_path / "pyproject.toml", "this is [not toml\n")
    assert find_config(tmp_path) is None


def test_a_broken_pyproject_that_mentions_policyc_is_an_error(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool.policyc\nstate_dir = 1\n")
    with pytest.raises(ConfigError) as info:
        find_config(tmp_path)
    assert info.value.code == "config_syntax"
    assert str(tmp_path / "pyproject.toml") + ":1:" in info.value.message


def test_policyc_toml_comes_before_pyproject_in_one_folder(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[tool.policyc]\nfail_mode = "open"\n')
    path = write(tmp_path / "policyc.toml", "")
    assert find_config(tmp_path) == path
    assert load_config(cwd=tmp_path).fail_mode == "closed"


def test_environment_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "policyc.toml", 'fail_mode = "closed"\n')
    named = write(tmp_path / "conf" / "runtime.toml", 'fail_mode = "open"\n')
    monkeypatch.setenv(CONFIG_ENV, str(named))
    config = load_config(cwd=tmp_path)
    assert config.source == named
    assert config.fail_mode == "open"
    monkeypatch.setenv(CONFIG_ENV, "conf/runtime.toml")  # relative to cwd
    assert load_config(cwd=tmp_path).source == named
    monkeypatch.setenv(CONFIG_ENV, "")  # empty: not set
    assert load_config(cwd=tmp_path).source == tmp_path / "policyc.toml"


def test_environment_variable_naming_a_pyproject(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    named = write(tmp_path / "x" / "pyproject.toml", '[tool.policyc]\nstate_dir = "s"\n')
    monkeypatch.setenv(CONFIG_ENV, str(named))
    assert load_config(cwd=tmp_path).state_dir == tmp_path / "x" / "s"


def test_explicit_path_comes_before_the_environment_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CONFIG_ENV, str(write(tmp_path / "env.toml", 'fail_mode = "open"\n')))
    explicit = write(tmp_path / "explicit.toml", 'default_effect = "deny"\n')
    config = load_config(explicit, cwd=tmp_path)
    assert config.source == explicit
    assert (config.fail_mode, config.default_effect) == ("closed", "deny")


def test_environment_variable_naming_a_missing_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "policyc.toml", "")  # not used in its place: that would hide the mistake
    monkeypatch.setenv(CONFIG_ENV, "missing.toml")
    with pytest.raises(ConfigError) as info:
        load_config(cwd=tmp_path)
    assert info.value.code == "config_not_found"
    assert info.value.message == "missing.toml: no such file (named by $POLICYC_CONFIG)"


def test_explicit_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "nope.toml", cwd=tmp_path)
    assert info.value.code == "config_not_found"
    assert info.value.message == "nope.toml: no such file"


# -- errors name the file, the key and the problem --------------------------------------------


def test_the_documented_example() -> None:
    assert error_of('[approvals]\nexpiry = "1 hour"\n').message == (
        'policyc.toml: approvals.expiry: "1 hour" is not a duration (use seconds or 30s, 15m, 1h, 1d)'
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("polices = []\n", 'policyc.toml: polices: unknown key (did you mean "policies"?)'),
        (
            "[audit]\nenable = true\n",
            'policyc.toml: audit.enable: unknown key (did you mean "enabled"?)',
        ),
        (
            "[sessions]\nmax_actions = 3\n",
            "policyc.toml: sessions.max_actions: unknown key (the keys of [sessions] are: denial_window)",
        ),
        ('"odd key" = 1\n', 'policyc.toml: "odd key": unknown key'),
        ("[alert]\ntype = 'x'\n", 'policyc.toml: alert: unknown key (did you mean "alerts"?)'),
    ],
)
def test_unknown_keys(text: str, message: str) -> None:
    e = error_of(text)
    assert e.code == "config_invalid"
    assert e.message.startswith(message)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('stdlib = "yes"\n', 'policyc.toml: stdlib: expected true or false, got "yes"'),
        ("state_dir = 3\n", "policyc.toml: state_dir: expected a string, got 3"),
        ('policies = "p/"\n', 'policyc.toml: policies: expected an array of paths, got "p/"'),
        ('policies = ["a", 2]\n', "policyc.toml: policies[1]: expected a string, got 2"),
        ("audit = 1\n", "policyc.toml: audit: expected a table, got 1"),
        (
            "[approvals]\nsingle_use = 1\n",
            "policyc.toml: approvals.single_use: expected true or false, got 1",
        ),
        (
            "state_dir = 1979-05-27T07:32:00Z\n",
            "policyc.toml: state_dir: expected a string, got a date/time (1979-05-27T07:32:00+00:00)",
        ),
        ("stdlib = [true]\n", "policyc.toml: stdlib: expected true or false, got an array"),
    ],
)
def test_wrong_types(text: str, message: str) -> None:
    assert error_of(text).message == message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('fail_mode = "opne"\n', 'policyc.toml: fail_mode: "opne" is not one of "closed", "open"'),
        (
            "fail_mode = false\n",
            'policyc.toml: fail_mode: expected one of "closed", "open", got false',
        ),
        (
            '[audit]\nsynchronous = "off"\n',
            'policyc.toml: audit.synchronous: "off" is not one of "normal", "full"',
        ),
        (
            'default_effect = "block"\n',
            'policyc.toml: default_effect: "block" is not one of "allow", "alert", "redact", "deny", "terminate"',
        ),
    ],
)
def test_bad_enums(text: str, message: str) -> None:
    assert error_of(text).message == message


def test_require_approval_cannot_be_the_default() -> None:
    message = error_of('default_effect = "require_approval"\n').message
    assert message.startswith(
        'policyc.toml: default_effect: "require_approval" cannot be the default: '
        "a default names no approver"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("alerts = 3\n", "policyc.toml: alerts: expected an array of tables, got 3"),
        ('alerts = ["jsonl"]\n', 'policyc.toml: alerts[0]: expected a table, got "jsonl"'),
        (
            '[[alerts]]\ntype = "stderr"\n[[alerts]]\npath = "a.jsonl"\n',
            'policyc.toml: alerts[1].type: missing: each alert sink has a type ("jsonl", "stderr", "webhook")',
        ),
        ("[[alerts]]\ntype = 1\n", "policyc.toml: alerts[0].type: expected a string, got 1"),
        (
            '[[alerts]]\ntype = "email"\n',
            'policyc.toml: alerts[0].type: "email" is not one of "jsonl", "stderr", "webhook"',
        ),
    ],
)
def test_bad_alert_tables(text: str, message: str) -> None:
    assert error_of(text).message == message


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('fail_mode = "closed"\nstate_dir = \n', "policyc.toml:2:13: not valid TOML: "),
        ("[audit]\nenabled = true\nenabled = false\n", "policyc.toml:3:"),
        ("policies = [\n  'a',\n", "policyc.toml:3:1: not valid TOML: "),
        ("a = 1", None),  # valid TOML; an unknown key
        ('x = "\x00"\n', "policyc.toml:1:"),
    ],
)
def test_toml_syntax_errors_give_line_and_column(text: str, where: str | None) -> None:
    e = error_of(text)
    if where is None:
        assert e.code == "config_invalid"
        return
    assert e.code == "config_syntax"
    assert e.message.startswith(where)


def test_errors_in_pyproject_name_the_whole_key(tmp_path: Path) -> None:
    path = write(tmp_path / "pyproject.toml", "[tool.policyc.approvals]\nexpiry = -1\n")
    with pytest.raises(ConfigError) as info:
        load_config(cwd=tmp_path)
    assert info.value.message == (
        "pyproject.toml: tool.policyc.approvals.expiry: -1 is not a duration: it must be more than zero"
    )
    path.write_text("[tool]\npolicyc = 3\n", encoding="utf-8")
    with pytest.raises(
        ConfigError, match=r"^pyproject.toml: tool.policyc: expected a table, got 3$"
    ):
        load_config(cwd=tmp_path)


def test_explicit_pyproject_without_the_table(tmp_path: Path) -> None:
    path = write(tmp_path / "pyproject.toml", '[project]\nname = "x"\n')
    with pytest.raises(ConfigError, match=r"pyproject.toml: has no \[tool.policyc\] table"):
        load_config(path, cwd=tmp_path)


def test_every_problem_is_reported_one_per_line() -> None:
    e = error_of(
        'fail_mode = "x"\npolicies = 1\n[audit]\nenabled = 2\n[approvals]\nexpiry = "1y"\n'
        "[[alerts]]\ntype = 3\n"
    )
    lines = e.message.splitlines()
    assert [line.split(": ")[1] for line in lines] == [
        "policies",
        "fail_mode",
        "audit.enabled",
        "approvals.expiry",
        "alerts[0].type",
    ]
    assert all(line.startswith("policyc.toml: ") for line in lines)


def test_stdlib_false_without_policies() -> None:
    assert error_of("stdlib = false\n").message == (
        "policyc.toml: stdlib: is false and no policies are given: there would be nothing to load"
    )


def test_unreadable_and_undecodable_files(tmp_path: Path) -> None:
    folder = tmp_path / "policyc.toml"
    folder.mkdir()
    with pytest.raises(ConfigError) as info:
        load_config(folder, cwd=tmp_path)
    assert info.value.code == "config_unreadable"
    assert info.value.message.startswith("policyc.toml: cannot be read")
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b'fail_mode = "\xff"\n')
    with pytest.raises(ConfigError) as info:
        load_config(bad, cwd=tmp_path)
    assert info.value.code == "config_syntax"
    assert info.value.message == "bad.toml: not UTF-8 text (a bad byte at offset 13)"


def test_messages_show_files_outside_cwd_in_full(tmp_path: Path) -> None:
    path = write(tmp_path / "a" / "policyc.toml", "x = 1\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, cwd=tmp_path / "b")
    assert info.value.message.startswith(f"{path}: x: unknown key")


def test_importing_the_module_stays_cheap() -> None:
    """Beyond what ``import policyc`` costs, only tomllib and pydantic: no engine, parser or
    database (a hook process imports this once per action)."""
    code = (
        "import sys, pathlib, policyc; before = set(sys.modules)\n"
        "import policyc.runtime.config as c; c.load_config(cwd=pathlib.Path('/'))\n"
        "print(' '.join(sorted(set(sys.modules) - before)))"
    )
    env = {k: v for k, v in os.environ.items() if k != CONFIG_ENV}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    new = out.stdout.split()
    assert "tomllib" in new and "pydantic" in new
    heavy = ("lark", "sqlite3", "sqlglot", "tree_sitter", "policyc.decision", "policyc.lang")
    assert [m for m in new if m.startswith(heavy)] == []
    assert [m for m in new if m.startswith("policyc.")] == [
        "policyc.runtime",
        "policyc.runtime.config",
    ]


# -- fuzz: nothing but ConfigError ------------------------------------------------------------

PROJECT = Path("/fuzz/project")


def check_outcome(run: Any, shown: str) -> RuntimeConfig | None:
    try:
        config: RuntimeConfig = run()
    except ConfigError as e:
        assert e.code in {"config_syntax", "config_invalid"}
        assert e.message
        for line in e.message.splitlines():
            assert line.startswith(shown + ":"), line
        assert "Traceback" not in e.message and "pydantic" not in e.message
        assert "validation error" not in e.message
        return None
    assert config.state_dir.is_absolute()
    assert all(p.is_absolute() for p in config.policies)
    for seconds in (config.approvals.expiry, config.sessions.denial_window):
        assert 0 < seconds <= MAX_DURATION
    assert all(t["type"] in {"jsonl", "stderr", "webhook"} for t in config.alerts)
    return config


@settings(max_examples=scaled(300))
@given(st.text())
@example("[approvals]\nexpiry = " + "[" * 5000)
@example("a = " + "{b = " * 3000)
@example('[[alerts]]\ntype = "jsonl"\npath = 7\n')
def test_fuzz_arbitrary_text(text: str) -> None:
    check_outcome(lambda: parse_config(text, PROJECT / "policyc.toml", shown="a.toml"), "a.toml")
    check_outcome(
        lambda: parse_config(text, PROJECT / "pyproject.toml", shown="pyproject.toml"),
        "pyproject.toml",
    )


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = FULL
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(text)))
        j = draw(st.integers(i, min(len(text), i + 8)))
        text = text[:i] + draw(st.text(max_size=4)) + text[j:]
    return text


@settings(max_examples=scaled(300))
@given(mutated())
def test_fuzz_mutated_config(text: str) -> None:
    check_outcome(lambda: parse_config(text, PROJECT / "policyc.toml", shown="x.toml"), "x.toml")


toml_scalars = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(),
    st.text(max_size=12),
    st.sampled_from(["30s", "15m", "1h", "1d", "0s", "1 hour", "deny", "open", "full", "jsonl"]),
    st.datetimes(timezones=st.just(UTC)),
    st.dates(),
    st.times(),
)
toml_values = st.recursive(
    toml_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
KEYS = ["policies", "stdlib", "state_dir", "default_effect", "fail_mode", "audit", "approvals"]
KEYS += ["sessions", "alerts", "enabled", "synchronous", "expiry", "single_use", "denial_window"]
KEYS += ["type", "path", "url"]
keys = st.sampled_from(KEYS) | st.text(max_size=8)
sections = st.dictionaries(keys, toml_values, max_size=4)
alert_tables = st.lists(
    st.dictionaries(keys, toml_values, max_size=3)
    | st.fixed_dictionaries(
        {"type": st.sampled_from(["jsonl", "stderr", "webhook", "email"])},
        optional={"path": toml_values, "url": toml_values},
    ),
    max_size=3,
)
configs = st.fixed_dictionaries(
    {},
    optional={
        "policies": st.lists(st.text(max_size=8), max_size=3) | toml_values,
        "stdlib": st.booleans() | toml_values,
        "state_dir": st.text(max_size=8) | toml_values,
        "default_effect": st.sampled_from(["allow", "deny", "require_approval", "x"]) | toml_values,
        "fail_mode": st.sampled_from(["closed", "open", "shut"]) | toml_values,
        "audit": sections,
        "approvals": sections,
        "sessions": sections,
        "alerts": alert_tables | toml_values,
    },
).flatmap(
    lambda d: st.dictionaries(keys, toml_values, max_size=2).map(lambda extra: {**extra, **d})
)


def toml(value: Any) -> str:
    """A TOML value (inline tables and arrays) for the fuzz."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        return repr(value) if math.isfinite(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(toml(v) for v in value) + "]"
    assert isinstance(value, dict)
    return "{" + ", ".join(f"{toml(k)} = {toml(v)}" for k, v in value.items()) + "}"


def document(data: dict[str, Any], pyproject: bool) -> str:
    lines = ["[tool.policyc]"] if pyproject else []
    lines += [f"{toml(k)} = {toml(v)}" for k, v in data.items()]
    return "\n".join(lines) + "\n"


@settings(max_examples=scaled(400))
@given(configs, st.booleans())
def test_fuzz_structured_toml(data: dict[str, Any], pyproject: bool) -> None:
    name = "pyproject.toml" if pyproject else "policyc.toml"
    text = document(data, pyproject)
    config = check_outcome(lambda: parse_config(text, PROJECT / name, shown=name), name)
    same = check_outcome(lambda: config_from_data(data, PROJECT / "policyc.toml", shown=name), name)
    assert (config is None) == (same is None)
    if config is not None and same is not None:
        assert config.model_dump(exclude={"source"}) == same.model_dump(exclude={"source"})
        state_dir = data.get("state_dir", ".policyc")
        assert config.state_dir == Path(os.path.normpath(PROJECT / os.path.expanduser(state_dir)))
