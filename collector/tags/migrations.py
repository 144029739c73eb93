"""Migrations of the tag tables in ``control.db`` (their own set, next to the control plane's).

Applied when the tag store opens and by ``collector migrate``. Never edit an applied one.
"""

from __future__ import annotations

from sqlite_utils import Database, Migrations

from collector.control import sqlite

tags = Migrations("xdm-collector.tags")


@tags(name="0001_properties_libraries")
def _properties_libraries(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE tag_properties (
            id TEXT PRIMARY KEY,
            org_id TEXT NOT NULL REFERENCES orgs(id),
            name TEXT NOT NULL,
            extension TEXT NOT NULL,
            data_elements TEXT NOT NULL,
            rules TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )
        """
    )
    db.execute(
        """
        CREATE TABLE tag_libraries (
            property_id TEXT NOT NULL REFERENCES tag_properties(id),
            environment TEXT NOT NULL
                CHECK (environment IN ('development', 'staging', 'production')),
            version INTEGER NOT NULL,
            content_hash TEXT NOT NULL,
            library TEXT NOT NULL,
            library_gzip BLOB NOT NULL,
            built_at TEXT NOT NULL,
            PRIMARY KEY (property_id, environment, version)
        )
        """
    )
    db.execute("CREATE INDEX tag_properties_org ON tag_properties(org_id)")
    # Published versions are immutable: a change is a new version.
    for action in ("UPDATE", "DELETE"):
        db.execute(
            f"""
            CREATE TRIGGER tag_libraries_no_{action.lower()} BEFORE {action} ON tag_libraries
            BEGIN SELECT RAISE(ABORT, 'published library versions are immutable'); END
            """
        )


def apply(db: Database) -> list[str]:
    """Apply pending tag migrations; returns the names applied."""
    return sqlite.migrate(db, tags)
