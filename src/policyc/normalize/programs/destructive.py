"""Programs that destroy data: ``destructive(kind, target)`` facts.

``destructive(kind, target)``: the target is a canonical absolute path, or ``""`` when it is not a
local path known statically (a word computed at run time, ``~`` with no home — the ``unresolved``
fact that says why is added beside — or a remote rsync destination). The kind is reported even
when the target is not known.

- ``rm`` with ``-r``/``-R``/``--recursive`` is ``recursive_delete`` of each operand; with
  ``-f``/``--force`` too in the same invocation, also ``recursive_force_delete`` (both facts, so a
  rule on ``recursive_delete`` sees ``rm -rf`` as well). ``-i`` after ``-f`` does not cancel it (an
  over-approximation).
- ``find ROOT … -delete`` is ``recursive_delete`` of each ROOT: which files below it go is decided
  at run time. ``find -exec rm -rf {} \\;`` is analysed with ``{}`` standing for the root.
- ``rsync`` with any ``--delete*``/``--del`` option is ``recursive_delete`` of its destination
  (``""`` when the destination is remote).
- ``shred``, ``srm`` and ``wipe`` are ``shred`` of each operand.
- ``dd of=DEV``, ``wipefs -a``/``-o`` (not ``-n``), ``blkdiscard``, and a write to a block device
  by ``cp``, ``mv``, ``tee``, ``install`` or a redirection (``> /dev/sda``) are ``disk_overwrite``;
  ``/dev/null``, ``/dev/zero``, terminals, ``/dev/fd/*``, ``/dev/shm/*`` are not disks.
  ``mkfs``, ``mkfs.*``, ``mke2fs``, ``mkswap``, ``mkdosfs``, ``mkntfs``, ``newfs*`` are
  ``filesystem_create`` of the device: the operands under ``/dev/``, else every operand that is
  not a size (options such as ``-F`` take a value in one mkfs and not in another, so a word that
  may be an option's value is reported too rather than the image file missed).
- ``truncate`` is ``truncate`` of each operand unless its size can only grow the file (``+N``,
  ``>N``, ``%N``): an absolute size (``-s 0``, ``--size=10M``), ``-N``, ``<N``, ``/N`` or
  ``--reference`` may cut data off. A ``>`` redirection is a ``writes_file``, not a truncation.

``rsync`` and the writes to a block device by ``cp``, ``mv``, ``tee`` and ``install`` are read in
:mod:`policyc.normalize.programs.files`, redirections in ``shell.py``; both report through
:func:`~policyc.normalize.programs.files._write` and
:func:`~policyc.normalize.programs.files._destroy`.
"""

from __future__ import annotations

import re

from policyc.normalize.programs.contract import Shell, _program
from policyc.normalize.programs.files import _destroy, _write
from policyc.normalize.programs.options import _RM_ALIASES, _RM_LONG_NAMES, _literal, gnu_options


@_program("rm")
def _rm(base: str, args: list[str | None], sh: Shell) -> None:
    opts = gnu_options(args, aliases=_RM_ALIASES, long_names=_RM_LONG_NAMES)
    recursive = opts.has("-r")
    force = opts.has("-f")
    for op in opts.operands:
        if op is not None:
            sh.file("deletes_file", op)
        if recursive:
            _destroy(sh, "recursive_delete", op)
            if force:
                _destroy(sh, "recursive_force_delete", op)


@_program("unlink", "rmdir")
def _unlink(base: str, args: list[str | None], sh: Shell) -> None:
    for op in gnu_options(args).operands:
        if op is not None:
            sh.file("deletes_file", op)


@_program("shred", "srm", "wipe")
def _shred(base: str, args: list[str | None], sh: Shell) -> None:
    values = {"shred": "ns", "srm": "", "wipe": "bclpSsT"}[base]
    opts = gnu_options(args, short_values=values, long_values=("iterations", "size"))
    for op in opts.operands:
        if op is not None:
            sh.file("deletes_file", op)
        _destroy(sh, "shred", op)


@_program("dd")
def _dd(base: str, args: list[str | None], sh: Shell) -> None:
    for a in _literal(args):
        if a.startswith("if="):
            sh.file("reads_file", a[3:])
        elif a.startswith("of="):
            _write(sh, a[3:])


@_program("wipefs")
def _wipefs(base: str, args: list[str | None], sh: Shell) -> None:
    opts = gnu_options(
        args,
        short_values="otOp",
        long_values=("offset", "types", "output", "backup"),
        aliases={"--all": "-a", "--offset": "-o", "--no-act": "-n"},
    )
    if opts.has("-a", "-o") and not opts.exactly("-n"):
        for op in opts.operands:
            _destroy(sh, "disk_overwrite", op)


@_program("blkdiscard")
def _blkdiscard(base: str, args: list[str | None], sh: Shell) -> None:
    opts = gnu_options(args, short_values="olp", long_values=("offset", "length", "step"))
    for op in opts.operands:
        _destroy(sh, "disk_overwrite", op)


# mkfs options that take a value in every mkfs that has them (-F, -n, -c, -S … take one in some
# and not in others: they are read as flags, and a word that may be their value counts as a target)
_MKFS_VALUES = "tLbOETUNmiIGgJCdeMorz"
_SIZE = r"[0-9]+[kKmMgGtTpPsS]?"


def _mkfs(base: str, args: list[str | None], sh: Shell) -> None:
    ops = gnu_options(args, short_values=_MKFS_VALUES, long_values=("type", "label")).operands
    devices: list[str | None] = [o for o in ops if o is not None and o.startswith("/dev/")]
    for target in devices or [o for o in ops if o is None or not re.fullmatch(_SIZE, o)]:
        _destroy(sh, "filesystem_create", target)


@_program("truncate")
def _truncate(base: str, args: list[str | None], sh: Shell) -> None:
    opts = gnu_options(
        args,
        short_values="sr",
        long_values=("size", "reference"),
        aliases={"--size": "-s", "--reference": "-r"},
    )
    sizes = opts.values("-s")
    # `+N`, `>N` and `%N` only ever grow a file; anything else may cut data off
    grows = bool(sizes) and all(s is not None and s[:1] in ("+", ">", "%") for s in sizes)
    for op in opts.operands:
        if op is not None:
            _write(sh, op)
        if not grows or opts.has("-r"):
            _destroy(sh, "truncate", op)


@_program("find")
def _find(base: str, args: list[str | None], sh: Shell) -> None:
    literal = _literal(args)
    roots = []
    for a in literal:
        if a.startswith("-") or a in ("(", ")", "!"):
            break
        roots.append(a)
    if "-delete" in literal:
        for r in roots or ["."]:
            sh.file("deletes_file", r)
            _destroy(sh, "recursive_delete", r)
    for key in ("-fprint", "-fprint0", "-fprintf", "-fls"):
        for k, a in enumerate(literal[:-1]):
            if a == key:
                _write(sh, literal[k + 1])
    for key in ("-exec", "-execdir", "-ok", "-okdir"):
        i = 0
        while key in literal[i:]:
            i = literal.index(key, i) + 1
            end = i
            while end < len(literal) and literal[end] not in (";", "+", "\\;"):
                end += 1
            inner = [a.replace("{}", r) for r in (roots or ["."]) for a in literal[i:end]]
            if any("{}" in a for a in literal[i:end]):
                name = literal[i] if i < end else "the command"
                sh.add(
                    "unresolved",
                    "find_exec",
                    f"{name} runs on the files find selects at run time",
                )
            sh.words(inner[: end - i])
            i = end
