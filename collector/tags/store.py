"""Properties and their published library versions in ``control.db``.

The latest library of each (property, environment) is cached in memory; the cache is
dropped when another connection has committed (``PRAGMA data_version``, checked on each
lookup, which costs microseconds), so a library published by the CLI is served at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from sqlite_utils import Database

from collector.control import migrations as control_migrations
from collector.control import sqlite
from collector.control.names import control_character_problem
from collector.tags import migrations
from collector.tags.builds import Builds
from collector.tags.property import Library, Property, PropertyError, check_environment
from collector.tags.recipe import Built


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class TagStore:
    def __init__(self, path: Path, *, clock: Callable[[], str] = now_iso) -> None:
        self.path = path
        self._conn = sqlite.connect(path)
        self.db = Database(self._conn)
        control_migrations.apply(self.db)
        migrations.apply(self.db)
        self._latest: dict[tuple[str, str], Library | None] = {}
        self.builds = Builds(self._conn, clock=clock, on_change=self._latest.clear)
        self._clock = clock
        self._lock = threading.Lock()
        self._version = -1

    def close(self) -> None:
        self._conn.close()

    # -- properties -----------------------------------------------------------------

    def property(self, property_id: str) -> Property | None:
        rows = list(self.db.query("SELECT * FROM tag_properties WHERE id = ?", [property_id]))
        return _property(rows[0]) if rows else None

    def properties(self, org_id: str | None = None) -> list[Property]:
        sql, params = "SELECT * FROM tag_properties", []
        if org_id is not None:
            sql, params = sql + " WHERE org_id = ?", [org_id]
        return [_property(r) for r in self.db.query(sql + " ORDER BY created_at, id", params)]

    def insert(self, property_id: str, org_id: str, name: str, config: dict[str, Any]) -> Property:
        _check_name(name)
        at = self._clock()
        with self._lock, self.db.atomic():
            if self.property(property_id) is not None:
                raise PropertyError(f"property {property_id} exists already")
            self.db.execute(
                "INSERT INTO tag_properties VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [property_id, org_id, name, *_config_columns(config), at, at],
            )
        found = self.property(property_id)
        assert found is not None
        return found

    def update(self, property_id: str, name: str, config: dict[str, Any]) -> Property:
        _check_name(name)
        with self._lock, self.db.atomic():
            self.db.execute(
                "UPDATE tag_properties SET name = ?, extension = ?, data_elements = ?,"
                " rules = ?, updated_at = ? WHERE id = ?",
                [name, *_config_columns(config), self._clock(), property_id],
            )
        found = self.property(property_id)
        if found is None:
            raise PropertyError(f"no property {property_id}")
        return found

    def delete(self, property_id: str) -> Property:
        """Remove a property never built nor published (builds and libraries are kept)."""
        with self._lock, self.db.atomic():
            found = self.property(property_id)
            if found is None:
                raise PropertyError(f"no property {property_id}")
            for table in ("tag_builds", "tag_libraries"):
                sql = f"SELECT 1 FROM {table} WHERE property_id = ? LIMIT 1"
                if self._conn.execute(sql, [property_id]).fetchone():
                    raise PropertyError(
                        f"property {found.name} has builds; its history is kept,"
                        " so it cannot be deleted"
                    )
            self.db.execute("DELETE FROM tag_properties WHERE id = ?", [property_id])
        return found

    # -- libraries ------------------------------------------------------------------

    def add_library(self, property_id: str, environment: str, built: Built) -> Library:
        """Store a new version (the previous number plus one) for one environment."""
        check_environment(environment)
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                (last,) = self._conn.execute(
                    "SELECT coalesce(max(version), 0) FROM tag_libraries"
                    " WHERE property_id = ? AND environment = ?",
                    [property_id, environment],
                ).fetchone()
                self._conn.execute(
                    "INSERT INTO tag_libraries VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [
                        property_id,
                        environment,
                        last + 1,
                        built.content_hash,
                        built.text,
                        built.gzip,
                        self._clock(),
                    ],
                )
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._latest.clear()
        library = self.library(property_id, environment, last + 1)
        assert library is not None
        return library

    def library(self, property_id: str, environment: str, version: int) -> Library | None:
        rows = list(
            self.db.query(
                "SELECT * FROM tag_libraries"
                " WHERE property_id = ? AND environment = ? AND version = ?",
                [property_id, environment, version],
            )
        )
        return _library(rows[0]) if rows else None

    def libraries(self, property_id: str) -> list[Library]:
        rows = self.db.query(
            "SELECT * FROM tag_libraries WHERE property_id = ? ORDER BY environment, version",
            [property_id],
        )
        return [_library(r) for r in rows]

    def latest(self, property_id: str, environment: str) -> Library | None:
        """The library an environment serves (the serving path): its deployed build.

        A data directory from before builds existed keeps serving its newest directly
        published version until a build is deployed to that environment.
        """
        with self._lock:
            (version,) = self._conn.execute("PRAGMA data_version").fetchone()
            if version != self._version:
                self._version = version
                self._latest.clear()
            key = (property_id, environment)
            if (
                key not in self._latest
                and (build := self.builds.served(property_id, environment)) is not None
            ):
                self._latest[key] = build.library(environment)
            if key not in self._latest:
                row = self._conn.execute(
                    "SELECT * FROM tag_libraries WHERE property_id = ? AND environment = ?"
                    " ORDER BY version DESC LIMIT 1",
                    key,
                ).fetchone()
                self._latest[key] = None if row is None else Library(*row)
            return self._latest[key]


def _config_columns(config: dict[str, Any]) -> list[str]:
    return [
        orjson.dumps(config["extension"]).decode(),
        orjson.dumps(config["dataElements"]).decode(),
        orjson.dumps(config["rules"]).decode(),
    ]


def _property(row: dict[str, Any]) -> Property:
    return Property(
        id=row["id"],
        org_id=row["org_id"],
        name=row["name"],
        extension=orjson.loads(row["extension"]),
        data_elements=orjson.loads(row["data_elements"]),
        rules=orjson.loads(row["rules"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _library(row: dict[str, Any]) -> Library:
    return Library(
        property_id=row["property_id"],
        environment=row["environment"],
        version=row["version"],
        content_hash=row["content_hash"],
        text=row["library"],
        gzip=row["library_gzip"],
        built_at=row["built_at"],
    )


def _check_name(name: str) -> None:
    problem = control_character_problem("property name", name)
    if problem is not None:
        raise PropertyError(problem)
