"""One lake line, read for the profile store: kind, time, identities, size.

A line that does not parse, or lacks what every accepted line has (``xactionId``,
``receivedTimeMs``, an ``entity`` object), raises ``CorruptLine``; the projector logs it,
counts it and moves on.

Parsing is the largest share of projecting an event, so it reads no more than it needs, with
msgspec: the line is checked as JSON and decoded into the three fields the projector uses, the
entity kept as its raw bytes (that is what ``experience_events.entity`` stores: the lake writer
serialises entities compactly with orjson, so no re-serialisation is needed). Of an event only
``_id``, ``timestamp`` and ``identityMap`` are decoded, unless its schema marks identity fields;
records are decoded whole (the merge needs every field). Unused parts of the line are checked
for JSON syntax but not decoded; the entity must be valid UTF-8.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import msgspec

from collector.profile.catalog import DatasetInfo
from collector.profile.identities import Identity, extract


class CorruptLine(ValueError):
    pass


class _Line(msgspec.Struct, rename="camel"):
    xaction_id: str
    received_time_ms: int
    entity: msgspec.Raw
    org_id: str = ""
    inlet_id: str | None = None


class _EventHead(msgspec.Struct, rename={"event_id": "_id", "identity_map": "identityMap"}):
    """The fields of an event entity that the projector reads when no field is an identity."""

    event_id: Any = None
    timestamp: Any = None
    identity_map: Any = None


@dataclass(slots=True)
class Message:
    org_id: str  # the line's ``orgId`` (else the dataset's org): whose store it goes to
    dataset_id: str
    xaction_id: str
    received_ms: int
    kind: Literal["event", "record"]
    entity: dict[str, Any]  # records: the whole entity; events: only what was decoded
    entity_json: str  # the entity as stored (the lake line's bytes)
    time_ms: int  # event timestamp, or the record's timestamp / _repo.modifyDate
    identities: list[Identity]
    malformed_identities: int
    event_id: str  # the entity's ``_id``, or the xactionId when it has none
    size: int  # bytes of the entity
    inlet_id: str | None = None  # the inlet that accepted it (None: written by a command)


class Parser:
    """Reusable decoders (msgspec compiles one per type)."""

    def __init__(self) -> None:
        self._line = msgspec.json.Decoder(_Line)
        self._head = msgspec.json.Decoder(_EventHead)
        self._any = msgspec.json.Decoder()

    def parse(self, line: bytes | memoryview, dataset: DatasetInfo) -> Message:
        try:
            doc = self._line.decode(line)
        except msgspec.ValidationError as exc:
            raise CorruptLine(f"not an accepted line: {exc}") from None
        except msgspec.DecodeError as exc:
            raise CorruptLine(f"not JSON: {exc}") from None
        if not doc.xaction_id:
            raise CorruptLine("no xactionId")
        raw = doc.entity
        try:
            text = str(raw, "utf-8")
        except UnicodeDecodeError:
            raise CorruptLine("entity is not UTF-8") from None
        kind = dataset.kind
        entity: dict[str, Any]
        if kind == "event" and not dataset.event_fields:
            try:
                head = self._head.decode(raw)
            except msgspec.ValidationError:
                raise CorruptLine("no entity object") from None
            entity = {} if head.identity_map is None else {"identityMap": head.identity_map}
            event_id, timestamp = head.event_id, head.timestamp
        else:
            decoded = self._any.decode(raw)
            if not isinstance(decoded, dict):
                raise CorruptLine("no entity object")
            entity = decoded
            if kind == "auto":
                kind = "event" if "timestamp" in entity else "record"
            event_id, timestamp = entity.get("_id"), entity.get("timestamp")
        received_ms = doc.received_time_ms
        if kind == "event":
            time_ms = _ms(timestamp, received_ms)
        else:
            repo = entity.get("_repo")
            modified = repo.get("modifyDate") if isinstance(repo, dict) else None
            time_ms = _ms(entity.get("timestamp", modified), received_ms)
        fields = dataset.identity_fields if kind == "record" else dataset.event_fields
        org = doc.org_id or dataset.org_id
        found = extract(entity, fields, org)
        return Message(
            org,
            dataset.id,
            doc.xaction_id,
            received_ms,
            kind,
            entity,
            text,
            time_ms,
            found.identities,
            found.malformed,
            event_id if isinstance(event_id, str) and event_id else doc.xaction_id,
            len(raw),
            doc.inlet_id,
        )


def parse(line: bytes | memoryview, dataset: DatasetInfo) -> Message:
    """One line with a fresh ``Parser`` (the projector keeps one)."""
    return Parser().parse(line, dataset)


def _ms(value: object, default: int) -> int:
    if not isinstance(value, str):
        return default
    try:
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return int(parsed.timestamp() * 1000)
    except (ValueError, OverflowError, OSError):
        return default
