"""Ingestion routes: the HTTP adapter over the pipeline (collector/ingest/pipeline.py).

Per request: look up the inlet (its CORS headers), turn the head into an ``IngestRequest``,
let the pipeline pull the body through an ``Upload`` (limit, deadline, the worker's
buffered-bytes budget), and render the pipeline's ``Result``.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from collector.errors import InletNotFound
from collector.guard import cors
from collector.ingest.pipeline import Pipeline
from collector.ingest.receiver import Upload
from collector.ingest.request import IngestRequest, sync_flag
from collector.web.responses import JSONResponse, problem_response

_PREFIXES = ("", "/data/foundation/import")


async def _single(request: Request) -> Response:
    return await _ingest(request, batch=False)


async def _batch(request: Request) -> Response:
    return await _ingest(request, batch=True)


async def _ingest(request: Request, *, batch: bool) -> Response:
    state = request.app.state
    pipeline: Pipeline = state.pipeline
    inlet_id = request.path_params["inlet_id"]
    inlet = state.control.inlet(inlet_id)
    head, declared = _head(request, inlet_id, batch)
    upload = Upload(request.receive, declared, pipeline.settings, state.bodies)
    try:
        result = await pipeline.ingest(inlet, head, upload.read, batch=batch)
    finally:
        upload.release()
    return JSONResponse(
        result.body,
        status_code=result.status,
        headers={**cors.headers(inlet, request), **result.headers},
        media_type=result.media_type,
    )


def _head(request: Request, inlet_id: str, batch: bool) -> tuple[IngestRequest, str | None]:
    """The request head as data, and the declared ``Content-Length``: one pass over the
    raw header list (names arrive lower-cased)."""
    found: dict[bytes, str] = {}
    for name, value in request.scope["headers"]:
        if name in _WANTED and name not in found:
            found[name] = value.decode("latin-1")
    sync_key, sync = None, False
    if not batch and request.scope.get("query_string"):
        sync_key, sync = sync_flag(request.query_params.multi_items())
    client = request.scope.get("client")
    head = IngestRequest(
        inlet_id=inlet_id,
        content_type=found.get(b"content-type"),
        content_encoding=found.get(b"content-encoding"),
        authorization=found.get(b"authorization"),
        origin=found.get(b"origin"),
        client_ip=client[0] if client else None,
        user_agent=found.get(b"user-agent"),
        sync_key=sync_key,
        sync=sync,
    )
    return head, found.get(b"content-length")


_WANTED = frozenset(
    (
        b"content-type",
        b"content-encoding",
        b"content-length",
        b"authorization",
        b"origin",
        b"user-agent",
    )
)


async def _preflight(request: Request) -> Response:
    inlet_id = request.path_params["inlet_id"]
    inlet = request.app.state.control.inlet(inlet_id)
    if inlet is None:
        return problem_response(InletNotFound("Inlet is not found", inlet_id=inlet_id))
    return cors.preflight(inlet, request)


def routes() -> list[BaseRoute]:
    found: list[BaseRoute] = []
    for prefix in _PREFIXES:
        found += [
            Route(prefix + "/collection/batch/{inlet_id}", _batch, methods=["POST"]),
            Route(prefix + "/collection/batch/{inlet_id}", _preflight, methods=["OPTIONS"]),
            Route(prefix + "/collection/{inlet_id}", _single, methods=["POST"]),
            Route(prefix + "/collection/{inlet_id}", _preflight, methods=["OPTIONS"]),
        ]
    return found
