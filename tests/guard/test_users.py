"""Console users: the store (argon2id, minimum length, roles) and ``collector users``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from collector.cli import main
from collector.control import audit
from collector.guard.users import MIN_PASSWORD_LENGTH, UserError, UserStore
from tests.access import FAST_HASHER, ensure_org
from tests.conftest import ORG

PASSWORD = "correct horse battery"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    ensure_org(tmp_path / "data" / "control.db", ORG)
    return tmp_path / "data"


def test_passwords_are_argon2id_and_checked(data_dir: Path) -> None:
    store = UserStore(data_dir / "control.db")
    try:
        user = store.create("ann@example.com", "viewer", PASSWORD, ORG)
        [(stored,)] = store.conn.execute("SELECT password_hash FROM users").fetchall()
        assert stored.startswith("$argon2id$")
        assert store.authenticate("ANN@example.com", PASSWORD) == user  # emails ignore case
        assert store.authenticate("ann@example.com", PASSWORD + "!") is None
        assert store.authenticate("bob@example.com", PASSWORD) is None
        with pytest.raises(UserError, match="at least"):
            store.create("bob@example.com", "viewer", "x" * (MIN_PASSWORD_LENGTH - 1))
        with pytest.raises(UserError, match="unknown role"):
            store.create("bob@example.com", "owner", PASSWORD)
        with pytest.raises(UserError, match="exists"):
            store.create("Ann@Example.com", "viewer", PASSWORD)
        with pytest.raises(UserError, match="not an email"):
            store.create("ann", "viewer", PASSWORD)
        with pytest.raises(UserError, match="no org"):
            store.create("bob@example.com", "viewer", PASSWORD, "NOPE@AdobeOrg")
    finally:
        store.close()


def _run(data_dir: Path, *args: str, stdin: str = "") -> str:
    result = CliRunner().invoke(main, [*args, "--data-dir", str(data_dir)], input=stdin)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_the_cli(data_dir: Path) -> None:
    made = json.loads(
        _run(
            data_dir,
            *("users", "create", "--email", "ann@example.com", "--role", "editor"),
            *("--org", ORG, "--password-stdin", "--json"),
            stdin=PASSWORD + "\n",
        )
    )
    assert made["role"] == "editor" and made["org_id"] == ORG
    short = CliRunner().invoke(
        main,
        [
            "users",
            "create",
            "--email",
            "b@example.com",
            "--role",
            "viewer",
            "--password-stdin",
            "--data-dir",
            str(data_dir),
        ],
        input="short\n",
    )
    assert short.exit_code != 0 and "at least 12" in short.output
    _run(data_dir, "users", "set-role", "ann@example.com", "approver")
    _run(data_dir, "users", "reset-password", "ann@example.com", stdin="a brand new passphrase\n")
    store = UserStore(data_dir / "control.db", hasher=FAST_HASHER)
    assert store.authenticate("ann@example.com", PASSWORD) is None
    assert store.authenticate("ann@example.com", "a brand new passphrase") is not None
    store.close()
    _run(data_dir, "users", "disable", "ann@example.com")
    listed = json.loads(_run(data_dir, "users", "list", "--json"))
    assert [(u["email"], u["role"], bool(u["disabled_at"])) for u in listed] == [
        ("ann@example.com", "approver", True)
    ]
    assert "password" not in json.dumps(listed).replace("password_changed_at", "")
    store = UserStore(data_dir / "control.db", hasher=FAST_HASHER)
    entries = audit.entries(store.conn, object_type="user")
    store.close()
    assert [e.action for e in entries] == [
        "user.create",
        "user.set_role",
        "user.reset_password",
        "user.disable",
    ]
    assert all(e.actor.startswith("cli:") for e in entries)
