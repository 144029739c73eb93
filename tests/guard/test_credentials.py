"""API credentials: the store (argon2id hashes, scopes, revoke, rotate) and its CLI."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from collector.cli import main
from collector.control import audit
from collector.guard import scopes
from collector.guard.credentials import CredentialError, CredentialStore
from tests.access import credentials, ensure_org
from tests.conftest import ORG


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "data" / "control.db"
    ensure_org(path, ORG)
    return path


def test_the_secret_is_kept_only_as_an_argon2id_hash(db: Path) -> None:
    store = CredentialStore(db)  # the production cost
    try:
        issued = store.create(ORG, "etl", ["profile:read"])
        [(stored,)] = store.conn.execute("SELECT secret_hash FROM credentials").fetchall()
        assert stored.startswith("$argon2id$")
        assert issued.client_secret not in db.read_bytes().decode("latin-1")
        assert store.verify(issued.credential.client_id, issued.client_secret) == issued.credential
        assert store.verify(issued.credential.client_id, issued.client_secret + "x") is None
        assert store.verify("0" * 32, issued.client_secret) is None
    finally:
        store.close()


def test_scopes_are_checked(db: Path) -> None:
    store = credentials(db)
    try:
        made = store.create(ORG, "x", ["admin", "profile:read", "profile:read", "datasets:write"])
        assert made.credential.scopes == ("profile:read", "datasets:write", "admin")
        for bad in (["profile:write"], [], ["ADMIN"]):
            with pytest.raises(CredentialError):
                store.create(ORG, "x", bad)
        with pytest.raises(CredentialError, match="no org"):
            store.create("NOPE@AdobeOrg", "x", ["admin"])
    finally:
        store.close()
    assert scopes.grants(("admin",), "profile:delete")
    assert not scopes.grants(("profile:read",), "profile:delete")


def test_revoke_and_rotate(db: Path) -> None:
    store = credentials(db)
    try:
        issued = store.create(ORG, "x", ["schemas:read"])
        rotated = store.rotate(issued.credential.id)
        assert rotated.client_secret != issued.client_secret
        assert rotated.credential.client_id == issued.credential.client_id
        assert store.verify(issued.credential.client_id, issued.client_secret) is None
        assert store.verify(issued.credential.client_id, rotated.client_secret) is not None
        revoked = store.revoke(issued.credential.client_id)  # by client_id too
        assert revoked.revoked_at is not None
        assert store.revoke(issued.credential.id).revoked_at == revoked.revoked_at  # idempotent
        assert store.verify(issued.credential.client_id, rotated.client_secret) is None
        with pytest.raises(CredentialError, match="revoked"):
            store.rotate(issued.credential.id)
        with pytest.raises(CredentialError, match="no credential"):
            store.revoke("nope")
    finally:
        store.close()


def _run(data_dir: Path, *args: str) -> str:
    result = CliRunner().invoke(main, [*args, "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_the_cli_prints_the_secret_once_and_audits_every_change(db: Path) -> None:
    data_dir = db.parent
    made = json.loads(
        _run(
            data_dir,
            "credentials",
            "create",
            "--org",
            ORG,
            "--name",
            "etl",
            "--scope",
            "profile:read",
            "--scope",
            "monitoring:read",
            "--json",
        )
    )
    assert made["client_secret"].startswith("xdmcs_")
    assert made["scopes"] == ["profile:read", "monitoring:read"]
    listed = json.loads(_run(data_dir, "credentials", "list", "--org", ORG, "--json"))
    assert [c["client_id"] for c in listed] == [made["client_id"]]
    assert "client_secret" not in listed[0] and made["client_secret"] not in str(listed)
    table = _run(data_dir, "credentials", "list")
    assert made["client_id"] in table and made["client_secret"] not in table
    rotated = json.loads(_run(data_dir, "credentials", "rotate", made["id"], "--json"))
    assert rotated["client_secret"] != made["client_secret"]
    revoked = json.loads(_run(data_dir, "credentials", "revoke", made["id"], "--json"))
    assert revoked["revoked_at"]
    text = _run(data_dir, "credentials", "create", "--org", ORG, "--name", "b", "--scope", "admin")
    assert "client_secret  xdmcs_" in text

    refused = CliRunner().invoke(
        main,
        [
            "credentials",
            "create",
            "--org",
            ORG,
            "--name",
            "x",
            "--scope",
            "root",
            "--data-dir",
            str(data_dir),
        ],
    )
    assert refused.exit_code != 0 and "unknown scope" in refused.output

    store = credentials(db)
    entries = audit.entries(store.conn, object_type="credential")
    store.close()
    assert [e.action for e in entries] == [
        "credential.create",
        "credential.rotate",
        "credential.revoke",
        "credential.create",
    ]
    assert entries[0].object_id == made["client_id"] and entries[0].org_id == ORG
    assert all(e.actor.startswith("cli:") for e in entries)
    assert made["client_secret"] not in json.dumps([e.to_dict() for e in entries])


def test_migrate_creates_the_access_tables(tmp_path: Path) -> None:
    _run(tmp_path / "fresh", "migrate")
    conn = sqlite3.connect(tmp_path / "fresh" / "control.db")  # no store: it would migrate
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    conn.close()
    assert {"credentials", "access_tokens", "auth_failures"} <= names
