"""collector/monitoring/follower.py: the event follower reads every writer's segments into a
bounded buffer, counts what it had to skip, and keeps to the current and previous hour."""

from __future__ import annotations

import threading
import time
import tracemalloc
from pathlib import Path
from typing import Any

import orjson
import pytest

from collector.control.settings import Settings
from collector.lake.writer import Lake, LakeEntry
from collector.monitoring.follower import BACKFILL_BYTES, MAX_READ_BYTES, EventFollower
from tests.conftest import INLET, ORG, WEB

_HOUR_MS = 3_600_000


def record(n: int, received_ms: int, *, failed: bool = False, **entity: Any) -> LakeEntry:
    """A lake line shaped as the pipeline writes it."""
    line: dict[str, Any] = {
        "xactionId": f"{received_ms}:node:{n}",
        "receivedTimeMs": received_ms,
        "inletId": INLET,
        "datasetId": WEB,
        "orgId": ORG,
        "entity": {
            "_id": f"evt-{n}",
            "eventType": "web.webpagedetails.pageViews",
            "identityMap": {"ECID": [{"id": f"ecid-{n}"}], "Email": [{"id": f"{n}@x.test"}]},
            **entity,
        },
        "client": {"userAgent": "ua", "ip": "10.0.0.0"},
    }
    partition = WEB
    if failed:
        partition = f"_failed/{WEB}"
        line["reason"] = "Message is invalid"
        line["_validationErrors"] = [
            {"pointerToViolation": "#/eventType", "keyword": "type", "message": "bad type"}
        ]
    return LakeEntry(partition, received_ms, orjson.dumps(line))


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def lake(settings: Settings, writer: str) -> Lake:
    return Lake(settings, writer_id=writer)


def test_lines_of_two_writers_and_failed_lines_with_violations(settings: Settings) -> None:
    follower = EventFollower(settings.lake_dir, capacity=100)
    follower.poll()  # an empty lake
    first, second = lake(settings, "w1"), lake(settings, "w2")
    t = now_ms()
    try:
        first.append_blocking([record(1, t), record(2, t + 1, failed=True, eventType=7)])
        second.append_blocking([record(3, t + 2)])
        assert follower.poll() == 3
    finally:
        first.close()
        second.close()
    events = follower.snapshot()
    assert [e.xaction_id for e in events] == [f"{t}:node:1", f"{t + 1}:node:2", f"{t + 2}:node:3"]
    assert {e.path.name.rsplit("-", 1)[1] for e in events} == {"w1.jsonl", "w2.jsonl"}
    bad = events[1]
    assert (bad.status, bad.reason, bad.event_type) == ("bad", "Message is invalid", None)
    assert bad.record()["_validationErrors"][0]["pointerToViolation"] == "#/eventType"
    good = events[0]
    assert good.identities == (("ECID", "ecid-1"), ("Email", "1@x.test"))
    assert good.has_identity("ecid-1") and good.has_identity("email:1@x.test")
    assert not good.has_identity("Phone:ecid-1")
    assert follower.skipped == 0
    assert follower.poll() == 0  # nothing new: nothing read twice


def test_a_burst_bigger_than_the_buffer_is_counted_as_skipped(settings: Settings) -> None:
    follower = EventFollower(settings.lake_dir, capacity=100)
    follower.poll()
    writer = lake(settings, "w1")
    t = now_ms()
    try:
        for burst in range(3):
            start = burst * 1000
            writer.append_blocking([record(i, t + i) for i in range(start, start + 1000)])
            follower.poll()
            assert len(follower.snapshot()) == 100  # never more than its capacity
            assert follower.skipped == 900 * (burst + 1)
    finally:
        writer.close()
    # The newest are kept, in order.
    assert [e.event_id for e in follower.snapshot()] == [f"evt-{i}" for i in range(2900, 3000)]


def test_memory_stays_flat_under_repeated_bursts(settings: Settings) -> None:
    follower = EventFollower(settings.lake_dir, capacity=1000)
    follower.poll()
    writer = lake(settings, "w1")
    held = []
    tracemalloc.start()
    try:
        for burst in range(4):
            t = now_ms()
            writer.append_blocking([record(burst * 10_000 + i, t) for i in range(4000)])
            follower.poll()
            snapshot = tracemalloc.take_snapshot().filter_traces(
                [tracemalloc.Filter(True, "*collector/monitoring/*")]
            )
            held.append(sum(stat.size for stat in snapshot.statistics("filename")))
    finally:
        tracemalloc.stop()
        writer.close()
    assert follower.skipped == 4 * 3000
    assert held[3] < held[1] * 1.1, held  # a full buffer does not grow


def test_a_segment_that_grew_past_the_read_cap_is_skipped_ahead(settings: Settings) -> None:
    follower = EventFollower(settings.lake_dir, capacity=100_000)
    follower.poll()
    writer = lake(settings, "w1")
    t = now_ms()
    count = MAX_READ_BYTES // 4000 * 2
    try:
        writer.append_blocking([record(i, t, pad="z" * 4000) for i in range(count)])
    finally:
        writer.close()
    added = follower.poll()
    assert 0 < added < count
    assert added + follower.skipped == count
    assert follower.snapshot()[-1].event_id == f"evt-{count - 1}"


def test_a_torn_last_line_waits_for_its_end(settings: Settings) -> None:
    follower = EventFollower(settings.lake_dir, capacity=10)
    writer = lake(settings, "w1")
    t = now_ms()
    try:
        writer.append_blocking([record(1, t)])
    finally:
        writer.close()
    (segment,) = settings.lake_dir.rglob("part-*.jsonl")
    whole = record(2, t + 1).line
    with segment.open("ab") as f:
        f.write(whole[:30])
    follower.poll()
    assert [e.event_id for e in follower.snapshot()] == ["evt-1"]
    with segment.open("ab") as f:
        f.write(whole[30:] + b"\n")
    follower.poll()
    assert [e.event_id for e in follower.snapshot()] == ["evt-1", "evt-2"]


def test_only_the_current_and_previous_hour_are_followed(settings: Settings) -> None:
    t = now_ms()
    writer = lake(settings, "w1")
    try:
        writer.append_blocking([record(1, t - 3 * _HOUR_MS), record(2, t - _HOUR_MS), record(3, t)])
    finally:
        writer.close()
    follower = EventFollower(settings.lake_dir, capacity=10)
    follower.poll()
    assert [e.event_id for e in follower.snapshot()] == ["evt-2", "evt-3"]


def test_at_start_only_a_bounded_tail_of_existing_segments_is_loaded(settings: Settings) -> None:
    t = now_ms()
    writer = lake(settings, "w1")
    padding = "x" * 4000
    count = BACKFILL_BYTES // 4000 + 200
    try:
        writer.append_blocking([record(i, t, pad=padding) for i in range(count)])
    finally:
        writer.close()
    follower = EventFollower(settings.lake_dir, capacity=count)
    follower.poll()
    loaded = follower.snapshot()
    assert 0 < len(loaded) < count
    assert loaded[-1].event_id == f"evt-{count - 1}"
    assert loaded[-1].line is not None and loaded[-1].record()["entity"]["pad"] == padding


def test_long_lines_are_not_kept_in_memory_but_read_back(settings: Settings) -> None:
    follower = EventFollower(settings.lake_dir, capacity=10)
    follower.poll()
    writer = lake(settings, "w1")
    try:
        writer.append_blocking([record(1, now_ms(), pad="y" * 100_000)])
    finally:
        writer.close()
    follower.poll()
    (event,) = follower.snapshot()
    assert event.line is None
    assert event.record()["entity"]["pad"] == "y" * 100_000


def test_keeps_up_with_a_thousand_events_a_second(settings: Settings) -> None:
    """Two writers at 500 events/s each for 2 s; the follower thread polls every 200 ms."""
    follower = EventFollower(settings.lake_dir, capacity=10_000, poll_ms=200).start()
    follower.watch()  # someone has the debugger open
    writers = [lake(settings, "w1"), lake(settings, "w2")]
    started = time.monotonic()

    def produce(writer: Lake, base: int) -> None:
        for tick in range(40):  # 40 ticks of 50 ms, 25 lines each
            t = now_ms()
            writer.append_blocking([record(base + tick * 25 + i, t) for i in range(25)])
            time.sleep(max(0.0, started + (tick + 1) * 0.05 - time.monotonic()))

    threads = [
        threading.Thread(target=produce, args=(writer, n * 10_000))
        for n, writer in enumerate(writers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        deadline = time.monotonic() + 30  # a bound on waiting, not a speed: a busy CI machine
        while len(follower.snapshot()) < 2000 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(follower.snapshot()) == 2000
        assert follower.skipped == 0
    finally:
        follower.stop()
        for writer in writers:
            writer.close()


def test_a_lake_that_does_not_exist_yet(tmp_path: Path) -> None:
    follower = EventFollower(tmp_path / "nowhere", capacity=5)
    assert follower.poll() == 0
    assert follower.snapshot() == []


def test_a_buffer_of_zero_switches_the_follower_off(settings: Settings) -> None:
    writer = lake(settings, "w1")
    try:
        writer.append_blocking([record(1, now_ms())])
    finally:
        writer.close()
    follower = EventFollower(settings.lake_dir, capacity=0).start()
    try:
        assert follower.poll() == 0
        assert follower.snapshot() == [] and follower._thread is None
    finally:
        follower.stop()


def test_a_rewritten_or_removed_segment_takes_its_events_out_of_the_buffer(
    settings: Settings,
) -> None:
    """An erasure renames a scrubbed copy over a segment: what it removed leaves the buffer
    at the next poll; a segment removed (compacted) takes its events with it."""
    follower = EventFollower(settings.lake_dir, capacity=10)
    follower.poll()
    writer = lake(settings, "w1")
    t = now_ms()
    try:
        writer.append_blocking([record(1, t), record(2, t + 1)])
    finally:
        writer.close()
    other = lake(settings, "w2")
    try:
        other.append_blocking([record(9, t + 2)])
    finally:
        other.close()
    follower.poll()
    assert [e.event_id for e in follower.snapshot()] == ["evt-1", "evt-2", "evt-9"]
    segment = next(p for p in settings.lake_dir.rglob("part-*.jsonl") if b"evt-1" in p.read_bytes())
    scrubbed = segment.with_name(".scrubbed")
    scrubbed.write_bytes(record(2, t + 1).line + b"\n")  # the lake without evt-1
    scrubbed.replace(segment)
    assert follower.poll() == 1  # evt-2 read again from the new file
    assert [e.event_id for e in follower.snapshot()] == ["evt-2", "evt-9"]
    with segment.open("ab") as f:
        f.write(record(3, t + 3).line + b"\n")
    assert follower.poll() == 1
    assert [e.event_id for e in follower.snapshot()] == ["evt-2", "evt-9", "evt-3"]
    segment.unlink()
    assert follower.poll() == 0
    assert [e.event_id for e in follower.snapshot()] == ["evt-9"]
    assert str(segment) not in follower._offsets
    # The same file cut shorter in place (a dead writer's unacknowledged tail): read again.
    (kept,) = settings.lake_dir.rglob("part-*.jsonl")
    with kept.open("ab") as f:
        f.write(record(10, t + 4).line + b"\n")
    follower.poll()
    assert [e.event_id for e in follower.snapshot()] == ["evt-9", "evt-10"]
    with kept.open("r+b") as f:
        f.truncate(len(record(9, t + 2).line) + 1)
    follower.poll()
    assert [e.event_id for e in follower.snapshot()] == ["evt-9"]


def test_reads_only_while_watched_and_forgets_when_nobody_looks(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A collector nobody debugs pays nothing; a look brings the recent tail back at once."""
    from collector.monitoring import follower as follower_module

    writer = lake(settings, "w1")
    writer.append_blocking([record(i, now_ms()) for i in range(5)])
    follower = EventFollower(settings.lake_dir, capacity=100, poll_ms=20).start()
    try:
        time.sleep(0.3)
        assert follower.polls == 0 and len(follower.snapshot()) == 0  # unwatched: idle
        assert follower.watch() is True  # it was idle: the caller polls once
        follower.poll()
        assert len(follower.snapshot()) == 5
        assert follower.watch() is False
        writer.append_blocking([record(5, now_ms())])
        deadline = time.monotonic() + 30
        while len(follower.snapshot()) < 6 and time.monotonic() < deadline:
            time.sleep(0.02)  # the thread follows while watched
        assert len(follower.snapshot()) == 6
        monkeypatch.setattr(follower_module, "WATCH_SECONDS", 0.1)
        deadline = time.monotonic() + 30
        while len(follower.snapshot()) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(follower.snapshot()) == 0  # nobody looked: forgotten, nothing read
        polls = follower.polls
        time.sleep(0.3)
        assert follower.polls == polls
    finally:
        follower.stop()
        writer.close()
