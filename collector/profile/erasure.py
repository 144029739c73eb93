"""Erasing a profile: its identities, events, fragments and merge history leave the store.

Each erased identity is written to ``erasures`` with the erasure time; the projector (live and
during ``collector replay``) skips every lake message that carries an erased identity and was
received at or before that time, so a replay does not bring the profile back. Messages received
later build a new profile, as they would for a new visitor.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from collector.profile.reader import find_profile


@dataclass(frozen=True, slots=True)
class Erased:
    profile_id: str
    identities: list[tuple[str, str]]
    events: int
    erased_ms: int


def erase(conn: sqlite3.Connection, namespace: str, identity_id: str, now_ms: int) -> Erased | None:
    """Erase the profile of one identity (``conn`` is a writer in autocommit mode)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        profile_id = find_profile(conn, namespace, identity_id)
        if profile_id is None:
            conn.execute("ROLLBACK")
            return None
        identities = [
            (str(ns), str(ident))
            for ns, ident in conn.execute(
                "SELECT namespace, id FROM identities WHERE profile_id = ? ORDER BY namespace, id",
                (profile_id,),
            )
        ]
        # REPLACE gives the row a new rowid: that is how the projector notices it.
        conn.executemany(
            "INSERT OR REPLACE INTO erasures (namespace, id, profile_id, erased_ms)"
            " VALUES (?1, ?2, ?3, MAX(?4, COALESCE((SELECT erased_ms FROM erasures"
            " WHERE namespace = ?1 AND id = ?2), 0)))",
            [(ns, ident, profile_id, now_ms) for ns, ident in identities],
        )
        events = conn.execute(
            "DELETE FROM experience_events WHERE profile_id = ?", (profile_id,)
        ).rowcount
        for table, column in (
            ("identities", "profile_id"),
            ("profile_fragments", "profile_id"),
            ("profile_merges", "profile_id"),
            ("refused_links", "profile_id"),
            ("profiles", "id"),
        ):
            conn.execute(f"DELETE FROM {table} WHERE {column} = ?", (profile_id,))
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return Erased(profile_id, identities, events, now_ms)
