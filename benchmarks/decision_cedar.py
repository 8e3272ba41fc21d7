"""A Cedar translation of the standard library's path, command and upload rules, for cedarpy.

Cedar decides allow or deny, so the rules translated are those whose effect stops an action
(``deny``, ``terminate``, ``require_approval``): each becomes one ``forbid`` policy annotated
with the rule's id, next to one catch-all ``permit``. Cedar reports every satisfied ``forbid`` as
a reason, so the ids of the rules that fire can be compared with policyc's, action by action.

The tables the rules read (secret, public, auth, payment, infrastructure, CI/CD, migration and
backup globs, known domains, the ``in`` lists of operations and commands) are read from the
compiled standard library, so the translation follows it as it changes. Each rule's shape is
written here by hand, and an action whose outcomes differ between the engines fails the run.

**Requests.** Cedar has no "some element of this set matches this pattern", so an action is sent
as one request per file it touches, per folder it reads recursively (``grep -r``, ``tar c`` …:
below a source folder such a read is fine, elsewhere it needs approval, as in
``unresolved.action``) and per host it uploads to (at least one request); every
request carries the action-level facts as context sets. The context is built from the same
normalized facts policyc evaluates (:func:`cedar_requests`).

**Globs.** A glob ``**/TAIL`` becomes an exact condition when ``like`` (whose ``*`` crosses
``/``) can be kept inside one path segment: a pattern on the file name (``**/*.pem`` → ``name
like "*.pem"``), a literal tail (``**/.aws/credentials`` → ``path like "*/.aws/credentials"``),
a directory subtree (``**/.ssh/**`` → ``path like "*/.ssh/*"``, also with a trailing ``*`` in its
last segment: ``**/payment*/**``), or a literal directory with a name pattern (``**/a/b/*.yml`` →
``dir like "*/a/b" && name like "*.yml"``). ``{a,b}`` alternatives are expanded. Any other
shape raises :class:`Untranslatable`, and the rule is reported as not translated.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

PERMIT_ID = "allow_unless_forbidden"
PREFIX = "coding_agent"


class Untranslatable(ValueError):
    """A condition that has no exact Cedar translation here."""


@dataclass
class CedarTranslation:
    policies: str
    rules: list[str]  # ids of the translated outcome rules
    skipped: dict[str, str] = field(default_factory=dict)  # rule id → why it is not translated


# -- reading the compiled program -----------------------------------------------------------------


def _table(program: Any, predicate: str) -> list[str]:
    """The string facts of a one-column table, e.g. ``coding_agent.secrets.secret_glob``."""
    rows = [
        r.head.args[0].value
        for r in program.rules
        if r.is_fact and r.head.predicate == predicate and len(r.head.args) == 1
    ]
    if not rows:
        raise Untranslatable(f"the table {predicate} is empty or gone")
    return rows


def _rules_of(program: Any, predicate: str) -> list[Any]:
    rules = [r for r in program.rules if r.head.predicate == predicate and not r.is_fact]
    if not rules:
        raise Untranslatable(f"no rule derives {predicate}")
    return rules


def _in_list(program: Any, predicate: str) -> list[str]:
    """The constants of the ``X = "c"`` comparisons of an outcome's rules: an ``in`` list
    compiles to one rule per element."""
    from policyc.engine.ir import Comparison, Const

    out: list[str] = []
    for rule in _rules_of(program, predicate):
        for lit in rule.body:
            if isinstance(lit, Comparison) and lit.op == "=" and isinstance(lit.right, Const):
                out.append(str(lit.right.value))
    if not out:
        raise Untranslatable(f"{predicate} has no in-list")
    return sorted(set(out))


def _inline_globs(program: Any, predicate: str) -> list[str]:
    """The constant patterns of the ``@glob`` calls in the rules of ``predicate``."""
    from policyc.engine.ir import BuiltinCall, Const

    out = []
    for rule in _rules_of(program, predicate):
        for lit in rule.body:
            if isinstance(lit, BuiltinCall) and lit.name == "glob" and not lit.negated:
                pattern = lit.args[1]
                if isinstance(pattern, Const):
                    out.append(str(pattern.value))
    if not out:
        raise Untranslatable(f"{predicate} has no constant glob")
    return out


# -- globs → like ---------------------------------------------------------------------------------


def _q(s: str) -> str:
    return json.dumps(s)


def expand_braces(pattern: str) -> list[str]:
    """``a.{yml,yaml}`` → ``a.yml``, ``a.yaml`` (one level, any number of groups)."""
    start = pattern.find("{")
    if start < 0:
        return [pattern]
    end = pattern.find("}", start)
    if end < 0 or "{" in pattern[start + 1 : end]:
        raise Untranslatable(f"nested or open braces in {pattern!r}")
    head, tail = pattern[:start], pattern[end + 1 :]
    return [head + alt + rest for alt in pattern[start + 1 : end].split(",") for rest in
            expand_braces(tail)]  # fmt: skip


def _like_or_eq(expr: str, pattern: str) -> str:
    if any(c in pattern for c in "?[]\\"):
        raise Untranslatable(f"{pattern!r} uses glob syntax like cannot express")
    return f"{expr} like {_q(pattern)}" if "*" in pattern else f"{expr} == {_q(pattern)}"


def _literal_segment(s: str, trailing_star: bool = False) -> bool:
    body = s[:-1] if trailing_star and s.endswith("*") else s
    return bool(body) and not any(c in body for c in "*?[]{}\\")


def path_glob(pattern: str) -> str:
    """An exact Cedar condition over ``context.path`` / ``dir`` / ``name`` for a glob."""
    alts = []
    for alt in expand_braces(pattern):
        if not alt.startswith("**/"):
            raise Untranslatable(f"{pattern!r} is not of the form **/TAIL")
        tail = alt[3:]
        segs = tail.split("/")
        if len(segs) == 1:
            alts.append(_like_or_eq("context.name", tail))
        elif segs[-1] == "**":
            inner = segs[:-1]
            if not all(_literal_segment(s) for s in inner[:-1]) or not _literal_segment(
                inner[-1], trailing_star=True
            ):
                raise Untranslatable(f"{pattern!r}: a wildcard inside a directory segment")
            alts.append(f"context.path like {_q('*/' + '/'.join(inner) + '/*')}")
        elif all(_literal_segment(s) for s in segs):
            alts.append(f"context.path like {_q('*/' + tail)}")
        elif all(_literal_segment(s) for s in segs[:-1]):
            alts.append(
                f"(context.dir like {_q('*/' + '/'.join(segs[:-1]))} && "
                f"{_like_or_eq('context.name', segs[-1])})"
            )
        else:
            raise Untranslatable(f"{pattern!r}: a wildcard inside a directory segment")
    return "(" + " || ".join(alts) + ")"


def _any_path_glob(patterns: Iterable[str]) -> str:
    return "(" + " || ".join(path_glob(p) for p in patterns) + ")"


def host_glob(pattern: str) -> str:
    """A glob over a host name (hosts have no ``/``, so ``*`` and ``like`` agree)."""
    return "(" + " || ".join(_like_or_eq("context.host", a) for a in expand_braces(pattern)) + ")"


# -- the policies ---------------------------------------------------------------------------------


def _set(name: str, values: Sequence[str]) -> str:
    if len(values) == 1:
        return f"context.{name}.contains({_q(values[0])})"
    return f"context.{name}.containsAny([{', '.join(_q(v) for v in values)}])"


def _forbid(rule_id: str, condition: str, action: str | None = None) -> str:
    scope = f"action == Action::{_q(action)}" if action else "action"
    return f"@id({_q(rule_id)})\nforbid (principal, {scope}, resource)\nwhen {{ {condition} }};"


def translate(program: Any) -> CedarTranslation:
    """The Cedar policies of the stdlib rules that have a translation (see the module doc)."""
    p = PREFIX
    tables = {
        name: f"{p}.{module}.{name}_glob"
        for module, name in [
            ("secrets", "secret"),
            ("secrets", "public"),
            ("approvals", "auth"),
            ("approvals", "payment"),
            ("approvals", "infra"),
            ("approvals", "cicd"),
            ("approvals", "migration"),
            ("destructive", "backup"),
            ("unresolved", "source_folder"),
        ]
    }

    def globs(name: str) -> str:
        return _any_path_glob(_table(program, tables[name]))

    def secret() -> str:
        return f"{globs('secret')} && !{globs('public')}"

    def known_host() -> str:
        domains = _table(program, f"{p}.egress.known_domain")
        parts = [f"context.host == {_q(d)} || context.host like {_q('*.' + d)}" for d in domains]
        parts += [host_glob(g) for g in _inline_globs(program, f"{p}.egress.known_host")]
        return "(" + " || ".join(parts) + ")"

    def ops(outcome: str) -> list[str]:
        return _in_list(program, f"outcome.{outcome}")

    changed = "context.file && (context.write || context.delete)"
    # rule id → (condition, action scope); built lazily so that one rule's failure skips it alone
    specs: dict[str, Any] = {
        "secrets.read": lambda: (f"context.file && context.read && {secret()} && !context.approved", None),
        "secrets.copy": lambda: (f"context.file && context.write && {secret()} && !context.approved", "shell.exec"),
        "secrets.production_read": lambda: (
            'context.env == "production" && context.file && context.read && '
            f"{_any_path_glob(_inline_globs(program, 'outcome.secrets.production_read'))} && "
            "!context.approved",
            None,
        ),
        "destructive.rm_rf": lambda: (_set("destructive", ["recursive_force_delete"]), None),
        "destructive.disk": lambda: (_set("destructive", ops("destructive.disk")), None),
        "destructive.backup_delete": lambda: (f"context.file && context.delete && {globs('backup')}", None),
        "destructive.drop_database": lambda: (_set("sql", ops("destructive.drop_database")), None),
        "destructive.data_loss_sql": lambda: (_set("sql", ops("destructive.data_loss_sql")), None),
        "destructive.terraform_destroy": lambda: (_set("infra_ops", ["destroy"]), None),
        "destructive.kubectl_delete": lambda: (_set("infra_pairs", ["kubectl delete"]), None),
        "destructive.helm_uninstall": lambda: (_set("infra_pairs", ["helm uninstall"]), None),
        "destructive.force_push": lambda: (_set("git_ops", ops("destructive.force_push")), None),
        "destructive.git_discard": lambda: (_set("git_ops", ops("destructive.git_discard")), None),
        "approvals.auth_change": lambda: (f"{changed} && {globs('auth')}", None),
        "approvals.payment_change": lambda: (f"{changed} && {globs('payment')}", None),
        "approvals.infra_change": lambda: (f"{changed} && {globs('infra')}", None),
        "approvals.cicd_change": lambda: (f"{changed} && {globs('cicd')}", None),
        "approvals.migration_change": lambda: (f"{changed} && {globs('migration')}", None),
        "approvals.deployment": lambda: (_set("infra_ops", ops("approvals.deployment")), None),
        "approvals.publish": lambda: ("context.publishes", None),
        "approvals.data_export": lambda: (_set("sql", ["copy_to"]), None),
        "approvals.database_dump": lambda: (_set("commands", ops("approvals.database_dump")), None),
        "unresolved.action": lambda: (
            f"context.unresolved || (context.tree && !{globs('source_folder')})", None
        ),
        "egress.unknown_upload": lambda: (f"context.upload && !{known_host()} && !context.approved", None),
        "egress.secret_exfiltration": lambda: (f"context.upload && context.secrets && !{known_host()}", None),
    }  # fmt: skip
    out = CedarTranslation(policies="", rules=[])
    parts = []
    for rule_id, spec in specs.items():
        try:
            _rules_of(program, f"outcome.{rule_id}")
            condition, action = spec()
        except Untranslatable as e:
            out.skipped[rule_id] = str(e)
            continue
        parts.append(_forbid(rule_id, condition, action))
        out.rules.append(rule_id)
    parts.append(f"@id({_q(PERMIT_ID)})\npermit (principal, action, resource);")
    out.policies = "\n\n".join(parts) + "\n"
    return out


# Rules of the standard library that are not translated, and why.
NOT_TRANSLATED = {
    "approvals.deploy_script": "a regular expression over command arguments (Cedar has none)",
    "approvals.classified_export": "data classification of uploads: not a path or command rule",
    "sessions.*": "session state (terminated, recent denials) comes from the runtime",
    "egress.unknown_domain": "an alert: Cedar decides only allow or deny",
    "redaction.secrets": "a redaction: Cedar decides only allow or deny",
}


# -- requests from facts --------------------------------------------------------------------------


def _first(facts: Mapping[str, Sequence[Sequence[Any]]], pred: str, default: Any) -> Any:
    rows = facts.get(pred)
    return rows[0][0] if rows else default


def _column(facts: Mapping[str, Sequence[Sequence[Any]]], pred: str, i: int) -> list[str]:
    return sorted({str(row[i]) for row in facts.get(pred, ())})


def cedar_requests(facts: Mapping[str, Sequence[Sequence[Any]]]) -> list[dict[str, Any]]:
    """One request per file and per upload host of an action (at least one), from its facts."""
    action_type = _first(facts, "action.action_type", "")
    shared: dict[str, Any] = {
        "env": _first(facts, "action.environment", ""),
        "approved": bool(_first(facts, "action.approval.granted", False)),
        "destructive": _column(facts, "destructive", 0),
        "sql": _column(facts, "sql_statement", 0),
        "infra_ops": _column(facts, "infra_op", 1),
        "infra_pairs": sorted({f"{r[0]} {r[1]}" for r in facts.get("infra_op", ())}),
        "git_ops": _column(facts, "git_op", 0),
        "commands": _column(facts, "command", 0),
        "publishes": bool(facts.get("publishes_package")),
        "unresolved": bool(facts.get("unresolved")),
        "secrets": bool(facts.get("secret")),
        "tree": False,
        "file": False,
        "path": "",
        "dir": "",
        "name": "",
        "read": False,
        "write": False,
        "delete": False,
        "upload": False,
        "host": "",
    }
    principal = {"type": "Agent", "id": str(_first(facts, "action.agent.id", "anonymous"))}
    action = {"type": "Action", "id": str(action_type)}
    reads = {r[0] for r in facts.get("reads_file", ())}
    writes = {r[0] for r in facts.get("writes_file", ())}
    deletes = {r[0] for r in facts.get("deletes_file", ())}
    dirs = {r[0]: r[1] for r in facts.get("path_dir", ())}
    names = {r[0]: r[1] for r in facts.get("path_name", ())}
    requests = []
    for path in sorted(reads | writes | deletes):
        context = dict(shared)
        context.update(
            file=True,
            path=path,
            dir=dirs.get(path, posixpath.dirname(path)),
            name=names.get(path, ""),
            read=path in reads,
            write=path in writes,
            delete=path in deletes,
        )
        requests.append(
            {"principal": principal, "action": action,
             "resource": {"type": "File", "id": path}, "context": context}
        )  # fmt: skip
    # a recursive read of a whole folder D (reads_tree(D, "D/**")) may read any file below it:
    # one request for the folder (a name filter, D/**/NAME, has no translation here)
    for root in sorted({r[0] for r in facts.get("reads_tree", ()) if str(r[1]).endswith("/**")}):
        context = dict(shared)
        context.update(
            tree=True,
            path=root,
            dir=posixpath.dirname(root),
            name=posixpath.basename(root),
        )
        requests.append(
            {"principal": principal, "action": action,
             "resource": {"type": "Tree", "id": root}, "context": context}
        )  # fmt: skip
    for host in _column(facts, "uploads_to", 0):
        context = dict(shared)
        context.update(upload=True, host=host)
        requests.append(
            {"principal": principal, "action": action,
             "resource": {"type": "Host", "id": host}, "context": context}
        )  # fmt: skip
    if not requests:
        requests.append(
            {"principal": principal, "action": action,
             "resource": {"type": "Action", "id": str(action_type)}, "context": shared}
        )  # fmt: skip
    return requests


def forbidding_rules(answers: Iterable[Any]) -> tuple[frozenset[str], list[str]]:
    """The rule ids of the ``forbid`` policies satisfied in any answer, and evaluation errors."""
    fired: set[str] = set()
    errors: list[str] = []
    for ans in answers:
        errors += [str(e) for e in ans.diagnostics.errors]
        by_id = ans.diagnostics.id_annotations_by_reason
        for pid in ans.diagnostics.reasons:
            name = by_id.get(pid, pid)
            if name != PERMIT_ID:
                fired.add(name)
    return frozenset(fired), errors
