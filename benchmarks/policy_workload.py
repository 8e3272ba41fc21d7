"""A policy-shaped workload for an AI-agent action policy engine, generated from a fixed seed.

Every decision is one action of an agent: an ``action_type``, the ``agent_team`` and the
``environment`` it runs in, and the resources it touches — files it reads or writes, hosts it
contacts, a command with its flags. ~200 outcome rules (``deny_N``, ``ask_N``, ``warn_N``) each
name one resource kind and put conditions on it: a path glob, the environment, the team, a command
and flag, membership of the host in the program's table of known hosts (also negated), and a few
helper predicates (``secret_file``, ``touched_file``, ``untrusted_host``).

Each rule is kept as a :class:`RuleSpec` and rendered three ways from that one description:

- policyc Datalog text (:func:`datalog_program`);
- pyDatalog clauses (:func:`pydatalog_program`), calling the same glob matcher through a Python
  resolver, so that both engines do the same work;
- Cedar policies (:func:`cedar_policies`), one ``forbid`` per rule with ``like`` patterns, for
  one Cedar request per resource of the action (:func:`cedar_requests`).

Every rule fires on one resource (its head variable), so the fired outcomes of a decision are the
pairs ``(rule name, resource value)`` in every engine, and the engines can be compared exactly.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from typing import Any

SEED = 20240611

ACTIONS: tuple[tuple[str, float], ...] = (
    ("file.read", 0.30),
    ("file.write", 0.15),
    ("file.delete", 0.05),
    ("shell.exec", 0.25),
    ("net.fetch", 0.15),
    ("net.upload", 0.10),
)
TEAMS = ("platform", "data", "ml", "frontend", "security", "infra", "sales-ops", "research")
ADMIN_TEAMS = ("infra", "security")
ENVIRONMENTS: tuple[tuple[str, float], ...] = (
    ("dev", 0.45),
    ("ci", 0.25),
    ("staging", 0.15),
    ("prod", 0.15),
)

NORMAL_DIRS = (
    "/home/agent/repo",
    "/home/agent/repo/src",
    "/home/agent/repo/src/utils",
    "/home/agent/repo/tests",
    "/home/agent/repo/docs",
    "/srv/app/static",
    "/tmp/build",
    "/home/agent/notebooks",
)
NORMAL_FILES = (
    "main.py",
    "README.md",
    "utils.py",
    "index.ts",
    "app.js",
    "setup.cfg",
    "data.csv",
    "notes.txt",
    "test_api.py",
    "style.css",
    "model.ipynb",
    "schema.sql",
)
SENSITIVE_PATHS = (
    "/home/agent/.ssh/id_rsa",
    "/home/agent/.ssh/id_ed25519",
    "/home/agent/.ssh/config",
    "/home/agent/.ssh/authorized_keys",
    "/home/agent/repo/.env",
    "/srv/app/.env",
    "/home/agent/repo/config/secrets/tls.pem",
    "/srv/app/secrets/api.key",
    "/srv/app/secrets/signing.pem",
    "/etc/shadow",
    "/etc/passwd",
    "/etc/sudoers",
    "/etc/hosts",
    "/home/agent/.aws/credentials",
    "/home/agent/.kube/config",
    "/home/agent/repo/.git/config",
    "/home/agent/repo/.git/hooks/pre-commit",
    "/home/agent/repo/.github/workflows/deploy.yml",
    "/home/agent/repo/.github/workflows/ci.yml",
    "/home/agent/repo/infra/prod.tfstate",
    "/home/agent/repo/infra/main.tf",
    "/var/lib/postgresql/data/pg_hba.conf",
    "/home/agent/repo/config/prod.yaml",
    "/home/agent/.netrc",
    "/home/agent/.docker/config.json",
    "/home/agent/repo/certs/server.key",
    "/home/agent/repo/Dockerfile",
    "/home/agent/repo/Makefile",
    "/home/agent/repo/package-lock.json",
    "/home/agent/repo/poetry.lock",
    "/home/agent/.bash_history",
    "/home/agent/repo/db/local.sqlite",
)
# Globs over paths; every one keeps '*' inside the last path segment or stands for a whole
# subtree, so that the Cedar ``like`` translation (where '*' also crosses '/') agrees on them.
READ_GLOBS = (
    "**/.ssh/*",
    "**/.ssh/id_*",
    "**/.env",
    "**/secrets/*.pem",
    "**/secrets/*",
    "**/*.key",
    "/etc/shadow",
    "/etc/sudoers",
    "/etc/passwd",
    "**/.aws/credentials",
    "**/.kube/config",
    "**/.git/config",
    "**/*.tfstate",
    "/var/lib/postgresql/**",
    "**/config/prod.yaml",
    "**/.netrc",
    "**/.docker/config.json",
    "**/*.pem",
    "/etc/**",
    "**/id_rsa",
    "**/certs/*",
    "**/*.sqlite",
    "**/.bash_history",
    "/srv/app/**",
)
WRITE_GLOBS = (
    "**/.github/workflows/*.yml",
    "**/.github/workflows/*",
    "**/Makefile",
    "**/setup.cfg",
    "/etc/**",
    "**/.git/hooks/*",
    "**/Dockerfile",
    "**/*.tf",
    "**/*.lock",
    "**/package-lock.json",
    "**/.env",
    "**/.ssh/*",
    "/srv/app/**",
    "**/config/prod.yaml",
)
SECRET_GLOBS = ("**/.ssh/*", "**/.aws/credentials", "**/*.pem", "**/.env")
COMMANDS: tuple[tuple[str, float], ...] = (
    ("ls", 8),
    ("cat", 8),
    ("grep", 6),
    ("git", 10),
    ("python", 8),
    ("pytest", 6),
    ("make", 4),
    ("npm", 4),
    ("pip", 4),
    ("rm", 4),
    ("curl", 4),
    ("docker", 3),
    ("kubectl", 3),
    ("terraform", 2),
    ("sed", 3),
    ("chmod", 2),
    ("sudo", 1),
    ("ssh", 1),
    ("scp", 1),
    ("wget", 1),
)
FLAGS = (
    "-r",
    "-f",
    "-rf",
    "--force",
    "--hard",
    "-v",
    "--no-verify",
    "--privileged",
    "-y",
    "--all",
    "--delete",
    "--insecure",
    "-k",
    "--dry-run",
    "-auto-approve",
    "-i",
)
READING_COMMANDS = ("cat", "grep", "sed", "python", "scp", "curl")
WRITING_COMMANDS = ("sed", "python", "rm", "chmod", "make")
KNOWN_HOSTS = (
    "github.com",
    "api.github.com",
    "pypi.org",
    "files.pythonhosted.org",
    "registry.npmjs.org",
    "proxy.golang.org",
    "crates.io",
    "static.crates.io",
    "api.openai.com",
    "api.anthropic.com",
    "s3.amazonaws.com",
    "storage.googleapis.com",
    "docs.python.org",
    "gitlab.corp.example",
    "artifacts.corp.example",
    "jira.corp.example",
    "sentry.corp.example",
    "grafana.corp.example",
    "vault.corp.example",
    "hub.docker.com",
    "ghcr.io",
    "huggingface.co",
    "cdn.jsdelivr.net",
    "objects.githubusercontent.com",
)
OTHER_HOSTS = (
    "pastebin.com",
    "transfer.sh",
    "webhook.site",
    "abc123.ngrok.io",
    "tunnel7.ngrok.io",
    "evil.example",
    "raw.githubusercontent.com",
    "gist.github.com",
    "ipfs.io",
    "discord.com",
    "api.telegram.org",
    "requestbin.net",
    "mega.nz",
    "bucket-x.s3.amazonaws.com",
    "metrics.corp.example",
    "198.51.100.7",
)
HOST_GLOBS = (
    "*.ngrok.io",
    "pastebin.com",
    "transfer.sh",
    "*.corp.example",
    "webhook.site",
    "api.telegram.org",
    "discord.com",
    "*.amazonaws.com",
    "raw.githubusercontent.com",
    "gist.github.com",
    "mega.nz",
    "ipfs.io",
)
COMMAND_GLOBS = ("rm", "curl", "wget", "sudo", "ssh", "scp", "chmod", "docker", "kubectl",
                 "terraform", "git", "npm", "pip")  # fmt: skip

# Kinds of resource a rule is about; the head variable ranges over them.
#   read / write / host / command: the input predicate itself;
#   touched: touched_file (reads and writes); secret: secret_file (reads matching SECRET_GLOBS);
#   untrusted: untrusted_host (hosts that are not known).
_VAR = {
    "read": "P",
    "write": "P",
    "touched": "P",
    "secret": "P",
    "host": "H",
    "untrusted": "H",
    "command": "C",
}
_INPUT_ATOM = {
    "read": "reads_file",
    "write": "writes_file",
    "touched": "touched_file",
    "secret": "secret_file",
    "host": "host",
    "untrusted": "untrusted_host",
    "command": "command_name",
}
OUTCOME_CLASSES = ("deny", "ask", "warn")


@dataclass(frozen=True)
class RuleSpec:
    """One outcome rule, described once and rendered for every engine."""

    name: str
    action: str | None  # action_type constant (None: any action; then ``env`` is set)
    kind: str  # a key of _VAR
    pattern: str | None = None  # glob on the resource value
    command: str | None = None  # command_name constant (for file kinds under shell.exec)
    flag: str | None = None  # command_flag constant
    env: str | None = None
    team: str | None = None
    not_admin: bool = False  # the agent's team is not an admin team
    known: bool | None = None  # host kinds: True → known_host(H), False → not known_host(H)


@dataclass(frozen=True)
class Decision:
    """One agent action: its input facts, grouped by resource for the Cedar requests."""

    action: str
    team: str
    env: str
    reads: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()
    hosts: tuple[str, ...] = ()
    command: str | None = None
    flags: tuple[str, ...] = ()
    facts: dict[str, list[tuple[str]]] = field(default_factory=dict, compare=False)

    def fact_count(self) -> int:
        return sum(len(rows) for rows in self.facts.values())


def _weighted(rng: random.Random, options: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([o for o, _ in options], [w for _, w in options])[0]


# -- rules ---------------------------------------------------------------------------------------


def generate_rules(count: int = 200, seed: int = SEED) -> list[RuleSpec]:
    """``count`` outcome rules in fixed proportions over the templates below."""
    rng = random.Random(seed)
    # (template, share of the rules)
    plan = (
        ("read", 0.30),
        ("shell_read", 0.075),
        ("write", 0.125),
        ("delete", 0.05),
        ("shell_write", 0.025),
        ("command", 0.15),
        ("fetch_host", 0.10),
        ("upload_host", 0.04),
        ("untrusted", 0.035),
        ("secret", 0.05),
        ("touched", 0.05),
    )
    templates: list[str] = []
    for name, share in plan:
        templates += [name] * round(share * count)
    while len(templates) < count:
        templates.append("read")
    templates = templates[:count]
    rng.shuffle(templates)

    def cond() -> dict[str, Any]:
        c: dict[str, Any] = {}
        r = rng.random()
        if r < 0.30:
            c["env"] = _weighted(rng, ENVIRONMENTS)
        elif r < 0.45:
            c["team"] = rng.choice(TEAMS)
        elif r < 0.60:
            c["not_admin"] = True
        return c

    rules: list[RuleSpec] = []
    for i, t in enumerate(templates):
        name = f"{rng.choice(OUTCOME_CLASSES)}_{i}"
        spec: RuleSpec
        if t == "read":
            spec = RuleSpec(name, "file.read", "read", rng.choice(READ_GLOBS), **cond())
        elif t == "shell_read":
            spec = RuleSpec(
                name,
                "shell.exec",
                "read",
                rng.choice(READ_GLOBS),
                command=rng.choice(READING_COMMANDS),
            )
        elif t == "write":
            spec = RuleSpec(name, "file.write", "write", rng.choice(WRITE_GLOBS), **cond())
        elif t == "delete":
            spec = RuleSpec(name, "file.delete", "write", rng.choice(WRITE_GLOBS), **cond())
        elif t == "shell_write":
            spec = RuleSpec(
                name,
                "shell.exec",
                "write",
                rng.choice(WRITE_GLOBS),
                command=rng.choice(WRITING_COMMANDS),
            )
        elif t == "command":
            flag = rng.choice(FLAGS) if rng.random() < 0.7 else None
            spec = RuleSpec(
                name, "shell.exec", "command", rng.choice(COMMAND_GLOBS), flag=flag, **cond()
            )
        elif t == "fetch_host":
            r = rng.random()
            if r < 0.6:
                spec = RuleSpec(name, "net.fetch", "host", rng.choice(HOST_GLOBS), **cond())
            elif r < 0.85:
                spec = RuleSpec(
                    name, "net.fetch", "host", known=False, env=_weighted(rng, ENVIRONMENTS)
                )
            else:
                spec = RuleSpec(
                    name, "net.fetch", "host", known=True, env="prod", team=rng.choice(TEAMS)
                )
        elif t == "upload_host":
            spec = RuleSpec(name, "net.upload", "host", rng.choice(HOST_GLOBS), **cond())
        elif t == "untrusted":
            spec = RuleSpec(name, rng.choice(("net.fetch", "net.upload")), "untrusted", **cond())
        elif t == "secret":
            spec = RuleSpec(name, rng.choice(("net.upload", "shell.exec")), "secret", **cond())
        else:  # touched: any action, keyed by the environment
            spec = RuleSpec(
                name,
                None,
                "touched",
                rng.choice(READ_GLOBS + WRITE_GLOBS),
                env=_weighted(rng, ENVIRONMENTS),
            )
        rules.append(spec)
    return rules


# -- decisions -----------------------------------------------------------------------------------


def _path(rng: random.Random, p_sensitive: float) -> str:
    if rng.random() < p_sensitive:
        return rng.choice(SENSITIVE_PATHS)
    return f"{rng.choice(NORMAL_DIRS)}/{rng.choice(NORMAL_FILES)}"


def _paths(rng: random.Random, lo: int, hi: int, p_sensitive: float) -> tuple[str, ...]:
    n = rng.randint(lo, hi)
    out: dict[str, None] = {}
    for _ in range(n):
        out[_path(rng, p_sensitive)] = None
    return tuple(out)


def _hosts(rng: random.Random, lo: int, hi: int) -> tuple[str, ...]:
    n = rng.randint(lo, hi)
    out: dict[str, None] = {}
    for _ in range(n):
        pool = KNOWN_HOSTS if rng.random() < 0.8 else OTHER_HOSTS
        out[rng.choice(pool)] = None
    return tuple(out)


def generate_decisions(count: int, seed: int = SEED + 1) -> list[Decision]:
    """``count`` actions with ~5-15 input facts each."""
    rng = random.Random(seed)
    out: list[Decision] = []
    for _ in range(count):
        action = _weighted(rng, ACTIONS)
        team = rng.choice(TEAMS)
        env = _weighted(rng, ENVIRONMENTS)
        reads: tuple[str, ...] = ()
        writes: tuple[str, ...] = ()
        hosts: tuple[str, ...] = ()
        command: str | None = None
        flags: tuple[str, ...] = ()
        if action == "file.read":
            reads = _paths(rng, 3, 10, 0.06)
        elif action in ("file.write", "file.delete"):
            writes = _paths(rng, 2, 8, 0.08)
            if rng.random() < 0.5:
                reads = _paths(rng, 1, 3, 0.04)
        elif action == "shell.exec":
            command = _weighted(rng, COMMANDS)
            flags = tuple(dict.fromkeys(rng.sample(FLAGS, rng.randint(0, 4))))
            if command in READING_COMMANDS:
                reads = _paths(rng, 1, 5, 0.08)
            if command in WRITING_COMMANDS:
                writes = _paths(rng, 1, 4, 0.08)
            if command in ("curl", "wget", "git", "pip", "npm", "ssh", "scp"):
                hosts = _hosts(rng, 1, 2)
        elif action == "net.fetch":
            hosts = _hosts(rng, 2, 7)
        else:  # net.upload
            hosts = _hosts(rng, 1, 3)
            reads = _paths(rng, 1, 5, 0.10)
        facts: dict[str, list[tuple[str]]] = {
            "action_type": [(action,)],
            "agent_team": [(team,)],
            "environment": [(env,)],
        }
        if reads:
            facts["reads_file"] = [(p,) for p in reads]
        if writes:
            facts["writes_file"] = [(p,) for p in writes]
        if hosts:
            facts["host"] = [(h,) for h in hosts]
        if command is not None:
            facts["command_name"] = [(command,)]
        if flags:
            facts["command_flag"] = [(f,) for f in flags]
        out.append(Decision(action, team, env, reads, writes, hosts, command, flags, facts))
    return out


# -- rendering: policyc Datalog ------------------------------------------------------------------

OUTCOME_HELPERS = (
    "touched_file(P) :- reads_file(P).",
    "touched_file(P) :- writes_file(P).",
    *(f'secret_file(P) :- reads_file(P), @glob(P, "{g}").' for g in SECRET_GLOBS),
    "untrusted_host(H) :- host(H), not known_host(H).",
)


def _q(s: str) -> str:
    return json.dumps(s)


def datalog_rule(r: RuleSpec) -> str:
    v = _VAR[r.kind]
    body: list[str] = []
    if r.action is not None:
        body.append(f"action_type({_q(r.action)})")
    if r.env is not None:
        body.append(f"environment({_q(r.env)})")
    if r.team is not None:
        body.append(f"agent_team({_q(r.team)})")
    if r.command is not None:
        body.append(f"command_name({_q(r.command)})")
    if r.flag is not None:
        body.append(f"command_flag({_q(r.flag)})")
    body.append(f"{_INPUT_ATOM[r.kind]}({v})")
    if r.pattern is not None:
        body.append(f"@glob({v}, {_q(r.pattern)})")
    if r.known is True:
        body.append(f"known_host({v})")
    elif r.known is False:
        body.append(f"not known_host({v})")
    if r.not_admin:
        body += ["agent_team(T)", "not admin_team(T)"]
    return f"{r.name}({v}) :- {', '.join(body)}."


def datalog_program(rules: list[RuleSpec]) -> str:
    lines = ["% generated by benchmarks/policy_workload.py", ""]
    lines += [f"known_host({_q(h)})." for h in KNOWN_HOSTS]
    lines += [f"admin_team({_q(t)})." for t in ADMIN_TEAMS]
    lines += ["", *OUTCOME_HELPERS, ""]
    lines += [datalog_rule(r) for r in rules]
    return "\n".join(lines) + "\n"


# -- rendering: pyDatalog ------------------------------------------------------------------------
# The glob built-in becomes a pyDatalog Python resolver named ``globmatch`` (see
# benchmarks/policy_bench.py), which calls policyc's own glob matcher: both engines do the same
# matching work. Negation is ``~``; constants are Python string literals.


def _py(s: str) -> str:
    return repr(s)


def pydatalog_body(r: RuleSpec) -> list[str]:
    v = _VAR[r.kind]
    body: list[str] = []
    if r.action is not None:
        body.append(f"action_type({_py(r.action)})")
    if r.env is not None:
        body.append(f"environment({_py(r.env)})")
    if r.team is not None:
        body.append(f"agent_team({_py(r.team)})")
    if r.command is not None:
        body.append(f"command_name({_py(r.command)})")
    if r.flag is not None:
        body.append(f"command_flag({_py(r.flag)})")
    body.append(f"{_INPUT_ATOM[r.kind]}({v})")
    if r.pattern is not None:
        body.append(f"globmatch({v}, {_py(r.pattern)})")
    if r.known is True:
        body.append(f"known_host({v})")
    elif r.known is False:
        body.append(f"~known_host({v})")
    if r.not_admin:
        body += ["agent_team(T)", "~admin_team(T)"]
    return body


def pydatalog_program(rules: list[RuleSpec], single_head: bool) -> str:
    """The program as pyDatalog source. With ``single_head`` every outcome rule derives
    ``outcome('<name>', X)`` (one query answers all of them) instead of ``<name>(X)``."""
    lines = [f"+known_host({_py(h)})" for h in KNOWN_HOSTS]
    lines += [f"+admin_team({_py(t)})" for t in ADMIN_TEAMS]
    lines += [
        "touched_file(P) <= reads_file(P)",
        "touched_file(P) <= writes_file(P)",
        *(f"secret_file(P) <= reads_file(P) & globmatch(P, {_py(g)})" for g in SECRET_GLOBS),
        "untrusted_host(H) <= host(H) & ~known_host(H)",
    ]
    for r in rules:
        v = _VAR[r.kind]
        head = f"outcome({_py(r.name)}, {v})" if single_head else f"{r.name}({v})"
        lines.append(f"{head} <= {' & '.join(pydatalog_body(r))}")
    return "\n".join(lines) + "\n"


# -- rendering: Cedar ----------------------------------------------------------------------------


def glob_to_like(pattern: str) -> str:
    """A Cedar ``like`` pattern for a glob made of literals, ``*`` and whole-segment ``**``.

    In ``like``, ``*`` also matches '/', so this is exact only on paths where a glob's ``*``
    never has to stop at a '/'; the workload's paths are chosen so (and the benchmark checks it).
    """
    if any(c in pattern for c in "?[]{}\\"):
        raise ValueError(f"glob {pattern!r} has no like translation")
    out = pattern.replace("**/", "*/").replace("/**", "/*").replace("**", "*")
    return out


def _like(expr: str, pattern: str) -> str:
    return f"{expr} like {json.dumps(glob_to_like(pattern))}"


_CEDAR_KIND = {
    "read": 'context.kind == "read"',
    "write": 'context.kind == "write"',
    "touched": '(context.kind == "read" || context.kind == "write")',
    "secret": '(context.kind == "read" && ('
    + " || ".join(_like("context.value", g) for g in SECRET_GLOBS)
    + "))",
    "host": 'context.kind == "host"',
    "untrusted": '(context.kind == "host" && !(resource in HostGroup::"known"))',
    "command": 'context.kind == "command"',
}


def cedar_policy(r: RuleSpec) -> str:
    conds = [_CEDAR_KIND[r.kind]]
    if r.pattern is not None:
        conds.append(_like("context.value", r.pattern))
    if r.env is not None:
        conds.append(f"context.env == {json.dumps(r.env)}")
    if r.team is not None:
        conds.append(f"principal == Team::{json.dumps(r.team)}")
    if r.not_admin:
        conds.append('!(principal in Group::"admins")')
    if r.command is not None:
        conds.append(f"context.command == {json.dumps(r.command)}")
    if r.flag is not None:
        conds.append(f"context.flags.contains({json.dumps(r.flag)})")
    if r.known is True:
        conds.append('resource in HostGroup::"known"')
    elif r.known is False:
        conds.append('!(resource in HostGroup::"known")')
    scope = "action" if r.action is None else f"action == Action::{json.dumps(r.action)}"
    return (
        f"@id({json.dumps(r.name)})\n"
        f"forbid (principal, {scope}, resource)\nwhen {{ {' && '.join(conds)} }};"
    )


CEDAR_PERMIT_ID = "allow_by_default"


def cedar_policies(rules: list[RuleSpec]) -> str:
    """Every outcome as a ``forbid`` (Cedar reports every satisfied forbid as a reason), plus a
    catch-all ``permit`` that is the only reason when no outcome fires."""
    parts = [cedar_policy(r) for r in rules]
    parts.append(f'@id("{CEDAR_PERMIT_ID}")\npermit (principal, action, resource);')
    return "\n\n".join(parts) + "\n"


def cedar_entities() -> list[dict[str, object]]:
    """The stable entity graph: known hosts in HostGroup::"known", admin teams in Group::"admins"."""
    ents: list[dict[str, object]] = [
        {"uid": {"type": "HostGroup", "id": "known"}, "attrs": {}, "parents": []},
        {"uid": {"type": "Group", "id": "admins"}, "attrs": {}, "parents": []},
    ]
    for h in KNOWN_HOSTS:
        ents.append(
            {
                "uid": {"type": "Host", "id": h},
                "attrs": {},
                "parents": [{"type": "HostGroup", "id": "known"}],
            }
        )
    for t in TEAMS:
        parents = [{"type": "Group", "id": "admins"}] if t in ADMIN_TEAMS else []
        ents.append({"uid": {"type": "Team", "id": t}, "attrs": {}, "parents": parents})
    return ents


def cedar_requests(d: Decision) -> list[tuple[str, dict[str, object]]]:
    """One Cedar request per resource of the decision, with the resource value it is about."""
    resources: list[tuple[str, str, str]] = []  # (context kind, entity type, value)
    resources += [("read", "File", p) for p in d.reads]
    resources += [("write", "File", p) for p in d.writes]
    resources += [("host", "Host", h) for h in d.hosts]
    if d.command is not None:
        resources.append(("command", "Command", d.command))
    out = []
    for kind, etype, value in resources:
        out.append(
            (
                value,
                {
                    "principal": {"type": "Team", "id": d.team},
                    "action": {"type": "Action", "id": d.action},
                    "resource": {"type": etype, "id": value},
                    "context": {
                        "kind": kind,
                        "value": value,
                        "env": d.env,
                        "command": d.command or "",
                        "flags": list(d.flags),
                    },
                },
            )
        )
    return out
