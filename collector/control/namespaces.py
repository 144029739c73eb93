"""Which identity namespaces an inlet may assert (table ``inlet_identity_namespaces``).

An anonymous (browser) inlet accepts beacons from anyone: without a limit, anyone can send a
message whose identity map links a device to someone else's e-mail address, and the profile
store merges the two. An inlet can therefore be limited to a list of namespaces (``ECID``
only, for a public site); the projector ignores identities of other namespaces in that
inlet's messages (and counts them), while the message itself stays in the lake. An inlet
without a list may assert every namespace (the behaviour before lists existed).

Namespace codes are compared as the profile store compares them: trimmed and lower-cased.
Every change is written to the audit log.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import orjson

from collector.control import audit, sqlite
from collector.control.plane import ControlPlane, ControlPlaneError

_MAX_CODE = 64


def normalise(code: str) -> str:
    return code.strip().lower()


def validate(codes: Iterable[str]) -> tuple[str, ...]:
    """Normalised, de-duplicated codes in their given order; refuses empty or odd ones."""
    seen: dict[str, None] = {}
    for code in codes:
        ns = normalise(code)
        if not ns or len(ns) > _MAX_CODE or not ns.isprintable() or "," in ns:
            raise ControlPlaneError(f"not an identity namespace code: {code!r}")
        seen[ns] = None
    return tuple(seen)


def set_allowed(
    control: ControlPlane,
    inlet_id: str,
    codes: Iterable[str] | None,
    *,
    actor: str,
) -> tuple[str, ...] | None:
    """Limit ``inlet_id`` to ``codes`` (``None``: every namespace again); audited."""
    inlet = control.inlet(inlet_id)
    if inlet is None:
        raise ControlPlaneError(f"no inlet {inlet_id}")
    allowed = None if codes is None else validate(codes)
    now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    with control.db.atomic():
        conn = control.db.conn
        if allowed is None:
            conn.execute("DELETE FROM inlet_identity_namespaces WHERE inlet_id = ?", [inlet_id])
        else:
            conn.execute(
                "INSERT INTO inlet_identity_namespaces (inlet_id, namespaces, updated_at)"
                " VALUES (?, ?, ?) ON CONFLICT(inlet_id) DO UPDATE SET"
                " namespaces = excluded.namespaces, updated_at = excluded.updated_at",
                [inlet_id, orjson.dumps(list(allowed)).decode(), now],
            )
        audit.record(
            conn,
            actor=actor,
            action="inlet.identity_namespaces",
            object_type="inlet",
            object_id=inlet_id,
            org_id=inlet.org_id,
            detail={"identityNamespaces": None if allowed is None else list(allowed)},
        )
    return allowed


def allowed(control: ControlPlane, inlet_id: str) -> tuple[str, ...] | None:
    """The namespaces ``inlet_id`` may assert; ``None``: every one."""
    return all_allowed(control.db.conn).get(inlet_id)


def all_allowed(conn: sqlite3.Connection) -> dict[str, tuple[str, ...]]:
    """Every inlet that has a list, with its namespaces."""
    return {
        str(inlet_id): tuple(orjson.loads(codes))
        for inlet_id, codes in conn.execute(
            "SELECT inlet_id, namespaces FROM inlet_identity_namespaces"
        )
    }


def read_allowed(control_db: Path) -> dict[str, frozenset[str]]:
    """``all_allowed`` from a read-only connection (the projector's view)."""
    if not control_db.exists():
        return {}
    conn = sqlite.connect_read_only(control_db)
    try:
        exists = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
            ["inlet_identity_namespaces"],
        ).fetchone()
        return {k: frozenset(v) for k, v in all_allowed(conn).items()} if exists else {}
    finally:
        conn.close()
