"""git: ``git_op(op, detail)`` facts, the hosts git contacts, and the commands git runs from its
options and configuration.

``git_op(op, detail)``: git's global options (``-C``, ``-c``, ``--git-dir``, ``--work-tree``,
``--no-pager`` …) are looked through. Inline aliases (``-c alias.NAME=…``) are expanded as git
expands them (only for names that are not git commands; a ``!`` alias is shell text); a subcommand
that is neither a git command nor an inline alias (an alias or extension from configuration not
seen) is ``unresolved("git_alias")``. Config values git runs as commands (``core.sshCommand``,
``core.pager``, ``core.editor``, ``core.fsmonitor``, ``credential.helper=!…``, ``diff.external`` …)
are analysed as shell text; ``core.hooksPath`` and ``include.path`` are ``unresolved("git_config")``.
Commands git takes in options (``push --receive-pack``, ``fetch``/``clone --upload-pack``,
``rebase --exec``, the ``filter-branch`` filters) are analysed as shell text too (for a local
remote they run on this machine). ``fetch``, ``pull``, ``clone`` and ``ls-remote`` of a URL
contact its host.

- ``push`` for every push (detail: the remote, ``""`` if none), also ``contacts_host`` and
  ``uploads_to`` when the remote is a URL or ``host:path``.
- ``force_push``: ``-f``, ``--force``, ``--force-with-lease[=…]``, ``--force-if-includes``, a
  ``+refspec``, or ``-c remote.X.push=+…``; detail: the destination branch of each refspec
  (``+HEAD:refs/heads/main`` → ``main``), else the remote.
- ``mirror_push`` for ``--mirror`` (or ``-c remote.X.mirror=true``); a mirror push also forces
  and deletes, so it yields ``force_push`` and ``push_delete`` of the remote too.
- ``push_delete``: ``--delete``/``-d`` (detail: each branch), a ``:branch`` refspec, ``--prune``
  (detail: the remote). A dry run (``-n``/``--dry-run``) yields no push fact at all.
- ``reset_hard``: ``reset --hard`` (detail: the commit, ``""`` for HEAD).
- ``clean_force``: ``clean`` with ``-f``/``--force`` (or ``-c clean.requireForce=false``) and
  without ``-n``/``--dry-run``; detail: each pathspec, ``""`` if none.
- ``branch_force_delete``: ``branch -D``, ``-d -f``, ``--delete --force``; detail: each branch.
- ``checkout_force``: ``checkout -f``/``--force``, ``switch -f``/``--discard-changes`` (detail:
  the branch or ``""``), and the forms that overwrite uncommitted changes without asking:
  ``checkout [tree] -- PATHS``, ``checkout .`` (and ``./…``, ``:/…``, globs), ``restore PATHS``
  unless only ``--staged`` (detail: each pathspec).
- ``rewrite_history``: ``filter-branch``, ``filter-repo`` and ``rebase`` (not ``--abort``,
  ``--quit``, ``--show-current-patch``, ``--edit-todo``); detail: that subcommand (the branch
  rewritten is the current one, not known statically). ``commit --amend`` is not reported.

The settings of ``GIT_CONFIG_COUNT``/``GIT_CONFIG_KEY_n``/``GIT_CONFIG_VALUE_n`` in the
environment are read like ``-c KEY=VALUE`` (:func:`git_environment`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from policyc.normalize.programs.contract import Shell, _program
from policyc.normalize.programs.files import _destroy, _remote_path, _write
from policyc.normalize.programs.options import gnu_options

# git's own commands (git --list-cmds=builtins,main,others) and a few common extensions: an alias
# never shadows these, and any other subcommand is an alias or an extension
_GIT_COMMANDS = frozenset(
    """add am annotate apply archimport archive backfill bisect blame branch bugreport bundle
    cat-file check-attr check-ignore check-mailmap check-ref-format checkout checkout-index cherry
    cherry-pick citool clean clone column commit commit-graph commit-tree config count-objects
    credential credential-cache credential-store cvsexportcommit cvsimport cvsserver daemon
    describe diagnose diff diff-files diff-index diff-pairs diff-tree difftool fast-export
    fast-import fetch fetch-pack filter-branch fmt-merge-msg for-each-ref for-each-repo
    format-patch fsck fsck-objects fsmonitor--daemon gc get-tar-commit-id grep gui hash-object help
    hook http-backend http-fetch http-push imap-send index-pack init init-db instaweb
    interpret-trailers last-modified log ls-files ls-remote ls-tree mailinfo mailsplit maintenance
    merge merge-base merge-file merge-index merge-octopus merge-one-file merge-ours
    merge-recursive merge-recursive-ours merge-recursive-theirs merge-resolve merge-subtree
    merge-tree mergetool mktag mktree multi-pack-index mv name-rev notes p4 pack-objects
    pack-redundant pack-refs patch-id pickaxe prune prune-packed pull push quiltimport range-diff
    read-tree rebase receive-pack reflog refs remote remote-ext remote-fd remote-ftp remote-ftps
    remote-http remote-https repack replace replay repo request-pull rerere reset restore rev-list
    rev-parse revert rm scalar send-email send-pack shell shortlog show show-branch show-index
    show-ref sparse-checkout stage stash status stripspace submodule subtree svn switch
    symbolic-ref tag unpack-file unpack-objects update-index update-ref update-server-info
    upload-archive upload-pack var verify-commit verify-pack verify-tag version whatchanged
    worktree write-tree""".split()  # noqa: SIM905
)
_GIT_EXTENSIONS = frozenset({"lfs", "filter-repo"})
# global options followed by a value in the next word (without `=`)
_GIT_GLOBAL_VALUES = {
    "-C",
    "-c",
    "--git-dir",
    "--work-tree",
    "--namespace",
    "--super-prefix",
    "--config-env",
    "--attr-source",
}
# config keys whose value git runs as a shell command
_GIT_SHELL_KEYS = (
    r"core\.(?:sshcommand|pager|editor|askpass|fsmonitor)|sequence\.editor|diff\.external"
    r"|gpg(?:\.\w+)?\.program|pager\..+|diff\..+\.(?:command|textconv)|merge\..+\.driver"
    r"|filter\..+\.(?:clean|smudge|process)|uploadpack\.packobjectshook|credential(?:\..+)?\.helper"
    r"|mergetool\..+\.cmd|difftool\..+\.cmd|web\.browser|browser\..+\.cmd"
)
_GIT_UNSEEN_KEYS = r"core\.hookspath|include\.path|includeif\..+\.path"
_BOOLEANS = {"true", "false", "yes", "no", "on", "off", "1", "0", ""}


def _git_key(key: str) -> str:
    """Section and variable names are case-insensitive; a subsection is not."""
    parts = key.split(".")
    if len(parts) < 2:
        return key.lower()
    return ".".join([parts[0].lower(), *parts[1:-1], parts[-1].lower()])


@dataclass(slots=True)
class _GitConfig:
    """What ``-c`` settings on the command line change."""

    aliases: dict[str, str | None] = field(default_factory=dict)
    force_refspec: bool = False  # remote.X.push=+…
    mirror_remotes: set[str] = field(default_factory=set)
    clean_unforced: bool = False  # clean.requireForce=false


def _git_setting(
    sh: Shell, setting: str | None, config: _GitConfig, *, from_env: bool, effects: bool = True
) -> None:
    """Apply one ``KEY=VALUE`` setting to ``config``; with ``effects``, also analyse what it makes
    git run or read."""
    if setting is None:
        sh.add("unresolved", "git_config", "a git setting is computed at run time")
        return
    raw_key, eq, value = setting.partition("=")
    key = _git_key(raw_key)
    known: str | None = None if from_env else (value if eq else "true")
    if key.startswith("alias."):
        config.aliases[key[6:].lower()] = known
    elif not effects and (
        re.fullmatch(_GIT_UNSEEN_KEYS, key) or re.fullmatch(_GIT_SHELL_KEYS, key)
    ):
        pass
    elif re.fullmatch(_GIT_UNSEEN_KEYS, key):
        sh.add("unresolved", "git_config", f"{raw_key} makes git run or read what is not seen")
        if key != "core.hookspath" and known:
            sh.file("reads_file", known)
    elif re.fullmatch(_GIT_SHELL_KEYS, key):
        if known is None:
            sh.add("unresolved", "git_config", f"{raw_key} is a command taken from the environment")
        elif key.startswith(("core.fsmonitor", "pager.")) and known.lower() in _BOOLEANS:
            pass
        elif key.endswith(".helper") and not known.startswith(("!", "/")):
            sh.words(["git-credential-" + known.split()[0]] if known.split() else ["true"])
        else:
            sh.text(known[1:] if known.startswith("!") else known)
    elif re.fullmatch(r"remote\..+\.push", key) and (known is None or known.startswith("+")):
        config.force_refspec = True
    elif re.fullmatch(r"remote\..+\.mirror", key) and (known or "true").lower() in (
        "true",
        "yes",
        "on",
        "1",
    ):
        config.mirror_remotes.add(key[7:-7])
    elif key == "clean.requireforce" and (
        known is None or known.lower() in ("false", "no", "off", "0")
    ):
        config.clean_unforced = True


@_program("git")
def _git(base: str, args: list[str | None], sh: Shell) -> None:
    config = _GitConfig()
    for setting in _git_environment(sh):  # their effects are analysed by git_environment
        _git_setting(sh, setting, config, from_env=False, effects=False)
    i = 0
    while i < len(args):
        a = args[i]
        if a is None or not a.startswith("-"):
            break
        name, eq, value = a.partition("=")
        if a in _GIT_GLOBAL_VALUES:
            nxt = args[i + 1] if i + 1 < len(args) else None
            if a == "-c":
                _git_setting(sh, nxt, config, from_env=False)
            elif a == "--config-env":
                _git_setting(sh, nxt, config, from_env=True)
            i += 2
            continue
        if name == "--config-env" and eq:
            _git_setting(sh, value, config, from_env=True)
        i += 1
    if i >= len(args):
        return
    sub = args[i]
    if sub is None:
        return  # already unresolved: an argument computed at run time
    rest = args[i + 1 :]
    if sub not in _GIT_COMMANDS and sub.lower() in config.aliases:
        _git_alias(sh, args[:i], sub, config.aliases[sub.lower()], rest)
        return
    if sub not in _GIT_COMMANDS and sub not in _GIT_EXTENSIONS:
        sh.add(
            "unresolved",
            "git_alias",
            f"git {sub} is not a git command: an alias or extension whose effect is not seen",
        )
        return
    handler = _GIT_SUBCOMMANDS.get(sub)
    if handler is not None:
        handler(sub, rest, sh, config)


def _git_alias(
    sh: Shell,
    globals_: list[str | None],
    name: str,
    value: str | None,
    rest: list[str | None],
) -> None:
    import shlex

    if value is None:
        sh.add("unresolved", "git_alias", f"the git alias {name} is taken from the environment")
        return
    if value.startswith("!"):
        # git runs `sh -c '<value> "$@"' <value> ARGS…`
        tail = "".join(" " + shlex.quote(r) for r in rest if r is not None)
        sh.text(value[1:] + tail)
        return
    try:
        words = shlex.split(value)
    except ValueError:
        sh.add("unresolved", "git_alias", f"the git alias {name} does not split into words")
        return
    sh.words(["git", *globals_, *words, *rest])


def _negatable(*names: str) -> tuple[str, ...]:
    return names + tuple("no-" + n for n in names)


_PUSH_LONG = _negatable(
    "all", "branches", "mirror", "delete", "tags", "follow-tags", "signed", "atomic",
    "push-option", "repo", "receive-pack", "exec", "force-with-lease", "force-if-includes",
    "force", "prune", "dry-run", "porcelain", "verify", "thin", "quiet", "verbose", "progress",
    "set-upstream", "recurse-submodules", "ipv4", "ipv6",
)  # fmt: skip
_FORCE_PUSH = ("-f", "--force", "--force-with-lease", "--force-if-includes")


def _remote_contact(sh: Shell, remote: str | None, *, upload: bool) -> None:
    """Hosts of a remote given as a URL or ``[user@]host:path`` (a remote's name says none)."""
    if remote is None:
        return
    from policyc.normalize.network import canonical_host, url_facts

    scheme = remote.split("://", 1)[0].lower() if "://" in remote else None
    if scheme is not None:
        if scheme in ("http", "https", "ssh", "git", "ftp", "ftps", "git+ssh", "ssh+git"):
            url_facts(remote, sh.facts, upload=upload)
        return
    if _remote_path(remote):
        host = canonical_host(remote.split(":", 1)[0].rsplit("@", 1)[-1])
        if host is not None:
            sh.add("contacts_host", host)
            if upload:
                sh.add("uploads_to", host)


def _branch(ref: str) -> str:
    return ref.removeprefix("refs/heads/")


def _git_push(sub: str, args: list[str | None], sh: Shell, config: _GitConfig) -> None:
    opts = gnu_options(
        args,
        short_values="o",
        long_values=("repo", "receive-pack", "exec", "push-option"),
        long_names=_PUSH_LONG,
    )
    for cmd in opts.values("--receive-pack", "--exec"):
        if cmd is not None:
            sh.text(cmd)  # run through a shell, on this machine for a local remote
    if opts.exactly("-n", "--dry-run"):
        return
    ops = list(opts.operands)
    repo = ops.pop(0) if ops else next(iter(opts.values("--repo")), "")
    remote = repo or ""
    _remote_contact(sh, repo, upload=True)
    sh.add("git_op", "push", remote)
    force = opts.has(*_FORCE_PUSH) or config.force_refspec
    delete = opts.has("-d", "--delete")
    refs: list[str] = []
    k = 0
    while k < len(ops):
        ref = ops[k]
        k += 1
        if ref is None:
            continue
        if ref == "tag" and k < len(ops) and ops[k] is not None:
            ref = "refs/tags/" + str(ops[k])
            k += 1
        refs.append(ref)
    for ref in refs:
        plus = ref.startswith("+")
        src, colon, dst = ref.lstrip("+").partition(":")
        branch = _branch(dst if colon else src)
        if force or plus:
            sh.add("git_op", "force_push", branch)
        if delete or (colon and not src):
            sh.add("git_op", "push_delete", branch)
    if force and not refs:
        sh.add("git_op", "force_push", remote)
    if opts.has("--mirror") or (repo in config.mirror_remotes):
        sh.add("git_op", "mirror_push", remote)
        sh.add("git_op", "force_push", remote)
        sh.add("git_op", "push_delete", remote)
    if opts.has("--prune"):
        sh.add("git_op", "push_delete", remote)


def _git_fetch(sub: str, args: list[str | None], sh: Shell, config: _GitConfig) -> None:
    """fetch, pull, clone, ls-remote, archive: hosts contacted, upload-pack commands run, and
    ``clone -c`` settings (used during the clone)."""
    opts = gnu_options(
        args,
        short_values="ucobj" if sub == "clone" else "",
        long_values=("upload-pack", "config", "origin", "branch", "depth", "template",
                     "reference", "separate-git-dir", "jobs", "remote", "exec"),
        aliases={"-u": "--upload-pack", "-c": "--config", "--exec": "--upload-pack"},
    )  # fmt: skip
    for cmd in opts.values("--upload-pack"):
        if cmd is not None:
            sh.text(cmd)
    for setting in opts.values("--config"):
        _git_setting(sh, setting, config, from_env=False)
    if opts.has("--template"):
        sh.add("unresolved", "git_config", "a git template directory may install hooks")
    remote = next(iter(opts.values("--remote")), None) if sub == "archive" else None
    ops = opts.operands if sub != "archive" else [remote]
    if ops:
        _remote_contact(sh, ops[0], upload=False)


def _git_reset(sub: str, args: list[str | None], sh: Shell, config: _GitConfig) -> None:
    opts = gnu_options(
        args,
        long_names=_negatable("soft", "mixed", "hard", "merge", "keep", "patch", "quiet",
                              "refresh", "recurse-submodules", "intent-to-add",
                              "pathspec-from-file", "pathspec-file-nul"),
    )  # fmt: skip
    if opts.has("--hard"):
        ops = opts.operands[: opts.before_dashdash]
        sh.add("git_op", "reset_hard", (ops[0] or "") if ops else "")


def _git_clean(sub: str, args: list[str | None], sh: Shell, config: _GitConfig) -> None:
    opts = gnu_options(
        args,
        short_values="e",
        long_values=("exclude",),
        long_names=_negatable("force", "dry-run", "interactive", "quiet", "exclude"),
        aliases={"--force": "-f", "--dry-run": "-n"},
    )
    if (opts.has("-f") or config.clean_unforced) and not opts.exactly("-n"):
        for spec in opts.operands or [""]:
            sh.add("git_op", "clean_force", spec or "")


def _git_branch(sub: str, args: list[str | None], sh: Shell, config: _GitConfig) -> None:
    opts = gnu_options(
        args,
        short_values="u",
        long_values=("set-upstream-to", "sort", "points-at", "format"),
        long_names=_negatable(
            "delete", "force", "move", "copy", "list", "all", "remotes", "verbose", "quiet",
            "track", "set-upstream-to", "unset-upstream", "color", "column", "sort", "merged",
            "contains", "points-at", "format", "edit-description", "create-reflog",
            "show-current", "ignore-case", "omit-empty", "abbrev", "recurse-submodules",
        ),
        aliases={"--delete": "-d", "--force": "-f"},
    )  # fmt: skip
    if opts.has("-D") or (opts.has("-d") and opts.has("-f")):
        for name in opts.operands or [""]:
            sh.add("git_op", "branch_force_delete", name or "")


_PATHSPEC = r"\.|\.{1,2}/.*|:/.*|:\(.*|.*[*?\[].*"


def _git_checkout(sub: str, args: list[str | None], sh: Shell, config: _GitConfig) -> None:
    opts = gnu_options(
        args,
        short_values="bBcC" if sub == "switch" else "bB",
        long_values=("orphan", "create", "force-create"),
        aliases={"--force": "-f", "--discard-changes": "-f"},
    )
    ops = opts.operands
    if opts.has("-f"):
        target = ops[0] if ops and opts.before_dashdash != 0 else ""
        sh.add("git_op", "checkout_force", target or "")
    if sub == "switch":
        return
    if opts.before_dashdash is not None:
        paths = ops[opts.before_dashdash :]
    else:
        paths = [o for o in ops if o is not None and re.fullmatch(_PATHSPEC, o)]
    for p in paths:
        sh.add("git_op", "checkout_force", p or "")
    if opts.has("--pathspec-from-file"):
        sh.add("git_op", "checkout_force", "")


def _git_restore(sub: str, args: list[str | None], sh: Shell, config: _GitConfig) -> None:
    opts = gnu_options(
        args,
        short_values="s",
        long_values=("source",),
        aliases={"--worktree": "-W", "--staged": "-S"},
    )
    if opts.has("-S") and not opts.has("-W"):
        return  # only the index changes: nothing uncommitted is lost
    for p in opts.operands or ([""] if opts.has("--pathspec-from-file") else []):
        sh.add("git_op", "checkout_force", p or "")


_FILTER_BRANCH_SHELL = ("setup", "env-filter", "tree-filter", "index-filter", "parent-filter",
                        "msg-filter", "commit-filter", "tag-name-filter")  # fmt: skip


def _git_rewrite(sub: str, args: list[str | None], sh: Shell, config: _GitConfig) -> None:
    if sub == "filter-branch":
        opts = gnu_options(
            args,
            short_values="d",
            long_values=(*_FILTER_BRANCH_SHELL, "subdirectory-filter", "original", "state-branch"),
        )
        for script in opts.values(*("--" + n for n in _FILTER_BRANCH_SHELL)):
            if script is None:
                sh.add("unresolved", "shell_string", "a git filter-branch filter is computed")
            else:
                sh.text(script)  # run by a shell for every commit
    if sub == "rebase":
        opts = gnu_options(args, short_values="sXx", long_values=("onto", "exec", "strategy"))
        if opts.exactly("--abort", "--quit", "--show-current-patch", "--edit-todo"):
            return
        for cmd in opts.values("-x", "--exec"):
            if cmd is not None:
                sh.text(cmd)
    sh.add("git_op", "rewrite_history", sub)


def _git_remote(sub: str, args: list[str | None], sh: Shell, config: _GitConfig) -> None:
    """``git remote add|set-url NAME URL``: a later ``git push NAME`` names no host, so the URL
    is taken as uploaded to here (a superset: adding a remote is the step before pushing)."""
    ops = [a for a in args if a is None or not a.startswith("-")]
    if len(ops) >= 3 and ops[0] in ("add", "set-url"):
        url = ops[2]
        if url is None:
            sh.add("unresolved", "url", f"git remote {ops[0]} of a URL computed at run time")
        else:
            _remote_contact(sh, url, upload=True)


def _git_submodule(sub: str, args: list[str | None], sh: Shell, config: _GitConfig) -> None:
    """``git submodule foreach [--recursive] CMD…``: CMD runs through a shell in each one."""
    ops = list(args)
    while ops and ops[0] is not None and ops[0].startswith("-"):
        ops.pop(0)
    if not ops or ops[0] != "foreach":
        return
    words = [a for a in ops[1:] if a not in ("--recursive", "-q", "--quiet")]
    if any(w is None for w in words):
        sh.add("unresolved", "shell_string", "git submodule foreach runs text computed at run time")
    elif words:
        sh.text(" ".join(w for w in words if w is not None))


def _git_diff(sub: str, args: list[str | None], sh: Shell, config: _GitConfig) -> None:
    """``git diff --no-index A B`` compares two files of the file system: it reads both."""
    if "--no-index" not in args:
        return
    for op in [a for a in args if a is not None and not a.startswith("-")][:2]:
        sh.file("reads_file", op)


def _git_rm(sub: str, args: list[str | None], sh: Shell, config: _GitConfig) -> None:
    """``git rm [-r] PATHSPEC…`` deletes the files from the working tree and the repository
    (``--cached``: from the repository only, still a removal of tracked code); ``git mv SRC…
    DST`` deletes the sources and writes the destination. Pathspecs are taken as paths."""
    opts = gnu_options(
        args,
        long_values=("pathspec-from-file", "chmod"),
        aliases={"--dry-run": "-n", "--force": "-f", "--recursive": "-r"},
    )
    if opts.has("-n"):
        return
    if opts.has("--pathspec-from-file"):
        sh.add("unresolved", "argument", f"git {sub} takes its paths from a file")
    ops = opts.operands
    sources = ops[:-1] if sub == "mv" else ops
    for op in sources:
        if op is None:
            sh.add("unresolved", "argument", f"git {sub} of a path computed at run time")
            continue
        sh.file("deletes_file", op)
        if sub == "rm" and opts.has("-r") and not opts.has("--cached"):
            _destroy(sh, "recursive_delete", op)
    if sub == "mv" and ops:
        if ops[-1] is None:
            sh.add("unresolved", "argument", "git mv to a path computed at run time")
        else:
            _write(sh, ops[-1])


def _git_show(sub: str, args: list[str | None], sh: Shell, config: _GitConfig) -> None:
    """``git show REV:PATH`` and ``git cat-file -p REV:PATH`` print a file as committed: a read
    of PATH (taken against the working directory, ``./`` or not; the file's name is what
    matters to a policy)."""
    for a in args:
        if a is None or a.startswith("-") or ":" not in a:
            continue
        path = a.split(":", 1)[1]
        if path:
            sh.file("reads_file", path)


def _git_add(sub: str, args: list[str | None], sh: Shell, config: _GitConfig) -> None:
    """``git add PATH…`` stores the files in the repository, from where a commit and a push
    send them on: a read of each path given (``-f`` adds ignored files such as ``.env``)."""
    opts = gnu_options(args, long_values=("chmod", "pathspec-from-file"))
    if opts.has("-n", "--dry-run"):
        return
    for op in opts.operands:
        if op is not None:
            sh.file("reads_file", op)


def _git_config(sub: str, args: list[str | None], sh: Shell, config: _GitConfig) -> None:
    """``git config [--global …] KEY VALUE`` (and ``git config set KEY VALUE``) writes a setting
    that later git commands read. What it makes git run is analysed as for ``-c``; a setting
    that changes what a later command does without running anything now (an alias, a forcing
    ``remote.X.push``, ``remote.X.mirror``, ``clean.requireForce=false``) is
    ``unresolved("git_config")``: the command it changes is not this one."""
    opts = gnu_options(
        args,
        short_values="f",
        long_values=("file", "blob", "type", "default", "comment", "value"),
        aliases={"--file": "-f"},
    )
    if opts.has("--get", "--get-all", "--get-regexp", "--list", "-l", "--unset", "--unset-all"):
        return
    ops = list(opts.operands)
    if ops[:1] in (["set"], ["--add"]):
        ops = ops[1:]
    elif ops[:1] in (
        ["get"],
        ["list"],
        ["unset"],
        ["edit"],
        ["rename-section"],
        ["remove-section"],
    ):
        return
    if len(ops) < 2:
        return
    key, value = ops[0], ops[1]
    if key is None or value is None:
        sh.add("unresolved", "git_config", "git config of a setting computed at run time")
        return
    later = _GitConfig()
    _git_setting(sh, f"{key}={value}", later, from_env=False)
    if later.aliases or later.force_refspec or later.mirror_remotes or later.clean_unforced:
        sh.add("unresolved", "git_config", f"git config {key} changes what later git commands do")


GitHandler = Callable[[str, list[str | None], Shell, _GitConfig], None]
_GIT_SUBCOMMANDS: dict[str, GitHandler] = {
    "push": _git_push,
    "send-pack": _git_push,
    "remote": _git_remote,
    "submodule": _git_submodule,
    "diff": _git_diff,
    "rm": _git_rm,
    "config": _git_config,
    "add": _git_add,
    "stage": _git_add,
    "show": _git_show,
    "cat-file": _git_show,
    "mv": _git_rm,
    "fetch": _git_fetch,
    "pull": _git_fetch,
    "clone": _git_fetch,
    "ls-remote": _git_fetch,
    "archive": _git_fetch,
    "reset": _git_reset,
    "clean": _git_clean,
    "branch": _git_branch,
    "checkout": _git_checkout,
    "switch": _git_checkout,
    "restore": _git_restore,
    "rebase": _git_rewrite,
    "filter-branch": _git_rewrite,
    "filter-repo": _git_rewrite,
}


# -- the environment -------------------------------------------------------------------------


def git_environment(sh: Shell) -> None:
    """What the settings of ``GIT_CONFIG_COUNT``/``GIT_CONFIG_KEY_n``/``GIT_CONFIG_VALUE_n`` in the
    environment make any git run (commands analysed, unseen configuration unresolved), as
    ``git -c KEY=VALUE`` would."""
    for setting in _git_environment(sh):
        _git_setting(sh, setting, _GitConfig(), from_env=False)


def _git_environment(sh: Shell) -> list[str]:
    """The settings of ``GIT_CONFIG_COUNT``/``GIT_CONFIG_KEY_n``/``GIT_CONFIG_VALUE_n``, which git
    reads like ``-c KEY=VALUE``."""
    env = sh.env
    count = env.get("GIT_CONFIG_COUNT", "")
    if count is None or not count.isdigit():
        if count is None or count.strip():
            sh.add("unresolved", "environment", "GIT_CONFIG_COUNT changes what the program runs")
        return []
    settings = []
    for n in range(int(count)):
        key, value = f"GIT_CONFIG_KEY_{n}", f"GIT_CONFIG_VALUE_{n}"
        if key not in env:
            break  # git refuses to run
        if env[key] is None or env.get(value, "") is None:
            sh.add("unresolved", "environment", f"{key} changes what the program runs")
            continue
        settings.append(f"{env[key]}={env.get(value, '')}")
    return settings
