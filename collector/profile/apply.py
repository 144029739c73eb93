"""Applying one batch of lake messages to the profile store (inside the caller's transaction).

Order of work, all with plain ``executemany``: guardrails and erasures filter messages; events
already stored (same ``_id`` in the same dataset) and records already applied (same
``xactionId``) are dropped; the identity graph links what is left, in lake order; then events
are inserted and record trees are merged once per (profile, dataset), so a profile touched by
many messages of the batch is written once. Looking duplicates up costs more than the rare
duplicate, so they are found by the inserts themselves (see ``apply_batch``).
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from collector.profile import fragments, merge
from collector.profile.graph import Graph
from collector.profile.graphstate import GraphCache
from collector.profile.ledger import Ledger
from collector.profile.messages import Message

_CHUNK = 400


@dataclass(frozen=True, slots=True)
class Limits:
    """Guardrails of CONTRACT.md: graph size, event size, record size."""

    graph_max_identities: int = 50
    event_max_bytes: int = 10 * 1024
    record_max_bytes: int = 100 * 1024


class _Duplicates(Exception):
    """An event or record of the batch was already in the store: take the careful path."""


def apply_batch(
    conn: sqlite3.Connection,
    messages: list[Message],
    *,
    limits: Limits,
    erased: Ledger | None,
    counters: Counter[str],
    applied_at: str,
    cache: GraphCache | None = None,
) -> None:
    """Apply ``messages``. Duplicates are rare (client retries), so the batch is first applied
    as if it had none, with ``INSERT OR IGNORE``: if an insert was ignored, that attempt is
    rolled back and the batch applied again, dropping the duplicates before anything links."""
    cache = cache if cache is not None else GraphCache()
    done: Counter[str] = Counter()
    conn.execute("SAVEPOINT optimistic")
    try:
        try:
            _apply(conn, messages, limits, erased, done, applied_at, cache, careful=False)
        except _Duplicates:
            conn.execute("ROLLBACK TO optimistic")
            cache.clear()
            done = Counter()
            _apply(conn, messages, limits, erased, done, applied_at, cache, careful=True)
    except BaseException:
        cache.clear()
        conn.execute("ROLLBACK TO optimistic")
        conn.execute("RELEASE optimistic")
        raise
    conn.execute("RELEASE optimistic")
    counters.update(done)


def _apply(
    conn: sqlite3.Connection,
    messages: list[Message],
    limits: Limits,
    erased: Ledger | None,
    counters: Counter[str],
    applied_at: str,
    cache: GraphCache,
    *,
    careful: bool,
) -> None:
    guardrails: Counter[tuple[str, str]] = Counter()
    last_xid: dict[tuple[str, str], str] = {}
    kept: list[Message] = []
    malformed = no_identity = erased_skipped = 0
    event_max, record_max = limits.event_max_bytes, limits.record_max_bytes
    erased = erased if erased else None  # an empty ledger: no call per message
    for m in messages:
        malformed += m.malformed_identities
        if m.size > (event_max if m.kind == "event" else record_max):
            key = (m.dataset_id, f"{m.kind}_too_large")
            guardrails[key] += 1
            last_xid[key] = m.xaction_id
        elif not m.identities:
            no_identity += 1
        elif erased is not None and erased.erased(m.org_id, m.identities, m.received_ms):
            erased_skipped += 1
        else:
            kept.append(m)
    counters.update(
        malformed_identities=malformed, no_identity=no_identity, erased_skipped=erased_skipped
    )
    if careful:
        kept = _dedupe(conn, kept, counters)

    graph = Graph(conn, limits.graph_max_identities, applied_at, cache)
    graph.load(kept)
    link = graph.link
    owners = [link(m) for m in kept]

    # After linking, an identity's profile is its graph's final name.
    records: dict[tuple[str, str], tuple[merge.Tree, int]] = {}
    record_xids = []
    if all(m.kind == "event" for m in kept):  # the usual batch: its rows in one comprehension
        events = [
            (
                m.org_id,
                m.dataset_id,
                m.event_id,
                owner.profile_id,
                m.time_ms,
                m.received_ms,
                m.xaction_id,
                m.entity_json,
            )
            for m, owner in zip(kept, owners, strict=True)
            if owner is not None
        ]
    else:
        events = []
        for m, owner in zip(kept, owners, strict=True):
            if owner is None:
                continue
            pid = owner.profile_id
            if m.kind == "event":
                events.append(
                    (
                        m.org_id,
                        m.dataset_id,
                        m.event_id,
                        pid,
                        m.time_ms,
                        m.received_ms,
                        m.xaction_id,
                        m.entity_json,
                    )
                )
            else:
                record_xids.append((m.xaction_id,))
                tree = merge.stamp(m.entity, m.time_ms, m.xaction_id)
                previous = records.get((pid, m.dataset_id))
                if previous is not None:
                    tree = merge.merge(previous[0], tree)
                records[(pid, m.dataset_id)] = (
                    tree,
                    max(m.received_ms, previous[1] if previous else 0),
                )
                graph.touch_modified(pid, m.received_ms)

    graph.flush()
    inserted = conn.executemany(
        "INSERT OR IGNORE INTO experience_events (org_id, dataset_id, event_id, profile_id,"
        " timestamp_ms, received_ms, xaction_id, entity) VALUES (?,?,?,?,?,?,?,?)",
        events,
    ).rowcount
    remembered = conn.executemany(
        "INSERT OR IGNORE INTO applied_records VALUES (?)", record_xids
    ).rowcount
    if not careful and (inserted != len(events) or remembered != len(record_xids)):
        raise _Duplicates
    if records:
        fragments.apply(conn, records)
    dirty = {pid for pid, _ in records} | {graph.final(p) for p in graph.entity_dirty}
    if dirty:
        fragments.refresh_entities(conn, dirty)
    counters["events_applied"] += len(events)
    counters["records_applied"] += len(record_xids)
    conn.executemany(
        "INSERT INTO guardrail_skips VALUES (?, ?, ?, ?) ON CONFLICT(dataset_id, kind)"
        " DO UPDATE SET count = count + excluded.count,"
        " last_xaction_id = excluded.last_xaction_id",
        [(ds, kind, n, last_xid[(ds, kind)]) for (ds, kind), n in guardrails.items()],
    )


def save_counters(conn: sqlite3.Connection, counters: Counter[str]) -> None:
    conn.executemany(
        "INSERT INTO projector_counters VALUES (?, ?) ON CONFLICT(name)"
        " DO UPDATE SET value = value + excluded.value",
        [(name, n) for name, n in sorted(counters.items()) if n],
    )


def _dedupe(
    conn: sqlite3.Connection, messages: list[Message], counters: Counter[str]
) -> list[Message]:
    event_keys: list[tuple[str, ...]] = list(
        {(m.dataset_id, m.event_id) for m in messages if m.kind == "event"}
    )
    record_xids = list({m.xaction_id for m in messages if m.kind == "record"})
    seen_events = _existing(
        conn,
        "WITH k(d, e) AS (VALUES {}) SELECT x.dataset_id, x.event_id FROM k"
        " JOIN experience_events x ON x.dataset_id = k.d AND x.event_id = k.e",
        event_keys,
        2,
    )
    seen_records = {
        row[0]
        for row in _existing(
            conn,
            "SELECT xaction_id FROM applied_records WHERE xaction_id IN ({})",
            [(x,) for x in record_xids],
            1,
        )
    }
    kept = []
    for m in messages:
        if m.kind == "event":
            key = (m.dataset_id, m.event_id)
            if key in seen_events:
                counters["duplicate_events"] += 1
                continue
            seen_events.add(key)
        else:
            if m.xaction_id in seen_records:
                counters["duplicate_records"] += 1
                continue
            seen_records.add(m.xaction_id)
        kept.append(m)
    return kept


def _existing(
    conn: sqlite3.Connection, sql: str, keys: Sequence[tuple[str, ...]], width: int
) -> set[tuple[str, ...]]:
    found: set[tuple[str, ...]] = set()
    mark = "(" + ",".join("?" * width) + ")" if width > 1 else "?"
    for i in range(0, len(keys), _CHUNK):
        chunk = keys[i : i + _CHUNK]
        params = [part for key in chunk for part in key]
        found.update(conn.execute(sql.format(",".join(mark for _ in chunk)), params))
    return found
