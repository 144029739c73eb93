"""Events as the debug tools see them: one lake line, summarised for filtering.

A lake line (accepted, or rejected under ``_failed/``) is parsed lazily: ``summarise`` decodes
only the fields the filters need (ids, dataset, inlet, org, eventType, identityMap) with
msgspec; the rest of the line (entity, enrichment, violations) is decoded when an answer
shows it. Lines up to ``KEEP_LINE_BYTES`` are kept as bytes; longer ones are re-read from
their segment by offset, so the memory of a buffer of summaries stays bounded.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
import orjson

KEEP_LINE_BYTES = 64 * 1024
_XACTION_MS = re.compile(r"^(\d{1,15}):")
_DIGITS = re.compile(r"^\d{1,15}$")
_UNIT, _RECORD = "\x1f", "\x1e"  # between namespace and id; between identities


class _Entity(msgspec.Struct):
    id: Any = msgspec.field(default=None, name="_id")
    eventType: Any = None
    identityMap: Any = None


class _Line(msgspec.Struct):
    xactionId: Any = None
    receivedTimeMs: Any = None
    inletId: Any = None
    datasetId: Any = None
    orgId: Any = None
    reason: Any = None
    entity: msgspec.Raw = msgspec.Raw(b"")
    raw: msgspec.Raw = msgspec.Raw(b"")


_LINE = msgspec.json.Decoder(_Line)
_ENTITY = msgspec.json.Decoder(_Entity)
_ANY = msgspec.json.Decoder()


class Event(msgspec.Struct, frozen=True, gc=False):
    """What the filters need of one lake line, and where the whole line is.

    A msgspec Struct: built in C (a frozen dataclass cost 3 us more per line) and not tracked
    by the cyclic GC, which matters for a buffer of 10,000 of them.
    """

    xaction_id: str
    event_id: str | None
    dataset_id: str
    inlet_id: str
    org_id: str
    event_type: str | None
    # "NS\x1fid\x1eNS\x1fid": one string, which the cyclic GC never has to visit.
    packed_identities: str
    good: bool
    received_ms: int
    reason: str | None
    path: Path
    end: int  # offset just after the line in its segment
    length: int
    line: bytes | None  # the line itself, unless longer than KEEP_LINE_BYTES

    @property
    def identities(self) -> tuple[tuple[str, str], ...]:
        """``(namespace as sent, id)`` of every identity in the entity's ``identityMap``."""
        if not self.packed_identities:
            return ()
        return tuple(
            (ns, ident)
            for ns, _, ident in (p.partition(_UNIT) for p in self.packed_identities.split(_RECORD))
        )

    @property
    def status(self) -> str:
        return "good" if self.good else "bad"

    def record(self) -> dict[str, Any]:
        """The whole stored line, parsed (re-read from the segment when it was not kept)."""
        raw = self.line
        if raw is None:
            with self.path.open("rb") as f:
                f.seek(self.end - 1 - self.length)
                raw = f.read(self.length)
        value = orjson.loads(raw)
        return value if isinstance(value, dict) else {}

    def has_identity(self, wanted: str) -> bool:
        """``wanted`` is an identity id, or ``NS:id`` (namespace compared case-insensitively)."""
        namespace, _, ident = wanted.partition(":")
        if (ident or wanted) not in self.packed_identities:
            return False  # most events, without splitting anything
        for ns, value in self.identities:
            if value == wanted or (ident and value == ident and ns.lower() == namespace.lower()):
                return True
        return False


def summarise(line: bytes, *, good: bool, path: Path, end: int) -> Event | None:
    """The summary of one lake line, or None when it is not a lake record."""
    try:
        head = _LINE.decode(line)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    if not isinstance(head.xactionId, str):
        return None
    entity = _entity(head.entity) if head.entity else None
    if entity is None and head.raw:
        entity = _entity_of_raw(head.raw)
    received = head.receivedTimeMs
    return Event(
        xaction_id=head.xactionId,
        event_id=_text(entity.id) if entity else None,
        dataset_id=_text(head.datasetId) or "",
        inlet_id=_text(head.inletId) or "",
        org_id=_text(head.orgId) or "",
        event_type=_text(entity.eventType) if entity else None,
        packed_identities=_identities(entity.identityMap) if entity else "",
        good=good,
        received_ms=received if isinstance(received, int) else xaction_ms(head.xactionId) or 0,
        reason=_text(head.reason),
        path=path,
        end=end,
        length=len(line),
        line=bytes(line) if len(line) <= KEEP_LINE_BYTES else None,
    )


def _entity(raw: msgspec.Raw) -> _Entity | None:
    try:
        return _ENTITY.decode(raw)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None  # not an object: a rejected message can hold anything


def _entity_of_raw(raw: msgspec.Raw) -> _Entity | None:
    """A message rejected before routing keeps its body under ``raw``: find its entity."""
    try:
        message = _ANY.decode(raw)
    except msgspec.DecodeError:
        return None
    body = message.get("body") if isinstance(message, dict) else None
    entity = body.get("xdmEntity") if isinstance(body, dict) else None
    if not isinstance(entity, dict):
        return None
    return _Entity(entity.get("_id"), entity.get("eventType"), entity.get("identityMap"))


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _identities(identity_map: object) -> str:
    if not isinstance(identity_map, dict):
        return ""
    found = []
    for namespace, items in identity_map.items():
        if not isinstance(items, list):
            continue
        for item in items:
            ident = item.get("id") if isinstance(item, dict) else None
            if isinstance(ident, str) and ident:
                found.append(f"{namespace}{_UNIT}{ident}")
    return _RECORD.join(found)


def xaction_ms(xaction_id: str) -> int | None:
    """The receive time a transaction id starts with (``<ms>:<node>:<seq>``)."""
    match = _XACTION_MS.match(xaction_id)
    return int(match[1]) if match else None


def parse_time(value: str) -> int:
    """Milliseconds since the epoch, from digits or ISO 8601 (``Z`` or an offset; naive is UTC).

    Raises ValueError with a message fit for the caller.
    """
    text = value.strip()
    if _DIGITS.match(text):
        return int(text)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"[{value[:64]}] is neither milliseconds since the epoch nor an ISO 8601 time"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def iso_ms(ms: int) -> str:
    return (
        datetime.fromtimestamp(ms / 1000, UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


def violations_of(record: dict[str, Any]) -> list[dict[str, Any]]:
    found = record.get("_validationErrors")
    return [v for v in found if isinstance(v, dict)] if isinstance(found, list) else []


def leaf_violations(violations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The innermost violations of an everit-shaped list (``causingExceptions`` unrolled)."""
    leaves: list[dict[str, Any]] = []
    stack = list(reversed(violations))
    while stack:
        entry = stack.pop()
        causes = entry.get("causingExceptions")
        if isinstance(causes, list) and causes:
            stack.extend(reversed([c for c in causes if isinstance(c, dict)]))
        else:
            leaves.append(entry)
    return leaves


def document(event: Event, record: dict[str, Any] | None = None) -> dict[str, Any]:
    """One event as the debug API and the CLI answer it."""
    record = event.record() if record is None else record
    entity = record.get("entity")
    if entity is None and isinstance(record.get("raw"), dict):
        body = record["raw"].get("body")
        entity = body.get("xdmEntity") if isinstance(body, dict) else None
    return {
        "xactionId": event.xaction_id,
        "_id": event.event_id,
        "status": event.status,
        "datasetId": event.dataset_id,
        "inletId": event.inlet_id,
        "orgId": event.org_id,
        "eventType": event.event_type,
        "identities": [{"namespace": ns, "id": ident} for ns, ident in event.identities],
        "receivedTimeMs": event.received_ms,
        "receivedTime": iso_ms(event.received_ms),
        "reason": event.reason,
        "violations": violations_of(record),
        "entity": entity,
        "enrichment": record.get("client"),
        "header": record.get("header"),
        **({"raw": record["raw"]} if "raw" in record else {}),
    }
