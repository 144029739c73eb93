"""Inlet tokens: bearer secrets for inlets that require authentication.

A token reads ``xdmc_<id>_<secret>``: ``id`` is 16 public hex digits used to find the row,
``secret`` is 32 random bytes (base64url). Only the SHA-256 of the whole token is stored, and
it is compared with ``hmac.compare_digest``. A fast hash is enough here: a slow KDF (bcrypt,
scrypt, Argon2) exists to make guessing *low-entropy* passwords expensive after a database
leak, but these tokens carry 256 random bits, so no amount of hashing speed makes a preimage
search feasible, and verifying a request stays at about a microsecond.

Every verification reads the row (a primary-key lookup in ``control.db``, a few µs), so a
revocation made by the CLI or another worker takes effect on the very next request.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from collector.control import sqlite

PREFIX = "xdmc"
_TOKEN = re.compile(r"^xdmc_([0-9a-f]{16})_[A-Za-z0-9_\-]{43}$")


class TokenError(ValueError):
    """A token change that cannot be made (unknown inlet or token)."""


@dataclass(frozen=True)
class Token:
    """A token's public facts; the secret itself is never stored."""

    id: str
    inlet_id: str
    name: str
    created_at: str
    revoked_at: str | None


@dataclass(frozen=True)
class IssuedToken:
    """A new token with its secret, shown to the user once."""

    token: Token
    secret: str


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class TokenStore:
    """Creates, lists, revokes and verifies tokens in the ``tokens`` table of ``control.db``.

    The table is created by the control-plane migrations (open a ``ControlPlane`` first).
    """

    def __init__(
        self,
        path: Path,
        *,
        random_bytes: Callable[[int], bytes] = secrets.token_bytes,
        now: Callable[[], str] = _now,
    ) -> None:
        self._conn = sqlite.connect(path)
        self._random_bytes = random_bytes
        self._now = now

    def close(self) -> None:
        self._conn.close()

    # -- hot path -------------------------------------------------------------------

    def inlet_of(self, presented: str) -> str | None:
        """The inlet a presented token belongs to, or None (unknown, revoked, malformed)."""
        match = _TOKEN.match(presented)
        if match is None:
            return None
        row = self._conn.execute(
            "SELECT inlet_id, hash FROM tokens WHERE id = ? AND revoked_at IS NULL",
            (match.group(1),),
        ).fetchone()
        if row is None:
            return None
        inlet_id, stored = row
        if not hmac.compare_digest(digest(presented).encode(), str(stored).encode()):
            return None
        return str(inlet_id)

    # -- management -----------------------------------------------------------------

    def create(self, inlet_id: str, name: str = "") -> IssuedToken:
        exists = self._conn.execute(
            "SELECT 1 FROM inlets WHERE id = ? AND deleted_at IS NULL", (inlet_id,)
        ).fetchone()
        if exists is None:
            raise TokenError(f"no inlet {inlet_id}")
        token_id = self._random_bytes(8).hex()
        random_part = base64.urlsafe_b64encode(self._random_bytes(32)).rstrip(b"=").decode()
        secret = f"{PREFIX}_{token_id}_{random_part}"
        token = Token(token_id, inlet_id, name, self._now(), None)
        self._conn.execute(
            "INSERT INTO tokens (id, inlet_id, name, hash, created_at) VALUES (?, ?, ?, ?, ?)",
            (token.id, token.inlet_id, token.name, digest(secret), token.created_at),
        )
        return IssuedToken(token, secret)

    def list(self, inlet_id: str | None = None) -> list[Token]:
        sql = "SELECT id, inlet_id, name, created_at, revoked_at FROM tokens"
        params: tuple[str, ...] = ()
        if inlet_id is not None:
            sql, params = sql + " WHERE inlet_id = ?", (inlet_id,)
        rows = self._conn.execute(sql + " ORDER BY created_at, id", params).fetchall()
        return [Token(*row) for row in rows]

    def get(self, token_id: str) -> Token | None:
        row = self._conn.execute(
            "SELECT id, inlet_id, name, created_at, revoked_at FROM tokens WHERE id = ?",
            (token_id,),
        ).fetchone()
        return Token(*row) if row else None

    def revoke(self, token_id: str) -> Token:
        """Revoke a token (idempotent); the next request that presents it gets a 401."""
        token = self.get(token_id)
        if token is None:
            raise TokenError(f"no token {token_id}")
        if token.revoked_at is None:
            self._conn.execute(
                "UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                (self._now(), token_id),
            )
        revoked = self.get(token_id)
        assert revoked is not None
        return revoked
