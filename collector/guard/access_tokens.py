"""Access tokens: what ``POST /ims/token/v3`` issues and every protected route checks.

A token is ``xdmat_`` and 32 random bytes (base64url): opaque, carrying nothing a client could
read or forge. Only its SHA-256 is stored (``access_tokens`` in ``control.db``) with the
credential, the granted scopes and the expiry. 256 random bits need no slow hash: the argon2
cost is paid once, when the client secret is verified at issue.

``lookup`` runs per request: a primary-key read joined to the credential (a revoked or rotated
credential's tokens are deleted, and a revoked credential never matches), remembered for
``cache_seconds`` so a burst of requests reads the database once. The expiry is checked on
every call, cached or not; a revocation is seen within ``cache_seconds``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from collector.guard.credentials import Credential, now_iso, open_db

PREFIX = "xdmat_"
CACHE_SECONDS = 2.0
_CACHE_ENTRIES = 10_000


@dataclass(frozen=True)
class Grant:
    """What a live token allows: whose it is, for which org, with which scopes."""

    credential_id: str
    client_id: str
    org_id: str
    scopes: tuple[str, ...]
    expires_ms: int


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_in: int
    scopes: tuple[str, ...]


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class AccessTokens:
    """Issues tokens for verified credentials and looks presented tokens up."""

    def __init__(
        self,
        path: Path,
        *,
        ttl_seconds: int,
        cache_seconds: float = CACHE_SECONDS,
        clock: Callable[[], float] = time.time,
        token_urlsafe: Callable[[int], str] = secrets.token_urlsafe,
    ) -> None:
        self.db = open_db(path)
        self.conn = self.db.conn
        self.ttl_seconds = ttl_seconds
        self._cache_seconds = cache_seconds
        self._clock = clock
        self._token_urlsafe = token_urlsafe
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, Grant | None]] = {}

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def writing(self) -> Iterator[sqlite3.Connection]:
        """This store's connection to ``control.db``, for one thread at a time (the audit log)."""
        with self._lock:
            yield self.conn

    def issue(self, credential: Credential, granted: tuple[str, ...]) -> IssuedToken:
        token = PREFIX + self._token_urlsafe(32)
        now_ms = int(self._clock() * 1000)
        with self._lock:
            self.conn.execute("DELETE FROM access_tokens WHERE expires_ms <= ?", (now_ms,))
            self.conn.execute(
                "INSERT INTO access_tokens (hash, credential_id, scopes, issued_at, expires_ms)"
                " VALUES (?, ?, ?, ?, ?)",
                (
                    digest(token),
                    credential.id,
                    " ".join(granted),
                    now_iso(),
                    now_ms + self.ttl_seconds * 1000,
                ),
            )
        return IssuedToken(token, self.ttl_seconds, granted)

    def lookup(self, presented: str) -> Grant | None:
        """The grant of a live token, or None (unknown, expired, revoked, malformed)."""
        if not presented.startswith(PREFIX) or len(presented) > 128:
            return None
        key = digest(presented)
        now = self._clock()
        cached = self._cache.get(key)
        if cached is not None and now - cached[0] < self._cache_seconds:
            grant = cached[1]
        else:
            grant = self._read(key)
            if len(self._cache) >= _CACHE_ENTRIES:
                self._cache.clear()
            self._cache[key] = (now, grant)
        if grant is None or grant.expires_ms <= now * 1000:
            return None
        return grant

    def _read(self, key: str) -> Grant | None:
        with self._lock:
            row = self.conn.execute(
                "SELECT t.hash, t.credential_id, c.client_id, c.org_id, t.scopes, t.expires_ms"
                " FROM access_tokens t JOIN credentials c ON c.id = t.credential_id"
                " WHERE t.hash = ? AND c.revoked_at IS NULL",
                (key,),
            ).fetchone()
        if row is None or not hmac.compare_digest(str(row[0]), key):
            return None
        return Grant(
            credential_id=str(row[1]),
            client_id=str(row[2]),
            org_id=str(row[3]),
            scopes=tuple(str(row[4]).split()),
            expires_ms=int(row[5]),
        )


def request_headers(
    control_db: Path, org_id: str, scopes: list[str], *, name: str, ttl_seconds: int = 3600
) -> dict[str, str]:
    """A new credential of ``org_id`` with ``scopes``, a token for it, and the headers a client
    sends with them: for tools that run beside the collector (the pytest plugin, benchmarks)."""
    from collector.guard.credentials import CredentialStore

    store = CredentialStore(control_db)
    tokens = AccessTokens(control_db, ttl_seconds=ttl_seconds)
    try:
        issued = store.create(org_id, name, scopes)
        token = tokens.issue(issued.credential, issued.credential.scopes).token
    finally:
        tokens.close()
        store.close()
    return {
        "authorization": f"Bearer {token}",
        "x-api-key": issued.credential.client_id,
        "x-gw-ims-org-id": org_id,
    }
