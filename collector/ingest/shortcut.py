"""A shortcut to the streaming POST routes, past the exception middleware and the router.

``Shortcut`` sits inside the observing middleware (the request is still timed, counted and
logged) and matches the four streaming POST routes (``routes.routes``) itself, with string
tests instead of the router's trial of regular expressions: a match goes straight to its raw
ASGI endpoint with the scope the router would have given it (``endpoint``, ``path_params``).
Anything else (another method, another path, a ``root_path``) takes the usual way, so that
every other answer (404, 405, the preflights) is the router's. A ``CollectorError`` escaping
the endpoint gets its problem response, as the exception middleware would give it.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from collector.errors import CollectorError
from collector.ingest.routes import BATCH, SINGLE, Streaming
from collector.web.responses import problem_response

_IMPORT = "/data/foundation/import"
_COLLECTION = "/collection/"
_BATCH = "batch/"


class Shortcut:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = (
            match(scope["path"])
            if scope["type"] == "http" and scope["method"] == "POST" and not scope.get("root_path")
            else None
        )
        if found is None:
            await self.app(scope, receive, send)
            return
        endpoint, inlet_id = found
        scope["endpoint"] = endpoint
        scope["path_params"] = {**scope.get("path_params", {}), "inlet_id": inlet_id}
        try:
            await endpoint(scope, receive, send)
        except CollectorError as err:
            await problem_response(err)(scope, receive, send)


def match(path: str) -> tuple[Streaming, str] | None:
    """The endpoint and inlet id of a streaming route's path, in the router's order: the
    batch route first, so ``/collection/batch`` alone is the single route of inlet "batch"."""
    if path.startswith(_IMPORT):
        path = path[len(_IMPORT) :]
    if not path.startswith(_COLLECTION):
        return None
    rest = path[len(_COLLECTION) :]
    if rest.startswith(_BATCH):
        inlet_id = rest[len(_BATCH) :]
        if inlet_id and "/" not in inlet_id:
            return BATCH, inlet_id
    if rest and "/" not in rest:
        return SINGLE, rest
    return None
