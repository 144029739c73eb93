"""Finding one event in the lake, and the profile it was merged into.

An ``xactionId`` starts with its receive time, so only that hour's segments are read. An
``_id`` is looked up in the profile store's ``experience_events`` (which gives its
``xactionId``); failing that, the last ``hours`` hour partitions are scanned. Segments are
searched for the id's JSON bytes chunk by chunk, and only matching lines are parsed.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson

from collector.lake import parquet
from collector.lake.segments import FAILED_DIR
from collector.monitoring.events import Event, summarise, xaction_ms
from collector.monitoring.follower import hour_dir
from collector.profile import reader
from collector.profile.store import ProfileStore

_HOUR_MS = 3_600_000
_CHUNK = 4 << 20


def org_partitions(lake_dir: Path, dataset_ids: Iterable[str]) -> list[tuple[Path, bool]]:
    """The accepted and failed partitions of some datasets, plus the unrouted failures."""
    found: list[tuple[Path, bool]] = []
    for dataset_id in dataset_ids:
        found.append((lake_dir / dataset_id, True))
        found.append((lake_dir / FAILED_DIR / dataset_id, False))
    found.append((lake_dir / FAILED_DIR / "_unrouted", False))
    return found


def by_xaction(
    partitions: list[tuple[Path, bool]], xaction_id: str, org_id: str | None
) -> Event | None:
    """The line of one transaction (the accepted one when it was promoted from failed)."""
    received = xaction_ms(xaction_id)
    if received is None:
        return None
    needle = b'"xactionId":' + orjson.dumps(xaction_id)
    found: Event | None = None
    for partition, good in partitions:
        for event in _grep(hour_dir(partition, received // _HOUR_MS), needle, good):
            if event.xaction_id == xaction_id and org_id in (None, event.org_id):
                if event.good:
                    return event
                found = found or event
    return found


def by_event_id(
    partitions: list[tuple[Path, bool]],
    event_id: str,
    org_id: str | None,
    *,
    now_ms: int,
    hours: int,
) -> Event | None:
    """The newest line whose entity ``_id`` is ``event_id`` in the last ``hours`` hours."""
    needle = b'"_id":' + orjson.dumps(event_id)
    newest = now_ms // _HOUR_MS
    for hour in range(newest, newest - max(1, hours), -1):
        matches = [
            event
            for partition, good in partitions
            for event in _grep(hour_dir(partition, hour), needle, good)
            if event.event_id == event_id and org_id in (None, event.org_id)
        ]
        if matches:
            return max(matches, key=lambda e: (e.good, e.received_ms))
    return None


def stored_event(
    store: ProfileStore, dataset_ids: list[str], event_id: str
) -> tuple[str, str] | None:
    """``(xactionId, profile id)`` of an event the projector stored, if it did."""
    if not dataset_ids:
        return None
    marks = ",".join("?" * len(dataset_ids))
    try:
        with store.reader() as conn:
            row = conn.execute(
                "SELECT xaction_id, profile_id FROM experience_events"
                f" WHERE dataset_id IN ({marks}) AND event_id = ? ORDER BY seq DESC LIMIT 1",
                [*dataset_ids, event_id],
            ).fetchone()
    except sqlite3.Error:
        return None
    return (str(row[0]), str(row[1])) if row else None


def profile_of(store: ProfileStore, event: Event) -> dict[str, Any] | None:
    """The merged profile an accepted event's identities belong to: id and identity graph."""
    if not event.good:
        return None
    try:
        with store.reader() as conn:
            profile_id = _profile_id(conn, event)
            if profile_id is None:
                return None
            document = reader.profile_document(conn, profile_id)
    except sqlite3.Error:
        return None
    if document is None:
        return None
    return {
        "profileId": profile_id,
        "identityGraph": document["identityGraph"],
        "entity": document["entity"],
        "lastModifiedAt": document["lastModifiedAt"],
    }


def _profile_id(conn: sqlite3.Connection, event: Event) -> str | None:
    for namespace, ident in event.identities:
        found = reader.find_profile(conn, event.org_id, namespace, ident)
        if found is not None:
            return found
    if event.event_id is None:
        return None
    row = conn.execute(
        "SELECT profile_id FROM experience_events WHERE dataset_id = ? AND event_id = ?",
        (event.dataset_id, event.event_id),
    ).fetchone()
    return str(row[0]) if row else None


def _grep(directory: Path, needle: bytes, good: bool) -> Iterator[Event]:
    """Events of the lines containing ``needle`` in the segments of one hour directory."""
    try:
        names = sorted(e.name for e in os.scandir(directory) if e.name.startswith("part-"))
    except FileNotFoundError:
        return
    for name in names:
        path = directory / name
        for end, line in grep_lines(path, needle):
            event = summarise(line, good=good, path=path, end=end)
            if event is not None:
                yield event
    yield from _grep_compacted(directory, needle, good)


def _grep_compacted(directory: Path, needle: bytes, good: bool) -> Iterator[Event]:
    """The same in a compacted hour, for the segments whose JSON lines were replaced."""
    try:
        held = parquet.read(directory / parquet.COMPACTED)
    except FileNotFoundError:
        return
    for segment, rows in sorted(held.items()):
        path = directory / Path(segment).name
        if path.exists():
            continue  # read above
        for end, line in rows:
            if needle in line and (event := summarise(line, good=good, path=path, end=end)):
                yield event


def grep_lines(path: Path, needle: bytes) -> Iterator[tuple[int, bytes]]:
    """``(offset after the line, line)`` of each whole line of a segment holding ``needle``."""
    with path.open("rb") as f:
        base = 0  # file offset of data[0]
        rest = b""
        while chunk := f.read(_CHUNK):
            data = rest + chunk
            last = data.rfind(b"\n")
            if last == -1:
                rest = data
                continue
            i = data.find(needle, 0, last)
            while i != -1:
                start = data.rfind(b"\n", 0, i) + 1
                stop = data.index(b"\n", i)
                yield base + stop + 1, data[start:stop]
                i = data.find(needle, stop, last)
            rest = data[last + 1 :]
            base += last + 1
