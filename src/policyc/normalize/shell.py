"""Shell commands → facts, through a real shell grammar (tree-sitter-bash).

Every simple command is found wherever it sits (pipelines, lists, subshells, brace groups,
command and process substitutions, ``bash -c`` strings, ``eval`` of literals), wrappers such as
``sudo``, ``env``, ``timeout`` or ``xargs`` are seen through, flags are normalised (``-rf`` is
``-r`` and ``-f``, ``--recursive`` is ``-r`` for ``rm``), and what cannot be resolved statically
(a variable or a substitution where a command name or an argument should be) becomes an
``unresolved`` fact, so that a policy never allows what it could not see.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

MAX_DEPTH = 8  # nested `bash -c` / `eval` strings followed before giving up (unresolved)

# wrappers: command → how many leading arguments (after its own flags) belong to it
_WRAPPERS = {
    "sudo",
    "doas",
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
    "setsid",
    "xargs",
    "watch",
}
_SHELLS = {"bash", "sh", "zsh", "dash", "ksh", "fish"}
# wrapper flags that take a value (so the value is not the wrapped command)
_WRAPPER_VALUE_FLAGS = {
    "sudo": {"-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U", "--user", "--group"},
    "nice": {"-n", "--adjustment"},
    "timeout": {"-s", "-k", "--signal", "--kill-after"},
    "xargs": {"-I", "-i", "-n", "-P", "-L", "-s", "-d", "-E", "-a", "--max-args", "--max-procs"},
    "stdbuf": {"-i", "-o", "-e"},
    "ionice": {"-c", "-n", "-p"},
    "env": {"-u", "-C", "-S", "--unset", "--chdir"},
}
# long options that mean a short flag, per command
_LONG = {
    "rm": {"--recursive": "-r", "--force": "-f", "--dir": "-d"},
    "cp": {"--recursive": "-r", "--force": "-f"},
    "git": {"--force": "-f"},
    "chmod": {"--recursive": "-R"},
    "chown": {"--recursive": "-R"},
}
_READERS = {
    "cat",
    "head",
    "tail",
    "less",
    "more",
    "grep",
    "egrep",
    "fgrep",
    "rg",
    "sed",
    "awk",
    "strings",
    "xxd",
    "hexdump",
    "od",
    "base64",
    "source",
    ".",
    "diff",
    "wc",
    "sort",
    "uniq",
    "cut",
    "nl",
    "tac",
    "jq",
    "yq",
    "openssl",
    "gpg",
    "file",
    "stat",
    "md5sum",
    "sha256sum",
    "sha1sum",
    "cksum",
    "vi",
    "vim",
    "nano",
    "emacs",
    "bat",
    "view",
}
_DELETERS = {"rm", "shred", "unlink", "rmdir", "srm", "wipe"}


@dataclass
class ShellFacts:
    commands: list[tuple[str, ...]] = field(default_factory=list)  # (name, *args) after wrappers
    facts: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)

    def add(self, pred: str, *args: Any) -> None:
        rows = self.facts.setdefault(pred, [])
        if args not in rows:
            rows.append(args)


@cache
def _parser() -> Any:
    import tree_sitter_bash
    from tree_sitter import Language, Parser

    return Parser(Language(tree_sitter_bash.language()))


def normalize_shell(command: str, cwd: str | None = None) -> ShellFacts:
    out = ShellFacts()
    _walk_text(command, out, cwd, 0)
    return out


def _walk_text(text: str, out: ShellFacts, cwd: str | None, depth: int) -> None:
    if depth > MAX_DEPTH:
        out.add("unresolved", "nesting", "shell strings nested too deeply to follow")
        return
    tree = _parser().parse(text.encode("utf-8", "surrogatepass"))
    if tree.root_node.has_error:
        out.add("unresolved", "syntax", "the command does not parse as shell")
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.type == "command":
            _command(node, out, cwd, depth)
        elif node.type == "file_redirect":
            _redirect(node, out, cwd)
        elif node.type == "heredoc_redirect":
            pass
        stack.extend(reversed(node.children))


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
                parts.append(c.text.decode("utf-8", "surrogatepass"))
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


# programs whose options are whole words after one dash (`find -name`, `terraform -auto-approve`)
_WORD_OPTIONS = {"find", "java", "terraform", "gcc", "clang", "go", "tofu"}


def _flags(name: str, args: list[str]) -> list[str]:
    out = []
    for a in args:
        if name in _WORD_OPTIONS and a.startswith("-"):
            out.append(a.split("=", 1)[0])
        elif a.startswith("--"):
            flag = a.split("=", 1)[0]
            out.append(_LONG.get(name, {}).get(flag, flag))
        elif a.startswith("-") and len(a) > 1 and not a[1:].isdigit():
            out.extend("-" + ch for ch in a[1:])
    return out


def _command(node: Any, out: ShellFacts, cwd: str | None, depth: int) -> None:
    name_node = node.child_by_field_name("name")
    if name_node is None:
        return  # only variable assignments
    words: list[str | None] = [_word(name_node)]
    for c in node.children:
        if c is name_node or c.type in (
            "variable_assignment",
            "file_redirect",
            "heredoc_redirect",
            "herestring_redirect",
        ):
            continue
        if c.type in (
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
        ):
            words.append(_word(c))
    _simple(words, out, cwd, depth)


def _simple(words: list[str | None], out: ShellFacts, cwd: str | None, depth: int) -> None:
    if not words:
        return
    name = words[0]
    if name is None:
        out.add("unresolved", "command_name", "the command name is computed at run time")
        return
    base = name.rsplit("/", 1)[-1]
    args = words[1:]
    if base in _WRAPPERS:
        rest = _unwrap(base, args)
        if rest is not None:
            out.add("command", base)
            if base == "xargs":
                out.add("unresolved", "xargs", "xargs adds arguments read at run time")
            _simple(rest or ["true"] if base != "xargs" else rest or ["echo"], out, cwd, depth)
            return
    literal = [a for a in args if a is not None]
    if len(literal) != len(args):
        out.add("unresolved", "argument", f"an argument of {base} is computed at run time")
    out.commands.append((base, *literal))
    out.add("command", base)
    for flag in _flags(base, literal):
        out.add("command_flag", base, flag)
    operands = [a for a in literal if not a.startswith("-")]
    for a in literal:
        out.add("command_arg", base, a)
    if base in (
        "curl",
        "wget",
        "http",
        "https",
        "xh",
        "scp",
        "rsync",
        "sftp",
        "ssh",
        "nc",
        "ncat",
        "telnet",
        "ftp",
        "mosh",
    ):
        from policyc.normalize.network import command_network_facts

        command_network_facts(base, literal, out.facts)
    if base in _SHELLS or base == "eval":
        _inner(base, args, out, cwd, depth)
    if base == "find":
        _find(literal, out, cwd, depth)
    if base in _READERS:
        for a in operands:
            _file(out, "reads_file", a, cwd)
    if base in _DELETERS:
        for a in operands:
            _file(out, "deletes_file", a, cwd)
    if base in ("cp", "mv", "tee", "touch", "dd"):
        targets = operands[-1:] if base in ("cp", "mv") else operands
        if base == "dd":
            targets = [a[3:] for a in literal if a.startswith("of=")]
            for a in literal:
                if a.startswith("if="):
                    _file(out, "reads_file", a[3:], cwd)
        for a in targets:
            _file(out, "writes_file", a, cwd)
        if base in ("cp", "mv"):
            for a in operands[:-1]:
                _file(out, "reads_file", a, cwd)
            if base == "mv":
                for a in operands[:-1]:
                    _file(out, "deletes_file", a, cwd)


def _unwrap(base: str, args: list[str | None]) -> list[str | None] | None:
    """The wrapped command of a wrapper, or None when it wraps nothing (``sudo -l``)."""
    takes = _WRAPPER_VALUE_FLAGS.get(base, set())
    i = 0
    while i < len(args):
        a = args[i]
        if a is None:
            return args[i:]
        if base == "env" and "=" in a and not a.startswith("-"):
            i += 1
            continue
        if a == "--":
            return args[i + 1 :]
        if a.startswith("-"):
            i += 2 if a in takes else 1
            continue
        if base == "timeout":  # the duration comes first
            return args[i + 1 :]
        if base in ("nice",) and a.lstrip("-").isdigit():
            i += 1
            continue
        return args[i:]
    return None


def _inner(base: str, args: list[str | None], out: ShellFacts, cwd: str | None, depth: int) -> None:
    if base == "eval":
        if any(a is None for a in args):
            out.add("unresolved", "eval", "eval of text computed at run time")
            return
        _walk_text(" ".join(a for a in args if a is not None), out, cwd, depth + 1)
        return
    for i, a in enumerate(args):
        if a is not None and a.startswith("-") and "c" in a[1:] and not a.startswith("--"):
            script = args[i + 1] if i + 1 < len(args) else None
            if script is None:
                out.add("unresolved", "shell_string", f"{base} -c of text computed at run time")
            else:
                _walk_text(script, out, cwd, depth + 1)
            return
    if args and args[0] is not None and not args[0].startswith("-"):
        out.add("unresolved", "script", f"{base} runs a script file whose commands are not seen")


def _find(args: list[str], out: ShellFacts, cwd: str | None, depth: int) -> None:
    roots = []
    for a in args:
        if a.startswith("-") or a in ("(", ")", "!"):
            break
        roots.append(a)
    if "-delete" in args:
        for r in roots or ["."]:
            _file(out, "deletes_file", r, cwd)
    for key in ("-exec", "-execdir", "-ok", "-okdir"):
        i = 0
        while key in args[i:]:
            i = args.index(key, i) + 1
            end = i
            while end < len(args) and args[end] not in (";", "+", "\\;"):
                end += 1
            inner = [a.replace("{}", r) for r in (roots or ["."]) for a in args[i:end]][: end - i]
            _simple(list(inner), out, cwd, depth + 1)
            i = end


def _file(out: ShellFacts, pred: str, path: str, cwd: str | None) -> None:
    from policyc.normalize.facts import canonical_path

    canon = canonical_path(path, cwd)
    if canon is None:
        out.add("unresolved", "path", f"{path!r} cannot be made absolute")
    else:
        out.add(pred, canon)


def _redirect(node: Any, out: ShellFacts, cwd: str | None) -> None:
    op = None
    target = None
    for c in node.children:
        if c.type in (">", ">>", "<", "&>", "&>>", ">|", "<>"):
            op = c.type
        elif c.type not in ("file_descriptor",):
            target = c
    if target is None or op is None:
        return
    path = _word(target)
    if path is None:
        out.add("unresolved", "redirect", "a redirection target is computed at run time")
        return
    if path.startswith("/dev/"):
        return
    _file(out, "reads_file" if op == "<" else "writes_file", path, cwd)
