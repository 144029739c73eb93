"""API credentials and access tokens for tests: made through the real stores, not faked.

``grant(path, org, scopes)`` creates a credential (a cheap argon2 cost: the hash is verified
by the same code, which reads the cost from the hash) and issues a token, and returns the
headers a client sends with it.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from starlette.applications import Starlette

from collector.control import seed
from collector.control.plane import ControlPlane
from collector.control.settings import Settings
from collector.guard.access import Access
from collector.guard.access_tokens import AccessTokens
from collector.guard.credentials import CredentialStore

FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@dataclass(frozen=True)
class Granted:
    credential_id: str
    client_id: str
    client_secret: str
    org_id: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return headers(self.token, self.client_id, self.org_id)


def headers(token: str, client_id: str, org_id: str) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {token}",
        "x-api-key": client_id,
        "x-gw-ims-org-id": org_id,
    }


def ensure_org(control_db: Path, org_id: str) -> None:
    credentials(control_db).close()  # applies the migrations
    with sqlite3.connect(control_db) as conn:
        conn.execute(
            "INSERT OR IGNORE INTO orgs (id, name, created_at) VALUES (?, ?, ?)",
            (org_id, org_id.split("@")[0], "2026-01-01T00:00:00Z"),
        )
    conn.close()


def credentials(control_db: Path) -> CredentialStore:
    return CredentialStore(control_db, hasher=FAST_HASHER)


def grant(
    control_db: Path,
    org_id: str,
    scopes: Iterable[str],
    *,
    ttl_seconds: int = 3600,
    clock: Callable[[], float] = time.time,
) -> Granted:
    """A new credential of ``org_id`` with ``scopes`` and a token for it."""
    ensure_org(control_db, org_id)
    store = credentials(control_db)
    tokens = AccessTokens(control_db, ttl_seconds=ttl_seconds, clock=clock)
    try:
        issued = store.create(org_id, "tests", list(scopes))
        token = tokens.issue(issued.credential, issued.credential.scopes).token
    finally:
        tokens.close()
        store.close()
    credential = issued.credential
    return Granted(credential.id, credential.client_id, issued.client_secret, org_id, token)


@contextmanager
def protected(
    app: Starlette,
    data_dir: Path,
    scopes: Iterable[str],
    *,
    org_id: str = seed.DEMO_ORG,
    datasets: Iterable[str] = (),
) -> Iterator[dict[str, str]]:
    """Give a bare test app the access stores (and a control plane with ``datasets`` of
    ``org_id``, for the routes that filter by org) in ``data_dir``; yields request headers."""
    settings = Settings(data_dir=data_dir)
    granted = grant(settings.control_db_path, org_id, scopes)
    with sqlite3.connect(settings.control_db_path) as conn:
        conn.executemany(
            "INSERT OR IGNORE INTO datasets (id, org_id, name, schema_id, created_at)"
            " VALUES (?, ?, ?, 'https://ns.adobe.com/xdm/context/profile', '2026-01-01')",
            [(d, org_id, d) for d in datasets],
        )
    conn.close()
    app.state.access = Access(settings)
    app.state.control = ControlPlane(settings.control_db_path)
    try:
        yield granted.headers
    finally:
        app.state.control.close()
        app.state.access.close()
