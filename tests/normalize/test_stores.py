"""Secret stores read, snapshots and backups deleted, objects deleted from buckets."""

from __future__ import annotations

import pytest

from policyc.normalize.shell import normalize_shell


def facts(command: str, pred: str) -> list[tuple[object, ...]]:
    return normalize_shell(command, "/repo").facts.get(pred, [])


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("vault kv get secret/shop/db", [("vault", "secret/shop/db")]),
        ("vault kv get -field=password secret/shop/db", [("vault", "secret/shop/db")]),
        ("vault read database/creds/readonly", [("vault", "database/creds/readonly")]),
        (
            "aws secretsmanager get-secret-value --secret-id prod/db",
            [("aws secretsmanager", "prod/db")],
        ),
        (
            "aws --profile p ssm get-parameter --name /prod/db --with-decryption",
            [("aws ssm", "/prod/db")],
        ),
        ("gcloud secrets versions access latest --secret=db", [("gcloud secrets", "db")]),
        ("az keyvault secret show --vault-name v --name db", [("az keyvault", "db")]),
        ("kubectl -n shop get secret db -o yaml", [("kubectl", "secret/db")]),
        (
            "kubectl get secret/a secret/b -o=jsonpath={.data}",
            [("kubectl", "secret/a"), ("kubectl", "secret/b")],
        ),
        ("kubectl get secrets -o json", [("kubectl", "secret")]),
        ("op read op://vault/db/password", [("op", "op://vault/db/password")]),
        ("op item get db --fields password", [("op", "db")]),
        ("doppler secrets get DB_PASSWORD", [("doppler", "get")]),
        ("pass show shop/db", [("pass", "shop/db")]),
        ("pass shop/db", [("pass", "shop/db")]),
        ("security find-generic-password -s github -w", [("security", "github")]),
        ("sops -d secrets.enc.yaml", [("sops", "secrets.enc.yaml")]),
        ("heroku config -a shop", [("heroku", "")]),
    ],
)
def test_secret_store_reads(command: str, expected: list[tuple[str, str]]) -> None:
    assert facts(command, "reads_secret_store") == expected


@pytest.mark.parametrize(
    "command",
    [
        "vault status",
        "vault kv put secret/x a=b",
        "aws secretsmanager list-secrets",
        "aws ssm get-parameter --name /dev/flag",  # no decryption: a plain parameter
        "kubectl get secrets",
        "kubectl get secret db",
        "kubectl get secret db -o name",
        "kubectl get pods -o yaml",
        "pass ls",
        "pass insert x",
        "security find-generic-password -s github",
        "sops -e secrets.yaml",
        "doppler secrets set X=1",
    ],
)
def test_no_secret_store_read(command: str) -> None:
    assert facts(command, "reads_secret_store") == []


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("aws ec2 delete-snapshot --snapshot-id snap-1", [("backup_delete", "snap-1")]),
        ("aws rds delete-db-snapshot --db-snapshot-identifier x", [("backup_delete", "x")]),
        (
            "aws rds delete-db-cluster-snapshot --db-cluster-snapshot-identifier c",
            [("backup_delete", "c")],
        ),
        (
            "gcloud compute snapshots delete daily-1 daily-2",
            [("backup_delete", "daily-1"), ("backup_delete", "daily-2")],
        ),
        ("az snapshot delete --name s1 -g rg", [("backup_delete", "s1")]),
        ("restic -r /srv/restic forget --keep-last 1 --prune", [("backup_delete", "")]),
        ("borg delete /srv/borg::2026-11-01", [("backup_delete", "/srv/borg::2026-11-01")]),
        ("zfs destroy tank/db@daily", [("backup_delete", "tank/db@daily")]),
        ("aws s3 rm s3://b/k --recursive", [("recursive_delete", "s3://b/k")]),
        ("aws s3 rb s3://b --force", [("recursive_delete", "s3://b")]),
        ("gsutil rm -r gs://b/p", [("recursive_delete", "gs://b/p")]),
        ("gcloud storage rm -r gs://b/p", [("recursive_delete", "gs://b/p")]),
        ("rclone purge remote:backups", [("recursive_delete", "remote:backups")]),
        ("rclone purge /srv/data", [("recursive_delete", "/srv/data")]),
    ],
)
def test_backups_and_objects_destroyed(command: str, expected: list[tuple[str, str]]) -> None:
    assert facts(command, "destructive") == expected


def test_object_deletes_are_file_facts_of_the_locator() -> None:
    assert facts("aws s3 rm s3://acme-assets/x.png", "deletes_file") == [
        ("s3://acme-assets/x.png",)
    ]
    assert facts("aws s3 rm s3://acme-assets/x.png", "destructive") == []
    assert facts("aws s3api delete-object --bucket b --key k/x", "deletes_file") == [
        ("s3://b/k/x",)
    ]
    assert facts("gsutil rm gs://b/x", "deletes_file") == [("gs://b/x",)]
    assert facts("aws s3 mv s3://b/x ./x", "deletes_file") == [("s3://b/x",)]
    assert facts("zfs list -t snapshot", "destructive") == []
    assert facts("restic snapshots", "destructive") == []
    assert facts("aws s3 ls s3://acme-backups", "deletes_file") == []
