"""Reads of the profile store in the shapes of AEP's Profile Access API.

Every function takes an open connection (read-only for lookups) and returns plain data; the
HTTP layer (``routes.py``) and the CLI (``profiles show``) format it.
"""

from __future__ import annotations

import base64
import binascii
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from collector.profile import merge
from collector.profile.identities import SANDBOX, normalise_namespace
from collector.web import params


class BadCursor(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class EventPage:
    children: list[dict[str, Any]]
    start: str
    next: str


def find_profile(
    conn: sqlite3.Connection, org: str, namespace: str, identity_id: str
) -> str | None:
    """The profile of an identity in ``org``'s store (another org's profiles are not found)."""
    row = conn.execute(
        "SELECT profile_id FROM identities WHERE org_id = ? AND sandbox = ? AND namespace = ?"
        " AND id = ?",
        (org, SANDBOX, normalise_namespace(namespace), identity_id),
    ).fetchone()
    return str(row[0]) if row else None


def identity_count(conn: sqlite3.Connection, profile_id: str) -> int:
    (count,) = conn.execute(
        "SELECT COUNT(*) FROM identities WHERE profile_id = ?", (profile_id,)
    ).fetchone()
    return int(count)


def identity_graph(conn: sqlite3.Connection, profile_id: str) -> list[dict[str, Any]]:
    """The identities of a profile in AEP's form: ``{"id", "namespace": {"code"}, ...}``.

    The namespace code is shown as it was first sent (``ECID``), not in its matching form.
    """
    graph = []
    for ns, ident, primary, state in conn.execute(
        "SELECT coalesce(code, namespace), id, is_primary, authenticated_state FROM identities"
        " WHERE profile_id = ? ORDER BY first_seen_ms, namespace, id",
        (profile_id,),
    ):
        item: dict[str, Any] = {"id": ident, "namespace": {"code": ns}}
        if primary:
            item["primary"] = True
        item["authenticatedState"] = state
        graph.append(item)
    return graph


def profile_document(
    conn: sqlite3.Connection, profile_id: str, fields: Sequence[str] = ()
) -> dict[str, Any] | None:
    """``{entityId, sources, identityGraph, entity, lastModifiedAt}`` of one profile."""
    row = conn.execute(
        "SELECT entity, modified_ms FROM profiles WHERE id = ?", (profile_id,)
    ).fetchone()
    if row is None:
        return None
    entity = orjson.loads(row[0])
    if fields:
        entity = merge.project(entity, fields)
    sources = [
        r[0]
        for r in conn.execute(
            "SELECT dataset_id FROM profile_fragments WHERE profile_id = ?"
            " UNION SELECT DISTINCT dataset_id FROM experience_events WHERE profile_id = ?"
            " ORDER BY 1",
            (profile_id, profile_id),
        )
    ]
    return {
        "entityId": profile_id,
        "sources": sources,
        "identityGraph": identity_graph(conn, profile_id),
        "entity": entity,
        "lastModifiedAt": iso(row[1]),
    }


def events_page(
    conn: sqlite3.Connection,
    profile_id: str,
    *,
    start_ms: int | None,
    end_ms: int | None,
    limit: int,
    descending: bool,
    cursor: str | None,
    fields: Sequence[str] = (),
) -> EventPage:
    """One page of a profile's events, ordered by timestamp; ``next`` is "" on the last page."""
    where = ["profile_id = ?"]
    params: list[Any] = [profile_id]
    if start_ms is not None:
        where.append("timestamp_ms >= ?")
        params.append(start_ms)
    if end_ms is not None:
        where.append("timestamp_ms < ?")
        params.append(end_ms)
    if cursor:
        where.append(
            "(timestamp_ms, seq) <= (?, ?)" if descending else "(timestamp_ms, seq) >= (?, ?)"
        )
        params.extend(decode_cursor(cursor))
    order = "DESC" if descending else "ASC"
    rows = conn.execute(
        "SELECT seq, event_id, timestamp_ms, received_ms, entity FROM experience_events"
        f" WHERE {' AND '.join(where)} ORDER BY timestamp_ms {order}, seq {order} LIMIT ?",
        [*params, limit + 1],
    ).fetchall()
    page, extra = rows[:limit], rows[limit:]
    children = []
    for _seq, event_id, ts, received, entity_json in page:
        entity = orjson.loads(entity_json)
        children.append(
            {
                "relatedEntityId": profile_id,
                "entityId": event_id,
                "timestamp": ts,
                "entity": merge.project(entity, fields) if fields else entity,
                "lastModifiedAt": iso(received),
            }
        )
    start = encode_cursor(page[0][2], page[0][0]) if page else ""
    nxt = encode_cursor(extra[0][2], extra[0][0]) if extra else ""
    return EventPage(children, start, nxt)


def encode_cursor(timestamp_ms: int, seq: int) -> str:
    return base64.urlsafe_b64encode(f"{timestamp_ms}.{seq}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        ts, seq = raw.split(".")
        return params.integer(ts), params.integer(seq)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadCursor(f"invalid start cursor: {cursor!r}") from None


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
