"""Fuzzing the policy checker and the formatter with Hypothesis.

Whatever the text, ``check_texts`` returns (never raises), every diagnostic has a documented code
with its documented severity, and every position lies inside the text it names. Inputs are
arbitrary text, token soup, and the corpus policies mutated (tokens deleted or replaced, lines
swapped, truncation, odd Unicode, NUL bytes). On anything that parses, the formatter never raises,
keeps the items and comments, and is idempotent.

Inputs that hit a bug already reported as a strict xfail elsewhere are rejected, so that these
properties keep checking everything else.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from typing import Any

from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from policyc.lang.checker import CheckResult, check_texts
from policyc.lang.codes import CODES
from policyc.lang.formatter import format_module
from tests.hyp import scaled
from tests.lang.corpus import CORPUS, FMT_DIR, fresh_parse, read

CORPUS_TEXTS = {f"cases/{p.name}": read(p) for p in CORPUS}
FMT_TEXTS = {f"fmt/{p.name}": read(p) for p in sorted(FMT_DIR.glob("*.policy"))}
_MODULE = re.compile(r"^module\s+([a-z][a-z0-9_.]*)", re.M)
_IMPORT = re.compile(r"^import\s+([a-z][a-z0-9_.]*)", re.M)
MODULE_TEXTS = {m.group(1): (f, t) for f, t in CORPUS_TEXTS.items() if (m := _MODULE.search(t))}

KEYWORDS = set(
    [
        "module",
        "import",
        "as",
        "default",
        "allow",
        "deny",
        "redact",
        "require_approval",
        "alert",
        "terminate",
        "when",
        "unless",
        "reason",
        "risk",
        "approver",
        "tags",
        "disable",
        "override",
        "test",
        "action",
        "expect",
        "by",
        "fired",
        "not",
        "invariant",
        "at_least",
        "in",
        "true",
        "false",
        "null",
    ]
)
ODD = [
    "\0", "\t", "\r", "\r\n", "\x0b", "\x0c", "\x85", "\u2028", "\u2029", "\ufeff", "\u200b",
    "\u202e", "\u00a0", "é", "ß", "İ", "\U0001d518", "🙂", "\\", '"', "'", "{", "}", "(", ")", "[", "]",
    ",", ".", ":", ":-", "-", "#", "//", "/*", "*/", "\n", "\n\n", " ",
]  # fmt: skip
TOKENS = [
    *sorted(KEYWORDS), "mod", "p", "q(X)", "secret_file(P)", "reads_file(P)", "glob(P, \"**\")",
    "action_type", "resource.path", "tool.input.x", "approval.granted", "session.actions",
    "corp.secrets", "a.b", "X", "P", "_", "Y1", "0", "7", "101", "-1", "0.5", "1e999",
    "99999999999999999999", '"x"', '"{P}"', '"{"', '"}"', '"{agent.id}"', '"\\u0000"',
    '"file.read"', '"**/.env"', '"(a"', '"a**"', "=", "!=", "<", "<=", ">", ">=", "+", "*",
    "/", "-", "mod", "(", ")", "[", "]", "{", "}", ",", ".", ":", ":-", "[]", '"deny":', "reason:",
]  # fmt: skip


def fuzz(n: int) -> settings:
    return settings(
        max_examples=scaled(n),
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )


# ---------------------------------------------------------------------------------------------
# the properties


def _within(text: str, line: int, column: int) -> bool:
    lines = text.split("\n")
    return 1 <= line <= len(lines) and 1 <= column <= len(lines[line - 1]) + 1


def check_well_formed(texts: dict[str, str]) -> CheckResult:
    result = check_texts(texts)  # must not raise
    assert isinstance(result.diagnostics, list)
    for d in result.diagnostics:
        assert d.code in CODES, f"undocumented code: {d}"
        assert d.severity == CODES[d.code][0], str(d)
        assert d.code != "internal_error", str(d)
        assert d.message.strip()
        p = d.position
        if p is None:
            continue
        assert p.file in texts, str(d)
        text = texts[p.file]
        assert _within(text, p.line, p.column), f"{d} is outside the text"
        if p.end_line is not None and p.end_column is not None:
            end_column = p.end_column
            assert _within(text, p.end_line, end_column), f"{d} ends outside the text"
            assert (p.end_line, p.end_column) >= (p.line, p.column), str(d)
        for _, related in d.related:
            assert related.file in texts
    if result.errors:
        assert result.policy_set is None
    for t in texts.values():
        str(t)  # the texts are left alone
    return result


# ---------------------------------------------------------------------------------------------
# inputs

_TOKEN_RE = re.compile(
    r"\s+|#[^\n]*|//[^\n]*|\"(?:[^\"\\\n]|\\.)*\"|[A-Za-z_][\w.]*|\d+(?:\.\d+)?(?:[eE][-+]?\d+)?"
    r"|:-|!=|<=|>=|.",
    re.S,
)


def _tokens(text: str) -> list[str]:
    return _TOKEN_RE.findall(text)


@st.composite
def token_soup(draw: Any) -> str:
    parts = draw(st.lists(st.sampled_from(TOKENS + ODD), max_size=60))
    seps = draw(
        st.lists(st.sampled_from([" ", "", "\n", "\n  "]), min_size=len(parts), max_size=len(parts))
    )
    return "".join(p + s for p, s in zip(parts, seps, strict=True))


@st.composite
def mutate(draw: Any, text: str) -> str:
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(
            st.sampled_from(
                [
                    "delete_token",
                    "replace_token",
                    "insert",
                    "swap_lines",
                    "delete_line",
                    "duplicate_line",
                    "truncate",
                    "nul",
                ]
            )
        )
        toks = _tokens(text)
        if not toks:
            break
        i = draw(st.integers(0, len(toks) - 1))
        if kind == "delete_token":
            del toks[i]
        elif kind == "replace_token":
            toks[i] = draw(st.sampled_from(TOKENS + ODD))
        elif kind == "insert":
            toks.insert(i, draw(st.sampled_from(ODD + TOKENS)))
        elif kind == "nul":
            toks.insert(i, "\0")
        text = "".join(toks)
        if kind in ("swap_lines", "delete_line", "duplicate_line", "truncate"):
            lines = text.split("\n")
            a = draw(st.integers(0, len(lines) - 1))
            b = draw(st.integers(0, len(lines) - 1))
            if kind == "swap_lines":
                lines[a], lines[b] = lines[b], lines[a]
            elif kind == "delete_line":
                del lines[a]
            elif kind == "duplicate_line":
                lines.insert(b, lines[a])
            text = "\n".join(lines)
            if kind == "truncate":
                text = text[: draw(st.integers(0, len(text)))]
    return text


def _with_imports(file: str, text: str) -> dict[str, str]:
    """The text and the corpus modules it imports (so that the import paths are exercised)."""
    texts = {file: text}
    for name in _IMPORT.findall(text):
        if name in MODULE_TEXTS and MODULE_TEXTS[name][0] != file:
            other, other_text = MODULE_TEXTS[name]
            texts[other] = other_text
    return texts


@st.composite
def mutated_corpus(draw: Any) -> dict[str, str]:
    file = draw(st.sampled_from(sorted(CORPUS_TEXTS)))
    return _with_imports(file, draw(mutate(CORPUS_TEXTS[file])))


# ---------------------------------------------------------------------------------------------
# the checker never crashes


@fuzz(150)
@given(st.text(max_size=300))
@example("")
@example("\0")
@example("module")
@example('module m\np("')
@example("module m\ndeny")
@example("\ufeffmodule m\n")
@example('module m\ndeny a when x = "\\u00"')
@example('test "t" { action { a: { b: { c: [1, [2, {d: null}]] } } } expect allow }')
def test_check_never_raises_on_arbitrary_text(text: str) -> None:
    check_well_formed({"fuzz.policy": text})


@fuzz(150)
@given(token_soup())
@example('module m default allow deny a when reads_file(P) reason "{P}" risk 1e999')
@example('p(X) :- not p(X). deny a when p(1) reason "x"')
@example('deny a when session.actions > 99999999999999999999 * 99999999999999999999 reason "x"')
@example('deny a when glob(resource.path, "a**") , regex(command, "(a") reason "x"')
def test_check_never_raises_on_token_soup(text: str) -> None:
    check_well_formed({"fuzz.policy": text})


@fuzz(150)
@given(mutated_corpus())
def test_check_never_raises_on_mutated_corpus(texts: dict[str, str]) -> None:
    check_well_formed(texts)


def test_check_on_every_truncation_of_a_corpus_file() -> None:
    """Deterministic: every prefix (by line) of the biggest corpus file."""
    file = max(CORPUS_TEXTS, key=lambda f: len(CORPUS_TEXTS[f]))
    text = CORPUS_TEXTS[file]
    cut = 0
    while cut <= len(text):
        check_well_formed({file: text[:cut]})
        nl = text.find("\n", cut + 1)
        cut = len(text) + 1 if nl < 0 else nl


def test_unmutated_corpus_is_clean_under_the_fuzz_harness() -> None:
    """The harness itself: the corpus files as it loads them check without errors."""
    for file, text in CORPUS_TEXTS.items():
        result = check_well_formed(_with_imports(file, text))
        assert not result.errors, (file, [str(d) for d in result.errors])


# ---------------------------------------------------------------------------------------------
# the formatter


def _strip(x: Any) -> Any:
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return dataclasses.replace(
            x,
            **{
                f.name: None if f.name.endswith("span") else _strip(getattr(x, f.name))
                for f in dataclasses.fields(x)
            },
        )
    if isinstance(x, tuple):
        return tuple(_strip(v) for v in x)
    if isinstance(x, list):
        return [_strip(v) for v in x]
    if isinstance(x, dict):
        return {k: _strip(v) for k, v in x.items()}
    return x


def _walk(x: Any) -> Any:
    yield x
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        for f in dataclasses.fields(x):
            yield from _walk(getattr(x, f.name))
    elif isinstance(x, tuple | list):
        for v in x:
            yield from _walk(v)
    elif isinstance(x, dict):
        for k, v in x.items():
            yield k
            yield from _walk(v)


# keys the formatter writes bare although they are keywords no key may be (the effects, 'mod')
UNQUOTABLE_KEYS = {"allow", "deny", "redact", "require_approval", "alert", "terminate", "mod"}


def _keys(x: Any) -> Any:
    if isinstance(x, dict):
        for k, v in x.items():
            yield k
            yield from _keys(v)
    elif isinstance(x, list):
        for v in x:
            yield from _keys(v)


def check_formatter(text: str) -> bool:
    """Format ``text`` if it parses; check the promises. Returns whether it parsed."""
    module, diagnostics = fresh_parse(text, "fuzz.policy")
    if module is None or any(d.code == "syntax_error" for d in diagnostics):
        event("formatter: does not parse")
        return False
    event("formatter: formatted")
    out = format_module(module)
    if not module.items and not module.comments and not module.name:
        assert out in ("", "\n")
    else:
        assert out.endswith("\n") and not out.startswith("\n")
    again, diagnostics2 = fresh_parse(out, "fuzz.policy")
    assert again is not None and not [d for d in diagnostics2 if d.code == "syntax_error"], (
        out,
        [str(d) for d in diagnostics2],
    )
    assert {d.code for d in diagnostics2} == {d.code for d in diagnostics}
    assert again.name == module.name
    assert _strip(again.items) == _strip(module.items)
    assert Counter(c.text.rstrip() for c in again.comments) == Counter(
        c.text.rstrip() for c in module.comments
    )
    assert format_module(again) == out
    return True


@st.composite
def relayout(draw: Any, text: str) -> str:
    """Changes that keep the syntax: item order, removed items, whitespace, comments."""
    # top-level items start flush left (their clauses are indented): shuffle or drop a few
    chunks = re.split(r"\n(?=[a-z])", text)
    while len(chunks) > 1 and chunks[1].startswith("module "):  # the module line stays first
        chunks[:2] = ["\n".join(chunks[:2])]
    if len(chunks) > 2 and draw(st.booleans()):
        head, rest = chunks[0], chunks[1:]
        rest = draw(st.permutations(rest))
        if draw(st.booleans()):
            rest = rest[: draw(st.integers(1, len(rest)))]
        text = "\n".join([head, *rest])
    out: list[str] = []
    for tok in _tokens(text):
        after_comment = bool(out) and out[-1].startswith(("#", "//"))
        if tok.isspace() and draw(st.integers(0, 5)) == 0:
            spaces = ["\n", "\n\n    ", "\r\n", " \n  "]  # a comment ends at a line end
            tok = draw(st.sampled_from(spaces if after_comment else [" ", "   ", "\t", *spaces]))
        elif tok.isspace() and "\n" in tok and draw(st.integers(0, 6)) == 0:
            tok = (
                draw(st.sampled_from(["  # inserted\n", " // inserted\n", "\n# own line\n"])) + tok
            )
        out.append(tok)
    return "".join(out)


@fuzz(80)
@given(
    st.sampled_from(sorted({**CORPUS_TEXTS, **FMT_TEXTS})).flatmap(
        lambda f: relayout({**CORPUS_TEXTS, **FMT_TEXTS}[f])
    )
)
def test_formatter_on_relaid_policies(text: str) -> None:
    assert check_formatter(text)


@fuzz(120)
@given(mutated_corpus())
def test_formatter_on_mutated_corpus(texts: dict[str, str]) -> None:
    check_formatter(next(iter(texts.values())))


@fuzz(100)
@given(token_soup())
def test_formatter_on_token_soup(text: str) -> None:
    check_formatter(text)


# ---------------------------------------------------------------------------------------------
# bugs found by fuzzing


def test_end_of_text_error_ends_inside_the_text() -> None:
    text = "module m\ndeny m.d when"
    (d,) = [d for d in check_texts({"f.policy": text}).diagnostics if d.code == "syntax_error"]
    assert d.position is not None
    assert (d.position.line, d.position.column) == (2, 14)
    assert d.position.end_column is not None and d.position.end_column <= len("deny m.d when") + 1
