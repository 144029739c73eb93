"""Sending a pipeline ``Result`` as raw ASGI messages: the bytes Starlette's ``Response``
would send (headers: the CORS ones, then the result's, then ``content-length`` and
``content-type``), without building a ``Response``.

The CORS headers of an actual (non-preflight) response depend only on the inlet's allowed
origins and the request's ``Origin`` (``collector/guard/cors.py``): they are worked out once
per pair and kept, encoded, in a bounded cache.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

import orjson
from starlette.types import Send

from collector.control.plane import Inlet
from collector.guard import cors
from collector.ingest.request import Result

RawHeaders = tuple[tuple[bytes, bytes], ...]

_NONE: RawHeaders = ()
_MEDIA = {m: m.encode() for m in ("application/json", "application/problem+json")}


async def send_result(send: Send, result: Result, inlet: Inlet | None, origin: str | None) -> None:
    body = orjson.dumps(result.body)
    found = cors_headers(inlet.allowed_origins, origin) if inlet is not None else _NONE
    if result.headers:
        headers = _merged(found, result.headers)
        names = {name for name, _ in headers}
    else:
        headers, names = list(found), None
    if names is None or b"content-length" not in names:
        headers.append((b"content-length", str(len(body)).encode()))
    if names is None or b"content-type" not in names:
        media = _MEDIA.get(result.media_type) or _latin(result.media_type)
        headers.append((b"content-type", media))
    await send({"type": "http.response.start", "status": result.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _merged(found: RawHeaders, extra: Mapping[str, str]) -> list[tuple[bytes, bytes]]:
    """``{**cors, **extra}`` (keys as given, CORS names are lower case), then lower-cased."""
    merged: dict[str, str] = {name.decode(): value.decode("latin-1") for name, value in found}
    merged.update(extra)
    return [(_latin(key.lower()), _latin(value)) for key, value in merged.items()]


def _latin(text: str) -> bytes:
    return text.encode("latin-1")


@lru_cache(maxsize=1024)
def cors_headers(allowed: tuple[str, ...], origin: str | None) -> RawHeaders:
    """The CORS headers of an actual response to ``origin`` on an inlet allowing ``allowed``."""
    return tuple((_latin(k), _latin(v)) for k, v in cors.for_origin(allowed, origin).items())
