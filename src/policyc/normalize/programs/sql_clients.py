"""SQL clients: the SQL a client runs, its client commands, and the database hosts contacted.

SQL clients (``sql_statement`` and ``unresolved("sql")`` from :mod:`policyc.normalize.sql`):
``psql -c``/``--command``, ``mysql``/``mariadb -e``/``--execute``/``--init-command``,
``sqlite3 DB SQL…``/``-cmd``, ``duckdb DB SQL…``/``-c``/``-cmd``, ``clickhouse-client
--query``/``-q``. SQL from a file (``-f``, ``--queries-file``, ``-init``, ``< file``) is
``reads_file`` and ``unresolved("sql")``. With no SQL argument the client reads stdin: a literal
here-document, here-string or ``echo``/``printf`` pipeline is analysed; anything else is
``unresolved("sql")``. Client commands that run programs or touch files are seen: psql ``\\!``,
``\\o |cmd``, ``\\i``; mysql ``system``/``\\!``, ``source``; sqlite/duckdb ``.shell``,
``.system``, ``.read``, ``.output`` …; unknown ones are ``unresolved("sql")``.
"""

from __future__ import annotations

import re

from policyc.normalize.programs.contract import Shell, _program
from policyc.normalize.programs.files import _write
from policyc.normalize.programs.options import _literal, gnu_options

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


# -- database administration tools: what they do to databases, without SQL ---------------------

_DB_ADMIN_VALUES = {
    "dropdb": ("hpUw", ("host", "port", "username", "maintenance-db")),
    "mysqladmin": ("hPuSp", ("host", "port", "user", "socket", "password")),
}


@_program("dropdb")
def _dropdb(client: str, args: list[str | None], sh: Shell) -> None:
    """``dropdb NAME``: DROP DATABASE NAME (``drop_database``; ``""`` when computed)."""
    short, long_ = _DB_ADMIN_VALUES[client]
    opts = gnu_options(args, short_values=short, long_values=long_)
    names = opts.operands[:1] or [None]
    for name in names:
        sh.add("sql_statement", "drop_database", (name or "").lower())
        if name is None:
            sh.add("unresolved", "sql", "dropdb drops a database named at run time")


@_program("mysqladmin")
def _mysqladmin(client: str, args: list[str | None], sh: Shell) -> None:
    """``mysqladmin drop NAME`` (and ``create``): the statement the subcommand stands for."""
    short, long_ = _DB_ADMIN_VALUES[client]
    ops = list(gnu_options(args, short_values=short, long_values=long_).operands)
    while ops:
        verb = ops.pop(0)
        if verb is None:
            sh.add("unresolved", "sql", "mysqladmin runs a command computed at run time")
            return
        if verb.lower() in ("drop", "create"):
            name = ops.pop(0) if ops else None
            kind = "drop_database" if verb.lower() == "drop" else "create"
            sh.add("sql_statement", kind, (name or "").lower())
            if name is None:
                sh.add("unresolved", "sql", f"mysqladmin {verb} of a database named at run time")


@_program("mongosh", "mongo")
def _mongosh(client: str, args: list[str | None], sh: Shell) -> None:
    """``mongosh --eval JS`` / a script file: JavaScript against the database, not analysed."""
    for a in args:
        if a is None or a in ("--eval", "-e") or (a or "").startswith("--eval="):
            sh.add("unresolved", "inline_code", f"{client} runs JavaScript that is not analysed")
            return
        if a.endswith(".js"):
            sh.file("reads_file", a)
            sh.add(
                "unresolved", "script", f"{client} runs a script file whose commands are not seen"
            )
            return


@_program("rails", "rake")
def _rails(client: str, args: list[str | None], sh: Shell) -> None:
    """``rails db:drop`` / ``db:reset`` / ``db:schema:load`` … drop or rebuild the database."""
    for a in args:
        task = (a or "").split("[", 1)[0]
        if task in ("db:drop", "db:drop:all", "db:reset", "db:purge", "db:purge:all"):
            sh.add("sql_statement", "drop_database", "")
        elif task in ("db:schema:load", "db:structure:load", "db:setup", "db:truncate_all"):
            sh.add("sql_statement", "truncate", "")
        elif a is None:
            sh.add("unresolved", "argument", f"{client} runs a task computed at run time")
