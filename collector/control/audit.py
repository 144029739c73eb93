"""The audit log: one append-only table of who did what to which object, when, from where.

Actors are written ``user:<email>``, ``credential:<client_id>``, ``cli:<os user>`` or
``inlet-token:<id>``. Every profile read by identity, every erasure, every change to
credentials, users and inlets, and every publish is recorded. Rows are never updated or
deleted (triggers refuse it); ``collector audit`` reads them.
"""

from __future__ import annotations

import getpass
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: str
    org_id: str | None
    actor: str
    action: str
    object_type: str
    object_id: str
    ip: str | None
    detail: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at,
            "org_id": self.org_id,
            "actor": self.actor,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "ip": self.ip,
            "detail": self.detail,
        }


def cli_actor() -> str:
    """The actor of a change made from a shell on the server."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def record(
    conn: sqlite3.Connection,
    *,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    org_id: str | None = None,
    ip: str | None = None,
    detail: Mapping[str, Any] | None = None,
) -> None:
    """Append one entry; runs inside the caller's transaction when there is one."""
    conn.execute(
        "INSERT INTO audit_log (at, org_id, actor, action, object_type, object_id, ip, detail)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            _now(),
            org_id,
            actor,
            action,
            object_type,
            object_id,
            ip,
            orjson.dumps(dict(detail or {})).decode(),
        ],
    )


def entries(
    conn: sqlite3.Connection,
    *,
    since: str | None = None,
    org_id: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    limit: int = 1000,
) -> list[AuditEntry]:
    """Entries oldest first, filtered by time (ISO 8601 prefix compare), org and object."""
    where, params = [], []
    for column, value, op in (
        ("at", since, ">="),
        ("org_id", org_id, "="),
        ("object_type", object_type, "="),
        ("object_id", object_id, "="),
    ):
        if value is not None:
            where.append(f"{column} {op} ?")
            params.append(value)
    sql = "SELECT * FROM audit_log"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY seq LIMIT ?"
    cursor = conn.execute(sql, [*params, limit])
    names = [d[0] for d in cursor.description]
    found = []
    for row in cursor.fetchall():
        data = dict(zip(names, row, strict=True))
        data["detail"] = orjson.loads(data["detail"])
        found.append(AuditEntry(**data))
    return found
