"""Interpreters: code that is run but not analysed.

Inline code: ``python -c``, ``node -e/-p``, ``perl -e/-E``, ``ruby -e``, ``php -r``,
``deno eval``, ``bun -e``, ``osascript -e``, ``lua -e``, ``Rscript -e``, ``pwsh -c``/
``-EncodedCommand``, an interpreter reading its program from stdin, an awk program that can run
commands or write files (``system``, ``|``, ``print >``), a sed script with ``e``/``w``/``r``
commands, are ``unresolved("inline_code")``. Running a script file is ordinary.
(awk and sed are read in :mod:`policyc.normalize.programs.files`.) ``python -m MODULE`` for a
module that is a program of that name (``python -m twine``) is that program; one that prints or
decodes the files it is given (``python -m json.tool FILE``, ``base64``, ``tokenize`` …) reads them.
"""

from __future__ import annotations

from dataclasses import dataclass

from policyc.normalize.programs.contract import Shell, _program
from policyc.normalize.programs.options import gnu_options


def _inline(sh: Shell, prog: str) -> None:
    sh.add("unresolved", "inline_code", f"{prog} runs inline code that is not analysed")


def _code_from_stdin(sh: Shell, prog: str) -> None:
    if sh.stdin is not None:
        sh.add("unresolved", "inline_code", f"{prog} runs code read from {sh.stdin.source}")


# modules whose `python -m MODULE` is the program of that name
_PYTHON_MODULE_PROGRAMS = {"twine", "flit", "hatch", "pdm", "poetry"}
# modules whose `python -m MODULE FILE…` prints or decodes the files given
_PYTHON_MODULE_READERS = {"json.tool", "base64", "tokenize", "pickletools", "quopri", "uu"}


def _python(prog: str, args: list[str | None], sh: Shell) -> None:
    i = 0
    while i < len(args):
        a = args[i]
        if a is None or a == "-" or not a.startswith("-"):
            if a == "-":
                _code_from_stdin(sh, prog)
            elif a is not None:
                sh.file("reads_file", a)  # the script, whose text a SyntaxError prints
                if a.rsplit("/", 1)[-1] == "manage.py":
                    _django(prog, args[i + 1 :], sh)
            return  # a script (or code from stdin)
        i += 1
        if a == "--":
            return
        if a.startswith("--"):
            i += 1 if a == "--check-hash-based-pycs" else 0
            continue
        for j in range(1, len(a)):
            ch = a[j]
            if ch == "c":
                _inline(sh, prog)
                return
            if ch in "mWX":
                value = a[j + 1 :] or (args[i] if i < len(args) else None)
                if not a[j + 1 :]:
                    i += 1
                if ch == "m":
                    if value in _PYTHON_MODULE_PROGRAMS:
                        sh.words([value, *args[i:]])
                    elif value in _PYTHON_MODULE_READERS:
                        for f in args[i:]:
                            if f is not None and not f.startswith("-"):
                                sh.file("reads_file", f)
                    return
                break
    _code_from_stdin(sh, prog)


# per interpreter: options giving inline code, options taking a value, "bundles": inline code
# may be one letter of a bundle of short options (perl -ne, ruby -pe, node -pe)
@dataclass(frozen=True, slots=True)
class _Interpreter:
    code: tuple[str, ...]
    values: tuple[str, ...] = ()
    bundle_letters: str = ""


_INTERPRETERS = {
    "node": _Interpreter(("-e", "--eval", "-p", "--print"),
                         ("-r", "--require", "--import", "--loader", "--experimental-loader",
                          "-C", "--conditions", "--input-type", "--title"), "ep"),
    "bun": _Interpreter(("-e", "--eval", "-p", "--print"), ("-r", "--preload", "--cwd"), "ep"),
    "perl": _Interpreter(("-e", "-E"), ("-I", "-M", "-m"), "eE"),
    "ruby": _Interpreter(("-e",), ("-r", "-I", "-C", "-E", "-F"), "e"),
    "php": _Interpreter(("-r", "-R", "-B", "-E"), ("-d", "-c", "-z", "-t", "-S", "-f")),
    "osascript": _Interpreter(("-e",), ("-l", "-s")),
    "lua": _Interpreter(("-e",), ("-l",)),
    "luajit": _Interpreter(("-e",), ("-l", "-j", "-O")),
    "Rscript": _Interpreter(("-e",), ()),
    "R": _Interpreter(("-e",), ("-f", "--file", "-d", "--debugger", "-g", "--gui")),
}  # fmt: skip
_INTERPRETERS["nodejs"] = _INTERPRETERS["node"]


@_program(*_INTERPRETERS)
def _interpreter(prog: str, args: list[str | None], sh: Shell) -> None:
    spec = _INTERPRETERS[prog]
    i = 0
    while i < len(args):
        a = args[i]
        i += 1
        if a is None or a == "-" or not a.startswith("-"):
            if a == "-":
                _code_from_stdin(sh, prog)
            if prog == "R" and a is not None:
                continue  # R takes no script operand: `R --vanilla` options only
            if a is not None and a != "-":
                sh.file("reads_file", a)  # the script, whose text an error may print
            return
        if a == "--":
            return
        name = a.split("=", 1)[0]
        if name in spec.code or (
            not a.startswith("--") and not set(a[1:]).isdisjoint(spec.bundle_letters)
        ):
            _inline(sh, prog)
            return
        if name in ("-f", "--file") and prog in ("php", "R"):
            return
        if name in spec.values and "=" not in a and len(a) == len(name):
            i += 1
    if prog == "R" and any(a in ("-f", "--file") or (a or "").startswith("--file=") for a in args):
        return
    _code_from_stdin(sh, prog)


@_program("deno")
def _deno(prog: str, args: list[str | None], sh: Shell) -> None:
    ops = gnu_options(args).operands
    if ops[:1] == ["eval"]:
        _inline(sh, prog)
    elif ops[:2] == ["run", "-"]:
        _code_from_stdin(sh, prog)


_PWSH_VALUES = ("executionpolicy", "ep", "ex", "configurationname", "config",
                "workingdirectory", "wd", "outputformat", "o", "of", "inputformat", "if", "in",
                "windowstyle", "w", "settingsfile", "settings", "custompipename", "version", "v")  # fmt: skip


@_program("pwsh", "powershell", "pwsh.exe", "powershell.exe")
def _pwsh(prog: str, args: list[str | None], sh: Shell) -> None:
    i = 0
    while i < len(args):
        a = args[i]
        i += 1
        if a is None or not a.startswith(("-", "/")):
            if a is not None and prog.startswith("powershell"):
                _inline(sh, prog)  # Windows PowerShell reads a bare argument as -Command
            return
        name = a.lstrip("-/").split(":", 1)[0].lower()
        if not name:
            continue
        if (
            "command".startswith(name)
            or name in ("cwa", "commandwithargs", "e", "ec")
            or (len(name) >= 3 and "encodedcommand".startswith(name))
        ):
            if i < len(args) and args[i] == "-":
                _code_from_stdin(sh, prog)
            else:
                _inline(sh, prog)
            return
        if "file".startswith(name):
            return
        if name in _PWSH_VALUES:
            i += 1


def _django(prog: str, args: list[str | None], sh: Shell) -> None:
    """``manage.py shell -c CODE`` / ``shell < script`` / ``dbshell``: Python or SQL run through
    the project, not analysed."""
    if not args:
        return
    command = args[0]
    if command is None:
        sh.add("unresolved", "argument", f"{prog} manage.py runs a command computed at run time")
    elif command == "shell" and any(
        a is None or a in ("-c", "--command") or a.startswith("--command=") for a in args[1:]
    ):
        sh.add("unresolved", "inline_code", "manage.py shell -c runs Python that is not analysed")
    elif command == "shell" and sh.stdin is not None:
        sh.add("unresolved", "inline_code", "manage.py shell runs Python read from stdin")
    elif command == "dbshell":
        sh.add("unresolved", "sql", "manage.py dbshell runs SQL that is not seen")
