"""Re-validate a dataset's failed records after a schema fix, and promote the valid ones.

Messages that failed asynchronous validation sit in ``lake/_failed/<datasetId>/`` with their
``_validationErrors``. ``revalidate`` checks each one's entity against the dataset's current
schema; a record that passes now is appended to the dataset's lake partition as an accepted
line (the failed line without ``reason``/``_validationErrors``, with the current
``schemaId``, ``"promotedFromFailed": true`` and ``promotedTimeMs``). It keeps its original
``receivedTimeMs``; it is filed under the hour it is promoted in, so that readers tailing
the lake see it. Failed lines are never changed.

Idempotence: ``lake/_failed/<datasetId>/_promoted.jsonl`` is a ledger of promoted
``xactionId``s (it is not a segment: readers of ``part-*.jsonl`` never see it). Each run
writes an ``intent`` line for what it is about to promote, appends to the lake, then writes
``done`` lines, fsyncing each step. If a run dies between the two, the next one finds the
intents without ``done`` and looks for those lines in the segments written since, so a
record is promoted exactly once. A lock on the ledger keeps two runs from overlapping.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

from collector.control.plane import ControlPlane
from collector.control.settings import Settings
from collector.lake import layout
from collector.lake.segments import read_records, segments
from collector.lake.writer import Lake, LakeEntry
from collector.schemas.registry import SchemaRegistry

LEDGER = layout.PROMOTED_LEDGER
_DROPPED_KEYS = ("reason", "_validationErrors", "status")


class RevalidationError(Exception):
    """Revalidation cannot run (unknown dataset or schema, another run holds the ledger)."""


@dataclass
class Revalidation:
    """What one run found and did."""

    dataset_id: str
    schema_id: str
    failed: int = 0  # failed lines that carry _validationErrors
    already_promoted: int = 0
    promoted: list[str] = field(default_factory=list)  # xactionIds promoted by this run
    still_invalid: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    dry_run: bool = False

    def summary(self) -> dict[str, Any]:
        return {
            "datasetId": self.dataset_id,
            "schemaId": self.schema_id,
            "failedRecords": self.failed,
            "alreadyPromoted": self.already_promoted,
            "promoted": len(self.promoted),
            "stillInvalid": len(self.still_invalid),
            "dryRun": self.dry_run,
            "promotedXactionIds": self.promoted,
            "stillInvalidXactionIds": sorted(self.still_invalid),
        }


def revalidate(
    settings: Settings,
    dataset_id: str,
    *,
    registry: SchemaRegistry | None = None,
    dry_run: bool = False,
    clock_ms: Callable[[], int] | None = None,
) -> Revalidation:
    """Promote the failed records of ``dataset_id`` that its current schema accepts."""
    now_ms = clock_ms or (lambda: time.time_ns() // 1_000_000)
    schema_id = _schema_of(settings, dataset_id)
    registry = registry or SchemaRegistry.load(settings.schemas_dir)
    if not registry.knows(schema_id):
        raise RevalidationError(f"schema {schema_id} of dataset {dataset_id} is not loaded")
    result = Revalidation(dataset_id, schema_id, dry_run=dry_run)
    failed_dir = settings.lake_dir / layout.failed_partition(dataset_id)
    failed_dir.mkdir(parents=True, exist_ok=True)
    with _locked(failed_dir / LEDGER) as ledger:
        promoted = _settle(settings, dataset_id, ledger)
        lines: list[tuple[str, dict[str, Any]]] = []
        for record in _invalid_records(settings, dataset_id):
            xaction_id = str(record.get("xactionId"))
            result.failed += 1
            if xaction_id in promoted:
                result.already_promoted += 1
                continue
            violations = registry.validate(schema_id, record.get("entity"))
            if violations:
                result.still_invalid[xaction_id] = violations
            else:
                lines.append((xaction_id, record))
        result.promoted = [x for x, _ in lines]
        if lines and not dry_run:
            lake = Lake(settings, clock_ms=now_ms)
            try:
                _promote(lake, dataset_id, schema_id, lines, ledger, now_ms())
            finally:
                lake.close()
    return result


def _schema_of(settings: Settings, dataset_id: str) -> str:
    control = ControlPlane(settings.control_db_path)
    try:
        dataset = control.dataset(dataset_id)
    finally:
        control.close()
    if dataset is None:
        raise RevalidationError(f"dataset {dataset_id} not found")
    return dataset.schema_id


def _invalid_records(settings: Settings, dataset_id: str) -> Iterator[dict[str, Any]]:
    for path in segments(settings.lake_dir, layout.failed_partition(dataset_id)):
        for record in read_records(path):
            if "_validationErrors" in record and "entity" in record:
                yield record


def _promote(
    lake: Lake,
    dataset_id: str,
    schema_id: str,
    lines: list[tuple[str, dict[str, Any]]],
    ledger: IO[bytes],
    now_ms: int,
) -> None:
    _log(ledger, [{"xactionId": x, "state": "intent", "atMs": now_ms} for x, _ in lines])
    entries = [
        LakeEntry(dataset_id, now_ms, orjson.dumps(_accepted(record, schema_id, now_ms)))
        for _, record in lines
    ]
    lake.append_blocking(entries)
    _log(ledger, [{"xactionId": x, "state": "done", "atMs": now_ms} for x, _ in lines])


def _accepted(record: dict[str, Any], schema_id: str, now_ms: int) -> dict[str, Any]:
    line = {k: v for k, v in record.items() if k not in _DROPPED_KEYS}
    line["schemaId"] = schema_id
    line["promotedFromFailed"] = True
    line["promotedTimeMs"] = now_ms
    return line


def _settle(settings: Settings, dataset_id: str, ledger: IO[bytes]) -> set[str]:
    """Promoted xactionIds; intents of an interrupted run are resolved against the lake."""
    ledger.seek(0)
    done: set[str] = set()
    intents: dict[str, int] = {}
    for raw in ledger.read().splitlines():
        try:
            entry = orjson.loads(raw)
        except orjson.JSONDecodeError:
            continue  # a torn last line: its step never completed
        if entry.get("state") == "done":
            done.add(entry["xactionId"])
        elif entry.get("state") == "intent":
            intents[entry["xactionId"]] = entry["atMs"]
    pending = {x: ms for x, ms in intents.items() if x not in done}
    if not pending:
        return done
    # Promoted lines are filed under the hour of their intent: look from that hour on.
    since = layout.hour_of(min(pending.values()))
    found: list[str] = []
    for path in segments(settings.lake_dir, dataset_id):
        name = layout.parse_segment(path.relative_to(settings.lake_dir))
        if name is not None and name.hour < since:
            continue
        for record in read_records(path):
            xaction_id = record.get("xactionId")
            if record.get("promotedFromFailed") and xaction_id in pending:
                found.append(str(xaction_id))
    _log(ledger, [{"xactionId": x, "state": "done", "atMs": pending[x]} for x in found])
    return done | set(found)


def _log(ledger: IO[bytes], entries: list[dict[str, Any]]) -> None:
    if not entries:
        return
    ledger.seek(0, os.SEEK_END)
    ledger.write(b"".join(orjson.dumps(e) + b"\n" for e in entries))
    ledger.flush()
    os.fsync(ledger.fileno())


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[IO[bytes]]:
    """The ledger, opened for reading and appending, under an exclusive lock."""
    with path.open("a+b") as ledger:
        try:
            fcntl.flock(ledger.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RevalidationError(f"another revalidation holds {path}") from None
        yield ledger
