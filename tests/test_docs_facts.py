"""docs/facts.md is kept in step with the code: every predicate, secret kind, unresolved kind,
destructive kind, git op and SQL kind the code produces is documented (and nothing else), and
every example in it is re-run and must print what the document shows.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

from policyc.action.vocabulary import ATTRIBUTE_PREFIX, INPUT_PREDICATES
from policyc.normalize import shell, sql
from policyc.normalize.secrets import KINDS

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "facts.md").read_text(encoding="utf-8")
NORMALIZE = ROOT / "src" / "policyc" / "normalize"
SOURCES = {
    p.relative_to(NORMALIZE).as_posix(): p.read_text(encoding="utf-8")
    for p in sorted(NORMALIZE.rglob("*.py"))
}
# the per-program semantics, one module per family of programs
PROGRAMS = "\n".join(text for name, text in SOURCES.items() if name.startswith("programs/"))

FACT_PREDICATES = {
    name: p for name, p in INPUT_PREDICATES.items() if not name.startswith(ATTRIBUTE_PREFIX)
}


def section(title: str) -> str:
    """The text of the section whose heading is ``title``, up to the next heading of its level
    or above."""
    m = re.search(rf"^(#+) {re.escape(title)}\n", DOC, re.MULTILINE)
    assert m, f"docs/facts.md has no section {title!r}"
    level = len(m.group(1))
    end = re.search(rf"^#{{1,{level}}} ", DOC[m.end() :], re.MULTILINE)
    return DOC[m.end() : m.end() + end.start()] if end else DOC[m.end() :]


def first_column(text: str) -> list[str]:
    """The code spans that open the rows of the tables in ``text``: | `x` | …"""
    return re.findall(r"^\| `([^`]+)` \|", text, re.MULTILINE)


# -- predicates ---------------------------------------------------------------------------------


def test_every_fact_predicate_is_named_as_a_code_span() -> None:
    missing = [n for n in FACT_PREDICATES if f"`{n}(" not in DOC]
    assert not missing, f"not in docs/facts.md: {missing}"


def test_the_predicate_table_gives_each_predicate_its_arity_and_kinds() -> None:
    rows = re.findall(
        r"^\| `([a-z_]+)\(([^)]*)\)` \| ([^|]+) \|", section("The predicates"), re.MULTILINE
    )
    table = {name: (args, kinds.strip()) for name, args, kinds in rows}
    assert set(table) == set(FACT_PREDICATES)
    for name, (args, kinds) in table.items():
        params = FACT_PREDICATES[name].params
        assert len(args.split(", ")) == len(params), name
        assert kinds == ", ".join(kind for _, kind in params), name


# -- kinds --------------------------------------------------------------------------------------


def test_every_secret_kind_is_described() -> None:
    assert first_column(section("Secrets")) == list(KINDS)


def emitted_unresolved_kinds() -> set[str]:
    """Every kind of ``unresolved`` fact the normalizers emit, read from their sources.

    The usual form is ``add("unresolved", "kind", …)``, possibly over several lines. Three sites
    build the fact otherwise; each is matched on its own, so that if one changes, this test
    fails instead of losing the kind. Any other mention of ``"unresolved"`` must be one of the
    known non-emitting ones (sql.py's slots, dict key and docstring): a new way of emitting the
    fact fails the test until it is handled here."""
    kinds: set[str] = set()
    unexplained = []
    irregular = {
        # facts.py: facts.setdefault("unresolved", []).append(("path", …))
        r'"unresolved",\s*\[\]\)\.append\(\(\s*"([a-z_]+)"': None,
        # shell.py: out.add("unresolved", base, …) in the branch `if base == "xargs":`
        r'"unresolved",\s*base,\s*f"\{base\} adds arguments': "xargs",
    }
    # mentions that emit nothing: sql.py's slots, its dict key, and the docstring of sql_facts
    non_emitting = [
        m.span()
        for text in (SOURCES["sql.py"],)
        for pattern in (
            r'__slots__ = \("statements", "unresolved"\)',
            r'"unresolved": list\(self\.unresolved\)',
            r'"unresolved": \[\("sql", reason\)',
        )
        for m in re.finditer(pattern, text)
    ]
    assert len(non_emitting) == 3
    for name, text in SOURCES.items():
        for m in re.finditer(r'"unresolved"', text):
            regular = re.match(r',\s*"([a-z_]+)"', text[m.end() :])
            if regular:
                kinds.add(regular.group(1))
                continue
            for pattern, kind in irregular.items():
                site = re.match(pattern, text[m.start() :])
                if site:
                    kinds.add(kind or site.group(1))
                    break
            else:
                inside = any(a <= m.start() < b for a, b in non_emitting)
                if name != "sql.py" or not inside:
                    line = text[: m.start()].count("\n") + 1
                    unexplained.append(f"{name}:{line}")
    assert re.search(r'base == "xargs":\s*out\.add\("unresolved", base,', SOURCES["shell.py"])
    # sql.py emits through _Facts.fail, whose kind is written once: unresolved.setdefault(("sql", …
    fails = re.findall(r'self\.unresolved\.setdefault\(\(\s*"([a-z_]+)"', SOURCES["sql.py"])
    assert fails == ["sql"]
    kinds.update(fails)
    assert not unexplained, f'unrecognised uses of "unresolved": {unexplained}'
    return kinds


def test_the_unresolved_scan_finds_every_kind_a_plain_grep_finds() -> None:
    grep = {
        m.group(1)
        for text in SOURCES.values()
        for m in re.finditer(r'"unresolved",\s*"([a-z_]+)"', text)
    }
    # only the kind shell.py builds from the wrapper's name escapes the plain grep
    assert emitted_unresolved_kinds() - grep == {"xargs"}
    assert grep < emitted_unresolved_kinds()


def test_every_unresolved_kind_is_in_the_table() -> None:
    table = first_column(section("Unresolved facts"))
    assert len(table) == len(set(table))
    assert set(table) == emitted_unresolved_kinds()


def test_every_destructive_kind_is_in_the_table() -> None:
    source = PROGRAMS + SOURCES["shell.py"]
    kinds = set(re.findall(r'(?:_destroy\(sh|"destructive"),\s*"([a-z_]+)"', source))
    assert kinds == set(first_column(section("Destructive operations")))


def test_every_git_op_is_in_the_table() -> None:
    ops = set(re.findall(r'"git_op",\s*"([a-z_]+)"', PROGRAMS))
    assert ops == set(first_column(section("Git operations")))


def test_every_sql_kind_is_in_the_table() -> None:
    doc = sql.__doc__ or ""
    kinds_paragraph = doc[doc.index("Kinds:") : doc.index("Transaction control")]
    kinds = set(re.findall(r"``([a-z_]+)``", kinds_paragraph))
    cells = re.findall(r"^\| ((?:`[a-z_]+`(?:, )?)+) \|", section("Statements"), re.MULTILINE)
    assert kinds == {kind for cell in cells for kind in re.findall(r"`([a-z_]+)`", cell)}


def test_wrappers_and_inert_programs_are_listed() -> None:
    wrappers = section("Wrappers")
    assert [w for w in shell._WRAPPERS if f"`{w}`" not in wrappers] == []
    argument_row = next(r for r in section("Unresolved facts").splitlines() if "| `argument`" in r)
    assert [p for p in shell._INERT_ARGUMENTS if f"`{p}`" not in argument_row] == []
    assert f"more than {shell.MAX_DEPTH} deep" in section("Unresolved facts")


# -- examples ---------------------------------------------------------------------------------


def helpers() -> str:
    """The helpers every example uses: the python block of docs/facts.md that defines them."""
    blocks = re.findall(r"^```python\n(.*?)^```", DOC, re.MULTILINE | re.DOTALL)
    (block,) = [b for b in blocks if "def facts(" in b]
    return block


def examples() -> list[tuple[int, list[tuple[str, list[str]]]]]:
    """Each pycon block of docs/facts.md: its line, and its statements with the output shown."""
    out = []
    for m in re.finditer(r"^```pycon\n(.*?)^```", DOC, re.MULTILINE | re.DOTALL):
        line = DOC[: m.start()].count("\n") + 2
        statements: list[tuple[str, list[str]]] = []
        for text in m.group(1).splitlines():
            if text.startswith(">>> "):
                statements.append((text[4:], []))
            elif text.startswith("... ") or text == "...":
                source, shown = statements[-1]
                statements[-1] = (source + "\n" + text[4:], shown)
            else:
                statements[-1][1].append(text)
        out.append((line, statements))
    return out


def run(statements: list[tuple[str, list[str]]]) -> list[tuple[str, list[str], list[str]]]:
    """Each statement with the output it shows and the output it prints, run as a REPL runs it."""
    namespace: dict[str, object] = {}
    exec(helpers(), namespace)
    results = []
    for source, shown in statements:
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile(source + "\n", "docs/facts.md", "single"), namespace)
        results.append((source, shown, printed.getvalue().splitlines()))
    return results


EXAMPLES = examples()


def test_the_document_has_examples_for_every_section() -> None:
    assert sum(len(statements) for _, statements in EXAMPLES) > 100
    for title in ("Paths", "Shell commands", "SQL", "Network", "Secrets", "Known limits"):
        assert "```pycon" in section(title), title


@pytest.mark.parametrize(
    "statements", [s for _, s in EXAMPLES], ids=[f"line{line}" for line, _ in EXAMPLES]
)
def test_examples_print_what_the_document_shows(
    statements: list[tuple[str, list[str]]],
) -> None:
    for source, shown, printed in run(statements):
        assert printed == shown, f">>> {source}"
