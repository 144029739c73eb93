"""Profile Access API (model: AEP's ``/data/core/ups/access/entities``).

``GET`` with ``schema.name=_xdm.context.profile&entityId&entityIdNS[&fields]``: the merged
profile of an identity, keyed by the profile id. ``GET`` with
``schema.name=_xdm.context.experienceevent&relatedSchema.name=_xdm.context.profile&
relatedEntityId&relatedEntityIdNS[&startTime&endTime&limit&orderby&start&fields]``: a page of the
profile's events with ``_links.next.href`` for the next one. ``DELETE`` with ``entityId`` and
``entityIdNS``: a privacy job that erases the person (202 with the job,
``collector/privacy/``). Every request is scoped to the caller's org (``caller.py``): another
org's profile answers 404. Handlers read ``request.app.state.profiles`` (a ``ProfileStore``)
and run their queries in the thread pool.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from collector.control.settings import Settings
from collector.errors import CollectorError, InvalidMessageFormat, NotFound, Unprocessable
from collector.guard import access
from collector.privacy import requests as privacy_requests
from collector.profile import ledger, reader
from collector.profile.caller import Caller, caller
from collector.profile.store import ProfileStore
from collector.web import params
from collector.web.responses import problem_response

PATH = "/data/core/ups/access/entities"
PROFILE_SCHEMA = "_xdm.context.profile"
EVENT_SCHEMA = "_xdm.context.experienceevent"
MAX_IDENTITIES = 50
MAX_LIMIT = 1000


class _Plain:
    """Profile API problems carry no inlet/org prefix in their message."""

    detail: str

    @property
    def message(self) -> str:
        return self.detail


class BadProfileRequest(_Plain, InvalidMessageFormat):
    title = "Bad Request"
    type = "http://ns.adobe.com/aep/errors/profile/bad-request"


class ProfileNotFound(_Plain, NotFound):
    title = "Profile not found"
    type = "http://ns.adobe.com/aep/errors/profile/not-found"


class TooManyIdentities(_Plain, Unprocessable):
    title = "Too many related identities"
    type = "http://ns.adobe.com/aep/errors/profile/too-many-identities"


def routes() -> list[BaseRoute]:
    return [Route(PATH, entities, methods=["GET", "DELETE"])]


async def entities(request: Request) -> Response:
    store: ProfileStore = request.app.state.profiles
    status = 200
    erase = request.method == "DELETE"
    try:
        who = caller(request, "profile:delete" if erase else "profile:read")
        try:
            if erase:
                settings = request.app.state.settings
                body = await run_in_threadpool(_erase, store, settings, who, request.query_params)
                status = 202
            else:
                body = await run_in_threadpool(
                    _get, store, who.org, request.query_params, request.url.path
                )
        except CollectorError as exc:
            await run_in_threadpool(_audit, request, who, exc.status)
            raise
        await run_in_threadpool(_audit, request, who, status)
    except CollectorError as exc:
        return problem_response(exc)
    return Response(orjson.dumps(body), status, media_type="application/json")


def _audit(request: Request, who: Caller, status: int) -> None:
    """Every lookup and erasure by identity, found or not.

    The identity is named by its keyed hash (the erasure ledger's key and digest), never in the
    clear: an auditor holding the value can still find its entries, and an erased person's
    e-mail is in no file of the data directory, the audit log included.
    """
    query = request.query_params
    ns = (query.get("entityIdNS") or query.get("relatedEntityIdNS") or "")[:64]
    ident = query.get("entityId") or query.get("relatedEntityId") or ""
    key = ledger.secret(request.app.state.settings.data_dir)
    access.record(
        request,
        who.principal,
        action="profile.erase" if request.method == "DELETE" else "profile.read",
        object_type="identity",
        object_id=f"{ns}:{ledger.digest(key, who.org, ns.lower(), ident)}",
        detail={"schema": query.get("schema.name", "")[:64], "status": status},
    )


def _get(store: ProfileStore, org: str, query: QueryParams, path: str) -> dict[str, Any]:
    schema = _required(query, "schema.name")
    if schema == PROFILE_SCHEMA:
        return _profile(store, org, query)
    if schema == EVENT_SCHEMA:
        related = _required(query, "relatedSchema.name")
        if related != PROFILE_SCHEMA:
            raise BadProfileRequest(f"relatedSchema.name must be {PROFILE_SCHEMA}")
        return _events(store, org, query, path)
    raise BadProfileRequest(f"schema.name must be {PROFILE_SCHEMA} or {EVENT_SCHEMA}")


def _profile(store: ProfileStore, org: str, query: QueryParams) -> dict[str, Any]:
    ns, ident = _required(query, "entityIdNS"), _required(query, "entityId")
    fields = _fields(query)
    with store.reader() as conn:
        profile_id = _resolve(conn, org, ns, ident)
        document = reader.profile_document(conn, profile_id, fields)
    if document is None:  # erased between the two reads
        raise ProfileNotFound(f"no profile for identity {ns}:{ident}")
    return {profile_id: document}


def _events(store: ProfileStore, org: str, query: QueryParams, path: str) -> dict[str, Any]:
    ns, ident = _required(query, "relatedEntityIdNS"), _required(query, "relatedEntityId")
    start_ms, end_ms = _int(query, "startTime"), _int(query, "endTime")
    limit = _int(query, "limit")
    limit = MAX_LIMIT if limit is None else limit
    if not 1 <= limit <= MAX_LIMIT:
        raise BadProfileRequest(f"limit must be between 1 and {MAX_LIMIT}")
    orderby = query.get("orderby", query.get("orderBy", "timestamp")).strip()
    if orderby not in ("timestamp", "+timestamp", "-timestamp"):
        raise BadProfileRequest("orderby must be timestamp, +timestamp or -timestamp")
    orderby = orderby.lstrip("+")
    with store.reader() as conn:
        profile_id = _resolve(conn, org, ns, ident)
        try:
            page = reader.events_page(
                conn,
                profile_id,
                start_ms=start_ms,
                end_ms=end_ms,
                limit=limit,
                descending=orderby == "-timestamp",
                cursor=query.get("start"),
                fields=_fields(query),
            )
        except reader.BadCursor as exc:
            raise BadProfileRequest(str(exc)) from None
    href = ""
    if page.next:
        params = [(k, v) for k, v in query.multi_items() if k != "start"]
        href = f"{path}?{urlencode([('start', page.next), *params])}"
    return {
        "_page": {
            "orderby": orderby,
            "start": page.start,
            "count": len(page.children),
            "next": page.next,
        },
        "children": page.children,
        "_links": {"next": {"href": href}},
    }


def _erase(
    store: ProfileStore, settings: Settings, who: Caller, query: QueryParams
) -> dict[str, Any]:
    schema = query.get("schema.name")
    if schema is not None and schema != PROFILE_SCHEMA:
        raise BadProfileRequest(f"schema.name must be {PROFILE_SCHEMA}")
    ns, ident = _required(query, "entityIdNS"), _required(query, "entityId")
    return privacy_requests.erase(
        store, settings, org=who.org, namespace=ns, identity=ident, actor=who.actor, ip=who.ip
    )


def _resolve(conn: Any, org: str, ns: str, ident: str) -> str:
    profile_id = reader.find_profile(conn, org, ns, ident)
    if profile_id is None:
        raise ProfileNotFound(f"no profile for identity {ns}:{ident}")
    if reader.identity_count(conn, profile_id) > MAX_IDENTITIES:
        raise TooManyIdentities(
            f"the identity graph of {ns}:{ident} links more than {MAX_IDENTITIES} identities"
        )
    return profile_id


def _in_org(conn: Any, profile_id: str, datasets: frozenset[str]) -> bool:
    """Whether any of the profile's data came from one of the org's datasets."""
    if not datasets:
        return False
    marks = ",".join("?" * len(datasets))
    sql = (
        f"SELECT 1 FROM profile_fragments WHERE profile_id = ? AND dataset_id IN ({marks})"
        " UNION ALL SELECT 1 FROM experience_events"
        f" WHERE profile_id = ? AND dataset_id IN ({marks})"
        " LIMIT 1"
    )
    return conn.execute(sql, (profile_id, *datasets, profile_id, *datasets)).fetchone() is not None


def _required(query: QueryParams, name: str) -> str:
    value = query.get(name)
    if value is None or not value.strip():
        raise BadProfileRequest(f"query parameter {name} is required")
    return value


def _int(query: QueryParams, name: str) -> int | None:
    value = query.get(name)
    if value is None or value == "":
        return None
    try:
        return params.integer(value, minimum=0)
    except ValueError as exc:
        raise BadProfileRequest(f"query parameter {name} {exc}") from None


def _fields(query: QueryParams) -> list[str]:
    raw = ",".join(query.getlist("fields"))
    return [f.strip() for f in raw.split(",") if f.strip()]
