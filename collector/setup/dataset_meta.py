"""What the Catalog API keeps about a dataset besides its control-plane row: description,
tags other than Profile/Identity (those are the row's flags), the streaming switch and the
client that created it. Rows live in ``dataset_catalog`` in control.db."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlite_utils import Database

PROFILE_TAG = "unifiedProfile"
IDENTITY_TAG = "unifiedIdentity"


@dataclass(frozen=True)
class DatasetMeta:
    description: str = ""
    tags: dict[str, list[str]] = field(default_factory=dict)
    streaming: bool = True
    created_client: str = ""
    updated_at: str | None = None


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def read_all(db: Database, dataset_ids: list[str]) -> dict[str, DatasetMeta]:
    if not dataset_ids:
        return {}
    marks = ",".join("?" * len(dataset_ids))
    rows = db.query(f"SELECT * FROM dataset_catalog WHERE dataset_id IN ({marks})", dataset_ids)
    return {row["dataset_id"]: _meta(row) for row in rows}


def read(db: Database, dataset_id: str) -> DatasetMeta:
    return read_all(db, [dataset_id]).get(dataset_id, DatasetMeta())


def write(db: Database, dataset_id: str, meta: DatasetMeta) -> None:
    with db.atomic():
        db.execute(
            "INSERT INTO dataset_catalog"
            " (dataset_id, description, tags, streaming, created_client, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (dataset_id) DO UPDATE SET"
            " description = excluded.description, tags = excluded.tags,"
            " streaming = excluded.streaming, updated_at = excluded.updated_at",
            [
                dataset_id,
                meta.description,
                orjson.dumps(meta.tags).decode(),
                int(meta.streaming),
                meta.created_client,
                meta.updated_at or now(),
            ],
        )


def enabled(values: list[str]) -> bool:
    """``["enabled:true"]`` (aepp also sends ``"enabled: true"``): the flag is on."""
    return any(v.replace(" ", "").lower() == "enabled:true" for v in values)


def _meta(row: dict[str, Any]) -> DatasetMeta:
    return DatasetMeta(
        description=row["description"],
        tags=orjson.loads(row["tags"]),
        streaming=bool(row["streaming"]),
        created_client=row["created_client"],
        updated_at=row["updated_at"],
    )
