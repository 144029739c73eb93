"""``/debug/events``: look up what recently arrived, in the manner of Snowplow Micro.

``GET /debug/events`` filters the worker's follower buffer (newest first);
``GET /debug/events/{key}`` finds one event by ``xactionId`` or ``_id`` in the buffer, else in
the lake, with its entity, enrichment, violations and the profile it was merged into.

Access: every handler starts with ``_authorize``: a credential with the ``debug:read`` scope
(``collector.guard.access``), whose org filters every answer (another org's events are not
listed and answer 404). Reads of one event and searches by identity are audited; an identity
is named there by its keyed hash, never in the clear.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from collector.control.settings import Settings
from collector.errors import InvalidMessageFormat, NotFound
from collector.guard import access
from collector.monitoring import lookup
from collector.monitoring.events import Event, document, parse_time
from collector.monitoring.follower import EventFollower
from collector.profile import ledger
from collector.web.responses import json_response

MAX_LIMIT = 1000
DEFAULT_LIMIT = 100
_MAX_VALUE = 1024
_PARAMETERS = ("inlet", "dataset", "status", "eventType", "identity", "since", "limit")


class BadDebugRequest(InvalidMessageFormat):
    """A malformed debug query (never succeeds on retry)."""

    title = "Bad Request"
    type = "http://ns.xdm-collector.dev/problems/debug/bad-request"


class EventNotFound(NotFound):
    title = "Event not found"
    type = "http://ns.xdm-collector.dev/problems/debug/event-not-found"


def start_follower(settings: Settings) -> EventFollower:
    """The worker's follower, started (called from the app's lifespan)."""
    return EventFollower(
        settings.lake_dir,
        capacity=settings.debug_buffer_events,
        poll_ms=settings.debug_poll_ms,
    ).start()


def _authorize(request: Request) -> access.Principal:
    """The caller, with ``debug:read``. Every debug handler calls this first."""
    return access.require(request, "debug:read")


@dataclass(frozen=True)
class Filters:
    inlet: str | None = None
    dataset: str | None = None
    status: str | None = None
    event_type: str | None = None
    identity: str | None = None
    since_ms: int | None = None
    limit: int = DEFAULT_LIMIT

    def match(self, event: Event) -> bool:
        return (
            (self.inlet is None or event.inlet_id == self.inlet)
            and (self.dataset is None or event.dataset_id == self.dataset)
            and (self.status is None or event.status == self.status)
            and (self.event_type is None or event.event_type == self.event_type)
            and (self.since_ms is None or event.received_ms >= self.since_ms)
            and (self.identity is None or event.has_identity(self.identity))
        )


def parse_filters(params: list[tuple[str, str]]) -> Filters:
    """Strict: unknown or repeated parameters, empty or malformed values are a 400."""
    values: dict[str, str] = {}
    for key, value in params:
        if key not in _PARAMETERS:
            raise BadDebugRequest(
                f"Unknown parameter [{key[:64]}]; expected one of {', '.join(_PARAMETERS)}"
            )
        if key in values:
            raise BadDebugRequest(f"Parameter [{key}] is given more than once")
        if not value.strip() or len(value) > _MAX_VALUE:
            raise BadDebugRequest(
                f"Parameter [{key}] must be a non-empty value of at most {_MAX_VALUE} characters"
            )
        values[key] = value
    status = values.get("status")
    if status is not None and status not in ("good", "bad"):
        raise BadDebugRequest("Parameter [status] must be good or bad")
    since = None
    if "since" in values:
        try:
            since = parse_time(values["since"])
        except (ValueError, OverflowError) as exc:
            raise BadDebugRequest(f"Parameter [since]: {exc}") from None
    limit = DEFAULT_LIMIT
    if "limit" in values:
        raw = values["limit"].strip()
        if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw[:6]) <= MAX_LIMIT:
            raise BadDebugRequest(f"Parameter [limit] must be an integer from 1 to {MAX_LIMIT}")
        limit = int(raw)
    return Filters(
        inlet=values.get("inlet"),
        dataset=values.get("dataset"),
        status=status,
        event_type=values.get("eventType"),
        identity=values.get("identity"),
        since_ms=since,
        limit=limit,
    )


def search(follower: EventFollower, org: str, filters: Filters) -> dict[str, Any]:
    found = [
        (e.received_ms, i, e)
        for i, e in enumerate(follower.snapshot())
        if e.org_id == org and filters.match(e)
    ]
    found.sort(key=lambda item: item[:2], reverse=True)
    matched = [e for _, _, e in found]
    return {
        "events": [document(e) for e in matched[: filters.limit]],
        "count": min(len(matched), filters.limit),
        "total": len(matched),
        "skipped": follower.skipped,
        "buffered": len(follower),
        "capacity": follower.capacity,
    }


async def _events(request: Request) -> Response:
    principal = _authorize(request)
    org = principal.org_id
    filters = parse_filters(request.query_params.multi_items())
    follower: EventFollower = request.app.state.debug_events
    if follower.watch():  # it was idle: read what just arrived before answering
        await run_in_threadpool(follower.poll)
    answer = await run_in_threadpool(search, follower, org, filters)
    if filters.identity is not None:  # a read of a person's events, as a profile read is
        key = ledger.secret(request.app.state.settings.data_dir)
        named = "hmac:" + ledger.digest(key, org, "", filters.identity)
        await _audit(request, principal, "debug.events.search", "identity", named, {})
    return json_response(answer)


async def _event(request: Request) -> Response:
    principal = _authorize(request)
    org = principal.org_id
    key = request.path_params["key"]
    if request.query_params:
        raise BadDebugRequest("This route takes no query parameters")
    if not key.strip() or len(key) > _MAX_VALUE:
        raise BadDebugRequest(f"The event key must be 1 to {_MAX_VALUE} characters")
    state = request.app.state
    if state.debug_events.watch():  # it was idle: read what just arrived before looking
        await run_in_threadpool(state.debug_events.poll)
    dataset_ids = [d.id for d in state.control.datasets(org)]
    settings: Settings = state.settings
    found = await run_in_threadpool(_find, state, settings, org, dataset_ids, key)
    if found is None:
        raise EventNotFound(f"Event [{key[:128]}] is not found")
    event, source = found
    answer = document(event)
    answer["source"] = source
    answer["profile"] = await run_in_threadpool(lookup.profile_of, state.profiles, event)
    detail = {"source": source}
    await _audit(request, principal, "debug.event.read", "event", event.xaction_id, detail)
    return json_response(answer)


async def _audit(
    request: Request,
    principal: access.Principal,
    action: str,
    object_type: str,
    object_id: str,
    detail: dict[str, Any],
) -> None:
    await run_in_threadpool(
        access.record,
        request,
        principal,
        action=action,
        object_type=object_type,
        object_id=object_id,
        detail=detail,
    )


def _find(
    state: Any, settings: Settings, org: str, dataset_ids: list[str], key: str
) -> tuple[Event, str] | None:
    follower: EventFollower = state.debug_events
    for buffered in reversed(follower.snapshot()):
        if buffered.org_id == org and key in (buffered.xaction_id, buffered.event_id):
            return buffered, "buffer"
    partitions = lookup.org_partitions(settings.lake_dir, dataset_ids)
    event = lookup.by_xaction(partitions, key, org)
    if event is None:
        stored = lookup.stored_event(state.profiles, dataset_ids, key)
        if stored is not None:
            event = lookup.by_xaction(partitions, stored[0], org)
    if event is None:
        event = lookup.by_event_id(
            partitions,
            key,
            org,
            now_ms=time.time_ns() // 1_000_000,
            hours=settings.debug_lookup_hours,
        )
    return (event, "lake") if event is not None else None


def routes() -> list[BaseRoute]:
    return [
        Route("/debug/events", _events, methods=["GET"]),
        Route("/debug/events/{key:path}", _event, methods=["GET"]),
    ]
