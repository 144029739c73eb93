"""Console sessions, kept server-side in ``control.db``.

The cookie carries 32 random bytes; the table keeps their SHA-256, the user, a per-session
CSRF token (for the forms of signed-in pages), the creation time and the last request's
time. A session ends after ``idle_seconds`` without a request
(``COLLECTOR_SESSION_IDLE_MINUTES``), ``ABSOLUTE_SECONDS`` after sign-in whatever happens, at
sign-out, and when the user is disabled or their role or password changes.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request

from collector.guard.credentials import open_db
from collector.guard.users import User

COOKIE = "xdmc_session"
ABSOLUTE_SECONDS = 12 * 3600
_USER = "u.id, u.email, u.org_id, u.role, u.created_at, u.password_changed_at, u.disabled_at"


@dataclass(frozen=True)
class SignedIn:
    user: User
    csrf: str
    session_id: str


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


class SessionStore:
    def __init__(
        self,
        path: Path,
        *,
        idle_seconds: int,
        absolute_seconds: int = ABSOLUTE_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.conn = open_db(path).conn
        self.idle_seconds = idle_seconds
        self.absolute_seconds = absolute_seconds
        self._clock = clock
        self._lock = threading.Lock()

    def close(self) -> None:
        self.conn.close()

    def start(self, user: User, ip: str | None) -> SignedIn:
        session_id, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now_ms = int(self._clock() * 1000)
        with self._lock:
            self.conn.execute(
                "DELETE FROM sessions WHERE last_seen_ms <= ? OR created_ms <= ?",
                (now_ms - self.idle_seconds * 1000, now_ms - self.absolute_seconds * 1000),
            )
            self.conn.execute(
                "INSERT INTO sessions (hash, user_id, csrf, created_ms, last_seen_ms, ip)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (_digest(session_id), user.id, csrf, now_ms, now_ms, ip),
            )
        return SignedIn(user, csrf, session_id)

    def lookup(self, session_id: str) -> SignedIn | None:
        """The live session's user (its idle clock restarts), or None."""
        if not session_id or len(session_id) > 128:
            return None
        key = _digest(session_id)
        now_ms = int(self._clock() * 1000)
        with self._lock:
            row = self.conn.execute(
                f"SELECT s.csrf, s.created_ms, s.last_seen_ms, {_USER} FROM sessions s"
                " JOIN users u ON u.id = s.user_id WHERE s.hash = ? AND u.disabled_at IS NULL",
                (key,),
            ).fetchone()
            if row is None:
                return None
            csrf, created_ms, last_seen_ms = str(row[0]), int(row[1]), int(row[2])
            if (
                now_ms - last_seen_ms > self.idle_seconds * 1000
                or now_ms - created_ms > self.absolute_seconds * 1000
            ):
                self.conn.execute("DELETE FROM sessions WHERE hash = ?", (key,))
                return None
            self.conn.execute("UPDATE sessions SET last_seen_ms = ? WHERE hash = ?", (now_ms, key))
        return SignedIn(User(*row[3:]), csrf, session_id)

    def end(self, session_id: str) -> None:
        with self._lock:
            self.conn.execute("DELETE FROM sessions WHERE hash = ?", (_digest(session_id),))


def signed_in(request: Request) -> SignedIn | None:
    """The console user of this request's session cookie, or None."""
    sessions: SessionStore = request.app.state.console.sessions
    return sessions.lookup(request.cookies.get(COOKIE, ""))
