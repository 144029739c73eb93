"""Datastreams: what the Web SDK's ``configId`` means here.

A datastream names the org, the event dataset every ``events[i].xdm`` lands in, and an optional
profile dataset (where consent preferences are written as profile records). Each datastream
owns an inlet, created and removed with it: the inlet carries the allowed origins and the rate
limits, and its id is the ``inletId`` of the lake lines the Edge routes write, so limits,
monitoring and the lake treat Web SDK traffic like any other inlet's.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from sqlite_utils import Database, Migrations

from collector.control import origins as origin_patterns
from collector.control import sqlite
from collector.control.plane import ControlPlane, ControlPlaneError, Inlet

DATASTREAM_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
SOURCE_NAME = "Web SDK"

migrations = Migrations("xdm-collector.datastreams")


@migrations(name="0001_datastreams")
def _datastreams(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE datastreams (
            id TEXT PRIMARY KEY,
            org_id TEXT NOT NULL REFERENCES orgs(id),
            name TEXT NOT NULL,
            inlet_id TEXT NOT NULL UNIQUE REFERENCES inlets(id),
            dataset_id TEXT NOT NULL REFERENCES datasets(id),
            profile_dataset_id TEXT REFERENCES datasets(id),
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX datastreams_org ON datastreams(org_id)")


@migrations(name="0002_edge_consents")
def _edge_consents(db: Database) -> None:
    # The last collect consent each Web SDK visitor (ECID) gave, per org: "in" or "out".
    db.execute(
        """
        CREATE TABLE edge_consents (
            org_id TEXT NOT NULL,
            ecid TEXT NOT NULL,
            general TEXT NOT NULL CHECK (general IN ('in', 'out')),
            updated_at TEXT NOT NULL,
            PRIMARY KEY (org_id, ecid)
        ) WITHOUT ROWID
        """
    )


@dataclass(frozen=True)
class Datastream:
    id: str
    org_id: str
    name: str
    inlet_id: str
    dataset_id: str
    profile_dataset_id: str | None
    created_at: str
    updated_at: str

    def to_dict(self, inlet: Inlet | None = None) -> dict[str, Any]:
        data = asdict(self)
        if inlet is not None:
            data["allowed_origins"] = list(inlet.allowed_origins)
        return data


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Datastreams:
    """Datastreams in ``control.db``, beside the control plane whose inlets they own."""

    def __init__(self, control: ControlPlane) -> None:
        self.control = control
        sqlite.migrate(control.db, migrations)
        self._cache: dict[str, Datastream] = {}
        self._version = -1

    def get(self, datastream_id: str) -> Datastream | None:
        """A datastream by id (cached until another connection commits a change)."""
        (version,) = self.control.db.conn.execute("PRAGMA data_version").fetchone()
        if version != self._version or datastream_id not in self._cache:
            self._version = version
            self._cache = {d.id: d for d in self.list()}
        return self._cache.get(datastream_id.lower())

    def list(self, org_id: str | None = None) -> list[Datastream]:
        sql, params = "SELECT * FROM datastreams", []
        if org_id is not None:
            sql, params = sql + " WHERE org_id = ?", [org_id]
        rows = self.control.db.query(sql + " ORDER BY created_at, id", params)
        return [Datastream(**row) for row in rows]

    def create(
        self,
        *,
        org_id: str,
        name: str,
        dataset_id: str,
        profile_dataset_id: str | None = None,
        origins: tuple[str, ...] = (),
        datastream_id: str | None = None,
        actor: str = "system",
    ) -> Datastream:
        self._check_datasets(org_id, dataset_id, profile_dataset_id)
        origins = explicit(origins)
        datastream_id = (datastream_id or str(uuid.uuid4())).lower()
        if not DATASTREAM_ID.match(datastream_id):
            raise ControlPlaneError(f"datastream id must be a UUID: {datastream_id!r}")
        if self.get(datastream_id) is not None:
            raise ControlPlaneError(f"datastream {datastream_id} exists already")
        inlet = self.control.create_inlet(
            org_id=org_id,
            name=f"datastream {name}",
            description=f"Web SDK traffic of datastream {datastream_id}",
            source_name=SOURCE_NAME,
            allowed_origins=origins,
            default_dataset_id=dataset_id,
            actor=actor,
        )
        now = _now()
        stream = Datastream(
            datastream_id, org_id, name, inlet.id, dataset_id, profile_dataset_id, now, now
        )
        with self.control.db.atomic():
            self.control.db.execute(
                "INSERT INTO datastreams VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                list(asdict(stream).values()),
            )
        self._version = -1
        return stream

    def update(
        self,
        datastream_id: str,
        *,
        name: str | None = None,
        dataset_id: str | None = None,
        profile_dataset_id: str | None = None,
        clear_profile_dataset: bool = False,
    ) -> Datastream:
        stream = self.require(datastream_id)
        new_dataset = dataset_id or stream.dataset_id
        new_profile = (
            None if clear_profile_dataset else profile_dataset_id or stream.profile_dataset_id
        )
        self._check_datasets(stream.org_id, new_dataset, new_profile)
        with self.control.db.atomic():
            self.control.db.execute(
                "UPDATE datastreams SET name = ?, dataset_id = ?, profile_dataset_id = ?,"
                " updated_at = ? WHERE id = ?",
                [name or stream.name, new_dataset, new_profile, _now(), stream.id],
            )
            self.control.db.execute(
                "UPDATE inlets SET default_dataset_id = ? WHERE id = ?",
                [new_dataset, stream.inlet_id],
            )
        self._version = -1  # data_version moves only for other connections' commits
        return self.require(stream.id)

    def set_origins(
        self, datastream_id: str, origins: Sequence[str], *, actor: str = "system"
    ) -> Inlet:
        """Replace the allowed origins of a datastream's inlet (checked by ``explicit``)."""
        stream = self.require(datastream_id)
        return self.control.update_inlet(
            stream.inlet_id, allowed_origins=explicit(origins), actor=actor
        )

    def delete(self, datastream_id: str, *, actor: str = "system") -> Datastream:
        """Remove a datastream and its inlet (its lake data stays).

        The inlet is deleted as ``ControlPlane.delete_inlet`` deletes one (its id answers 404
        from then on, its tokens are revoked), so that the control plane sharing this
        connection forgets it at once.
        """
        stream = self.require(datastream_id)
        with self.control.db.atomic():
            self.control.db.execute("DELETE FROM datastreams WHERE id = ?", [stream.id])
            with suppress(ControlPlaneError):  # its inlet was deleted already
                self.control.delete_inlet(stream.inlet_id, actor=actor)
        self._version = -1
        return stream

    def set_consent(self, org_id: str, ecid: str, general: str) -> None:
        """Remember a visitor's collect consent (``in`` or ``out``)."""
        with self.control.db.atomic():
            self.control.db.execute(
                "INSERT INTO edge_consents VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE"
                " SET general = excluded.general, updated_at = excluded.updated_at",
                [org_id, ecid, general, _now()],
            )

    def consent(self, org_id: str, ecid: str) -> str | None:
        row = self.control.db.conn.execute(
            "SELECT general FROM edge_consents WHERE org_id = ? AND ecid = ?", [org_id, ecid]
        ).fetchone()
        return None if row is None else str(row[0])

    def require(self, datastream_id: str) -> Datastream:
        stream = self.get(datastream_id)
        if stream is None:
            raise ControlPlaneError(f"no datastream {datastream_id}")
        return stream

    def _check_datasets(self, org_id: str, dataset_id: str, profile_id: str | None) -> None:
        if self.control.org(org_id) is None:
            raise ControlPlaneError(f"unknown org {org_id!r}")
        for role, candidate in (("event dataset", dataset_id), ("profile dataset", profile_id)):
            if candidate is None:
                continue
            dataset = self.control.dataset(candidate)
            if dataset is None or dataset.org_id != org_id:
                raise ControlPlaneError(f"{role} {candidate} is not a dataset of {org_id}")


def explicit(values: Sequence[str]) -> tuple[str, ...]:
    """Allowed origins a datastream can use, as stored; raises ``ControlPlaneError``.

    Each is checked as an inlet's (``collector.control.origins``); ``*`` and wildcard patterns
    are refused: the Edge routes answer credentialed CORS, echoing only an origin listed
    exactly.
    """
    try:
        parsed = origin_patterns.parse_all(values)
    except origin_patterns.OriginError as exc:
        raise ControlPlaneError(str(exc)) from None
    for pattern in parsed:
        if pattern == origin_patterns.ANY or "://*." in pattern:
            raise ControlPlaneError(
                f"origin {pattern!r} is not allowed for a datastream: list each page's origin"
                " exactly, such as https://www.example.com (the Web SDK sends credentials, so"
                " the Edge routes answer only an origin listed exactly)"
            )
    return parsed
