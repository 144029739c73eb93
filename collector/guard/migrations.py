"""Migrations of the access tables in ``control.db`` (their own set, next to the control plane's).

API credentials, their access tokens, console users, sessions and the failure counters of the
token and login routes. Applied when the access store opens (after the control plane's, whose
``orgs`` table they reference) and by ``collector migrate``. Never edit an applied one.
"""

from __future__ import annotations

from sqlite_utils import Database, Migrations

from collector.control import sqlite

access = Migrations("xdm-collector.access")


@access(name="0001_credentials_tokens")
def _credentials_tokens(db: Database) -> None:
    # An API credential of one org: only an argon2id hash of its secret is stored.
    db.execute(
        """
        CREATE TABLE credentials (
            id TEXT PRIMARY KEY,
            client_id TEXT NOT NULL UNIQUE,
            org_id TEXT NOT NULL REFERENCES orgs(id),
            name TEXT NOT NULL,
            scopes TEXT NOT NULL,
            secret_hash TEXT NOT NULL,
            created_at TEXT NOT NULL,
            rotated_at TEXT,
            revoked_at TEXT
        )
        """
    )
    db.execute("CREATE INDEX credentials_org ON credentials(org_id)")
    # Access tokens issued by POST /ims/token/v3: only a SHA-256 of the token is stored.
    db.execute(
        """
        CREATE TABLE access_tokens (
            hash TEXT PRIMARY KEY,
            credential_id TEXT NOT NULL REFERENCES credentials(id) ON DELETE CASCADE,
            scopes TEXT NOT NULL,
            issued_at TEXT NOT NULL,
            expires_ms INTEGER NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX access_tokens_credential ON access_tokens(credential_id)")
    # Failed attempts (token requests, logins) by key, so that every worker sees the count.
    db.execute(
        """
        CREATE TABLE auth_failures (
            key TEXT NOT NULL,
            at_ms INTEGER NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX auth_failures_key ON auth_failures(key, at_ms)")


def apply(db: Database) -> list[str]:
    """Apply pending access migrations; returns the names applied."""
    return sqlite.migrate(db, access)


@access(name="0002_users_sessions")
def _users_sessions(db: Database) -> None:
    # Console users: only an argon2id hash of the password is stored.
    db.execute(
        """
        CREATE TABLE users (
            id TEXT PRIMARY KEY,
            email TEXT NOT NULL UNIQUE COLLATE NOCASE,
            org_id TEXT REFERENCES orgs(id),
            role TEXT NOT NULL CHECK (role IN ('viewer', 'editor', 'approver', 'admin')),
            password_hash TEXT NOT NULL,
            created_at TEXT NOT NULL,
            password_changed_at TEXT NOT NULL,
            disabled_at TEXT
        )
        """
    )
    # Server-side console sessions: the cookie's id is stored as a SHA-256.
    db.execute(
        """
        CREATE TABLE sessions (
            hash TEXT PRIMARY KEY,
            user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            csrf TEXT NOT NULL,
            created_ms INTEGER NOT NULL,
            last_seen_ms INTEGER NOT NULL,
            ip TEXT
        )
        """
    )
    db.execute("CREATE INDEX sessions_user ON sessions(user_id)")
