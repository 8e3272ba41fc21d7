"""SQL text → facts: one ``sql_statement(kind, object)`` per statement, however it is spelled.

The text is parsed with sqlglot, in the given dialect, else in the first of postgres, mysql,
sqlite, tsql and sqlglot's generic dialect that reads all of it; with no dialect given, a text
that MySQL reads otherwise (backslash escapes, ``#`` comments) gets the facts of both readings.
Every statement is found: several in one string, in transactions, inside CTEs and COPY queries,
in MySQL's executable ``/*! … */`` comments; psql ``\\copy`` lines are copies. What does not parse
becomes ``unresolved("sql", reason)`` *and* goes through a keyword scan (RE2, linear), so that a
parse failure never hides a ``DROP DATABASE``.

Kinds: ``drop_database``, ``drop_schema``, ``drop_table``, ``drop_view``, ``drop_index``,
``drop_other``, ``truncate``, ``delete``, ``delete_all``, ``update``, ``update_all``, ``insert``,
``select``, ``copy_to``, ``copy_from``, ``alter_table``, ``create``, ``grant``, ``revoke``,
``other``. Transaction control (BEGIN, COMMIT, ROLLBACK, SAVEPOINT, RELEASE) yields no fact.
``delete_all`` / ``update_all``: no WHERE, or a trivially true one (see ``_truth``).

Objects: the target's qualified name, its parts joined with ``.`` and lower-cased whether quoted
or not (``"Sales".Orders`` and ``sales.orders`` are one object; a quoted part containing a dot is
not told apart from two parts); ``""`` when there is none. A statement with several targets
(``DROP TABLE a, b``) yields one fact per target. ``select`` and ``copy_to`` of a query name the
first table in the query's FROM.
"""

from __future__ import annotations

import bisect
import contextlib
import logging
import re
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlglot import exp
    from sqlglot.dialects.dialect import Dialect

# Longer texts get only the keyword scan. Parsing costs about 5 µs a character, and a text that
# does not parse is tried in up to five dialects: ~0.5 s at this size, ~2.5 s when it fails.
MAX_SQL_CHARS = 100_000

DOES_NOT_PARSE = "the SQL text does not parse"
TOO_LONG = "too long to analyse"
TOO_DEEP = "the SQL text is nested too deeply to analyse"
PARSER_FAILED = "the SQL parser failed on this text"
INTERNAL_ERROR = "internal error while analysing the SQL text"

# Tried in this order when no dialect is given (and after the given one when it does not parse).
_DIALECTS = ("postgres", "mysql", "sqlite", "tsql", "")
_DIALECT_ALIASES = {
    "postgresql": "postgres",
    "psql": "postgres",
    "pg": "postgres",
    "mariadb": "mysql",
    "sqlite3": "sqlite",
    "mssql": "tsql",
    "sqlserver": "tsql",
}

Facts = dict[str, list[tuple[str, ...]]]


class _Facts:
    """Facts in order of appearance, each once."""

    __slots__ = ("statements", "unresolved")

    def __init__(self) -> None:
        self.statements: dict[tuple[str, str], None] = {}
        self.unresolved: dict[tuple[str, str], None] = {}

    def add(self, kind: str, obj: str = "") -> None:
        self.statements.setdefault((kind, obj), None)

    def fail(self, reason: str) -> None:
        self.unresolved.setdefault(("sql", reason), None)

    def as_dict(self) -> Facts:
        return {"sql_statement": list(self.statements), "unresolved": list(self.unresolved)}


def sql_facts(text: str, dialect: str | None = None) -> dict[str, list[tuple[str, ...]]]:
    """Facts of SQL text: {"sql_statement": [(kind, object), ...], "unresolved": [("sql", reason), ...]}

    ``dialect`` is a sqlglot dialect name (``postgres``, ``mysql``, ``sqlite`` …; also
    ``postgresql``, ``mariadb``, ``sqlite3``, ``mssql``); None, or a name sqlglot does not know,
    means: the first of postgres, mysql, sqlite, tsql and sqlglot's generic dialect that parses the
    text. Both keys are always present. Never raises.
    """
    out = _Facts()
    if not isinstance(text, str):
        out.fail(DOES_NOT_PARSE)
        return out.as_dict()
    try:
        if len(text) > MAX_SQL_CHARS:
            out.fail(TOO_LONG)
            _keyword_scan(text, out)
        else:
            dialects, given = _dialect_order(dialect if isinstance(dialect, str) else None)
            _analyse(text, dialects, not given, out)
    except Exception:
        # The contract is that no exception escapes; the tests assert this reason never occurs.
        out.fail(INTERNAL_ERROR)
        with contextlib.suppress(Exception):  # already reported by the fact above
            _keyword_scan(text, out)
    return out.as_dict()


# -- dialects and parsing -------------------------------------------------------------------


@cache
def _dialect(name: str) -> Dialect:
    from sqlglot.dialects.dialect import Dialect

    # sqlglot logs a warning, quoting the SQL, each time it falls back to an opaque Command;
    # without a handler of its own, Python prints it on stderr. A NullHandler stops that (the
    # record still propagates to handlers an application configures).
    sqlglot_logger = logging.getLogger("sqlglot")
    if not any(isinstance(h, logging.NullHandler) for h in sqlglot_logger.handlers):
        sqlglot_logger.addHandler(logging.NullHandler())
    return Dialect.get_or_raise(name)


@lru_cache(maxsize=64)
def _dialect_order(name: str | None) -> tuple[tuple[Dialect, ...], bool]:
    """The dialects to try, in order, and whether ``name`` is one sqlglot knows."""
    names = list(_DIALECTS)
    given = False
    if name is not None:
        key = name.strip().lower()
        key = _DIALECT_ALIASES.get(key, key)
        if re.fullmatch(r"[a-z][a-z0-9_]*", key):
            try:
                _dialect(key)
            except ValueError:  # unknown: read the text as if no dialect was given
                pass
            else:
                names = [key] + [n for n in names if n != key]
                given = True
    return tuple(_dialect(n) for n in names), given


def _is_statement(node: exp.Expr) -> bool:
    """False for a bare expression (``hello world`` parses as a column with an alias)."""
    from sqlglot import exp

    return not isinstance(node, exp.Condition | exp.Alias | exp.Tuple | exp.Star)


class _Reading:
    """The statements of a text in one dialect, or why no dialect reads it; and the first
    tokenization, which cuts the text into statements when it does not parse as a whole."""

    __slots__ = ("dialect", "reason", "statements", "tokens")

    def __init__(self) -> None:
        self.dialect: Dialect | None = None
        self.statements: list[exp.Expr] | None = None
        self.reason = DOES_NOT_PARSE
        self.tokens: list[Any] | None = None


# What sqlglot raises on text it cannot read, besides its own errors: bugs of its own, said so
# in an unresolved fact rather than hidden.
_SQLGLOT_BUGS = (ValueError, TypeError, KeyError, IndexError, AttributeError)


def _read(text: str, dialects: tuple[Dialect, ...]) -> _Reading:
    """Read ``text`` in the first of ``dialects`` that reads all of it as SQL statements."""
    from sqlglot.errors import ParseError, TokenError

    reading = _Reading()
    for dialect in dialects:
        try:
            tokens = dialect.tokenize(text)
            if reading.tokens is None:
                reading.tokens = tokens
            trees = dialect.parser().parse(tokens, text)
        except (ParseError, TokenError):
            continue
        except RecursionError:
            reading.reason = TOO_DEEP  # as deep in every dialect
            return reading
        except _SQLGLOT_BUGS:
            reading.reason = PARSER_FAILED  # another dialect may still read it
            continue
        statements = [t for t in trees if t is not None]
        if all(_is_statement(s) for s in statements):
            reading.statements = statements
            reading.dialect = dialect
            return reading
    return reading


def _pieces(text: str, tokens: list[Any]) -> list[str]:
    """``text`` cut at the semicolon tokens; pieces with no token (comments only) left out."""
    from sqlglot import TokenType

    pieces: list[str] = []
    start = 0
    has_tokens = False
    for token in tokens:
        if token.token_type == TokenType.SEMICOLON:
            if has_tokens:
                pieces.append(text[start : token.start])
            start = token.end + 1
            has_tokens = False
        else:
            has_tokens = True
    if has_tokens:
        pieces.append(text[start:])
    return pieces


# Statements sqlglot reads as bare expressions or cannot parse at all.
_TRANSACTION_WORDS = re.compile(r"\s*(?:savepoint|release)\b", re.IGNORECASE)
# Where MySQL reads a text otherwise than the others: backslash escapes in strings, # comments.
_MYSQL_DIVERGES = re.compile(r"[\\#]")


def _analyse(text: str, dialects: tuple[Dialect, ...], guessed: bool, out: _Facts) -> None:
    for is_meta, segment in _psql_segments(text):
        if is_meta:
            _psql_meta(segment, out)
        else:
            _analyse_sql(segment, dialects, guessed, out)


def _analyse_sql(text: str, dialects: tuple[Dialect, ...], guessed: bool, out: _Facts) -> None:
    """Facts of SQL text. ``guessed``: no dialect was given, so where MySQL would read the text
    otherwise (``'a\\'; DROP TABLE t; -- '`` is one string to MySQL, two statements to
    Postgres), the facts of both readings."""
    if not text.strip():
        return
    for body in _executable_comments(text):
        _keyword_scan(body, out)
    reading = _read(text, dialects)
    if reading.statements is not None:
        for statement in reading.statements:
            _statement_facts(statement, out)
        mysql = _dialect("mysql")
        if guessed and reading.dialect is not mysql and _MYSQL_DIVERGES.search(text):
            for statement in _read(text, (mysql,)).statements or []:
                _statement_facts(statement, out)
        return
    # Some statement does not parse: read the others one by one, scan the ones that fail.
    pieces = _pieces(text, reading.tokens) if reading.tokens is not None else []
    if len(pieces) < 2:
        if not (pieces and _TRANSACTION_WORDS.match(pieces[0])):
            out.fail(reading.reason)
            _keyword_scan(text, out)
        return
    for piece in pieces:
        if _TRANSACTION_WORDS.match(piece):
            continue
        part = _read(piece, dialects)
        if part.statements is None:
            out.fail(part.reason)
            _keyword_scan(piece, out)
        else:
            for statement in part.statements:
                _statement_facts(statement, out)


def _executable_comments(text: str) -> list[str]:
    """The bodies of MySQL's executable comments (``/*!40000 DROP DATABASE x */``, MariaDB's
    ``/*M! … */``): comments to a parser, statements to MySQL."""
    bodies: list[str] = []
    start = text.find("/*")
    while start >= 0:
        end = text.find("*/", start + 2)
        body = text[start + 2 : end if end >= 0 else len(text)]
        if body.startswith(("!", "M!")):
            bodies.append(body[body.index("!") + 1 :].lstrip("0123456789"))
        if end < 0:
            break
        start = text.find("/*", end + 2)
    return bodies


# -- psql meta-commands ---------------------------------------------------------------------

_PSQL_META_LINE = re.compile(r"^[ \t]*\\", re.MULTILINE)
_PSQL_COMMAND = re.compile(r"\\(\S*)\s*(.*)", re.DOTALL)


def _psql_segments(text: str) -> list[tuple[bool, str]]:
    """``text`` cut into SQL and psql meta-command lines (``\\c db``, ``\\copy …``), in order."""
    if not _PSQL_META_LINE.search(text):
        return [(False, text)]
    segments: list[tuple[bool, str]] = []
    sql: list[str] = []
    for line in text.split("\n"):
        if line.lstrip(" \t").startswith("\\"):
            if sql:
                segments.append((False, "\n".join(sql)))
                sql = []
            segments.append((True, line.strip()))
        else:
            sql.append(line)
    if sql:
        segments.append((False, "\n".join(sql)))
    return segments


def _psql_meta(line: str, out: _Facts) -> None:
    """``\\copy … to`` is a copy_to, ``\\copy … from`` a copy_from; other meta-commands are not
    SQL, but go through the keyword scan (``\\! mysql -e 'DROP DATABASE x'``)."""
    command = _PSQL_COMMAND.match(line)
    if command is None or command.group(1).lower() != "copy":
        _keyword_scan(line, out)
        return
    rest = command.group(2)
    from sqlglot.errors import ParseError, TokenError

    postgres = _dialect("postgres")
    try:
        trees = postgres.parse("COPY " + rest)
    except (ParseError, TokenError, RecursionError, ValueError, TypeError, KeyError, IndexError):
        trees = []
    copies = [t for t in trees if t is not None]
    if len(copies) == 1 and _copy_facts(copies[0], out):
        return
    direction, obj = _psql_copy_words(rest)
    if direction is None:
        out.fail(DOES_NOT_PARSE)
    else:
        out.add("copy_to" if direction == "to" else "copy_from", obj)


def _psql_copy_words(rest: str) -> tuple[str | None, str]:
    """The direction (``to``/``from``) and table of ``\\copy`` arguments psql accepts but sqlglot
    does not (``\\copy t to 'f' csv header``): the first word outside quotes and parentheses after
    the table or query."""
    words: list[str] = []
    depth = 0
    quote = ""
    word = ""
    for ch in rest + " ":
        if quote:
            word += ch
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
            word += ch
        elif ch == "(":
            depth += 1
            if depth == 1 and not words and not word:
                words.append("(")
        elif ch == ")":
            depth = max(depth - 1, 0)
        elif depth:
            continue
        elif ch.isspace():
            if word:
                words.append(word)
                word = ""
        else:
            word += ch
    if not words:
        return None, ""
    obj = "" if words[0] == "(" else _name_text(words[0])
    for w in words[1:]:
        if w.lower() in ("to", "from"):
            return w.lower(), obj
    return None, obj


# -- statements → facts ---------------------------------------------------------------------


def _statement_facts(statement: exp.Expr, out: _Facts) -> None:
    """The facts of one top-level statement, then those of every DML/DDL statement inside it."""
    from sqlglot import exp

    if isinstance(statement, exp.Query | exp.Values):
        out.add("select", _query_source(statement))
    elif isinstance(statement, exp.Transaction | exp.Commit | exp.Rollback | exp.Semicolon):
        pass  # transaction control, or a statement that is only a comment
    elif isinstance(statement, exp.Command):
        _command_facts(statement, out)
    elif not _dml_ddl_facts(statement, out):
        this = statement.args.get("this")
        out.add("other", _name(this) if isinstance(this, exp.Table) else "")
    for node in statement.walk(bfs=False):
        if node is statement:
            continue
        if isinstance(node, exp.Update | exp.Insert) and isinstance(node.parent, exp.When):
            continue  # a MERGE's action, counted with the MERGE
        if isinstance(node, exp.Drop) and isinstance(node.parent, exp.Alter):
            continue  # ALTER TABLE … DROP COLUMN: part of the alter_table
        _dml_ddl_facts(node, out)


def _dml_ddl_facts(node: exp.Expr, out: _Facts) -> bool:
    """Facts of a DML or DDL node; False when ``node`` is neither."""
    from sqlglot import exp

    if isinstance(node, exp.Drop):
        kind = _DROP_KINDS.get(str(node.args.get("kind") or "").upper(), "drop_other")
        for target in node.args.get("tables") or [None]:
            out.add(kind, _name(target))
    elif isinstance(node, exp.TruncateTable):
        for target in node.expressions or [None]:
            out.add("truncate", _name(target))
    elif isinstance(node, exp.Delete):
        kind = "delete_all" if _truth(node.args.get("where")) is True else "delete"
        for target in node.args.get("tables") or [node.this]:
            out.add(kind, _name(target))
    elif isinstance(node, exp.Update):
        kind = "update_all" if _truth(node.args.get("where")) is True else "update"
        out.add(kind, _name(node.this))
    elif isinstance(node, exp.Insert):
        out.add("insert", _name(node.this))
    elif isinstance(node, exp.Merge):
        _merge_facts(node, out)
    elif isinstance(node, exp.Copy):
        _copy_facts(node, out)
    elif isinstance(node, exp.Alter):
        kind = "alter_table" if str(node.args.get("kind") or "").upper() == "TABLE" else "other"
        out.add(kind, _name(node.this))
    elif isinstance(node, exp.Create):
        out.add("create", _name(node.this))
    elif isinstance(node, exp.Grant):
        out.add("grant", _name(node.args.get("securable")))
    elif isinstance(node, exp.Revoke):
        out.add("revoke", _name(node.args.get("securable")))
    else:
        return False
    return True


_DROP_KINDS = {
    "DATABASE": "drop_database",
    "SCHEMA": "drop_schema",
    "TABLE": "drop_table",
    "VIEW": "drop_view",
    "INDEX": "drop_index",
}


def _merge_facts(node: exp.Merge, out: _Facts) -> None:
    """A MERGE is the insert, update and delete of its WHEN clauses (each conditional on the
    match, so never ``*_all``)."""
    from sqlglot import exp

    target = _name(node.this)
    whens = node.args.get("whens")
    for when in whens.expressions if whens is not None else []:
        then = when.args.get("then")
        if isinstance(then, exp.Insert):
            out.add("insert", target)
        elif isinstance(then, exp.Update):
            out.add("update", target)
        elif then is not None and then.name.upper() == "DELETE":
            out.add("delete", target)


def _copy_facts(node: exp.Expr, out: _Facts) -> bool:
    """COPY … TO (a file, PROGRAM, STDOUT) is a copy_to, COPY … FROM a copy_from; False when
    ``node`` is no COPY."""
    from sqlglot import exp

    if not isinstance(node, exp.Copy):
        return False
    source = node.this
    obj = _name(source) if isinstance(source, exp.Table | exp.Schema) else _query_source(source)
    out.add("copy_from" if node.args.get("kind") else "copy_to", obj)
    return True


_COMMAND_KINDS = {
    "GRANT": "grant",
    "REVOKE": "revoke",
    "DROP": "drop_other",
    "CREATE": "create",
    "INSERT": "insert",
    "REPLACE": "insert",
    "UPSERT": "insert",
    "SELECT": "select",
    "WITH": "select",
}
_TRANSACTION_COMMANDS = {"BEGIN", "START", "END", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"}
_SCANNED = {"DROP", "TRUNCATE", "DELETE", "UPDATE", "COPY"}  # statements the keyword scan sees


def _command_facts(node: exp.Command, out: _Facts) -> None:
    """A statement sqlglot keeps as opaque text (``DROP USER``, ``DO $$…$$``, ``EXPLAIN …``):
    the keyword scan of its text, and a kind from its first word unless the scan saw that
    statement already."""
    words = f"{node.name} {node.text('expression')}"
    before = len(out.statements)
    _keyword_scan(words, out)
    scanned = len(out.statements) > before
    head, _, rest = words.strip().partition(" ")
    head = head.upper()
    if head == "ALTER":
        kind = "alter_table" if rest.strip().upper().startswith("TABLE") else "other"
    else:
        kind = _COMMAND_KINDS.get(head, "other")
    if head in _TRANSACTION_COMMANDS or (scanned and (head in _SCANNED or kind == "other")):
        return
    out.add(kind)


# -- names ----------------------------------------------------------------------------------


def _name(node: Any) -> str:
    """The lower-case qualified name of a table-like node (``db.schema.table``), or ""."""
    from sqlglot import exp

    while isinstance(node, exp.Schema | exp.UserDefinedFunction):
        node = node.this
    if isinstance(node, exp.Table):
        parts = [p.name for p in node.parts]
    elif isinstance(node, exp.Index):
        parts = [node.name]
    elif isinstance(node, exp.Identifier | exp.Column | exp.Dot | exp.Var):
        parts = [p.name for p in node.parts] if isinstance(node, exp.Column) else [node.name]
    else:
        return ""
    return ".".join(p.lower() for p in parts if p)


def _query_source(node: Any) -> str:
    """The first table in the FROM of a query (the left side of a UNION), or ""."""
    from sqlglot import exp

    for _ in range(64):  # a bound; parse trees are never this deep here
        if isinstance(node, exp.Subquery | exp.Paren):
            node = node.this
        elif isinstance(node, exp.SetOperation):
            node = node.left
        elif isinstance(node, exp.Select):
            from_ = node.args.get("from_") or node.args.get("from")
            if from_ is None:
                return ""
            node = from_.this
        elif isinstance(node, exp.Table):
            return _name(node)
        else:
            return ""
    return ""


# an unclosed quote runs to the end (and the match with it: no quadratic re-scan)
_NAME_PART = re.compile(
    r'"((?:[^"]|"")*)(?:"|$)|`((?:[^`]|``)*)(?:`|$)|\[([^\]]*)(?:\]|$)|([^\s."`\[]+)'
)


def _name_text(text: str) -> str:
    """A qualified name as written (``"Sales".Orders``, ``[dbo].[t]``) → ``sales.orders``."""
    parts = []
    for m in _NAME_PART.finditer(text):
        double, back, bracket, bare = m.groups()
        if double is not None:
            parts.append(double.replace('""', '"'))
        elif back is not None:
            parts.append(back.replace("``", "`"))
        else:
            parts.append(bracket if bracket is not None else bare)
    return ".".join(p.lower() for p in parts if p)


# -- trivially true WHERE -------------------------------------------------------------------


def _truth(node: Any) -> bool | None:
    """Whether a condition holds for every row (True), for none (False), or it depends (None).

    Absent (no WHERE) is True. Trivially true: TRUE; a non-zero number (``WHERE 1``); a comparison
    of two literals that holds (``1=1``, ``'a'='a'``, ``2>1``, ``1<>2``); a column compared with
    itself by ``=``, ``>=`` or ``<=`` (``id = id``: every row where it is not NULL); ``LIKE '%'``
    (any number of ``%``); a literal IN a list of literals that holds it; NOT of a trivially false
    condition; OR with a trivially true side; AND of trivially true sides; any of these in
    parentheses. Anything else (NULL included) depends on the rows.
    """
    from sqlglot import exp

    if node is None:
        return True
    if isinstance(node, exp.Where | exp.Paren):
        return _truth(node.this)
    if isinstance(node, exp.Boolean):
        return bool(node.this)
    if isinstance(node, exp.Literal | exp.Neg):
        value = _constant(node)
        return value != 0 if isinstance(value, float) else None
    if isinstance(node, exp.Not):
        inner = _truth(node.this)
        return None if inner is None else not inner
    if isinstance(node, exp.And | exp.Or):
        left, right = _truth(node.left), _truth(node.right)
        if isinstance(node, exp.And):
            return False if False in (left, right) else True if left and right else None
        return True if True in (left, right) else False if left is right is False else None
    if isinstance(node, exp.EQ | exp.NEQ | exp.GT | exp.GTE | exp.LT | exp.LTE):
        return _comparison(node)
    if isinstance(node, exp.Like):
        pattern = node.expression
        if isinstance(pattern, exp.Literal) and pattern.is_string and set(pattern.name) == {"%"}:
            return True
        return None
    if isinstance(node, exp.In) and not node.args.get("query"):
        value = _constant(node.this)
        items = [_constant(e) for e in node.expressions]
        if value is None or any(i is None for i in items):
            return None
        return True if value in items else None
    return None


def _constant(node: Any) -> float | str | None:
    """A numeric literal as a float, a string literal as a str, else None."""
    from sqlglot import exp

    negative = False
    while isinstance(node, exp.Neg):
        node, negative = node.this, not negative
    if not isinstance(node, exp.Literal):
        return None
    if node.is_string:
        return None if negative else str(node.this)
    try:
        value = float(node.this)
    except (TypeError, ValueError):
        return None
    if value != value:  # NaN
        return None
    return -value if negative else value


def _comparison(node: Any) -> bool | None:
    from sqlglot import exp

    left, right = node.this, node.expression
    lv, rv = _constant(left), _constant(right)
    if isinstance(lv, float) and isinstance(rv, float):
        if isinstance(node, exp.EQ):
            return lv == rv
        if isinstance(node, exp.NEQ):
            return lv != rv
        if isinstance(node, exp.GT):
            return lv > rv
        if isinstance(node, exp.GTE):
            return lv >= rv
        if isinstance(node, exp.LT):
            return lv < rv
        return lv <= rv
    if isinstance(lv, str) and isinstance(rv, str) and isinstance(node, exp.EQ | exp.NEQ):
        if lv == rv:
            return isinstance(node, exp.EQ)
        if lv.lower() != rv.lower():  # equal ignoring case: depends on the collation
            return isinstance(node, exp.NEQ)
        return None
    if (
        isinstance(left, exp.Column)
        and isinstance(right, exp.Column)
        and _name(left) == _name(right)
        and _name(left)
    ):
        return isinstance(node, exp.EQ | exp.GTE | exp.LTE)
    return None


# -- keyword scan ---------------------------------------------------------------------------
#
# The scan reads the raw text, comments included (so that MySQL's executable /*! … */ comments
# are read too): it errs on the side of seeing a statement. Between two keywords it accepts blanks
# and comments (`DROP /* x */ TABLE`), so it needs no global reading of quotes and comments that a
# crafted text could confuse. It runs on RE2 and in linear time: everything after a keyword is
# optional, so a gap that runs to the end of the text (an unclosed comment or quote) ends the
# match there instead of being read again from each later keyword.

_GAP = r"(?:\s|/\*.*?(?:\*/|$)|--[^\n]*(?:\n|$)|#[^\n]*(?:\n|$))+"
_PART = r'(?:"(?:[^"]|"")*(?:"|$)|`(?:[^`]|``)*(?:`|$)|\[[^\]]*(?:\]|$)|[\pL\pN_$@]+)'
_QNAME = rf"{_PART}(?:\s*\.\s*{_PART})*"
_SCAN = (
    r"(?is)"
    rf"\b(?P<drop>drop)\b(?:{_GAP}(?:(?:temporary|temp)\b(?:{_GAP})?)?(?:materialized\b(?:{_GAP})?)?"
    rf"(?:(?P<dkind>[a-z_]+)\b(?:{_GAP}(?:if\b(?:{_GAP}(?:exists\b(?:{_GAP})?)?)?)?"
    rf"(?P<dname>{_QNAME})?)?)?)?"
    rf"|\b(?P<truncate>truncate)\b(?:{_GAP}(?:table\b(?:{_GAP})?)?(?:only\b(?:{_GAP})?)?"
    rf"(?P<tname>{_QNAME})?)?"
    rf"|\b(?P<delete>delete)\b(?:{_GAP}(?:from\b(?:{_GAP})?)?(?P<delname>{_QNAME})?)?"
    rf"|\b(?P<update>update)\b(?:{_GAP}(?:(?P<updname>{_QNAME})(?:{_GAP}(?:(?P<set>set)\b)?)?)?)?"
    rf"|\b(?P<copy>copy)\b(?:{_GAP}(?P<copyname>{_QNAME}|\()?)?"
    rf"|\b(?P<into>into)\b(?:{_GAP}(?:(?P<outfile>outfile|dumpfile)\b)?)?"
)
# Statement ends, WHERE and TO: they decide delete/delete_all, update/update_all, copy_to/from.
_SCAN_BOUNDARIES = re.compile(rb"(;)|\b(where)\b|\b(to)\b", re.IGNORECASE)
# DROP followed by these is a clause of ALTER TABLE, not a statement
_ALTER_CLAUSES = {
    "column",
    "constraint",
    "default",
    "not",
    "primary",
    "foreign",
    "partition",
    "check",
    "key",
    "identity",
    "expression",
    "if",
}


@cache
def _scan_pattern() -> tuple[Any, dict[str, int]]:
    import re2

    options = re2.Options()
    options.log_errors = False
    compiled = re2.compile(_SCAN, options=options)
    # RE2's matcher is called directly on UTF-8 bytes: the module's match objects rebuild the
    # group table on every lookup by name, which costs more than the match itself.
    return compiled._regexp.Match, dict(compiled.groupindex)


def _keyword_scan(text: str, out: _Facts) -> None:
    """Dangerous statements found by keywords alone, for text that does not parse: DROP …,
    TRUNCATE, DELETE (``delete`` when a WHERE follows before the next ``;``, else
    ``delete_all``), ``UPDATE t SET`` (likewise), COPY (``copy_to`` when a TO follows before the
    next ``;``, else ``copy_from``), ``INTO OUTFILE``/``INTO DUMPFILE`` (``copy_to``)."""
    import re2

    match, group = _scan_pattern()
    data = text.encode("utf-8", "replace")  # a lone surrogate becomes "?"
    semis: list[int] = []
    wheres: list[int] = []
    tos: list[int] = []
    for b in _SCAN_BOUNDARIES.finditer(data):
        (semis if b.group(1) else wheres if b.group(2) else tos).append(b.start())

    def follows(positions: list[int], start: int) -> bool:
        """Whether a position in ``positions`` lies between ``start`` and the next ``;``."""
        i = bisect.bisect_left(positions, start)
        j = bisect.bisect_left(semis, start)
        return i < len(positions) and (j == len(semis) or positions[i] < semis[j])

    def name(spans: list[tuple[int, int]], key: str) -> str:
        s, e = spans[group[key]]
        return _name_text(data[s:e].decode("utf-8", "replace")) if s >= 0 else ""

    def has(spans: list[tuple[int, int]], key: str) -> bool:
        return spans[group[key]][0] >= 0

    unanchored = re2._Anchor.UNANCHORED
    pos, end = 0, len(data)
    while pos <= end:
        spans = match(unanchored, data, pos, end)
        start, stop = spans[0]
        if start < 0:
            break
        pos = stop if stop > pos else pos + 1

        if has(spans, "drop"):
            ks, ke = spans[group["dkind"]]
            what = data[ks:ke].decode("ascii", "replace").lower() if ks >= 0 else ""
            if what and what not in _ALTER_CLAUSES:
                out.add(_DROP_KINDS.get(what.upper(), "drop_other"), name(spans, "dname"))
        elif has(spans, "truncate"):
            out.add("truncate", name(spans, "tname"))
        elif has(spans, "delete"):
            out.add("delete" if follows(wheres, stop) else "delete_all", name(spans, "delname"))
        elif has(spans, "update"):
            if has(spans, "set"):
                out.add("update" if follows(wheres, stop) else "update_all", name(spans, "updname"))
        elif has(spans, "copy"):
            s, e = spans[group["copyname"]]
            obj = "" if data[s:e] == b"(" else name(spans, "copyname")
            out.add("copy_to" if follows(tos, stop) else "copy_from", obj)
        elif has(spans, "into") and has(spans, "outfile"):
            out.add("copy_to", "")
