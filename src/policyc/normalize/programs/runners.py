"""Programs that run another command: as words (``busybox rm``, ``unshare -r rm``), as a shell
string (``script -c 'rm …'``, ``sg wheel -c …``, ``tmux new-session 'rm …'``, ``git submodule
foreach …`` — in :mod:`git`), or as something that cannot be seen (``npx PACKAGE``, ``npm exec``,
``make --eval``, ``expect -c``, ``at``, which reads its commands from stdin): each is analysed
like the command it runs, or is ``unresolved`` with its reason.
"""

from __future__ import annotations

from policyc.normalize.programs.contract import Shell, _program
from policyc.normalize.programs.options import gnu_options


def _run_words(sh: Shell, words: list[str | None]) -> None:
    if words:
        sh.words(words)


@_program("busybox", "toybox")
def _busybox(base: str, args: list[str | None], sh: Shell) -> None:
    """``busybox APPLET ARGS…`` is ``APPLET ARGS…``."""
    ops = list(args)
    while ops and ops[0] is not None and ops[0].startswith("-"):
        ops.pop(0)
    _run_words(sh, ops)


@_program("unshare")
def _unshare(base: str, args: list[str | None], sh: Shell) -> None:
    opts = gnu_options(
        args,
        short_values="SGRw",
        long_values=("setuid", "setgid", "root", "wd", "propagation", "setgroups", "map-user",
                     "map-group", "kill-child", "monotonic", "boottime", "load-interp"),
        permute=False,
    )  # fmt: skip
    _run_words(sh, list(opts.operands))


@_program("systemd-run")
def _systemd_run(base: str, args: list[str | None], sh: Shell) -> None:
    opts = gnu_options(
        args,
        short_values="upEMH",
        long_values=("unit", "property", "setenv", "machine", "host", "description", "slice",
                     "uid", "gid", "nice", "working-directory", "on-active", "on-boot",
                     "on-calendar", "on-startup", "on-unit-active", "on-unit-inactive",
                     "path-property", "socket-property", "timer-property", "service-type"),
        permute=False,
    )  # fmt: skip
    _run_words(sh, list(opts.operands))


@_program("screen")
def _screen(base: str, args: list[str | None], sh: Shell) -> None:
    opts = gnu_options(args, short_values="SceLhpTX", long_values=(), permute=False)
    _run_words(sh, list(opts.operands))


@_program("script")
def _script(base: str, args: list[str | None], sh: Shell) -> None:
    """``script -c CMD [FILE]``: CMD is a shell string; FILE (the typescript) is written."""
    opts = gnu_options(
        args,
        short_values="cEIOBTm",
        long_values=("command", "echo", "log-in", "log-out", "log-io", "log-timing",
                     "logging-format", "output-limit"),
        aliases={"--command": "-c"},
    )  # fmt: skip
    for cmd in opts.values("-c"):
        if cmd is None:
            sh.add("unresolved", "shell_string", "script -c of text computed at run time")
        else:
            sh.text(cmd)
    if not opts.has("-c"):
        sh.add("unresolved", "shell_stdin", "script runs an interactive shell")


@_program("sg")
def _sg(base: str, args: list[str | None], sh: Shell) -> None:
    """``sg GROUP -c CMD`` (or ``sg GROUP CMD``): CMD is a shell string."""
    ops = [a for a in args if a != "-c"]
    if len(ops) >= 2:
        cmd = ops[1]
        if cmd is None:
            sh.add("unresolved", "shell_string", "sg runs text computed at run time")
        else:
            sh.text(cmd)


@_program("tmux")
def _tmux(base: str, args: list[str | None], sh: Shell) -> None:
    """``tmux new-session|new-window|split-window|respawn-pane [opts] [CMD…]``: CMD runs in the
    new pane (a shell string when it is one word)."""
    ops = list(args)
    while ops and ops[0] is not None and ops[0].startswith("-"):
        ops.pop(0)
    if not ops or ops[0] not in (
        "new-session",
        "new",
        "new-window",
        "neww",
        "split-window",
        "splitw",
        "respawn-pane",
        "respawnp",
        "send-keys",
        "send",
    ):
        return
    verb = ops.pop(0)
    rest = gnu_options(ops, short_values="ceFflnstxy", long_values=(),
                       permute=False)  # fmt: skip
    words = list(rest.operands)
    if verb in ("send-keys", "send"):
        sh.add("unresolved", "shell_stdin", "tmux send-keys types commands into another shell")
    elif len(words) == 1 and words[0] is not None:
        sh.text(words[0])
    elif words:
        sh.words(words)


@_program("npx", "pnpx", "bunx")
def _npx(base: str, args: list[str | None], sh: Shell) -> None:
    """``npx [-p PKG] [-c CMD] BIN ARGS…`` runs the package's program BIN with ARGS (analysed as
    that program, which is usually unknown: jest, eslint …); ``-c`` is a shell string."""
    opts = gnu_options(
        args,
        short_values="pc",
        long_values=("package", "call", "cache", "registry", "userconfig"),
        aliases={"--package": "-p", "--call": "-c"},
        permute=False,
    )
    for cmd in opts.values("-c"):
        if cmd is None:
            sh.add("unresolved", "shell_string", f"{base} -c of text computed at run time")
        else:
            sh.text(cmd)
    _run_words(sh, list(opts.operands))


@_program("rimraf", "del-cli", "trash")
def _rimraf(base: str, args: list[str | None], sh: Shell) -> None:
    """``rimraf PATH…`` deletes recursively without asking, like ``rm -rf``."""
    for op in gnu_options(args, long_values=("glob",)).operands:
        if op is None:
            sh.add("unresolved", "argument", f"{base} deletes a path computed at run time")
            continue
        sh.file("deletes_file", op)
        for kind in ("recursive_delete", "recursive_force_delete"):
            for path in sh.paths(op):
                sh.add("destructive", kind, path)


@_program("expect")
def _expect(base: str, args: list[str | None], sh: Shell) -> None:
    sh.add("unresolved", "inline_code", "expect runs a Tcl script that is not analysed")


@_program("at", "batch")
def _at(base: str, args: list[str | None], sh: Shell) -> None:
    if "-l" in args or "-d" in args or "-r" in args or "-c" in args:
        return  # listing, removing or showing jobs
    sh.add("unresolved", "shell_stdin", f"{base} schedules commands read from stdin")


@_program("make", "gmake")
def _make(base: str, args: list[str | None], sh: Shell) -> None:
    """``make --eval=TEXT`` adds rules (recipes are shell commands) that are not analysed."""
    for i, a in enumerate(args):
        if a is None:
            continue
        if a.startswith("--eval") or (a == "-E" and i + 1 < len(args)):
            sh.add("unresolved", "inline_code", f"{base} --eval adds rules that are not analysed")
            return
