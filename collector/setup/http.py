"""What every setup route shares: the JSON body, integer query parameters, 404 for objects
of another org."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request

from collector.errors import BadRequest

MAX_BODY = 256 * 1024


async def json_object(request: Request) -> dict[str, Any]:
    """The request body as a JSON object; a clear 400 for anything else."""
    body = await request.body()
    if len(body) > MAX_BODY:
        raise BadRequest(f"The request body is over {MAX_BODY} bytes")
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise BadRequest("The request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise BadRequest("The request body must be a JSON object")
    return data


def int_param(request: Request, name: str, default: int, *, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9:
        raise BadRequest(f"Query parameter {name} must be an integer, got [{raw[:32]}]")
    value = int(raw)
    if not low <= value <= high:
        raise BadRequest(f"Query parameter {name} must be between {low} and {high}")
    return value


def text(data: dict[str, Any], field: str, *, required: bool = False, limit: int = 512) -> str:
    """A string field of a body; missing: ``""`` (or a 400 when ``required``)."""
    value = data.get(field)
    if value is None:
        if required:
            raise BadRequest(f"The field {field} is required")
        return ""
    if not isinstance(value, str):
        raise BadRequest(f"The field {field} must be a string")
    if required and not value.strip():
        raise BadRequest(f"The field {field} must not be empty")
    if len(value) > limit:
        raise BadRequest(f"The field {field} is longer than {limit} characters")
    return value


def flag(data: dict[str, Any], field: str) -> bool | None:
    value = data.get(field)
    if value is None or isinstance(value, bool):
        return value
    raise BadRequest(f"The field {field} must be true or false")
