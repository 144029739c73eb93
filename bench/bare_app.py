"""The bare endpoint the collector is compared with: Starlette, one POST route, orjson.

It reads the body, parses it and answers a small JSON document: no validation, no
enrichment, no disk. uvicorn serves it with the collector's options (bench/servers.py),
as a factory: ``uvicorn --factory bench.bare_app:create_app``. The route accepts every
path so the benchmark reuses the collector's URLs unchanged.
"""

from __future__ import annotations

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


async def _receive(request: Request) -> Response:
    orjson.loads(await request.body())
    return Response(orjson.dumps({"status": "ok"}), media_type="application/json")


def create_app() -> Starlette:
    return Starlette(routes=[Route("/{path:path}", _receive, methods=["POST"])])
