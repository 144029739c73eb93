"""Profile store migrations (code, applied by whoever opens the store first).

Never edit an applied migration: add a new one below it. Every table is documented in
``collector/profile/QUERIES.md``.
"""

from __future__ import annotations

from pathlib import Path

from sqlite_utils import Database, Migrations

from collector.control import sqlite
from collector.profile import ledger

profile = Migrations("xdm-collector.profile")


@profile(name="0001_profile_store")
def _profile_store(db: Database) -> None:
    for statement in _TABLES:
        db.execute(statement)


@profile(name="0002_profile_summary")
def _profile_summary(db: Database) -> None:
    db.execute(_SUMMARY)


@profile(name="0003_tenant_scope")
def _tenant_scope(db: Database) -> None:
    """Key the store by org and sandbox, and rebuild it from the lake.

    A store of the previous schema cannot tell which org a row came from, and the lake (the
    source of truth) can: every projected table is dropped and created again with the
    ``org_id`` and ``sandbox`` columns, and the checkpoints are cleared, so the projector
    replays every profile-enabled dataset from its first line when it next starts. Erased
    identities of the old ``erasures`` table move to the HMAC ledger for every org (``*``),
    so the replay does not bring them back; the plain identities are not kept.
    """
    legacy = list(db.execute("SELECT namespace, id, erased_ms FROM erasures").fetchall())
    db.execute("PRAGMA secure_delete=ON")  # the dropped rows do not linger in free pages
    db.execute("DROP VIEW profile_summary")
    for table in _TENANT_REBUILT:
        db.execute(f"DROP TABLE {table}")
    db.execute("DELETE FROM checkpoints")
    for statement in _TENANT_TABLES:
        db.execute(statement)
    db.execute(_TENANT_SUMMARY)
    db.execute("PRAGMA secure_delete=FAST")
    if legacy:
        key = ledger.secret(Path(sqlite.main_file(db)).parent)
        db.conn.executemany(
            "INSERT OR IGNORE INTO erasure_ledger (org_id, sandbox, digest, erased_ms, job_id)"
            " VALUES ('*', '*', ?, ?, '')",
            [(ledger.digest(key, "*", str(ns), str(i)), int(ms)) for ns, i, ms in legacy],
        )


def apply(db: Database) -> list[str]:
    """Apply pending migrations under the database's migration lock (projector and web may
    start together)."""
    return sqlite.migrate(db, profile)


_TABLES = (
    """
    CREATE TABLE profiles (
        id TEXT PRIMARY KEY,
        entity TEXT NOT NULL DEFAULT '{}',
        identity_count INTEGER NOT NULL,
        created_ms INTEGER NOT NULL,
        modified_ms INTEGER NOT NULL
    )
    """,
    """
    CREATE TABLE identities (
        namespace TEXT NOT NULL,
        id TEXT NOT NULL,
        code TEXT NOT NULL,
        profile_id TEXT NOT NULL,
        is_primary INTEGER NOT NULL DEFAULT 0,
        authenticated_state TEXT NOT NULL DEFAULT 'ambiguous',
        first_seen_ms INTEGER NOT NULL,
        PRIMARY KEY (namespace, id)
    ) WITHOUT ROWID
    """,
    "CREATE INDEX identities_profile ON identities(profile_id)",
    """
    CREATE TABLE experience_events (
        seq INTEGER PRIMARY KEY,
        dataset_id TEXT NOT NULL,
        event_id TEXT NOT NULL,
        profile_id TEXT NOT NULL,
        timestamp_ms INTEGER NOT NULL,
        received_ms INTEGER NOT NULL,
        xaction_id TEXT NOT NULL,
        entity TEXT NOT NULL
    )
    """,
    "CREATE UNIQUE INDEX experience_events_key ON experience_events(dataset_id, event_id)",
    "CREATE INDEX experience_events_profile ON experience_events(profile_id, timestamp_ms)",
    """
    CREATE TABLE profile_fragments (
        profile_id TEXT NOT NULL,
        dataset_id TEXT NOT NULL,
        tree TEXT NOT NULL,
        modified_ms INTEGER NOT NULL,
        PRIMARY KEY (profile_id, dataset_id)
    )
    """,
    """
    CREATE TABLE profile_merges (
        seq INTEGER PRIMARY KEY,
        merged_ms INTEGER NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('merge', 'relabel')),
        from_profile_id TEXT NOT NULL,
        into_profile_id TEXT NOT NULL,
        profile_id TEXT NOT NULL,
        identity_count INTEGER NOT NULL,
        dataset_id TEXT NOT NULL,
        xaction_id TEXT NOT NULL,
        applied_at TEXT NOT NULL
    )
    """,
    "CREATE INDEX profile_merges_profile ON profile_merges(profile_id)",
    """
    CREATE TABLE refused_links (
        seq INTEGER PRIMARY KEY,
        refused_ms INTEGER NOT NULL,
        profile_id TEXT NOT NULL,
        graph_size INTEGER NOT NULL,
        namespace TEXT NOT NULL,
        id TEXT NOT NULL,
        other_profile_id TEXT,
        other_size INTEGER NOT NULL,
        dataset_id TEXT NOT NULL,
        xaction_id TEXT NOT NULL,
        applied_at TEXT NOT NULL
    )
    """,
    "CREATE INDEX refused_links_profile ON refused_links(profile_id)",
    """
    CREATE TABLE guardrail_skips (
        dataset_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        count INTEGER NOT NULL,
        last_xaction_id TEXT NOT NULL,
        PRIMARY KEY (dataset_id, kind)
    )
    """,
    """
    CREATE TABLE projector_counters (
        name TEXT PRIMARY KEY,
        value INTEGER NOT NULL
    )
    """,
    "CREATE TABLE applied_records (xaction_id TEXT PRIMARY KEY) WITHOUT ROWID",
    """
    CREATE TABLE erasures (
        namespace TEXT NOT NULL,
        id TEXT NOT NULL,
        profile_id TEXT NOT NULL,
        erased_ms INTEGER NOT NULL,
        PRIMARY KEY (namespace, id)
    )
    """,
    """
    CREATE TABLE checkpoints (
        segment TEXT PRIMARY KEY,
        dataset_id TEXT NOT NULL,
        offset INTEGER NOT NULL,
        updated_at TEXT NOT NULL
    )
    """,
)

_SUMMARY = """
CREATE VIEW profile_summary AS
SELECT
    p.id AS profile_id,
    (SELECT i.namespace || ':' || i.id FROM identities i WHERE i.profile_id = p.id
     ORDER BY i.is_primary DESC, i.first_seen_ms, i.namespace, i.id LIMIT 1) AS primary_identity,
    COALESCE(
        json_extract(p.entity, '$.personalEmail.address'),
        (SELECT i.id FROM identities i WHERE i.profile_id = p.id AND i.namespace = 'email'
         ORDER BY i.first_seen_ms, i.id LIMIT 1)
    ) AS email,
    COALESCE(
        json_extract(p.entity, '$.person.name.fullName'),
        NULLIF(TRIM(
            COALESCE(json_extract(p.entity, '$.person.name.firstName'), '') || ' ' ||
            COALESCE(json_extract(p.entity, '$.person.name.lastName'), '')), '')
    ) AS full_name,
    strftime('%Y-%m-%dT%H:%M:%fZ', MIN(p.created_ms, COALESCE(
        (SELECT MIN(e.timestamp_ms) FROM experience_events e WHERE e.profile_id = p.id),
        p.created_ms)) / 1000.0, 'unixepoch') AS first_seen,
    strftime('%Y-%m-%dT%H:%M:%fZ', MAX(p.modified_ms, COALESCE(
        (SELECT MAX(e.timestamp_ms) FROM experience_events e WHERE e.profile_id = p.id),
        p.modified_ms)) / 1000.0, 'unixepoch') AS last_seen,
    (SELECT COUNT(*) FROM experience_events e WHERE e.profile_id = p.id) AS event_count,
    p.identity_count AS identity_count
FROM profiles p
"""

_TENANT_REBUILT = (
    "profiles",
    "identities",
    "experience_events",
    "profile_fragments",
    "profile_merges",
    "refused_links",
    "guardrail_skips",
    "projector_counters",
    "applied_records",
    "erasures",
)

_TENANT_TABLES = (
    """
    CREATE TABLE profiles (
        id TEXT PRIMARY KEY,
        org_id TEXT NOT NULL,
        sandbox TEXT NOT NULL DEFAULT 'prod',
        entity TEXT NOT NULL DEFAULT '{}',
        identity_count INTEGER NOT NULL,
        created_ms INTEGER NOT NULL,
        modified_ms INTEGER NOT NULL
    )
    """,
    "CREATE INDEX profiles_org ON profiles(org_id, sandbox)",
    """
    CREATE TABLE identities (
        org_id TEXT NOT NULL,
        sandbox TEXT NOT NULL DEFAULT 'prod',
        namespace TEXT NOT NULL,
        id TEXT NOT NULL,
        code TEXT NOT NULL,
        profile_id TEXT NOT NULL,
        is_primary INTEGER NOT NULL DEFAULT 0,
        authenticated_state TEXT NOT NULL DEFAULT 'ambiguous',
        first_seen_ms INTEGER NOT NULL,
        PRIMARY KEY (org_id, sandbox, namespace, id)
    ) WITHOUT ROWID
    """,
    "CREATE INDEX identities_profile ON identities(profile_id)",
    """
    CREATE TABLE experience_events (
        seq INTEGER PRIMARY KEY,
        org_id TEXT NOT NULL,
        sandbox TEXT NOT NULL DEFAULT 'prod',
        dataset_id TEXT NOT NULL,
        event_id TEXT NOT NULL,
        profile_id TEXT NOT NULL,
        timestamp_ms INTEGER NOT NULL,
        received_ms INTEGER NOT NULL,
        xaction_id TEXT NOT NULL,
        entity TEXT NOT NULL
    )
    """,
    "CREATE UNIQUE INDEX experience_events_key ON experience_events(dataset_id, event_id)",
    "CREATE INDEX experience_events_profile ON experience_events(profile_id, timestamp_ms)",
    """
    CREATE TABLE profile_fragments (
        profile_id TEXT NOT NULL,
        dataset_id TEXT NOT NULL,
        tree TEXT NOT NULL,
        modified_ms INTEGER NOT NULL,
        PRIMARY KEY (profile_id, dataset_id)
    )
    """,
    """
    CREATE TABLE profile_merges (
        seq INTEGER PRIMARY KEY,
        org_id TEXT NOT NULL,
        sandbox TEXT NOT NULL DEFAULT 'prod',
        merged_ms INTEGER NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('merge', 'relabel')),
        from_profile_id TEXT NOT NULL,
        into_profile_id TEXT NOT NULL,
        profile_id TEXT NOT NULL,
        identity_count INTEGER NOT NULL,
        dataset_id TEXT NOT NULL,
        xaction_id TEXT NOT NULL,
        applied_at TEXT NOT NULL
    )
    """,
    "CREATE INDEX profile_merges_profile ON profile_merges(profile_id)",
    """
    CREATE TABLE refused_links (
        seq INTEGER PRIMARY KEY,
        org_id TEXT NOT NULL,
        sandbox TEXT NOT NULL DEFAULT 'prod',
        refused_ms INTEGER NOT NULL,
        profile_id TEXT NOT NULL,
        graph_size INTEGER NOT NULL,
        namespace TEXT NOT NULL,
        id TEXT NOT NULL,
        other_profile_id TEXT,
        other_size INTEGER NOT NULL,
        dataset_id TEXT NOT NULL,
        xaction_id TEXT NOT NULL,
        applied_at TEXT NOT NULL
    )
    """,
    "CREATE INDEX refused_links_profile ON refused_links(profile_id)",
    """
    CREATE TABLE guardrail_skips (
        dataset_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        count INTEGER NOT NULL,
        last_xaction_id TEXT NOT NULL,
        PRIMARY KEY (dataset_id, kind)
    )
    """,
    """
    CREATE TABLE projector_counters (
        name TEXT PRIMARY KEY,
        value INTEGER NOT NULL
    )
    """,
    "CREATE TABLE applied_records (xaction_id TEXT PRIMARY KEY) WITHOUT ROWID",
    # The erasure ledger: an HMAC-SHA256 of each erased identity (``ledger.py``), never the
    # identity. ``org_id = '*'``: erased in every org (carried over from the old schema).
    """
    CREATE TABLE erasure_ledger (
        org_id TEXT NOT NULL,
        sandbox TEXT NOT NULL,
        digest TEXT NOT NULL,
        erased_ms INTEGER NOT NULL,
        job_id TEXT NOT NULL,
        PRIMARY KEY (org_id, sandbox, digest)
    )
    """,
    # Privacy jobs (``privacy/jobs.py``). The identity is kept only while the job runs.
    """
    CREATE TABLE privacy_jobs (
        job_id TEXT PRIMARY KEY,
        org_id TEXT NOT NULL,
        sandbox TEXT NOT NULL DEFAULT 'prod',
        action TEXT NOT NULL DEFAULT 'delete',
        namespace TEXT NOT NULL,
        identity TEXT,
        status TEXT NOT NULL CHECK (status IN ('processing', 'complete', 'error')),
        created_ms INTEGER NOT NULL,
        modified_ms INTEGER NOT NULL,
        completed_ms INTEGER,
        submitted_by TEXT NOT NULL DEFAULT '',
        result TEXT NOT NULL DEFAULT '{}'
    )
    """,
    "CREATE INDEX privacy_jobs_org ON privacy_jobs(org_id, created_ms)",
)

_TENANT_SUMMARY = """
CREATE VIEW profile_summary AS
SELECT
    p.org_id AS org_id,
    p.sandbox AS sandbox,
    p.id AS profile_id,
    (SELECT i.namespace || ':' || i.id FROM identities i WHERE i.profile_id = p.id
     ORDER BY i.is_primary DESC, i.first_seen_ms, i.namespace, i.id LIMIT 1) AS primary_identity,
    COALESCE(
        json_extract(p.entity, '$.personalEmail.address'),
        (SELECT i.id FROM identities i WHERE i.profile_id = p.id AND i.namespace = 'email'
         ORDER BY i.first_seen_ms, i.id LIMIT 1)
    ) AS email,
    COALESCE(
        json_extract(p.entity, '$.person.name.fullName'),
        NULLIF(TRIM(
            COALESCE(json_extract(p.entity, '$.person.name.firstName'), '') || ' ' ||
            COALESCE(json_extract(p.entity, '$.person.name.lastName'), '')), '')
    ) AS full_name,
    strftime('%Y-%m-%dT%H:%M:%fZ', MIN(p.created_ms, COALESCE(
        (SELECT MIN(e.timestamp_ms) FROM experience_events e WHERE e.profile_id = p.id),
        p.created_ms)) / 1000.0, 'unixepoch') AS first_seen,
    strftime('%Y-%m-%dT%H:%M:%fZ', MAX(p.modified_ms, COALESCE(
        (SELECT MAX(e.timestamp_ms) FROM experience_events e WHERE e.profile_id = p.id),
        p.modified_ms)) / 1000.0, 'unixepoch') AS last_seen,
    (SELECT COUNT(*) FROM experience_events e WHERE e.profile_id = p.id) AS event_count,
    p.identity_count AS identity_count
FROM profiles p
"""
