"""Secret stores read, and backups destroyed, by their command-line clients.

``reads_secret_store(Tool, Name)``: a command that prints a secret's value from a secret store:
``vault kv get|read`` and ``vault read``; ``aws secretsmanager get-secret-value`` and
``aws ssm get-parameter(s)|get-parameters-by-path --with-decryption``; ``gcloud secrets versions
access``; ``az keyvault secret show|download``; ``kubectl get secret(s)`` with an output format
that prints data (``-o yaml|json|jsonpath=…|go-template=…``) and ``kubectl view-secret``; the
1Password (``op read|item get|inject``), Doppler (``doppler secrets [get|download]``), Chamber
(``chamber read|export|exec``), Infisical (``infisical secrets|export``) and Heroku
(``heroku config``) clients; ``pass show``/``gopass show`` (and ``pass NAME``); the macOS
keychain's ``security find-generic-password|find-internet-password -w|-g``; ``sops -d`` and
``sops exec-env``. The name is the secret's name or path as written (``""`` when none).

``destructive("backup_delete", Target)``: deletion of snapshots and backups kept by a service:
``aws ec2 delete-snapshot``, ``aws rds delete-db-snapshot|delete-db-cluster-snapshot``,
``aws backup delete-recovery-point|delete-backup-vault``, ``gcloud compute snapshots delete``,
``az snapshot delete``, ``restic forget|prune``, ``borg delete|prune``, ``zfs destroy`` of a
snapshot (``pool@snap``), ``btrfs subvolume delete``. Deletions in object stores are file facts
of the ``s3://``/``gs://`` locator (``cloud``).
"""

from __future__ import annotations

from policyc.normalize.programs.contract import Shell, _program
from policyc.normalize.programs.files import _object_delete
from policyc.normalize.programs.options import _literal, gnu_options


def _store(sh: Shell, tool: str, names: list[str | None]) -> None:
    for n in names or [""]:
        sh.add("reads_secret_store", tool, n if n is not None else "")


def _backup(sh: Shell, targets: list[str | None]) -> None:
    for t in targets or [""]:
        sh.add("destructive", "backup_delete", t if t is not None else "")


@_program("vault")
def _vault(base: str, args: list[str | None], sh: Shell) -> None:
    opts = gnu_options(args, long_values=("address", "namespace", "field", "format", "mount"))
    ops = opts.operands
    if ops[:2] in (["kv", "get"], ["kv", "read"]):
        _store(sh, "vault", ops[2:])
    elif ops[:1] == ["read"]:
        _store(sh, "vault", ops[1:])


def aws_stores(ops: list[str], values: dict[str, list[str | None]], sh: Shell) -> None:
    """The ``aws`` subcommands of secret stores and backups (called by ``cloud``'s ``aws``)."""
    service, sub = [*ops, "", ""][:2]
    if service == "secretsmanager" and sub in ("get-secret-value", "batch-get-secret-value"):
        _store(sh, "aws secretsmanager", values.get("--secret-id", []))
    elif service == "ssm" and sub in ("get-parameter", "get-parameters", "get-parameters-by-path"):
        if "--with-decryption" in values:
            names = values.get("--name", []) + values.get("--names", []) + values.get("--path", [])
            _store(sh, "aws ssm", names)
    elif service == "ec2" and sub == "delete-snapshot":
        _backup(sh, values.get("--snapshot-id", []))
    elif service == "rds" and sub in ("delete-db-snapshot", "delete-db-cluster-snapshot"):
        _backup(
            sh,
            values.get("--db-snapshot-identifier", [])
            + values.get("--db-cluster-snapshot-identifier", []),
        )
    elif service == "backup" and sub in ("delete-recovery-point", "delete-backup-vault"):
        _backup(sh, values.get("--recovery-point-arn", []) or values.get("--backup-vault-name", []))


@_program("gcloud")
def _gcloud(base: str, args: list[str | None], sh: Shell) -> None:
    opts = gnu_options(args, long_values=("project", "secret", "zone", "region", "format"))
    ops = _literal(opts.operands)
    if ops[:3] == ["secrets", "versions", "access"]:
        _store(sh, "gcloud secrets", opts.values("--secret") or [""])
    elif ops[:3] == ["compute", "snapshots", "delete"]:
        _backup(sh, list(ops[3:]))
    elif ops[:2] == ["storage", "rm"] or ops[:3] == ["storage", "buckets", "delete"]:
        targets = ops[2:] if ops[1] == "rm" else ops[3:]
        _object_delete(sh, targets, recursive=opts.has("-r", "--recursive") or ops[1] == "buckets")


@_program("az")
def _az(base: str, args: list[str | None], sh: Shell) -> None:
    opts = gnu_options(
        args, long_values=("name", "vault-name", "id", "resource-group", "file", "subscription")
    )
    ops = _literal(opts.operands)
    if ops[:2] == ["keyvault", "secret"] and ops[2:3] in (["show"], ["download"]):
        _store(sh, "az keyvault", opts.values("--name", "--id") or [""])
    elif ops[:2] == ["snapshot", "delete"]:
        _backup(sh, opts.values("--name", "--id"))


@_program("kubectl-view_secret", "kubectl-view-secret")
def _view_secret(base: str, args: list[str | None], sh: Shell) -> None:
    _store(sh, "kubectl", [a for a in args if a is None or not a.startswith("-")][:1])


def kubectl_secret_read(
    verb: str, ops: list[str | None], output: list[str | None], sh: Shell
) -> None:
    """``kubectl get secret(s) … -o yaml`` (called by ``infra``'s ``kubectl``)."""
    if verb == "view-secret":
        _store(sh, "kubectl", ops[:1])
        return
    if verb != "get" or not ops:
        return
    secret = ("secret", "secrets")
    named: list[str | None] = [
        o for o in ops if o is not None and "/" in o and o.split("/", 1)[0] in secret
    ]
    if any(k in secret for k in (ops[0] or "").split(",")):
        named += [None if o is None else f"secret/{o}" for o in ops[1:]] or ["secret"]
    if not named:
        return
    if not any(o is None or o.split("=", 1)[0] not in ("name", "wide") for o in output):
        return  # the default table, names or wide output show no data
    _store(sh, "kubectl", named)


@_program("op")
def _op(base: str, args: list[str | None], sh: Shell) -> None:
    ops = _literal(gnu_options(args, long_values=("account", "vault", "fields", "format")).operands)
    if ops[:1] in (["read"], ["inject"]) or ops[:2] == ["item", "get"]:
        _store(sh, "op", list(ops[1:2] if ops[0] != "item" else ops[2:3]))


@_program("doppler", "infisical", "chamber", "heroku")
def _secret_clis(base: str, args: list[str | None], sh: Shell) -> None:
    opts = gnu_options(
        args, short_values="apc", long_values=("project", "config", "app", "env", "remote")
    )
    ops = _literal(opts.operands)
    reading = {
        "doppler": (["secrets"],),
        "infisical": (["secrets"], ["export"]),
        "chamber": (["read"], ["export"], ["exec"], ["env"]),
        "heroku": (["config"], ["config:get"]),
    }[base]
    if ops[:1] in reading and ops[1:2] not in (["set"], ["delete"], ["unset"], ["upload"]):
        _store(sh, base, list(ops[1:2]))


@_program("pass", "gopass")
def _pass(base: str, args: list[str | None], sh: Shell) -> None:
    ops = _literal(gnu_options(args).operands)
    if ops[:1] in (["show"], ["cat"]):
        _store(sh, base, list(ops[1:2]))
    elif ops and ops[0] not in (
        "ls",
        "list",
        "find",
        "search",
        "init",
        "insert",
        "generate",
        "edit",
        "rm",
        "mv",
        "cp",
        "git",
        "help",
        "version",
        "grep",
    ):
        _store(sh, base, list[str | None](ops[:1]))  # `pass NAME` shows NAME


@_program("security")
def _security(base: str, args: list[str | None], sh: Shell) -> None:
    ops = [a for a in args if a is not None]
    if ops[:1] in (["find-generic-password"], ["find-internet-password"]) and (
        "-w" in ops or "-g" in ops
    ):
        names = [ops[i + 1] for i, o in enumerate(ops[:-1]) if o in ("-s", "-a", "-l")]
        _store(sh, "security", list(names[:1]))


@_program("sops")
def _sops(base: str, args: list[str | None], sh: Shell) -> None:
    opts = gnu_options(args, short_values="", aliases={"--decrypt": "-d"})
    ops = opts.operands
    if opts.has("-d") or ops[:1] in (["exec-env"], ["exec-file"], ["decrypt"]):
        files = ops[1:2] if ops[:1] in (["exec-env"], ["exec-file"], ["decrypt"]) else ops[:1]
        for f in files:
            if f is not None:
                sh.file("reads_file", f)
        _store(sh, "sops", list(files))


@_program("restic", "borg", "zfs", "btrfs")
def _backup_tools(base: str, args: list[str | None], sh: Shell) -> None:
    ops = gnu_options(
        args,
        short_values="r" if base == "restic" else "",
        long_values=("repo", "password-file", "keep-last", "keep-hourly", "keep-daily",
                     "keep-weekly", "keep-monthly", "keep-yearly", "keep-within", "keep-tag",
                     "tag", "host", "path", "glob-archives", "keep-secondly", "keep-minutely"),
    ).operands  # fmt: skip
    words = [o for o in ops if o is not None]
    pruning = {"restic": (["forget"], ["prune"]), "borg": (["delete"], ["prune"])}
    if words[:1] in pruning.get(base, ()):
        _backup(sh, list(ops[1:]) or [""])
    elif base == "zfs" and words[:1] == ["destroy"]:
        snaps = [o for o in ops[1:] if o is None or "@" in o]
        if snaps:
            _backup(sh, snaps)
    elif base == "btrfs" and words[:2] in (["subvolume", "delete"], ["subvol", "delete"]):
        _backup(sh, list(ops[2:]))
