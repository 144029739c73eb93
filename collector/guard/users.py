"""Console users: an email, a role, optionally an org, and an argon2id-hashed password.

Passwords have at least ``MIN_PASSWORD_LENGTH`` characters. ``authenticate`` is slow on
purpose (argon2) and takes as long for an unknown email (a decoy hash is verified).
Disabling a user or changing their password or role ends their sessions.
"""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from collector.control import audit
from collector.guard.credentials import now_iso, open_db
from collector.guard.roles import ROLES

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
_EMAIL = re.compile(r"^[^@\s\x00-\x1f]{1,64}@[^@\s\x00-\x1f]{1,255}$")
_COLUMNS = "id, email, org_id, role, created_at, password_changed_at, disabled_at"


class UserError(ValueError):
    """A user change that cannot be made (bad email, role or password, unknown user)."""


@dataclass(frozen=True)
class User:
    id: str
    email: str
    org_id: str | None
    role: str
    created_at: str
    password_changed_at: str
    disabled_at: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "email": self.email,
            "org_id": self.org_id,
            "role": self.role,
            "created_at": self.created_at,
            "password_changed_at": self.password_changed_at,
            "disabled_at": self.disabled_at,
        }


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise UserError(f"the password must have at most {MAX_PASSWORD_LENGTH} characters")
    return password


class UserStore:
    def __init__(
        self,
        path: Path,
        *,
        hasher: PasswordHasher | None = None,
        now: Callable[[], str] = now_iso,
    ) -> None:
        self.db = open_db(path)
        self.conn = self.db.conn
        self._hasher = hasher or PasswordHasher()
        self._now = now
        self._lock = threading.Lock()
        self._decoy: str | None = None

    def close(self) -> None:
        self.conn.close()

    def create(self, email: str, role: str, password: str, org_id: str | None = None) -> User:
        email = email.strip()
        if not _EMAIL.match(email):
            raise UserError(f"not an email address: {email[:80]!r}")
        _check_role(role)
        hashed = self._hasher.hash(check_password(password))
        with self._lock:
            if (
                org_id is not None
                and not self.conn.execute("SELECT 1 FROM orgs WHERE id = ?", (org_id,)).fetchone()
            ):
                raise UserError(f"no org {org_id}")
            if self.conn.execute("SELECT 1 FROM users WHERE email = ?", (email,)).fetchone():
                raise UserError(f"a user {email} exists")
            now = self._now()
            user = User(secrets.token_hex(8), email, org_id, role, now, now, None)
            self.conn.execute(
                f"INSERT INTO users ({_COLUMNS}, password_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (user.id, email, org_id, role, now, now, None, hashed),
            )
        return user

    def list(self) -> list[User]:
        with self._lock:
            rows = self.conn.execute(f"SELECT {_COLUMNS} FROM users ORDER BY email").fetchall()
        return [User(*r) for r in rows]

    def get(self, email_or_id: str) -> User | None:
        with self._lock:
            row = self.conn.execute(
                f"SELECT {_COLUMNS} FROM users WHERE email = ? OR id = ?",
                (email_or_id, email_or_id),
            ).fetchone()
        return User(*row) if row else None

    def disable(self, email: str) -> User:
        user = self._existing(email)
        self._change(
            user,
            "UPDATE users SET disabled_at = coalesce(disabled_at, ?) WHERE id = ?",
            (self._now(), user.id),
        )
        return self._existing(user.id)

    def set_role(self, email: str, role: str) -> User:
        _check_role(role)
        user = self._existing(email)
        self._change(user, "UPDATE users SET role = ? WHERE id = ?", (role, user.id))
        return self._existing(user.id)

    def reset_password(self, email: str, password: str) -> User:
        user = self._existing(email)
        hashed = self._hasher.hash(check_password(password))
        self._change(
            user,
            "UPDATE users SET password_hash = ?, password_changed_at = ? WHERE id = ?",
            (hashed, self._now(), user.id),
        )
        return self._existing(user.id)

    def authenticate(self, email: str, password: str) -> User | None:
        """The enabled user with this email and password, or None. Slow: call it off the loop."""
        with self._lock:
            row = self.conn.execute(
                f"SELECT {_COLUMNS}, password_hash FROM users"
                " WHERE email = ? AND disabled_at IS NULL",
                (email.strip(),),
            ).fetchone()
        stored = str(row[-1]) if row else self._decoy_hash()
        try:
            self._hasher.verify(stored, password[:MAX_PASSWORD_LENGTH])
        except (VerificationError, InvalidHashError):
            return None
        return User(*row[:-1]) if row else None

    def audit(self, **entry: Any) -> None:
        """Append to the audit log over this store's connection (``audit.record``'s fields)."""
        with self._lock:
            audit.record(self.conn, **entry)

    def _change(self, user: User, sql: str, params: tuple[Any, ...]) -> None:
        """A change that ends the user's sessions in the same transaction."""
        with self._lock, self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute(sql, params)
            self.conn.execute("DELETE FROM sessions WHERE user_id = ?", (user.id,))

    def _existing(self, email_or_id: str) -> User:
        user = self.get(email_or_id)
        if user is None:
            raise UserError(f"no user {email_or_id}")
        return user

    def _decoy_hash(self) -> str:
        if self._decoy is None:
            self._decoy = self._hasher.hash(secrets.token_urlsafe(16))
        return self._decoy


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise UserError(f"unknown role {role!r} (known: {', '.join(ROLES)})")
