"""Erasing a person from the profile store: their graph's rows leave every table.

``erase`` is the profile-store step of a privacy job (``collector/privacy/``). Inside one
transaction it finds the profile of the identity in the job's org, writes every identity of the
graph to the erasure ledger (``ledger.py``: keyed hashes, never the identity), and deletes the
profile, its identities, events, fragments, merges and refused links. ``secure_delete`` is on
for that transaction, so the deleted rows are overwritten with zeros in the database pages;
``wipe`` then rewrites the store (VACUUM) and truncates the WAL, whose older frames and free
pages may still hold earlier copies.

The projector (live and during ``collector replay``) skips every lake message of that org that
carries an erased identity and was received at or before the erasure, so a lagging projector or
a replay does not bring the person back. Messages received later build a new profile, as they
would for a new visitor: this is what AEP's Privacy Service does (a delete removes the data that
exists when the job runs; data ingested afterwards is ingested again).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass

from collector.profile import ledger
from collector.profile.identities import SANDBOX, normalise_namespace
from collector.profile.reader import find_profile


@dataclass(frozen=True, slots=True)
class Erased:
    profile_id: str | None  # None: no profile held the identity (the lake is still scrubbed)
    identities: list[tuple[str, str]]  # (namespace, id) of the whole graph
    events: int
    erased_ms: int


def erase(
    conn: sqlite3.Connection,
    key: bytes,
    org: str,
    namespace: str,
    identity_id: str,
    now_ms: int,
    job_id: str = "",
    before_commit: Callable[[Erased], None] | None = None,
) -> Erased:
    """Erase the person behind one identity of ``org`` (``conn``: a writer, autocommit).

    ``before_commit`` runs inside the transaction (a job records its progress there)."""
    conn.execute("PRAGMA secure_delete=ON")
    conn.execute("BEGIN IMMEDIATE")
    try:
        profile_id = find_profile(conn, org, namespace, identity_id)
        identities = [(normalise_namespace(namespace), identity_id)]
        events = 0
        if profile_id is not None:
            identities = [
                (str(ns), str(ident))
                for ns, ident in conn.execute(
                    "SELECT namespace, id FROM identities WHERE profile_id = ?"
                    " ORDER BY namespace, id",
                    (profile_id,),
                )
            ]
        ledger.record(conn, key, org, identities, now_ms, job_id)
        if profile_id is not None:
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
        # A link to this person refused from another graph names their identity too.
        conn.executemany(
            "DELETE FROM refused_links WHERE org_id = ? AND sandbox = ? AND namespace = ?"
            " AND id = ?",
            [(org, SANDBOX, ns, ident) for ns, ident in identities],
        )
        erased = Erased(profile_id, identities, events, now_ms)
        if before_commit is not None:
            before_commit(erased)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    finally:
        if conn.in_transaction:
            conn.execute("COMMIT")
        conn.execute("PRAGMA secure_delete=FAST")
    return erased


def wipe(conn: sqlite3.Connection) -> bool:
    """Leave no copy of erased rows in the files: VACUUM, then truncate the WAL.

    Deleted rows are zeroed by ``secure_delete``, but earlier versions of a row (a profile's
    entity before its last update, cells moved when a page was split) can survive in free
    pages and in the unused parts of pages. VACUUM writes every page anew, so they are gone;
    the WAL that VACUUM wrote through is then checkpointed and truncated. VACUUM costs about
    one write of the whole store: a job runner runs it once for all the jobs that finished
    together. Returns False when a reader kept the WAL from being truncated."""
    conn.execute("VACUUM")
    return scrub_wal(conn)


def scrub_wal(conn: sqlite3.Connection, *, attempts: int = 5, pause: float = 0.2) -> bool:
    """Copy the WAL into the database and truncate it to zero bytes; False while a reader
    keeps an older snapshot alive after ``attempts`` tries."""
    for _ in range(attempts):
        busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if busy == 0:
            return True
        time.sleep(pause)
    return False
