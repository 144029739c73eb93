"""The Identity Service API: namespaces (``/data/core/idnamespace``), XIDs and the identity
graph (``/data/core/identity``), answered from the profile store's graph of the caller's org.

An XID here is the URL-safe base64 of ``<namespace code, lower case>\\x1f<id>``: it names an
identity, not a row, so it can be computed for any identity and turned back into one. A
cluster is one profile's identity graph (collector/profile/graph.py).
"""

from __future__ import annotations

import base64
import binascii
import sqlite3
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from collector.control.plane import ControlPlane
from collector.errors import BadRequest, NotFound
from collector.guard import access
from collector.guard.access import Principal
from collector.profile import reader
from collector.profile.identities import SANDBOX, normalise_namespace
from collector.profile.store import ProfileStore
from collector.setup import namespaces
from collector.setup.http import json_object, text
from collector.setup.namespaces import Namespace, NamespaceError
from collector.web.responses import json_response

NAMESPACES = "/data/core/idnamespace/identities"
IDENTITY = "/data/core/identity"
MAX_XIDS = 1000


def xid_of(code: str, identity_id: str) -> str:
    raw = f"{normalise_namespace(code)}\x1f{identity_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def parse_xid(xid: str) -> tuple[str, str]:
    try:
        raw = base64.urlsafe_b64decode(xid + "=" * (-len(xid) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadRequest(f"[{xid[:64]}] is not an XID") from None
    code, sep, identity_id = raw.partition("\x1f")
    if not sep or not code or not identity_id:
        raise BadRequest(f"[{xid[:64]}] is not an XID")
    return code, identity_id


def _control(request: Request) -> ControlPlane:
    control: ControlPlane = request.app.state.control
    return control


# -- namespaces -----------------------------------------------------------------------------


async def _namespaces(request: Request) -> Response:
    principal = access.require(request, "schemas:read")
    found = namespaces.all_of(_control(request).db, principal.org_id)
    return json_response([n.to_json() for n in found])


async def _namespace(request: Request) -> Response:
    principal = access.require(request, "schemas:read")
    raw = request.path_params["ns_id"]
    db = _control(request).db
    numeric = raw.isascii() and raw.isdigit() and len(raw) <= 12
    found = namespaces.by_id(db, principal.org_id, int(raw)) if numeric else None
    found = found or namespaces.by_code(db, principal.org_id, raw)
    if found is None:
        raise NotFound(f"Namespace [{raw[:64]}] is not found")
    return json_response(found.to_json())


async def _create_namespace(request: Request) -> Response:
    principal = access.require(request, "schemas:write")
    data = await json_object(request)
    try:
        made = namespaces.create(
            _control(request).db,
            principal.org_id,
            code=text(data, "code", required=True, limit=64),
            name=text(data, "name", required=True, limit=256),
            id_type=text(data, "idType", required=True, limit=32),
            description=text(data, "description", limit=2048),
        )
    except NamespaceError as exc:
        raise BadRequest(str(exc)) from None
    return json_response(made.to_json())


# -- identities and clusters ----------------------------------------------------------------


def _namespace_of(request: Request, principal: Principal, params: Any) -> Namespace:
    """The namespace named by ``nsId``/``nsid`` (number) or ``ns``/``namespace`` (code)."""
    db = _control(request).db
    ns_id = params.get("nsId", params.get("nsid"))
    if ns_id is not None:
        if not (str(ns_id).isascii() and str(ns_id).isdigit()) or len(str(ns_id)) > 12:
            raise BadRequest(f"nsId must be a number, got [{str(ns_id)[:32]}]")
        found = namespaces.by_id(db, principal.org_id, int(ns_id))
    else:
        code = params.get("ns", params.get("namespace"))
        if not isinstance(code, str) or not code:
            raise BadRequest("An identity needs its namespace: nsId, or ns (its code)")
        found = namespaces.by_code(db, principal.org_id, code)
    if found is None:
        raise BadRequest("Unknown identity namespace")
    return found


def _identity_of(request: Request, principal: Principal, params: Any) -> tuple[str, str]:
    """(namespace code, id) from ``xid``, or from ``id`` with its namespace."""
    xid = params.get("xid")
    if xid is not None:
        if not isinstance(xid, str):
            raise BadRequest("xid must be a string")
        return parse_xid(xid)
    identity_id = params.get("id")
    if not isinstance(identity_id, str) or not identity_id:
        raise BadRequest("An identity is an xid, or an id with nsId or ns")
    return _namespace_of(request, principal, params).code, identity_id


def _codes(request: Request, principal: Principal) -> dict[str, Namespace]:
    """The org's namespaces by lower-cased code (one query per request)."""
    found = namespaces.all_of(_control(request).db, principal.org_id)
    return {n.code.lower(): n for n in found}


def _member(codes: dict[str, Namespace], code: str, identity_id: str) -> Any:
    ns = codes.get(code.lower())
    return {
        "xid": xid_of(code, identity_id),
        "id": identity_id,
        "nsid": ns.id if ns is not None else None,
        "namespace": {"code": ns.code if ns is not None else code},
    }


def _cluster(
    conn: sqlite3.Connection, org_id: str, code: str, identity_id: str
) -> tuple[str, list[tuple[str, str]], int] | None:
    """(profile id, [(code, id)], last change) of the identity's graph, or None."""
    profile_id = reader.find_profile(conn, org_id, code, identity_id)
    if profile_id is None:
        return None
    rows = conn.execute(
        "SELECT namespace, id, first_seen_ms FROM identities WHERE org_id = ? AND sandbox = ?"
        " AND profile_id = ? ORDER BY first_seen_ms, namespace, id",
        (org_id, SANDBOX, profile_id),
    ).fetchall()
    last = max((int(r[2]) for r in rows), default=0)
    return profile_id, [(str(r[0]), str(r[1])) for r in rows], last


def _profiles(request: Request) -> ProfileStore:
    store: ProfileStore = request.app.state.profiles
    return store


def _read_cluster(
    request: Request, org_id: str, code: str, identity_id: str
) -> tuple[str, list[tuple[str, str]], int] | None:
    with _profiles(request).reader() as conn:
        return _cluster(conn, org_id, code, identity_id)


async def _xid(request: Request) -> Response:
    principal = access.require(request, "profile:read")
    params = request.query_params
    code, identity_id = _identity_of(request, principal, params)
    return json_response({"xid": xid_of(code, identity_id)})


async def _members(request: Request) -> Response:
    principal = access.require(request, "profile:read")
    code, identity_id = _identity_of(request, principal, request.query_params)
    found = await run_in_threadpool(_read_cluster, request, principal.org_id, code, identity_id)
    if found is None:
        raise NotFound("The identity is not in the org's identity graph")
    _, members, last = found
    codes = _codes(request, principal)
    return json_response(
        {
            "xid": {"xid": xid_of(code, identity_id)},
            "members": [_member(codes, c, i) for c, i in members],
            "lastModifiedAt": last,
        }
    )


def _read_history(request: Request, org_id: str, code: str, identity_id: str) -> Any:
    with _profiles(request).reader() as conn:
        profile_id = reader.find_profile(conn, org_id, code, identity_id)
        if profile_id is None:
            return None
        rows = conn.execute(
            "SELECT merged_ms, kind, from_profile_id, into_profile_id, identity_count,"
            " dataset_id FROM profile_merges WHERE org_id = ? AND sandbox = ?"
            " AND (into_profile_id = ? OR profile_id = ?) ORDER BY seq",
            (org_id, SANDBOX, profile_id, profile_id),
        ).fetchall()
    return profile_id, rows


async def _history(request: Request) -> Response:
    principal = access.require(request, "profile:read")
    code, identity_id = _identity_of(request, principal, request.query_params)
    found = await run_in_threadpool(_read_history, request, principal.org_id, code, identity_id)
    if found is None:
        raise NotFound("The identity is not in the org's identity graph")
    profile_id, rows = found
    history = [
        {
            "mergedAt": r[0],
            "kind": r[1],
            "fromClusterId": r[2],
            "intoClusterId": r[3],
            "identityCount": r[4],
            "datasetId": r[5],
        }
        for r in rows
    ]
    return json_response(
        {"xid": {"xid": xid_of(code, identity_id)}, "clusterId": profile_id, "history": history}
    )


async def _graph(request: Request) -> Response:
    """``POST /identity/v2/graph``: the linked identities of each composite XID asked for."""
    principal = access.require(request, "profile:read")
    data = await json_object(request)
    asked = data.get("composite_xid", data.get("xids"))
    if isinstance(asked, (dict, str)):
        asked = [asked]
    if not isinstance(asked, list) or not asked or len(asked) > MAX_XIDS:
        raise BadRequest(f"composite_xid must list 1 to {MAX_XIDS} identities")
    projection = data.get("projection_type", "set")
    if projection not in ("set", "graph"):
        raise BadRequest("projection_type must be set or graph")
    wanted = []
    for item in asked:
        params = {"xid": item} if isinstance(item, str) else item
        if not isinstance(params, dict):
            raise BadRequest("Each identity is an xid or {id, nsid | ns}")
        wanted.append(_identity_of(request, principal, params))
    clusters = await run_in_threadpool(_read_clusters, request, principal.org_id, wanted)
    graphs = []
    codes = _codes(request, principal)
    for (code, identity_id), found in zip(wanted, clusters, strict=True):
        members = [] if found is None else found[1]
        graphs.append(
            {
                "xid": xid_of(code, identity_id),
                "composite_xid": _member(codes, code, identity_id),
                "projection_type": projection,
                "identities": [_member(codes, c, i) for c, i in members],
            }
        )
    return json_response({"version": "v2", "graphs": graphs})


def _read_clusters(request: Request, org_id: str, wanted: list[tuple[str, str]]) -> list[Any]:
    with _profiles(request).reader() as conn:
        return [_cluster(conn, org_id, code, identity_id) for code, identity_id in wanted]


def routes() -> list[BaseRoute]:
    return [
        Route(NAMESPACES, _namespaces, methods=["GET"]),
        Route(NAMESPACES, _create_namespace, methods=["POST"]),
        Route(f"{NAMESPACES}/{{ns_id}}", _namespace, methods=["GET"]),
        Route(f"{IDENTITY}/identity", _xid, methods=["GET"]),
        Route(f"{IDENTITY}/cluster/members", _members, methods=["GET"]),
        Route(f"{IDENTITY}/cluster/history", _history, methods=["GET"]),
        Route(f"{IDENTITY}/v2/graph", _graph, methods=["POST"]),
    ]
