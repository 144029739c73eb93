"""Record fragments, one per (profile, dataset), and the merged entity of a profile.

A fragment is the stamped tree (``collector.profile.merge``) of every record of one dataset
that landed in one profile. The profile's entity is the merge of its fragments, stored in
``profiles.entity`` so that SQL can read it (``json_extract(entity, '$.person.name')``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping

import orjson

from collector.profile import merge

_CHUNK = 400


def move(conn: sqlite3.Connection, old: str, new: str) -> bool:
    """Merge the fragments of profile ``old`` into ``new``; True when there were any."""
    rows = conn.execute(
        "SELECT dataset_id, tree, modified_ms FROM profile_fragments WHERE profile_id = ?",
        (old,),
    ).fetchall()
    if not rows:
        return False
    incoming = {ds: (orjson.loads(tree), modified) for ds, tree, modified in rows}
    conn.execute("DELETE FROM profile_fragments WHERE profile_id = ?", (old,))
    current = _load(conn, [(new, ds) for ds in incoming])
    upserts = []
    for ds, (tree, modified) in incoming.items():
        mine = current.get((new, ds))
        if mine is not None:
            tree = merge.merge(mine[0], tree)
            modified = max(modified, mine[1])
        upserts.append((new, ds, orjson.dumps(tree, option=orjson.OPT_SORT_KEYS), modified))
    _upsert(conn, upserts)
    return True


def apply(
    conn: sqlite3.Connection, batch: Mapping[tuple[str, str], tuple[merge.Tree, int]]
) -> None:
    """Merge the batch's trees, keyed by (profile, dataset), into the stored fragments."""
    current = _load(conn, list(batch))
    upserts = []
    for (pid, ds), (tree, modified) in batch.items():
        mine = current.get((pid, ds))
        if mine is not None:
            tree = merge.merge(mine[0], tree)
            modified = max(modified, mine[1])
        upserts.append((pid, ds, orjson.dumps(tree, option=orjson.OPT_SORT_KEYS), modified))
    _upsert(conn, upserts)


def refresh_entities(conn: sqlite3.Connection, pids: Iterable[str]) -> None:
    """Recompute ``profiles.entity`` of ``pids`` from their fragments."""
    ordered = sorted(set(pids))
    for i in range(0, len(ordered), _CHUNK):
        chunk = ordered[i : i + _CHUNK]
        marks = ",".join("?" for _ in chunk)
        trees: dict[str, list[merge.Tree]] = {pid: [] for pid in chunk}
        for pid, tree in conn.execute(
            f"SELECT profile_id, tree FROM profile_fragments WHERE profile_id IN ({marks})"
            " ORDER BY profile_id, dataset_id",
            chunk,
        ):
            trees[pid].append(orjson.loads(tree))
        conn.executemany(
            "UPDATE profiles SET entity = ? WHERE id = ?",
            [
                (
                    orjson.dumps(
                        merge.strip(merge.merge_all(t)), option=orjson.OPT_SORT_KEYS
                    ).decode(),
                    pid,
                )
                for pid, t in trees.items()
            ],
        )


def _load(
    conn: sqlite3.Connection, keys: list[tuple[str, str]]
) -> dict[tuple[str, str], tuple[merge.Tree, int]]:
    found: dict[tuple[str, str], tuple[merge.Tree, int]] = {}
    for i in range(0, len(keys), _CHUNK):
        chunk = keys[i : i + _CHUNK]
        values = ",".join("(?,?)" for _ in chunk)
        params = [part for key in chunk for part in key]
        for pid, ds, tree, modified in conn.execute(
            f"WITH k(p, d) AS (VALUES {values}) SELECT f.profile_id, f.dataset_id, f.tree,"
            " f.modified_ms FROM k JOIN profile_fragments f"
            " ON f.profile_id = k.p AND f.dataset_id = k.d",
            params,
        ):
            found[(pid, ds)] = (orjson.loads(tree), modified)
    return found


def _upsert(conn: sqlite3.Connection, rows: list[tuple[str, str, bytes, int]]) -> None:
    conn.executemany(
        "INSERT INTO profile_fragments (profile_id, dataset_id, tree, modified_ms)"
        " VALUES (?, ?, ?, ?) ON CONFLICT(profile_id, dataset_id) DO UPDATE SET"
        " tree = excluded.tree, modified_ms = excluded.modified_ms",
        [(pid, ds, tree.decode(), modified) for pid, ds, tree, modified in rows],
    )
