"""Control-plane migrations (code, applied at startup and by ``collector migrate``).

Never edit an applied migration: add a new one below it.
"""

from __future__ import annotations

from sqlite_utils import Database, Migrations

from collector.control import sqlite

control = Migrations("xdm-collector.control")


@control(name="0001_orgs_datasets_inlets")
def _orgs_datasets_inlets(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE orgs (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            created_at TEXT NOT NULL
        )
        """
    )
    db.execute(
        """
        CREATE TABLE datasets (
            id TEXT PRIMARY KEY,
            org_id TEXT NOT NULL REFERENCES orgs(id),
            name TEXT NOT NULL,
            schema_id TEXT NOT NULL,
            profile_enabled INTEGER NOT NULL DEFAULT 0,
            identity_enabled INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL
        )
        """
    )
    db.execute(
        """
        CREATE TABLE inlets (
            id TEXT PRIMARY KEY CHECK (length(id) = 64),
            org_id TEXT NOT NULL REFERENCES orgs(id),
            name TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            source_name TEXT NOT NULL,
            auth_required INTEGER NOT NULL DEFAULT 0,
            allowed_origins TEXT NOT NULL DEFAULT '[]',
            default_dataset_id TEXT REFERENCES datasets(id),
            created_at TEXT NOT NULL,
            requests_per_second INTEGER,
            messages_per_second INTEGER,
            sync_per_minute INTEGER,
            per_ip_per_second INTEGER
        )
        """
    )
    db.execute("CREATE INDEX datasets_org ON datasets(org_id)")
    db.execute("CREATE INDEX inlets_org ON inlets(org_id)")


def apply(db: Database) -> list[str]:
    """Apply pending control-plane migrations; returns the names applied."""
    return sqlite.migrate(db, control)


@control(name="0002_inlet_tokens")
def _inlet_tokens(db: Database) -> None:
    # Bearer tokens of authenticated inlets (collector/guard/tokens.py): only a SHA-256 is stored.
    db.execute(
        """
        CREATE TABLE tokens (
            id TEXT PRIMARY KEY,
            inlet_id TEXT NOT NULL REFERENCES inlets(id),
            name TEXT NOT NULL DEFAULT '',
            hash TEXT NOT NULL,
            created_at TEXT NOT NULL,
            revoked_at TEXT
        )
        """
    )
    db.execute("CREATE INDEX tokens_inlet ON tokens(inlet_id)")


@control(name="0003_audit_log")
def _audit_log(db: Database) -> None:
    # Who did what to which object, when and from where (collector/control/audit.py).
    # Append-only: triggers refuse UPDATE and DELETE.
    db.execute(
        """
        CREATE TABLE audit_log (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            org_id TEXT,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            object_type TEXT NOT NULL,
            object_id TEXT NOT NULL,
            ip TEXT,
            detail TEXT NOT NULL DEFAULT '{}'
        )
        """
    )
    db.execute("CREATE INDEX audit_log_at ON audit_log(at)")
    db.execute("CREATE INDEX audit_log_object ON audit_log(object_type, object_id)")
    for verb in ("UPDATE", "DELETE"):
        db.execute(
            f"""
            CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log
            BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END
            """
        )


@control(name="0004_inlet_deleted_at")
def _inlet_deleted_at(db: Database) -> None:
    # `collector inlets delete` marks the row (collector/control/plane.py): the id is never reused.
    db.execute("ALTER TABLE inlets ADD COLUMN deleted_at TEXT")


@control(name="0005_inlet_identity_namespaces")
def _inlet_identity_namespaces(db: Database) -> None:
    # The identity namespaces an inlet may assert (collector/control/namespaces.py); an inlet
    # without a row may assert any namespace, as before this table existed.
    db.execute(
        """
        CREATE TABLE inlet_identity_namespaces (
            inlet_id TEXT PRIMARY KEY REFERENCES inlets(id) ON DELETE CASCADE,
            namespaces TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )
        """
    )


@control(name="0006_dataset_catalog")
def _dataset_catalog(db: Database) -> None:
    # What the Catalog API keeps about a dataset beyond its control-plane row
    # (collector/setup/dataset_meta.py); the row goes with the dataset.
    db.execute(
        """
        CREATE TABLE dataset_catalog (
            dataset_id TEXT PRIMARY KEY REFERENCES datasets(id) ON DELETE CASCADE,
            description TEXT NOT NULL DEFAULT '',
            tags TEXT NOT NULL DEFAULT '{}',
            streaming INTEGER NOT NULL DEFAULT 1,
            created_client TEXT NOT NULL DEFAULT '',
            updated_at TEXT NOT NULL
        )
        """
    )


@control(name="0007_identity_namespaces")
def _identity_namespaces(db: Database) -> None:
    # Custom identity namespaces of an org, made through the Identity Service API
    # (collector/setup/namespaces.py); the standard ones are code, not rows.
    db.execute(
        """
        CREATE TABLE identity_namespaces (
            id INTEGER PRIMARY KEY,
            org_id TEXT NOT NULL REFERENCES orgs(id),
            code TEXT NOT NULL,
            name TEXT NOT NULL,
            id_type TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            created_ms INTEGER NOT NULL,
            UNIQUE (org_id, code COLLATE NOCASE)
        )
        """
    )
