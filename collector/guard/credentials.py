"""API credentials: a ``client_id`` and ``client_secret`` pair of one org, with scopes.

The secret is shown once, at creation or rotation; only its argon2id hash is stored
(``argon2-cffi``'s defaults, the RFC 9106 low-memory profile). Verifying a secret costs about
0.2 s of CPU and 64 MiB on purpose, so it happens only when a token is issued
(``collector/guard/access_tokens.py``), never per request. Revoking or rotating a credential
deletes its access tokens: they stop working at once (within the token cache's few seconds).
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlite_utils import Database

from collector.control import migrations as control_migrations
from collector.control import sqlite
from collector.guard import migrations, scopes

SECRET_PREFIX = "xdmcs_"
_COLUMNS = "id, client_id, org_id, name, scopes, created_at, rotated_at, revoked_at"


class CredentialError(ValueError):
    """A credential change that cannot be made (unknown org or credential, bad scope)."""


@dataclass(frozen=True)
class Credential:
    """A credential's public facts; the secret itself is never stored."""

    id: str
    client_id: str
    org_id: str
    name: str
    scopes: tuple[str, ...]
    created_at: str
    rotated_at: str | None
    revoked_at: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "client_id": self.client_id,
            "org_id": self.org_id,
            "name": self.name,
            "scopes": list(self.scopes),
            "created_at": self.created_at,
            "rotated_at": self.rotated_at,
            "revoked_at": self.revoked_at,
        }


@dataclass(frozen=True)
class IssuedCredential:
    """A credential with its secret, shown to the user once."""

    credential: Credential
    client_secret: str


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def open_db(path: Path) -> Database:
    """A connection to ``control.db`` with the control-plane and access migrations applied."""
    db = Database(sqlite.connect(path))
    control_migrations.apply(db)
    migrations.apply(db)
    return db


def _row(row: tuple[Any, ...]) -> Credential:
    values = list(row)
    values[4] = tuple(str(values[4]).split())
    return Credential(*values)


class CredentialStore:
    """Creates, lists, revokes, rotates and verifies credentials in ``control.db``."""

    def __init__(
        self,
        path: Path,
        *,
        hasher: PasswordHasher | None = None,
        token_urlsafe: Callable[[int], str] = secrets.token_urlsafe,
        now: Callable[[], str] = now_iso,
    ) -> None:
        self.db = open_db(path)
        self.conn = self.db.conn
        self._hasher = hasher or PasswordHasher()
        self._token_urlsafe = token_urlsafe
        self._now = now
        self._lock = threading.Lock()
        self._decoy: str | None = None

    def close(self) -> None:
        self.conn.close()

    def create(self, org_id: str, name: str, scope_names: Iterable[str]) -> IssuedCredential:
        granted = self._scopes(scope_names)
        with self._lock:
            if self.conn.execute("SELECT 1 FROM orgs WHERE id = ?", (org_id,)).fetchone() is None:
                raise CredentialError(f"no org {org_id}")
            secret = self._new_secret()
            credential = Credential(
                id=secrets.token_hex(8),
                client_id=secrets.token_hex(16),
                org_id=org_id,
                name=name,
                scopes=granted,
                created_at=self._now(),
                rotated_at=None,
                revoked_at=None,
            )
            self.conn.execute(
                f"INSERT INTO credentials ({_COLUMNS}, secret_hash)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    credential.id,
                    credential.client_id,
                    org_id,
                    name,
                    " ".join(granted),
                    credential.created_at,
                    None,
                    None,
                    self._hasher.hash(secret),
                ),
            )
        return IssuedCredential(credential, secret)

    def list(self, org_id: str | None = None) -> list[Credential]:
        sql, params = f"SELECT {_COLUMNS} FROM credentials", tuple[str, ...]()
        if org_id is not None:
            sql, params = sql + " WHERE org_id = ?", (org_id,)
        with self._lock:
            rows = self.conn.execute(sql + " ORDER BY created_at, id", params).fetchall()
        return [_row(r) for r in rows]

    def get(self, credential_id: str) -> Credential | None:
        """By id, or by client_id."""
        with self._lock:
            row = self.conn.execute(
                f"SELECT {_COLUMNS} FROM credentials WHERE id = ? OR client_id = ?",
                (credential_id, credential_id),
            ).fetchone()
        return _row(row) if row else None

    def revoke(self, credential_id: str) -> Credential:
        """Revoke (idempotent): the secret and every token of the credential stop working."""
        credential = self._existing(credential_id)
        with self._lock, self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute(
                "UPDATE credentials SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?",
                (self._now(), credential.id),
            )
            self.conn.execute("DELETE FROM access_tokens WHERE credential_id = ?", (credential.id,))
        return self._existing(credential.id)

    def rotate(self, credential_id: str) -> IssuedCredential:
        """A new secret; the old one and every token issued with it stop working."""
        credential = self._existing(credential_id)
        if credential.revoked_at is not None:
            raise CredentialError(f"credential {credential.id} is revoked")
        secret = self._new_secret()
        hashed = self._hasher.hash(secret)
        with self._lock, self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute(
                "UPDATE credentials SET secret_hash = ?, rotated_at = ? WHERE id = ?",
                (hashed, self._now(), credential.id),
            )
            self.conn.execute("DELETE FROM access_tokens WHERE credential_id = ?", (credential.id,))
        return IssuedCredential(self._existing(credential.id), secret)

    def verify(self, client_id: str, client_secret: str) -> Credential | None:
        """The live credential whose secret this is, or None. Slow (argon2): off the loop."""
        with self._lock:
            row = self.conn.execute(
                f"SELECT {_COLUMNS}, secret_hash FROM credentials"
                " WHERE client_id = ? AND revoked_at IS NULL",
                (client_id,),
            ).fetchone()
        stored = str(row[-1]) if row else self._decoy_hash()
        try:
            self._hasher.verify(stored, client_secret)
        except (VerificationError, InvalidHashError):
            return None
        return _row(row[:-1]) if row else None

    def _decoy_hash(self) -> str:
        """Verified against when the client_id is unknown, so that both answers take as long."""
        if self._decoy is None:
            self._decoy = self._hasher.hash(secrets.token_urlsafe(16))
        return self._decoy

    def _existing(self, credential_id: str) -> Credential:
        credential = self.get(credential_id)
        if credential is None:
            raise CredentialError(f"no credential {credential_id}")
        return credential

    def _scopes(self, names: Iterable[str]) -> tuple[str, ...]:
        try:
            return scopes.normalize(names)
        except scopes.ScopeError as exc:
            raise CredentialError(str(exc)) from None

    def _new_secret(self) -> str:
        return SECRET_PREFIX + self._token_urlsafe(32)
