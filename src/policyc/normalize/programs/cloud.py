"""Cloud storage clients: files uploaded to buckets and remotes.

``aws s3 cp|mv|sync SRC DST`` reads a local SRC and uploads to ``s3.amazonaws.com`` when DST is
``s3://…`` (a download writes the local DST); ``aws s3api put-object --body FILE`` likewise;
``gsutil cp``/``gcloud storage cp`` to ``gs://`` upload to ``storage.googleapis.com``;
``az storage blob upload --file F`` to ``blob.core.windows.net``. ``rclone copy|sync|move…
SRC DST`` reads a local SRC; a remote (``name:path``) is configured elsewhere, so where it goes is
``unresolved("url", …)``. ``gh gist create FILES`` / ``gh release upload TAG FILES`` read the
files and upload them to ``api.github.com``; ``gh repo sync --force`` hard-resets a branch to
another: ``git_op("force_push", REPO)``.

Deletions in object stores are ``deletes_file`` of the locator as written (``s3://bucket/key``,
``gs://bucket/prefix``), and ``destructive("recursive_delete", …)`` of it when recursive:
``aws s3 rm [--recursive]``, ``aws s3 rb [--force]``, ``aws s3api delete-object|delete-bucket``,
``gsutil rm [-r]|rb``, ``gcloud storage rm [-r]``, ``gcloud storage buckets delete``, ``rclone
delete|deletefile|purge|rmdir(s)``. Secret stores and snapshots of ``aws`` are in ``stores``.
"""

from __future__ import annotations

from policyc.normalize.programs.contract import Shell, _program
from policyc.normalize.programs.files import _object_delete, _write
from policyc.normalize.programs.options import _literal, gnu_options
from policyc.normalize.programs.stores import aws_stores

_BUCKET_HOSTS = {"s3://": "s3.amazonaws.com", "gs://": "storage.googleapis.com"}


def _bucket_host(path: str) -> str | None:
    for prefix, host in _BUCKET_HOSTS.items():
        if path.startswith(prefix):
            return host
    return None


def _copy(sh: Shell, ops: list[str]) -> None:
    if len(ops) < 2:
        return
    *sources, dest = ops
    dest_host = _bucket_host(dest)
    for src in sources:
        src_host = _bucket_host(src)
        if src_host is not None:
            sh.add("contacts_host", src_host)
        else:
            sh.file("reads_file", src)
    if dest_host is not None:
        sh.add("contacts_host", dest_host)
        sh.add("uploads_to", dest_host)
    else:
        _write(sh, dest)


_AWS_VALUES = ("profile", "region", "endpoint-url", "output", "query", "body", "bucket", "key",
               "cli-input-json", "exclude", "include", "storage-class", "acl", "secret-id",
               "name", "names", "path", "snapshot-id", "db-snapshot-identifier",
               "db-cluster-snapshot-identifier", "recovery-point-arn", "backup-vault-name",
               "version-id", "version-stage")  # fmt: skip


@_program("aws")
def _aws(base: str, args: list[str | None], sh: Shell) -> None:
    opts = gnu_options(args, long_values=_AWS_VALUES)
    ops = _literal(opts.operands)
    if ops[:1] == ["s3"] and len(ops) > 1 and ops[1] in ("cp", "mv", "sync"):
        _copy(sh, ops[2:])
        if ops[1] == "mv":
            _object_delete(sh, [o for o in ops[2:-1] if _bucket_host(o)], recursive=False)
        if ops[1] == "sync" and opts.has("--delete") and ops[2:] and _bucket_host(ops[-1]):
            _object_delete(sh, ops[-1:], recursive=True)
    elif ops[:2] == ["s3", "rm"]:
        _object_delete(sh, ops[2:], recursive=opts.has("--recursive"))
    elif ops[:2] == ["s3", "rb"]:
        _object_delete(sh, ops[2:], recursive=True)
    elif ops[:2] == ["s3api", "put-object"]:
        for body in opts.values("--body"):
            if body is not None:
                sh.file("reads_file", body)
        sh.add("contacts_host", "s3.amazonaws.com")
        sh.add("uploads_to", "s3.amazonaws.com")
    elif ops[:2] in (["s3api", "delete-object"], ["s3api", "delete-bucket"]):
        bucket = next((b for b in opts.values("--bucket") if b is not None), "")
        key = next((k for k in opts.values("--key") if k is not None), "")
        _object_delete(sh, [f"s3://{bucket}/{key}"], recursive=ops[1] == "delete-bucket")
    else:
        values: dict[str, list[str | None]] = {}
        for cands, value in opts.found:
            for c in cands:
                values.setdefault(c, []).append(value)
        aws_stores(ops, values, sh)


@_program("gsutil")
def _gsutil(base: str, args: list[str | None], sh: Shell) -> None:
    opts = gnu_options(args, short_values="hop")
    ops = _literal(opts.operands)
    if ops[:1] in (["cp"], ["mv"], ["rsync"]):
        _copy(sh, [o for o in ops[1:] if not o.startswith("-")])
    elif ops[:1] == ["rm"]:
        _object_delete(sh, ops[1:], recursive=opts.has("-r", "-R", "-a"))
    elif ops[:1] == ["rb"]:
        _object_delete(sh, ops[1:], recursive=True)


@_program("rclone")
def _rclone(base: str, args: list[str | None], sh: Shell) -> None:
    ops = _literal(gnu_options(args, long_values=("config", "transfers", "include", "exclude",
                                                  "filter", "bwlimit")).operands)  # fmt: skip
    if ops[:1] in (["delete"], ["deletefile"], ["purge"], ["rmdir"], ["rmdirs"]):
        _object_delete(sh, ops[1:], recursive=ops[0] in ("delete", "purge", "rmdirs"))
        return
    if not ops or ops[0] not in ("copy", "copyto", "sync", "move", "moveto", "bisync"):
        return
    for path in ops[1:]:
        head = path.split(":", 1)[0]
        if ":" in path and not path.startswith(("/", ".", "~")) and "/" not in head:
            sh.add("unresolved", "url", f"rclone remote {head}: is configured elsewhere")
        else:
            sh.file("reads_file", path)


@_program("gh")
def _gh(base: str, args: list[str | None], sh: Shell) -> None:
    """``gh gist create FILES`` and ``gh release upload TAG FILES``: the files are read and sent
    to GitHub."""
    opts = gnu_options(
        args,
        short_values="dfRw",
        long_values=("desc", "filename", "repo", "hostname"),
        aliases={"-R": "--repo"},
    )
    ops = _literal(opts.operands)
    if ops[:2] == ["repo", "sync"] and opts.has("--force"):
        # hard-resets the destination branch to the source: a force push
        sh.add("git_op", "force_push", ops[2] if len(ops) > 2 else "")
        return
    files: list[str] = []
    if ops[:2] == ["gist", "create"]:
        files = [o for o in ops[2:] if o != "-"]
    elif ops[:2] == ["release", "upload"]:
        files = [o.split("#", 1)[0] for o in ops[3:]]
    if not files:
        return
    for f in files:
        sh.file("reads_file", f)
    sh.add("contacts_host", "api.github.com")
    sh.add("uploads_to", "api.github.com")
