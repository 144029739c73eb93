"""One lake line, read for the profile store: kind, time, identities, size.

A line that does not parse, or lacks what every accepted line has (``xactionId``,
``receivedTimeMs``, an ``entity`` object), raises ``CorruptLine``; the projector logs it,
counts it and moves on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import orjson

from collector.profile.catalog import DatasetInfo
from collector.profile.identities import Identity, extract


class CorruptLine(ValueError):
    pass


@dataclass(slots=True)
class Message:
    dataset_id: str
    xaction_id: str
    received_ms: int
    kind: Literal["event", "record"]
    entity: dict[str, Any]
    entity_json: bytes
    time_ms: int  # event timestamp, or the record's timestamp / _repo.modifyDate
    identities: list[Identity]
    malformed_identities: int
    event_id: str  # the entity's ``_id``, or the xactionId when it has none

    @property
    def size(self) -> int:
        return len(self.entity_json)


def parse(line: bytes, dataset: DatasetInfo) -> Message:
    try:
        doc = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise CorruptLine(f"not JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise CorruptLine("not a JSON object")
    xaction_id = doc.get("xactionId")
    received_ms = doc.get("receivedTimeMs")
    entity = doc.get("entity")
    if not isinstance(xaction_id, str) or not xaction_id:
        raise CorruptLine("no xactionId")
    if not isinstance(received_ms, int) or isinstance(received_ms, bool):
        raise CorruptLine("no receivedTimeMs")
    if not isinstance(entity, dict):
        raise CorruptLine("no entity object")
    kind = dataset.kind
    if kind == "auto":
        kind = "event" if "timestamp" in entity else "record"
    if kind == "event":
        time_ms = _ms(entity.get("timestamp"), received_ms)
    else:
        repo = entity.get("_repo")
        modified = repo.get("modifyDate") if isinstance(repo, dict) else None
        time_ms = _ms(entity.get("timestamp", modified), received_ms)
    found = extract(entity, dataset.identity_fields if kind == "record" else dataset.event_fields)
    event_id = entity.get("_id")
    return Message(
        dataset.id,
        xaction_id,
        received_ms,
        kind,
        entity,
        orjson.dumps(entity),
        time_ms,
        found.identities,
        found.malformed,
        event_id if isinstance(event_id, str) and event_id else xaction_id,
    )


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
