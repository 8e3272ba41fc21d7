"""Diagnostics rendered for people (text with carets), for programs (JSON), and SARIF 2.1.0."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from policyc import __version__
from policyc.lang.codes import CODES
from policyc.lang.diagnostics import Diagnostic

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def render_text(diagnostics: Sequence[Diagnostic], texts: dict[str, str]) -> str:
    out = []
    for d in diagnostics:
        out.append(str(d))
        p = d.position
        if p is None:
            continue
        source = texts.get(p.file)
        if source is None:
            continue
        lines = source.splitlines()
        if not 1 <= p.line <= len(lines):
            continue
        line = lines[p.line - 1]
        width = 1
        if p.end_line == p.line and p.end_column and p.end_column > p.column:
            width = p.end_column - p.column
        width = max(1, min(width, len(line) - p.column + 1))
        out.append(f"  {p.line:>4} | {line}")
        out.append("       | " + " " * (p.column - 1) + "^" * width)
    return "\n".join(out)


def summary(diagnostics: Sequence[Diagnostic]) -> str:
    counts = {
        s: sum(1 for d in diagnostics if d.severity == s) for s in ("error", "warning", "info")
    }
    return f"{counts['error']} error(s), {counts['warning']} warning(s), {counts['info']} note(s)"


def render_json(diagnostics: Sequence[Diagnostic]) -> str:
    doc = {
        "diagnostics": [d.to_dict() for d in diagnostics],
        "summary": {
            s: sum(1 for d in diagnostics if d.severity == s) for s in ("error", "warning", "info")
        },
    }
    return json.dumps(doc, indent=2, ensure_ascii=False)


def render_sarif(diagnostics: Sequence[Diagnostic]) -> str:
    used = sorted({d.code for d in diagnostics})
    rule_index = {code: i for i, code in enumerate(used)}
    rules = []
    for code in used:
        severity, description = CODES.get(code, ("error", code))
        rules.append(
            {
                "id": code,
                "name": code,
                "shortDescription": {"text": description},
                "helpUri": f"docs/checks.md#{code}",
                "defaultConfiguration": {"level": _SARIF_LEVEL[severity]},
            }
        )
    results: list[dict[str, Any]] = []
    for d in diagnostics:
        message = d.message + (f" ({d.hint})" if d.hint else "")
        result: dict[str, Any] = {
            "ruleId": d.code,
            "ruleIndex": rule_index[d.code],
            "level": _SARIF_LEVEL[d.severity],
            "message": {"text": message},
        }
        if d.position is not None:
            region: dict[str, int] = {
                "startLine": d.position.line,
                "startColumn": d.position.column,
            }
            if d.position.end_line is not None and d.position.end_column is not None:
                region["endLine"] = d.position.end_line
                region["endColumn"] = d.position.end_column
            result["locations"] = [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": _uri(d.position.file)},
                        "region": region,
                    }
                }
            ]
        results.append(result)
    doc = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "policyc",
                        "version": __version__,
                        "rules": rules,
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False)


def _uri(file: str) -> str:
    if file.startswith("<stdlib>/"):
        return "policyc/stdlib_policies/" + file[len("<stdlib>/") :]
    if file.startswith("<"):
        return file.strip("<>")
    p = Path(file)
    return p.as_posix() if not p.is_absolute() else p.as_uri()
