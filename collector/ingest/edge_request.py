"""The Web SDK's request body, read and turned into the pipeline's messages. No HTTP here.

An Edge request is ``{"events": [{"xdm": {...}, "data": {...}}], "meta": {"state": {...}},
"xdm": {"identityMap": ...}, "query": {...}}``. Each ``events[i].xdm`` becomes one streaming
envelope for the datastream's event dataset: the server sets ``_id`` when the SDK did not and
``timestamp`` when it is absent, merges the request-level ``xdm.identityMap`` into the event's,
and sets ``identityMap.ECID`` to the visitor's ECID. ``data`` travels beside the entity and is
not validated as XDM.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from collector.guard import ecid as ecids

MAX_EVENTS = 1_000


class EdgeInputError(ValueError):
    """A request body the Edge Network would refuse; ``errors`` lists what is wrong."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class EdgeEvent:
    xdm: dict[str, Any]
    data: dict[str, Any] | None


@dataclass(frozen=True)
class EdgeRequest:
    events: list[EdgeEvent]
    identity_map: dict[str, Any] | None = None
    state: dict[str, str] = field(default_factory=dict)
    consent: list[dict[str, Any]] = field(default_factory=list)


def parse(document: object, *, consent: bool = False) -> EdgeRequest:
    """Check the body's shape; ``consent`` reads a set-consent body instead of events."""
    if not isinstance(document, dict):
        raise EdgeInputError(["The request body must be a JSON object"])
    errors: list[str] = []
    state = _state(document.get("meta"), errors)
    identity_map = _identity_map(document.get("xdm"), "xdm", errors)
    if consent:
        preferences = _consent(document.get("consent"), errors)
        identity_map = identity_map or _identity_map(
            {"identityMap": document.get("identityMap")}, "", errors
        )
        if errors:
            raise EdgeInputError(errors)
        return EdgeRequest([], identity_map, state, preferences)
    raw_events = document.get("events")
    if not isinstance(raw_events, list) or not raw_events:
        raise EdgeInputError(["events must be a non-empty array", *errors])
    if len(raw_events) > MAX_EVENTS:
        raise EdgeInputError([f"events holds {len(raw_events)} events; at most {MAX_EVENTS}"])
    events = []
    for index, raw in enumerate(raw_events):
        xdm = raw.get("xdm") if isinstance(raw, dict) else None
        data = raw.get("data") if isinstance(raw, dict) else None
        if not isinstance(xdm, dict):
            errors.append(f"events[{index}].xdm must be an object")
            continue
        if data is not None and not isinstance(data, dict):
            errors.append(f"events[{index}].data must be an object")
            continue
        events.append(EdgeEvent(xdm, data))
    if errors:
        raise EdgeInputError(errors)
    return EdgeRequest(events, identity_map, state)


def visitor_ecid(
    request: EdgeRequest, cookies: Mapping[str, str], org_id: str
) -> tuple[str | None, str]:
    """The visitor's ECID and where it came from: cookie, state, identityMap, or none."""
    name = ecids.cookie_name(org_id)
    for source, value in (("cookie", cookies.get(name)), ("state", request.state.get(name))):
        if value and (found := ecids.decode(value)):
            return found, source
    for candidate in (request.identity_map, *(e.xdm.get("identityMap") for e in request.events)):
        if found := _ecid_in(candidate):
            return found, "identityMap"
    return None, "none"


def entity(
    event: EdgeEvent,
    *,
    request: EdgeRequest,
    ecid: str | None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
) -> dict[str, Any]:
    """The XDM entity stored for one event (a copy; the request is not changed)."""
    xdm = dict(event.xdm)
    xdm.setdefault("_id", new_id())
    if "timestamp" not in xdm:
        xdm["timestamp"] = now().isoformat(timespec="milliseconds").replace("+00:00", "Z")
    identity_map = _merged(request.identity_map, xdm.get("identityMap"))
    if ecid is not None:
        identity_map = _with_ecid(identity_map, ecid)
    if identity_map:
        xdm["identityMap"] = identity_map
    return xdm


def envelope(
    xdm: dict[str, Any], *, schema_id: str, dataset_id: str, org_id: str
) -> dict[str, Any]:
    """The streaming envelope the pipeline takes for one entity."""
    schema_ref = {"id": schema_id, "contentType": "application/vnd.adobe.xed-full+json;version=1"}
    return {
        "header": {
            "schemaRef": schema_ref,
            "imsOrgId": org_id,
            "datasetId": dataset_id,
            "source": {"name": "Web SDK"},
        },
        "body": {"xdmMeta": {"schemaRef": schema_ref}, "xdmEntity": xdm},
    }


def _state(meta: object, errors: list[str]) -> dict[str, str]:
    if meta is None:
        return {}
    state = meta.get("state") if isinstance(meta, dict) else None
    entries = state.get("entries") if isinstance(state, dict) else None
    if entries is None:
        return {}
    if not isinstance(entries, list):
        errors.append("meta.state.entries must be an array")
        return {}
    found: dict[str, str] = {}
    for entry in entries:
        if isinstance(entry, dict) and isinstance(entry.get("key"), str):
            value = entry.get("value")
            if isinstance(value, str):
                found[entry["key"]] = value
    return found


def _identity_map(holder: object, where: str, errors: list[str]) -> dict[str, Any] | None:
    if holder is None:
        return None
    value = holder.get("identityMap") if isinstance(holder, dict) else None
    if value is None:
        return None
    if not isinstance(value, dict) or not all(isinstance(v, list) for v in value.values()):
        errors.append(f"{where + '.' if where else ''}identityMap must map namespaces to arrays")
        return None
    return value


def _consent(value: object, errors: list[str]) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not value:
        errors.append("consent must be a non-empty array")
        return []
    for index, item in enumerate(value):
        if not isinstance(item, dict) or not isinstance(item.get("standard"), str):
            errors.append(f"consent[{index}] must be an object with a standard")
    return [item for item in value if isinstance(item, dict)]


def _ecid_in(identity_map: object) -> str | None:
    if not isinstance(identity_map, dict):
        return None
    for namespace, items in identity_map.items():
        if str(namespace).upper() != "ECID" or not isinstance(items, list):
            continue
        for item in items:
            value = item.get("id") if isinstance(item, dict) else None
            if isinstance(value, str) and ecids.ECID.match(value):
                return value
    return None


def _merged(first: dict[str, Any] | None, second: object) -> dict[str, list[Any]]:
    merged: dict[str, list[Any]] = {}
    for source in (first, second):
        if not isinstance(source, dict):
            continue
        for namespace, items in source.items():
            if not isinstance(items, list):
                continue
            known = merged.setdefault(namespace, [])
            for item in items:
                if item not in known:
                    known.append(item)
    return merged


def _with_ecid(identity_map: dict[str, list[Any]], ecid: str) -> dict[str, list[Any]]:
    key = next((ns for ns in identity_map if ns.upper() == "ECID"), "ECID")
    items = identity_map.setdefault(key, [])
    if any(isinstance(i, dict) and i.get("id") == ecid for i in items):
        return identity_map
    has_primary = any(
        isinstance(i, dict) and i.get("primary") is True for v in identity_map.values() for i in v
    )
    items.insert(0, {"id": ecid, "authenticatedState": "ambiguous", "primary": not has_primary})
    return identity_map
