"""Attribute facts and file-access facts of an action."""

from __future__ import annotations

import posixpath
from typing import Any

from policyc.action.model import Action
from policyc.action.schema import ATTRIBUTES
from policyc.action.vocabulary import attribute_predicate

Facts = dict[str, list[tuple[Any, ...]]]

_FILE_FACT = {
    "file.read": "reads_file",
    "file.list": "reads_file",
    "file.write": "writes_file",
    "file.edit": "writes_file",
    "file.delete": "deletes_file",
}


def canonical_path(path: str, cwd: str | None = None) -> str | None:
    """An absolute, lexically canonical path (``.``, ``..`` and ``//`` resolved against ``cwd``),
    or None when it cannot be made absolute (a relative path with no absolute ``cwd``, ``~``)."""
    if not path or "\0" in path:
        return None
    if path.startswith("~"):
        return None
    if not path.startswith("/"):
        if not cwd or not cwd.startswith("/"):
            return None
        path = cwd.rstrip("/") + "/" + path
    canon = posixpath.normpath(path)
    if canon.startswith("//"):
        canon = "/" + canon.lstrip("/")
    return canon


def _flatten(prefix: str, value: Any, out: list[tuple[str, Any]]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flatten(f"{prefix}.{k}" if prefix else str(k), v, out)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _flatten(f"{prefix}.{i}" if prefix else str(i), v, out)
    elif value is not None:
        if isinstance(value, float) and value != value:
            return
        out.append((prefix, value))


def action_facts(action: Action) -> Facts:
    """The facts of one action, in a fixed order."""
    facts: Facts = {}
    data = action.model_dump(mode="python")
    for path, t in ATTRIBUTES.items():
        value: Any = data
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value is None:
            continue
        pred = attribute_predicate(path)
        if t.kind == "object":
            leaves: list[tuple[str, Any]] = []
            _flatten("", value, leaves)
            facts[pred] = [(k, v) for k, v in leaves]
        elif t.many:
            facts[pred] = [(v,) for v in dict.fromkeys(value)]
        else:
            facts[pred] = [(value,)]
    if action.action_type == "shell.exec" and action.command:
        from policyc.normalize.shell import normalize_shell

        shell = normalize_shell(action.command, action.cwd or action.workspace)
        for pred, rows in shell.facts.items():
            bucket = facts.setdefault(pred, [])
            bucket.extend(r for r in rows if r not in bucket)
    if action.url:
        from policyc.normalize.network import UPLOAD_METHODS, url_facts

        method = (action.method or "GET").upper()
        upload = method in UPLOAD_METHODS or bool(action.payload and method != "GET")
        url_facts(action.url, facts, upload=upload)
    fact = _FILE_FACT.get(action.action_type)
    if fact and action.resource.path:
        canon = canonical_path(action.resource.path, action.cwd or action.workspace)
        if canon is None:
            facts.setdefault("unresolved", []).append(("path", "the path cannot be made absolute"))
        else:
            facts.setdefault(fact, []).append((canon,))
    return facts
