"""Ingestion routes: thin glue from HTTP to the pipeline (collector/ingest/pipeline.py)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from collector.errors import InletNotFound
from collector.guard import cors
from collector.ingest.pipeline import Pipeline
from collector.web.responses import problem_response

_PREFIXES = ("", "/data/foundation/import")


async def _single(request: Request) -> Response:
    pipeline: Pipeline = request.app.state.pipeline
    return await pipeline.ingest(request, batch=False)


async def _batch(request: Request) -> Response:
    pipeline: Pipeline = request.app.state.pipeline
    return await pipeline.ingest(request, batch=True)


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
