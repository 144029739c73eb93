"""Builds a data directory by hand through the fixed interfaces: control.db and lake segments."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from sqlite_utils import Database

from collector.control import migrations as control_migrations
from collector.control.settings import Settings
from collector.lake.layout import watermark_path
from collector.lake.watermark import encode

EVENTS = "a" * 24
RECORDS = "b" * 24
OTHER_RECORDS = "c" * 24
NOT_PROFILE = "d" * 24
EVENT_SCHEMA = "https://ns.adobe.com/xdm/context/experienceevent"
PROFILE_SCHEMA = "https://ns.adobe.com/xdm/context/profile"
BASE_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z
ORG = "DEMO@AdobeOrg"  # the org of every dataset and line made here


def settings_for(tmp_path: Path, **overrides: Any) -> Settings:
    return Settings(data_dir=tmp_path, schemas_dir=tmp_path / "no-schemas", **overrides)


def make_control(settings: Settings, datasets: list[tuple[str, str, int]] | None = None) -> None:
    """A control.db with the documented ``datasets`` table."""
    rows = datasets or [
        (EVENTS, EVENT_SCHEMA, 1),
        (RECORDS, PROFILE_SCHEMA, 1),
        (OTHER_RECORDS, PROFILE_SCHEMA, 1),
        (NOT_PROFILE, EVENT_SCHEMA, 0),
    ]
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(settings.control_db_path)
    control_migrations.apply(Database(conn))  # the real tables (audit_log for erasures)
    conn.execute(
        "CREATE TABLE IF NOT EXISTS datasets (id TEXT PRIMARY KEY, org_id TEXT, name TEXT,"
        " schema_id TEXT, profile_enabled INTEGER, identity_enabled INTEGER, created_at TEXT)"
    )
    conn.execute("CREATE TABLE IF NOT EXISTS inlets (id TEXT PRIMARY KEY, org_id TEXT, name TEXT)")
    conn.executemany(
        "INSERT OR REPLACE INTO datasets VALUES (?, 'DEMO@AdobeOrg', ?, ?, ?, 1, '2026-01-01')",
        [(ds, f"dataset {ds[:4]}", schema, enabled) for ds, schema, enabled in rows],
    )
    conn.commit()
    conn.close()


def ids(**namespaces: str | list[str]) -> dict[str, list[dict[str, Any]]]:
    """``ids(ECID="1", Email=["a@x", "b@x"])`` -> an identityMap."""
    out: dict[str, list[dict[str, Any]]] = {}
    for ns, values in namespaces.items():
        listed = [values] if isinstance(values, str) else values
        out[ns] = [{"id": v, "authenticatedState": "ambiguous"} for v in listed]
    return out


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat().replace("+00:00", "Z")


@dataclass
class Lake:
    """Appends accepted lines to segments the way the lake writer lays them out."""

    settings: Settings
    counter: int = 0
    segments: dict[tuple[str, str], Path] = field(default_factory=dict)

    def path(self, dataset_id: str, writer: str = "w1", received_ms: int = BASE_MS) -> Path:
        key = (dataset_id, writer)
        if key not in self.segments:
            when = datetime.fromtimestamp(received_ms / 1000, UTC)
            directory = (
                self.settings.lake_dir / dataset_id / f"date={when:%Y-%m-%d}" / f"hour={when:%H}"
            )
            directory.mkdir(parents=True, exist_ok=True)
            self.segments[key] = directory / f"part-{received_ms:013d}-{writer}.jsonl"
        return self.segments[key]

    def append_raw(self, dataset_id: str, data: bytes, writer: str = "w1") -> Path:
        """Append as a live writer does: the segment stays open, its watermark at its end."""
        path = self.path(dataset_id, writer)
        with path.open("ab") as f:
            f.write(data)
        watermark_path(path).write_bytes(encode(path.stat().st_size))
        return path

    def line(
        self,
        dataset_id: str,
        entity: dict[str, Any],
        *,
        received_ms: int | None = None,
        xaction_id: str | None = None,
    ) -> dict[str, Any]:
        self.counter += 1
        received = received_ms if received_ms is not None else BASE_MS + self.counter
        return {
            "xactionId": xaction_id or f"{received}:4711:{self.counter}",
            "receivedTimeMs": received,
            "inletId": "f" * 64,
            "datasetId": dataset_id,
            "schemaId": "https://ns.xdm-collector.dev/schemas/test",
            "orgId": "DEMO@AdobeOrg",
            "authenticatedRequest": False,
            "header": {"datasetId": dataset_id},
            "entity": entity,
            "client": {"ip": None, "userAgent": None},
        }

    def write(
        self, dataset_id: str, *docs: dict[str, Any], writer: str = "w1"
    ) -> list[dict[str, Any]]:
        data = b"".join(orjson.dumps(d) + b"\n" for d in docs)
        self.append_raw(dataset_id, data, writer)
        return list(docs)

    def event(
        self,
        identity_map: dict[str, Any],
        *,
        event_id: str | None = None,
        timestamp_ms: int | None = None,
        dataset_id: str = EVENTS,
        writer: str = "w1",
        received_ms: int | None = None,
        xaction_id: str | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        self.counter += 1
        entity = {
            "_id": event_id or f"evt-{self.counter}",
            "timestamp": iso(timestamp_ms if timestamp_ms is not None else BASE_MS + self.counter),
            "identityMap": identity_map,
            **extra,
        }
        doc = self.line(dataset_id, entity, received_ms=received_ms, xaction_id=xaction_id)
        self.write(dataset_id, doc, writer=writer)
        return doc

    def record(
        self,
        entity: dict[str, Any],
        *,
        dataset_id: str = RECORDS,
        writer: str = "w1",
        received_ms: int | None = None,
        xaction_id: str | None = None,
    ) -> dict[str, Any]:
        doc = self.line(dataset_id, entity, received_ms=received_ms, xaction_id=xaction_id)
        self.write(dataset_id, doc, writer=writer)
        return doc


def rows(settings: Settings, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(settings.profile_db_path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def dump(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's content, in a stable order, without processing times and surrogate keys."""
    conn = sqlite3.connect(path)
    skip = {"seq", "applied_at", "updated_at"}
    out: dict[str, list[tuple[Any, ...]]] = {}
    try:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')"
                " AND name NOT LIKE 'sqlite_%' AND name != '_sqlite_migrations' ORDER BY name"
            )
        ]
        for table in tables:
            columns = [
                r[1] for r in conn.execute(f"PRAGMA table_info({table})") if r[1] not in skip
            ]
            listed = ", ".join(f'"{c}"' for c in columns)
            out[table] = sorted(conn.execute(f"SELECT {listed} FROM {table}").fetchall(), key=repr)
    finally:
        conn.close()
    return out
