"""Streaming connections: Flow Service ``/data/foundation/flowservice/connections`` with the
HTTP API streaming spec, and the older inlet API ``/data/core/edge/inlet``.

Both are doors to the control plane's inlets (``collector inlets`` is a third): creating a
connection creates an inlet, deleting one deletes it. A connection's id is a UUID made from
the first half of its inlet's id, so no second table is needed. An inlet has no default
dataset here: each message names its dataset in ``header.datasetId``, as AEP's do.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from collector.control.plane import INLET_ID, ControlPlane, ControlPlaneError, Inlet
from collector.errors import BadRequest, NotFound
from collector.guard import access
from collector.guard.access import Principal
from collector.setup.http import flag, int_param, json_object, text
from collector.web.responses import json_response

FLOW = "/data/foundation/flowservice"
LEGACY = "/data/core/edge/inlet"
STREAMING_SPEC = "bc7b00d6-623a-4dfc-9fdb-f1240aeadaeb"
STREAMING_PROVIDER = "521eee4d-8cbe-4906-bb48-fb6bd4450033"
DATA_TYPES = ("xdm",)


def connection_id(inlet: Inlet) -> str:
    return str(uuid.UUID(hex=inlet.id[:32]))


def _ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)


def inlet_url(request: Request, inlet: Inlet) -> str:
    return f"{request.app.state.settings.public_url}/collection/{inlet.id}"


def connection_json(request: Request, inlet: Inlet) -> dict[str, Any]:
    created = _ms(inlet.created_at)
    return {
        "id": connection_id(inlet),
        "createdAt": created,
        "updatedAt": created,
        "name": inlet.name,
        "description": inlet.description,
        "imsOrgId": inlet.org_id,
        "sandboxName": access.SANDBOX,
        "providerId": STREAMING_PROVIDER,
        "connectionSpec": {"id": STREAMING_SPEC, "version": "1.0"},
        "state": "enabled",
        "auth": {
            "specName": "Streaming Connection",
            "params": {
                "sourceId": inlet.source_name,
                "inletId": inlet.id,
                "inletUrl": inlet_url(request, inlet),
                "dataType": "xdm",
                "name": inlet.name,
                "authenticationRequired": inlet.auth_required,
            },
        },
        "etag": f'"{inlet.id[:16]}"',
    }


def inlet_json(request: Request, inlet: Inlet) -> dict[str, Any]:
    return {
        "inletId": inlet.id,
        "inletUrl": inlet_url(request, inlet),
        "imsOrg": inlet.org_id,
        "sourceId": inlet.source_name,
        "dataType": "xdm",
        "name": inlet.name,
        "description": inlet.description,
        "authenticationRequired": inlet.auth_required,
        "createdDate": _ms(inlet.created_at),
        "modifiedDate": _ms(inlet.created_at),
    }


def _control(request: Request) -> ControlPlane:
    control: ControlPlane = request.app.state.control
    return control


def _by_connection(request: Request, principal: Principal, wanted: str) -> Inlet:
    for inlet in _control(request).inlets(principal.org_id):
        if connection_id(inlet) == wanted.lower():
            return inlet
    raise NotFound(f"Connection [{wanted[:64]}] is not found")


def _by_inlet(request: Request, principal: Principal, inlet_id: str) -> Inlet:
    inlet = _control(request).inlet(inlet_id) if INLET_ID.match(inlet_id) else None
    if inlet is None or inlet.org_id != principal.org_id:
        raise NotFound(f"Inlet [{inlet_id[:64]}] is not found")
    return inlet


def _create(
    request: Request, principal: Principal, params: dict[str, Any], name: str, description: str
) -> Inlet:
    data_type = params.get("dataType", "xdm")
    if data_type not in DATA_TYPES:
        raise BadRequest(f"dataType [{str(data_type)[:32]}] is not supported: only xdm is")
    source_id = text(params, "sourceId", limit=256) or name
    try:
        return _control(request).create_inlet(
            org_id=principal.org_id,
            name=name,
            description=description,
            source_name=source_id,
            auth_required=bool(flag(params, "authenticationRequired")),
            actor=principal.actor,
        )
    except ControlPlaneError as exc:
        raise BadRequest(str(exc)) from None


def _delete(request: Request, principal: Principal, inlet: Inlet) -> None:
    _control(request).delete_inlet(inlet.id, actor=principal.actor)


# -- Flow Service ---------------------------------------------------------------------------


async def _flow_create(request: Request) -> Response:
    principal = access.require(request, "connections:write")
    data = await json_object(request)
    spec = data.get("connectionSpec")
    if not isinstance(spec, dict) or spec.get("id") != STREAMING_SPEC:
        raise BadRequest(
            f"connectionSpec.id must be {STREAMING_SPEC}: only HTTP API streaming connections"
        )
    auth = data.get("auth", {})
    params = auth.get("params", {}) if isinstance(auth, dict) else None
    if not isinstance(params, dict):
        raise BadRequest("auth.params must be an object")
    name = text(data, "name", required=True, limit=256)
    inlet = _create(request, principal, params, name, text(data, "description", limit=2048))
    found = connection_json(request, inlet)
    location = f"{FLOW}/connections/{found['id']}"
    return json_response({"id": found["id"], "etag": found["etag"]}, 201, {"Location": location})


async def _flow_list(request: Request) -> Response:
    principal = access.require(request, "connections:read")
    limit = int_param(request, "limit", 100, low=1, high=1000)
    inlets = _control(request).inlets(principal.org_id)[:limit]
    items = [connection_json(request, inlet) for inlet in inlets]
    return json_response({"items": items, "_links": {}})


async def _flow_show(request: Request) -> Response:
    principal = access.require(request, "connections:read")
    inlet = _by_connection(request, principal, request.path_params["connection_id"])
    return json_response({"items": [connection_json(request, inlet)]})


async def _flow_delete(request: Request) -> Response:
    principal = access.require(request, "connections:write")
    inlet = _by_connection(request, principal, request.path_params["connection_id"])
    _delete(request, principal, inlet)
    return Response(status_code=204)


# -- the inlet API --------------------------------------------------------------------------


async def _inlet_create(request: Request) -> Response:
    principal = access.require(request, "connections:write")
    data = await json_object(request)
    name = text(data, "name", required=True, limit=256)
    inlet = _create(request, principal, data, name, text(data, "description", limit=2048))
    location = f"{LEGACY}/{inlet.id}"
    return json_response(inlet_json(request, inlet), 201, {"Location": location})


async def _inlet_list(request: Request) -> Response:
    principal = access.require(request, "connections:read")
    inlets = _control(request).inlets(principal.org_id)
    return json_response({"items": [inlet_json(request, inlet) for inlet in inlets]})


async def _inlet_show(request: Request) -> Response:
    principal = access.require(request, "connections:read")
    inlet = _by_inlet(request, principal, request.path_params["inlet_id"])
    return json_response(inlet_json(request, inlet))


async def _inlet_delete(request: Request) -> Response:
    principal = access.require(request, "connections:write")
    inlet = _by_inlet(request, principal, request.path_params["inlet_id"])
    _delete(request, principal, inlet)
    return Response(status_code=204)


def routes() -> list[BaseRoute]:
    return [
        Route(f"{FLOW}/connections", _flow_list, methods=["GET"]),
        Route(f"{FLOW}/connections", _flow_create, methods=["POST"]),
        Route(f"{FLOW}/connections/{{connection_id}}", _flow_show, methods=["GET"]),
        Route(f"{FLOW}/connections/{{connection_id}}", _flow_delete, methods=["DELETE"]),
        Route(LEGACY, _inlet_list, methods=["GET"]),
        Route(LEGACY, _inlet_create, methods=["POST"]),
        Route(f"{LEGACY}/{{inlet_id}}", _inlet_show, methods=["GET"]),
        Route(f"{LEGACY}/{{inlet_id}}", _inlet_delete, methods=["DELETE"]),
    ]
