"""The OpenAPI 3 document of the public HTTP API, written as data, served at ``/openapi.json``.

It follows CONTRACT.md: the ingestion routes and their aliases, CORS preflight, health, the
schema registry, monitoring, the tag library and the Profile Access API (component schemas in
collector/web/openapi_schemas.py). Only the operations whose route the running app serves are
listed, so the document never promises a route that is not wired.
``tests/guard/test_openapi.py`` runs schemathesis against a live server with it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from collector.control import seed
from collector.control.settings import Settings
from collector.ingest import edge_openapi
from collector.monitoring import debug_openapi, series_openapi
from collector.setup import openapi as setup_openapi
from collector.web import openapi_access
from collector.web.openapi_schemas import OBJECT, STRING, components, ref

_PARAM = re.compile(r"\{[^}]*\}")
_INGEST_PREFIXES = {"": "ingest", "/data/foundation/import": "alias"}


def _json(schema: dict[str, Any], description: str, **extra: Any) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": schema}},
        **extra,
    }


def _problem(description: str, **extra: Any) -> dict[str, Any]:
    content = {"application/problem+json": {"schema": ref("Problem")}}
    return {"description": description, "content": content, **extra}


def _param(name: str, where: str, description: str = "", **schema: Any) -> dict[str, Any]:
    """A parameter; ``required`` and ``example`` given in ``schema`` go to the parameter."""
    required = schema.pop("required", where == "path")
    example = schema.pop("example", None)
    param = {
        "name": name,
        "in": where,
        "required": required,
        "description": description,
        "schema": {"type": "string", **schema},
    }
    if example is not None:
        param["example"] = example
    return param


def _operation(operation_id: str, summary: str, tag: str, **rest: Any) -> dict[str, Any]:
    return {"operationId": operation_id, "summary": summary, "tags": [tag], **rest}


_INTEGER = {"type": "integer"}
_RATE_HEADERS = {
    "RateLimit-Limit": {"description": "Units of the budget per window.", "schema": _INTEGER},
    "RateLimit-Remaining": {"description": "Units left in the window.", "schema": _INTEGER},
    "RateLimit-Reset": {"description": "Seconds until a unit frees up.", "schema": _INTEGER},
}
_RETRY_AFTER = {
    "description": "Seconds to wait before retrying (at least 1).",
    "required": True,
    "schema": {"type": "integer", "minimum": 1},
}
_INLET_ERRORS = {
    "400": _problem("Unparseable body, unknown xdm format, wrong org, failed sync validation."),
    "401": _problem("The inlet requires a token; none or an invalid one was sent."),
    "403": _problem("The token belongs to another inlet, or the Origin is not allowed."),
    "404": _problem("Unknown inlet."),
    "408": _problem("The request body did not arrive in time."),
    "413": _problem("Body, decompressed body or batch over its limit."),
    "429": _problem(
        "A rate limit is exceeded.", headers={"Retry-After": _RETRY_AFTER, **_RATE_HEADERS}
    ),
    "503": _problem(
        "Storage is not writable, or the worker is busy (request bodies buffered, batch "
        "slots taken); retry after Retry-After, with back-off.",
        headers={"Retry-After": _RETRY_AFTER},
    ),
}
_INLET_ID = _param(
    "inletId", "path", "The inlet: 64 lowercase hex digits.", example="0123456789abcdef" * 4
)
_POST_PARAMETERS = [
    _INLET_ID,
    _param(
        "Authorization",
        "header",
        "`Bearer <token>` for inlets that require authentication; ignored by the others.",
    ),
    _param("Content-Encoding", "header", enum=["gzip", "x-gzip", "deflate", "identity"]),
]
_SYNC_PARAMETERS = [
    _param(name, "query", "`true` (any case): validate before acknowledging.")
    for name in ("syncValidation", "synchronousValidation")
]


def _example_message() -> dict[str, Any]:
    schema_ref = {
        "id": seed.WEB_EVENTS_SCHEMA,
        "contentType": "application/vnd.adobe.xed-full+json;version=1",
    }
    entity = {
        "_id": "example-1",
        "timestamp": "2026-11-22T10:00:00Z",
        "eventType": "web.webpagedetails.pageViews",
    }
    header = {
        "schemaRef": schema_ref,
        "imsOrgId": seed.DEMO_ORG,
        "datasetId": seed.WEB_EVENTS,
        "source": {"name": "example"},
    }
    return {"header": header, "body": {"xdmMeta": {"schemaRef": schema_ref}, "xdmEntity": entity}}


def _body(schema: dict[str, Any], example: Any) -> dict[str, Any]:
    text = {"type": "string", "description": "The same JSON sent as text/plain (beacons)."}
    return {
        "required": True,
        "content": {
            "application/json": {"schema": schema, "example": example},
            "text/plain": {"schema": text},
        },
    }


def _ingest_paths(prefix: str, tag: str) -> dict[str, Any]:
    preflight = {
        "parameters": [_INLET_ID],
        "responses": {
            "204": {"description": "CORS headers only for an allowed Origin."},
            "404": _INLET_ERRORS["404"],
        },
    }
    accepted = "Received; not necessarily valid (asynchronous validation)."
    single = _operation(
        f"{tag}Single",
        "Send one message.",
        tag,
        parameters=_POST_PARAMETERS + _SYNC_PARAMETERS,
        requestBody=_body(ref("Message"), _example_message()),
        responses={
            "200": _json(ref("SingleResponse"), accepted, headers=_RATE_HEADERS),
            **_INLET_ERRORS,
        },
    )
    batch = _operation(
        f"{tag}Batch",
        "Send a batch of messages.",
        tag,
        parameters=_POST_PARAMETERS,
        requestBody=_body(ref("Batch"), {"messages": [_example_message()]}),
        responses={
            "207": _json(
                ref("BatchResponse"),
                "Accepted; one entry per message, failed ones with a status.",
                headers=_RATE_HEADERS,
            ),
            **_INLET_ERRORS,
        },
    )
    cors = "CORS preflight for browser beacons (allowed origins are per inlet)."
    return {
        f"{prefix}/collection/{{inletId}}": {
            "post": single,
            "options": _operation(f"{tag}SinglePreflight", cors, tag, **preflight),
        },
        f"{prefix}/collection/batch/{{inletId}}": {
            "post": batch,
            "options": _operation(f"{tag}BatchPreflight", cors, tag, **preflight),
        },
    }


def _service_paths() -> dict[str, Any]:
    not_found = _problem("Not found.")
    schema_id = _param(
        "schemaId",
        "path",
        "A schema `$id`, or a class id or short name.",
        example=seed.WEB_EVENTS_SCHEMA,
    )
    library = {
        "description": "The library.",
        "content": {"application/javascript": {"schema": STRING}},
    }
    return {
        "/health": {
            "get": _operation(
                "health",
                "Liveness, and whether the lake takes writes.",
                "service",
                responses={
                    "200": _json(ref("Health"), "Up."),
                    "503": _problem(
                        "The lake is not writable (the reason is in the report); retry later.",
                        headers={"Retry-After": _RETRY_AFTER},
                    ),
                },
            )
        },
        "/openapi.json": {
            "get": _operation(
                "openapi",
                "This document.",
                "service",
                responses={"200": _json(OBJECT, "OpenAPI 3.")},
            )
        },
        "/schemas": {
            "get": _operation(
                "listSchemas",
                "The schemas of the registry.",
                "schemas",
                parameters=[_param("kind", "query", "Only this kind (`schema`: dataset schemas).")],
                responses={"200": _json(ref("SchemaList"), "Schema summaries.")},
            )
        },
        "/schemas/{schemaId}": {
            "get": _operation(
                "showSchema",
                "One schema as written, or composed with `composed=true`.",
                "schemas",
                parameters=[schema_id, _param("composed", "query")],
                responses={"200": _json(OBJECT, "A JSON Schema."), "404": not_found},
            )
        },
        "/monitoring/datasets": {
            "get": _operation(
                "datasetCounts",
                "Accepted and failed messages per dataset (lake lines).",
                "monitoring",
                responses={"200": _json(ref("DatasetCounts"), "Counts.")},
            )
        },
        "/tags/{propertyId}/{environment}.js": {
            "get": _operation(
                "tagLibrary",
                "The published tag library of a property's environment.",
                "tag",
                parameters=[
                    _param("propertyId", "path"),
                    _param("environment", "path", enum=["development", "staging", "production"]),
                    _param("If-None-Match", "header"),
                ],
                responses={
                    "200": library,
                    "304": {"description": "Not modified (ETag)."},
                    "404": not_found,
                },
            )
        },
    }


def _profile_paths() -> dict[str, Any]:
    lookup = [
        _param(
            "schema.name",
            "query",
            "`_xdm.context.profile` or `_xdm.context.experienceevent`.",
            example="_xdm.context.profile",
        ),
        _param("entityId", "query", "Identity value (profile lookup)."),
        _param("entityIdNS", "query", "Identity namespace (profile lookup), e.g. `ECID`."),
        _param("relatedSchema.name", "query", "`_xdm.context.profile` (event lookup)."),
        _param("relatedEntityId", "query", "Identity value (event lookup)."),
        _param("relatedEntityIdNS", "query", "Identity namespace (event lookup)."),
        _param("startTime", "query", "Events from this time (ms since the epoch)."),
        _param("endTime", "query", "Events before this time (ms since the epoch)."),
        _param("limit", "query", "Events per page, 1 to 1000."),
        _param("orderby", "query", "`timestamp`, `+timestamp` or `-timestamp`."),
        _param("start", "query", "Page cursor (from `_links.next.href`)."),
        _param("fields", "query", "Comma-separated fields to return."),
    ]
    org = [
        _param(
            "x-gw-ims-org-id", "header", "The caller's org: only its data is seen.", required=True
        ),
    ]
    job = _json(
        {"type": "object", "required": ["jobId", "status"], "additionalProperties": True},
        "A privacy job (the shape of AEP Privacy Service jobs).",
    )
    bad, missing = _problem("Missing or invalid parameter."), _problem("No such profile.")
    found = _json(
        {"anyOf": [ref("EventPage"), ref("Profiles")]},
        "The profile keyed by its id, or a page of its events.",
    )
    too_many = _problem("The identity graph links more than 50 identities.")
    return {
        "/data/core/ups/access/entities": {
            "get": _operation(
                "profileLookup",
                "A merged profile, or a page of its events.",
                "profile",
                parameters=[*lookup, *org],
                responses={"200": found, "400": bad, "404": missing, "422": too_many},
            ),
            "delete": _operation(
                "profileErase",
                "Erase a person (their identity graph): a privacy job, run in the background.",
                "profile",
                parameters=[*lookup[:3], *org],
                responses={"202": job, "400": bad},
            ),
        },
        "/data/core/privacy/jobs": {
            "get": _operation(
                "privacyJobs",
                "The caller's privacy jobs, newest first.",
                "profile",
                parameters=[_param("size", "query", "Jobs to return, 1 to 1000."), *org],
                responses={
                    "200": _json(
                        {"type": "object", "required": ["jobs"], "additionalProperties": True},
                        "The jobs.",
                    ),
                    "400": bad,
                },
            )
        },
        "/data/core/privacy/jobs/{jobId}": {
            "get": _operation(
                "privacyJob",
                "One privacy job of the caller's org.",
                "profile",
                parameters=[_param("jobId", "path", "The job id."), *org],
                responses={"200": job, "400": bad, "404": _problem("No such job.")},
            )
        },
    }


def document(settings: Settings, routes: Iterable[BaseRoute] | None = None) -> dict[str, Any]:
    """The OpenAPI document; with ``routes``, only the operations those routes serve."""
    paths: dict[str, Any] = {}
    for prefix, tag in _INGEST_PREFIXES.items():
        paths |= _ingest_paths(prefix, tag)
    paths |= _service_paths() | _profile_paths() | openapi_access.token_paths()
    paths |= debug_openapi.paths() | edge_openapi.paths(settings.edge_base_path)
    paths |= series_openapi.paths() | setup_openapi.paths()
    openapi_access.protect(paths)
    if routes is not None:
        served = _served(routes)
        paths = {
            path: operations
            for path, item in paths.items()
            if (operations := {m: o for m, o in item.items() if m in served.get(_shape(path), ())})
        }
    description = (
        "AEP-compatible streaming ingestion (the Data Collection Core Service contract), the "
        "schema registry, monitoring, the tag and the Profile Access API."
    )
    return {
        "openapi": "3.0.3",
        "info": {"title": "xdm-collector", "version": "1", "description": description},
        "paths": paths,
        "components": components(settings) | {"securitySchemes": openapi_access.SECURITY_SCHEMES},
    }


def _shape(path: str) -> str:
    """A path with its parameters blanked: ``/schemas/{schema_id:path}`` -> ``/schemas/{}``."""
    return _PARAM.sub("{}", path)


def _served(routes: Iterable[BaseRoute]) -> dict[str, set[str]]:
    served: dict[str, set[str]] = {}
    for route in routes:
        if isinstance(route, Route) and route.methods:
            served.setdefault(_shape(route.path), set()).update(m.lower() for m in route.methods)
    return served


async def _openapi(request: Request) -> Response:
    state = request.app.state
    cached: bytes | None = getattr(state, "openapi_document", None)
    if cached is None:
        cached = orjson.dumps(document(state.settings, request.app.routes))
        state.openapi_document = cached
    return Response(cached, media_type="application/json")


def routes() -> list[BaseRoute]:
    return [Route("/openapi.json", _openapi, methods=["GET"])]
