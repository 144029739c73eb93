"""The Schema Registry API's global container (``/data/foundation/schemaregistry/global``):
classes, field groups (also as ``mixins``, their older name), data types, behaviors and the
registry's dataset schemas, read-only, from the loaded registry.

Lists answer ``{"results", "_page", "_links"}``; ``Accept`` picks the form, as in AEP:
``application/vnd.adobe.xed-id+json`` (the default) lists ``$id``, ``meta:altId``, ``version``
and ``title``, ``application/vnd.adobe.xed+json`` whole documents. One resource comes as
written, or composed (references resolved, field groups merged) with
``application/vnd.adobe.xed-full+json``. The ``xdm`` spellings aepp sends count the same.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from collector.errors import NotFound
from collector.guard import access
from collector.schemas.live import LiveRegistry
from collector.schemas.registry import SchemaRegistry
from collector.setup.http import int_param
from collector.web.responses import json_response

BASE = "/data/foundation/schemaregistry"
KINDS = {
    "classes": "class",
    "fieldgroups": "fieldgroup",
    "mixins": "fieldgroup",
    "datatypes": "datatype",
    "behaviors": "behavior",
    "schemas": "schema",
}
MEDIA = "application/vnd.adobe.xed+json; version=1"


def _registry(request: Request) -> SchemaRegistry:
    registry: SchemaRegistry = request.app.state.registry
    return registry


def _tenant(registry: SchemaRegistry, schema_id: str) -> bool:
    return isinstance(registry, LiveRegistry) and registry.owner_dir(schema_id) is not None


def _form(request: Request) -> str:
    """``id``, ``full`` or ``xed`` from the Accept header."""
    accept = request.headers.get("accept", "").lower()
    if "-full" in accept:
        return "full"
    if "-id+json" in accept:
        return "id"
    if "xed+json" in accept or "xdm+json" in accept:
        return "xed"
    return "default"


def alt_id(document: dict[str, Any]) -> str:
    """The document's ``meta:altId``, or one made from its ``$id``'s path (AEP gives every
    resource one; clients such as aepp index by it)."""
    given = document.get("meta:altId")
    if isinstance(given, str) and given:
        return given
    segments = [s for s in urlsplit(str(document["$id"])).path.split("/") if s]
    return "_xdmcollector." + ".".join(segments)


def _with_meta(document: dict[str, Any], resource_id: str) -> dict[str, Any]:
    document = {"$id": resource_id, **document}  # a composed document may carry none
    return {
        **document,
        "meta:altId": alt_id(document),
        "version": str(document.get("version", "1.0")),
    }


def _summary(document: dict[str, Any]) -> dict[str, Any]:
    return {
        "$id": document["$id"],
        "meta:altId": alt_id(document),
        "version": str(document.get("version", "1.0")),
        "title": document.get("title", ""),
    }


async def _list(request: Request) -> Response:
    access.require(request, "schemas:read")
    kind = KINDS.get(request.path_params["kind"])
    if kind is None:
        raise NotFound(f"No resource type [{request.path_params['kind'][:32]}] in the registry")
    registry = _registry(request)
    limit = int_param(request, "limit", 300, low=1, high=1000)
    start = int_param(request, "start", 0, low=0, high=10**9)
    ids = [f.id for f in registry.files() if f.kind == kind and not _tenant(registry, f.id)]
    ids.sort(key=lambda i: (str(registry.schema(i).get("title", "")), i))
    page = ids[start : start + limit]
    whole = _form(request) in ("xed", "full")
    results = [
        _with_meta(registry.composed(i) if _form(request) == "full" else registry.schema(i), i)
        if whole
        else _summary(registry.schema(i))
        for i in page
    ]
    return paged(results, start=start, limit=limit, total=len(ids), path=request.url.path)


def paged(
    results: list[dict[str, Any]], *, start: int, limit: int, total: int, path: str
) -> Response:
    """One page of a registry listing, with AEP's ``_page`` and ``_links.next``."""
    more = start + limit < total
    next_start = str(start + limit) if more else None
    links: dict[str, Any] = {}
    if more:
        links["next"] = {"href": f"{path}?start={next_start}&limit={limit}"}
    body = {
        "results": results,
        "_page": {"orderby": "title", "next": next_start, "count": len(results)},
        "_links": links,
    }
    return json_response(body, headers={"Content-Type": MEDIA})


async def _show(request: Request) -> Response:
    if request.path_params["resource_id"] == "":  # aepp asks for ``/global/classes/``
        return await _list(request)
    access.require(request, "schemas:read")
    kind = KINDS.get(request.path_params["kind"])
    wanted = unquote(request.path_params["resource_id"])
    registry = _registry(request)
    if kind is None or not registry.knows(wanted) or registry.kind(wanted) != kind:
        raise NotFound(f"Resource [{wanted[:256]}] is not found")
    if _tenant(registry, wanted):  # served under /tenant/schemas, to its org only
        raise NotFound(f"Resource [{wanted[:256]}] is not found")
    full = _form(request) == "full"
    canonical = str(registry.schema(wanted)["$id"])
    document = registry.composed(wanted) if full else registry.schema(wanted)
    return json_response(_with_meta(document, canonical), headers={"Content-Type": MEDIA})


def routes() -> list[BaseRoute]:
    return [
        Route(f"{BASE}/global/{{kind}}", _list, methods=["GET"]),
        Route(f"{BASE}/global/{{kind}}/{{resource_id:path}}", _show, methods=["GET"]),
    ]
