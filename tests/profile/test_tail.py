from __future__ import annotations

from collector.profile.tail import LakeTail
from collector.settings import Settings
from tests.profile.lakefixture import EVENTS, Lake


def _fill(lake: Lake, count: int) -> None:
    """Lines of about 2 KB, the size of a lake line (the tail's first estimate)."""
    pad = b"x" * 2000
    lake.append_raw(EVENTS, b"".join(b'{"n": %d, "pad": "%s"}\n' % (n, pad) for n in range(count)))


def test_a_short_backlog_is_read_in_live_batches(settings: Settings, lake: Lake) -> None:
    _fill(lake, 30)
    tail = LakeTail(settings.lake_dir, {})
    seen = []
    while chunks := tail.read([EVENTS], 20, live_lines=8):
        seen.append(sum(len(c.lines) for c in chunks))
        tail.advance(chunks)
    assert seen == [8, 8, 8, 6]


def test_a_long_backlog_is_read_in_full_batches(settings: Settings, lake: Lake) -> None:
    _fill(lake, 3_000)
    tail = LakeTail(settings.lake_dir, {})
    seen = []
    while chunks := tail.read([EVENTS], 200, live_lines=8):
        seen.append(sum(len(c.lines) for c in chunks))
        tail.advance(chunks)
    assert sum(seen) == 3_000
    assert seen[:3] == [200, 200, 200]  # far behind: full batches
    assert seen[-1] <= 8 and 8 in seen  # the last stretch: live batches
    # Offsets end exactly at the end of the segment.
    [(segment, offset)] = tail.offsets.items()
    assert (settings.lake_dir / segment).stat().st_size == offset
