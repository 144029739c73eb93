"""The tag store: its own migrations in control.db, versions, immutability, export/import."""

from __future__ import annotations

import sqlite3

import pytest

from collector.control import seed
from collector.control.settings import Settings
from collector.tags.properties import Properties
from collector.tags.property import PropertyError
from collector.tags.store import TagStore
from tests.tags.conftest import beacon_rule


def test_migrations_are_their_own_set_in_control_db(props: Properties) -> None:
    rows = props.store.db.query("SELECT migration_set, name FROM _sqlite_migrations")
    applied = {(r["migration_set"], r["name"]) for r in rows}
    assert ("xdm-collector.tags", "0001_properties_libraries") in applied
    assert any(s == "xdm-collector.control" for s, _ in applied)
    assert {"tag_properties", "tag_libraries"} <= set(props.store.db.table_names())


def test_each_publish_is_a_build_and_builds_are_immutable(props: Properties) -> None:
    prop = props.create(org_id=seed.DEMO_ORG, name="shop")
    versions = [props.publish(prop.id, env).version for env in ("staging", "staging", "production")]
    assert versions == [1, 2, 3]
    assert props.store.latest(prop.id, "staging").version == 2  # type: ignore[union-attr]
    assert props.store.latest(prop.id, "development") is None
    for sql in (
        "UPDATE tag_builds SET library = 'x'",
        "DELETE FROM tag_builds",
        "UPDATE tag_deployments SET number = 1",
        "DELETE FROM tag_deployments",
    ):
        with pytest.raises(sqlite3.IntegrityError, match="immutable"):
            props.store.db.execute(sql)
    assert len(props.store.builds.all(prop.id)) == 3


def test_latest_sees_a_version_published_by_another_connection(
    props: Properties, tag_settings: Settings
) -> None:
    prop = props.create(org_id=seed.DEMO_ORG, name="shop")
    first = props.publish(prop.id, "production")
    server = TagStore(tag_settings.control_db_path)
    try:
        assert server.latest(prop.id, "production") == first
        assert server.latest(prop.id, "production") is server.latest(prop.id, "production")
        rule = beacon_rule("go", ("eventType", "x"))
        props.import_document({**prop.document(), "rules": [rule]})
        second = props.publish(prop.id, "production")
        assert second.content_hash != first.content_hash
        assert server.latest(prop.id, "production") == second
    finally:
        server.close()


def test_export_import_round_trip_creates_then_updates(props: Properties) -> None:
    rule = beacon_rule("go", ("eventType", "x"))
    prop = props.create(org_id=seed.DEMO_ORG, name="shop", document={"rules": [rule]})
    document = props.export(prop.id)
    assert document["id"] == prop.id and document["rules"][0]["name"] == "go"
    renamed, created = props.import_document({**document, "name": "renamed", "rules": []})
    assert created is False
    assert (renamed.name, renamed.rules, renamed.created_at) == ("renamed", [], prop.created_at)
    fresh = {k: v for k, v in document.items() if k != "id"}
    other, created = props.import_document(fresh)
    assert created is True and other.id != prop.id and other.rules == prop.rules
    with pytest.raises(PropertyError, match="needs orgId and name"):
        props.import_document({"rules": []})
    with pytest.raises(PropertyError, match="is a JSON object"):
        props.import_document([])
    with pytest.raises(PropertyError, match="PR and 32 lowercase hex"):
        props.import_document({**fresh, "id": "nope"})
    props.control.create_org("OTHER@AdobeOrg", "Other")
    with pytest.raises(PropertyError, match="belongs to DEMO@AdobeOrg"):
        props.import_document({**document, "orgId": "OTHER@AdobeOrg"})


def test_an_invalid_update_keeps_the_stored_property(props: Properties) -> None:
    prop = props.create(org_id=seed.DEMO_ORG, name="shop")
    bad = beacon_rule("go", ("nope", 1))
    with pytest.raises(PropertyError, match="unknown XDM path"):
        props.import_document({**prop.document(), "rules": [bad]})
    assert props.get(prop.id) == prop
