"""Profile Access API (model: AEP's ``/data/core/ups/access/entities``).

``GET`` with ``schema.name=_xdm.context.profile&entityId&entityIdNS[&fields]``: the merged
profile of an identity, keyed by the profile id. ``GET`` with
``schema.name=_xdm.context.experienceevent&relatedSchema.name=_xdm.context.profile&
relatedEntityId&relatedEntityIdNS[&startTime&endTime&limit&orderby&start&fields]``: a page of the
profile's events with ``_links.next.href`` for the next one. ``DELETE`` with ``entityId`` and
``entityIdNS``: erase the profile. Handlers read ``request.app.state.profiles``
(a ``ProfileStore``) and run their queries in the thread pool.
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

from collector.errors import CollectorError, InvalidMessageFormat, NotFound, Unprocessable
from collector.profile import erasure, reader
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
    try:
        if request.method == "DELETE":
            body = await run_in_threadpool(_erase, store, request.query_params)
        else:
            body = await run_in_threadpool(_get, store, request.query_params, request.url.path)
    except CollectorError as exc:
        return problem_response(exc)
    return Response(orjson.dumps(body), media_type="application/json")


def _get(store: ProfileStore, query: QueryParams, path: str) -> dict[str, Any]:
    schema = _required(query, "schema.name")
    if schema == PROFILE_SCHEMA:
        return _profile(store, query)
    if schema == EVENT_SCHEMA:
        related = _required(query, "relatedSchema.name")
        if related != PROFILE_SCHEMA:
            raise BadProfileRequest(f"relatedSchema.name must be {PROFILE_SCHEMA}")
        return _events(store, query, path)
    raise BadProfileRequest(f"schema.name must be {PROFILE_SCHEMA} or {EVENT_SCHEMA}")


def _profile(store: ProfileStore, query: QueryParams) -> dict[str, Any]:
    ns, ident = _required(query, "entityIdNS"), _required(query, "entityId")
    fields = _fields(query)
    with store.reader() as conn:
        profile_id = _resolve(conn, ns, ident)
        document = reader.profile_document(conn, profile_id, fields)
    if document is None:  # erased between the two reads
        raise ProfileNotFound(f"no profile for identity {ns}:{ident}")
    return {profile_id: document}


def _events(store: ProfileStore, query: QueryParams, path: str) -> dict[str, Any]:
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
        profile_id = _resolve(conn, ns, ident)
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


def _erase(store: ProfileStore, query: QueryParams) -> dict[str, Any]:
    schema = query.get("schema.name")
    if schema is not None and schema != PROFILE_SCHEMA:
        raise BadProfileRequest(f"schema.name must be {PROFILE_SCHEMA}")
    ns, ident = _required(query, "entityIdNS"), _required(query, "entityId")
    with store.writer() as conn:
        erased = erasure.erase(conn, ns, ident, store.now_ms())
    if erased is None:
        raise ProfileNotFound(f"no profile for identity {ns}:{ident}")
    return {
        "entityId": erased.profile_id,
        "erasedIdentities": [{"id": i, "namespace": {"code": n}} for n, i in erased.identities],
        "erasedEvents": erased.events,
        "erasedAt": reader.iso(erased.erased_ms),
    }


def _resolve(conn: Any, ns: str, ident: str) -> str:
    profile_id = reader.find_profile(conn, ns, ident)
    if profile_id is None:
        raise ProfileNotFound(f"no profile for identity {ns}:{ident}")
    if reader.identity_count(conn, profile_id) > MAX_IDENTITIES:
        raise TooManyIdentities(
            f"the identity graph of {ns}:{ident} links more than {MAX_IDENTITIES} identities"
        )
    return profile_id


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
