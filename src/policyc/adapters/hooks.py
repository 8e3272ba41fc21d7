"""Coding-agent hooks: the hook JSON of Claude Code, Codex and Gemini CLI as actions, and the
decisions as the hook's answer. Pure mapping: no I/O (the one question about the file system,
whether a path is a plain file, is asked through a function the caller passes).

- :func:`parse_hook` reads one hook event (an already parsed JSON value) into a
  :class:`HookCall`: the event, the tool, and the actions to decide. A malformed event is a
  :class:`HookError` (the hook then blocks the tool call: exit status 2).
- :func:`pre_tool_response` turns the decisions of a ``PreToolUse`` / ``BeforeTool`` call into
  the hook's answer; :func:`post_tool_response` the decision on the secrets found in a tool's
  output (``PostToolUse`` / ``AfterTool``) into the note given back to the agent.

How each tool becomes an action is in ``docs/integrations/claude-code.md``; the rules that
matter for soundness:

- a search over a folder (``Grep``, ``search_file_content``, a pattern of ``read_many_files``)
  reads every file below it: it becomes the equivalent ``grep -r`` command, so the standard
  library's recursive-read rules judge it (``reads_tree``); a name filter is kept only when it is
  one plain extension (``*.py``), else it is dropped, which over-approximates what is read;
- a file pattern (``Glob``) lists the folder its literal part names: a ``file.list`` of it;
- a tool that is not known becomes a ``tool.call`` with its name and input, decided by the
  policies like any other (never allowed just because it is unknown).
"""

from __future__ import annotations

import copy
import re
import shlex
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from policyc.decision.record import Decision

AGENTS = ("claude-code", "codex", "gemini")
"""The hook dialects: Codex speaks Claude Code's (its tools: ``Bash``, ``apply_patch``, MCP)."""

PRE_EVENTS = {"claude-code": "PreToolUse", "codex": "PreToolUse", "gemini": "BeforeTool"}
POST_EVENTS = {"claude-code": "PostToolUse", "codex": "PostToolUse", "gemini": "AfterTool"}

PROJECT_DIR_ENV = {"claude-code": "CLAUDE_PROJECT_DIR", "codex": "", "gemini": "GEMINI_PROJECT_DIR"}
"""The environment variable an agent sets to its project folder (the action's ``workspace``)."""

PRECEDENCE = ("allow", "alert", "redact", "require_approval", "deny", "terminate")

ApprovalMode = Literal["ask", "deny"]


class HookError(ValueError):
    """A hook event that cannot be read: the message is one line and names the problem, never a
    value of the event (it may hold a secret)."""


@dataclass(frozen=True)
class HookCall:
    """One hook event, read. ``actions`` are the actions to decide (most tools give one; a patch
    of several files or a fetch of several URLs gives one per file or URL). For a post event,
    ``actions`` holds the one action recording the secrets found in the output, or nothing
    when it holds none; ``findings`` lists them (kind, where), never their values."""

    agent: str
    event: str
    phase: Literal["pre", "post"]
    tool_name: str
    tool_input: dict[str, Any]
    actions: tuple[dict[str, Any], ...]
    findings: tuple[tuple[str, str], ...] = ()


# -- reading the event --------------------------------------------------------------------------


def parse_hook(
    agent: str,
    data: Any,
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
    is_file: Callable[[str], bool] | None = None,
) -> HookCall:
    """The hook event ``data`` (parsed JSON) sent by ``agent`` (one of :data:`AGENTS`).

    ``env`` supplies ``HOME`` (the action's ``home``) and the agent's project folder (its
    ``workspace``; else the event's ``cwd``); ``cwd`` is used when the event gives none.
    ``is_file(path)`` says whether an absolute path is a plain file (a search of one file is a
    plain read, not a recursive one); without it every searched path may be a folder."""
    if agent not in AGENTS:
        raise HookError(f"unknown agent {agent!r} (expected one of {', '.join(AGENTS)})")
    env = env or {}
    if not isinstance(data, dict):
        raise HookError(f"the hook input must be a JSON object, got {_kind(data)}")
    event = _string(data, "hook_event_name", required=True)
    if event == PRE_EVENTS[agent]:
        phase: Literal["pre", "post"] = "pre"
    elif event == POST_EVENTS[agent]:
        phase = "post"
    else:
        raise HookError(
            f"hook_event_name {_show(event)} is not handled (expected "
            f"{PRE_EVENTS[agent]} or {POST_EVENTS[agent]})"
        )
    tool_name = _string(data, "tool_name", required=True)
    if not tool_name:
        raise HookError("tool_name is empty")
    tool_input = data.get("tool_input")
    if not isinstance(tool_input, dict):
        raise HookError(f"tool_input must be a JSON object, got {_kind(tool_input)}")
    event_cwd = _string(data, "cwd") or cwd
    if event_cwd is not None and not event_cwd.startswith("/"):
        raise HookError("cwd must be an absolute path")
    session = _string(data, "session_id")
    home = env.get("HOME") or None
    project = env.get(PROJECT_DIR_ENV[agent]) if PROJECT_DIR_ENV[agent] else None
    workspace = project if project and project.startswith("/") else event_cwd
    base: dict[str, Any] = {"agent": {"id": agent}}
    if session:
        base["session"] = {"id": session}
    for key, value in (("cwd", event_cwd), ("workspace", workspace), ("home", home)):
        if value:
            base[key] = value
    ctx = _Context(agent, tool_name, tool_input, base, event_cwd, is_file)
    if phase == "post":
        if "tool_response" not in data:
            raise HookError("tool_response is missing")
        action, findings = _response_action(ctx, data["tool_response"], data)
        return HookCall(
            agent, event, phase, tool_name, tool_input, (action,) if action else (), findings
        )
    actions = _gemini(ctx, data) if agent == "gemini" else _claude(ctx)
    return HookCall(agent, event, phase, tool_name, tool_input, tuple(actions))


@dataclass(frozen=True)
class _Context:
    agent: str
    tool: str
    input: dict[str, Any]
    base: dict[str, Any]
    cwd: str | None
    is_file: Callable[[str], bool] | None

    def action(self, action_type: str, **fields: Any) -> dict[str, Any]:
        out = copy.deepcopy(self.base)
        out["action_type"] = action_type
        out.setdefault("tool", {"name": self.tool})
        for key, value in fields.items():
            if value is not None:
                out[key] = value
        return out

    def edit(self, path: str, payload: str | None) -> dict[str, Any]:
        """An edit: what it writes is the payload, and the whole tool input (the text it
        replaces, ``replace_all`` …) is bound into the action, so an approval of one edit is
        not an approval of another that writes the same text elsewhere."""
        tool = {"name": self.tool, "input": copy.deepcopy(self.input)}
        return self.action("file.edit", resource=_file(path), payload=payload, tool=tool)

    def tool_call(self, name: str | None = None, server: str | None = None) -> dict[str, Any]:
        tool: dict[str, Any] = {"name": name or self.tool, "input": copy.deepcopy(self.input)}
        if server:
            tool["server"] = server
        return self.action("tool.call", tool=tool)

    def req(self, key: str, *alternatives: str) -> str:
        """A string argument of the tool that must be there."""
        for name in (key, *alternatives):
            value = self.input.get(name)
            if value is not None:
                if not isinstance(value, str):
                    raise HookError(f"{self.tool}: tool_input.{name} must be a string")
                return value
        raise HookError(f"{self.tool}: tool_input.{key} is missing")

    def opt(self, key: str, *alternatives: str) -> str | None:
        for name in (key, *alternatives):
            value = self.input.get(name)
            if value is not None:
                if not isinstance(value, str):
                    raise HookError(f"{self.tool}: tool_input.{name} must be a string")
                return value or None
        return None

    def absolute(self, path: str) -> str | None:
        if path.startswith("/"):
            return path
        if self.cwd:
            return self.cwd.rstrip("/") + "/" + path
        return None


# -- Claude Code (and Codex) --------------------------------------------------------------------


def _claude(ctx: _Context) -> list[dict[str, Any]]:
    tool = ctx.tool
    if tool.startswith("mcp__"):
        return [_mcp_call(ctx)]
    if tool == "Bash":
        return [ctx.action("shell.exec", command=_command(ctx))]
    if tool in ("Read", "NotebookRead"):
        path = ctx.req("notebook_path" if tool == "NotebookRead" else "file_path")
        return [ctx.action("file.read", resource=_file(path))]
    if tool == "Write":
        return [
            ctx.action(
                "file.write", resource=_file(ctx.req("file_path")), payload=ctx.req("content")
            )
        ]
    if tool == "Edit":
        path = ctx.req("file_path")
        return [ctx.edit(path, ctx.req("new_string"))]
    if tool == "MultiEdit":
        path = ctx.req("file_path")
        edits = ctx.input.get("edits")
        if not isinstance(edits, list) or not all(isinstance(e, dict) for e in edits):
            raise HookError("MultiEdit: tool_input.edits must be an array of objects")
        texts = []
        for i, edit in enumerate(edits):
            text = edit.get("new_string")
            if not isinstance(text, str):
                raise HookError(f"MultiEdit: tool_input.edits[{i}].new_string must be a string")
            texts.append(text)
        return [ctx.edit(path, "\n".join(texts))]
    if tool == "NotebookEdit":
        path = ctx.req("notebook_path")
        source = ctx.opt("new_source")
        return [ctx.edit(path, source)]
    if tool == "LS":
        return [ctx.action("file.list", resource=_file(ctx.req("path")))]
    if tool == "Glob":
        return [_glob(ctx, ctx.req("pattern"), ctx.opt("path"))]
    if tool == "Grep":
        filters = _grep_filters(ctx.opt("type"), ctx.opt("glob"))
        return [_search(ctx, ctx.req("pattern"), ctx.opt("path"), filters)]
    if tool == "WebFetch":
        return [ctx.action("http.request", url=ctx.req("url"), method="GET")]
    if tool == "apply_patch" and ctx.agent == "codex":
        return _apply_patch(ctx, ctx.req("command", "patch", "input"))
    return [ctx.tool_call()]  # WebSearch, Task, TodoWrite, anything unknown: the policies decide


def _mcp_call(ctx: _Context) -> dict[str, Any]:
    """A tool named ``mcp__SERVER__TOOL``: a tool call of TOOL on SERVER."""
    server, _, name = ctx.tool[len("mcp__") :].partition("__")
    if server and name:
        return ctx.tool_call(name=name, server=server)
    return ctx.tool_call()


def _command(ctx: _Context, *alternatives: str) -> str:
    value = ctx.input.get("command")
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return shlex.join(value)  # an argument vector (Codex's exec): the shell line it equals
    command = ctx.req("command", *alternatives)
    if not command.strip():
        raise HookError(f"{ctx.tool}: tool_input.command is empty")
    return command


def _file(path: str) -> dict[str, str]:
    if not path:
        raise HookError("a file path is empty")
    return {"type": "file", "path": path}


_GLOB_CHARS = re.compile(r"[*?\[{]")


def _glob(ctx: _Context, pattern: str, path: str | None) -> dict[str, Any]:
    """A file pattern lists the folder named by its literal part (``src/**/*.py`` lists ``src``,
    ``../../etc/*`` lists ``../../etc``): the pattern's last part filters names and is not a
    folder that is read."""
    if not pattern:
        raise HookError(f"{ctx.tool}: tool_input.pattern is empty")
    parts = pattern.split("/")
    literal: list[str] = []
    for part in parts[:-1]:
        if _GLOB_CHARS.search(part):
            break
        literal.append(part)
    if pattern.startswith("/"):
        root = "/".join(literal) or "/"
    else:
        base = path or ctx.cwd or "."
        root = "/".join([base.rstrip("/") or "/", *literal]) if literal else base
    return ctx.action("file.list", resource={"type": "directory", "path": root})


# ripgrep's file types whose globs are all plain extensions of source code (`rg --type-list`);
# another type is not relied on
_RG_TYPES: dict[str, tuple[str, ...]] = {
    "py": ("*.py", "*.pyi"),
    "go": ("*.go",),
    "rust": ("*.rs",),
    "ts": ("*.cts", "*.mts", "*.ts", "*.tsx"),
    "js": ("*.cjs", "*.js", "*.jsx", "*.mjs", "*.vue"),
}

_EXTENSION_GLOB = re.compile(r"(?:\*\*/)?\*\.([A-Za-z0-9_+-]+)")
_BRACED_GLOB = re.compile(r"(?:\*\*/)?\*\.\{([A-Za-z0-9_+,-]+)\}")


def _grep_filters(file_type: str | None, glob: str | None) -> tuple[str, ...] | None:
    """The name filters of a search: ripgrep keeps the files that pass both its ``type`` and its
    ``glob``, so either one that is understood bounds what is read; None when neither is (the
    search is taken to read every file)."""
    if glob is not None:
        filters = _name_filters(glob)
        if filters is not None:
            return filters
    if file_type is not None:
        return _RG_TYPES.get(file_type)
    return None


def _name_filters(glob: str) -> tuple[str, ...] | None:
    """``*.py``, ``**/*.py`` and ``*.{ts,tsx}`` as ``--include`` filters; None for any other
    glob (a path, a negation, several parts), which is then not relied on."""
    m = _EXTENSION_GLOB.fullmatch(glob)
    if m is not None:
        return (f"*.{m.group(1)}",)
    m = _BRACED_GLOB.fullmatch(glob)
    if m is not None and all(m.group(1).split(",")):
        return tuple(f"*.{ext}" for ext in m.group(1).split(","))
    return None


def _search(
    ctx: _Context, pattern: str, path: str | None, filters: tuple[str, ...] | None
) -> dict[str, Any]:
    """A content search as the ``grep`` command that reads what it reads: a plain file is read
    (``grep -e P -- FILE``); a folder, or a path not known to be a plain file, is read whole
    (``grep -r``, with ``--include`` for a name filter that is only plain extensions)."""
    root = path or ctx.cwd or "."
    absolute = ctx.absolute(root)
    words = ["grep"]
    plain_file = (
        path is not None
        and absolute is not None
        and ctx.is_file is not None
        and not _GLOB_CHARS.search(path)
        and ctx.is_file(absolute)
    )
    if not plain_file:
        words.append("-r")
        words += [f"--include={f}" for f in filters or ()]
    words += ["-e", pattern, "--", root]
    return ctx.action("shell.exec", command=shlex.join(words))


def _apply_patch(ctx: _Context, patch: str) -> list[dict[str, Any]]:
    """A Codex patch: one action per file it adds (``file.write``), changes (``file.edit``),
    deletes (``file.delete``) or moves (a read and a delete of the old path, a write of the
    new); the lines it adds are the payload. A patch naming no file cannot be judged: an
    error."""
    files: list[tuple[str, str, list[str]]] = []  # (kind, path, added lines)
    moves: dict[int, str] = {}
    for line in patch.splitlines():
        for kind in ("Add", "Update", "Delete"):
            prefix = f"*** {kind} File: "
            if line.startswith(prefix):
                files.append((kind, line[len(prefix) :].strip(), []))
                break
        else:
            if line.startswith("*** Move to: ") and files:
                moves[len(files) - 1] = line[len("*** Move to: ") :].strip()
            elif line.startswith("+") and files:
                files[-1][2].append(line[1:])
    if not files:
        raise HookError("apply_patch: the patch names no file (expected '*** Add File:' …)")
    actions = []
    for i, (kind, path, added) in enumerate(files):
        payload = "\n".join(added) if added else None
        if not path or (i in moves and not moves[i]):
            raise HookError("apply_patch: a file path in the patch is empty")
        if kind == "Delete":
            actions.append(ctx.action("file.delete", resource=_file(path)))
        elif i in moves:
            actions.append(ctx.action("file.read", resource=_file(path)))
            actions.append(ctx.action("file.delete", resource=_file(path)))
            actions.append(ctx.action("file.write", resource=_file(moves[i]), payload=payload))
        else:
            action_type = "file.write" if kind == "Add" else "file.edit"
            actions.append(ctx.action(action_type, resource=_file(path), payload=payload))
    return actions


# -- Gemini CLI ---------------------------------------------------------------------------------

_URL = re.compile(r"https?://[^\s<>\"'`)\]}]+", re.IGNORECASE)


def _gemini(ctx: _Context, data: Mapping[str, Any]) -> list[dict[str, Any]]:
    tool = ctx.tool
    mcp = data.get("mcp_context")
    if isinstance(mcp, dict) and isinstance(mcp.get("server_name"), str):
        name = mcp.get("tool_name")
        short = name if isinstance(name, str) and name else tool.rsplit("__", 1)[-1]
        return [ctx.tool_call(name=short, server=mcp["server_name"])]
    if tool.startswith("mcp__"):
        return [_mcp_call(ctx)]
    if tool == "run_shell_command":
        command = _command(ctx)
        folder = ctx.opt("directory", "dir_path")
        cwd = ctx.cwd
        if folder:
            cwd = folder if folder.startswith("/") else (ctx.absolute(folder) or cwd)
        return [ctx.action("shell.exec", command=command, cwd=cwd)]
    if tool == "read_file":
        path = ctx.req("file_path", "absolute_path", "path")
        return [ctx.action("file.read", resource=_file(path))]
    if tool == "write_file":
        path = ctx.req("file_path", "path")
        return [ctx.action("file.write", resource=_file(path), payload=ctx.req("content"))]
    if tool in ("replace", "edit"):
        path = ctx.req("file_path", "path")
        return [ctx.action("file.edit", resource=_file(path), payload=ctx.req("new_string"))]
    if tool in ("list_directory", "ls"):
        path = ctx.opt("dir_path", "path") or ctx.cwd or "."
        return [ctx.action("file.list", resource={"type": "directory", "path": path})]
    if tool == "glob":
        return [_glob(ctx, ctx.req("pattern"), ctx.opt("dir_path", "path"))]
    if tool in ("search_file_content", "grep_search", "grep"):
        filters = _grep_filters(None, ctx.opt("include"))
        return [_search(ctx, ctx.req("pattern"), ctx.opt("dir_path", "path"), filters)]
    if tool == "read_many_files":
        return [_read_many(ctx)]
    if tool == "web_fetch":
        urls = _URL.findall(ctx.opt("url") or "") or _URL.findall(ctx.opt("prompt") or "")
        if urls:
            return [
                ctx.action("http.request", url=u.rstrip(".,;:!?"), method="GET")
                for u in dict.fromkeys(urls)
            ]
    return [ctx.tool_call()]  # google_web_search, save_memory, anything unknown


def _read_many(ctx: _Context) -> dict[str, Any]:
    """``read_many_files``: one shell line that reads the same: ``cat`` of the plain paths, a
    recursive ``grep`` of each pattern's literal folder (with the pattern's extension as the only
    name filter it keeps)."""
    paths: list[str] = []
    for key in ("paths", "include"):
        value = ctx.input.get(key)
        if value is None:
            continue
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise HookError(f"{ctx.tool}: tool_input.{key} must be an array of strings")
        paths += value
    if not paths or not all(paths):
        raise HookError(f"{ctx.tool}: tool_input.paths names no file")
    plain = [p for p in paths if not _GLOB_CHARS.search(p)]
    lines = [shlex.join(["cat", "--", *plain])] if plain else []
    for pattern in (p for p in paths if _GLOB_CHARS.search(p)):
        parts = pattern.split("/")
        literal: list[str] = []
        for part in parts[:-1]:
            if _GLOB_CHARS.search(part):
                break
            literal.append(part)
        root = "/".join(literal) or ("/" if pattern.startswith("/") else ".")
        filters = _name_filters(parts[-1]) or ()
        words = ["grep", "-r", *(f"--include={f}" for f in filters), "-e", "", "--", root]
        lines.append(shlex.join(words))
    return ctx.action("shell.exec", command="; ".join(lines))


# -- the output of a tool (post events) ---------------------------------------------------------

EXCERPT_CONTEXT = 256  # characters kept on each side of a secret in a very long line
LONG_LINE = 4096


def _response_action(
    ctx: _Context, response: Any, data: Mapping[str, Any]
) -> tuple[dict[str, Any] | None, tuple[tuple[str, str], ...]]:
    """The action recording the secrets found in a tool's output, and the findings (kind,
    where); no action when it holds none.

    The action is a ``tool.call`` of the tool, ``resource.type`` ``tool_response``, whose
    ``tool.input.tool_response`` holds, for each string of the output that holds a secret, the
    lines holding one (of a very long line, a window around each secret that cuts none): the
    policies see the secrets (``redaction.secrets`` redacts them) and the audit log keeps them
    redacted, without the rest of the output."""
    from policyc.normalize.secrets import find_named_secret, find_secrets, redact_text

    leaves: list[tuple[str, str]] = []
    _string_leaves("", response, leaves)
    excerpts: dict[str, str] = {}
    findings: list[tuple[str, str]] = []
    for where, text in leaves:
        found = find_secrets(text, where)
        if not found:
            named = find_named_secret(where.rsplit("/", 1)[-1], text, where)
            found = [named] if named is not None else []
        if not found:
            continue
        excerpts[where or "output"] = _excerpt(text, [(f.start, f.end) for f in found])
        shown = redact_text(where, find_secrets(where, "key")) or "output"
        findings += [(f.kind, shown) for f in found]
    if not excerpts:
        return None, ()
    tool: dict[str, Any] = {"name": ctx.tool, "input": {"tool_response": excerpts}}
    mcp = data.get("mcp_context")
    if ctx.tool.startswith("mcp__"):
        server, _, name = ctx.tool[len("mcp__") :].partition("__")
        if server and name:
            tool.update(name=name, server=server)
    elif isinstance(mcp, dict) and isinstance(mcp.get("server_name"), str):
        tool["server"] = mcp["server_name"]
    action = ctx.action("tool.call", tool=tool, resource={"type": "tool_response"})
    return action, tuple(dict.fromkeys(findings))


def _string_leaves(prefix: str, value: Any, out: list[tuple[str, str]]) -> None:
    if isinstance(value, str):
        if value:
            out.append((prefix, value))
    elif isinstance(value, dict):
        for k, v in value.items():
            _string_leaves(f"{prefix}/{k}" if prefix else str(k), v, out)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _string_leaves(f"{prefix}/{i}" if prefix else str(i), v, out)


def _excerpt(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """The lines of ``text`` holding the spans; of a line longer than :data:`LONG_LINE`, a
    window of :data:`EXCERPT_CONTEXT` characters around each span, widened so that its edges
    cut no span. Pieces are joined with `` … ``."""
    windows: list[tuple[int, int]] = []
    for start, end in spans:
        line_start = text.rfind("\n", 0, start) + 1
        line_end = text.find("\n", end)
        line_end = len(text) if line_end < 0 else line_end
        if line_end - line_start > LONG_LINE:
            line_start = max(line_start, start - EXCERPT_CONTEXT)
            line_end = min(line_end, end + EXCERPT_CONTEXT)
        windows.append((line_start, line_end))
    changed = True
    while changed:  # widen the edges that fall inside a span, merge what overlaps
        changed = False
        windows.sort()
        merged: list[tuple[int, int]] = []
        for lo, hi in windows:
            for s, e in spans:
                if s < lo < e:
                    lo, changed = s, True
                if s < hi < e:
                    hi, changed = e, True
            if merged and lo <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
            else:
                merged.append((lo, hi))
        windows = merged
    return " … ".join(text[lo:hi] for lo, hi in windows)


# -- answering ----------------------------------------------------------------------------------


class RedactionFailed(Exception):
    """A redaction of the decision could not be applied to the tool's input."""


def effective(decisions: Sequence[Decision]) -> Decision:
    """The most restrictive of the decisions (the first of equals)."""
    return max(decisions, key=lambda d: PRECEDENCE.index(d.decision))


def redacted_input(
    tool_input: Mapping[str, Any], pairs: Sequence[tuple[dict[str, Any], Decision]]
) -> dict[str, Any]:
    """``tool_input`` with every value the decisions redact (in the action each was decided on)
    replaced by its marker, wherever it appears in the input, keys included. Raises
    :class:`RedactionFailed` when a redacted value is not found in the input (it was built by
    the mapping, e.g. quoted into a command) or survives the replacement."""
    from policyc.action.model import parse_action
    from policyc.normalize.facts import secret_fields

    values: dict[str, str] = {}
    for action, decision in pairs:
        if not decision.redactions:
            continue
        texts = dict(secret_fields(parse_action(action)))
        for r in decision.redactions:
            text = texts.get(r.field)
            if text is None or r.offset + r.length > len(text) or r.length == 0:
                raise RedactionFailed(f"the redacted field {r.field} is not in the action")
            values.setdefault(text[r.offset : r.offset + r.length], r.marker)
    ordered = sorted(values.items(), key=lambda kv: (-len(kv[0]), kv[0]))
    seen: set[str] = set()

    def scrub(text: str) -> str:
        for value, marker in ordered:
            if value in text:
                seen.add(value)
                text = text.replace(value, marker)
        return text

    def walk(value: Any) -> Any:
        if isinstance(value, str):
            return scrub(value)
        if isinstance(value, dict):
            return {scrub(str(k)): walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    out: dict[str, Any] = walk(dict(tool_input))
    missing = [kind_of(values[v]) for v in values if v not in seen]
    if missing:
        raise RedactionFailed(f"a secret ({', '.join(missing)}) cannot be redacted in the input")
    leftover: list[str] = []
    _check_leftover(out, [v for v, _ in ordered], leftover)
    if leftover:
        raise RedactionFailed("a redacted value is still in the input")
    return out


def _check_leftover(value: Any, secrets: Sequence[str], out: list[str]) -> None:
    if isinstance(value, str):
        out += [s for s in secrets if s in value]
    elif isinstance(value, dict):
        for k, v in value.items():
            _check_leftover(str(k), secrets, out)
            _check_leftover(v, secrets, out)
    elif isinstance(value, list):
        for v in value:
            _check_leftover(v, secrets, out)


def kind_of(marker: str) -> str:
    return marker.removeprefix("[REDACTED:").removesuffix("]")


def approval_hint(decisions: Iterable[Decision], state_dir: str | None) -> str:
    """How to approve the pending approvals of ``decisions`` (one sentence each)."""
    state = f" --state {shlex.quote(state_dir)}" if state_dir else ""
    hints = []
    for d in decisions:
        if d.decision == "require_approval" and d.approval_id:
            role = d.approver_role or "ROLE"
            hints.append(
                f"approval {d.approval_id} is pending (approver role {role}): "
                f"policyc approvals approve {d.approval_id} --as NAME --role {shlex.quote(role)}"
                f"{state} — then the same call goes ahead"
            )
    return "; ".join(hints)


REASON_LIMIT = 600  # characters of the decision's reason shown to the agent (the log has it all)


def _reason(d: Decision) -> str:
    rules = ", ".join(d.policy_ids) or "default"
    return f"policyc {d.decision} ({rules}): {_clip(d.reason)} [{d.decision_id}]"


def _clip(text: str, limit: int = REASON_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def pre_tool_response(
    call: HookCall,
    decisions: Sequence[Decision],
    *,
    state_dir: str | None = None,
    approvals: ApprovalMode = "ask",
) -> dict[str, Any]:
    """The hook's answer to a pre event, from the decisions of its actions (their most
    restrictive effect decides):

    - ``allow``, ``alert``: allow;
    - ``redact``: allow with the tool's input redacted (Claude Code's ``updatedInput``, Gemini's
      ``hookSpecificOutput.tool_input``); for Codex, whose support of a changed input cannot
      be relied on, deny — as for any agent when the redaction cannot be applied;
    - ``require_approval``: ``ask`` (Claude Code; ``approvals="deny"`` makes it a denial), else
      deny; the reason names the pending approval and the command that approves it; an ``ask``
      carries the redacted input when the decisions redact (what runs if the person says yes);
    - ``deny``: deny; ``terminate``: deny, and stop the agent (``continue: false``).
    """
    if call.phase != "pre":
        raise ValueError("pre_tool_response answers a pre event")
    if not decisions:
        raise ValueError("no decision")
    d = effective(decisions)
    effect = d.decision
    reason = _reason(d)
    updated: dict[str, Any] | None = None
    stop = False
    verdict: str
    if effect in ("allow", "alert"):
        verdict = "allow"
    elif effect == "redact":
        if call.agent == "codex":
            verdict = "deny"
            reason += " (the call holds a secret; Codex cannot be relied on to run the redacted input: remove the secret)"
        else:
            try:
                updated = redacted_input(
                    call.tool_input, list(zip(call.actions, decisions, strict=True))
                )
                verdict = "allow"
                reason += " (the tool input is redacted)"
            except RedactionFailed as e:
                verdict = "deny"
                reason += f" (denied: {e})"
    elif effect == "require_approval":
        hint = approval_hint(decisions, state_dir)
        reason += f". {hint}" if hint else ""
        verdict = "ask" if call.agent == "claude-code" and approvals == "ask" else "deny"
        if verdict == "ask" and any(each.redactions for each in decisions):
            try:  # what the person is asked about, and what runs if they say yes
                updated = redacted_input(
                    call.tool_input, list(zip(call.actions, decisions, strict=True))
                )
                reason += " (the tool input is redacted)"
            except RedactionFailed as e:
                verdict = "deny"
                reason += f" (denied: {e})"
    else:
        verdict = "deny"
        stop = effect == "terminate"
    if call.agent == "gemini":
        out: dict[str, Any] = {"decision": verdict, "reason": reason}
        if updated is not None:
            out["hookSpecificOutput"] = {"hookEventName": call.event, "tool_input": updated}
    else:
        specific: dict[str, Any] = {
            "hookEventName": call.event,
            "permissionDecision": verdict,
            "permissionDecisionReason": reason,
        }
        if updated is not None:
            specific["updatedInput"] = updated
        out = {"hookSpecificOutput": specific}
    if stop:
        out["continue"] = False
        out["stopReason"] = f"policyc ended the session: {_clip(d.reason)} [{d.decision_id}]"
    return out


def post_tool_response(call: HookCall, decision: Decision | None) -> dict[str, Any] | None:
    """The hook's answer to a post event: None when the output holds no secret; else a note for
    the agent (``additionalContext``) naming the kinds of secret found and where, never a value,
    and stopping the agent when the decision terminates the session."""
    if call.phase != "post":
        raise ValueError("post_tool_response answers a post event")
    if not call.findings:
        return None
    found = ", ".join(f"{kind} in {where}" for kind, where in call.findings)
    recorded = (
        f"recorded redacted in the audit log [{decision.decision_id}]"
        if decision is not None and decision.error is None
        else "not recorded (the decision failed)"
    )
    note = (
        f"policyc: the output of {call.tool_name} holds secrets ({found}); {recorded}. Treat "
        "them as secret: do not repeat, store or send them."
    )
    out: dict[str, Any] = {
        "hookSpecificOutput": {"hookEventName": call.event, "additionalContext": note}
    }
    if decision is not None and decision.decision == "terminate":
        out["continue"] = False
        out["stopReason"] = (
            f"policyc ended the session: {_clip(decision.reason)} [{decision.decision_id}]"
        )
    return out


# -- helpers ------------------------------------------------------------------------------------


def _string(data: Mapping[str, Any], key: str, *, required: bool = False) -> str | None:
    value = data.get(key)
    if value is None:
        if required:
            raise HookError(f"{key} is missing")
        return None
    if not isinstance(value, str):
        raise HookError(f"{key} must be a string, got {_kind(value)}")
    return value


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _show(text: str | None) -> str:
    """A short, safe rendering of an event name (which may be anything)."""
    if text is None:
        return "null"
    shown = "".join(c if c.isalnum() or c in "_-. " else "?" for c in text[:40])
    return f'"{shown}{"…" if len(text) > 40 else ""}"'


__all__ = [
    "AGENTS",
    "POST_EVENTS",
    "PRE_EVENTS",
    "HookCall",
    "HookError",
    "RedactionFailed",
    "approval_hint",
    "effective",
    "parse_hook",
    "post_tool_response",
    "pre_tool_response",
    "redacted_input",
]
