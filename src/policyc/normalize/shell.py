"""Shell commands → facts, through a real shell grammar (tree-sitter-bash).

Every simple command is found wherever it sits (pipelines, lists, subshells, brace groups,
command and process substitutions, ``bash -c`` strings, ``eval`` of literals), wrappers such as
``sudo``, ``env``, ``timeout``, ``xargs``, ``strace``, ``flock`` or ``su -c`` are seen through,
flags are normalised (``-rf`` is ``-r`` and ``-f``, ``--recursive`` is ``-r`` for ``rm``), and
what cannot be resolved statically (a variable or a substitution where a command name or an
argument should be) becomes an ``unresolved`` fact, so that a policy never allows what it could
not see. What each program does with its arguments is :mod:`policyc.normalize.programs`.

What a command reads on stdin is followed too: a shell reading a literal here-document,
here-string or ``echo``/``printf`` pipeline runs that text, which is analysed like ``bash -c``;
a shell reading anything else (``curl … | sh``, ``base64 -d | bash``, ``sh < file``) is
``unresolved("shell_stdin")`` (decoded base64/hex of literal text is analysed as well). SQL
clients and interpreters read stdin the same way. ``echo`` text with backslashes is analysed in
both readings (bash prints them, dash's echo reads escapes) and stays unresolved. A process
substitution is a ``/dev/fd`` pipe for the programs that read it as data (``diff <(sort a)
<(sort b)``), and a computed word for any other, which may run what it reads there.

``xargs`` and ``parallel`` complete their command with arguments read at run time: the command is
analysed with a computed argument appended (or in place of the replacement string), so that
``xargs rm -rf`` is a ``recursive_force_delete`` of an unknown target; ``parallel CMD ::: A B``
with literal values is analysed once per value. ``chroot`` and ``nsenter -m`` add
``unresolved("chroot")``: the paths the command names are inside another root. ``source FILE``
and ``. FILE`` read the file and run commands that are not seen (``unresolved("script")``), but
for a virtualenv's ``bin/activate`` below the working directory that the command does not change.

The working directory: a literal ``cd DIR``/``pushd DIR`` (also ``env -C DIR``, ``sudo -D DIR``)
is made canonical against the cwd and every directory an earlier ``cd`` may have gone to, and
every relative path seen after it is resolved against the cwd **and** each of those directories:
the facts of every candidate are given (a superset is sound: a rule that denies sees each one,
and an allow never overrides a deny), so ``cd src && pytest`` stays quiet and ``cd /etc && rm
-rf ssl`` deletes ``/repo/ssl`` and ``/etc/ssl``. Scoping is ignored: a ``cd`` in a subshell,
a pipeline element or a ``bash -c`` string counts for everything after it, which only adds
candidates. ``cd`` alone or ``cd ~`` goes to the home when it is known; ``cd -``, a computed or
pattern target, ``popd``, ``pushd +N``, an unknown home and login shells (``sudo -i``,
``su -``) make later relative paths also ``unresolved("cd")``. A loop whose ``cd`` changes the
directories, and a function when they change after its definition, are walked again (their
first commands may run after the ``cd``); a loop or function that moves on each time it runs
(``cd ..`` in a loop) is ``unresolved("cd")``, as is a command that goes to more than
``MAX_DIRECTORIES`` directories. ``CDPATH`` is taken to be unset.

Loop variables: the body of ``for VAR in WORD…`` over literal words is walked once per word with
``"$VAR"`` bound to it, when nothing else in the command may set the variable (the name occurs
only in that ``for`` and as ``$VAR``/``${VAR}``); other variables, and this one unquoted, in a
function body or in a shell string, stay computed at run time.

The environment: assignments (``NAME=value cmd``, ``env NAME=value cmd``, ``sudo NAME=value
cmd``, and assignments and ``export``/``declare`` before a command, all taken as exported)
are analysed by :func:`programs.assignment` (variables programs run as shell text, or that
load code not seen) and kept for the commands they apply to; ``GIT_CONFIG_COUNT``/
``GIT_CONFIG_KEY_n``/``GIT_CONFIG_VALUE_n`` are read as ``git -c`` settings.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cache
from types import MappingProxyType
from typing import Any

from policyc.normalize import programs
from policyc.normalize.programs import Stdin

MAX_DEPTH = 8  # nested `bash -c` / `eval` strings followed before giving up (unresolved)
MAX_DIRECTORIES = 32  # directories `cd` may have gone to, followed before giving up (unresolved)
MAX_LOOP_WORDS = 16  # words of a `for` list whose body is analysed once per word

_WRAPPERS = {
    "sudo",
    "doas",
    "pkexec",
    "env",
    "nice",
    "nohup",
    "timeout",
    "time",
    "command",
    "builtin",
    "exec",
    "stdbuf",
    "ionice",
    "chrt",
    "taskset",
    "setsid",
    "xargs",
    "parallel",
    "watch",
    "strace",
    "ltrace",
    "flock",
    "unbuffer",
    "chroot",
    "firejail",
    "proxychains",
    "proxychains4",
    "torsocks",
    "caffeinate",
    "nsenter",
}
_SHELLS = {"bash", "sh", "zsh", "dash", "ksh", "fish"}
# wrapper flags that take a value (so the value is not the wrapped command)
_WRAPPER_VALUE_FLAGS = {
    "sudo": {"-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U", "--user", "--group",
             "--chdir"},
    "doas": {"-u", "-C"},
    "pkexec": {"--user"},
    "nice": {"-n", "--adjustment"},
    "timeout": {"-s", "-k", "--signal", "--kill-after"},
    "xargs": {"-I", "-i", "-n", "-P", "-L", "-s", "-d", "-E", "-a", "--max-args", "--max-procs"},
    "parallel": {"-j", "--jobs", "-N", "-n", "--max-args", "-P", "-S", "--sshlogin", "-a",
                 "--arg-file", "-d", "--delimiter", "-I", "-E", "--colsep", "-C", "--retries",
                 "--timeout", "--delay", "--joblog", "--results", "--tmpdir", "--workdir",
                 "--wd", "--tagstring", "--sshloginfile", "--slf", "--env", "--basefile"},
    "stdbuf": {"-i", "-o", "-e"},
    "ionice": {"-c", "-n", "-p"},
    "chrt": {"-T", "-P", "-D"},
    "env": {"-u", "-C", "--unset", "--chdir"},
    "exec": {"-a"},
    "time": {"-f", "-o", "--format", "--output"},
    "watch": {"-n", "--interval", "-d"},
    "strace": {"-e", "-o", "-p", "-s", "-u", "-E", "-P", "-a", "-b", "-I", "-O", "-S", "-X",
               "-U", "--output", "--trace", "--signal", "--attach", "--user", "--env"},
    "ltrace": {"-e", "-o", "-p", "-s", "-u", "-n", "-a", "-F", "-l", "-A", "-D", "-w",
               "--output", "--library", "--indent", "--align", "--where"},
    "flock": {"-w", "--wait", "--timeout", "-E", "--conflict-exit-code"},
    "chroot": {"--userspec", "--groups"},
    "proxychains": {"-f"},
    "proxychains4": {"-f"},
    "torsocks": {"-u", "-p", "-a", "-P", "--user", "--pass", "--address", "--port"},
    "caffeinate": {"-t", "-w"},
    "nsenter": {"-t", "--target", "-S", "--setuid", "-G", "--setgid"},
}  # fmt: skip
# wrappers whose first operand is theirs, not the command's (`timeout 5 cmd`, `flock LOCK cmd`)
_WRAPPER_OPERAND = {"timeout", "chrt", "taskset", "flock", "chroot"}


@dataclass(slots=True)
class _Session:
    """What a command changes for the commands after it: the directories ``cd`` may have gone
    to, and the environment it assigns."""

    dirs: list[str] = field(default_factory=list)  # cd targets, canonical (beside the cwd)
    unknown: list[str] = field(default_factory=list)  # why the directory may be another one
    version: int = 0  # changes with dirs and unknown
    env: dict[str, str | None] = field(default_factory=dict)  # assigned or exported
    local: dict[str, str | None] = field(default_factory=dict)  # for the command at hand
    git_settings: set[tuple[tuple[str, str | None], ...]] = field(default_factory=set)
    # aliases defined so far (None: defined with a value computed at run time); a command named
    # like one is analysed both as written and expanded, whether or not the shell would expand
    # it (aliases need `shopt -s expand_aliases` outside interactive shells): a superset
    aliases: dict[str, str | None] = field(default_factory=dict)


@dataclass
class ShellFacts:
    commands: list[tuple[str, ...]] = field(default_factory=list)  # (name, *args) after wrappers
    facts: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)
    home: str | None = None  # the home directory `~` stands for, when known
    source: str = ""  # the whole command
    activated: list[str] = field(default_factory=list)  # virtualenv activate scripts sourced
    session: _Session = field(default_factory=_Session, init=False, repr=False, compare=False)
    patterns: _Patterns = field(default_factory=lambda: _Patterns(), init=False, repr=False)

    def add(self, pred: str, *args: Any) -> None:
        rows = self.facts.setdefault(pred, [])
        if args not in rows:
            rows.append(args)


@dataclass(slots=True)
class _Patterns:
    """The shell patterns read as paths in a command, whose ``path_glob`` facts are given once
    the whole command is walked (after its file facts)."""

    # (canonical path of the file facts, the word, the directory it is relative to)
    words: list[tuple[str, str, str | None]] = field(default_factory=list)
    # words with quoted and unquoted parts: which of their special characters count is not known
    partial: set[str] = field(default_factory=set)


@dataclass(slots=True)
class _Context:
    """The walker's services to a program's semantics (:class:`programs.Shell`)."""

    out: ShellFacts
    cwd: str | None
    depth: int
    stdin: Stdin | None

    @property
    def facts(self) -> dict[str, list[tuple[Any, ...]]]:
        return self.out.facts

    def add(self, pred: str, *args: Any) -> None:
        self.out.add(pred, *args)

    @property
    def env(self) -> dict[str, str | None]:
        return {**self.out.session.env, **self.out.session.local}

    def paths(self, path: str, *, pattern: bool = True) -> list[str]:
        return _canonicals(self.out, path, self.cwd, pattern=pattern)

    def file(self, pred: str, path: str) -> str | None:
        return _file(self.out, pred, path, self.cwd)

    def text(self, script: str, stdin: Stdin | None = None) -> None:
        _walk_text(script, self.out, self.cwd, self.depth + 1, stdin)

    def words(self, words: Any, stdin: Stdin | None = None) -> None:
        _simple(list(words), self.out, self.cwd, self.depth + 1, stdin)


@cache
def _parser() -> Any:
    import tree_sitter_bash
    from tree_sitter import Language, Parser

    return Parser(Language(tree_sitter_bash.language()))


_SURROGATES = re.compile("[\ud800-\udfff]")


def normalize_shell(command: str, cwd: str | None = None, home: str | None = None) -> ShellFacts:
    out = ShellFacts(home=home, source=command)
    if _SURROGATES.search(command):
        # a lone surrogate is not text (JSON can carry one; an OS may take it as a raw byte):
        # the command is analysed with each one as U+FFFD, and is unresolved
        out.add("unresolved", "encoding", "the command holds characters that are not text")
        command = _SURROGATES.sub("\ufffd", command)
    token = _BINDINGS.set(_NO_BINDINGS)
    try:
        _walk_text(command, out, cwd, 0, None)
    finally:
        _BINDINGS.reset(token)
    _path_globs(out)
    _activated_unchanged(out)
    _git_hooks_written(out)
    return out


def _git_hooks_written(out: ShellFacts) -> None:
    """A file written under ``.git/hooks`` (or ``.git/config``) is run (or read) by later git
    commands, which the action does not show."""
    for (path,) in out.facts.get("writes_file", []):
        if "/.git/hooks/" in path or path.endswith(("/.git/config", "/.git/hooks")):
            out.add("unresolved", "git_config", f"git runs or reads {path} in later commands")


def _walk_text(
    text: str, out: ShellFacts, cwd: str | None, depth: int, stdin: Stdin | None
) -> None:
    if depth > MAX_DEPTH:
        out.add("unresolved", "nesting", "shell strings nested too deeply to follow")
        return
    tree = _parser().parse(text.encode("utf-8", "surrogatepass"))
    if tree.root_node.has_error:
        out.add("unresolved", "syntax", "the command does not parse as shell")
    token = _BINDINGS.set(
        _NO_BINDINGS
    )  # another shell, or text run later: loop variables are not known
    try:
        _walk(tree.root_node, out, cwd, depth, stdin)
    finally:
        _BINDINGS.reset(token)


_LOOPS = frozenset({"for_statement", "c_style_for_statement", "while_statement"})
_BIND = -2  # a stack entry of _walk that sets the loop variables (_Bind)


@dataclass(frozen=True, slots=True)
class _Bind:
    """The loop variables in force for what :func:`_walk` walks next."""

    values: Mapping[str, str]


def _walk(
    root: Any,
    out: ShellFacts,
    cwd: str | None,
    depth: int,
    stdin: Stdin | None,
    *,
    again: bool = False,
) -> None:
    """Every node in the order of the text. A loop in which a ``cd`` changes the directories, and
    a function when one changes after its definition, are walked once more (``again``): their
    first commands may run after that ``cd``."""
    session = out.session
    functions: list[tuple[Any, Stdin | None, int]] = []
    # (node, its stdin, -1), or (loop, its stdin, version when it was entered) after its body
    stack: list[tuple[Any, Stdin | None, int]] = [(root, stdin, -1)]
    while stack:
        node, inherited, entered = stack.pop()
        if entered == _BIND:
            _BINDINGS.set(node.values)
            continue
        if entered >= 0:
            if session.version != entered:
                _walk_again(node, out, cwd, depth, inherited)
            continue
        t = node.type
        if t in _LOOPS and not again:
            stack.append((node, inherited, session.version))
        elif t == "function_definition" and not again:
            functions.append((node, inherited, session.version))
        if t == "command":
            _command(node, out, cwd, depth, inherited)
        elif t == "file_redirect":
            _redirect(node, out, cwd)
        elif t == "variable_assignment" and node.parent is not None:
            if node.parent.type != "command":  # prefix assignments are the command's
                _assign(*_assignment(node), out, cwd, depth)
        elif t == "declaration_command":
            _declaration(node, out, cwd, depth)
        if t == "for_statement" and (loop := _loop_words(node, out, depth)) is not None:
            stack.extend(reversed(_loop_bodies(node, *loop, inherited)))
            continue
        if t == "function_definition":  # run later, when the loop variables may be others
            before = _BINDINGS.get()
            stack.append((_Bind(before), None, _BIND))
            stack.extend((c, inherited, -1) for c in reversed(node.children))
            stack.append((_Bind(_NO_BINDINGS), None, _BIND))
            continue
        children = node.children
        if t == "pipeline":
            pairs = _pipeline(node, inherited)
        elif t == "redirected_statement":
            body = node.child_by_field_name("body")
            body_stdin = _redirect_stdin(node, inherited)
            pairs = [(c, body_stdin if _same(c, body) else None) for c in children]
        elif t in ("heredoc_redirect", "herestring_redirect", "file_redirect", "heredoc_body"):
            pairs = [(c, None) for c in children]
        elif t == "process_substitution" and children and children[0].type == ">(":
            # `>(cmd)` reads what the command around it writes there
            into = Stdin(None, "what a command writes into a process substitution")
            pairs = [(c, into) for c in children]
        else:
            pairs = [(c, inherited) for c in children]
        stack.extend((c, s, -1) for c, s in reversed(pairs))
    for node, inherited, version in functions:
        if session.version != version:
            _walk_again(node, out, cwd, depth, inherited)


# -- loop variables ---------------------------------------------------------------------------

# the variables of the `for` loops being walked, each bound to one word of its list
_NO_BINDINGS: Mapping[str, str] = MappingProxyType({})
_BINDINGS: ContextVar[Mapping[str, str]] = ContextVar("policyc_loop_bindings", default=_NO_BINDINGS)


def _loop_words(node: Any, out: ShellFacts, depth: int) -> tuple[str, list[str]] | None:
    """The variable and the words of ``for VAR in WORD…`` when its body reads ``$VAR`` and can
    be walked once per word with ``"$VAR"`` bound to it: the words are literal and no pattern
    (at most :data:`MAX_LOOP_WORDS`), the loop is in the command itself (not in a shell
    string), and nowhere in the command is the variable named otherwise than by this ``for`` and
    by ``$VAR``/``${VAR}`` (no assignment, ``read``, ``unset``, ``declare -n`` … may change
    it)."""
    variable = node.child_by_field_name("variable")
    values = node.children_by_field_name("value")
    if depth or variable is None or not values or len(values) > MAX_LOOP_WORDS:
        return None
    words = [_word(v) for v in values]
    literal = [w for w in words if w is not None and not _is_pattern(w)]
    if len(literal) != len(words):
        return None
    name = variable.text.decode("utf-8", "surrogatepass")
    body = node.child_by_field_name("body")
    used = rf"\$\{{?{re.escape(name)}(?![A-Za-z0-9_])"
    if body is None or not re.search(used, body.text.decode("utf-8", "surrogatepass")):
        return None  # the body does not read it: walked once, as any loop
    if not _only_expanded(out.source, name):
        return None
    return name, literal


def _only_expanded(source: str, name: str) -> bool:
    """Whether ``name`` occurs in ``source`` only once after ``for`` and otherwise as ``$name``
    or ``${name…}`` (not ``${name=…}``/``${name:=…}``, which assign it)."""
    headers = 0
    for m in re.finditer(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", source):
        start, end = m.span()
        if source[start - 1 : start] == "$":
            continue
        if source[start - 2 : start] == "${" and not source[end:].startswith(("=", ":=")):
            continue
        if re.search(r"(?<![A-Za-z0-9_])for\s+$", source[:start]):
            headers += 1
            continue
        return False
    return headers == 1


def _loop_bodies(
    node: Any, name: str, words: list[str], stdin: Stdin | None
) -> list[tuple[Any, Stdin | None, int]]:
    """The stack entries that walk the body of a ``for`` loop once per word, the variable bound
    to it, then restore the variables in force before."""
    body = node.child_by_field_name("body")
    if body is None:
        return []
    before = _BINDINGS.get()
    entries: list[tuple[Any, Stdin | None, int]] = []
    for w in words:
        entries += [(_Bind({**before, name: w}), None, _BIND), (body, stdin, -1)]
    entries.append((_Bind(before), None, _BIND))
    return entries


def _bound(node: Any) -> str | None:
    """The word a loop variable is bound to, for ``$VAR`` or ``${VAR}`` (None: not bound)."""
    bindings = _BINDINGS.get()
    if not bindings:
        return None
    kinds = [c.type for c in node.children]
    if node.type == "simple_expansion" and kinds == ["$", "variable_name"]:
        return bindings.get(node.children[1].text.decode("utf-8", "surrogatepass"))
    if node.type == "expansion" and kinds == ["${", "variable_name", "}"]:
        return bindings.get(node.children[1].text.decode("utf-8", "surrogatepass"))
    return None


def _walk_again(
    node: Any, out: ShellFacts, cwd: str | None, depth: int, stdin: Stdin | None
) -> None:
    before = out.session.version
    seen = len(out.commands)
    _walk(node, out, cwd, depth, stdin, again=True)
    del out.commands[seen:]
    if out.session.version != before:  # each run moves on: `while …; do cd ..; done`
        reason = "a loop or a function changes the working directory each time it runs"
        _unknown_directory(out, reason)
        out.add("unresolved", "cd", reason)


def _same(a: Any, b: Any) -> bool:
    return b is not None and a.start_byte == b.start_byte and a.end_byte == b.end_byte


# -- stdin ------------------------------------------------------------------------------------


def _pipeline(node: Any, inherited: Stdin | None) -> list[tuple[Any, Stdin | None]]:
    """Each element of a pipeline with what it reads: the previous element's output."""
    children = node.children
    previous: Stdin | None = inherited
    if children and children[0].type in ("|", "|&"):
        # `cmd <<EOF | next`: tree-sitter puts the pipeline inside the here-document redirect
        previous = _heredoc_producer(node)
    pairs: list[tuple[Any, Stdin | None]] = []
    for c in children:
        if c.type in ("|", "|&"):
            pairs.append((c, None))
            continue
        pairs.append((c, previous))
        previous = _stdout(c, previous)
    return pairs


def _heredoc_producer(pipeline: Any) -> Stdin:
    redirect = pipeline.parent
    statement = redirect.parent if redirect is not None else None
    if statement is None or statement.type != "redirected_statement":
        return Stdin(None, "the output of a command")
    body = statement.child_by_field_name("body")
    if body is None:
        return Stdin(None, "the output of a command")
    return _stdout(body, _redirect_stdin(statement, None))


def _redirect_stdin(statement: Any, inherited: Stdin | None) -> Stdin | None:
    """What the body of a redirected statement reads: its last input redirection, else what the
    statement reads."""
    stdin = inherited
    for c in statement.children:
        if c.type == "heredoc_redirect":
            stdin = _heredoc_stdin(c)
        elif c.type == "herestring_redirect":
            stdin = _herestring_stdin(c)
        elif c.type == "file_redirect":
            stdin = _file_stdin(c, stdin)
    return stdin


def _heredoc_stdin(node: Any) -> Stdin:
    start = None
    body = None
    end = None
    strip_tabs = False
    stray = False
    for c in node.children:
        if c.type == "heredoc_start":
            start = c
        elif c.type == "heredoc_body":
            body = c
        elif c.type == "heredoc_end":
            end = c
        elif c.type == "<<-":
            strip_tabs = True
        elif c.type in _ARGUMENT_NODES:
            stray = True
    text = body.text.decode("utf-8", "surrogatepass") if body is not None else ""
    if (stray or not text) and start is not None and end is not None:
        # tree-sitter-bash splits some bodies (one starting with a backslash) into stray words:
        # the body is then the source from the line after the start to the end marker
        raw: bytes = node.text
        newline = raw.find(b"\n", start.end_byte - node.start_byte)
        if newline >= 0:
            text = raw[newline + 1 : end.start_byte - node.start_byte].decode(
                "utf-8", "surrogatepass"
            )
    if strip_tabs:
        text = "\n".join(line.lstrip("\t") for line in text.split("\n"))
    delimiter = start.text.decode("utf-8", "surrogatepass") if start is not None else ""
    quoted = any(q in delimiter for q in "'\"\\")
    expands = "\\" in text or "$" in text or "`" in text
    return Stdin(text, "a here-document", exact=quoted or not expands)


def _herestring_stdin(node: Any) -> Stdin:
    words = [c for c in node.children if c.type != "<<<"]
    value = _word(words[0]) if words else None
    if value is None:
        return Stdin(None, "a here-string computed at run time")
    return Stdin(value + "\n", "a here-string")


def _file_stdin(node: Any, stdin: Stdin | None) -> Stdin | None:
    op = None
    fd = None
    target = None
    for c in node.children:
        if c.type == "file_descriptor":
            fd = c.text.decode()
        elif c.type in ("<", "<>", "<&"):
            op = c.type
        elif c.type not in (">", ">>", "&>", "&>>", ">|", ">&", "&>", ">&-", "<&-"):
            target = c
    if op is None or fd not in (None, "0"):
        return stdin
    path = _word(target) if target is not None else None
    return Stdin(None, f"the file {path}" if path else "a file")


def _stdout(node: Any, stdin: Stdin | None) -> Stdin:
    """What a pipeline element writes on stdout, as far as it is known statically."""
    t = node.type
    if t == "command":
        words = _words(node)
        own = _command_stdin(node, stdin)
        if words is None:
            return Stdin("", "the output of an assignment")
        while words and words[0] is not None:
            base = words[0].rsplit("/", 1)[-1]
            if base not in _WRAPPERS or base in ("xargs", "parallel", "watch"):
                break
            rest = _unwrap(base, words[1:])
            if not rest:
                break
            words = rest
        if not words or words[0] is None:
            return Stdin(None, "the output of a command computed at run time")
        return programs.stdout_of(words[0].rsplit("/", 1)[-1], words[1:], own)
    if t == "redirected_statement":
        body = node.child_by_field_name("body")
        outputs = [c for c in node.children if _redirects_stdout(c)]
        if body is None or outputs:
            return Stdin(None, "the output of a redirected command")
        return _stdout(body, _redirect_stdin(node, stdin))
    if t in ("compound_statement", "subshell"):
        parts = [c for c in node.named_children if c.type != "comment"]
        texts = [_stdout(c, stdin) for c in parts]
        if parts and all(s.text is not None for s in texts):
            return Stdin(
                "".join(s.text or "" for s in texts),
                texts[0].source,
                all(s.exact for s in texts),
            )
    return Stdin(None, "the output of a compound command")


def _redirects_stdout(node: Any) -> bool:
    if node.type != "file_redirect":
        return False
    fd = None
    op = None
    for c in node.children:
        if c.type == "file_descriptor":
            fd = c.text.decode()
        elif c.type in (">", ">>", ">|", "&>", "&>>", ">&"):
            op = c.type
    return op is not None and (op.startswith("&") or fd in (None, "1"))


def _command_stdin(node: Any, stdin: Stdin | None) -> Stdin | None:
    for c in node.children:
        if c.type == "herestring_redirect":
            stdin = _herestring_stdin(c)
        elif c.type == "file_redirect":
            stdin = _file_stdin(c, stdin)
    return stdin


# -- words --------------------------------------------------------------------------------------


def _word(node: Any) -> str | None:
    """The literal value of a word, or None when it depends on something only known at run time."""
    t = node.type
    text: str = node.text.decode("utf-8", "surrogatepass")
    if t in ("word", "command_name"):
        if t == "command_name":
            return _word(node.children[0]) if node.children else None
        if "\\" in text:
            return _unescape(text)
        return text
    if t == "raw_string":
        return text[1:-1]
    if t == "number":
        return text
    if t == "string":
        parts = []
        for c in node.children:
            if c.type == '"':
                continue
            if c.type == "string_content":
                parts.append(_unescape_double_quoted(c.text.decode("utf-8", "surrogatepass")))
            elif (bound := _bound(c)) is not None:
                parts.append(bound)  # "$f" in `for f in a b`: neither split nor a pattern
            else:
                return None  # an expansion inside double quotes
        return "".join(parts)
    if t == "concatenation":
        parts = []
        for c in node.children:
            v = _word(c)
            if v is None:
                return None
            parts.append(v)
        return "".join(parts)
    if t == "ansi_c_string":
        return None  # $'\x72m': built from escapes, treated as unresolved
    return None


def _unescape_double_quoted(text: str) -> str:
    """Inside double quotes a backslash escapes only ``$``, a backquote, ``"``, ``\\`` and a
    newline (which it removes); before anything else it stays."""
    if "\\" not in text:
        return text
    out = []
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text) and text[i + 1] in '$`"\\\n':
            if text[i + 1] != "\n":
                out.append(text[i + 1])
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _unescape(text: str) -> str:
    out = []
    i = 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


_ARGUMENT_NODES = {
    "word",
    "string",
    "raw_string",
    "concatenation",
    "number",
    "ansi_c_string",
    "simple_expansion",
    "expansion",
    "command_substitution",
    "process_substitution",
    "arithmetic_expansion",
}


def _word_nodes(node: Any) -> list[list[Any]]:
    """The nodes of each word of a simple command, its name first (empty for assignments only).
    The parser may split one shell word into sibling nodes (`'.'\\env`, `r''\\m`, `{\\.env,x}`:
    a backslash escape after a quote or a brace); nodes with no blank between them are one word."""
    name_node = node.child_by_field_name("name")
    if name_node is None:
        return []
    groups: list[list[Any]] = []
    for c in node.children:
        if not (_same(c, name_node) or (groups and c.type in _ARGUMENT_NODES)):
            continue
        if groups and c.start_byte == groups[-1][-1].end_byte:
            groups[-1].append(c)
        else:
            groups.append([c])
    return groups


def _group_word(group: list[Any], *, pipes: bool = False) -> str | None:
    """The literal value of a word made of ``group``'s nodes (None: computed)."""
    if len(group) == 1:
        c = group[0]
        return _PIPE if pipes and c.type == "process_substitution" else _word(c)
    parts = [_word(c) for c in group]
    return None if None in parts else "".join(p for p in parts if p is not None)


def _words(node: Any, *, pipes: bool = False, braces: bool = False) -> list[str | None] | None:
    """The words of a simple command (None for each computed one), or None for assignments only.
    ``pipes``: a process substitution is :data:`_PIPE` (else it is computed). ``braces``: an
    argument with an unquoted brace expansion (``--{force,quiet}``) stands for the words it
    expands to as well as for itself (its braces may be quoted): a superset of the arguments."""
    groups = _word_nodes(node)
    if not groups:
        return None
    words = [_group_word(groups[0], pipes=pipes)]
    for g in groups[1:]:
        value = _group_word(g, pipes=pipes)
        words.append(value)
        if braces and value is not None and _brace_alternatives(g, value):
            from policyc.normalize.globs import brace_words

            expanded = brace_words(value)
            if expanded is None:
                words.append(None)  # too many to follow: an argument computed at run time
            else:
                words.extend(w for w in expanded if w != value)
    return words


def _brace_alternatives(group: list[Any], value: str) -> bool:
    """Whether the word may hold a brace expansion with alternatives (``{a,b}``): a brace in an
    unquoted part, and a comma between braces in its value."""
    unquoted = [n for c in group for n in (c.children if c.type == "concatenation" else [c])]
    if not any(n.type == "word" and b"{" in n.text for n in unquoted):
        return False
    open_ = value.find("{")
    return open_ >= 0 and "," in value[open_:] and value.find("}", open_) > 0


class _Pipe(str):
    """The word of a process substitution ``<(cmd)``/``>(cmd)``: a ``/dev/fd`` path, a pipe from
    or to commands that are analysed where they are written. It stays a path only for the
    programs of :data:`_PIPE_PROGRAMS`; for any other it is a word computed at run time, since a
    program may run what it reads there (``bash <(curl …)``, ``python <(curl …)``)."""

    __slots__ = ()


_PIPE = _Pipe("/dev/fd/63")
# programs that only read (or, tee, write) a file operand as data, and run nothing from it
_PIPE_PROGRAMS = frozenset(
    {"cat", "diff", "cmp", "comm", "sort", "uniq", "head", "tail", "wc", "paste", "join",
     "grep", "egrep", "fgrep", "nl", "tac", "cut", "tee"}
)  # fmt: skip
# ... but whose long options may take a list of files or a program (`sort --files0-from`,
# `--compress-program`, `wc --files0-from`): a pipe after any long option of theirs is computed
_PIPE_LONG_OPTION_VALUES = frozenset({"sort", "wc"})
# wrappers that pass their command's words on unchanged (not `xargs`, `parallel`, `watch`,
# `flock`, which complete them or make them shell text)
_PIPE_WRAPPERS = _WRAPPERS - {"xargs", "parallel", "watch", "flock"}


def _pipe_arguments(base: str, args: list[str | None]) -> list[str | None]:
    """``args`` with each process substitution a computed word, but where ``base`` reads (or
    passes on to the command it wraps) a pipe as data."""
    if base in _PIPE_WRAPPERS and not (
        base == "env" and any((a or "").startswith(("-S", "--split-string")) for a in args)
    ):
        rest = _unwrap(base, args) or []
        own = args[: len(args) - len(rest)]
        return [None if isinstance(a, _Pipe) else a for a in own] + rest
    if base not in _PIPE_PROGRAMS:
        return [None if isinstance(a, _Pipe) else a for a in args]
    out: list[str | None] = []
    for k, a in enumerate(args):
        after = args[k - 1] if k else None
        if isinstance(a, _Pipe) and (
            base in _PIPE_LONG_OPTION_VALUES
            and after is not None
            and after.startswith("--")
            and after != "--"
        ):
            a = None
        out.append(a)
    return out


def _command(node: Any, out: ShellFacts, cwd: str | None, depth: int, stdin: Stdin | None) -> None:
    words = _words(node, pipes=True, braces=True)
    for group in _word_nodes(node)[1:]:
        _note_quoting(group, _group_word(group), out)
    prefix = [_assignment(c) for c in node.children if c.type == "variable_assignment"]
    if words is None:  # assignments alone: they stay for what follows
        for name, value in prefix:
            _assign(name, value, out, cwd, depth)
        return
    _with_environment(prefix, out, cwd, depth, words, _command_stdin(node, stdin))


def _with_environment(
    assignments: list[tuple[str, str | None]],
    out: ShellFacts,
    cwd: str | None,
    depth: int,
    words: list[str | None],
    stdin: Stdin | None,
) -> None:
    """Analyse a simple command run with these assignments in its environment (only)."""
    session = out.session
    saved = session.local
    session.local = dict(saved)
    try:
        for name, value in assignments:
            _assign(name, value, out, cwd, depth, local=True)
        _simple(words, out, cwd, depth, stdin)
    finally:
        session.local = saved


# -- the environment -------------------------------------------------------------------------


def _assignment(node: Any) -> tuple[str, str | None]:
    """The name and value of ``NAME=value`` (None: computed, or appended to with ``+=``)."""
    name = ""
    value: str | None = ""
    for c in node.children:
        if c.type == "variable_name":
            name = c.text.decode("utf-8", "surrogatepass")
        elif c.type == "+=":
            return name, None
        elif c.type not in ("=", "subscript"):
            value = _word(c)
    return name, value


def _assign(
    name: str,
    value: str | None,
    out: ShellFacts,
    cwd: str | None,
    depth: int,
    *,
    local: bool = False,
) -> None:
    """An assignment to the environment: what programs make of the variable is analysed, and it
    is kept for the commands it applies to (every later one, unless ``local``)."""
    programs.assignment(name, value, _Context(out, cwd, depth, None))
    (out.session.local if local else out.session.env)[name] = value


def _declaration(node: Any, out: ShellFacts, cwd: str | None, depth: int) -> None:
    """``export 'NAME=value'`` (a word, not an assignment); a computed word may assign anything."""
    keyword = node.children[0].type if node.children else "export"
    for c in node.children[1:]:
        if c.type not in _ARGUMENT_NODES:
            continue
        word = _word(c)
        if word is None:
            detail = f"{keyword} assigns a variable computed at run time"
            out.add("unresolved", "environment", detail)
        elif "=" in word and not word.startswith(("-", "+")):
            name, _, value = word.partition("=")
            if name.isidentifier():
                _assign(name, value, out, cwd, depth)


def _wrapper_assignments(base: str, own: list[str | None]) -> list[tuple[str, str | None]]:
    """The ``NAME=value`` words among the options of ``env`` and ``sudo``."""
    takes = _WRAPPER_VALUE_FLAGS.get(base, set()) | {"-S", "--split-string"}
    found: list[tuple[str, str | None]] = []
    k = 0
    while k < len(own):
        a = own[k]
        k += 2 if a in takes else 1
        if a is not None and _is_assignment(a):
            name, _, value = a.partition("=")
            found.append((name, value))
    return found


# -- the working directory -------------------------------------------------------------------


def _unknown_directory(out: ShellFacts, reason: str) -> None:
    session = out.session
    if reason not in session.unknown:
        session.unknown.append(reason)
        session.version += 1


def _change_directory(base: str, args: list[str | None], out: ShellFacts, cwd: str | None) -> None:
    """``cd DIR``/``pushd DIR``: DIR, made canonical against the cwd and every directory an
    earlier ``cd`` may have gone to, is one more directory the later commands may run in."""
    from policyc.normalize.facts import canonical_path

    k = 0
    while k < len(args):  # cd [-L|-P [-e]] [-@] [--], pushd/popd [-n]
        a = args[k]
        if a is None or a == "-" or not a.startswith("-") or a[1:].isdigit():
            break
        k += 1
        if a == "--":
            break
    rest = args[k:]
    computed = "the working directory is computed at run time"
    if base == "popd" or (base == "pushd" and (not rest or (rest[0] or "+")[:1] in "+-")):
        _unknown_directory(out, computed)  # a directory pushed before, maybe by another action
        return
    target = rest[0] if rest else "~"
    if target is None or target == "-" or _is_pattern(target):
        _unknown_directory(out, computed)
        return
    session = out.session
    if target.startswith(("/", "~")):
        bases: list[str | None] = [None]
    else:
        bases = [cwd, *session.dirs]
    found = [canonical_path(target, b, out.home) for b in bases]
    if target.startswith("~") and found == [None]:
        home = target == "~" or target.startswith("~/")
        _unknown_directory(out, "the home directory is not known" if home else computed)
    for d in found:
        if d is None or d in session.dirs:
            continue
        if len(session.dirs) >= MAX_DIRECTORIES:
            _unknown_directory(out, "the command changes directory too often to follow")
            break
        session.dirs.append(d)
        session.version += 1


def _define_aliases(args: list[str | None], out: ShellFacts) -> None:
    for a in args:
        if a is None:
            out.add("unresolved", "alias", "an alias is defined from text computed at run time")
            continue
        name, eq, value = a.partition("=")
        if eq and name and not name.startswith("-"):
            out.session.aliases[name] = value


def _expand_alias(
    name: str,
    args: list[str | None],
    out: ShellFacts,
    cwd: str | None,
    depth: int,
    stdin: Stdin | None,
) -> None:
    import shlex

    value = out.session.aliases[name]
    if value is None or any(a is None for a in args):
        out.add("unresolved", "alias", f"the alias {name} expands to text computed at run time")
        return
    rest = " ".join(shlex.quote(a) for a in args if a is not None)
    expansion = (value + " " + rest).strip()
    out.session.aliases.pop(name)  # an alias is not expanded inside its own expansion
    try:
        _walk_text(expansion, out, cwd, depth + 1, stdin)
    finally:
        out.session.aliases[name] = value


_MAKEFILES = ("Makefile", "makefile", "GNUmakefile")


def _runs_what_it_wrote(
    name: str, base: str, args: list[str | None], out: ShellFacts, cwd: str | None
) -> None:
    """A program the same command wrote before running it (``echo … > x.sh && ./x.sh``), or
    ``make`` after writing a makefile: what runs is what was written, which is not analysed."""
    written = {row[0] for row in out.facts.get("writes_file", [])}
    if not written:
        return
    if "/" in name and any(p in written for p in _canonicals(out, name, cwd, pattern=False)):
        out.add("unresolved", "script", f"{name} runs a file this command wrote")
    elif base in ("make", "gmake") and any(p.rsplit("/", 1)[-1] in _MAKEFILES for p in written):
        out.add("unresolved", "script", f"{base} runs the recipes of a makefile this command wrote")
    elif base in ("bash", "sh", "zsh", "dash", "source", ".", "python", "python3", "node", "perl"):
        for a in args:
            if a is not None and not a.startswith("-"):
                if any(p in written for p in _canonicals(out, a, cwd, pattern=False)):
                    out.add("unresolved", "script", f"{base} runs {a}, a file this command wrote")
                break


def _simple(
    words: list[str | None],
    out: ShellFacts,
    cwd: str | None,
    depth: int,
    stdin: Stdin | None = None,
) -> None:
    if not words:
        return
    if depth > MAX_DEPTH:
        out.add("unresolved", "nesting", "commands nested too deeply to follow")
        return
    name = words[0]
    if name is None:
        out.add("unresolved", "command_name", "the command name is computed at run time")
        return
    base = name.rsplit("/", 1)[-1]
    if not base or any(c.isspace() or not c.isprintable() for c in base):
        # a name no shell would find as written, but that another runner may split or strip
        # (no-break spaces, control characters): what it runs cannot be told
        out.add("unresolved", "command_name", "the command name holds blanks or control characters")
        return
    if name != "[" and _is_pattern(name):
        # `/bin/r? -rf /`, `/bin/{rm,x}`: the shell expands the name into what it runs
        out.add("unresolved", "command_name", "the command name is a pattern the shell expands")
        return
    args = words[1:]
    _runs_what_it_wrote(name, base, args, out, cwd)
    if any(isinstance(a, _Pipe) for a in args):
        args = _pipe_arguments(base, args)
    if base == "alias":
        _define_aliases(args, out)
    if name in out.session.aliases:
        plain = [None if isinstance(a, _Pipe) else a for a in args]  # the alias may run anything
        _expand_alias(name, plain, out, cwd, depth, stdin)
    if base in _WRAPPERS and _wrapper(base, args, out, cwd, depth, stdin):
        return
    if base in ("cd", "pushd", "popd"):
        _change_directory(base, args, out, cwd)
    if base in ("su", "runuser"):
        _su(base, args, out, cwd, depth, stdin)
    _git_environment(out, cwd, depth)
    literal = [a for a in args if a is not None]
    if len(literal) != len(args) and base not in _INERT_ARGUMENTS:
        out.add("unresolved", "argument", f"an argument of {base} is computed at run time")
    out.commands.append((base, *literal))
    out.add("command", base)
    for flag in programs.flags(base, literal):
        out.add("command_flag", base, flag)
    for a in literal:
        out.add("command_arg", base, a)
    if base in _SHELLS or base == "eval":
        _inner(base, args, out, cwd, depth, stdin)
    if base in ("source", ".") and literal[:1] == ["/dev/stdin"]:
        _shell_stdin(base, stdin, out, cwd, depth)
    elif base in ("source", ".") and args and not _virtualenv_activate(args, out, cwd):
        out.add("unresolved", "script", f"{base} runs a script file whose commands are not seen")
    programs.program_facts(base, args, _Context(out, cwd, depth, stdin))


def _virtualenv_activate(args: list[str | None], out: ShellFacts, cwd: str | None) -> bool:
    """``source .venv/bin/activate``: the script ``python -m venv`` and ``virtualenv`` write,
    which sets ``VIRTUAL_ENV``, ``PATH`` and the prompt and defines ``deactivate``, nothing
    the facts follow. It is known when it is ``DIR/bin/activate`` below the working directory
    (whatever ``cd`` came before), with no argument of its own; the workspace's own files are
    trusted as they are when ``pytest`` runs a ``conftest.py``, but one the command itself writes
    is not (:func:`_activated_unchanged`)."""
    path = args[0] if len(args) == 1 else None
    if path is None or _is_pattern(path) or not cwd or not cwd.startswith("/"):
        return False
    head, name = posixpath.split(posixpath.normpath(path))
    if name != "activate" or posixpath.basename(head) != "bin":
        return False
    if out.session.unknown:
        return False
    found = _canonicals(out, path, cwd, pattern=False)
    root = posixpath.normpath(cwd).rstrip("/") + "/"
    if root == "/" or not found or not all(p.startswith(root) for p in found):
        return False
    out.activated.extend(p for p in found if p not in out.activated)
    return True


def _activated_unchanged(out: ShellFacts) -> None:
    """A virtualenv's activate script that the command itself writes, moves or deletes (or a
    folder above it) runs what is written there: unresolved after all."""
    changed = [
        row[0] for pred in ("writes_file", "deletes_file") for row in out.facts.get(pred, [])
    ]
    for script in out.activated:
        if any(script == p or script.startswith(p.rstrip("/") + "/") for p in changed):
            out.add("unresolved", "script", "the command changes the activate script it sources")


# -- wrappers -------------------------------------------------------------------------------


def _wrapper(
    base: str,
    args: list[str | None],
    out: ShellFacts,
    cwd: str | None,
    depth: int,
    stdin: Stdin | None,
) -> bool:
    """See through a wrapper; False when it wraps nothing (``sudo -l``, ``strace -p 1``)."""
    if base == "flock":
        lock = _operand_index(base, args)
        if lock is not None and lock + 1 < len(args) and args[lock + 1] in ("-c", "--command"):
            out.add("command", base)  # `flock LOCK -c 'cmd'`: a shell string
            script = args[lock + 2] if lock + 2 < len(args) else None
            if script is None:
                out.add("unresolved", "shell_string", "flock -c of text computed at run time")
            else:
                _walk_text(script, out, cwd, depth + 1, stdin)
            return True
    if (
        base in ("sudo", "doas")
        and stdin is not None
        and not _unwrap(base, args)
        and (_flag_value(args, ("-s", "-i", "--shell", "--login"), takes_value=False) is not False)
    ):
        out.add("command", base)
        _shell_stdin(base, stdin, out, cwd, depth)  # `sudo -s` runs a shell reading stdin
        return True
    rest = _unwrap(base, args)
    if rest is None:
        return False
    own = args[: len(args) - len(rest)]  # the wrapper's own words
    out.add("command", base)
    if base == "parallel":
        _parallel(args, rest, out, cwd, depth)
        return True
    if base == "xargs":
        out.add("unresolved", base, f"{base} adds arguments read at run time")
        replace = _flag_value(args, ("-I",))
        if replace is False and _flag_value(args, ("-i",), takes_value=False) is True:
            replace = "{}"
        stdin = None
        rest = _runtime_arguments(rest or ["echo"], replace if isinstance(replace, str) else None)
    elif base == "watch":
        if not any(a in ("-x", "--exec") for a in args):  # watch runs `sh -c "ARGS…"`
            if any(a is None for a in rest):
                out.add("unresolved", "shell_string", "watch runs text computed at run time")
            _walk_text(" ".join(a for a in rest if a is not None), out, cwd, depth + 1, stdin)
            return True
    elif base in ("chroot", "nsenter"):
        root = _first_operand(base, args)
        if base == "chroot" or any(
            a in ("-m", "--mount", "-a", "--all", "-r", "--root")
            or (a or "").startswith("--mount=")
            for a in args
        ):
            where = f"the root {root}" if base == "chroot" and root else "another mount namespace"
            out.add("unresolved", "chroot", f"paths are resolved inside {where}")
        if not rest:
            _shell_stdin(base, stdin, out, cwd, depth)
            return True
    elif base == "env":
        rest = _env_split(args, rest, out)
    if base in ("env", "sudo"):
        chdir = _flag_value(own, ("-C", "--chdir") if base == "env" else ("-D", "--chdir"))
        if chdir is not False:
            _change_directory("cd", [chdir if isinstance(chdir, str) else None], out, cwd)
        if base == "sudo" and _sudo_login(own):
            _unknown_directory(out, _LOGIN_HOME)
        k = 0
        while k < len(rest or []) and _is_assignment(rest[k]):  # `env -S 'NAME=value cmd'`
            k += 1
        assignments = _wrapper_assignments(base, [*own, *rest[:k]])
        _with_environment(assignments, out, cwd, depth, rest[k:] or ["true"], stdin)
        return True
    _simple(rest or ["true"], out, cwd, depth, stdin)
    return True


def _git_environment(out: ShellFacts, cwd: str | None, depth: int) -> None:
    """The ``GIT_CONFIG_*`` settings a command is run with are analysed once: any git it runs
    reads them."""
    session = out.session
    if "GIT_CONFIG_COUNT" not in session.env and "GIT_CONFIG_COUNT" not in session.local:
        return
    env = {**session.env, **session.local}
    settings = tuple(sorted((k, v) for k, v in env.items() if k.startswith("GIT_CONFIG_")))
    if settings not in session.git_settings:
        session.git_settings.add(settings)
        programs.git_environment(_Context(out, cwd, depth, None))


_LOGIN_HOME = "a login shell runs the command in another user's home directory"


def _sudo_login(own: list[str | None]) -> bool:
    """``sudo -i``/``--login`` (also bundled: ``-iu USER``)."""
    values = {f[1] for f in _WRAPPER_VALUE_FLAGS["sudo"] if len(f) == 2}
    for w in own:
        if w == "--login":
            return True
        if w is None or not w.startswith("-") or w.startswith("--"):
            continue
        for ch in w[1:]:
            if ch == "i":
                return True
            if ch in values:
                break
    return False


def _is_assignment(word: str | None) -> bool:
    return word is not None and "=" in word and word.partition("=")[0].isidentifier()


def _runtime_arguments(words: list[str | None], replace: str | None) -> list[str | None]:
    """The words of a command that xargs or parallel completes at run time: each word holding
    the replacement string is computed; without one, computed arguments are appended."""
    if replace and any(w is not None and replace in w for w in words[1:]):
        return [words[0]] + [None if w is not None and replace in w else w for w in words[1:]]
    return [*words, None]


_PARALLEL_SOURCES = (":::", "::::", ":::+", "::::+")
_PARALLEL_REPLACE = r"\{[^{}\s]*\}"


def _parallel(
    args: list[str | None], rest: list[str | None], out: ShellFacts, cwd: str | None, depth: int
) -> None:
    """``parallel CMD ::: A B``: CMD (a shell template when it is one word with spaces) for each
    literal value; values read at run time (stdin, ``::::`` files) are computed arguments."""
    cut = next((k for k, a in enumerate(rest) if a in _PARALLEL_SOURCES), len(rest))
    command, sources = rest[:cut], rest[cut + 1 :]
    values: list[str] | None = None
    if cut < len(rest) and rest[cut] == ":::" and not any(s in _PARALLEL_SOURCES for s in sources):
        literal = [s for s in sources if s is not None]
        values = literal if len(literal) == len(sources) else None
    if values is None:
        out.add("unresolved", "parallel", "parallel adds arguments read at run time")
    template = command[0] if len(command) == 1 and command[0] and " " in command[0] else None
    for value in values if values is not None else [None]:
        if template is not None:
            if value is None:
                text = re.sub(_PARALLEL_REPLACE, "$PARALLEL_ARGUMENT", template)
            elif re.search(_PARALLEL_REPLACE, template):
                text = re.sub(_PARALLEL_REPLACE, _quote(value).replace("\\", "\\\\"), template)
            else:
                text = template + " " + _quote(value)
            _walk_text(text, out, cwd, depth + 1, None)
            continue
        words = command or ["echo"]
        if value is None:
            _simple(_runtime_arguments(words, "{"), out, cwd, depth, None)
        elif any(w is not None and "{}" in w for w in words):
            _simple([w.replace("{}", value) if w else w for w in words], out, cwd, depth, None)
        else:
            _simple([*words, value], out, cwd, depth, None)


def _quote(text: str) -> str:
    import shlex

    return shlex.quote(text)


def _flag_value(
    args: list[str | None], names: tuple[str, ...], *, takes_value: bool = True
) -> str | bool | None:
    """The value of the first of ``names`` (``--name=value`` too); None when it is computed;
    False when none is given. Without ``takes_value``: True when given."""
    for k, a in enumerate(args):
        if a is None:
            continue
        if a in names:
            if not takes_value:
                return True
            return args[k + 1] if k + 1 < len(args) else None
        key, eq, value = a.partition("=")
        if eq and key in names and key.startswith("--"):
            return value
        if takes_value and not a.startswith("--") and a[:2] in names and len(a) > 2:
            return a[2:]
    return False


def _operand_index(base: str, args: list[str | None]) -> int | None:
    """Where a wrapper's first operand is (its lock file, its root)."""
    takes = _WRAPPER_VALUE_FLAGS.get(base, set())
    k = 0
    while k < len(args):
        a = args[k]
        if a == "--":
            return k + 1 if k + 1 < len(args) else None
        if a is None or not a.startswith("-"):
            return k
        k += _width(a, takes)
    return None


def _width(option: str, takes: set[str]) -> int:
    """How many words an option takes: 2 when its value is the next word (``-u root``, or a
    bundle ending with an option that takes one: ``-iu root``)."""
    if option in takes:
        return 2
    if option.startswith("--") or len(option) < 3:
        return 1
    for j, ch in enumerate(option[1:], 1):
        if "-" + ch in takes:
            return 2 if j == len(option) - 1 else 1  # else the value is attached: `-n5`
    return 1


def _first_operand(base: str, args: list[str | None]) -> str | None:
    k = _operand_index(base, args)
    return args[k] if k is not None else None


def _env_split(args: list[str | None], rest: list[str | None], out: ShellFacts) -> list[str | None]:
    """``env -S 'cmd args'`` splits its string into the command's words."""
    split = _flag_value(args, ("-S", "--split-string"))
    if split is False:
        return rest
    if split is None or not isinstance(split, str):
        out.add("unresolved", "argument", "env -S of text computed at run time")
        return rest
    import shlex

    try:
        return [*shlex.split(split), *rest]
    except ValueError:
        out.add("unresolved", "argument", "env -S of text that does not split into words")
        return rest


def _unwrap(base: str, args: list[str | None]) -> list[str | None] | None:
    """The wrapped command of a wrapper, or None when it wraps nothing (``sudo -l``)."""
    takes = _WRAPPER_VALUE_FLAGS.get(base, set())
    i = 0
    while i < len(args):
        a = args[i]
        if a is None:
            return args[i:]
        if base in ("env", "sudo") and _is_assignment(a):
            i += 1
            continue
        if a == "--":
            rest = args[i + 1 :]
            if base in _WRAPPER_OPERAND and rest:
                return rest[1:] or None
            return rest
        if a.startswith("-"):
            if base == "env" and a in ("-S", "--split-string"):
                i += 2
                continue
            i += _width(a, takes)
            continue
        if base in _WRAPPER_OPERAND:  # the duration, priority, mask, lock file or root comes first
            return args[i + 1 :] or (None if base != "chroot" else [])
        if base in ("nice",) and a.lstrip("-").isdigit():
            i += 1
            continue
        return args[i:]
    if base == "env" and any(a in ("-S", "--split-string") for a in args):
        return []
    return None


_SU_VALUES = {"-g", "--group", "-G", "--supp-group", "-s", "--shell", "-u", "--user", "-w",
              "--whitelist-environment"}  # fmt: skip
_SU_SCRIPT = ("-c", "--command", "--session-command")


def _su(
    base: str,
    args: list[str | None],
    out: ShellFacts,
    cwd: str | None,
    depth: int,
    stdin: Stdin | None,
) -> None:
    """``su [-] [USER] -c 'cmd'``, ``runuser -u USER -- cmd``: the command runs as that user.
    Options end at the first operand; what follows the user goes to the user's shell (so a
    ``-c`` there is the shell's), or, for ``runuser -u``, is the command."""
    script: str | bool | None = False
    user_mode = False
    k = 0
    while k < len(args):
        a = args[k]
        if a is None or a == "-" or not a.startswith("-"):
            break
        k += 1
        if a == "--":
            break
        name, eq, value = a.partition("=")
        if name in _SU_SCRIPT:
            script = value if eq else (args[k] if k < len(args) else None)
            k += 0 if eq else 1
        elif a.startswith("-c") and not a.startswith("--"):
            script = a[2:]
        else:
            user_mode = user_mode or name in ("-u", "--user")
            k += 1 if name in _SU_VALUES and not eq else 0
    rest = args[k:]
    if rest[:1] == ["-"] or any(a in ("-l", "--login") for a in args[:k]):
        _unknown_directory(out, _LOGIN_HOME)
    if base == "runuser" and user_mode and script is False:
        _simple(rest or ["true"], out, cwd, depth, stdin)
        return
    if script is False:
        shell_args = rest[1:] if rest[:1] == ["-"] else rest
        shell_args = shell_args[1:]  # after the user: the shell's own arguments
        for j, a in enumerate(shell_args):
            if a is not None and a.startswith("-") and "c" in a[1:] and not a.startswith("--"):
                script = shell_args[j + 1] if j + 1 < len(shell_args) else None
                break
    if script is None:
        out.add("unresolved", "shell_string", f"{base} -c of text computed at run time")
    elif isinstance(script, str):
        _walk_text(script, out, cwd, depth + 1, stdin)
    else:
        _shell_stdin(base, stdin, out, cwd, depth)


# -- shells -------------------------------------------------------------------------------------

_SHELL_VALUE_FLAGS = {"-o", "+o", "-O", "+O", "--rcfile", "--init-file"}


def _inner(
    base: str,
    args: list[str | None],
    out: ShellFacts,
    cwd: str | None,
    depth: int,
    stdin: Stdin | None,
) -> None:
    if base == "eval":
        if any(a is None for a in args):
            out.add("unresolved", "eval", "eval of text computed at run time")
            return
        _walk_text(" ".join(a for a in args if a is not None), out, cwd, depth + 1, stdin)
        return
    for i, a in enumerate(args[:-1]):
        if a in ("-O", "-o") and programs.names_dots(args[i + 1]):
            programs.dot_option(f"{base} {a}", args[i + 1], _Context(out, cwd, depth, stdin))
    for i, a in enumerate(args):
        if a is not None and a.startswith("-") and "c" in a[1:] and not a.startswith("--"):
            script = args[i + 1] if i + 1 < len(args) else None
            if script is None:
                out.add("unresolved", "shell_string", f"{base} -c of text computed at run time")
            else:
                _walk_text(script, out, cwd, depth + 1, stdin)
            return
    k = 0
    while k < len(args):
        a = args[k]
        if a is None or a == "--" or not a.startswith(("-", "+")):
            break
        if a == "-s" or a == "-":
            break
        k += 2 if a in _SHELL_VALUE_FLAGS else 1
    rest = args[k:]
    if rest[:1] == ["--"]:
        rest = rest[1:]
    if rest and rest[0] not in ("-", "-s", "/dev/stdin"):
        if rest[0] is not None:
            out.add(
                "unresolved", "script", f"{base} runs a script file whose commands are not seen"
            )
        return
    _shell_stdin(base, stdin, out, cwd, depth)


def _shell_stdin(
    base: str, stdin: Stdin | None, out: ShellFacts, cwd: str | None, depth: int
) -> None:
    """A shell running the commands it reads on stdin."""
    if stdin is None:
        return  # a terminal: nothing the action names
    if stdin.text is not None:
        _walk_text(stdin.text, out, cwd, depth + 1, None)
    if stdin.text is None or not stdin.exact:
        out.add("unresolved", "shell_stdin", f"{base} runs commands read from {stdin.source}")


# -- files ----------------------------------------------------------------------------------


# programs whose arguments never name a file, a host or a command: a computed argument of
# theirs hides nothing (what they print may still be redirected, which is analysed apart)
_INERT_ARGUMENTS = frozenset(
    {"echo", "printf", "true", "false", ":", "sleep", "seq", "expr", "test", "["}
)

_GLOB_CHARS = ("*", "?", "[")
_EXTGLOB = re.compile(r"[+@!]\(")  # bash's extended patterns (`shopt -s extglob`)


def _is_pattern(path: str) -> bool:
    """Whether the shell may expand the word into other names (a glob or a brace expansion)."""
    if any(c in path for c in _GLOB_CHARS) or _EXTGLOB.search(path):
        return True
    open_ = path.find("{")
    return open_ >= 0 and path.find("}", open_) > 0 and ("," in path or ".." in path)


def _mixed_quoting(node: Any) -> bool:
    """Whether a word has quoted and unquoted parts, or escapes a character: which of its
    pattern characters the shell reads as such is then not known."""
    if node.type == "word":
        return "\\" in node.text.decode("utf-8", "surrogatepass")
    if node.type == "concatenation":
        return any(
            c.type in ("string", "raw_string", "ansi_c_string") or _mixed_quoting(c)
            for c in node.children
        )
    return False


def _note_quoting(group: list[Any], value: str | None, out: ShellFacts) -> None:
    """A pattern word whose nodes mix quoted, escaped and plain parts is partial."""
    if value is not None and _is_pattern(value) and (len(group) > 1 or _mixed_quoting(group[0])):
        out.patterns.partial.add(value)


def _path_globs(out: ShellFacts) -> None:
    """``path_glob(Path, Glob)`` for each pattern read as a path: every path it may name."""
    from policyc.normalize.globs import path_globs

    patterns = out.patterns
    for canon, word, base in patterns.words:
        partial = any(word in w for w in patterns.partial)
        for glob in path_globs(word, base, out.home, partial=partial):
            out.add("path_glob", canon, glob)


def _canonicals(out: ShellFacts, path: str, cwd: str | None, *, pattern: bool = True) -> list[str]:
    """The canonical paths ``path`` may name: after a ``cd``, a relative path is resolved against
    the cwd and every directory a ``cd`` may have gone to (the facts of each are given: a rule
    that denies sees them all)."""
    from policyc.normalize.facts import canonical_path

    is_pattern = pattern and _is_pattern(path)
    if is_pattern:
        out.add("unresolved", "glob", f"{path!r} names the files it matches at run time")
    session = out.session
    bases = [cwd]
    if not path.startswith(("/", "~")) and (session.dirs or session.unknown):
        bases += session.dirs
        for reason in session.unknown:
            out.add("unresolved", "cd", reason)
    found: list[str] = []
    for base in bases:
        canon = canonical_path(path, base, out.home)
        if canon is None:
            out.add("unresolved", "path", f"{path!r} cannot be made absolute")
            continue
        if is_pattern and (canon, path, base) not in out.patterns.words:
            out.patterns.words.append((canon, path, base))
        if canon not in found:
            found.append(canon)
    return found


def _file(out: ShellFacts, pred: str, path: str, cwd: str | None) -> str | None:
    found = _canonicals(out, path, cwd)
    for canon in found:
        out.add(pred, canon)
    return found[0] if found else None


def _redirect(node: Any, out: ShellFacts, cwd: str | None) -> None:
    op = None
    target: list[Any] = []  # the target's nodes (one word the parser may split, as in _word_nodes)
    for c in node.children:
        if c.type in (">", ">>", "<", "&>", "&>>", ">|", "<>"):
            op = c.type
        elif c.type not in ("file_descriptor",) and op is not None:
            target.append(c)
    if not target or op is None or target[0].type == "process_substitution":
        return  # `< <(cmd)`, `> >(cmd)`: a pipe from or to commands analysed where written
    path = _group_word(target)
    if path is None:
        out.add("unresolved", "redirect", "a redirection target is computed at run time")
        return
    _note_quoting(target, path, out)
    for canon in _canonicals(out, path, cwd):
        if not canon.startswith("/dev/"):
            out.add("reads_file" if op == "<" else "writes_file", canon)
        elif op != "<" and programs.is_device(canon):
            out.add("writes_file", canon)
            out.add("destructive", "disk_overwrite", canon)
