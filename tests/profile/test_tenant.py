"""Every org has its own profiles: identities, graphs and lookups never cross orgs."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from collector.control.settings import Settings
from collector.profile import ledger, migrations, reader
from collector.profile.projector import project_once
from collector.profile.store import connect_reader, connect_writer
from tests.profile.lakefixture import EVENTS, ORG, RECORDS, Lake, ids, rows

OTHER = "OTHER@AdobeOrg"


def _line_of(lake: Lake, org: str, dataset: str, entity: dict[str, Any]) -> dict[str, Any]:
    doc = lake.line(dataset, entity)
    doc["orgId"] = org
    lake.write(dataset, doc)
    return doc


def test_the_same_email_sent_by_two_orgs_makes_two_profiles(settings: Settings, lake: Lake) -> None:
    lake.event(ids(ECID="demo-device", Email="jane@example.com"), event_id="d1")
    _line_of(lake, OTHER, EVENTS, {"_id": "o1", "identityMap": ids(Email="jane@example.com")})
    _line_of(lake, OTHER, EVENTS, {"_id": "o2", "identityMap": ids(ECID="demo-device")})
    _line_of(
        lake,
        OTHER,
        RECORDS,
        {"identityMap": ids(Email="jane@example.com"), "person": {"name": {"firstName": "J"}}},
    )
    project_once(settings)

    assert rows(
        settings,
        "SELECT org_id, sandbox, namespace, id FROM identities ORDER BY org_id, namespace, id",
    ) == [
        (ORG, "prod", "ecid", "demo-device"),
        (ORG, "prod", "email", "jane@example.com"),
        (OTHER, "prod", "ecid", "demo-device"),
        (OTHER, "prod", "email", "jane@example.com"),
    ]
    # The demo org's graph links its two identities; the other org's identities stay apart
    # (no message of that org linked them), and no graph spans both orgs.
    per_org = rows(
        settings, "SELECT org_id, COUNT(*), SUM(identity_count) FROM profiles GROUP BY org_id"
    )
    assert per_org == [(ORG, 1, 2), (OTHER, 2, 2)]
    assert rows(
        settings,
        "SELECT COUNT(*) FROM identities i JOIN profiles p ON p.id = i.profile_id"
        " WHERE p.org_id != i.org_id",
    ) == [(0,)]
    assert rows(settings, "SELECT org_id, event_id FROM experience_events ORDER BY 2") == [
        (ORG, "d1"),
        (OTHER, "o1"),
        (OTHER, "o2"),
    ]
    conn = connect_reader(settings.profile_db_path)
    try:
        mine = reader.find_profile(conn, ORG, "Email", "jane@example.com")
        theirs = reader.find_profile(conn, OTHER, "Email", "jane@example.com")
        assert mine and theirs and mine != theirs
        assert reader.find_profile(conn, "THIRD@AdobeOrg", "Email", "jane@example.com") is None
        other_doc = reader.profile_document(conn, theirs)
        mine_doc = reader.profile_document(conn, mine)
    finally:
        conn.close()
    assert other_doc is not None and other_doc["entity"]["person"] == {"name": {"firstName": "J"}}
    assert mine_doc is not None and mine_doc["entity"] == {}  # the other org's record is not here
    summary = rows(settings, "SELECT org_id, email FROM profile_summary ORDER BY 1, 2")
    assert (ORG, "jane@example.com") in summary and (OTHER, "jane@example.com") in summary


def test_a_line_without_org_belongs_to_its_datasets_org(settings: Settings, lake: Lake) -> None:
    doc = lake.line(EVENTS, {"_id": "x", "identityMap": ids(ECID="old-line")})
    del doc["orgId"]
    lake.write(EVENTS, doc)
    project_once(settings)
    assert rows(settings, "SELECT org_id FROM identities") == [(ORG,)]


def _old_store(path: Path) -> None:
    """A profile.db of the schema before orgs: migrations 0001 and 0002 only."""
    conn = sqlite3.connect(path, isolation_level=None)
    db = Database(conn)
    migrations._profile_store(db)
    migrations._profile_summary(db)
    db.execute(
        "CREATE TABLE _sqlite_migrations (migration_set TEXT, name TEXT, applied_at TEXT,"
        " PRIMARY KEY (migration_set, name))"
    )
    for name in ("0001_profile_store", "0002_profile_summary"):
        db.execute(
            "INSERT INTO _sqlite_migrations VALUES ('xdm-collector.profile', ?, '2026-01-01')",
            [name],
        )
    conn.execute(
        "INSERT INTO identities VALUES ('ecid', 'demo-device', 'ECID', 'old', 0, 'ambiguous', 1)"
    )
    conn.execute(
        "INSERT INTO profiles (id, identity_count, created_ms, modified_ms) VALUES ('old', 1, 1, 1)"
    )
    conn.execute("INSERT INTO erasures VALUES ('email', 'gone@example.com', 'old', 9e15)")
    conn.execute("INSERT INTO checkpoints VALUES ('seg', ?, 123, 'then')", [EVENTS])
    conn.close()


def test_a_store_of_the_previous_schema_is_rebuilt_from_the_lake(
    settings: Settings, lake: Lake
) -> None:
    lake.event(ids(ECID="demo-device"), event_id="d1")
    lake.event(ids(Email="gone@example.com"), event_id="erased-before")
    _old_store(settings.profile_db_path)
    applied = migrations.apply(Database(sqlite3.connect(settings.profile_db_path)))
    assert applied == ["0003_tenant_scope"]
    assert rows(settings, "SELECT COUNT(*) FROM checkpoints") == [(0,)]
    assert rows(settings, "SELECT COUNT(*) FROM identities") == [(0,)]
    # The old erasure is kept, for every org, as a keyed hash.
    [(org, digest)] = rows(settings, "SELECT org_id, digest FROM erasure_ledger")
    key = ledger.secret(settings.data_dir)
    assert org == "*" and digest == ledger.digest(key, "*", "email", "gone@example.com")

    project_once(settings)  # the projector replays the lake from its first line
    assert rows(settings, "SELECT org_id, namespace, id FROM identities") == [
        (ORG, "ecid", "demo-device")
    ]
    assert rows(settings, "SELECT event_id FROM experience_events") == [("d1",)]
    conn = connect_writer(settings.profile_db_path)  # opening it again changes nothing
    conn.close()
    assert rows(settings, "SELECT COUNT(*) FROM identities") == [(1,)]
