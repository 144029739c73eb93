"""The control plane: orgs, datasets and inlets in ``control.db``.

Every change to an inlet is written to the audit log in the same transaction
(``collector/control/audit.py``); allowed origins are checked when saved
(``collector/control/origins.py``). A deleted inlet keeps its row (``deleted_at``), is gone
from every read, and its tokens are revoked.

The ingest hot path reads inlets and datasets from an in-memory snapshot that is
reloaded when another connection (the CLI, another worker) has committed a change
(``PRAGMA data_version``), checked at most once per ``refresh_interval`` seconds, and
at once on a miss, so an inlet created a moment ago is found.
"""

from __future__ import annotations

import secrets
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from sqlite_utils import Database

from collector.control import audit, migrations, sqlite
from collector.control.records import (
    DATASET_ID,
    INLET_ID,
    LIMIT_COLUMNS,
    ORG_ID,
    ControlPlaneError,
    Dataset,
    Inlet,
    Org,
    check_texts,
    column_value,
    dataset_from_row,
    inlet_from_row,
    parsed_origins,
    plain,
)

# The records are re-exported: the rest of the collector imports them from here.
__all__ = [
    "DATASET_ID",
    "INLET_ID",
    "LIMIT_COLUMNS",
    "ORG_ID",
    "ControlPlane",
    "ControlPlaneError",
    "Dataset",
    "Inlet",
    "Org",
]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class ControlPlane:
    """Reads and changes the control plane; ``open`` applies pending migrations."""

    def __init__(
        self,
        path: Path,
        *,
        refresh_interval: float = 1.0,
        new_hex: Callable[[int], str] = secrets.token_hex,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = path
        self._conn = sqlite.connect(path)
        self.db = Database(self._conn)
        migrations.apply(self.db)
        self._new_hex = new_hex
        self._clock = clock
        self._refresh_interval = refresh_interval
        self._checked_at = float("-inf")
        self._version = -1
        self._inlets: dict[str, Inlet] = {}
        self._datasets: dict[str, Dataset] = {}
        self._reload()

    def close(self) -> None:
        self._conn.close()

    # -- hot path -------------------------------------------------------------------

    def inlet(self, inlet_id: str) -> Inlet | None:
        self._maybe_reload(force=inlet_id not in self._inlets)
        return self._inlets.get(inlet_id)

    def dataset(self, dataset_id: str) -> Dataset | None:
        self._maybe_reload(force=dataset_id not in self._datasets)
        return self._datasets.get(dataset_id)

    def _maybe_reload(self, *, force: bool) -> None:
        now = self._clock()
        if not force and now - self._checked_at < self._refresh_interval:
            return
        self._checked_at = now
        (version,) = self._conn.execute("PRAGMA data_version").fetchone()
        if version != self._version:
            self._reload()

    def _reload(self) -> None:
        (self._version,) = self._conn.execute("PRAGMA data_version").fetchone()
        self._datasets = {d.id: d for d in self.datasets()}
        self._inlets = {i.id: i for i in self.inlets()}

    # -- reads ----------------------------------------------------------------------

    def orgs(self) -> list[Org]:
        return [Org(**row) for row in self.db.query("SELECT * FROM orgs ORDER BY created_at, id")]

    def org(self, org_id: str) -> Org | None:
        rows = list(self.db.query("SELECT * FROM orgs WHERE id = ?", [org_id]))
        return Org(**rows[0]) if rows else None

    def datasets(self, org_id: str | None = None) -> list[Dataset]:
        sql, params = "SELECT * FROM datasets", []
        if org_id is not None:
            sql, params = sql + " WHERE org_id = ?", [org_id]
        return [
            dataset_from_row(row) for row in self.db.query(sql + " ORDER BY created_at, id", params)
        ]

    def inlets(self, org_id: str | None = None) -> list[Inlet]:
        sql, params = "SELECT * FROM inlets WHERE deleted_at IS NULL", []
        if org_id is not None:
            sql, params = sql + " AND org_id = ?", [org_id]
        return [
            inlet_from_row(row) for row in self.db.query(sql + " ORDER BY created_at, id", params)
        ]

    def is_empty(self) -> bool:
        return not self.orgs()

    # -- changes --------------------------------------------------------------------

    def create_org(self, org_id: str, name: str) -> Org:
        if not ORG_ID.match(org_id):
            raise ControlPlaneError(f"org id must look like NAME@AdobeOrg, got {org_id!r}")
        if self.org(org_id) is not None:
            raise ControlPlaneError(f"org {org_id} exists already")
        check_texts(("org name", name))
        org = Org(org_id, name, _now())
        with self.db.atomic():
            self.db.execute("INSERT INTO orgs VALUES (?, ?, ?)", [org.id, org.name, org.created_at])
        return org

    def create_dataset(
        self,
        *,
        org_id: str,
        name: str,
        schema_id: str,
        profile_enabled: bool = False,
        identity_enabled: bool = False,
        known_schema: Callable[[str], bool] | None = None,
        dataset_id: str | None = None,
    ) -> Dataset:
        """Create a dataset; ``known_schema`` (the registry) refuses unknown schema ids."""
        self._require_org(org_id)
        check_texts(("dataset name", name))
        if known_schema is not None and not known_schema(schema_id):
            raise ControlPlaneError(f"unknown schema {schema_id!r}: not in the schema registry")
        dataset_id = dataset_id or self._new_hex(12)
        if not DATASET_ID.match(dataset_id):
            raise ControlPlaneError(f"dataset id must be 24 lowercase hex digits: {dataset_id!r}")
        row = Dataset(
            dataset_id, org_id, name, schema_id, profile_enabled, identity_enabled, _now()
        )
        with self.db.atomic():
            self.db.execute(
                "INSERT INTO datasets VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    row.id,
                    row.org_id,
                    row.name,
                    row.schema_id,
                    int(row.profile_enabled),
                    int(row.identity_enabled),
                    row.created_at,
                ],
            )
        self._reload()
        return row

    def create_inlet(
        self,
        *,
        org_id: str,
        name: str,
        description: str = "",
        source_name: str | None = None,
        auth_required: bool = False,
        allowed_origins: Iterable[str] = (),
        default_dataset_id: str | None = None,
        inlet_id: str | None = None,
        actor: str = "system",
    ) -> Inlet:
        self._require_org(org_id)
        check_texts(
            ("inlet name", name), ("inlet description", description), ("source name", source_name)
        )
        if default_dataset_id is not None:
            dataset = self.dataset(default_dataset_id)
            if dataset is None or dataset.org_id != org_id:
                raise ControlPlaneError(
                    f"dataset {default_dataset_id} is not a dataset of {org_id}"
                )
        inlet_id = inlet_id or self._new_hex(32)
        if not INLET_ID.match(inlet_id):
            raise ControlPlaneError(f"inlet id must be 64 lowercase hex digits: {inlet_id!r}")
        allowed = parsed_origins(allowed_origins)
        inlet = Inlet(
            inlet_id,
            org_id,
            name,
            description,
            source_name or name,
            auth_required,
            allowed,
            default_dataset_id,
            _now(),
        )
        with self.db.atomic():
            self.db.execute(
                "INSERT INTO inlets (id, org_id, name, description, source_name, auth_required,"
                " allowed_origins, default_dataset_id, created_at) VALUES (?,?,?,?,?,?,?,?,?)",
                [
                    inlet.id,
                    inlet.org_id,
                    inlet.name,
                    inlet.description,
                    inlet.source_name,
                    int(inlet.auth_required),
                    orjson.dumps(list(allowed)).decode(),
                    inlet.default_dataset_id,
                    inlet.created_at,
                ],
            )
            self._audit(actor, "inlet.create", inlet, {"inlet": inlet.to_dict()})
        self._reload()
        return inlet

    def update_inlet(
        self,
        inlet_id: str,
        *,
        name: str | None = None,
        description: str | None = None,
        auth_required: bool | None = None,
        allowed_origins: Iterable[str] | None = None,
        actor: str = "system",
    ) -> Inlet:
        """Change an inlet's name, description, authentication or allowed origins (None: keep).

        ``allowed_origins`` replaces the whole list. Returns the inlet as it is now.
        """
        before = self._existing_inlet(inlet_id)
        wanted: dict[str, Any] = {
            "name": name,
            "description": description,
            "auth_required": auth_required,
            "allowed_origins": None if allowed_origins is None else parsed_origins(allowed_origins),
        }
        changed = {
            field: [getattr(before, field), value]
            for field, value in wanted.items()
            if value is not None and value != getattr(before, field)
        }
        if changed:
            assignments = ", ".join(f"{field} = ?" for field in changed)
            values = [column_value(new) for _, new in changed.values()]
            with self.db.atomic():
                self.db.execute(
                    f"UPDATE inlets SET {assignments} WHERE id = ?", [*values, inlet_id]
                )
                detail = {f: [plain(old), plain(new)] for f, (old, new) in changed.items()}
                self._audit(actor, "inlet.update", before, {"changed": detail})
            self._reload()
        return self._existing_inlet(inlet_id)

    def delete_inlet(self, inlet_id: str, *, actor: str = "system") -> Inlet:
        """Delete an inlet: requests to it get 404 from now on, its tokens are revoked.

        Its lake data stays; its row stays too (marked ``deleted_at``) so that the id is
        never reused and the audit log and lake records keep pointing at something.
        """
        inlet = self._existing_inlet(inlet_id)
        at = _now()
        with self.db.atomic():
            self.db.execute("UPDATE inlets SET deleted_at = ? WHERE id = ?", [at, inlet_id])
            revoked = self._conn.execute(
                "UPDATE tokens SET revoked_at = ? WHERE inlet_id = ? AND revoked_at IS NULL",
                [at, inlet_id],
            ).rowcount
            self._audit(actor, "inlet.delete", inlet, {"tokens_revoked": revoked})
        self._reload()
        return replace(inlet, deleted_at=at)

    def _existing_inlet(self, inlet_id: str) -> Inlet:
        rows = list(
            self.db.query("SELECT * FROM inlets WHERE id = ? AND deleted_at IS NULL", [inlet_id])
        )
        if not rows:
            raise ControlPlaneError(f"no inlet {inlet_id}")
        return inlet_from_row(rows[0])

    def _audit(self, actor: str, action: str, inlet: Inlet, detail: dict[str, Any]) -> None:
        audit.record(
            self._conn,
            actor=actor,
            action=action,
            object_type="inlet",
            object_id=inlet.id,
            org_id=inlet.org_id,
            detail=detail,
        )

    def set_inlet_limits(
        self, inlet_id: str, limits: dict[str, int | None], *, actor: str = "system"
    ) -> Inlet:
        """Change an inlet's rate limits (``LIMIT_COLUMNS``); None returns one to the default."""
        unknown = set(limits) - set(LIMIT_COLUMNS)
        if unknown:
            raise ControlPlaneError(f"unknown limits {sorted(unknown)}; known: {LIMIT_COLUMNS}")
        if any(value is not None and value < 0 for value in limits.values()):
            raise ControlPlaneError("a limit is a count >= 0 (0: no limit)")
        before = self._existing_inlet(inlet_id)
        if limits:
            assignments = ", ".join(f"{column} = ?" for column in limits)
            with self.db.atomic():
                self.db.execute(
                    f"UPDATE inlets SET {assignments} WHERE id = ?", [*limits.values(), inlet_id]
                )
                changed = {c: [getattr(before, c), v] for c, v in limits.items()}
                self._audit(actor, "inlet.limits", before, {"changed": changed})
            self._reload()
        inlet = self.inlet(inlet_id)
        assert inlet is not None
        return inlet

    def update_dataset(
        self,
        dataset_id: str,
        *,
        name: str | None = None,
        profile_enabled: bool | None = None,
        identity_enabled: bool | None = None,
    ) -> Dataset:
        """Rename a dataset or switch it into/out of Profile and Identity (None: keep)."""
        if self.dataset(dataset_id) is None:
            raise ControlPlaneError(f"no dataset {dataset_id}")
        check_texts(("dataset name", name))
        wanted = {
            "name": name,
            "profile_enabled": profile_enabled,
            "identity_enabled": identity_enabled,
        }
        changed = {column: column_value(v) for column, v in wanted.items() if v is not None}
        if changed:
            assignments = ", ".join(f"{column} = ?" for column in changed)
            with self.db.atomic():
                self.db.execute(
                    f"UPDATE datasets SET {assignments} WHERE id = ?",
                    [*changed.values(), dataset_id],
                )
            self._reload()
        dataset = self.dataset(dataset_id)
        assert dataset is not None
        return dataset

    def delete_dataset(self, dataset_id: str) -> Dataset:
        """Remove a dataset's row: ingest refuses it from now on; its lake files stay.

        A dataset an inlet or a datastream still names cannot go (``ControlPlaneError``).
        """
        dataset = self.dataset(dataset_id)
        if dataset is None:
            raise ControlPlaneError(f"no dataset {dataset_id}")
        try:
            with self.db.atomic():
                self.db.execute("DELETE FROM datasets WHERE id = ?", [dataset_id])
        except sqlite3.IntegrityError:
            raise ControlPlaneError(
                f"dataset {dataset_id} is still used by an inlet or a datastream"
            ) from None
        self._reload()
        return dataset

    def _require_org(self, org_id: str) -> None:
        if self.org(org_id) is None:
            raise ControlPlaneError(f"unknown org {org_id!r}")
