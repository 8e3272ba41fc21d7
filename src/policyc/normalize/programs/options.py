"""Command lines read the way each program reads them, and the normalised flags of
``command_flag`` facts.

Options are read the way each program reads them (bundled short options, ``--long=value`` and
``--long value``, options after operands, ``--``, unambiguous abbreviations where the program
accepts them): :func:`gnu_options` for the getopt_long style, :func:`go_options` for Go's flag
package; the programs that read their options otherwise (openssl, sqlite3, python …) read them in
their own module. :func:`flags` is the normalised spelling of a command line's flags (``rm -rf``
and ``rm --recursive --force`` are ``-r`` and ``-f``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field


@dataclass(slots=True)
class Options:
    """A command line read as a program reads it."""

    found: list[tuple[frozenset[str], str | None]] = field(default_factory=list)
    operands: list[str | None] = field(default_factory=list)
    before_dashdash: int | None = None  # how many operands came before `--`, if there was one

    def has(self, *names: str) -> bool:
        """Any of ``names`` is given, possibly as an ambiguous abbreviation (an
        over-approximation: the program either rejects the ambiguity or takes one of them)."""
        return any(not cands.isdisjoint(names) for cands, _ in self.found)

    def exactly(self, *names: str) -> bool:
        """One of ``names`` is given unambiguously."""
        return any(len(cands) == 1 and not cands.isdisjoint(names) for cands, _ in self.found)

    def values(self, *names: str) -> list[str | None]:
        return [v for cands, v in self.found if not cands.isdisjoint(names)]


def gnu_options(
    args: Sequence[str | None],
    *,
    short_values: str = "",
    long_values: Iterable[str] = (),
    aliases: dict[str, str] | None = None,
    long_names: Iterable[str] | None = None,
    optional_short: str = "",
    permute: bool = True,
) -> Options:
    """Options in the getopt_long style: ``-abc`` bundles, ``-ovalue``/``-o value``,
    ``--name=value``/``--name value`` (for ``long_values``), ``--`` ends options. Names are kept
    as written (``-r``, ``--force``) then mapped through ``aliases``; with ``long_names`` (the
    program's complete list, without dashes) an abbreviation stands for every name it prefixes.
    ``permute``: options may follow operands (GNU, git, cobra); else the first operand ends them."""
    aliases = aliases or {}
    takes = {"--" + n for n in long_values}
    names = sorted({"--" + n for n in long_names}) if long_names is not None else None
    out = Options()
    i = 0
    while i < len(args):
        a = args[i]
        i += 1
        if a is None or a == "-" or not a.startswith("-"):
            out.operands.append(a)
            if not permute:
                out.operands.extend(args[i:])
                return out
            continue
        if a == "--":
            out.before_dashdash = len(out.operands)
            out.operands.extend(args[i:])
            return out
        if a.startswith("--"):
            name, eq, value = a.partition("=")
            cands = {name}
            if names is not None and name not in names:
                cands = {n for n in names if n.startswith(name)} or {name}
            val: str | None = value if eq else None
            if not eq and not takes.isdisjoint(cands):
                val = args[i] if i < len(args) else None
                i += 1
            out.found.append((frozenset(aliases.get(c, c) for c in cands), val))
            continue
        for j in range(1, len(a)):
            opt = "-" + a[j]
            rest = a[j + 1 :]
            if a[j] in short_values:
                if rest:
                    val = rest
                else:
                    val = args[i] if i < len(args) else None
                    i += 1
                out.found.append((frozenset({aliases.get(opt, opt)}), val))
                break
            if a[j] in optional_short:
                out.found.append((frozenset({aliases.get(opt, opt)}), rest or None))
                break
            out.found.append((frozenset({aliases.get(opt, opt)}), None))
    return out


def go_options(args: Sequence[str | None], value_flags: Iterable[str]) -> Options:
    """Options in the style of Go's flag package (terraform): ``-name``, ``--name``,
    ``-name=value``, ``-name value`` for ``value_flags``; the first operand ends them. Names are
    kept with one dash."""
    takes = set(value_flags)
    out = Options()
    i = 0
    while i < len(args):
        a = args[i]
        if a is None or a == "-" or not a.startswith("-"):
            break
        i += 1
        if a == "--":
            out.before_dashdash = 0
            break
        name, eq, value = a.lstrip("-").partition("=")
        val: str | None = value if eq else None
        if not eq and name in takes:
            val = args[i] if i < len(args) else None
            i += 1
        out.found.append((frozenset({"-" + name}), val))
    out.operands = list(args[i:])
    return out


def _off(value: str | None) -> bool:
    """A boolean flag given ``=false`` (Go, cobra)."""
    return value is not None and value.lower() in ("false", "0", "f", "no", "off")


def _literal(args: Sequence[str | None]) -> list[str]:
    return [a for a in args if a is not None]


# -- normalised flags (command_flag facts) ----------------------------------------------------

# long options that mean a short flag, per command
_LONG = {
    "rm": {"--recursive": "-r", "--force": "-f", "--dir": "-d"},
    "cp": {"--recursive": "-r", "--force": "-f"},
    "git": {"--force": "-f"},
    "chmod": {"--recursive": "-R"},
    "chown": {"--recursive": "-R"},
}
_RM_LONG_NAMES = (
    "force",
    "interactive",
    "one-file-system",
    "no-preserve-root",
    "preserve-root",
    "recursive",
    "dir",
    "verbose",
    "help",
    "version",
)
_RM_ALIASES = {"-R": "-r", "--recursive": "-r", "--force": "-f", "--dir": "-d"}
# programs whose options are whole words after one dash (`find -name`, `terraform -auto-approve`)
_WORD_OPTIONS = {"find", "java", "terraform", "gcc", "clang", "go", "tofu", "openssl"}


def flags(name: str, args: Sequence[str]) -> list[str]:
    """The flags of a command line, normalised: ``-rf`` is ``-r`` and ``-f``; a long option that
    means a short one is that short one (``rm --recursive`` and ``rm --rec`` are ``-r``)."""
    out = []
    for a in args:
        if a == "--":
            break
        if name in _WORD_OPTIONS and a.startswith("-"):
            out.append(a.split("=", 1)[0])
        elif a.startswith("--"):
            flag = a.split("=", 1)[0]
            if name == "rm":
                cands = [n for n in _RM_LONG_NAMES if ("--" + n).startswith(flag)]
                out.extend(_LONG["rm"].get("--" + c, "--" + c) for c in cands or [flag[2:]])
            else:
                out.append(_LONG.get(name, {}).get(flag, flag))
        elif a.startswith("-") and len(a) > 1 and not a[1:].isdigit():
            out.extend("-" + ch for ch in a[1:])
    return out
