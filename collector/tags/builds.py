"""Builds and their path to production: the publishing flow, shared by the CLI and the console.

A **build** is made once from a property's draft: the draft is checked, rendered, minified and
gzipped, and kept with the configuration it came from, who made it, when, and a note. A build
never changes (triggers refuse it); environments serve builds:

- ``build`` makes build N and serves it on ``development``;
- ``submit`` (N must be the newest build) serves it on ``staging`` for review;
- ``approve`` marks the submitted N as approved (``reject`` sends it back);
- ``promote`` serves the approved N on ``production``;
- ``rollback`` serves again an earlier build that production served before.

Every step is a row of ``tag_deployments`` (append-only), so each environment's history and
each build's status are read from one place, and the library served for an environment is
byte for byte the build deployed there (same content hash, same ETag).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from sqlite_utils import Database, Migrations

from collector.control import sqlite
from collector.tags.property import Library, PropertyError
from collector.tags.recipe import Built

ACTIONS = ("build", "submit", "approve", "reject", "promote", "rollback", "publish")
# The environment each action serves its build on (approve and reject serve nothing new).
SERVES = {"build": "development", "submit": "staging", "promote": "production",
          "rollback": "production"}  # fmt: skip

migrations = Migrations("xdm-collector.tag-builds")


@migrations(name="0001_builds_deployments")
def _builds_deployments(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE tag_builds (
            property_id TEXT NOT NULL REFERENCES tag_properties(id),
            number INTEGER NOT NULL,
            config TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            library TEXT NOT NULL,
            library_gzip BLOB NOT NULL,
            created_by TEXT NOT NULL,
            created_at TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (property_id, number)
        )
        """
    )
    db.execute(
        """
        CREATE TABLE tag_deployments (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            property_id TEXT NOT NULL,
            number INTEGER NOT NULL,
            action TEXT NOT NULL,
            environment TEXT,
            actor TEXT NOT NULL,
            at TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT '',
            FOREIGN KEY (property_id, number) REFERENCES tag_builds(property_id, number)
        )
        """
    )
    db.execute("CREATE INDEX tag_deployments_env ON tag_deployments(property_id, environment)")
    for table in ("tag_builds", "tag_deployments"):
        for verb in ("UPDATE", "DELETE"):
            db.execute(
                f"""
                CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table}
                BEGIN SELECT RAISE(ABORT, '{table} rows are immutable'); END
                """
            )


@dataclass(frozen=True)
class Build:
    property_id: str
    number: int
    config: dict[str, Any]
    content_hash: str
    text: str
    gzip: bytes
    created_by: str
    created_at: str
    note: str

    def library(self, environment: str) -> Library:
        return Library(
            self.property_id,
            environment,
            self.number,
            self.content_hash,
            self.text,
            self.gzip,
            self.created_at,
        )

    def summary(self, status: str, served_on: list[str]) -> dict[str, Any]:
        return {
            "property_id": self.property_id,
            "build": self.number,
            "status": status,
            "served_on": served_on,
            "content_hash": self.content_hash,
            "gzip_bytes": len(self.gzip),
            "created_by": self.created_by,
            "created_at": self.created_at,
            "note": self.note,
        }


@dataclass(frozen=True)
class Deployment:
    seq: int
    property_id: str
    build: int
    action: str
    environment: str | None
    actor: str
    at: str
    note: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "property_id": self.property_id,
            "build": self.build,
            "action": self.action,
            "environment": self.environment,
            "actor": self.actor,
            "at": self.at,
            "note": self.note,
        }


class Builds:
    """The publishing flow over one ``control.db`` connection (writes are serialised)."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        *,
        clock: Callable[[], str],
        on_change: Callable[[], None] = lambda: None,
    ) -> None:
        self.conn = conn
        self._clock = clock
        # What serves builds caches them; a change made on this connection says so here
        # (``PRAGMA data_version`` only moves for other connections' commits).
        self._on_change = on_change
        sqlite.migrate(Database(conn), migrations)

    # -- reads ------------------------------------------------------------------------

    def get(self, property_id: str, number: int) -> Build | None:
        row = self.conn.execute(
            "SELECT * FROM tag_builds WHERE property_id = ? AND number = ?", [property_id, number]
        ).fetchone()
        return None if row is None else _build(row)

    def require(self, property_id: str, number: int) -> Build:
        build = self.get(property_id, number)
        if build is None:
            raise PropertyError(f"property {property_id} has no build {number}")
        return build

    def all(self, property_id: str) -> list[Build]:
        rows = self.conn.execute(
            "SELECT * FROM tag_builds WHERE property_id = ? ORDER BY number", [property_id]
        ).fetchall()
        return [_build(row) for row in rows]

    def history(self, property_id: str, environment: str | None = None) -> list[Deployment]:
        sql = "SELECT * FROM tag_deployments WHERE property_id = ?"
        params: list[Any] = [property_id]
        if environment is not None:
            sql, params = sql + " AND environment = ?", [*params, environment]
        rows = self.conn.execute(sql + " ORDER BY seq", params).fetchall()
        return [Deployment(*row) for row in rows]

    def served(self, property_id: str, environment: str) -> Build | None:
        """The build an environment serves now (its newest deployment), if any."""
        row = self.conn.execute(
            "SELECT number FROM tag_deployments WHERE property_id = ? AND environment = ?"
            " ORDER BY seq DESC LIMIT 1",
            [property_id, environment],
        ).fetchone()
        return None if row is None else self.get(property_id, row[0])

    def status(self, property_id: str, number: int) -> str:
        """development, submitted, approved, rejected or production (the furthest reached)."""
        actions = [d.action for d in self.history(property_id) if d.build == number]  # oldest first
        status = "development"
        for action in actions:
            status = {
                "submit": "submitted",
                "approve": "approved",
                "reject": "rejected",
                "promote": "production",
                "rollback": "production",
                "publish": status,
            }.get(action, status)
        return status

    def summaries(self, property_id: str) -> list[dict[str, Any]]:
        serving = {
            env: build.number
            for env in ("development", "staging", "production")
            if (build := self.served(property_id, env)) is not None
        }
        return [
            b.summary(
                self.status(property_id, b.number),
                [env for env, number in serving.items() if number == b.number],
            )
            for b in self.all(property_id)
        ]

    # -- the flow ---------------------------------------------------------------------

    def create(
        self,
        property_id: str,
        config: dict[str, Any],
        built: Built,
        *,
        actor: str,
        note: str,
        serve_development: bool = True,
    ) -> Build:
        """Build N+1 from a checked configuration, served on development unless told not to."""
        with _transaction(self.conn):
            (last,) = self.conn.execute(
                "SELECT coalesce(max(number), 0) FROM tag_builds WHERE property_id = ?",
                [property_id],
            ).fetchone()
            number = last + 1
            self.conn.execute(
                "INSERT INTO tag_builds VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    property_id,
                    number,
                    orjson.dumps(config).decode(),
                    built.content_hash,
                    built.text,
                    built.gzip,
                    actor,
                    self._clock(),
                    note,
                ],
            )
            served = SERVES["build"] if serve_development else None
            self._deploy(property_id, number, "build", actor, note, served)
        return self.require(property_id, number)

    def submit(self, property_id: str, number: int, *, actor: str, note: str = "") -> Deployment:
        build = self.require(property_id, number)
        newest = max(b.number for b in self.all(property_id))
        if build.number != newest:
            raise PropertyError(f"only the newest build ({newest}) can be submitted")
        if self.status(property_id, number) not in ("development", "rejected"):
            raise PropertyError(f"build {number} is {self.status(property_id, number)} already")
        return self._step(property_id, number, "submit", actor, note)

    def approve(self, property_id: str, number: int, *, actor: str, note: str = "") -> Deployment:
        self._expect(property_id, number, "submitted", "approve")
        return self._step(property_id, number, "approve", actor, note)

    def reject(self, property_id: str, number: int, *, actor: str, note: str = "") -> Deployment:
        self._expect(property_id, number, "submitted", "reject")
        return self._step(property_id, number, "reject", actor, note)

    def promote(self, property_id: str, number: int, *, actor: str, note: str = "") -> Deployment:
        self._expect(property_id, number, "approved", "promote")
        return self._step(property_id, number, "promote", actor, note)

    def rollback(self, property_id: str, number: int, *, actor: str, note: str = "") -> Deployment:
        """Serve again a build that production served before."""
        self.require(property_id, number)
        before = {d.build for d in self.history(property_id, "production")}
        if number not in before:
            raise PropertyError(f"build {number} was never in production: nothing to roll back to")
        current = self.served(property_id, "production")
        if current is not None and current.number == number:
            raise PropertyError(f"production serves build {number} already")
        return self._step(property_id, number, "rollback", actor, note)

    def publish(self, property_id: str, number: int, environment: str, *, actor: str) -> Deployment:
        """Serve a build on one environment directly (the CLI's shortcut, audited as such)."""
        self.require(property_id, number)
        with _transaction(self.conn):
            return self._deploy(property_id, number, "publish", actor, "", environment)

    def diff(self, property_id: str, first: int, second: int) -> dict[str, Any]:
        """What changed from build ``first`` to build ``second``."""
        before = self.require(property_id, first).config
        after = self.require(property_id, second).config
        return {
            "property_id": property_id,
            "from": first,
            "to": second,
            "dataElements": _named_diff(before.get("dataElements"), after.get("dataElements")),
            "rules": _named_diff(_by_name(before.get("rules")), _by_name(after.get("rules"))),
            "extension": _named_diff(before.get("extension"), after.get("extension")),
        }

    # -- internals --------------------------------------------------------------------

    def _expect(self, property_id: str, number: int, status: str, action: str) -> None:
        found = self.status(property_id, self.require(property_id, number).number)
        if found != status:
            raise PropertyError(f"build {number} is {found}: only a {status} build can {action}")

    def _step(
        self, property_id: str, number: int, action: str, actor: str, note: str
    ) -> Deployment:
        with _transaction(self.conn):
            return self._deploy(property_id, number, action, actor, note, SERVES.get(action))

    def _deploy(
        self,
        property_id: str,
        number: int,
        action: str,
        actor: str,
        note: str,
        environment: str | None,
    ) -> Deployment:
        """Record a step; ``environment`` is where it serves the build (None: nowhere)."""
        cursor = self.conn.execute(
            "INSERT INTO tag_deployments (property_id, number, action, environment, actor, at,"
            " note) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [property_id, number, action, environment, actor, self._clock(), note],
        )
        row = self.conn.execute(
            "SELECT * FROM tag_deployments WHERE seq = ?", [cursor.lastrowid]
        ).fetchone()
        self._on_change()
        return Deployment(*row)


class _transaction:
    """BEGIN IMMEDIATE … COMMIT on an autocommit connection, rolled back on any error."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> None:
        self.conn.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, *rest: object) -> None:
        self.conn.execute("COMMIT" if kind is None else "ROLLBACK")


def _build(row: tuple[Any, ...]) -> Build:
    property_id, number, config, content_hash, text, gzipped, by, at, note = row
    return Build(
        property_id, number, orjson.loads(config), content_hash, text, gzipped, by, at, note
    )


def _by_name(rules: object) -> dict[str, Any]:
    if not isinstance(rules, list):
        return {}
    return {
        str(r.get("name") or r.get("id") or i): r
        for i, r in enumerate(rules)
        if isinstance(r, dict)
    }


def _named_diff(before: object, after: object) -> dict[str, Any]:
    old = before if isinstance(before, dict) else {}
    new = after if isinstance(after, dict) else {}
    return {
        "added": [{"name": k, "after": new[k]} for k in new if k not in old],
        "removed": [{"name": k, "before": old[k]} for k in old if k not in new],
        "changed": [
            {"name": k, "before": old[k], "after": new[k]}
            for k in new
            if k in old and old[k] != new[k]
        ],
    }
