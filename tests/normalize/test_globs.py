"""Shell patterns as path globs (``policyc.normalize.globs``) and the ``path_glob`` facts: every
path bash may expand a pattern to matches one of its globs."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policyc.engine.builtins import glob, glob_overlap
from policyc.normalize.globs import ANY_PATH, path_globs
from policyc.normalize.shell import normalize_shell
from tests.hyp import scaled


def globs(word: str, *, partial: bool = False) -> list[str]:
    return path_globs(word, "/repo", "/home/dev", partial=partial)


def path_glob_facts(command: str) -> set[tuple[object, ...]]:
    return set(normalize_shell(command, "/repo", "/home/dev").facts.get("path_glob", []))


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("src/*.py", ["/repo/src/[!.]*.[pP][yY]"]),  # a leading `*` names no dot file
        (".en*", ["/repo/.[eE][nN]*"]),
        ("./.e?v", ["/repo/.[eE]?[vV]"]),
        (".[e]nv", ["/repo/.?[nN][vV]"]),
        ("[.]env", ["/repo/[!.][eE][nN][vV]"]),  # nor does a leading bracket
        ("*x", ["/repo/{[!.]*[xX],[xX]}"]),
        ("~/.ss*/id*", ["/home/dev/.[sS][sS]*/[iI][dD]*"]),
        ("/s?v", ["/[sS]?[vV]"]),
        ("src/**/*.py", ["/repo/src/**/[!.]*.[pP][yY]"]),
        ("a**b", ["/repo/[aA]*[bB]"]),  # `**` within a segment is `*`
        ("{.env,README.md}", ["/repo/.env", "/repo/README.md", "/repo/\\{.env\\,README.md\\}"]),
        ("{1..3}.txt", ["/repo/[!.]*.[tT][xX][tT]", "/repo/\\{1..3\\}.txt"]),
        ("src/{x}*", ["/repo/src/\\{[xX]\\}*"]),  # `{x}` is no expansion
        ("x,y*", ["/repo/[xX]\\,[yY]*"]),
        ("../lib/*.so", ["/lib/[!.]*.[sS][oO]"]),
        ("src/./a/../*.c", ["/repo/src/[!.]*.[cC]"]),
        ("[ab", ["/repo/[!.][aA][bB]"]),  # an unclosed bracket is a literal `[` (no dot)
        ("x[[:alpha:]]y/z", ["/repo/[xX]*/z"]),  # not a plain bracket: the rest of the segment
    ],
)
def test_patterns_translate_to_globs(word: str, expected: list[str]) -> None:
    assert globs(word) == expected


@pytest.mark.parametrize(
    "word",
    [
        ".*",  # may be `..`
        "src/.?/x",  # `.?` may be `..`
        "src/*/../.env",  # which folder `..` leaves is not known
        "{a..Z}",  # letters of both cases: `[`, `\\`, `]` … too
        "~root/*",
        "@(x|y)",
        "!(README.md)",
        "{a,b}{c,d}{e,f}{g,h}{i,j}{k,l}{m,n}",  # more than 64 expansions
    ],
)
def test_patterns_that_cannot_be_bounded_name_any_path(word: str) -> None:
    assert ANY_PATH in globs(word)


def test_a_word_with_quoted_and_unquoted_braces_or_brackets_names_any_path() -> None:
    assert globs("x{a,b}*", partial=True) == [ANY_PATH]
    assert globs("x[ab]*", partial=True) == [ANY_PATH]
    assert globs("x*.py", partial=True) == ["/repo/[xX]*.[pP][yY]"]


def test_without_an_absolute_directory_a_relative_pattern_names_any_path() -> None:
    assert path_globs("*.py", None, None) == [ANY_PATH]
    assert path_globs("~/*", "/repo", None) == [ANY_PATH]


def test_the_directory_is_escaped() -> None:
    assert path_globs("*.py", "/w/[x]{y}", None) == ["/w/\\[x\\]\\{y\\}/[!.]*.[pP][yY]"]


@pytest.mark.parametrize(
    ("command", "rows"),
    [
        ("cat .en*", {("/repo/.en*", "/repo/.[eE][nN]*")}),
        ("rm -f *.log", {("/repo/*.log", "/repo/[!.]*.[lL][oO][gG]")}),
        ("echo x > out/*.txt", {("/repo/out/*.txt", "/repo/out/[!.]*.[tT][xX][tT]")}),
        (
            "cd /tmp && cat *.c",
            {("/repo/*.c", "/repo/[!.]*.[cC]"), ("/tmp/*.c", "/tmp/[!.]*.[cC]")},
        ),
        ("cat x'{a,b}'*", {("/repo/x{a,b}*", ANY_PATH)}),
        ("cat 'src'/*.py", {("/repo/src/*.py", "/repo/src/[!.]*.[pP][yY]")}),
        ("ls *.py; echo *", set()),  # not read as paths
        ("cat src/app.py", set()),
    ],
)
def test_path_glob_facts(command: str, rows: set[tuple[object, ...]]) -> None:
    assert path_glob_facts(command) == rows


def test_every_pattern_read_as_a_path_has_its_globs() -> None:
    f = normalize_shell("cp .e* /tmp/x && grep -r key src/* ~/.aws/cred*", "/repo", "/home/dev")
    patterns = {r[0] for p in ("reads_file", "writes_file") for r in f.facts[p] if "*" in r[0]}
    assert patterns == {r[0] for r in f.facts["path_glob"]}
    assert len(f.facts["path_glob"]) == 3


@pytest.mark.parametrize(
    ("word", "secret"),
    [
        (".en*", "**/.env"),
        (".[e]nv", "**/.env"),
        (".ENV*", "**/.env"),
        ("~/.ss*/id*", "**/.ssh/**"),
        ("{README.md,.env}", "**/.env"),
        ("config/.*", "**/.env.*"),
        ("*/.env", "**/.env"),
    ],
)
def test_globs_overlap_the_secrets_they_may_name(word: str, secret: str) -> None:
    assert any(glob_overlap(g, secret) for g in globs(word))


@pytest.mark.parametrize(
    ("word", "secret"),
    [
        ("tests/test_*.py", "**/.env.*"),
        ("tests/test_*.py", "**/.env"),
        ("src/log*.py", "**/*.pem"),
        ("docs/*.md", "**/.ssh/**"),
        # a leading wildcard names no file that starts with a dot (dotglob off, and turning it
        # on is unresolved("shell_option"))
        ("src/*.py", "**/.env.*"),
        ("config/*", "**/.env.*"),
        ("[.]env", "**/.env"),
        ("*", "**/.env"),
    ],
)
def test_globs_do_not_overlap_what_they_cannot_name(word: str, secret: str) -> None:
    assert not any(glob_overlap(g, secret) for g in globs(word))


# -- against bash ---------------------------------------------------------------------------

BASH = shutil.which("bash")
NAMES = [
    ".env",
    ".env.local",
    ".ENV",
    "env",
    "a.py",
    ".a.py",
    "A.PY",
    "b,c",
    "{x}",
    "[ab]",
    "x*y",
    "sub/.env",
    "sub/deep/k.pem",
    "sub/b.py",
    "Sub/c.txt",
    ".hid/x.pem",
    "-n",
]


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tree")
    for name in NAMES:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")
    return root


def bash_expands(tree: Path, word: str) -> list[str]:
    """The paths bash expands ``word`` to in ``tree``, canonical: with every pattern option on
    but ``dotglob`` (turning it on is unresolved)."""
    assert BASH is not None
    script = (
        "shopt -s nocaseglob globstar nullglob extglob\n"
        f"for p in {word}; do printf '%s\\0' \"$p\"; done"
    )
    done = subprocess.run(
        [BASH, "-c", script], cwd=tree, capture_output=True, timeout=10, check=False
    )
    out = [p for p in done.stdout.decode("utf-8", "surrogateescape").split("\0") if p]
    return [str((tree / p).resolve()) if not p.startswith("/") else p for p in out]


WORDS = [
    "*",
    "*.py",
    "*.PY",
    ".e*",
    "[.]env",
    "?env",
    "*env*",
    "sub/*",
    "**/*.pem",
    "**",
    "s*/*",
    "{a,b}.py",
    "*,c",
    "\\{x\\}",
    "'{x}'",
    "'b,'c",
    "'*'",
    "[[]ab]",
    "x[*]y",
    "[!a]*",
    "[^a]*.py",
    "S?B/.?nv",
    "*/.[e]nv",
    "{sub,Sub}/*.txt",
    "{1..3}*",
]


def not_covered(tree: Path, word: str) -> list[str]:
    """The paths bash expands ``cat WORD`` to that the analyser's facts do not cover: neither the
    word taken literally (a file fact) nor one of its globs."""
    f = normalize_shell(f"cat {word}", str(tree.resolve()), None).facts
    literal = {r[0] for r in f.get("reads_file", [])}
    gs = [r[1] for r in f.get("path_glob", [])]
    return [
        p for p in bash_expands(tree, word) if p not in literal and not any(glob(p, g) for g in gs)
    ]


@pytest.mark.skipif(BASH is None, reason="bash is not installed")
@pytest.mark.parametrize("word", WORDS)
def test_every_path_bash_expands_to_is_covered(tree: Path, word: str) -> None:
    assert not_covered(tree, word) == []


# (no backslash escapes: tree-sitter-bash splits `{a,b}\\*` into two words, a known bypass of the
# parser that tests/stdlib/test_invariants.py pins)
PIECES = ["*", "?", ".", "e", "n", "v", "E", "[e]", "[!x]", "[.]", "sub/", "../", "{a,.e}",
          "{,}", "**/", "p", "'*'", "'.'", "'['"]  # fmt: skip


@pytest.mark.skipif(BASH is None, reason="bash is not installed")
@settings(max_examples=scaled(60), deadline=None)
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=5).map("".join))
def test_generated_patterns_cover_what_bash_expands(tree: Path, word: str) -> None:
    assert not_covered(tree, word) == []


@pytest.mark.parametrize(
    "command",
    [
        "shopt -s dotglob",
        "shopt -s nullglob dotglob; cat *",
        "shopt -s $OPTS",
        "setopt GLOB_DOTS",
        "setopt globdots",
        "unsetopt NO_GLOB_DOTS",
        "set -o globdots",
        "GLOBIGNORE=.:..; cat *",
        "export GLOBIGNORE=x",
        "BASHOPTS=dotglob bash -c 'cat *'",
        "bash -O dotglob -c 'cat config/*'",
    ],
)
def test_turning_dot_files_on_for_patterns_is_unresolved(command: str) -> None:
    kinds = {k for k, _ in normalize_shell(command, "/repo").facts.get("unresolved", [])}
    assert "shell_option" in kinds


@pytest.mark.parametrize(
    "command",
    ["shopt -u dotglob", "shopt -s nullglob globstar", "shopt dotglob", "set -o pipefail",
     "set -e", "setopt extended_history", "GLOBIGNORE= true", "bash -O extglob -c 'ls'"],
)  # fmt: skip
def test_other_shell_options_are_not(command: str) -> None:
    kinds = {k for k, _ in normalize_shell(command, "/repo").facts.get("unresolved", [])}
    assert "shell_option" not in kinds
