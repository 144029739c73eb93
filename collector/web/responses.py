"""JSON responses (orjson) and the one renderer of the contract's problem bodies."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from starlette.responses import Response

from collector.errors import CollectorError


class JSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def json_response(
    content: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    return JSONResponse(content, status_code=status, headers=dict(headers or {}))


def problem_response(err: CollectorError, headers: Mapping[str, str] | None = None) -> Response:
    """Every error of every route: the contract's problem body, ``Retry-After`` on 429/503."""
    return JSONResponse(
        err.problem(),
        status_code=err.status,
        headers={**err.response_headers(), **(headers or {})},
        media_type="application/problem+json",
    )
