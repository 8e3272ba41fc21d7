"""What assigning an environment variable makes programs do.

Environment variables (:func:`assignment`): the value of a variable some program runs as a
shell command (``GIT_SSH_COMMAND``, ``GIT_PAGER``, ``EDITOR``, ``PAGER``, ``LESSOPEN`` …) is
analysed as shell text; one that loads code or configuration not seen (``LD_PRELOAD``,
``BASH_ENV``, ``NODE_OPTIONS`` with ``--require`` …) is ``unresolved("environment")``, as is a
computed value of either; ``PYTHONPATH``, ``PATH`` and the like are not reported (a program is
named by its base name whatever directory it comes from); ``*_proxy`` hosts are contacted.
git's ``GIT_CONFIG_COUNT``/``GIT_CONFIG_KEY_n``/``GIT_CONFIG_VALUE_n`` are read by
:func:`policyc.normalize.programs.git.git_environment`.

Shell options: the analysis takes a pattern's ``*``, ``?`` and ``[…]`` to name no file whose name
starts with a dot, as every shell does by default (``policyc.normalize.globs``). What turns that
off is ``unresolved("shell_option")``: ``shopt -s dotglob``, zsh's ``setopt``/``unsetopt``/``set
-o`` of ``GLOB_DOTS`` (in any spelling), ``bash -O dotglob``, assigning ``GLOBIGNORE`` or a
``BASHOPTS`` that holds ``dotglob``, and any of them with a computed option name.
"""

from __future__ import annotations

import re

from policyc.normalize.programs.contract import Shell, _program

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


_OPTION_WHY = "the shell's patterns then name files that start with a dot"


def names_dots(option: str | None) -> bool:
    """Whether a shell option (bash ``dotglob``, zsh ``GLOB_DOTS``, ``NO_GLOB_DOTS`` … in any
    case, with any underscores) is about patterns naming dot files; a computed one may be."""
    if option is None:
        return True
    name = option.lower().replace("_", "").replace("-", "")
    return name.removeprefix("no") in ("dotglob", "globdots")


def dot_option(setting: str, option: str | None, sh: Shell, sep: str = " ") -> None:
    """``setting`` (``shopt -s``, ``GLOBIGNORE=`` …) turns on ``option`` (None: computed)."""
    shown = option if option is not None else "…"
    sh.add("unresolved", "shell_option", f"{setting}{sep}{shown}: {_OPTION_WHY}")


@_program("shopt")
def _shopt(base: str, args: list[str | None], sh: Shell) -> None:
    if "-s" not in args and None not in args:
        return  # printing, or -u: nothing is turned on
    for a in args:
        if (a is None or not a.startswith("-")) and names_dots(a):
            dot_option("shopt -s", a, sh)


@_program("setopt", "unsetopt", "set")
def _setopt(base: str, args: list[str | None], sh: Shell) -> None:
    words = args
    if base == "set":  # only `set -o NAME` / `set +o NAME` names an option by name
        words = [args[i + 1] for i, a in enumerate(args[:-1]) if a in ("-o", "+o")]
    for a in words:
        if (a is None or not a.startswith(("-", "+"))) and names_dots(a):
            dot_option("set -o" if base == "set" else base, a, sh)


def assignment(name: str, value: str | None, sh: Shell) -> None:
    """What assigning ``value`` (None: computed) to the environment variable ``name`` makes
    programs do: a command some program runs is analysed as shell text, code or configuration
    loaded from elsewhere is ``unresolved("environment")``, a proxy is contacted."""
    if (name == "GLOBIGNORE" and value != "") or (
        name == "BASHOPTS" and (value is None or any(names_dots(o) for o in value.split(":")))
    ):
        dot_option(f"{name}=", value, sh, sep="")
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
