"""Large reads reuse one buffer: every line of a batch is intact, across segments and batches."""

from __future__ import annotations

from pathlib import Path

import pytest

from collector.profile import tail as tail_module
from collector.profile.tail import LakeTail
from tests.profile.test_tail import DS, NOW_HOUR, write_segment


def _segments(lake: Path) -> dict[str, list[bytes]]:
    lines: dict[str, list[bytes]] = {}
    for n, count in enumerate((7, 1, 12)):
        path = write_segment(lake, NOW_HOUR - 3 + n, 0)
        # Lines of different lengths, one far longer than the running estimate.
        body = [b'{"n": %d, "pad": "%s"}' % (i, b"x" * (i * 37 % 90)) for i in range(count)]
        if n == 2:
            body[5] = b'{"long": "' + b"y" * 300_000 + b'"}'
        path.write_bytes(b"".join(line + b"\n" for line in body))
        lines[str(path.relative_to(lake))] = body
    return lines


@pytest.mark.parametrize("budget", [1, 3, 8, 1000])
def test_each_batch_hands_out_the_segments_lines_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, budget: int
) -> None:
    monkeypatch.setattr(tail_module, "_REUSED_READ", 0)  # every read goes to the buffer
    lake = tmp_path / "lake"
    expected = _segments(lake)
    tail = LakeTail(lake, {})
    seen: dict[str, list[bytes]] = {segment: [] for segment in expected}
    batches = 0
    while chunks := tail.read([DS], budget):
        batches += 1
        for chunk in chunks:  # all chunks of one read at once, before the next read
            seen[chunk.segment] += [bytes(line) for line in chunk.lines]
        tail.advance(chunks)
    assert seen == expected
    assert batches >= (20 + budget - 1) // budget
    assert not tail._buffer  # caught up: the memory is given back


def test_small_reads_do_not_keep_a_buffer(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    expected = _segments(lake)
    tail = LakeTail(lake, {})
    chunks = tail.read([DS], 1000)
    assert {c.segment: [bytes(line) for line in c.lines] for c in chunks} == expected
    assert not tail._buffer
