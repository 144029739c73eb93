"""The projector's view of which identity namespaces each inlet may assert.

Read from ``control.db`` (``collector.control.namespaces``) at most every ``refresh_seconds``;
if it cannot be read (busy, not migrated yet) the last lists are kept. A replay applies the
lists as they are when it runs.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from collector.control.namespaces import read_allowed

log = logging.getLogger(__name__)


class InletAllowlist:
    def __init__(
        self,
        control_db: Path,
        *,
        refresh_seconds: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._control_db = control_db
        self._refresh_seconds = refresh_seconds
        self._clock = clock
        self._checked_at = float("-inf")
        self._lists: dict[str, frozenset[str]] = {}

    def lists(self) -> dict[str, frozenset[str]]:
        """Inlet id -> allowed namespaces (normalised); an inlet not listed may assert any."""
        now = self._clock()
        if now - self._checked_at >= self._refresh_seconds:
            self._checked_at = now
            try:
                self._lists = read_allowed(self._control_db)
            except sqlite3.Error as exc:
                log.warning("cannot read inlet identity namespaces: %s", exc)
        return self._lists
