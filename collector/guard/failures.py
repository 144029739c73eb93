"""Counting failed attempts (token requests, console logins) in ``control.db``.

Every worker writes to the same table, so five failures spread over four workers still count
as five. A key is ``<what>:<whose>`` (``token-client:<client_id>``, ``login-ip:<ip>``); a key
with ``limit`` failures inside the last ``window_seconds`` is refused until the oldest of them
leaves the window, which is the ``Retry-After`` it is answered with.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from collector.guard.credentials import open_db

_DAY_MS = 86_400_000


@dataclass(frozen=True)
class Policy:
    limit: int
    window_seconds: int


class Failures:
    """Records failures and tells how long a key must wait (0 when it may try now)."""

    def __init__(
        self,
        path: Path,
        policy: Policy,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._conn = open_db(path).conn
        self.policy = policy
        self._clock = clock
        self._lock = threading.Lock()

    def close(self) -> None:
        self._conn.close()

    def retry_after(self, keys: Iterable[str]) -> int:
        """Seconds until every key may try again; 0 if none is over its limit."""
        now_ms = int(self._clock() * 1000)
        window_ms = self.policy.window_seconds * 1000
        wait_ms = 0
        with self._lock:
            for key in keys:
                rows = self._conn.execute(
                    "SELECT at_ms FROM auth_failures WHERE key = ? AND at_ms > ?"
                    " ORDER BY at_ms DESC LIMIT ?",
                    (key, now_ms - window_ms, self.policy.limit),
                ).fetchall()
                if len(rows) >= self.policy.limit:
                    # Free again when the limit-th most recent failure leaves the window.
                    wait_ms = max(wait_ms, int(rows[-1][0]) + window_ms - now_ms)
        return max(1, math.ceil(wait_ms / 1000)) if wait_ms > 0 else 0

    def record(self, keys: Iterable[str]) -> None:
        now_ms = int(self._clock() * 1000)
        with self._lock:
            keys = list(keys)
            self._conn.executemany(
                "DELETE FROM auth_failures WHERE key = ? AND at_ms <= ?",
                [(key, now_ms - self.policy.window_seconds * 1000) for key in keys],
            )
            self._conn.execute(  # keys that never failed again: gone after a day
                "DELETE FROM auth_failures WHERE at_ms <= ?", (now_ms - _DAY_MS,)
            )
            self._conn.executemany(
                "INSERT INTO auth_failures (key, at_ms) VALUES (?, ?)",
                [(key, now_ms) for key in keys],
            )

    def clear(self, key: str) -> None:
        with self._lock:
            self._conn.execute("DELETE FROM auth_failures WHERE key = ?", (key,))
