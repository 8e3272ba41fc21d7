"""The input vocabulary: every fact predicate that normalization produces for policies to read.

This is the contract between normalizers (which produce these facts) and the policy checker
(which accepts exactly these as input predicates, with these arities and argument kinds).
"""

from __future__ import annotations

from dataclasses import dataclass

from policyc.action.schema import ATTRIBUTES


@dataclass(frozen=True, slots=True)
class InputPredicate:
    name: str
    params: tuple[tuple[str, str], ...]  # (parameter name, kind: string | integer | boolean | any)
    doc: str

    @property
    def arity(self) -> int:
        return len(self.params)


ATTRIBUTE_PREFIX = "action."


def attribute_predicate(path: str) -> str:
    """The fact predicate holding attribute ``path`` (``resource.path`` → ``action.resource.path``)."""
    return ATTRIBUTE_PREFIX + path


def _attribute_predicates() -> list[InputPredicate]:
    out = []
    for path, t in ATTRIBUTES.items():
        if t.kind == "object":
            out.append(
                InputPredicate(
                    attribute_predicate(path),
                    (("key_path", "string"), ("value", "any")),
                    f"each leaf of the object `{path}`: its dotted key path and value",
                )
            )
        else:
            doc = f"the action's `{path}`" + (" (one fact per element)" if t.many else "")
            out.append(InputPredicate(attribute_predicate(path), (("value", t.kind),), doc))
    return out


_FACTS = [
    InputPredicate(
        "reads_file", (("path", "string"),), "the action reads this file (absolute, canonical)"
    ),
    InputPredicate("writes_file", (("path", "string"),), "the action creates or changes this file"),
    InputPredicate(
        "deletes_file", (("path", "string"),), "the action deletes this file or directory"
    ),
    InputPredicate(
        "command", (("name", "string"),), "a program a shell command runs (wrappers included)"
    ),
    InputPredicate(
        "command_arg", (("name", "string"), ("arg", "string")), "a literal argument of a program"
    ),
    InputPredicate(
        "command_flag",
        (("name", "string"), ("flag", "string")),
        "a flag of a program, normalised (`-rf` gives `-r` and `-f`; `--recursive` of rm is `-r`)",
    ),
    InputPredicate(
        "url_scheme", (("scheme", "string"),), "the scheme of the action's URL (lower case)"
    ),
    InputPredicate(
        "url_host", (("host", "string"),), "the host of a URL: lower case, IDNA, IPs normalised"
    ),
    InputPredicate(
        "url_domain",
        (("domain", "string"),),
        "the registrable domain of a URL's host (github.com for api.github.com)",
    ),
    InputPredicate(
        "url_port",
        (("port", "integer"),),
        "the port of a URL (the scheme's default when none is given)",
    ),
    InputPredicate("url_path", (("path", "string"),), "the path of a URL"),
    InputPredicate("url_ip", (("ip", "string"),), "the URL's host is this IP literal"),
    InputPredicate(
        "contacts_host",
        (("host", "string"),),
        "the action connects to this host (a URL, curl, ssh, scp, nc …)",
    ),
    InputPredicate(
        "uploads_to",
        (("host", "string"),),
        "the action sends data to this host (POST/PUT/PATCH, curl -d/-F/-T, scp/rsync to it, nc)",
    ),
    InputPredicate(
        "path_dir",
        (("path", "string"), ("dir", "string")),
        "the directory of a path the action touches (`/repo/src` for `/repo/src/a.py`)",
    ),
    InputPredicate(
        "path_name",
        (("path", "string"), ("name", "string")),
        "the last component of a path the action touches (`a.py`)",
    ),
    InputPredicate(
        "path_ext",
        (("path", "string"), ("ext", "string")),
        "the extension of a path the action touches, lower case, no dot (`py`; none for `.env`)",
    ),
    InputPredicate(
        "path_glob",
        (("path", "string"), ("glob", "string")),
        "a path of the file facts is a shell pattern (`/repo/src/*.py`): every path it may name "
        "matches one of its globs (`/repo/src/*.[pP][yY]`), for `glob_overlap`",
    ),
    InputPredicate(
        "reads_tree",
        (("dir", "string"), ("glob", "string")),
        "a recursive read of the folder `dir` (`grep -r`, `cp -r`, `tar c`, `zip -r`, `rsync -a`, "
        "`rg --hidden`): every file below it, hidden ones included, that matches `glob` "
        "(`/repo/**`, or `/repo/**/*.[pP][yY]` for `grep --include='*.py'`), for `glob_overlap`",
    ),
    InputPredicate(
        "destructive",
        (("kind", "string"), ("target", "string")),
        "a destructive operation: `recursive_delete`, `recursive_force_delete`, `shred`, "
        "`disk_overwrite`, `filesystem_create`, `truncate`, `backup_delete`; the target is a "
        "canonical path (or a locator such as `s3://bucket/key` or a snapshot id)",
    ),
    InputPredicate(
        "git_op",
        (("op", "string"), ("detail", "string")),
        "a git operation: `push`, `force_push`, `mirror_push`, `push_delete`, `reset_hard`, "
        "`clean_force`, `branch_force_delete`, `rewrite_history`, `checkout_force`; the detail is "
        "the remote or refspec of a push, the target of a reset, the branch deleted, the "
        "subcommand that rewrites history, or the pathspec (docs/facts.md)",
    ),
    InputPredicate(
        "infra_op",
        (("tool", "string"), ("op", "string"), ("target", "string")),
        "an infrastructure change: terraform/tofu/terragrunt `destroy` `apply` `replace` "
        "`state_rm` …, pulumi `destroy` `up` `stack_rm`, kubectl verbs that change the cluster "
        "(`delete` `apply` `scale` …; reads such as `get` give none), helm `uninstall` `upgrade` "
        '`install` `rollback`; the target (`deployment/web`, a resource address) or ""',
    ),
    InputPredicate(
        "publishes_package",
        (("tool", "string"), ("registry", "string")),
        "the action publishes a package or image (npm publish, twine upload, docker push …)",
    ),
    InputPredicate(
        "reads_secret_store",
        (("tool", "string"), ("name", "string")),
        "the action prints a secret from a secret store (vault kv get, aws secretsmanager "
        'get-secret-value, kubectl get secret -o yaml, op read …); the name as written, or ""',
    ),
    InputPredicate(
        "sql_statement",
        (("kind", "string"), ("object", "string")),
        "a SQL statement the action runs (db.query payload, psql/mysql/sqlite3): kinds such as "
        "`drop_database`, `drop_schema`, `drop_table`, `truncate`, `delete_all`, `update_all`, "
        "`copy_to`; the object's qualified name in lower case",
    ),
    InputPredicate(
        "secret",
        (("kind", "string"), ("field", "string")),
        "a secret-looking value of this kind (`aws-access-key`, `jwt`, `private-key` …) was found "
        "in this field of the action (`command`, `payload`, `tool.input.body` …)",
    ),
    InputPredicate(
        "unresolved",
        (("kind", "string"), ("detail", "string")),
        "a part of the action that could not be resolved statically",
    ),
]

INPUT_PREDICATES: dict[str, InputPredicate] = {
    p.name: p for p in sorted(_attribute_predicates() + _FACTS, key=lambda p: p.name)
}
