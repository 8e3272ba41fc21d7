"""The standard library against two corpora of shell commands (tests/corpus/*/commands.jsonl).

``evasion``: commands that do what the stdlib forbids (read a secret, ``rm -rf``, force-push,
drop a database, destroy infrastructure, upload to an unknown host), each disguised by one bypass
class; none may be allowed (the decision must be ``require_approval``, ``deny`` or
``terminate``). ``benign``: everyday developer commands; each must stay allowed (``allow`` or
``alert``). A line is ``{"id", "class", "command", "cwd", "home", "note"}``.

Entries that fail today are listed in tests/corpus/known_gaps.json (id → why) and run as strict
xfails: when a gap is fixed the suite turns red until its id is removed from that list, so the
list always says exactly what is still open.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import policyc
from policyc.decision import PolicyEngine

CORPUS = Path(__file__).parents[1] / "corpus"
KINDS = ("evasion", "benign")
KNOWN_GAPS: dict[str, str] = json.loads((CORPUS / "known_gaps.json").read_text("utf-8"))

# The decisions each corpus accepts. An evasion that is only alerted or redacted still runs.
ACCEPTED = {
    "evasion": frozenset({"require_approval", "deny", "terminate"}),
    "benign": frozenset({"allow", "alert"}),
}

# Every bypass class the evasion corpus must exercise (it may hold more).
REQUIRED_CLASSES = frozenset(
    {
        "flag_reordering",  # rm -r -f, flags after operands, +refspec
        "long_options",  # --recursive --force, --rec --for, apply -destroy
        "quoting_escaping",  # r''m, \rm, "r"m, $'\x72m'
        "substitution",  # $X, ${X}, $(echo rm), backticks
        "ifs",  # rm${IFS}-rf${IFS}/
        "wrappers",  # sudo, env, nice, timeout, nohup, stdbuf, xargs, parallel, command, builtin, exec
        "dash_c",  # bash/sh/zsh -c, nested, eval, su -c
        "heredoc",  # here-strings and here-documents into shells and SQL clients
        "process_substitution",  # <(…), >(…)
        "grouping",  # brace groups, subshells, if/for/case bodies
        "find",  # find -exec, -execdir, -ok, -delete
        "xargs",
        "alias_function",  # aliases and functions defined inline
        "absolute_path",  # /bin/rm, //usr//bin//rm
        "path_tricks",  # ./a/../.env, //, /./, relative paths against the cwd, links
        "encoded",  # base64 / hex decoded into a shell
        "whitespace",  # tabs, \r, CRLF, line continuations, non-breaking spaces
        "long_chain",  # 50+ commands with the bad one in the middle
        "interpreters",  # python -c, node -e, perl -e, awk system()
        "globs",  # cat .en*, cat ./.e?v, brace expansion
        "cd_relative",  # cd somewhere, then a relative path
        "git_alias_config",  # git -c alias.*, git -c core.*, aliases from config
    }
)

FIELDS = ("id", "class", "command", "cwd", "home", "note")


def _entries(kind: str) -> list[dict[str, Any]]:
    path = CORPUS / kind / "commands.jsonl"
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def _params() -> list[Any]:
    params = []
    for kind in KINDS:
        for entry in _entries(kind):
            gap = KNOWN_GAPS.get(entry["id"])
            marks = [pytest.mark.xfail(strict=True, reason=f"known gap: {gap}")] if gap else []
            params.append(pytest.param(kind, entry, id=entry["id"], marks=marks))
    return params


@pytest.fixture(scope="module")
def engine() -> PolicyEngine:
    return policyc.load(cache=False)


@pytest.mark.parametrize(("kind", "entry"), _params())
def test_command(engine: PolicyEngine, kind: str, entry: dict[str, Any]) -> None:
    action = {
        "action_type": "shell.exec",
        "cwd": entry["cwd"],
        "home": entry["home"],
        "command": entry["command"],
    }
    decision = engine.decide(action)
    message = (
        f"{entry['id']} [{entry['class']}] decided {decision.decision}"
        f" ({', '.join(decision.policy_ids) or 'no rule'}): {decision.reason}"
        f"\n  command: {entry['command']!r}\n  really: {entry['note']}"
    )
    # A decision the engine could not make fails closed to deny; that is no detection.
    assert decision.error is None, f"{message}\n  error: {decision.error}"
    assert decision.decision in ACCEPTED[kind], message


def test_corpora_are_large_enough() -> None:
    for kind in KINDS:
        assert len(_entries(kind)) >= 150, kind


def test_every_bypass_class_is_covered() -> None:
    classes = {e["class"] for e in _entries("evasion")}
    assert sorted(REQUIRED_CLASSES - classes) == []
    for cls in REQUIRED_CLASSES:
        assert sum(e["class"] == cls for e in _entries("evasion")) >= 3, cls


def test_entries_are_well_formed() -> None:
    ids = []
    for kind in KINDS:
        for entry in _entries(kind):
            assert tuple(entry) == FIELDS, entry.get("id", entry)
            assert all(isinstance(entry[f], str) and entry[f] for f in FIELDS), entry["id"]
            assert entry["cwd"].startswith("/") and entry["home"].startswith("/"), entry["id"]
            ids.append(entry["id"])
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})


def test_known_gaps_name_corpus_entries() -> None:
    ids = {e["id"] for kind in KINDS for e in _entries(kind)}
    assert sorted(set(KNOWN_GAPS) - ids) == []
    assert all(isinstance(why, str) and why.strip() for why in KNOWN_GAPS.values())
