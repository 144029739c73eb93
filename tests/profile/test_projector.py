from __future__ import annotations

import dataclasses
import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from collector.control.settings import Settings
from collector.profile import projector as projector_module
from collector.profile.projector import Projector, project_once
from tests.profile.lakefixture import (
    EVENT_SCHEMA,
    EVENTS,
    NOT_PROFILE,
    RECORDS,
    Lake,
    dump,
    ids,
    make_control,
    rows,
    settings_for,
)


def _counters(settings: Settings) -> dict[str, int]:
    return dict(rows(settings, "SELECT name, value FROM projector_counters"))  # type: ignore[arg-type]


def test_applies_events_and_records_of_profile_enabled_datasets_only(
    settings: Settings, lake: Lake
) -> None:
    lake.event(ids(ECID="e1"), event_id="v1")
    lake.event(ids(ECID="e1"), event_id="v2")
    lake.event(ids(ECID="e9"), event_id="n1", dataset_id=NOT_PROFILE)
    lake.record(
        {"identityMap": ids(ECID="e1"), "person": {"name": {"firstName": "Jane"}}},
    )
    assert project_once(settings) == 3

    assert rows(settings, "SELECT event_id FROM experience_events ORDER BY seq") == [
        ("v1",),
        ("v2",),
    ]
    assert rows(settings, "SELECT namespace, id, code FROM identities") == [("ecid", "e1", "ECID")]
    [(entity,)] = rows(settings, "SELECT entity FROM profiles")
    assert orjson.loads(entity)["person"] == {"name": {"firstName": "Jane"}}
    assert _counters(settings) == {"events_applied": 2, "records_applied": 1}
    # Every segment read has its checkpoint at the end of the file.
    for segment, offset in rows(settings, "SELECT segment, offset FROM checkpoints"):
        assert (settings.lake_dir / segment).stat().st_size == offset


def test_resumes_from_its_checkpoint_between_batches(tmp_path: Path) -> None:
    def build(root: Path) -> Settings:
        s = settings_for(root, projector_batch_size=3)
        make_control(s)
        lake = Lake(s)
        for n in range(10):
            lake.event(ids(ECID=f"e{n % 4}", Email=f"p{n % 3}@x.com"), event_id=f"v{n}")
            if n % 3 == 0:
                lake.record({"identityMap": ids(ECID=f"e{n % 4}"), "n": n})
        return s

    crashed = build(tmp_path / "crashed")
    first = Projector(crashed)
    assert first.step() == 3
    assert first.step() == 3
    first.conn.close()  # the process dies between batches: nothing else is written

    again = Projector(crashed)
    again.catch_up()
    again.close()
    clean = build(tmp_path / "clean")
    project_once(clean)
    assert dump(crashed.profile_db_path) == dump(clean.profile_db_path)

    # Running again over the same files changes nothing.
    before = dump(crashed.profile_db_path)
    assert project_once(crashed) == 0
    assert dump(crashed.profile_db_path) == before


def test_a_batch_that_fails_before_commit_leaves_no_trace(
    settings: Settings, lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(5):
        lake.event(ids(ECID=f"e{n}"), event_id=f"v{n}")
    real = projector_module.save_counters  # type: ignore[attr-defined]

    def crash(*args: object) -> None:
        raise KeyboardInterrupt  # what a kill looks like to the transaction: no commit

    monkeypatch.setattr(projector_module, "save_counters", crash)
    with pytest.raises(KeyboardInterrupt):
        project_once(settings)
    assert rows(settings, "SELECT COUNT(*) FROM experience_events") == [(0,)]
    assert rows(settings, "SELECT COUNT(*) FROM checkpoints") == [(0,)]

    monkeypatch.setattr(projector_module, "save_counters", real)
    assert project_once(settings) == 5
    assert rows(settings, "SELECT COUNT(*), COUNT(DISTINCT event_id) FROM experience_events") == [
        (5, 5)
    ]


def test_corrupt_and_truncated_lines_are_skipped_with_a_warning(
    settings: Settings, lake: Lake, caplog: pytest.LogCaptureFixture
) -> None:
    lake.event(ids(ECID="e1"), event_id="before")
    good = lake.line(
        EVENTS, {"_id": "after", "timestamp": "2026-01-01T00:00:00Z", "identityMap": ids(ECID="e1")}
    )
    no_xid = lake.line(EVENTS, {"_id": "x", "identityMap": ids(ECID="e1")})
    del no_xid["xactionId"]
    bad_entity = lake.line(EVENTS, {})
    bad_entity["entity"] = "text"
    lake.append_raw(
        EVENTS,
        b"{not json\n"
        + b"[1, 2, 3]\n"
        + orjson.dumps(no_xid)
        + b"\n"
        + orjson.dumps(bad_entity)
        + b"\n"
        + b"\xff\xfe\n"
        + orjson.dumps(good)
        + b"\n"
        + b'{"xactionId": "torn", "receivedTi',  # a line still being written
    )
    with caplog.at_level(logging.WARNING, logger="collector.profile.projector"):
        project_once(settings)
    assert rows(settings, "SELECT event_id FROM experience_events ORDER BY seq") == [
        ("before",),
        ("after",),
    ]
    assert _counters(settings)["corrupt_lines"] == 5
    assert sum("skipping corrupt lake line" in r.message for r in caplog.records) == 5
    # The torn tail is not consumed: the checkpoint stops before it.
    [(segment, offset)] = rows(settings, "SELECT segment, offset FROM checkpoints")
    data = (settings.lake_dir / segment).read_bytes()
    assert data[offset:] == b'{"xactionId": "torn", "receivedTi'


def test_a_growing_segment_is_read_incrementally(settings: Settings, lake: Lake) -> None:
    line = (
        orjson.dumps(
            lake.line(
                EVENTS,
                {"_id": "grow", "timestamp": "2026-01-01T00:00:00Z", "identityMap": ids(ECID="e1")},
            )
        )
        + b"\n"
    )
    lake.append_raw(EVENTS, line[:40])
    projector = Projector(settings)
    assert projector.step() == 0
    lake.append_raw(EVENTS, line[40:-1])
    assert projector.step() == 0
    lake.append_raw(EVENTS, b"\n")
    assert projector.step() == 1
    lake.event(ids(ECID="e1"), event_id="next")
    assert projector.step() == 1
    projector.close()
    assert rows(settings, "SELECT event_id FROM experience_events ORDER BY seq") == [
        ("grow",),
        ("next",),
    ]


def test_events_deduplicate_by_id_within_a_dataset_and_records_by_xaction_id(
    tmp_path: Path,
) -> None:
    other_events = "e" * 24
    s = settings_for(tmp_path)
    make_control(
        s,
        [
            (EVENTS, EVENT_SCHEMA, 1),
            (other_events, EVENT_SCHEMA, 1),
            (RECORDS, "https://ns.adobe.com/xdm/context/profile", 1),
        ],
    )
    lake = Lake(s)
    lake.event(ids(ECID="e1"), event_id="same")
    lake.event(ids(ECID="e1"), event_id="same")  # a retry: new xactionId, same _id
    lake.event(ids(ECID="e1"), event_id="same", dataset_id=other_events)
    record = lake.record({"identityMap": ids(ECID="e1"), "n": 1}, xaction_id="1:1:1")
    lake.write(RECORDS, record)  # the very same line twice
    no_id = lake.line(EVENTS, {"timestamp": "2026-01-01T00:00:00Z", "identityMap": ids(ECID="e1")})
    lake.write(EVENTS, no_id, no_id)
    project_once(s)
    # and a later batch with the same event again
    lake.event(ids(ECID="e1"), event_id="same")
    project_once(s)

    assert sorted(rows(s, "SELECT dataset_id, event_id FROM experience_events")) == sorted(
        [(EVENTS, "same"), (other_events, "same"), (EVENTS, no_id["xactionId"])]
    )
    counters = _counters(s)
    assert counters["duplicate_events"] == 3
    assert counters["duplicate_records"] == 1
    assert counters["records_applied"] == 1


def test_new_profile_enabled_datasets_are_picked_up(settings: Settings, lake: Lake) -> None:
    now = [0.0]
    projector = Projector(settings, monotonic=lambda: now[0])
    lake.event(ids(ECID="late"), event_id="n1", dataset_id=NOT_PROFILE)
    assert projector.step() == 0
    make_control(settings, [(NOT_PROFILE, EVENT_SCHEMA, 1)])
    assert projector.step() == 0  # the catalog is re-read once a second
    now[0] += 1.5
    assert projector.step() == 1
    projector.close()
    assert rows(settings, "SELECT dataset_id FROM experience_events") == [(NOT_PROFILE,)]


def test_the_store_uses_wal_and_normal_sync(settings: Settings) -> None:
    projector = Projector(settings)
    try:
        assert projector.conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert projector.conn.execute("PRAGMA synchronous").fetchone() == (1,)
    finally:
        projector.close()


def test_a_message_the_code_cannot_handle_is_skipped_not_fatal(
    settings: Settings, lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    from collector.profile import merge

    real: Callable[..., object] = merge.stamp

    def fragile(entity: dict[str, object], *args: object) -> object:
        if entity.get("poison"):
            raise RuntimeError("boom")
        return real(entity, *args)

    monkeypatch.setattr(merge, "stamp", fragile)
    lake.record({"identityMap": ids(ECID="ok"), "n": 1})
    lake.record({"identityMap": ids(ECID="bad"), "poison": True})
    lake.event(ids(ECID="ok"), event_id="v1")
    project_once(settings)
    assert _counters(settings)["failed_messages"] == 1
    assert rows(settings, "SELECT namespace, id FROM identities ORDER BY id") == [("ecid", "ok")]
    assert rows(settings, "SELECT COUNT(*) FROM experience_events") == [(1,)]


def test_settings_are_passed_not_read(settings: Settings) -> None:
    small = dataclasses.replace(settings, projector_batch_size=2)
    lake = Lake(small)
    for n in range(5):
        lake.event(ids(ECID="e"), event_id=f"v{n}")
    projector = Projector(small)
    assert [projector.step() for _ in range(4)] == [2, 2, 1, 0]
    projector.close()
    conn = sqlite3.connect(small.profile_db_path)
    assert conn.execute("SELECT COUNT(*) FROM experience_events").fetchone() == (5,)
    conn.close()


def test_a_long_line_after_short_ones_is_read_whole(settings: Settings, lake: Lake) -> None:
    projector = Projector(dataclasses.replace(settings, projector_batch_size=1))
    for n in range(20):
        lake.event(ids(ECID="e"), event_id=f"short{n}")
    lake.record({"identityMap": ids(ECID="e"), "blob": "z" * 90_000})
    lake.event(ids(ECID="e"), event_id="last")
    assert projector.catch_up() == 22
    projector.close()
    assert rows(settings, "SELECT COUNT(*) FROM experience_events") == [(21,)]
    [(entity,)] = rows(settings, "SELECT entity FROM profiles")
    assert len(orjson.loads(entity)["blob"]) == 90_000


def test_the_entity_is_stored_as_the_lake_has_it_and_must_be_utf8(
    settings: Settings, lake: Lake
) -> None:
    stored = lake.event(ids(ECID="e1"), event_id="kept", name="Zoë", n=1.5, ok=True)
    broken = orjson.dumps(
        lake.line(EVENTS, {"_id": "bad", "timestamp": "2026-01-01T00:00:00Z", "x": "@@"})
    ).replace(b"@@", b"\xff\xfe")
    lake.append_raw(EVENTS, broken + b"\n")
    project_once(settings)
    [(entity,)] = rows(settings, "SELECT entity FROM experience_events")
    assert entity == orjson.dumps(stored["entity"]).decode()
    assert _counters(settings)["corrupt_lines"] == 1


def test_a_new_store_gets_16k_pages_and_an_existing_one_keeps_its_own(tmp_path: Path) -> None:
    from collector.profile.store import PAGE_SIZE, connect_writer

    fresh = connect_writer(tmp_path / "fresh.db")
    assert fresh.execute("PRAGMA page_size").fetchone() == (PAGE_SIZE,) == (16_384,)
    fresh.close()
    old = sqlite3.connect(tmp_path / "old.db")
    old.execute("PRAGMA page_size=4096")
    old.execute("CREATE TABLE earlier (x)")
    old.close()
    reopened = connect_writer(tmp_path / "old.db")
    assert reopened.execute("PRAGMA page_size").fetchone() == (4096,)
    assert reopened.execute("SELECT COUNT(*) FROM profiles").fetchone() == (0,)  # migrated
    reopened.close()
