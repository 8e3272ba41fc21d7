"""Built-ins: glob semantics, and the fast paths agreeing with the plain RE2 translation."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from policyc.engine import builtins as B
from policyc.engine.errors import EvaluationError
from tests.hyp import scaled


def reference_glob(path: str, pattern: str) -> bool:
    """The glob through its RE2 translation only, without fast paths or prefilters."""
    return bool(B.compile_regex(B.glob_to_regex(pattern)).test(path))


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("**/.env", "/repo/.env", True),
        ("**/.env", ".env", True),
        ("**/.env", "/repo/x.env", False),
        ("**/.env", "/repo/.env/x", False),
        ("**/.env.*", "/repo/.env.local", True),
        ("**/.env.*", "/repo/.env", False),
        ("*.py", "a.py", True),
        ("*.py", "src/a.py", False),
        ("src/*.py", "src/a.py", True),
        ("src/**", "src/a/b/c.py", True),
        ("src/**", "src", False),
        ("src/**/test_*.py", "src/test_a.py", True),
        ("src/**/test_*.py", "src/x/y/test_a.py", True),
        ("?.txt", "a.txt", True),
        ("?.txt", "/.txt", False),
        ("[ab].txt", "b.txt", True),
        ("[!ab].txt", "c.txt", True),
        ("[!ab].txt", "a.txt", False),
        ("[]x].txt", "].txt", True),
        ("**/*.{pem,key}", "/a/b.key", True),
        ("**/*.{pem,key}", "/a/b.crt", False),
        ("a\\*b", "a*b", True),
        ("a\\*b", "axb", False),
        ("/repo/**", "/repo/a\nb", True),
        ("**/id_rsa", "/home/u/.ssh/id_rsa", True),
        ("**/auth/**", "/repo/src/auth/login.py", True),
        ("**/auth/**", "/repo/src/oauth/login.py", False),
    ],
)
def test_glob(pattern: str, path: str, expected: bool) -> None:
    assert B.glob(path, pattern) is expected
    assert reference_glob(path, pattern) is expected


@pytest.mark.parametrize("pattern", ["a**", "**b", "[abc", "{a,b", "x\\"])
def test_invalid_globs_are_rejected(pattern: str) -> None:
    assert B.check_pattern("glob", pattern) is not None


def test_invalid_regex_is_rejected_with_a_readable_message() -> None:
    message = B.check_pattern("regex", "(a")
    assert message is not None and "missing )" in message and "b'" not in message


def test_regex_is_an_unanchored_re2_search() -> None:
    assert B.regex("hello world", "o w")
    assert not B.regex("hello", "^ello")
    assert B.regex("héllo", "é")
    # RE2 refuses backreferences (they need backtracking)
    assert B.check_pattern("regex", r"(a)\1") is not None


GLOB_ALPHABET = st.sampled_from(["a", "b", ".", "/", "*", "**", "?", "[ab]", "[!a]", "{a,b}", "x"])
PATH_ALPHABET = st.sampled_from(["a", "b", ".", "/", "x", "ab", "\n"])


@settings(max_examples=scaled(1500))
@given(
    st.lists(GLOB_ALPHABET, max_size=8).map("".join),
    st.lists(PATH_ALPHABET, max_size=10).map("".join),
)
@example("**/a", "a")
@example("a/**", "a/")
@example("[!a]b", "/b")
def test_fast_paths_agree_with_the_regex_translation(pattern: str, path: str) -> None:
    if B.check_pattern("glob", pattern) is not None:
        return
    assert B.glob(path, pattern) == reference_glob(path, pattern)


@settings(max_examples=scaled(400))
@given(
    st.lists(
        st.tuples(st.lists(GLOB_ALPHABET, max_size=6).map("".join), st.integers(0, 3)),
        max_size=12,
    ),
    st.lists(PATH_ALPHABET, max_size=10).map("".join),
)
def test_glob_index_agrees_with_testing_row_by_row(rows: list[tuple[str, int]], path: str) -> None:
    rows = [(p, n) for p, n in dict.fromkeys(rows) if B.check_pattern("glob", p) is None]
    rows.append((7, 0))  # a pattern that is not a string never matches
    index = B.GlobIndex(rows, 0)
    assert index.matches(path) == [t for t in rows if B.glob(path, t[0])]
    assert index.matches(3) == []


def test_glob_index_raises_for_an_invalid_pattern_like_the_builtin() -> None:
    index = B.GlobIndex([("**/*.pem",), ("[z-a]",)], 0)
    with pytest.raises(EvaluationError, match="invalid glob"):
        index.matches("/x.pem")
    with pytest.raises(EvaluationError, match="invalid glob"):
        B.glob("/x.pem", "[z-a]")


def test_required_literal_is_really_required() -> None:
    assert B._required_literal("**/dir17/*.pem") == "dir17/"
    assert B._required_literal("[!]abc]zz") == "zz"
    assert B._required_literal("a\\*bcd") == "bcd"


@pytest.mark.parametrize(
    ("name", "args", "expected"),
    [
        ("lower", ("AbC",), "abc"),
        ("upper", ("AbC",), "ABC"),
        ("length", ("héllo",), 5),
        ("concat", ("a", "b"), "ab"),
        ("basename", ("/a/b.txt",), "b.txt"),
        ("dirname", ("/a/b.txt",), "/a"),
        ("extension", ("/a/b.tar.gz",), "gz"),
        ("extension", ("/a/.bashrc",), ""),
        ("extension", ("/a/Makefile",), ""),
        ("lower", (3,), B.NO_VALUE),
    ],
)
def test_functions(name: str, args: tuple[object, ...], expected: object) -> None:
    assert B.BUILTINS[name].fn(*args) == expected or B.BUILTINS[name].fn(*args) is expected


def test_path_within_is_segment_wise() -> None:
    assert B.path_within("/a/b/c", "/a/b")
    assert B.path_within("/a/b", "/a/b/")
    assert not B.path_within("/a/bc", "/a/b")
    assert B.path_within("/x", "/")


OVERLAP_TOKENS = st.sampled_from(["a", "b", ".", "/", "*", "**", "?", "[ab]", "[!a]", "{a,.}"])


def _strings(alphabet: str, longest: int) -> list[str]:
    out = [""]
    layer = [""]
    for _ in range(longest):
        layer = [s + c for s in layer for c in alphabet]
        out.extend(layer)
    return out


WITNESSES = _strings("ab./", 6)


@settings(max_examples=scaled(200))
@given(
    st.lists(OVERLAP_TOKENS, min_size=1, max_size=3).map("".join),
    st.lists(OVERLAP_TOKENS, min_size=1, max_size=3).map("".join),
)
@example("[!a]", "**/.")
@example("a*", "**/.")
def test_glob_overlap_is_exactly_a_common_path(a: str, b: str) -> None:
    if B.check_pattern("glob", a) is not None or B.check_pattern("glob", b) is not None:
        return
    common = any(B.glob(s, a) and B.glob(s, b) for s in WITNESSES)
    overlap = B.glob_overlap(a, b)
    assert overlap == B.glob_overlap(b, a)
    if common:
        assert overlap, f"{a!r} and {b!r} share a path but glob_overlap says no"
    else:
        # no common path of up to 6 characters over the globs' alphabet: short globs such as
        # these would have one, so the languages are disjoint
        assert not overlap, f"{a!r} and {b!r}: glob_overlap says yes, no short common path"


def test_glob_overlap_known_cases() -> None:
    assert B.glob_overlap("/repo/.en*", "**/.env")
    assert B.glob_overlap("/repo/*", "**/.env")
    assert not B.glob_overlap("/repo/src/*.py", "**/.env")
    assert B.glob_overlap("/repo/[!a]env", "**/.env")  # [!a] matches the dot
    assert not B.glob_overlap("/repo/src/**/*.py", "**/*.pem")
    assert B.glob_overlap("/home/*/.ssh/*", "**/.ssh/**")
    assert B.glob_overlap("/repo/a[1", "**/a[[]1")  # not a valid glob: taken literally
    assert not B.glob_overlap(3, "**")
    with pytest.raises(EvaluationError, match="invalid glob"):
        B.glob_overlap("/x", "[z-a]")
