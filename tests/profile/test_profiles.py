from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from collector.control.settings import Settings
from collector.profile.projector import project_once
from tests.profile.lakefixture import (
    BASE_MS,
    EVENTS,
    OTHER_RECORDS,
    RECORDS,
    Lake,
    ids,
    iso,
    make_control,
    rows,
    settings_for,
)


def _entity(settings: Settings) -> dict[str, Any]:
    [(entity,)] = rows(settings, "SELECT entity FROM profiles")
    result: dict[str, Any] = orjson.loads(entity)
    return result


def _records(tmp_path: Path, name: str, order: list[int]) -> Settings:
    s = settings_for(tmp_path / name)
    make_control(s)
    lake = Lake(s)
    records = [
        (
            RECORDS,
            {
                "identityMap": ids(CRMID="c1"),
                "_repo": {"modifyDate": iso(BASE_MS + 1_000)},
                "person": {"name": {"firstName": "Jane", "lastName": "Doe"}},
                "interests": ["running", "cycling"],
                "loyalty": {"tier": "silver", "points": 10},
            },
        ),
        (
            OTHER_RECORDS,
            {
                "identityMap": ids(CRMID="c1", Email="jane@example.com"),
                "_repo": {"modifyDate": iso(BASE_MS + 2_000)},
                "person": {"name": {"lastName": "Smith"}},
                "interests": ["chess"],
                "loyalty": {"points": 20},
            },
        ),
        (
            RECORDS,
            {
                "identityMap": ids(CRMID="c1"),
                "_repo": {"modifyDate": iso(BASE_MS + 3_000)},
                "loyalty": {"tier": "gold"},
            },
        ),
    ]
    for n in order:
        dataset, entity = records[n]
        lake.record(entity, dataset_id=dataset)
    project_once(s)
    return s


def test_timestamp_ordered_merge_whatever_the_arrival_order(tmp_path: Path) -> None:
    expected = {
        "person": {"name": {"firstName": "Jane", "lastName": "Smith"}},
        "interests": ["chess"],
        "loyalty": {"tier": "gold", "points": 20},
    }
    for order in ([0, 1, 2], [2, 1, 0], [1, 2, 0]):
        s = _records(tmp_path, "".join(map(str, order)), order)
        entity = _entity(s)
        assert {k: entity[k] for k in expected} == expected, order
        assert entity["_repo"] == {"modifyDate": iso(BASE_MS + 3_000)}
        assert rows(s, "SELECT COUNT(*) FROM profile_fragments") == [(2,)]


def test_record_time_falls_back_to_received_time(settings: Settings, lake: Lake) -> None:
    lake.record({"identityMap": ids(ECID="e"), "v": "late-arrival"}, received_ms=BASE_MS + 50)
    lake.record({"identityMap": ids(ECID="e"), "v": "early"}, received_ms=BASE_MS + 10)
    project_once(settings)
    assert _entity(settings)["v"] == "late-arrival"
    [(modified,)] = rows(settings, "SELECT modified_ms FROM profiles")
    assert modified == BASE_MS + 50


def test_fragments_are_kept_per_profile_and_dataset(settings: Settings, lake: Lake) -> None:
    lake.record({"identityMap": ids(ECID="e"), "a": 1})
    lake.record({"identityMap": ids(ECID="e"), "b": 2})
    lake.record({"identityMap": ids(ECID="e"), "c": 3}, dataset_id=OTHER_RECORDS)
    project_once(settings)
    fragments = {
        ds: {k: v[2] for k, v in orjson.loads(tree).items() if k != "identityMap"}
        for ds, tree in rows(settings, "SELECT dataset_id, tree FROM profile_fragments")
    }
    assert fragments == {RECORDS: {"a": 1, "b": 2}, OTHER_RECORDS: {"c": 3}}
    [(sources,)] = rows(settings, "SELECT COUNT(DISTINCT dataset_id) FROM profile_fragments")
    assert sources == 2


def test_identity_fields_of_records_link_profiles(settings: Settings, lake: Lake) -> None:
    lake.event(ids(Email="jane@example.com"), event_id="v1")
    lake.record({"personalEmail": {"address": "jane@example.com"}, "person": {"gender": "f"}})
    project_once(settings)
    assert rows(settings, "SELECT COUNT(*) FROM profiles") == [(1,)]
    assert _entity(settings)["person"] == {"gender": "f"}
    assert rows(settings, "SELECT email FROM profile_summary") == [("jane@example.com",)]


def test_guardrails_skip_large_events_and_records_and_count_them(
    settings: Settings, lake: Lake
) -> None:
    big_event = lake.event(ids(ECID="e"), event_id="huge", padding="x" * 10_300)
    lake.event(ids(ECID="e"), event_id="small", padding="x" * 9_000)
    big_record = lake.record({"identityMap": ids(ECID="e"), "blob": "y" * 102_500})
    lake.record({"identityMap": ids(ECID="e"), "blob": "ok"})
    project_once(settings)

    assert rows(settings, "SELECT event_id FROM experience_events") == [("small",)]
    assert _entity(settings)["blob"] == "ok"
    assert sorted(
        rows(settings, "SELECT dataset_id, kind, count, last_xaction_id FROM guardrail_skips")
    ) == [
        (EVENTS, "event_too_large", 1, big_event["xactionId"]),
        (RECORDS, "record_too_large", 1, big_record["xactionId"]),
    ]
    # Still in the lake.
    lake_text = b"".join(p.read_bytes() for p in settings.lake_dir.rglob("*.jsonl"))
    assert big_event["xactionId"].encode() in lake_text
    assert big_record["xactionId"].encode() in lake_text


def test_profile_summary_view(settings: Settings, lake: Lake) -> None:
    lake.event(ids(ECID="e1"), event_id="v1", timestamp_ms=BASE_MS - 86_400_000)
    lake.event(ids(ECID="e1", Email="jane@example.com"), event_id="v2", timestamp_ms=BASE_MS)
    lake.record(
        {
            "identityMap": {"ECID": [{"id": "e1", "primary": True}]},
            "person": {"name": {"firstName": "Jane", "lastName": "Doe"}},
        },
    )
    project_once(settings)
    [summary] = rows(
        settings,
        "SELECT primary_identity, email, full_name, first_seen, event_count, identity_count"
        " FROM profile_summary",
    )
    assert summary == ("ecid:e1", "jane@example.com", "Jane Doe", "2025-12-31T00:00:00.000Z", 2, 2)
