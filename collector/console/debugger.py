"""``/console/debug``: the live debugger for signed-in console users.

The page polls ``GET /console/debug/events`` every second: the worker's event follower
(``app.state.debug_events``) searched for the user's org with the debug API's own filters
(inlet, dataset, eventType, identity, verdict) and an ``_id`` filter; the answer says when the
buffer skipped lines. ``GET /console/debug/events/{key}`` is one event as the debug API finds
it (buffer, then lake): entity, enrichment, violations and the merged profile. Both are
session-authenticated (the ``read`` action) and org-scoped; an event read is audited, and an
identity search once per session and identity every ten minutes (the page polls), the
identity named by its keyed hash. A user of every org picks the org.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from collector.console.page import actor, page, render
from collector.control import audit
from collector.errors import CollectorError
from collector.guard.sessions import SignedIn
from collector.monitoring import debug_routes, lookup
from collector.monitoring.events import document
from collector.profile import ledger
from collector.web.responses import json_response, problem_response

PAGE_LIMIT = 50
# The page polls every second: an identity search is audited once per session and identity
# every AUDIT_EVERY_SECONDS (per worker), not on every poll.
AUDIT_EVERY_SECONDS = 600
_AUDITED: OrderedDict[tuple[str, str], float] = OrderedDict()
_AUDITED_MAX = 10_000
_audited_lock = threading.Lock()
# Query parameter -> the debug API's parameter.
FILTERS = {
    "inlet": "inlet",
    "dataset": "dataset",
    "eventType": "eventType",
    "identity": "identity",
    "verdict": "status",
}


def routes() -> list[BaseRoute]:
    return [
        Route("/console/debug", debug_page, methods=["GET"]),
        Route("/console/debug/events", events, methods=["GET"]),
        Route("/console/debug/events/{key:path}", event, methods=["GET"]),
    ]


def _org(request: Request, who: SignedIn) -> str | None:
    if who.user.org_id is not None:
        return who.user.org_id
    wanted = request.query_params.get("org", "")
    orgs = [o.id for o in request.app.state.control.orgs()]
    return wanted if wanted in orgs else (orgs[0] if orgs else None)


def _first_in_a_while(who: SignedIn, named: str, now: float) -> bool:
    """Whether this session's search for this identity is due an audit entry."""
    key = (who.session_id, named)
    with _audited_lock:
        last = _AUDITED.get(key)
        if last is not None and now - last < AUDIT_EVERY_SECONDS:
            return False
        _AUDITED[key] = now
        _AUDITED.move_to_end(key)
        while len(_AUDITED) > _AUDITED_MAX:
            _AUDITED.popitem(last=False)
        return True


def _audit(
    request: Request, who: SignedIn, org: str, action: str, kind: str, name: str, **detail: Any
) -> None:
    audit.record(
        request.app.state.tags.db.conn,
        actor=actor(who),
        action=action,
        object_type=kind,
        object_id=name,
        org_id=org,
        detail=detail,
    )


@page("read")
def debug_page(request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    control = request.app.state.control
    org = _org(request, who)
    context = {
        "org": org,
        "orgs": [] if who.user.org_id else [o.id for o in control.orgs()],
        "inlets": control.inlets(org) if org else [],
        "datasets": control.datasets(org) if org else [],
        "values": {key: request.query_params.get(key, "") for key in (*FILTERS, "_id")},
    }
    return render(request, who, "debug.html", context)


@page("read")
def events(request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    org = _org(request, who)
    if org is None:
        return json_response({"events": [], "count": 0, "total": 0, "skipped": 0})
    params = [
        (FILTERS[key], value.strip())
        for key, value in request.query_params.multi_items()
        if key in FILTERS and value.strip()
    ]
    event_id = request.query_params.get("_id", "").strip()
    try:
        filters = debug_routes.parse_filters(
            [*params, ("limit", str(debug_routes.MAX_LIMIT if event_id else PAGE_LIMIT))]
        )
    except CollectorError as exc:
        return problem_response(exc)
    follower = request.app.state.debug_events
    if follower.watch():  # it was idle: read what just arrived before answering
        follower.poll()
    answer = debug_routes.search(follower, org, filters)
    if event_id:
        matched = [e for e in answer["events"] if e["_id"] == event_id]
        answer["events"], answer["count"] = matched[:PAGE_LIMIT], min(len(matched), PAGE_LIMIT)
    if filters.identity is not None:
        key = ledger.secret(request.app.state.settings.data_dir)
        named = "hmac:" + ledger.digest(key, org, "", filters.identity)
        if _first_in_a_while(who, named, time.monotonic()):
            _audit(request, who, org, "debug.events.search", "identity", named)
    return json_response(answer)


@page("read")
def event(request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    org = _org(request, who)
    key = request.path_params["key"]
    if org is None or not key.strip() or len(key) > 1024:
        return problem_response(debug_routes.EventNotFound("No such event"))
    state = request.app.state
    dataset_ids = [d.id for d in state.control.datasets(org)]
    found = debug_routes._find(state, state.settings, org, dataset_ids, key)
    if found is None:
        return problem_response(debug_routes.EventNotFound(f"Event [{key[:128]}] is not found"))
    stored, source = found
    answer = document(stored)
    answer["source"] = source
    answer["profile"] = lookup.profile_of(state.profiles, stored)
    _audit(request, who, org, "debug.event.read", "event", stored.xaction_id, source=source)
    return json_response(answer)
