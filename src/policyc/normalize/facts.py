"""Attribute facts and file-access facts of an action."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from policyc.action.model import Action
from policyc.action.schema import ATTRIBUTES
from policyc.action.vocabulary import attribute_predicate

if TYPE_CHECKING:
    from policyc.normalize.secrets import Finding

Facts = dict[str, list[tuple[Any, ...]]]

_FILE_FACT = {
    "file.read": "reads_file",
    "file.list": "reads_file",
    "file.write": "writes_file",
    "file.edit": "writes_file",
    "file.delete": "deletes_file",
}


def canonical_path(path: str, cwd: str | None = None, home: str | None = None) -> str | None:
    """An absolute, lexically canonical path (``.``, ``..`` and ``//`` resolved against ``cwd``,
    ``~`` and ``~/…`` against ``home``), or None when it cannot be made absolute (a relative path
    with no absolute ``cwd``, ``~`` with no absolute ``home``, ``~user``)."""
    if not path or "\0" in path:
        return None
    if path.startswith("~"):
        if not home or not home.startswith("/") or not (path == "~" or path.startswith("~/")):
            return None
        path = home.rstrip("/") + "/" + path[2:]
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


@dataclass(frozen=True, slots=True)
class Normalized:
    """An action's input facts, and the secrets found in it (kind, field, span — never values)."""

    facts: Facts
    findings: tuple[Finding, ...]


def secret_fields(action: Action) -> list[tuple[str, str]]:
    """The (field, text) pairs of an action that are scanned for secrets.

    A field under ``tool.input`` is its path of keys and list indices (``tool.input.body``,
    ``tool.input.files.0``). A key that holds a secret itself, has a dot or starts with ``#``
    is named by its position instead (``tool.input.#2``: the third key), so that a field name
    never carries a secret and always reads back one way; such a key's own text is the field
    ``….#2.#key``. :func:`policyc.decision.decide.redact_action` reads these paths."""
    fields = [(name, v) for name in ("command", "payload", "url") if (v := getattr(action, name))]
    if action.tool is not None and action.tool.input:
        _input_fields("tool.input", action.tool.input, fields)
    return fields


def _input_fields(prefix: str, value: Any, out: list[tuple[str, str]]) -> None:
    if isinstance(value, dict):
        from policyc.normalize.secrets import find_secrets

        for i, (k, v) in enumerate(value.items()):
            key = str(k)
            if key.startswith("#") or "." in key or not key or find_secrets(key, "key"):
                path = f"{prefix}.#{i}"
                out.append((f"{path}.#key", key))
            else:
                path = f"{prefix}.{key}"
            _input_fields(path, v, out)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _input_fields(f"{prefix}.{i}", v, out)
    elif isinstance(value, str) and value:
        out.append((prefix, value))


def normalize_action(action: Action, key: bytes | None = None) -> Normalized:
    """The facts of one action and the secrets in it. ``key`` keys the secrets' fingerprints."""
    from policyc.normalize.secrets import DEFAULT_FINGERPRINT_KEY, find_named_secret, scan_fields

    key = key or DEFAULT_FINGERPRINT_KEY
    fields = secret_fields(action)
    findings = scan_fields(fields, key)
    found = {f.field for f in findings}
    for field, text in fields:
        if field.startswith("tool.input.") and field not in found:
            # a value held under a secret-looking name: its key, or the key of a list or an
            # object it is in (`password.0`, `password.value`)
            for name in reversed(field.split(".")[2:]):
                if name.isdigit() or name.startswith("#"):
                    continue
                named = find_named_secret(name, text, field, key)
                if named is not None:
                    findings.append(named)
                    break
    facts = action_facts(action)
    if findings:
        facts["secret"] = list(dict.fromkeys((f.kind, f.field) for f in findings))
    return Normalized(facts, tuple(findings))


def action_facts(action: Action) -> Facts:
    """The facts of one action, in a fixed order (secrets aside: see :func:`normalize_action`)."""
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
    for command in _commands(action):
        from policyc.normalize.shell import normalize_shell

        shell = normalize_shell(command, action.cwd or action.workspace, action.home)
        for pred, rows in shell.facts.items():
            bucket = facts.setdefault(pred, [])
            bucket.extend(r for r in rows if r not in bucket)
    if action.url:
        from policyc.normalize.network import UPLOAD_METHODS, url_facts

        # a payload goes somewhere unless the request is known to be a GET
        method = action.method.upper() if action.method else None
        upload = method in UPLOAD_METHODS or bool(action.payload and method != "GET")
        url_facts(action.url, facts, upload=upload)
    for text in _sql_texts(action):
        from policyc.normalize.sql import sql_facts

        for pred, rows in sql_facts(text).items():
            bucket = facts.setdefault(pred, [])
            bucket.extend(r for r in rows if r not in bucket)
    fact = _FILE_FACT.get(action.action_type)
    paths = [action.resource.path] if fact and action.resource.path else []
    touched = [(fact, p) for p in paths] if fact else []
    if action.action_type == "tool.call":
        touched = _tool_paths(action)
    for fact, path in touched:
        canon = canonical_path(path, action.cwd or action.workspace, action.home)
        if canon is None:
            facts.setdefault("unresolved", []).append(("path", "the path cannot be made absolute"))
        elif (canon,) not in facts.get(fact, []):
            facts.setdefault(fact, []).append((canon,))
    _path_facts(facts)
    return facts


def _tool_paths(action: Action) -> list[tuple[str, str]]:
    """The file facts of a tool call's paths (its ``resource.path``, and the path arguments of
    ``_TOOL_PATH_KEYS``, a string or a list of strings). A tool may do anything with a path it
    is given: each one is read, and also written unless the tool's name says it only reads
    (``read_file``, ``Read``, ``list_directory``, ``search_files``, ``get_file_info`` …: the
    part after the last ``__`` of an MCP name); a tool whose name says it deletes, removes or
    moves deletes it too."""
    tool = action.tool
    paths = [action.resource.path] if action.resource.path else []
    tool_input = tool.input if tool is not None else {}
    for key in _TOOL_PATH_KEYS:
        value = tool_input.get(key)
        if isinstance(value, str) and value:
            paths.append(value)
        elif isinstance(value, list):
            paths.extend(v for v in value if isinstance(v, str) and v)
    name = (tool.name if tool is not None else "").rsplit("__", 1)[-1].lower()
    words = set(_WORD.findall(name))
    facts = ["reads_file"]
    if not (words and words <= _READ_ONLY_WORDS) and not name.startswith(_READ_ONLY_PREFIXES):
        facts.append("writes_file")
    if words & _DELETING_WORDS:
        facts.append("deletes_file")
    return [(f, p) for p in paths for f in facts]


# the arguments of a tool call that name files (Read's `file_path`, an MCP server's `path`,
# `paths` of read_multiple_files, `source`/`destination` of move_file …)
_TOOL_PATH_KEYS = (
    "file_path", "path", "filename", "file", "notebook_path", "paths", "files", "file_paths",
    "source", "destination", "target", "directory", "dir",
)  # fmt: skip
_WORD = re.compile(r"[a-z]+")
# a tool whose name is made of these words only reads what it is given
_READ_ONLY_WORDS = frozenset(
    [
        "read",
        "get",
        "list",
        "search",
        "find",
        "view",
        "show",
        "stat",
        "info",
        "cat",
        "head",
        "tail",
        "grep",
        "glob",
        "describe",
        "inspect",
        "directory",
        "directories",
        "tree",
        "file",
        "files",
        "text",
        "media",
        "multiple",
        "allowed",
        "dir",
        "metadata",
        "query",
        "lookup",
        "fetch",
    ]
)
_READ_ONLY_PREFIXES = ("read", "get", "list", "search", "find", "view", "show", "stat")
_DELETING_WORDS = frozenset({"delete", "remove", "rm", "unlink", "move", "rename", "mv", "trash"})


def _commands(action: Action) -> list[str]:
    """The shell text an action runs: its ``command`` (a ``shell.exec``'s, or any other action's:
    what the action would run is analysed all the same), and a tool call's ``tool.input.command``
    (Bash, a terminal MCP server …)."""
    out = [action.command] if action.command else []
    if action.action_type == "tool.call" and action.tool is not None:
        command = action.tool.input.get("command")
        if isinstance(command, str) and command and command not in out:
            out.append(command)
    return out


def _sql_texts(action: Action) -> list[str]:
    """The SQL an action runs: a ``db.query``'s payload (or its tool's ``sql``/``query``), and
    any tool call's ``sql`` argument."""
    texts = []
    if action.action_type == "db.query" and action.payload:
        texts.append(action.payload)
    if action.tool is not None:
        keys = ("sql", "query") if action.action_type == "db.query" else ("sql",)
        texts.extend(v for k in keys if isinstance(v := action.tool.input.get(k), str) and v)
    return texts


_PATH_SOURCES = ("reads_file", "writes_file", "deletes_file")


def _path_facts(facts: Facts) -> None:
    """Directory, name and extension of every path the action touches."""
    paths = dict.fromkeys(row[0] for pred in _PATH_SOURCES for row in facts.get(pred, ()))
    paths.update(dict.fromkeys(row[1] for row in facts.get("destructive", ()) if row[1]))
    if not paths:
        return
    dirs, names, exts = [], [], []
    for path in paths:
        directory, name = posixpath.split(path)
        dirs.append((path, directory or "/"))
        if name:
            names.append((path, name))
            stem, ext = posixpath.splitext(name)
            if ext and stem:
                exts.append((path, ext[1:].lower()))
    facts["path_dir"] = dirs
    if names:
        facts["path_name"] = names
    if exts:
        facts["path_ext"] = exts
