"""The streaming routes answer through raw ASGI messages (``collector/ingest/answer.py``):
the same status, headers (names, values, order) and body as the Starlette ``Response`` they
replaced, for every kind of result and every CORS case."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from starlette.requests import Request

from collector.control.records import Inlet
from collector.errors import InvalidMessageFormat, Overloaded, PayloadTooLarge
from collector.guard import cors
from collector.ingest.answer import cors_headers, send_result
from collector.ingest.request import Result
from collector.web.responses import JSONResponse

_SUCCESS = {"inletId": "i", "xactionId": "1:2:3", "receivedTimeMs": 1, "validation": {}}


def _inlet(*allowed: str) -> Inlet:
    return Inlet(
        id="inlet1",
        org_id="ORG@AdobeOrg",
        name="n",
        description="",
        source_name="s",
        auth_required=False,
        allowed_origins=allowed,
        default_dataset_id=None,
        created_at="2026-01-01T00:00:00Z",
    )


def _scope(origin: str | None) -> dict[str, Any]:
    headers = [(b"origin", origin.encode())] if origin is not None else []
    return {"type": "http", "method": "POST", "path": "/", "headers": headers}


def _sent(result: Result, inlet: Inlet | None, origin: str | None) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []

    async def send(message: Any) -> None:
        messages.append(message)

    asyncio.run(send_result(send, result, inlet, origin))
    return messages


def _starlette(result: Result, inlet: Inlet | None, origin: str | None) -> list[dict[str, Any]]:
    """What the routes sent before: a ``JSONResponse`` with the CORS headers first."""
    request = Request(_scope(origin))
    response = JSONResponse(
        result.body,
        status_code=result.status,
        headers={**cors.headers(inlet, request), **result.headers},
        media_type=result.media_type,
    )
    messages: list[dict[str, Any]] = []

    async def send(message: Any) -> None:
        messages.append(message)

    async def receive() -> Any:
        return {"type": "http.request", "body": b""}

    asyncio.run(response(_scope(origin), receive, send))
    return messages


RESULTS = [
    Result(200, _SUCCESS, {}),
    Result(207, {"responses": [{"xactionId": "x", "validation": {"status": "pass"}}]}, {}),
    Result(200, _SUCCESS, {"RateLimit-Limit": "10", "RateLimit-Remaining": "9"}),
    Result.refusal(InvalidMessageFormat("bad"), {}),
    Result.refusal(Overloaded("busy", headers={"connection": "close"}), {}),
    Result.refusal(PayloadTooLarge("big"), {"Vary": "X"}),
    Result(200, _SUCCESS, {"vary": "Accept"}),  # the result's header wins over the CORS one
]
INLETS = [None, _inlet(), _inlet("https://shop.example"), _inlet("*")]
ORIGINS = [None, "", "https://shop.example", "https://evil.example"]


@pytest.mark.parametrize("result", RESULTS)
@pytest.mark.parametrize("inlet", INLETS)
@pytest.mark.parametrize("origin", ORIGINS)
def test_the_answer_is_what_starlette_sent(
    result: Result, inlet: Inlet | None, origin: str | None
) -> None:
    assert _sent(result, inlet, origin) == _starlette(result, inlet, origin)


def test_cors_headers_are_worked_out_once_per_origin() -> None:
    cors_headers.cache_clear()
    inlet = _inlet("https://shop.example")
    for _ in range(3):
        _sent(Result(200, _SUCCESS, {}), inlet, "https://shop.example")
    info = cors_headers.cache_info()
    assert (info.misses, info.hits) == (1, 2)
    start = _sent(Result(200, _SUCCESS, {}), inlet, "https://shop.example")[0]
    assert (b"access-control-allow-origin", b"https://shop.example") in start["headers"]
