"""What a command writes on stdout, as far as it is known statically: the text the next command
of a pipeline reads (``echo``, ``printf``, ``cat`` and ``tee`` passing their stdin on, ``base64
-d`` and ``xxd -r -p`` decoding it); anything else is the output of the program, not known.
"""

from __future__ import annotations

import re

from policyc.normalize.programs.contract import Stdin
from policyc.normalize.programs.options import _literal


def _unescape_echo(text: str) -> tuple[str, bool]:
    """Backslash escapes as ``echo -e``/``printf`` read them; False when some are only guessed."""
    simple = {"n": "\n", "t": "\t", "\\": "\\", "r": "\r", "a": "\a", "'": "'", '"': '"'}
    out = []
    exact = True
    k = 0
    while k < len(text):
        ch = text[k]
        if ch == "\\" and k + 1 < len(text):
            nxt = text[k + 1]
            if nxt in simple:
                out.append(simple[nxt])
            else:
                exact = False
                out.append(nxt)
            k += 2
            continue
        out.append(ch)
        k += 1
    return "".join(out), exact


def _printf(fmt: str, args: list[str]) -> tuple[str, bool]:
    out: list[str] = []
    exact = True
    n = 0
    while True:
        used = False
        k = 0
        while k < len(fmt):
            ch = fmt[k]
            if ch == "\\" and k + 1 < len(fmt):
                text, ok = _unescape_echo(fmt[k : k + 2])
                out.append(text)
                exact = exact and ok
                k += 2
            elif ch == "%" and k + 1 < len(fmt):
                j = k + 1
                while j < len(fmt) and fmt[j] in "-+ #0123456789.":
                    j += 1
                conv = fmt[j] if j < len(fmt) else ""
                if conv == "%":
                    out.append("%")
                else:
                    arg = args[n] if n < len(args) else ""
                    n += 1
                    used = True
                    if conv == "b":
                        arg, ok = _unescape_echo(arg)
                        exact = exact and ok
                    elif conv != "s" or j > k + 1:
                        exact = False
                    out.append(arg)
                k = j + 1
            else:
                out.append(ch)
                k += 1
        if not used or n >= len(args):
            return "".join(out), exact


def stdout_of(base: str, args: list[str | None], stdin: Stdin | None) -> Stdin:
    """What program ``base`` writes on stdout, as far as it is known statically."""
    opaque = Stdin(None, f"the output of {base}")
    if any(a is None for a in args):
        return opaque
    literal = _literal(args)
    if base == "echo":
        k = 0
        newline = True
        while k < len(literal) and re.fullmatch(r"-[neE]+", literal[k]):
            newline = newline and "n" not in literal[k]
            k += 1
        text = " ".join(literal[k:])
        exact = "\\" not in text
        if not exact:
            # bash's echo prints backslashes, dash's (and `echo -e`) reads them as escapes: the
            # shell that runs this echo is not known, so both readings are analysed
            text = text + "\n" + _unescape_echo(text)[0]
        return Stdin(text + ("\n" if newline else ""), f"the output of {base}", exact)
    if base == "printf":
        if literal[:1] == ["--"]:
            literal = literal[1:]
        if not literal or literal[0] == "-v":
            return Stdin("", "the output of printf")
        text, exact = _printf(literal[0], literal[1:])
        return Stdin(text, "the output of printf", exact)
    if base in ("cat", "tee"):
        files = [a for a in literal if not a.startswith("-") or a == "-"]
        flags_ = [a for a in literal if a.startswith("-") and a != "-"]
        if base == "cat" and any(f != "-" for f in files):
            return opaque
        if stdin is None:
            return opaque
        exact = stdin.exact and (base == "tee" or all(f == "-u" for f in flags_))
        return Stdin(stdin.text, stdin.source, exact)
    if base == "base64" and any(a in ("-d", "--decode", "-D") or (
        a.startswith("-") and not a.startswith("--") and "d" in a
    ) for a in literal):  # fmt: skip
        return _decoded(stdin, "base64", literal)
    if (
        base == "xxd"
        and any(a.startswith("-r") for a in literal)
        and any(
            a in ("-p", "-ps", "-plain", "-postscript") or (a.startswith("-r") and "p" in a)
            for a in literal
        )
    ):
        return _decoded(stdin, "hex", literal)
    return opaque


def _decoded(stdin: Stdin | None, kind: str, literal: list[str]) -> Stdin:
    source = f"{kind}-decoded data"
    operands = [a for a in literal if not a.startswith("-")]
    if stdin is None or stdin.text is None or operands:
        return Stdin(None, source)
    try:
        if kind == "base64":
            import base64

            data = base64.b64decode("".join(stdin.text.split()), validate=True)
        else:
            data = bytes.fromhex("".join(stdin.text.split()))
        return Stdin(data.decode("utf-8"), source, exact=False)
    except ValueError:
        return Stdin(None, source)
