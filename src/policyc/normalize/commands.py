"""Per-program semantics: what one simple command, its wrappers already seen through, does.

``shell.py`` knows the shell grammar (where simple commands are, what a word's literal value is,
which wrappers to look through, what a command reads on stdin); this module knows programs. Given a
program's name and its arguments (``None`` for a word computed at run time) it adds facts: files
read, written and deleted; destructive operations; git, infrastructure, package-publishing and SQL
operations; hosts contacted; code that is run but not analysed. Options are read the way each
program reads them (bundled short options, ``--long=value`` and ``--long value``, options after
operands, ``--``, unambiguous abbreviations where the program accepts them).

Decisions, by fact:

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

Files: readers (``cat``, ``grep``, ``sed``, ``awk``, ``jq``, ``head`` …) read their file
operands, not the pattern, program or filter that comes first nor option values (``head -n 5``,
``grep -e``); ``sed -i``, ``sort -o``, ``tee``, ``touch``, the destination of ``cp``/``mv``/
``install``/``rsync``/``scp``, ``curl -o``/``-O``, ``wget -O`` (and the file wget names after
the URL) write; ``curl -T``/``-d @f``/``-F x=@f``/``-K``, ``scp``/``rsync`` local sources read;
``mv`` and ``rsync --remove-source-files`` delete their sources. ``openssl`` takes a command
first and its files in options (``-in``/``-key``/``-CAfile``/``-passin file:…`` read, ``-out``/
``-keyout`` write; operands are files only for the digests, ``verify`` and ``storeutl``);
``gpg`` operands are key ids, not files, for the key commands (``--list-keys``, ``--recv-keys``
…). A word computed at run time is never a file fact (the ``unresolved`` fact is there).

Network clients read their options with their value arities, so that an option's value is
never taken for a host: ``curl``, ``wget``, ``http``/``https``/``xh`` contact each URL operand
(and ``--url``), a URL without a scheme read as they read it (``http://``, curl's ``ftp.`` …
guesses), curl's ``{a,b}`` sets expanded; they upload to it with data options (``-d``, ``-F``,
``-T``, ``--post-*``, HTTPie data items and piped stdin) or ``POST``/``PUT``/``PATCH``. Proxies
(``-x``, ``--proxy``, ``-e https_proxy=…``) and the hosts of ``--connect-to``/``--resolve`` are
contacted too. ``nc``/``netcat`` are read as each netcat reads them (OpenBSD's, Debian's,
the traditional one, ncat) and the facts of every reading are given: the host is the first
operand (none in listen mode or for a Unix socket), and ``-e``/``-c`` programs run on the
connection (a shell there reads unseen commands). Configuration or URLs read from files
(``curl -K``, ``wget -i``), URL patterns and computed URLs are ``unresolved("url")``; file names
chosen by the server (``curl -J``, ``wget -r``) are ``unresolved("path")``.

Environment variables (:func:`assignment`): the value of a variable some program runs as a
shell command (``GIT_SSH_COMMAND``, ``GIT_PAGER``, ``EDITOR``, ``PAGER``, ``LESSOPEN`` …) is
analysed as shell text; one that loads code or configuration not seen (``LD_PRELOAD``,
``BASH_ENV``, ``NODE_OPTIONS`` with ``--require`` …) is ``unresolved("environment")``, as is a
computed value of either; ``PYTHONPATH``, ``PATH`` and the like are not reported (a program is
named by its base name whatever directory it comes from); ``*_proxy`` hosts are contacted.

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

``infra_op(tool, op, target)`` (the tool is the program's name):

- terraform, tofu, terragrunt (``run-all``/``run`` looked through): ``destroy``, ``apply``
  (``apply -destroy`` is ``destroy``), ``replace`` for each ``apply -replace=ADDR``,
  ``state rm`` → ``state_rm``, ``state push`` → ``state_push``, ``force-unlock`` →
  ``force_unlock``, ``taint``, ``import``, ``workspace delete`` → ``workspace_delete``. Target:
  each ``-target``/``-replace`` address for apply and destroy (``""`` for the whole
  configuration), the address(es) or workspace name otherwise. ``plan`` and the other read-only
  commands yield nothing.
- pulumi: ``destroy`` (``down``), ``up`` (``update``), ``stack rm`` → ``stack_rm``, ``replace`` for
  ``up --replace URN``; target: each ``--target``, else the ``--stack``, else ``""``.
  ``destroy --preview-only`` yields nothing.
- kubectl and oc (also ``k3s kubectl``, ``microk8s kubectl``): every verb that is not read-only
  is an op named by the verb (``delete``, ``apply``, ``create``, ``replace``, ``patch``,
  ``scale``, ``rollout``, ``drain``, ``cordon``, ``exec``, ``edit``, ``label`` …); the read-only
  verbs (``get``, ``describe``, ``logs``, ``top``, ``explain``, ``diff``, ``config``, ``auth``,
  ``rollout status|history`` …) and ``--dry-run`` yield nothing. Target: ``kind/name``, the kind
  singular with short names expanded and the API group dropped for built-in kinds (``po x`` and
  ``pods/x`` are ``pod/x``; ``drain n1`` is ``node/n1``; ``exec web`` is ``pod/web``); a kind alone
  (``--all``, a selector) is ``kind``; ``""`` for ``-f FILE`` (the file is a ``reads_file``).
  ``exec`` with a command is also ``unresolved("remote_command")``.
- helm: ``uninstall`` (``delete``, ``del``, ``un``), ``upgrade``, ``install``, ``rollback``;
  target: the release (``""`` with ``--generate-name``); ``--dry-run`` yields nothing.

``publishes_package(tool, registry)``, with ``uploads_to`` and ``contacts_host`` of the registry:
npm/pnpm (registry.npmjs.org), yarn (registry.yarnpkg.com), twine, poetry, uv, flit, hatch, pdm
(upload.pypi.org; ``testpypi`` → test.pypi.org), cargo (crates.io), gem (rubygems.org), docker and
podman push, ``docker buildx build --push`` (the image's registry host, else docker.io), or the
host of a literal ``--registry``/``--repository-url``/``--index``/``--host``/``--publish-url``.
A repository named in configuration (``twine -r corp``) yields the registry ``""`` and
``unresolved("registry")``. Dry runs yield nothing. ``python -m twine`` is ``twine``.

SQL clients (``sql_statement`` and ``unresolved("sql")`` from :mod:`policyc.normalize.sql`):
``psql -c``/``--command``, ``mysql``/``mariadb -e``/``--execute``/``--init-command``,
``sqlite3 DB SQL…``/``-cmd``, ``duckdb DB SQL…``/``-c``/``-cmd``, ``clickhouse-client
--query``/``-q``. SQL from a file (``-f``, ``--queries-file``, ``-init``, ``< file``) is
``reads_file`` and ``unresolved("sql")``. With no SQL argument the client reads stdin: a literal
here-document, here-string or ``echo``/``printf`` pipeline is analysed; anything else is
``unresolved("sql")``. Client commands that run programs or touch files are seen: psql ``\\!``,
``\\o |cmd``, ``\\i``; mysql ``system``/``\\!``, ``source``; sqlite/duckdb ``.shell``,
``.system``, ``.read``, ``.output`` …; unknown ones are ``unresolved("sql")``.

Inline code: ``python -c``, ``node -e/-p``, ``perl -e/-E``, ``ruby -e``, ``php -r``,
``deno eval``, ``bun -e``, ``osascript -e``, ``lua -e``, ``Rscript -e``, ``pwsh -c``/
``-EncodedCommand``, an interpreter reading its program from stdin, an awk program that can run
commands or write files (``system``, ``|``, ``print >``), a sed script with ``e``/``w``/``r``
commands, are ``unresolved("inline_code")``. Running a script file is ordinary.

Remote commands: ``ssh HOST CMD`` (or ssh fed a script on stdin) and ``mosh HOST CMD`` are
``unresolved("remote_command")``: nothing is claimed about remote files. ``ssh -o
ProxyCommand=…``, ``rsync -e …`` and ``mosh --ssh=…`` run locally and are analysed as shell text.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

# -- what programs may ask of the shell walker ---------------------------------------------


@dataclass(frozen=True, slots=True)
class Stdin:
    """What a command reads on its standard input, as far as it is known statically."""

    text: str | None  # the text, when it is known
    source: str  # where it comes from, in words: "a here-document", "the output of curl"
    exact: bool = True  # False: the text is a guess (decoded, or expanded at run time)


class Shell(Protocol):
    """The walker's services to a program's semantics."""

    @property
    def stdin(self) -> Stdin | None: ...

    @property
    def facts(self) -> dict[str, list[tuple[Any, ...]]]:
        """The facts found so far (for helpers that add to a facts dict)."""
        ...

    def add(self, pred: str, *args: Any) -> None: ...

    @property
    def env(self) -> dict[str, str | None]:
        """The environment variables the command line assigns for this command (prefix
        assignments, ``env NAME=…``, assignments and exports before it): None when computed."""
        ...

    def paths(self, path: str, *, pattern: bool = True) -> list[str]:
        """Every canonical absolute path ``path`` may name: a relative path after a ``cd`` is
        resolved against each directory the command may be in (``[]``: an ``unresolved``
        fact says why). ``pattern``: a shell word, which may be a glob."""
        ...

    def file(self, pred: str, path: str) -> str | None:
        """Add ``pred`` of each of :meth:`paths`; the first, or None."""
        ...

    def text(self, script: str, stdin: Stdin | None = None) -> None:
        """Analyse a shell string run by this command."""
        ...

    def words(self, words: Sequence[str | None], stdin: Stdin | None = None) -> None:
        """Analyse a simple command run by this command."""
        ...


# -- option parsing --------------------------------------------------------------------------


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


# -- dispatch -------------------------------------------------------------------------------

Handler = Callable[[str, list[str | None], Shell], None]
_PROGRAMS: dict[str, Handler] = {}


def _program(*names: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        for n in names:
            _PROGRAMS[n] = fn
        return fn

    return register


_PYTHON = r"(?:python|pypy)[0-9.]*"
_MKFS = r"mkfs(?:\..+)?|mke2fs|mkswap|mkdosfs|mkntfs|mkexfatfs|newfs(?:_.+)?"


def program_facts(base: str, args: list[str | None], sh: Shell) -> None:
    """The facts of program ``base`` run with ``args`` (``None``: computed at run time)."""
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


def _literal(args: Sequence[str | None]) -> list[str]:
    return [a for a in args if a is not None]


# -- the environment ------------------------------------------------------------------------

# variables whose value programs run as a shell command (git, man, less, sudo, ssh …)
_SHELL_VARIABLES = frozenset(
    """GIT_SSH_COMMAND GIT_SSH GIT_PAGER GIT_EDITOR GIT_SEQUENCE_EDITOR GIT_EXTERNAL_DIFF
    GIT_PROXY_COMMAND GIT_ASKPASS SSH_ASKPASS SUDO_ASKPASS PAGER EDITOR VISUAL BROWSER
    PROMPT_COMMAND LESSOPEN LESSCLOSE MANPAGER""".split()  # noqa: SIM905
)
# variables that make programs load code or configuration the command line does not show
_LOADING_VARIABLES = frozenset(
    """LD_PRELOAD LD_LIBRARY_PATH LD_AUDIT DYLD_INSERT_LIBRARIES DYLD_LIBRARY_PATH BASH_ENV ENV
    PYTHONSTARTUP PERL5OPT RUBYOPT GIT_CONFIG GIT_CONFIG_GLOBAL GIT_CONFIG_SYSTEM
    GIT_CONFIG_PARAMETERS GIT_EXEC_PATH GIT_TEMPLATE_DIR""".split()  # noqa: SIM905
)
_NODE_LOADS = r"(?:^|\s)(?:-r|--require|--import|--loader|--experimental-loader)(?:[=\s]|$)"
_PROXY_VARIABLES = ("http_proxy", "https_proxy", "ftp_proxy", "all_proxy")


def assignment(name: str, value: str | None, sh: Shell) -> None:
    """What assigning ``value`` (None: computed) to the environment variable ``name`` makes
    programs do: a command some program runs is analysed as shell text, code or configuration
    loaded from elsewhere is ``unresolved("environment")``, a proxy is contacted."""
    if name in _SHELL_VARIABLES:
        if value is None:
            sh.add("unresolved", "environment", f"{name} changes what the program runs")
        elif name == "BROWSER":
            for browser in value.split(":"):
                sh.text(browser)
        else:
            sh.text(value.lstrip("|-") if name.startswith("LESS") else value)
    elif (name in _LOADING_VARIABLES and value != "") or (
        name == "NODE_OPTIONS" and (value is None or re.search(_NODE_LOADS, value))
    ):
        sh.add("unresolved", "environment", f"{name} changes what the program runs")
    elif name.lower() in _PROXY_VARIABLES:
        if value is None:
            sh.add("unresolved", "environment", f"{name} changes where the program connects")
        elif value:
            from policyc.normalize.network import host_facts

            host_facts(value, sh.facts)


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


# -- files and destruction ----------------------------------------------------------------

_PSEUDO_DEVICES = {
    "/dev/null",
    "/dev/zero",
    "/dev/full",
    "/dev/random",
    "/dev/urandom",
    "/dev/stdin",
    "/dev/stdout",
    "/dev/stderr",
    "/dev/tty",
    "/dev/ptmx",
    "/dev/console",
}
_PSEUDO_DEVICE_DIRS = ("/dev/fd/", "/dev/pts/", "/dev/shm/", "/dev/mqueue/", "/dev/tty")


def is_device(canon: str) -> bool:
    """A canonical path that names a device holding data (a disk, a partition), not
    ``/dev/null``, a terminal or a descriptor."""
    return (
        canon.startswith("/dev/")
        and canon not in _PSEUDO_DEVICES
        and not canon.startswith(_PSEUDO_DEVICE_DIRS)
    )


def _write(sh: Shell, path: str, *, named: bool = False) -> None:
    """``named``: a name the program makes (from a URL), not a shell word: not a pattern."""
    for canon in sh.paths(path, pattern=not named):
        sh.add("writes_file", canon)
        if is_device(canon):
            sh.add("destructive", "disk_overwrite", canon)


def _destroy(sh: Shell, kind: str, path: str | None) -> None:
    for canon in (sh.paths(path) if path is not None else []) or [""]:
        sh.add("destructive", kind, canon)


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


@_program("cp", "mv", "install")
def _copy(base: str, args: list[str | None], sh: Shell) -> None:
    opts = gnu_options(
        args,
        short_values="tSmogZ" if base == "install" else "tS",
        long_values=("target-directory", "suffix", "mode", "owner", "group"),
        aliases={"--target-directory": "-t"},
    )
    ops = _literal(opts.operands)
    targets = [v for v in opts.values("-t") if v is not None]
    sources = ops if targets else ops[:-1]
    if not targets:
        targets = ops[-1:]
    for a in targets:
        _write(sh, a)
    for a in sources:
        sh.file("reads_file", a)
        if base == "mv":
            sh.file("deletes_file", a)


@_program("tee", "touch")
def _tee(base: str, args: list[str | None], sh: Shell) -> None:
    opts = gnu_options(args, short_values="dtr" if base == "touch" else "")
    for a in _literal(opts.operands):
        _write(sh, a)


@_program("rsync")
def _rsync(base: str, args: list[str | None], sh: Shell) -> None:
    opts = gnu_options(
        args,
        short_values="eBfMT",
        long_values=("rsh", "rsync-path", "exclude", "include", "filter", "exclude-from",
                     "include-from", "files-from", "partial-dir", "temp-dir", "backup-dir",
                     "compare-dest", "copy-dest", "link-dest", "chmod", "chown", "port",
                     "password-file", "log-file", "timeout", "bwlimit", "max-size", "min-size",
                     "suffix", "usermap", "groupmap", "block-size", "modify-window"),
        aliases={"--rsh": "-e"},
    )  # fmt: skip
    for cmd in opts.values("-e"):
        if cmd is not None:
            sh.text(cmd)  # the remote shell runs here, on this machine
    ops = opts.operands
    from policyc.normalize.network import command_network_facts

    command_network_facts("rsync", _literal(ops), sh.facts)
    if not ops:
        return
    dest = ops[-1]
    local_dest = dest is not None and not _remote_path(dest)
    if dest is not None and local_dest:
        _write(sh, dest)
    sources = [s for s in _literal(ops[:-1]) if not _remote_path(s)]
    for src in sources:
        sh.file("reads_file", src)
    if opts.has("--remove-source-files"):
        for src in sources:
            sh.file("deletes_file", src)
    if any(n.startswith("--del") for cands, _ in opts.found for n in cands):
        _destroy(sh, "recursive_delete", dest if local_dest else None)


def _remote_path(arg: str) -> bool:
    """``host:path``, ``user@host:path``, ``rsync://…`` (not ``./a:b`` or ``/a:b``)."""
    if "://" in arg:
        return True
    head = arg.split(":", 1)[0]
    return ":" in arg and not arg.startswith(("/", ".")) and "/" not in head


# -- readers --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Reader:
    """How a program that reads its file operands takes its options."""

    short_values: str = ""
    long_values: tuple[str, ...] = ()
    program_first: bool = False  # the first operand is a pattern, program or filter …
    program_options: tuple[str, ...] = ()  # … unless one of these gives it
    file_options: tuple[str, ...] = ()  # options whose value is a file read
    write_options: tuple[str, ...] = ()  # options whose value is a file written
    files: int | None = None  # only this many operands are files (``source FILE ARGS…``)


_GREP = _Reader(
    "efmABCdD",
    ("regexp", "file", "max-count", "after-context", "before-context", "context", "label",
     "include", "exclude", "exclude-dir", "exclude-from", "binary-files", "devices",
     "directories", "group-separator"),
    program_first=True,
    program_options=("-e", "-f", "--regexp", "--file"),
    file_options=("-f", "--file", "--exclude-from"),
)  # fmt: skip
_AWK = _Reader(
    "fvFEile",
    ("file", "assign", "field-separator", "source", "include", "load", "exec"),
    program_first=True,
    program_options=("-f", "-E", "-e", "--file", "--exec", "--source"),
    file_options=("-f", "-E", "--file", "--exec"),
)
_SUMS = _Reader("a", ("algorithm",))
_EDITOR = _Reader("cSuiTtqwsrlHmYoJ", ("cmd", "eval", "funcall", "load", "language", "theme"))
# fmt: off
_READERS: dict[str, _Reader] = {
    "cat": _Reader(),
    "head": _Reader("nc", ("lines", "bytes")),
    "tail": _Reader("ncs", ("lines", "bytes", "sleep-interval", "pid", "max-unchanged-stats")),
    "less": _Reader("bhjkoOpPtTxyz#", ("log-file", "LOG-FILE", "pattern", "prompt", "tag")),
    "more": _Reader("n"),
    "grep": _GREP,
    "egrep": _GREP,
    "fgrep": _GREP,
    "rg": _Reader(
        "efgtTmABCjMdErE",
        (
            "regexp",
            "file",
            "glob",
            "iglob",
            "type",
            "type-not",
            "max-count",
            "after-context",
            "before-context",
            "context",
            "threads",
            "max-columns",
            "max-depth",
            "encoding",
            "replace",
            "type-add",
            "pre",
            "pre-glob",
            "sort",
            "sortr",
            "max-filesize",
            "colors",
            "color",
            "ignore-file",
            "engine",
            "path-separator",
            "context-separator",
        ),
        program_first=True,
        program_options=("-e", "-f", "--regexp", "--file"),
        file_options=("-f", "--file", "--ignore-file"),
    ),
    "sed": _Reader(
        "efl",
        ("expression", "file", "line-length"),
        program_first=True,
        program_options=("-e", "-f", "--expression", "--file"),
        file_options=("-f", "--file"),
    ),
    "awk": _AWK,
    "gawk": _AWK,
    "mawk": _AWK,
    "nawk": _AWK,
    "strings": _Reader("ntTe", ("bytes", "radix", "target", "encoding")),
    "xxd": _Reader("cglsoCn", ("cols", "groupsize", "len", "seek", "offset", "name")),
    "hexdump": _Reader("eFnsf", (), file_options=("-f",)),
    "od": _Reader("AjNtwS", ("address-radix", "skip-bytes", "read-bytes", "format", "width")),
    "base64": _Reader("w", ("wrap",)),
    "source": _Reader(files=1),
    ".": _Reader(files=1),
    "diff": _Reader(
        "xXILFUCDS",
        (
            "exclude",
            "exclude-from",
            "ignore-matching-lines",
            "label",
            "show-function-line",
            "unified",
            "context",
            "ifdef",
            "starting-file",
            "line-format",
            "from-file",
            "to-file",
            "horizon-lines",
            "tabsize",
            "width",
            "color",
            "palette",
        ),
        file_options=("-X", "--exclude-from", "--from-file", "--to-file"),
    ),
    "wc": _Reader("", ("files0-from",), file_options=("--files0-from",)),
    "sort": _Reader(
        "kotST",
        (
            "key",
            "output",
            "field-separator",
            "buffer-size",
            "temporary-directory",
            "parallel",
            "files0-from",
            "compress-program",
            "batch-size",
            "random-source",
        ),
        file_options=("--files0-from", "--random-source"),
        write_options=("-o", "--output"),
    ),
    "uniq": _Reader("fsw", ("skip-fields", "skip-chars", "check-chars"), files=1),
    "cut": _Reader("bcdf", ("bytes", "characters", "delimiter", "fields", "output-delimiter")),
    "nl": _Reader(
        "bdfhilnsvw",
        (
            "body-numbering",
            "section-delimiter",
            "footer-numbering",
            "header-numbering",
            "line-increment",
            "join-blank-lines",
            "number-format",
            "number-separator",
            "starting-line-number",
            "number-width",
        ),
    ),
    "tac": _Reader("s", ("separator",)),
    "jq": _Reader(
        "L",
        ("indent", "from-file"),
        program_first=True,
        program_options=("--from-file",),
        file_options=("--from-file",),
    ),
    "yq": _Reader(
        "IpoPe",
        ("indent", "input-format", "output-format", "expression", "from-file"),
        program_first=True,
        program_options=("--from-file", "--expression"),
        file_options=("--from-file",),
    ),
    "file": _Reader(
        "mfFeP",
        ("magic-file", "files-from", "separator", "exclude", "parameter"),
        file_options=("-f", "--files-from"),
    ),
    "stat": _Reader("c", ("format", "printf")),
    "md5sum": _SUMS,
    "sha1sum": _SUMS,
    "sha256sum": _SUMS,
    "cksum": _SUMS,
    "vi": _EDITOR,
    "vim": _EDITOR,
    "view": _EDITOR,
    "nano": _EDITOR,
    "emacs": _EDITOR,
    "bat": _EDITOR,
}
# fmt: on
# options whose value is program text (checked for commands it runs)
_CODE_OPTIONS = {
    "awk": ("-e", "--source"),
    "gawk": ("-e", "--source"),
    "sed": ("-e", "--expression"),
}
# jq options followed by a name and a value (the value is a file for the last two)
_JQ_PAIRS = {"--arg": False, "--argjson": False, "--slurpfile": True, "--rawfile": True}


def _reader(base: str, args: list[str | None], sh: Shell) -> None:
    spec = _READERS[base]
    if base == "jq":
        args = _jq_args(args, sh)
    opts = gnu_options(
        args,
        short_values=spec.short_values,
        long_values=spec.long_values,
        optional_short="i" if base == "sed" else "",
    )
    ops = list(opts.operands)
    if base == "yq" and ops[:1] in (["eval"], ["e"], ["eval-all"], ["ea"]):
        ops = ops[1:]  # yq 4's command: the expression follows
    program: str | None = None
    program_popped = spec.program_first and not opts.has(*spec.program_options) and bool(ops)
    if program_popped:
        program = ops.pop(0)
    if base in ("jq", "yq") and opts.has("--args", "--jsonargs"):
        ops = []  # positional arguments are values, not files
    # the program text (the popped operand, or -e/--source/--expression values)
    texts = ([program] if program_popped else []) + opts.values(*_CODE_OPTIONS.get(base, ()))
    if base in ("awk", "gawk", "mawk", "nawk"):
        ops = [o for o in ops if o is None or not re.fullmatch(r"[A-Za-z_]\w*=.*", o)]
        if any(t is None or re.search(_AWK_RUNS, t) for t in texts):
            sh.add(
                "unresolved", "inline_code", f"the {base} program may run commands or write files"
            )
    if base == "sed" and any(t is None or re.search(_SED_RUNS, t) for t in texts):
        sh.add("unresolved", "inline_code", "the sed script may run commands or touch files")
    if base in ("vi", "vim", "view", "emacs") and (
        opts.has("-c", "--cmd", "--eval", "-f", "--funcall", "-l", "--load", "-S")
        or any(o is not None and o.startswith("+") for o in ops)
    ):
        sh.add("unresolved", "inline_code", f"{base} runs editor commands that are not analysed")
    if base == "rg":
        for pre in opts.values("--pre"):
            if pre is not None:
                sh.words([pre])
    files = ops if spec.files is None else ops[: spec.files]
    for a in _literal(files):
        if a != "-" and not (base in ("vi", "vim", "view") and a.startswith("+")):
            sh.file("reads_file", a)
    for a in _literal(opts.values(*spec.file_options)):
        sh.file("reads_file", a)
    for a in _literal(opts.values(*spec.write_options)):
        _write(sh, a)
    if base == "uniq" and len(ops) > 1 and ops[1] is not None:
        _write(sh, ops[1])
    if base == "xxd" and len(ops) > 1 and ops[1] is not None:
        _write(sh, ops[1])
    if base == "sed" and (
        opts.has("-i")
        or any(len(n) > 3 and "--in-place".startswith(n) for c, _ in opts.found for n in c)
    ):
        for a in _literal(ops):
            _write(sh, a)


# awk: system(), a pipe to or from a command, print/printf redirected to a file
_AWK_RUNS = r"\bsystem\s*\(|(?<!\|)\|(?!\|)|\bprintf?\b[^;{}\n]*>|\bgetline\b"
# sed: the e (execute) command or s///e flag, w/W (write), r/R (read)
_SED_RUNS = r"(?:^|[;{}\n\d$/!])\s*[eFwWrR](?:\s|$|;)|/[gpIiMm0-9]*[ew][gpIiMm0-9]*\s*(?:$|[;}\s])"


def _jq_args(args: list[str | None], sh: Shell) -> list[str | None]:
    out: list[str | None] = []
    i = 0
    while i < len(args):
        a = args[i]
        if a in _JQ_PAIRS:
            value = args[i + 2] if i + 2 < len(args) else None
            if _JQ_PAIRS[a] and value is not None:
                sh.file("reads_file", value)
            i += 3
            continue
        out.append(a)
        i += 1
    return out


# -- openssl, gpg -------------------------------------------------------------------------------

# openssl options (one dash or two) whose value is a file read, a file written, or anything else;
# every other option is a flag. Options end at the first operand.
_OPENSSL_READS = frozenset(
    """in key inkey CA CAkey CAfile CApath CAserial cert certfile chainCAfile CRL CRLfile conf
    config data dcert dkey extfile kfile keyfile paramfile peerkey prverify psk_session
    queryfile recip revoke sess_in sigfile signature signer spkac ss_cert trusted untrusted
    verifyCAfile""".split()  # noqa: SIM905
)
_OPENSSL_WRITES = frozenset(
    {"out", "keyout", "writerand", "sess_out", "keylogfile", "msgfile", "outdir"}
)
_OPENSSL_VALUES = frozenset(
    """passin passout pass inform outform keyform certform CAform CAkeyform CRLform crlform days
    set_serial subj addext extensions reqexts newkey pkeyopt sigopt vfyopt name section engine
    provider provider-path propquery cipher ciphersuites connect proxy servername host port
    accept url xoflen mac macopt hmac k K iv S md macalg caname purpose verify_hostname
    verify_email verify_ip verify_depth policy attime auth_level nameopt certopt reqopt
    checkhost checkemail checkip ext keyopt algorithm starttls xmpphost alpn nextprotoneg psk
    psk_identity srpuser srppass dane_tlsa_domain dane_tlsa_rrdata ssl_config startdate enddate
    copy_extensions crldays crlhours crlsec rand digest tsa_section bufsize dateopt not_before
    not_after""".split()  # noqa: SIM905
)
_OPENSSL_DIGESTS = (
    r"dgst|md[245]|mdc2|sha(?:1|224|256|384|512(?:-2(?:24|56))?)|sha3-\d+|shake\d+|blake2[bs]\d*"
    r"|sm3|rmd160|ripemd(?:160)?"
)
# subcommands whose operands are files read: the digests, `verify CERT…`, `storeutl FILE`
_OPENSSL_FILE_OPERANDS = _OPENSSL_DIGESTS + "|verify|storeutl"


@_program("openssl")
def _openssl(base: str, args: list[str | None], sh: Shell) -> None:
    """``openssl COMMAND [OPTIONS] [OPERANDS]``: files are option values (``-in``, ``-key``,
    ``-passin file:…`` read, ``-out`` writes); operands are files only for the digests,
    ``verify`` and ``storeutl``; ``s_client``/``s_time -connect`` and ``ocsp -url`` contact."""
    from policyc.normalize.network import host_facts, url_facts

    if not args or args[0] is None:
        return
    sub = args[0]
    digest = re.fullmatch(_OPENSSL_DIGESTS, sub)
    reads = _OPENSSL_READS | ({"sign", "verify"} if digest else set())
    values = _OPENSSL_VALUES | reads | _OPENSSL_WRITES
    sends = sub == "s_client"
    found: list[tuple[str, str | None]] = []
    i = 1
    while i < len(args):
        a = args[i]
        if a is None or a == "-" or not a.startswith("-"):
            break
        i += 1
        if a == "--":
            break
        name = a.lstrip("-")
        value = None
        if name in values:
            value = args[i] if i < len(args) else None
            i += 1
        found.append((name, value))
    operands = args[i:]
    for name, value in found:
        if value is None or value == "-":
            continue
        if name in reads:
            sh.file("reads_file", value)
        elif name in _OPENSSL_WRITES:
            _write(sh, value)
        elif name in ("passin", "passout", "pass") and value.startswith("file:"):
            sh.file("reads_file", value[5:])
        elif name in ("connect", "proxy", "host"):
            host_facts(value, sh.facts, upload=sends and name != "host")
        elif name == "url":
            url_facts(value, sh.facts)
    if re.fullmatch(_OPENSSL_FILE_OPERANDS, sub):
        for f in _literal(operands):
            if "://" not in f and f != "-":
                sh.file("reads_file", f)
    elif sub in ("s_client", "s_time") and operands and operands[0] is not None:
        host_facts(operands[0], sh.facts, upload=sends)


# gpg commands whose operands are key or user ids (or, for the last ones, other values), not
# files
_GPG_KEY_COMMANDS = frozenset(
    """-k -K --list-keys --list-public-keys --list-secret-keys --list-signatures --list-sigs
    --check-signatures --check-sigs --fingerprint --delete-keys --delete-key
    --delete-secret-keys --delete-secret-key --delete-secret-and-public-keys
    --delete-secret-and-public-key --export --export-secret-keys --export-secret-subkeys
    --export-ssh-key --send-keys --send-key --recv-keys --recv-key --receive-keys --search-keys
    --search-key --refresh-keys --locate-keys --locate-external-keys --edit-key --sign-key
    --lsign-key --quick-sign-key --quick-lsign-key --quick-revoke-sig --quick-add-uid
    --quick-revoke-uid --quick-set-primary-uid --quick-add-key --quick-set-expire --quick-gen-key
    --quick-generate-key --gen-revoke --generate-revocation --desig-revoke
    --generate-designated-revocation --tofu-policy --change-passphrase --passwd --fetch-keys
    --gen-random --gen-prime --list-config --card-edit --card-status --gen-key --generate-key
    --full-gen-key --full-generate-key --version --help""".split()  # noqa: SIM905
)
_GPG_VALUES = (
    "output", "recipient", "local-user", "default-key", "homedir", "passphrase",
    "passphrase-file", "keyring", "secret-keyring", "primary-keyring", "trust-model",
    "cipher-algo", "digest-algo", "compress-algo", "default-recipient", "encrypt-to",
    "hidden-recipient", "recipient-file", "hidden-recipient-file", "keyserver",
    "keyserver-options", "status-fd", "logger-fd", "passphrase-fd", "command-fd", "attribute-fd",
    "comment", "set-filename", "sig-notation", "cert-notation", "set-notation", "trusted-key",
    "default-sig-expire", "default-cert-expire", "cert-digest-algo", "s2k-digest-algo",
    "s2k-cipher-algo", "s2k-mode", "s2k-count", "personal-cipher-preferences",
    "personal-digest-preferences", "personal-compress-preferences", "compress-level",
    "bzip2-compress-level", "options", "max-output", "pinentry-mode", "export-options",
    "import-options", "list-options", "verify-options", "auto-key-locate", "faked-system-time",
    "override-session-key", "trustdb-name", "agent-program", "dirmngr-program", "weak-digest",
    "sender", "photo-viewer", "exec-path", "charset", "display-charset", "input-size-hint",
    "known-notation", "request-origin", "compliance", "logger-file", "log-file", "key-origin",
    "set-policy-url", "sig-policy-url", "cert-policy-url", "sig-keyserver-url",
    "default-preference-list", "group", "min-cert-level", "completes-needed",
    "marginals-needed", "max-cert-depth", "tofu-default-policy", "default-new-key-algo",
    "ask-cert-level", "default-cert-level", "try-secret-key",
)  # fmt: skip


@_program("gpg", "gpg2")
def _gpg(base: str, args: list[str | None], sh: Shell) -> None:
    """Operands are files read, except for the commands that take key or user ids
    (``--list-keys alice``, ``--recv-keys ID``); ``--print-md ALGO FILE…`` reads its files;
    ``--keyserver`` is contacted (sent keys by ``--send-keys``); ``--fetch-keys URL…``."""
    from policyc.normalize.network import url_facts

    opts = gnu_options(
        args,
        short_values="oruRfFNz",
        long_values=_GPG_VALUES,
        aliases={"--output": "-o", "--recipient-file": "-f", "--hidden-recipient-file": "-F"},
    )
    reads = ("--passphrase-file", "-f", "-F", "--keyring", "--secret-keyring",
             "--primary-keyring", "--options")  # fmt: skip
    for f in _literal(opts.values(*reads)):
        if f != "-":
            sh.file("reads_file", f)
    for f in _literal(opts.values("-o", "--log-file", "--logger-file")):
        if f != "-":
            _write(sh, f)
    for viewer in opts.values("--photo-viewer"):
        if viewer is not None:
            sh.text(viewer)
    ops = list(opts.operands)
    for server in opts.values("--keyserver"):
        _first_host(sh, base, server, upload=opts.has("--send-keys", "--send-key"))
    if opts.has("--fetch-keys"):
        for url in _literal(ops):
            url_facts(url, sh.facts)
    if opts.has("--print-md"):
        ops = ops[1:]  # the digest algorithm comes first
    elif opts.has(*_GPG_KEY_COMMANDS):
        ops = []
    for f in _literal(ops):
        if f != "-":
            sh.file("reads_file", f)


# -- network --------------------------------------------------------------------------------

_SSH_VALUES = "BbcDEeFIiJLlmOoPpQRSWw"
_SCP_VALUES = "BbcDFiJlloPRSsX"
_SSH_LOCAL_COMMANDS = ("proxycommand", "localcommand", "knownhostscommand")


def _ssh_option(sh: Shell, option: str | None) -> None:
    """``-o Key=Value``: keys whose value is a command run on this machine are analysed."""
    if option is None:
        return
    key, _, value = option.strip().replace("=", " ", 1).partition(" ")
    value = value.strip()
    if key.lower() in _SSH_LOCAL_COMMANDS and value and value.lower() != "none":
        sh.text(value)
    elif key.lower() == "proxyjump":
        _jump_hosts(sh, value)


def _jump_hosts(sh: Shell, value: str | None) -> None:
    from policyc.normalize.network import command_network_facts

    for hop in (value or "").split(","):
        if hop and hop.lower() != "none":
            host = hop.split("://", 1)[-1].rsplit("@", 1)[-1].split(":", 1)[0]
            command_network_facts("ssh", [host], sh.facts)


@_program("ssh")
def _ssh(base: str, args: list[str | None], sh: Shell) -> None:
    from policyc.normalize.network import command_network_facts

    first = gnu_options(args, short_values=_SSH_VALUES, permute=False)
    if not first.operands:
        return
    dest = first.operands[0]
    rest = gnu_options(first.operands[1:], short_values=_SSH_VALUES, permute=False)
    for opts in (first, rest):
        for v in opts.values("-o"):
            _ssh_option(sh, v)
        for v in opts.values("-J"):
            _jump_hosts(sh, v)
    if dest is not None:
        command_network_facts("ssh", [dest], sh.facts)
    where = "a remote host" if dest is None else dest.rsplit("@", 1)[-1]
    if rest.operands:
        sh.add(
            "unresolved", "remote_command", f"ssh runs a command on {where} that is not analysed"
        )
    elif sh.stdin is not None and not (first.has("-N", "-W", "-O") or rest.has("-N", "-W", "-O")):
        sh.add(
            "unresolved",
            "remote_command",
            f"ssh runs commands read from {sh.stdin.source} on {where}, which are not analysed",
        )


@_program("scp", "sftp")
def _scp(base: str, args: list[str | None], sh: Shell) -> None:
    from policyc.normalize.network import command_network_facts

    opts = gnu_options(args, short_values=_SCP_VALUES)
    for v in opts.values("-o"):
        _ssh_option(sh, v)
    for v in opts.values("-J"):
        _jump_hosts(sh, v)
    for v in opts.values("-S"):
        if v is not None:
            sh.words([v])
    for v in opts.values("-b"):
        if v is not None and v != "-":
            sh.file("reads_file", v)
    ops = _literal(opts.operands)
    command_network_facts(base, ops, sh.facts)
    if base == "scp" and len(ops) > 1:
        if _remote_path(ops[-1]):
            for a in ops[:-1]:
                if not _remote_path(a):
                    sh.file("reads_file", a)
        elif not _remote_path(ops[-1]):
            _write(sh, ops[-1])
            for a in ops[:-1]:
                if not _remote_path(a):
                    sh.file("reads_file", a)


# -- HTTP clients -------------------------------------------------------------------------------

# curl's options that take a value (``curl --help all``, and newer ones), and its flags: both
# are needed to read an abbreviated long option as curl does (``--outp`` is ambiguous)
_CURL_VALUES = tuple(
    """abstract-unix-socket alt-svc aws-sigv4 cacert capath cert cert-type ciphers config
    connect-timeout connect-to continue-at cookie cookie-jar create-file-mode crlfile curves data
    data-ascii data-binary data-raw data-urlencode delegation dns-interface dns-ipv4-addr
    dns-ipv6-addr dns-servers doh-url dump-header ech egd-file engine etag-compare etag-save
    expect100-timeout form form-string ftp-account ftp-alternative-to-user ftp-method ftp-port
    ftp-ssl-ccc-mode happy-eyeballs-timeout-ms header hostpubmd5 hostpubsha256 hsts interface
    ip-tos ipfs-gateway json keepalive-cnt keepalive-time key key-type knownhosts krb libcurl
    limit-rate local-port login-options mail-auth mail-from mail-rcpt max-filesize max-redirs
    max-time netrc-file noproxy oauth2-bearer output output-dir parallel-max pass pinnedpubkey
    preproxy proto proto-default proto-redir proxy proxy-cacert proxy-capath proxy-cert
    proxy-cert-type proxy-ciphers proxy-crlfile proxy-header proxy-key proxy-key-type proxy-pass
    proxy-pinnedpubkey proxy-service-name proxy-tls13-ciphers proxy-tlsauthtype
    proxy-tlspassword proxy-tlsuser proxy-user proxy1.0 pubkey quote random-file range rate
    referer request request-target resolve retry retry-delay retry-max-time sasl-authzid
    service-name sigalgs socks4 socks4a socks5 socks5-gssapi-service socks5-hostname
    speed-limit speed-time ssl-sessions stderr telnet-option tftp-blksize time-cond tls-max
    tls13-ciphers tlsauthtype tlspassword tlsuser trace trace-ascii trace-config unix-socket
    upload-file upload-flags url url-query user user-agent variable vlan-priority
    write-out""".split()  # noqa: SIM905
)
_CURL_FLAGS = tuple(
    """anyauth append basic ca-native cert-status compressed compressed-ssh create-dirs crlf
    digest disable disable-eprt disable-epsv disallow-username-in-url doh-cert-status
    doh-insecure dump-ca-embed fail fail-early fail-with-body false-start follow form-escape
    ftp-create-dirs ftp-pasv ftp-pret ftp-skip-pasv-ip ftp-ssl-ccc ftp-ssl-control get globoff
    haproxy-clientip haproxy-protocol head help http0.9 http1.0 http1.1 http2
    http2-prior-knowledge http3 http3-only ignore-content-length include insecure ipv4 ipv6
    junk-session-cookies list-only location location-trusted mail-rcpt-allowfails manual
    metalink mptcp negotiate netrc netrc-optional next no-alpn no-buffer no-clobber no-keepalive
    no-npn no-progress-meter no-sessionid ntlm ntlm-wb out-null parallel parallel-immediate
    path-as-is post301 post302 post303 progress-bar proxy-anyauth proxy-basic proxy-ca-native
    proxy-digest proxy-http2 proxy-insecure proxy-negotiate proxy-ntlm proxy-ssl-allow-beast
    proxy-ssl-auto-client-cert proxy-tlsv1 proxytunnel raw remote-header-name remote-name
    remote-name-all remote-time remove-on-error retry-all-errors retry-connrefused sasl-ir
    show-error silent skip-existing socks5-basic socks5-gssapi socks5-gssapi-nec ssl
    ssl-allow-beast ssl-auto-client-cert ssl-no-revoke ssl-reqd ssl-revoke-best-effort sslv2
    sslv3 styled-output suppress-connect-headers tcp-fastopen tcp-nodelay tftp-no-options tlsv1
    tlsv1.0 tlsv1.1 tlsv1.2 tlsv1.3 tr-encoding trace-ids trace-time use-ascii verbose version
    xattr""".split()  # noqa: SIM905
)
_CURL_ALIASES = {
    "--output": "-o", "--remote-name": "-O", "--upload-file": "-T", "--form": "-F",
    "--config": "-K", "--dump-header": "-D", "--cookie-jar": "-c", "--cookie": "-b",
    "--data": "-d", "--proxy": "-x", "--request": "-X", "--remote-header-name": "-J",
    "--globoff": "-g", "--cert": "-E",
}  # fmt: skip
_CURL_UPLOADS = ("-d", "--data-ascii", "--data-binary", "--data-raw", "--data-urlencode",
                 "--json", "-F", "--form-string", "-T")  # fmt: skip
_CURL_PROXIES = ("-x", "--preproxy", "--proxy1.0", "--socks4", "--socks4a", "--socks5",
                 "--socks5-hostname")  # fmt: skip
_CURL_READS = ("-T", "--netrc-file", "--etag-compare", "--key", "--cacert", "--crlfile",
               "--proxy-key", "--proxy-cacert", "--proxy-crlfile")  # fmt: skip
_CURL_WRITES = ("-D", "-c", "--trace", "--trace-ascii", "--stderr", "--libcurl", "--etag-save",
                "--hsts", "--alt-svc")  # fmt: skip


def _curl_expanded(args: list[str | None]) -> list[str | None]:
    """``--expand-NAME VALUE`` (curl 8.3) is ``--NAME VALUE`` with ``{{variables}}`` replaced at
    run time: such a value is computed."""
    out: list[str | None] = []
    i = 0
    while i < len(args):
        a = args[i]
        i += 1
        if a is None or not a.startswith("--expand-"):
            out.append(a)
            if a == "--":
                return out + args[i:]
            continue
        name, eq, value = a.removeprefix("--expand-").partition("=")
        v = value if eq else (args[i] if i < len(args) else None)
        i += 0 if eq else 1
        out += ["--" + name, None if v is None or "{{" in v else v]
    return out


def _at_file(value: str) -> str | None:
    """The file of ``name@file`` (``--data-urlencode``, ``--variable``): an ``@`` before any
    ``=``; None for none or stdin."""
    at = value.find("@")
    eq = value.find("=")
    if at < 0 or 0 <= eq < at:
        return None
    path = value[at + 1 :]
    return path if path not in ("", "-") else None


def _http_proxy(sh: Shell, prog: str, proxy: str | None, *, upload: bool) -> None:
    from policyc.normalize.network import host_facts

    if proxy is None:
        sh.add("unresolved", "url", f"a proxy of {prog} is computed at run time")
    elif proxy:
        host_facts(proxy, sh.facts, upload=upload)


_CURL_CONNECT_TO = re.compile(r"(\[[^\]]*\]|[^:]*):([^:]*):(\[[^\]]*\]|[^:]*)(?::.*)?")
_CURL_RESOLVE = re.compile(r"[+-]?(\[[^\]]*\]|[^:]*):([^:]*):(.*)")


def _curl_connects(sh: Shell, value: str | None, pattern: re.Pattern[str], *, upload: bool) -> None:
    """``--connect-to HOST1:PORT1:HOST2:PORT2`` and ``--resolve HOST:PORT:ADDRESS[,ADDRESS…]``
    send the connection to another host than the URL's."""
    from policyc.normalize.network import host_facts

    if value is None:
        sh.add("unresolved", "url", "a host curl connects to is computed at run time")
        return
    m = pattern.fullmatch(value)
    for target in m.group(3).split(",") if m else []:
        if target.strip("[]"):
            host_facts(target, sh.facts, upload=upload)


@_program("curl")
def _curl(base: str, args: list[str | None], sh: Shell) -> None:
    from policyc.normalize.network import (
        UPLOAD_METHODS,
        curl_globs,
        curl_scheme,
        url_facts,
        url_file_name,
    )

    opts = gnu_options(
        _curl_expanded(args),
        short_values="AbcCdDeEFHKmoPQrtTuUwxXyYz",
        long_values=_CURL_VALUES,
        long_names=_CURL_VALUES + _CURL_FLAGS,
        aliases=_CURL_ALIASES,
    )
    upload = opts.has(*_CURL_UPLOADS) or any(
        m is None or m.upper() in UPLOAD_METHODS for m in opts.values("-X")
    )
    out_dir = next(reversed(_literal(opts.values("--output-dir"))), "")
    for a in _literal(opts.values("-o")):
        if a != "-":
            _write(sh, posixpath.join(out_dir, a) if not a.startswith("~") else a)
    for a in _literal(opts.values(*_CURL_WRITES)):
        if a != "-":
            _write(sh, a)
    for a in _literal(opts.values(*_CURL_READS)):
        if a not in ("-", "."):
            sh.file("reads_file", a)
    for a in _literal(opts.values("-E", "--proxy-cert")):  # CERTIFICATE[:PASSWORD]
        if a and not a.startswith("pkcs11:"):
            sh.file("reads_file", a.split(":", 1)[0])
    for a in _literal(opts.values("-b")):  # a file unless it holds a cookie (name=value)
        if a and "=" not in a and a != "-":
            sh.file("reads_file", a)
    for a in _literal(opts.values("-d", "--data-ascii", "--data-binary", "--json")):
        if a.startswith("@") and a[1:] not in ("", "-"):
            sh.file("reads_file", a[1:])
    for a in _literal(opts.values("--data-urlencode", "--variable")):
        path = _at_file(a)
        if path is not None:
            sh.file("reads_file", path)
    for a in _literal(opts.values("-F")):
        value = a.split("=", 1)[-1]
        quoted = value[1:2] == '"'  # name=@"file;with;semicolons";type=…
        path = value[2:].split('"', 1)[0] if quoted else value[1:].split(";", 1)[0]
        if value[:1] in ("@", "<") and path not in ("", "-"):
            sh.file("reads_file", path)
    for config in opts.values("-K"):
        if config is not None and config != "-":
            sh.file("reads_file", config)
        where = "stdin" if config == "-" else f"the file {config}" if config else "a file"
        sh.add("unresolved", "url", f"curl reads options from {where}, which are not seen")
    for proxy in opts.values(*_CURL_PROXIES):
        _http_proxy(sh, base, proxy, upload=upload)
    for target in opts.values("--connect-to"):
        _curl_connects(sh, target, _CURL_CONNECT_TO, upload=upload)
    for target in opts.values("--resolve"):
        _curl_connects(sh, target, _CURL_RESOLVE, upload=upload)
    for service in _literal(opts.values("--doh-url", "--ipfs-gateway")):
        url_facts(service, sh.facts)
    default = next(reversed(_literal(opts.values("--proto-default"))), None)
    remote_names = opts.has("-O", "--remote-name-all")
    for url in [*opts.values("--url"), *opts.operands]:
        if url is None:
            sh.add("unresolved", "url", "a URL of curl is computed at run time")
            continue
        urls = [url] if opts.has("-g") else curl_globs(url)
        if urls is None:
            sh.add("unresolved", "url", f"curl expands the URL pattern {url!r} at run time")
            continue
        for u in urls:
            scheme = curl_scheme(u, default)
            url_facts(u, sh.facts, upload=upload, default_scheme=scheme)
            name = url_file_name(u, scheme) if remote_names else ""
            if name:
                _write(sh, posixpath.join(out_dir, name), named=True)
    if remote_names and opts.has("-J"):
        sh.add("unresolved", "path", "curl -J writes a file named by the server's reply")


_WGET_VALUES = tuple(
    """accept accept-regex append-output backups base bind-address bind-dns-address body-data
    body-file ca-certificate ca-directory certificate certificate-type ciphers compression config
    connect-timeout crl-file cut-dirs default-page directory-prefix dns-servers dns-timeout
    domains egd-file exclude-directories exclude-domains execute follow-tags ftp-password
    ftp-user header hsts-file http-password http-user ignore-tags include-directories input-file
    input-metalink level limit-rate load-cookies local-encoding max-redirect method
    metalink-index output-document output-file password pinnedpubkey post-data post-file
    prefer-family preferred-location private-key private-key-type progress proxy-password
    proxy-user quota random-file read-timeout referer regex-type reject reject-regex
    rejected-log remote-encoding report-speed restrict-file-names retry-on-http-error
    save-cookies secure-protocol start-pos timeout tries use-askpass user user-agent wait
    waitretry warc-dedup warc-file warc-header warc-max-size warc-tempdir""".split()  # noqa: SIM905
)
_WGET_FLAGS = tuple(
    """adjust-extension ask-password auth-no-challenge background backup-converted cache
    check-certificate clobber content-disposition content-on-error continue convert-file-only
    convert-links cookies debug delete-after directories dns-cache follow-ftp force-directories
    force-html ftps-clear-data-connection ftps-fallback-to-ftp ftps-implicit ftps-resume-ssl glob
    help host-directories hsts http-keep-alive https-only if-modified-since ignore-case
    ignore-length inet4-only inet6-only iri keep-badhash keep-session-cookies metalink-over-http
    mirror netrc no-cache no-check-certificate no-clobber no-config no-cookies no-directories
    no-dns-cache no-glob no-hsts no-host-directories no-http-keep-alive no-if-modified-since
    no-iri no-netrc no-parent no-passive-ftp no-proxy no-remove-listing
    no-use-server-timestamps no-verbose no-warc-compression no-warc-digests no-warc-keep-log
    page-requisites parent passive-ftp preserve-permissions protocol-directories proxy quiet
    random-wait recursive relative remove-listing retr-symlinks retry-connrefused save-headers
    server-response show-progress span-hosts spider strict-comments timestamping
    trust-server-names unlink use-server-timestamps verbose version warc-cdx xattr""".split()  # noqa: SIM905
)
_WGET_ALIASES = {
    "--output-document": "-O", "--output-file": "-o", "--append-output": "-a",
    "--input-file": "-i", "--directory-prefix": "-P", "--execute": "-e", "--recursive": "-r",
    "--mirror": "-m", "--page-requisites": "-p", "--force-directories": "-x",
}  # fmt: skip
# .wgetrc commands (`-e command`) that are options read above, by their name without `_`/`-`
_WGETRC = {
    "outputdocument": "--output-document", "logfile": "--output-file", "input": "--input-file",
    "dirprefix": "--directory-prefix", "postdata": "--post-data", "postfile": "--post-file",
    "bodydata": "--body-data", "bodyfile": "--body-file", "method": "--method",
    "useaskpass": "--use-askpass", "savecookies": "--save-cookies", "recursive": "--recursive",
    "mirror": "--mirror", "pagerequisites": "--page-requisites",
    "contentdisposition": "--content-disposition", "trustservernames": "--trust-server-names",
}  # fmt: skip
_WGETRC_PROXIES = ("httpproxy", "httpsproxy", "ftpproxy")


def _wget_options(args: list[str | None]) -> Options:
    return gnu_options(
        args,
        short_values="aABDeiIlnoOPQRtTUwX",
        long_values=_WGET_VALUES,
        long_names=_WGET_VALUES + _WGET_FLAGS,
        aliases=_WGET_ALIASES,
    )


@_program("wget")
def _wget(base: str, args: list[str | None], sh: Shell) -> None:
    from policyc.normalize.network import UPLOAD_METHODS, url_facts, url_file_name

    opts = _wget_options(args)
    extra: list[str | None] = []
    proxies: list[str | None] = []
    for command in opts.values("-e"):
        if command is None:
            sh.add("unresolved", "url", "wget -e runs a .wgetrc command computed at run time")
            continue
        key, _, value = command.partition("=")
        key = key.strip().replace("_", "").replace("-", "").lower()
        value = value.strip()
        if key in _WGETRC_PROXIES:
            proxies.append(value)
        elif key in _WGETRC and _WGETRC[key][2:] in _WGET_VALUES:
            extra += [_WGETRC[key], value]
        elif key in _WGETRC and value.lower() in ("on", "1", "yes", "true"):
            extra.append(_WGETRC[key])
    if extra:
        opts = _wget_options([*extra, *args])
    upload = opts.has("--post-data", "--post-file", "--body-data", "--body-file") or any(
        m is None or m.upper() in UPLOAD_METHODS for m in opts.values("--method")
    )
    for proxy in proxies:
        _http_proxy(sh, base, proxy, upload=upload)
    documents = opts.values("-O")
    for a in _literal(documents):
        if a != "-":
            _write(sh, a)
    for a in _literal(opts.values("-o", "-a", "--save-cookies", "--rejected-log", "--hsts-file")):
        if a != "-":
            _write(sh, a)
    reads = ("-i", "--post-file", "--body-file", "--load-cookies", "--config", "--certificate",
             "--private-key", "--ca-certificate", "--crl-file", "--input-metalink")  # fmt: skip
    for a in _literal(opts.values(*reads)):
        if a != "-":
            sh.file("reads_file", a)
    for what, names in (("URLs", ("-i", "--input-metalink")), ("options", ("--config",))):
        for source in opts.values(*names):
            where = "stdin" if source == "-" else f"the file {source}" if source else "a file"
            sh.add("unresolved", "url", f"wget reads {what} from {where}, which are not seen")
    for askpass in opts.values("--use-askpass"):
        sh.words([askpass])
    prefix = next(reversed(_literal(opts.values("-P"))), "")
    no_dirs = opts.has("--no-directories") or "d" in opts.values("-n")
    no_host = no_dirs or opts.has("--no-host-directories") or "H" in opts.values("-n")
    tree = opts.has("-r", "-m", "-p", "-x")
    named = not documents and not opts.has("--spider")
    for url in opts.operands:
        if url is None:
            sh.add("unresolved", "url", "a URL of wget is computed at run time")
            continue
        url_facts(url, sh.facts, upload=upload)
        if named and tree:
            host = url.split("://", 1)[-1].split("/", 1)[0].rsplit("@", 1)[-1]
            where = posixpath.join(prefix, "" if no_host else host) or "."
            _write(sh, where)
            sh.add("unresolved", "path", f"wget writes files below {where} named at run time")
        elif named:
            name = url_file_name(url, "http", query=True) or "index.html"
            _write(sh, posixpath.join(prefix, name), named=True)
    if named and opts.has("--content-disposition", "--trust-server-names"):
        sh.add("unresolved", "path", "wget names the file it writes from the server's reply")


_HTTP_METHODS = frozenset(
    {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "CONNECT", "QUERY"}
)
_HTTPIE_VALUES = (
    "auth", "auth-type", "output", "print", "style", "history-print", "session",
    "session-read-only", "verify", "cert", "cert-key", "cert-key-pass", "proxy", "timeout",
    "max-redirects", "max-headers", "pretty", "format-options", "response-charset",
    "response-mime", "ssl", "ciphers", "boundary", "default-scheme", "unix-socket", "raw",
    "bearer", "resolve", "interface", "http-version", "generate", "method",
)  # fmt: skip
# request item separators, the longer first where one starts another
_HTTPIE_SEPARATORS = (":=@", "==@", "=@", ":@", ":=", "==", "=", "@", ":")
_HTTPIE_DATA = {":=@", "=@", ":=", "=", "@"}  # items that are sent in the body
_HTTPIE_FILES = {":=@", "==@", "=@", ":@", "@"}  # items whose value is a file read


def _httpie_item(item: str) -> tuple[str, str] | None:
    """The separator and value of an HTTPie request item (the first separator not escaped by
    ``\\``), or None when the word has none."""
    k = 0
    while k < len(item):
        if item[k] == "\\":
            k += 2
            continue
        for sep in _HTTPIE_SEPARATORS:
            if item.startswith(sep, k):
                return sep, item[k + len(sep) :]
        k += 1
    return None


@_program("http", "https", "xh", "xhs")
def _httpie(base: str, args: list[str | None], sh: Shell) -> None:
    """HTTPie and xh: ``PROG [OPTIONS] [METHOD] URL [ITEM…]``."""
    from policyc.normalize.network import UPLOAD_METHODS, url_facts, url_file_name

    opts = gnu_options(
        args,
        short_values="aAopsP",
        long_values=_HTTPIE_VALUES,
        aliases={"--output": "-o", "--download": "-d", "--ignore-stdin": "-I"},
    )
    ops = opts.operands
    if len(ops) >= 2 and ops[0] is not None and re.fullmatch(r"[A-Za-z]+", ops[0]):
        method: str | None = ops[0].upper()
        urls, items = [ops[1]], ops[2:]
        if method not in _HTTP_METHODS:  # `http localhost a=1`: also as xh reads it
            second = _httpie_item(ops[1]) if ops[1] is not None else None
            urls, items = ([ops[0]] if second else [ops[0], ops[1]]), ops[1:]
    else:
        method, urls, items = None, ops[:1], ops[1:]
    upload = (
        method in UPLOAD_METHODS
        or opts.has("--raw")
        or any(m is None or m.upper() in UPLOAD_METHODS for m in opts.values("--method"))
        or (sh.stdin is not None and not opts.has("-I"))
    )
    for item in items:
        parsed = _httpie_item(item) if item is not None else ("=", "")
        if parsed is None:
            continue
        sep, value = parsed
        upload = upload or sep in _HTTPIE_DATA
        if sep in _HTTPIE_FILES and value.split(";", 1)[0] not in ("", "-"):
            sh.file("reads_file", value.split(";", 1)[0])
    for out in _literal(opts.values("-o")):
        _write(sh, out)
    for proxy in opts.values("--proxy"):  # PROTOCOL:URL
        _http_proxy(sh, base, None if proxy is None else proxy.partition(":")[2], upload=upload)
    if opts.has("--offline"):
        return
    scheme = next(reversed(_literal(opts.values("--default-scheme"))), None)
    scheme = scheme or ("https" if base in ("https", "xhs") or opts.has("--https") else "http")
    for url in urls:
        if url is None:
            sh.add("unresolved", "url", f"a URL of {base} is computed at run time")
            continue
        if url.startswith(":"):  # `:3000/x` is localhost:3000/x
            url = "localhost" + (url if url[1:2] not in ("", "/") else url[1:])
        url_facts(url, sh.facts, upload=upload, default_scheme=scheme)
        if opts.has("-d") and not opts.values("-o"):
            name = url_file_name(url, scheme)
            if name:
                _write(sh, name, named=True)
    if opts.has("-d") and not opts.values("-o"):
        sh.add("unresolved", "path", f"{base} --download names the file it writes from the reply")


# -- netcat, telnet, ftp, mosh -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Netcat:
    """How one netcat reads its options."""

    flags: str  # short options without a value
    values: str  # short options that take one
    proxy: tuple[str, ...] = ()  # options naming a proxy host
    program: tuple[str, ...] = ()  # options naming a program run on the connection
    script: tuple[str, ...] = ()  # options giving shell text run on the connection
    reads: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()


# `nc` and `netcat` may be any of several programs whose options differ (`-c` is a flag of OpenBSD's
# and takes shell text in the others): the command line is read as each of them reads it (a
# reading with an option that program does not have is dropped) and the facts of every reading
# are given
_NETCATS = {
    "openbsd": _Netcat("46cDdFhklNnrStUuvz", "CeHIiKMmOoPpRsTVWwXxZ", proxy=("-x",),
                       reads=("-C", "-K", "-R", "-Z", "-o")),
    "debian": _Netcat("46bCDdFhklNnrStUuvZz", "IiMmOPpqsTVWwXx", proxy=("-x",)),
    "traditional": _Netcat("bCdhklnrtuvz", "ceGgiopqsTw", program=("-e",), script=("-c",),
                           writes=("-o",)),
    "ncat": _Netcat("46CUhklntuvz", "cdeGgimopswx", proxy=("--proxy",),
                    program=("-e", "--exec"), script=("-c", "--sh-exec"),
                    reads=("--ssl-cert", "--ssl-key", "--ssl-trustfile", "--ssl-crl",
                           "--allowfile", "--denyfile"),
                    writes=("-o", "-x", "--output", "--hex-dump")),
}  # fmt: skip
_NCAT_VALUES = (
    "sh-exec", "exec", "lua-exec", "max-conns", "delay", "output", "hex-dump", "idle-timeout",
    "source-port", "source", "wait", "allow", "allowfile", "deny", "denyfile", "proxy",
    "proxy-type", "proxy-auth", "proxy-dns", "ssl-cert", "ssl-key", "ssl-trustfile",
    "ssl-ciphers", "ssl-servername", "ssl-alpn", "ssl-crl",
)  # fmt: skip


_NETCAT_NAMES = {
    "ncat": ["ncat"], "nc.openbsd": ["openbsd", "debian"], "nc.traditional": ["traditional"],
}  # fmt: skip


def _netcat_readings(base: str, args: list[str | None]) -> list[tuple[_Netcat, Options]]:
    names = _NETCAT_NAMES.get(base, list(_NETCATS))
    readings = []
    for name in names:
        spec = _NETCATS[name]
        ncat = name == "ncat"
        opts = gnu_options(
            args,
            short_values=spec.values,
            long_values=_NCAT_VALUES if ncat else (),
            aliases={"--listen": "-l", "--unixsock": "-U"} if ncat else {},
        )
        known = spec.flags + spec.values
        valid = all(
            ncat if n.startswith("--") else n[1:] in known for cands, _ in opts.found for n in cands
        )
        readings.append((spec, opts, valid))
    chosen = [(spec, opts) for spec, opts, valid in readings if valid]
    return chosen or [(spec, opts) for spec, opts, _ in readings]


@_program("nc", "ncat", "netcat", "nc.openbsd", "nc.traditional")
def _netcat(base: str, args: list[str | None], sh: Shell) -> None:
    """The host connected to (not in listen mode nor for a Unix socket) is contacted and sent
    what nc reads; programs and shell text run on the connection (``-e``, ``-c``) read from it."""
    from policyc.normalize.network import host_facts

    hosts: dict[str | None, None] = {}
    found: dict[tuple[str, str | None], None] = {}
    for spec, opts in _netcat_readings(base, args):
        if opts.operands and not opts.has("-l", "-U"):
            hosts[opts.operands[0]] = None
        for kind, names in (("proxy", spec.proxy), ("program", spec.program),
                            ("script", spec.script), ("reads", spec.reads),
                            ("writes", spec.writes), ("lua", ("--lua-exec",))):  # fmt: skip
            for value in opts.values(*names):
                found[(kind, value)] = None
    for host in hosts:
        if host is None:
            sh.add("unresolved", "url", f"the host {base} connects to is computed at run time")
        else:
            host_facts(host, sh.facts, upload=True)
    connection = Stdin(None, f"the network connection of {base}")
    for kind, value in found:
        if kind == "proxy":
            _http_proxy(sh, base, value, upload=True)
        elif kind == "program":
            sh.words(value.split() if value is not None else [None], connection)
        elif kind == "script" and value is None:
            sh.add("unresolved", "shell_string", f"{base} -c of text computed at run time")
        elif kind == "script" and value is not None:
            sh.text(value, connection)
        elif kind == "lua":
            _inline(sh, base)
            if value is not None:
                sh.file("reads_file", value)
        elif kind == "reads" and value is not None:
            sh.file("reads_file", value)
        elif kind == "writes" and value is not None:
            _write(sh, value)


def _first_host(sh: Shell, prog: str, host: str | None, *, upload: bool = False) -> None:
    from policyc.normalize.network import host_facts

    if host is None:
        sh.add("unresolved", "url", f"the host {prog} connects to is computed at run time")
    else:
        host_facts(host, sh.facts, upload=upload)


@_program("telnet")
def _telnet(base: str, args: list[str | None], sh: Shell) -> None:
    ops = gnu_options(args, short_values="bSXeknl", permute=False).operands
    if ops:
        _first_host(sh, base, ops[0])


@_program("ftp", "tnftp")
def _ftp(base: str, args: list[str | None], sh: Shell) -> None:
    """``ftp HOST [PORT]``, or URLs to fetch; ``-u URL FILE…`` uploads the files."""
    from policyc.normalize.network import url_facts

    opts = gnu_options(args, short_values="oPrsTqu")
    uploads = opts.values("-u")
    for url in uploads:
        _first_host(sh, base, url, upload=True)
    ops = opts.operands
    if uploads:
        for f in _literal(ops):
            sh.file("reads_file", f)
        return
    if any(o is not None and "://" in o for o in ops):
        for url in _literal(ops):
            url_facts(url, sh.facts)
    elif ops:
        _first_host(sh, base, ops[0])


@_program("mosh")
def _mosh(base: str, args: list[str | None], sh: Shell) -> None:
    opts = gnu_options(
        args,
        short_values="p",
        long_values=("client", "server", "ssh", "port", "predict", "family", "bind-server",
                     "experimental-remote-ip"),
        permute=False,
    )  # fmt: skip
    for ssh in opts.values("--ssh"):
        if ssh is not None:
            sh.text(ssh)  # run here, to reach the host
    if not opts.operands:
        return
    host = opts.operands[0]
    _first_host(sh, base, host)
    if opts.operands[1:]:
        where = "a remote host" if host is None else host.rsplit("@", 1)[-1]
        sh.add(
            "unresolved", "remote_command", f"mosh runs a command on {where} that is not analysed"
        )


# -- git ------------------------------------------------------------------------------------

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


GitHandler = Callable[[str, list[str | None], Shell, _GitConfig], None]
_GIT_SUBCOMMANDS: dict[str, GitHandler] = {
    "push": _git_push,
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


# -- infrastructure ---------------------------------------------------------------------------

_TF_VALUES = (
    "target", "replace", "var", "var-file", "state", "state-out", "backup", "lock-timeout",
    "parallelism", "out", "config", "provider", "chdir", "backend-config", "plugin-dir",
    "generate-config-out", "exclude",
)  # fmt: skip
# terragrunt's own options that take a value (old --terragrunt-* names and the new ones)
_TG_VALUES = {
    "--terragrunt-working-dir", "--terragrunt-config", "--terragrunt-tfpath",
    "--terragrunt-download-dir", "--terragrunt-source", "--terragrunt-iam-role",
    "--terragrunt-include-dir", "--terragrunt-exclude-dir", "--terragrunt-log-level",
    "--terragrunt-parallelism", "--working-dir", "--config", "--tf-path", "--download-dir",
    "--source", "--iam-assume-role", "--queue-include-dir", "--queue-exclude-dir", "--log-level",
    "--parallelism", "--log-format", "--provider-cache-dir",
}  # fmt: skip


@_program("terraform", "tofu", "terragrunt")
def _terraform(tool: str, args: list[str | None], sh: Shell) -> None:
    words = list(args)
    if tool == "terragrunt":
        kept: list[str | None] = []
        k = 0
        while k < len(words):
            w = words[k]
            k += 1
            if w is not None and (w in _TG_VALUES or w.split("=", 1)[0] in _TG_VALUES):
                k += 1 if "=" not in w else 0
            elif w is None or not w.startswith("--terragrunt-"):
                kept.append(w)
        words = kept
    i = 0
    while i < len(words):
        w = words[i]
        if w is None:
            return
        if w in ("-chdir", "--chdir"):
            i += 2
        elif w.startswith("-") or (tool == "terragrunt" and w in ("run-all", "run", "--")):
            i += 1
        else:
            break
    if i >= len(words):
        return
    sub = words[i]
    opts = go_options(words[i + 1 :], _TF_VALUES)
    ops = opts.operands
    if sub in ("apply", "destroy"):
        destroy = sub == "destroy" or any("-destroy" in c and not _off(v) for c, v in opts.found)
        targets = opts.values("-target")
        for t in targets or [""]:
            sh.add("infra_op", tool, "destroy" if destroy else "apply", t or "")
        for r in opts.values("-replace"):
            sh.add("infra_op", tool, "replace", r or "")
    elif sub in ("taint", "import"):
        sh.add("infra_op", tool, sub, (ops[0] or "") if ops else "")
    elif sub == "force-unlock":
        sh.add("infra_op", tool, "force_unlock", (ops[0] or "") if ops else "")
    elif sub in ("state", "workspace") and ops:
        inner = ops[0]
        more = go_options(ops[1:], _TF_VALUES).operands
        op = {("state", "rm"): "state_rm", ("state", "push"): "state_push",
              ("workspace", "delete"): "workspace_delete"}.get((sub, inner or ""))  # fmt: skip
        if op is not None:
            for t in more or [""]:
                sh.add("infra_op", tool, op, t or "")


_PULUMI_VALUES = (
    "cwd", "stack", "color", "verbose", "tracing", "profiling", "memprofilerate", "target",
    "message", "config", "config-file", "secrets-provider", "exec-kind", "exec-agent",
    "policy-pack", "policy-pack-config", "parallel", "replace", "exclude", "plan",
)  # fmt: skip


@_program("pulumi")
def _pulumi(tool: str, args: list[str | None], sh: Shell) -> None:
    opts = gnu_options(
        args,
        short_values="Csvtmcp",
        long_values=_PULUMI_VALUES,
        aliases={"-C": "--cwd", "-s": "--stack", "-t": "--target", "-m": "--message"},
    )
    ops = opts.operands
    if not ops or ops[0] is None:
        return
    verb = {"destroy": "destroy", "down": "destroy", "dn": "destroy", "up": "up",
            "update": "up"}.get(ops[0])  # fmt: skip
    stack = next(iter(opts.values("--stack")), None) or ""
    if verb is not None:
        if verb == "destroy" and opts.has("--preview-only"):
            return
        for t in opts.values("--target") or [stack]:
            sh.add("infra_op", tool, verb, t or "")
        if verb == "up":
            for r in opts.values("--replace"):
                sh.add("infra_op", tool, "replace", r or "")
    elif ops[0] == "stack" and len(ops) > 1 and ops[1] in ("rm", "remove"):
        name = ops[2] if len(ops) > 2 else stack
        sh.add("infra_op", tool, "stack_rm", name or "")


_KUBE_VALUES = (
    "namespace", "context", "kubeconfig", "cluster", "user", "server", "token", "as", "as-group",
    "as-uid", "certificate-authority", "client-certificate", "client-key", "request-timeout",
    "cache-dir", "tls-server-name", "username", "password", "profile", "profile-output", "v",
    "vmodule", "log-file", "filename", "selector", "output", "container", "field-selector",
    "grace-period", "timeout", "kustomize", "replicas", "current-replicas", "resource-version",
    "patch", "type", "patch-file", "image", "port", "field-manager", "for", "chunk-size",
    "subresource", "template", "sort-by", "label-columns", "overrides", "env", "labels",
    "limits", "requests", "restart", "serviceaccount", "pod-running-timeout", "to-revision",
    "revision", "prune-allowlist", "skip-wait-for-delete-timeout", "pod-selector", "raw",
    "target-port", "protocol", "name", "min", "max", "cpu-percent", "from-literal",
    "from-file", "from-env-file", "docker-server", "docker-username", "docker-password",
    "cert", "key", "clusterrole", "role", "serviceaccount", "group", "verb", "resource",
    "schedule", "key", "local-port",
)  # fmt: skip
_KUBE_SHORT_VALUES = "nsvflockpeL"
_KUBE_READ_ONLY = {
    "get", "describe", "logs", "log", "top", "explain", "version", "api-resources",
    "api-versions", "cluster-info", "diff", "auth", "completion", "config", "wait", "events",
    "options", "plugin", "help", "kustomize", "alpha",
}  # fmt: skip
_KUBE_KINDS = {
    "po": "pod", "pods": "pod", "deploy": "deployment", "deployments": "deployment",
    "svc": "service", "services": "service", "ns": "namespace", "namespaces": "namespace",
    "no": "node", "nodes": "node", "cm": "configmap", "configmaps": "configmap",
    "secrets": "secret", "sts": "statefulset", "statefulsets": "statefulset",
    "ds": "daemonset", "daemonsets": "daemonset", "rs": "replicaset", "replicasets": "replicaset",
    "pvc": "persistentvolumeclaim", "persistentvolumeclaims": "persistentvolumeclaim",
    "pv": "persistentvolume", "persistentvolumes": "persistentvolume", "ing": "ingress",
    "ingresses": "ingress", "jobs": "job", "cj": "cronjob", "cronjobs": "cronjob",
    "sa": "serviceaccount", "serviceaccounts": "serviceaccount",
    "crd": "customresourcedefinition", "crds": "customresourcedefinition",
    "customresourcedefinitions": "customresourcedefinition", "hpa": "horizontalpodautoscaler",
    "horizontalpodautoscalers": "horizontalpodautoscaler", "ep": "endpoints",
    "netpol": "networkpolicy", "networkpolicies": "networkpolicy", "roles": "role",
    "rolebindings": "rolebinding", "clusterroles": "clusterrole",
    "clusterrolebindings": "clusterrolebinding", "pdb": "poddisruptionbudget",
    "poddisruptionbudgets": "poddisruptionbudget", "sc": "storageclass",
    "storageclasses": "storageclass", "rc": "replicationcontroller",
    "replicationcontrollers": "replicationcontroller", "ev": "event", "events": "event",
}  # fmt: skip
_KUBE_BUILTIN = set(_KUBE_KINDS.values()) | {"pod", "secret", "ingress", "job", "endpoints"}
# verbs whose operands name one object of an implied kind
_KUBE_IMPLIED = {"drain": "node", "cordon": "node", "uncordon": "node", "exec": "pod",
                 "attach": "pod", "port-forward": "pod", "run": "pod", "debug": "pod"}  # fmt: skip
# verbs (and kinds of `create`) followed by a word that is not an object
_KUBE_SUBVERBS = {"rollout", "set", "create secret", "create service"}


def _kube_kind(word: str) -> str:
    head, dot, group = word.lower().partition(".")
    kind = _KUBE_KINDS.get(head, head)
    return kind if kind in _KUBE_BUILTIN else kind + dot + group


def _kube_targets(verb: str, ops: list[str | None]) -> list[str]:
    words = [o for o in ops if o is not None]
    implied = _KUBE_IMPLIED.get(verb)
    if implied is not None:
        if not words:
            return [""]
        kind, slash, name = words[0].partition("/")
        return [f"{_kube_kind(kind)}/{name}" if slash else f"{implied}/{words[0]}"]
    if not words:
        return [""]
    if "/" in words[0]:
        out = []
        for w in words:
            kind, slash, name = w.partition("/")
            if slash:
                out.append(f"{_kube_kind(kind)}/{name}")
        return out
    kinds = [_kube_kind(k) for k in words[0].split(",") if k]
    names = words[1:] if verb in ("delete", "get") else words[1:2]
    names = [n for n in names if "=" not in n and not n.endswith("-")]
    if not names:
        return kinds
    return [f"{k}/{n}" for k in kinds for n in names]


@_program("kubectl", "oc", "k3s", "microk8s", "microk8s.kubectl")
def _kubectl(tool: str, args: list[str | None], sh: Shell) -> None:
    if tool in ("k3s", "microk8s"):
        if not args or args[0] != "kubectl":
            return
        tool, args = "kubectl", args[1:]
    elif tool == "microk8s.kubectl":
        tool = "kubectl"
    opts = gnu_options(
        args,
        short_values=_KUBE_SHORT_VALUES,
        long_values=_KUBE_VALUES,
        aliases={"-f": "--filename", "-k": "--kustomize"},
    )
    for f in _literal(opts.values("--filename")):
        if "://" in f:
            from policyc.normalize.network import url_facts

            url_facts(f, sh.facts)
        elif f != "-":
            sh.file("reads_file", f)
    for d in _literal(opts.values("--kustomize")):
        sh.file("reads_file", d)
    cut = opts.before_dashdash if opts.before_dashdash is not None else len(opts.operands)
    ops, command = opts.operands[:cut], opts.operands[cut:]
    if not ops or ops[0] is None:
        return
    verb, ops = ops[0], ops[1:]
    if verb in _KUBE_READ_ONLY:
        return
    if any(not _off(v) and v != "none" for c, v in opts.found if "--dry-run" in c):
        return
    if verb == "rollout":
        if ops and ops[0] in ("status", "history"):
            return
        ops = ops[1:]
    elif verb == "set":
        ops = ops[1:]
    elif verb == "create" and ops and ops[0] in ("secret", "service"):
        ops = ops[:1] + ops[2:]  # `create secret generic NAME`: the secret's type is no name
    if opts.has("--filename", "--kustomize") and verb not in _KUBE_IMPLIED:
        targets = [""]
    else:
        targets = _kube_targets(verb, ops)
    for t in targets:
        sh.add("infra_op", tool, verb, t)
    if verb == "exec" and (command or len(ops) > 1):
        sh.add(
            "unresolved",
            "remote_command",
            f"{tool} exec runs a command in a container that is not analysed",
        )


_HELM_VALUES = (
    "namespace", "kube-context", "kubeconfig", "kube-apiserver", "kube-as-user", "kube-as-group",
    "kube-ca-file", "kube-token", "kube-tls-server-name", "registry-config", "repository-cache",
    "repository-config", "burst-limit", "qps", "values", "set", "set-string", "set-file",
    "set-json", "set-literal", "version", "timeout", "description", "repo", "username",
    "password", "post-renderer", "post-renderer-args", "output", "history-max", "cascade",
    "ca-file", "cert-file", "key-file", "keyring", "labels", "name-template", "max-history",
)  # fmt: skip
_HELM_OPS = {"uninstall": "uninstall", "delete": "uninstall", "del": "uninstall",
             "un": "uninstall", "upgrade": "upgrade", "install": "install",
             "rollback": "rollback"}  # fmt: skip


@_program("helm")
def _helm(tool: str, args: list[str | None], sh: Shell) -> None:
    opts = gnu_options(
        args,
        short_values="nfol",
        long_values=_HELM_VALUES,
        aliases={"-f": "--values", "-g": "--generate-name"},
    )
    for f in _literal(opts.values("--values")):
        if "://" not in f and f != "-":
            sh.file("reads_file", f)
    ops = opts.operands
    if not ops or ops[0] is None:
        return
    op = _HELM_OPS.get(ops[0])
    if op is None or any(not _off(v) and v != "none" for c, v in opts.found if "--dry-run" in c):
        return
    names = ops[1:]
    if op == "install" and opts.has("--generate-name"):
        names = []
    elif op != "uninstall":
        names = names[:1]
    for name in names or [""]:
        sh.add("infra_op", tool, op, name or "")


# -- publishing packages ----------------------------------------------------------------------

_PYPI = "upload.pypi.org"
_PYPI_NAMES = {"pypi": _PYPI, "testpypi": "test.pypi.org", "main": _PYPI, "test": "test.pypi.org"}


def _publish(sh: Shell, tool: str, registry: str | None, *, named: str | None = None) -> None:
    """``registry``: a URL or host; ``named``: a repository named in configuration instead."""
    from policyc.normalize.network import canonical_host

    host: str | None = None
    if named is not None:
        if "://" in named:
            registry = named
        else:
            host = _PYPI_NAMES.get(named.lower()) if tool not in ("cargo",) else None
            if host is None:
                sh.add("publishes_package", tool, "")
                sh.add(
                    "unresolved",
                    "registry",
                    f"{tool} publishes to the repository {named!r} defined in configuration",
                )
                return
    if host is None and registry is not None:
        from urllib.parse import urlsplit

        try:
            text = registry if "://" in registry else "//" + registry
            host = canonical_host(urlsplit(text).hostname or "")
        except ValueError:
            host = None
    if host is None:
        sh.add("publishes_package", tool, "")
        sh.add("unresolved", "registry", f"the registry {tool} publishes to is not known")
        return
    sh.add("publishes_package", tool, host)
    sh.add("contacts_host", host)
    sh.add("uploads_to", host)


_NPM_VALUES = ("registry", "tag", "access", "otp", "workspace", "prefix", "userconfig",
               "cache", "loglevel", "filter", "dir", "provenance-file")  # fmt: skip


@_program("npm", "pnpm", "yarn")
def _npm(tool: str, args: list[str | None], sh: Shell) -> None:
    opts = gnu_options(
        args,
        short_values="wCF",
        long_values=_NPM_VALUES,
        aliases={"-w": "--workspace", "-C": "--dir", "-F": "--filter"},
    )
    ops = list(opts.operands)
    if tool == "yarn":
        if ops[:1] == ["workspace"] or ops[:2] == ["workspaces", "foreach"]:
            ops = ops[2:]
        if ops[:1] == ["npm"]:
            ops = ops[1:]
    if not ops or ops[0] is None:
        return
    sub = ops[0]
    if not (sub == "publish" or (tool == "npm" and len(sub) >= 2 and "publish".startswith(sub))):
        return
    if any(not _off(v) for c, v in opts.found if "--dry-run" in c):
        return
    registry = opts.values("--registry")
    default = "registry.yarnpkg.com" if tool == "yarn" else "registry.npmjs.org"
    _publish(sh, tool, registry[-1] if registry else default)


@_program("twine", "poetry", "flit", "hatch", "pdm", "uv")
def _python_publish(tool: str, args: list[str | None], sh: Shell) -> None:
    opts = gnu_options(
        args,
        short_values={"twine": "rupci", "poetry": "rupCP", "flit": "", "hatch": "ruaoep",
                      "pdm": "ruPcpd", "uv": "utpP"}[tool],
        long_values=("repository", "repository-url", "repo", "username", "user", "password",
                     "comment", "identity", "sign-with", "config-file", "cert", "client-cert",
                     "ca-cert", "client-key", "auth", "option", "publish-url", "index", "token",
                     "directory", "project", "pypirc", "check-url", "keyring-provider", "env",
                     "python", "trusted-publishing"),
        aliases={"-r": "--repository", "--repo": "--repository"},
    )  # fmt: skip
    ops = opts.operands
    sub = "upload" if tool == "twine" else "publish"
    if not ops or ops[0] != sub:
        return
    if any(not _off(v) for c, v in opts.found if "--dry-run" in c):
        return
    urls = opts.values("--repository-url") or opts.values("--publish-url")
    names = opts.values("--repository") or opts.values("--index")
    if urls:
        _publish(sh, tool, urls[-1])
    elif names and names[-1] is not None:
        _publish(sh, tool, None, named=names[-1])
    elif names:
        _publish(sh, tool, None)
    else:
        _publish(sh, tool, _PYPI)


@_program("cargo")
def _cargo(tool: str, args: list[str | None], sh: Shell) -> None:
    opts = gnu_options(
        [a for a in args if a is None or not a.startswith("+")],
        short_values="pjFCZ",
        long_values=("registry", "index", "token", "package", "manifest-path", "target",
                     "target-dir", "jobs", "features", "config", "color", "lockfile-path"),
        aliases={"-n": "--dry-run"},
    )  # fmt: skip
    if opts.operands[:1] != ["publish"] or opts.has("--dry-run"):
        return
    index = opts.values("--index")
    registry = opts.values("--registry")
    if index:
        _publish(sh, tool, index[-1])
    elif registry and registry[-1] is not None:
        _publish(sh, tool, None, named=registry[-1])
    elif registry:
        _publish(sh, tool, None)
    else:
        _publish(sh, tool, "crates.io")


@_program("gem")
def _gem(tool: str, args: list[str | None], sh: Shell) -> None:
    opts = gnu_options(args, short_values="kp", long_values=("host", "key", "otp", "http-proxy"))
    if opts.operands[:1] == ["push"]:
        hosts = opts.values("--host")
        _publish(sh, tool, hosts[-1] if hosts else "rubygems.org")


def image_registry(image: str) -> str:
    """The registry host of an image reference (``ghcr.io/o/x:1`` → ``ghcr.io``; ``nginx`` →
    ``docker.io``), without a port."""
    ref = image.split("://", 1)[-1]
    first, slash, _ = ref.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        return first.rsplit(":", 1)[0] if not first.startswith("[") else first
    return "docker.io"


_DOCKER_GLOBAL = ("host", "context", "config", "log-level", "tlscacert", "tlscert", "tlskey",
                  "url", "connection", "root", "runroot", "storage-driver", "identity")  # fmt: skip
_DOCKER_VALUES = (
    *_DOCKER_GLOBAL,
    "tag", "platform", "output", "file", "build-arg", "target", "cache-from", "cache-to",
    "secret", "ssh", "label", "progress", "builder", "creds", "authfile", "cert-dir", "format",
    "digestfile", "sign-by", "compression-format", "retry", "network", "iidfile", "metadata-file",
)  # fmt: skip


@_program("docker", "podman")
def _docker(tool: str, args: list[str | None], sh: Shell) -> None:
    opts = gnu_options(
        args,
        short_values="HcltfoL",
        long_values=_DOCKER_VALUES,
        aliases={"-t": "--tag", "-o": "--output", "-f": "--file", "-H": "--host",
                 "-c": "--context", "-l": "--log-level"},
    )  # fmt: skip
    ops = opts.operands
    if ops[:1] == ["image"]:
        ops = ops[1:]
    if ops[:1] == ["buildx"]:
        ops = ops[1:]
    if not ops:
        return
    if ops[0] == "push":
        if len(ops) < 2 or ops[1] is None:
            _publish(sh, tool, None)
            return
        dest = ops[2] if tool == "podman" and len(ops) > 2 else ops[1]
        _publish(sh, tool, image_registry(dest) if dest is not None else None)
    elif ops[0] == "build":
        outputs = [v or "" for v in opts.values("--output")]
        if opts.has("--push") or any("type=registry" in o for o in outputs):
            for tag in opts.values("--tag") or [None]:
                _publish(sh, tool, image_registry(tag) if tag is not None else None)


# -- SQL clients ------------------------------------------------------------------------------

_SQL_DIALECT = {"psql": "postgres", "mysql": "mysql", "sqlite": "sqlite", "duckdb": "duckdb",
                "clickhouse": "clickhouse"}  # fmt: skip


def _sql(sh: Shell, family: str, text: str) -> None:
    """SQL text run by a client of ``family``: its client commands, then its statements."""
    text = _client_commands(sh, family, text)
    if not text.strip():
        return
    from policyc.normalize.sql import sql_facts

    for pred, rows in sql_facts(text, _SQL_DIALECT[family]).items():
        for row in rows:
            sh.add(pred, *row)


def _sql_arg(sh: Shell, family: str, client: str, text: str | None) -> None:
    if text is None:
        sh.add("unresolved", "sql", f"{client} runs SQL computed at run time")
    else:
        _sql(sh, family, text)


def _sql_file(sh: Shell, client: str, path: str | None) -> None:
    if path is None:
        sh.add("unresolved", "sql", f"{client} runs SQL from a file computed at run time")
        return
    sh.file("reads_file", path)
    sh.add("unresolved", "sql", f"{client} runs SQL from the file {path}, which is not analysed")


def _sql_stdin(sh: Shell, family: str, client: str) -> None:
    stdin = sh.stdin
    if stdin is None:
        return  # a terminal: nothing is run that the action names
    if stdin.text is not None:
        _sql(sh, family, stdin.text)
    if stdin.text is None or not stdin.exact:
        sh.add("unresolved", "sql", f"{client} runs SQL read from {stdin.source}")


def _db_host(sh: Shell, host: str | None) -> None:
    from policyc.normalize.network import canonical_host

    if host and not host.startswith("/"):
        canon = canonical_host(host.split(",")[0].rsplit(":", 1)[0] if "]" not in host else host)
        if canon is not None:
            sh.add("contacts_host", canon)


def _db_uri(sh: Shell, uri: str | None) -> None:
    if uri is None:
        return
    if "://" in uri:
        from urllib.parse import urlsplit

        try:
            _db_host(sh, urlsplit(uri).hostname)
        except ValueError:
            sh.add("unresolved", "url", "the database URI cannot be parsed")
    else:
        m = re.search(r"(?:^|\s)host\s*=\s*'?([^\s']+)", uri)
        if m:
            _db_host(sh, m.group(1))


def _meta_split(line: str) -> tuple[str, str]:
    """``line`` cut before its first backslash outside quotes: (SQL, meta-commands)."""
    quote = ""
    for k, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "\\":
            return line[:k], line[k:]
    return line, ""


_PSQL_HARMLESS = (
    r"(?:set|unset|pset|echo|qecho|warn|q|quit|x|timing|c|connect|conninfo|encoding|t|a|f|H|T|C"
    r"|\?|h|help|errverbose|if|elif|else|endif|r|reset|p|print|watch|gset|crosstabview|bind"
    r"|bind_named|close_prepared|parse|startpipeline|endpipeline|syncpipeline|flushrequest|flush"
    r"|getresults|sendpipeline|restrict|unrestrict|prompt|getenv|cd|sf\+?|sv\+?|z\S*|d\S*"
    r"|l(?!o_)\S*|copyright|g|gx|gdesc|copy)"
)


def _psql_meta(sh: Shell, meta: str) -> None:
    """psql meta-commands (``\\! cmd``, ``\\i file``, ``\\o |cmd`` …), several on a line."""
    while meta.startswith("\\"):
        m = re.match(r"\\(!|[A-Za-z_?+]+)", meta)
        name = m.group(1) if m else ""
        after = meta[len(name) + 1 :]
        if name == "!":
            sh.text(after.strip())
            return
        args, nxt = _meta_split(after)
        if not nxt:
            args, nxt = after, ""
        arg = args.strip()
        if name in ("i", "include", "ir", "include_relative"):
            _sql_file(sh, "psql", arg or None)
        elif name in ("o", "out", "g", "gx", "w", "write", "s") and arg:
            if arg.startswith("|"):
                sh.text(arg[1:])
            else:
                _write(sh, arg.strip("'"))
        elif name == "copy":
            for direction, target in re.findall(
                r"\b(to|from)\s+(?:program\s+)?'([^']*)'", arg, re.IGNORECASE
            ):
                if re.search(rf"\b{direction}\s+program\b", arg, re.IGNORECASE):
                    sh.text(target)
                elif direction.lower() == "to":
                    _write(sh, target)
                else:
                    sh.file("reads_file", target)
        elif name == "lo_import" and arg:
            sh.file("reads_file", arg.split()[0].strip("'"))
        elif name == "lo_export" and len(arg.split()) > 1:
            _write(sh, arg.split()[1].strip("'"))
        elif name == "gexec":
            sh.add("unresolved", "sql", "psql \\gexec runs the rows of a query as SQL")
        elif not re.fullmatch(_PSQL_HARMLESS, name):
            sh.add("unresolved", "sql", f"the psql meta-command \\{name} is not analysed")
        meta = nxt


_MYSQL_HARMLESS_WORDS = {
    "use", "connect", "charset", "status", "quit", "exit", "go", "ego", "help", "?", "clear",
    "rehash", "warnings", "nowarning", "print", "prompt", "resetconnection", "notee", "nopager",
    "query_attributes", "ssl_session_data_print",
}  # fmt: skip


def _mysql_lines(sh: Shell, text: str) -> str:
    sql: list[str] = []
    delimiter = ";"
    for line in text.split("\n"):
        word, _, rest = line.strip().partition(" ")
        low = word.lower()
        if low in ("system", "\\!"):
            sh.text(rest)
            continue
        if low in ("source", "\\."):
            _sql_file(sh, "mysql", rest.strip() or None)
            continue
        if low in ("tee", "\\t") and word != "\\t":
            if rest.strip():
                _write(sh, rest.strip())
            continue
        if low == "pager" or word == "\\P":
            if rest.strip():
                sh.text(rest)
            continue
        if low == "delimiter" or word == "\\d":
            delimiter = rest.strip() or ";"
            continue
        if low in _MYSQL_HARMLESS_WORDS and not rest.strip().endswith(";"):
            continue
        body, meta = _meta_split(line)
        while meta:
            cmd = meta[1:2]
            after = meta[2:]
            if cmd == "!":
                sh.text(after)
                break
            if cmd == ".":
                _sql_file(sh, "mysql", after.strip() or None)
                break
            if cmd == "P":
                sh.text(after)
                break
            if cmd == "T":
                _write(sh, after.strip())
                break
            if cmd in ("g", "G"):
                body += ";"
            elif cmd == "e":
                sh.add("unresolved", "sql", "the mysql \\e command runs an editor")
            more, meta = _meta_split(after)
            body += more
        if delimiter != ";" and body.rstrip().endswith(delimiter):
            body = body.rstrip()[: -len(delimiter)] + ";"
        sql.append(body)
    return "\n".join(sql)


_DOT_HARMLESS = {
    "tables", "schema", "fullschema", "mode", "headers", "header", "width", "timer", "quit",
    "exit", "help", "indexes", "indices", "databases", "show", "dump", "nullvalue", "separator",
    "echo", "bail", "changes", "print", "prompt", "stats", "eqp", "explain", "lint",
    "parameter", "scanstats", "dbinfo", "dbconfig", "limit", "timeout", "version", "sha3sum",
    "crnl", "binary", "check", "expert", "progress", "columns", "maxrows", "rows", "highlight",
    "last", "auth",
}  # fmt: skip


def _dot_lines(sh: Shell, family: str, text: str) -> str:
    """sqlite3 / duckdb dot-commands (``.shell``, ``.read``, ``.output`` …)."""
    import shlex

    sql: list[str] = []
    for line in text.split("\n"):
        if not line.lstrip().startswith("."):
            sql.append(line)
            continue
        name, _, rest = line.strip()[1:].partition(" ")
        try:
            words = shlex.split(rest)
        except ValueError:
            words = rest.split()
        operands: list[str | None] = [w for w in words if not w.startswith("-")]
        client = "sqlite3" if family == "sqlite" else family
        if name in ("shell", "system"):
            sh.text(" ".join(words))
        elif name in ("read", "import", "open", "restore"):
            target = operands[0] if name in ("read", "import") else (operands or [None])[-1]
            if target is not None and target.startswith("|"):
                sh.text(target[1:])
            elif name == "read":
                _sql_file(sh, client, target)
            elif target is not None:
                sh.file("reads_file", target)
        elif name in ("output", "once", "log", "trace", "backup", "save", "clone", "excel"):
            target = (operands or [None])[-1]
            if target is not None and target.startswith("|"):
                sh.text(target[1:])
            elif target is not None and target not in ("stdout", "stderr", "off"):
                _write(sh, target)
        elif name not in _DOT_HARMLESS:
            sh.add("unresolved", "sql", f"the {client} command .{name} is not analysed")
    return "\n".join(sql)


def _client_commands(sh: Shell, family: str, text: str) -> str:
    """Client commands in SQL text acted on; the text left for the SQL analyser."""
    if family == "psql":
        kept = []
        for line in text.split("\n"):
            body, meta = _meta_split(line)
            if meta:
                _psql_meta(sh, meta)
            # a meta line stays for the SQL analyser, which reads \copy lines
            kept.append(line if line.lstrip().startswith("\\") else body)
        return "\n".join(kept)
    if family == "mysql":
        return _mysql_lines(sh, text)
    if family in ("sqlite", "duckdb"):
        return _dot_lines(sh, family, text)
    return text


@_program("psql")
def _psql(client: str, args: list[str | None], sh: Shell) -> None:
    opts = gnu_options(
        args,
        short_values="cdfhpUvoLTFRP",
        long_values=("command", "dbname", "file", "host", "port", "username", "set", "variable",
                     "output", "log-file", "table-attr", "field-separator", "record-separator",
                     "pset"),
        aliases={"--command": "-c", "--file": "-f", "--host": "-h", "--output": "-o",
                 "--log-file": "-L", "--dbname": "-d"},
    )  # fmt: skip
    for h in opts.values("-h"):
        _db_host(sh, h)
    for uri in [*opts.values("-d"), *opts.operands[:1]]:
        _db_uri(sh, uri)
    for out in _literal(opts.values("-o", "-L")):
        if out.startswith("|"):
            sh.text(out[1:])
        else:
            _write(sh, out)
    commands = opts.values("-c")
    files = opts.values("-f")
    for c in commands:
        _sql_arg(sh, "psql", client, c)
    for f in files:
        if f != "-":
            _sql_file(sh, client, f)
    if not commands and (not files or "-" in files):
        _sql_stdin(sh, "psql", client)


@_program("mysql", "mariadb")
def _mysql(client: str, args: list[str | None], sh: Shell) -> None:
    opts = gnu_options(
        args,
        short_values="eDhPSuC",
        long_values=("execute", "database", "host", "port", "socket", "user", "init-command",
                     "tee", "pager", "defaults-file", "defaults-extra-file", "prompt",
                     "default-character-set", "connect-timeout", "login-path"),
        optional_short="p",
        aliases={"--execute": "-e", "--host": "-h"},
    )  # fmt: skip
    for h in opts.values("-h"):
        _db_host(sh, h)
    for f in _literal(opts.values("--defaults-file", "--defaults-extra-file")):
        sh.file("reads_file", f)
    for t in _literal(opts.values("--tee")):
        _write(sh, t)
    for p in _literal(opts.values("--pager")):
        sh.text(p)
    for sql in opts.values("--init-command"):
        _sql_arg(sh, "mysql", client, sql)
    executes = opts.values("-e")
    for sql in executes:
        _sql_arg(sh, "mysql", client, sql)
    if not executes:
        _sql_stdin(sh, "mysql", client)


# sqlite3 / duckdb options that take a value (spelt with one dash or two)
_SQLITE_VALUES = {"cmd", "init", "separator", "newline", "nullvalue", "vfs", "maxsize", "mmap",
                  "heap", "c", "s", "f", "A", "zip"}  # fmt: skip


@_program("sqlite3", "sqlite", "duckdb")
def _sqlite(client: str, args: list[str | None], sh: Shell) -> None:
    family = "duckdb" if client == "duckdb" else "sqlite"
    found: list[tuple[str, str | None]] = []
    operands: list[str | None] = []
    i = 0
    while i < len(args):
        a = args[i]
        i += 1
        if a is not None and a.startswith("-") and a != "-":
            name = a.lstrip("-")
            value = None
            if name in _SQLITE_VALUES:
                value = args[i] if i < len(args) else None
                i += 1
            found.append((name, value))
        else:
            operands.append(a)
    db = operands[0] if operands else None
    if db is not None and db not in (":memory:", ""):
        sh.file("reads_file", db)
    sql_args = [v for n, v in found if n in ("cmd", "c", "s")] + operands[1:]
    for sql in sql_args:
        _sql_arg(sh, family, client, sql)
    files = [v for n, v in found if n in ("init", "f")]
    for f in files:
        _sql_file(sh, client, f)
    if not operands[1:] and not any(n in ("c", "s", "f") for n, _ in found):
        _sql_stdin(sh, family, client)


@_program("clickhouse-client", "clickhouse", "clickhouse-local")
def _clickhouse(client: str, args: list[str | None], sh: Shell) -> None:
    if client == "clickhouse":
        if not args or args[0] not in ("client", "local"):
            return
        client, args = "clickhouse-" + str(args[0]), args[1:]
    opts = gnu_options(
        args,
        short_values="qhudfC",
        long_values=("query", "queries-file", "host", "port", "user", "password", "database",
                     "format", "config-file"),
        aliases={"--query": "-q", "--host": "-h"},
    )  # fmt: skip
    for h in opts.values("-h"):
        _db_host(sh, h)
    queries = opts.values("-q")
    for q in queries:
        _sql_arg(sh, "clickhouse", client, q)
    files = opts.values("--queries-file")
    for f in files:
        _sql_file(sh, client, f)
    if not queries and not files:
        _sql_stdin(sh, "clickhouse", client)


# -- interpreters -----------------------------------------------------------------------------


def _inline(sh: Shell, prog: str) -> None:
    sh.add("unresolved", "inline_code", f"{prog} runs inline code that is not analysed")


def _code_from_stdin(sh: Shell, prog: str) -> None:
    if sh.stdin is not None:
        sh.add("unresolved", "inline_code", f"{prog} runs code read from {sh.stdin.source}")


# modules whose `python -m MODULE` is the program of that name
_PYTHON_MODULE_PROGRAMS = {"twine", "flit", "hatch", "pdm", "poetry"}


def _python(prog: str, args: list[str | None], sh: Shell) -> None:
    i = 0
    while i < len(args):
        a = args[i]
        if a is None or a == "-" or not a.startswith("-"):
            if a == "-":
                _code_from_stdin(sh, prog)
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


# -- what a command writes on stdout (for the command it is piped to) --------------------------


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
