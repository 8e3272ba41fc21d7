"""Per-program semantics: what one simple command, its wrappers already seen through, does.

``shell.py`` knows the shell grammar (where simple commands are, what a word's literal value is,
which wrappers to look through, what a command reads on stdin); this package knows programs. Given
a program's name and its arguments (``None`` for a word computed at run time) it adds facts: files
read, written and deleted; destructive operations; git, infrastructure, package-publishing and SQL
operations; hosts contacted; code that is run but not analysed. Options are read the way each
program reads them (bundled short options, ``--long=value`` and ``--long value``, options after
operands, ``--``, unambiguous abbreviations where the program accepts them).

One module per family of programs, each documenting the decisions it makes, roughly in the order
the data flows:

- ``contract``: what a program may ask of the shell walker (:class:`Shell`, :class:`Stdin`) and
  the table of the programs known;
- ``options``: command lines read as each program reads them, and the normalised flags of
  ``command_flag`` facts;
- ``environment``: what assigning an environment variable makes programs do;
- ``files``: files read, written and deleted (readers, ``cp``/``mv``/``install``, ``tee``,
  ``rsync``), and how every family reports a file written or destroyed;
- ``destructive``: ``destructive(kind, target)`` (``rm -r``, ``shred``, ``dd``, ``mkfs``,
  ``truncate``, ``find -delete`` …);
- ``cloud``: files uploaded to and deleted from buckets and remotes (``aws s3``, ``gsutil``,
  ``rclone``);
- ``stores``: secret stores read (``vault``, ``aws secretsmanager``, ``kubectl get secret -o
  yaml``, ``op``, …) and snapshots and backups deleted (``aws ec2 delete-snapshot``, ``restic
  forget`` …);
- ``crypto``: ``openssl`` and ``gpg``, whose files are in options or whose operands are key ids;
- ``network_clients``: ``curl``, ``wget``, HTTPie, netcat, ``telnet``, ``ftp``, ``ssh``,
  ``scp``, ``mosh``;
- ``git``: ``git_op(op, detail)`` and the commands git runs from its configuration;
- ``infra``: ``infra_op(tool, op, target)`` (terraform, pulumi, kubectl, helm);
- ``publish``: ``publishes_package(tool, registry)``;
- ``sql_clients``: SQL run by ``psql``, ``mysql``, ``sqlite3``, ``duckdb``, ``clickhouse``;
- ``interpreters``: inline code (``python -c``, ``node -e`` …);
- ``runners``: programs that run another command (``busybox``, ``unshare``, ``systemd-run``,
  ``screen``, ``script -c``, ``sg``, ``tmux``) or run what cannot be seen (``npx``, ``expect``,
  ``at``);
- ``stdout``: what a command writes on stdout, for the command it is piped to.

Names with a leading underscore are shared between the modules of this package only; ``shell.py``
uses what this module exports.
"""

from __future__ import annotations

import re

# imported for the programs they register: nothing else of theirs is used here
from policyc.normalize.programs import (  # noqa: F401
    cloud,
    crypto,
    infra,
    network_clients,
    publish,
    runners,
    sql_clients,
    stores,
)
from policyc.normalize.programs.contract import _PROGRAMS, Shell, Stdin
from policyc.normalize.programs.destructive import _mkfs
from policyc.normalize.programs.environment import assignment, dot_option, names_dots
from policyc.normalize.programs.files import _READERS, _reader, is_device
from policyc.normalize.programs.git import git_environment
from policyc.normalize.programs.interpreters import _python
from policyc.normalize.programs.options import flags
from policyc.normalize.programs.stdout import stdout_of

__all__ = [
    "Shell",
    "Stdin",
    "assignment",
    "dot_option",
    "flags",
    "git_environment",
    "is_device",
    "names_dots",
    "program_facts",
    "stdout_of",
]

_PYTHON = r"(?:python|pypy)[0-9.]*"
_MKFS = r"mkfs(?:\..+)?|mke2fs|mkswap|mkdosfs|mkntfs|mkexfatfs|newfs(?:_.+)?"


def program_facts(base: str, args: list[str | None], sh: Shell) -> None:
    """The facts of program ``base`` run with ``args`` (``None``: computed at run time)."""
    _env_files(args, sh)
    handler = _PROGRAMS.get(base)
    if handler is None:
        if re.fullmatch(_PYTHON, base):
            handler = _python
        elif re.fullmatch(_MKFS, base):
            handler = _mkfs
        elif base in _READERS:
            handler = _reader
        else:
            return
    handler(base, args, sh)


def _env_files(args: list[str | None], sh: Shell) -> None:
    """``--env-file FILE`` (docker, docker compose, uv, node, bun, deno …) loads FILE into the
    program's environment, which the program may print: a read, whatever the program."""
    for k, a in enumerate(args):
        if a is None or not a.startswith("--env-file"):
            continue
        if a.startswith("--env-file="):
            sh.file("reads_file", a.split("=", 1)[1])
        elif a == "--env-file" and k + 1 < len(args):
            value = args[k + 1]
            if value is not None:
                sh.file("reads_file", value)
