"""The idle projector's cost does not grow with the lake: finished hours are remembered."""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from collector.lake import layout, watermark
from collector.profile.tail import LakeTail

DS = "a" * 24
NOW_HOUR = layout.hour_of(int(time.time() * 1000))


def write_segment(lake: Path, hour: int, lines: int, *, open_: bool = False) -> Path:
    path = layout.segment_path(lake, DS, hour, hour * layout.HOUR_MS + 1, "w1")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(b'{"n": %d}\n' % i for i in range(lines)))
    if open_:  # a live writer's segment: its watermark is at its end
        layout.watermark_path(path).write_bytes(watermark.encode(path.stat().st_size))
    return path


def build(lake: Path, finished_hours: int) -> Path:
    for h in range(finished_hours):
        write_segment(lake, NOW_HOUR - 2 - h, 3)
    return write_segment(lake, NOW_HOUR, 2, open_=True)


def count_calls(monkeypatch: pytest.MonkeyPatch, poll: Callable[[], Any]) -> Counter[str]:
    calls: Counter[str] = Counter()
    for name in ("scandir", "stat", "open", "listdir", "lstat"):
        real = getattr(os, name)

        def counted(*args: Any, _real: Any = real, _name: str = name, **kw: Any) -> Any:
            calls[_name] += 1
            return _real(*args, **kw)

        monkeypatch.setattr(os, name, counted)
    poll()
    monkeypatch.undo()
    return calls


def idle_calls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hours: int) -> Counter[str]:
    lake = tmp_path / f"lake{hours}"
    build(lake, hours)
    tail = LakeTail(lake, {})
    read = 0
    while chunks := tail.read([DS], 1000):
        tail.advance(chunks)
        read += sum(len(c.lines) for c in chunks)
    assert read == hours * 3 + 2
    tail.read([DS], 1000)  # the finished hours retire
    assert tail.polled_segments == 1  # only the open segment of the current hour
    return count_calls(monkeypatch, lambda: tail.read([DS], 1000))


def test_an_idle_poll_costs_the_same_with_a_few_or_many_finished_hours(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    few = idle_calls(tmp_path, monkeypatch, 3)
    many = idle_calls(tmp_path, monkeypatch, 300)
    assert few == many
    assert sum(many.values()) <= 10, many


def test_new_lines_segments_and_hours_are_still_found(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    current = build(lake, 5)
    tail = LakeTail(lake, {})
    while chunks := tail.read([DS], 1000):
        tail.advance(chunks)
    tail.read([DS], 1000)
    # The open segment grows (its watermark follows), a rotation opens another one in the
    # same hour, and the next hour starts in a new directory.
    with current.open("ab") as f:
        f.write(b'{"n": 9}\n')
    layout.watermark_path(current).write_bytes(watermark.encode(current.stat().st_size))
    rotated = layout.segment_path(lake, DS, NOW_HOUR, NOW_HOUR * layout.HOUR_MS + 2, "w1")
    rotated.write_bytes(b'{"n": 10}\n')
    write_segment(lake, NOW_HOUR + 1, 1)
    found: list[str] = []
    while chunks := tail.read([DS], 1000):
        tail.advance(chunks)
        found += [c.segment for c in chunks for _ in c.lines]
    assert len(found) == 3
    hours = {layout.hour_dir_name(NOW_HOUR), layout.hour_dir_name(NOW_HOUR + 1)}
    assert {Path(s).parent.name for s in found} == hours


def test_bytes_past_the_watermark_are_not_handed_out(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    current = build(lake, 0)
    with current.open("ab") as f:
        f.write(b'{"n": "written, not acknowledged"}\n')
    tail = LakeTail(lake, {})
    (chunk,) = tail.read([DS], 1000)
    assert [bytes(line) for line in chunk.lines] == [b'{"n": 0}', b'{"n": 1}']


def test_a_late_segment_in_a_finished_hour_is_found_at_the_next_rescan(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    build(lake, 3)
    now = [0.0]
    tail = LakeTail(lake, {}, rescan_seconds=900, clock=lambda: now[0])
    while chunks := tail.read([DS], 1000):
        tail.advance(chunks)
    tail.read([DS], 1000)
    late = layout.segment_path(lake, DS, NOW_HOUR - 3, (NOW_HOUR - 2) * layout.HOUR_MS, "w2")
    late.write_bytes(b'{"n": "late"}\n')  # e.g. a writer whose clock was stepped back
    assert tail.read([DS], 1000) == []  # its hour is finished: not listed
    now[0] = 901.0
    (chunk,) = tail.read([DS], 1000)
    assert chunk.segment == late.relative_to(lake).as_posix()
    tail.advance([chunk])
    assert tail.read([DS], 1000) == []  # the others were not read again
