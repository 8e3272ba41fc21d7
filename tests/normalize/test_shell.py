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
