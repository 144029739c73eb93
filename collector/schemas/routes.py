"""``GET /schemas`` and ``GET /schemas/{id}``: the registry over HTTP (admin UI, users).

``GET /schemas`` lists every loaded schema (``?kind=schema`` for the dataset schemas);
``GET /schemas/{id}`` returns one schema document as written, or with ``?composed=true``
the closed document the validator uses (references inlined, field groups merged): the
field tree a mapping UI needs. The id is the schema's ``$id`` (slashes and all, or
percent-encoded), or a class's XDM id or short name (``_xdm.context.profile``).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from collector.errors import NotFound
from collector.guard import access
from collector.schemas.live import LiveRegistry
from collector.schemas.registry import SchemaRegistry
from collector.web.responses import json_response, problem_response


async def _list(request: Request) -> Response:
    # Every schema of the registry is a global one (files under COLLECTOR_SCHEMAS_DIR, no org
    # owns them), so each caller with the scope sees them all; tenant schemas: only its org's.
    principal = access.require(request, "schemas:read")
    registry: SchemaRegistry = request.app.state.registry
    kind = request.query_params.get("kind")
    summaries = [
        s
        for s in registry.summaries()
        if kind in (None, s["kind"]) and _visible(registry, principal.org_id, s["id"])
    ]
    return json_response({"schemas": summaries})


async def _show(request: Request) -> Response:
    principal = access.require(request, "schemas:read")
    registry: SchemaRegistry = request.app.state.registry
    schema_id = request.path_params["schema_id"]
    if not registry.knows(schema_id) or not _visible(registry, principal.org_id, schema_id):
        return problem_response(NotFound(f"Schema [{schema_id[:256]}] is not found"))
    composed = request.query_params.get("composed", "").lower() == "true"
    return json_response(registry.composed(schema_id) if composed else registry.schema(schema_id))


def _visible(registry: SchemaRegistry, org_id: str, schema_id: str) -> bool:
    return not isinstance(registry, LiveRegistry) or registry.visible_to(org_id, schema_id)


def routes() -> list[BaseRoute]:
    return [
        Route("/schemas", _list, methods=["GET"]),
        Route("/schemas/{schema_id:path}", _show, methods=["GET"]),
    ]
