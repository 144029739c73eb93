"""Ingestion routes: the HTTP adapter over the pipeline (collector/ingest/pipeline.py).

The four streaming POST routes are raw ASGI endpoints (``Streaming``): no Starlette
``Request``/``Response`` objects on the hot path. Per request: look up the inlet, turn the
raw header list into an ``IngestRequest``, let the pipeline pull the body through an
``Upload`` (limit, deadline, the worker's buffered-bytes budget), and send the pipeline's
``Result`` as two ASGI messages. The CORS headers of an (inlet origins, Origin) pair are
computed once and cached (``answer``). The preflights are ordinary Starlette endpoints.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from collector.errors import InletNotFound
from collector.guard import cors
from collector.ingest.answer import send_result
from collector.ingest.pipeline import Pipeline
from collector.ingest.receiver import Upload
from collector.ingest.request import IngestRequest, sync_flag
from collector.web.responses import problem_response

_PREFIXES = ("", "/data/foundation/import")


class Streaming:
    """The raw ASGI endpoint of ``/collection/{inlet_id}`` (or of the batch route)."""

    __slots__ = ("batch",)

    def __init__(self, *, batch: bool) -> None:
        self.batch = batch

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        batch = self.batch
        state = scope["app"].state
        pipeline: Pipeline = state.pipeline
        inlet_id: str = scope["path_params"]["inlet_id"]
        inlet = state.control.inlet(inlet_id)
        head, declared = _head(scope, inlet_id, batch)
        upload = Upload(receive, declared, pipeline.settings, state.bodies)
        try:
            result = await pipeline.ingest(inlet, head, upload.read, batch=batch)
        finally:
            upload.release()
        await send_result(send, result, inlet, head.origin)


def _head(scope: Scope, inlet_id: str, batch: bool) -> tuple[IngestRequest, str | None]:
    """The request head as data, and the declared ``Content-Length``: one pass over the
    raw header list (names arrive lower-cased)."""
    found: dict[bytes, str] = {}
    for name, value in scope["headers"]:
        if name in _WANTED and name not in found:
            found[name] = value.decode("latin-1")
    sync_key, sync = None, False
    if not batch and scope.get("query_string"):
        sync_key, sync = sync_flag(Request(scope).query_params.multi_items())
    client = scope.get("client")
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


SINGLE = Streaming(batch=False)
BATCH = Streaming(batch=True)


def routes() -> list[BaseRoute]:
    found: list[BaseRoute] = []
    for prefix in _PREFIXES:
        found += [
            Route(prefix + "/collection/batch/{inlet_id}", BATCH, methods=["POST"]),
            Route(prefix + "/collection/batch/{inlet_id}", _preflight, methods=["OPTIONS"]),
            Route(prefix + "/collection/{inlet_id}", SINGLE, methods=["POST"]),
            Route(prefix + "/collection/{inlet_id}", _preflight, methods=["OPTIONS"]),
        ]
    return found
