"""Request bodies: read within a byte limit and a deadline, decompressed within a limit,
parsed as JSON within a nesting limit. Memory never grows with what an attacker sends."""

from __future__ import annotations

import asyncio
import zlib
from typing import Any

import orjson
from starlette.requests import ClientDisconnect, Request

from collector.errors import (
    InvalidMessageFormat,
    PayloadTooLarge,
    RequestTimeout,
    UnknownXdmFormat,
    UnsupportedMediaType,
)
from collector.settings import Settings

_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_TO_ANGLE = bytes.maketrans(b"[{]}", b"<<>>")
# The rest of an oversized or late body is not read: the connection is closed after the answer.
_CLOSE = {"connection": "close"}


async def read_json(request: Request, settings: Settings) -> Any:
    """The parsed JSON body, or a ``CollectorError`` in the contract's shape."""
    raw = await _read(request, settings)
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding in ("gzip", "x-gzip", "deflate"):
        raw = _decompress(raw, encoding, settings.max_decompressed_bytes)
    elif encoding not in ("", "identity"):
        raise UnsupportedMediaType(f"Unsupported Content-Encoding [{encoding[:32]}]")
    if not raw.strip():
        raise UnknownXdmFormat()
    try:
        parsed = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise UnknownXdmFormat() from None
    if too_deep(raw, settings.max_json_depth):
        raise InvalidMessageFormat(f"JSON nesting is deeper than {settings.max_json_depth} levels")
    return parsed


async def _read(request: Request, settings: Settings) -> bytes:
    limit = settings.max_body_bytes
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise PayloadTooLarge(
                    f"Request body is larger than {limit} bytes", headers=dict(_CLOSE)
                )
        except ValueError:
            raise UnknownXdmFormat() from None
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(settings.request_timeout_seconds):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise PayloadTooLarge(
                        f"Request body is larger than {limit} bytes", headers=dict(_CLOSE)
                    )
                chunks.append(chunk)
    except TimeoutError:
        raise RequestTimeout(
            "Request body was not received in time", headers=dict(_CLOSE)
        ) from None
    except ClientDisconnect:
        raise UnknownXdmFormat() from None
    return b"".join(chunks)


def _decompress(raw: bytes, encoding: str, limit: int) -> bytes:
    wbits = zlib.MAX_WBITS | 16 if encoding != "deflate" else zlib.MAX_WBITS
    inflater = zlib.decompressobj(wbits)
    try:
        out = inflater.decompress(raw, limit + 1)
    except zlib.error:
        raise InvalidMessageFormat("Request body is not valid " + encoding) from None
    if len(out) > limit or inflater.unconsumed_tail:
        raise PayloadTooLarge(f"Decompressed request body is larger than {limit} bytes")
    if not inflater.eof:
        raise InvalidMessageFormat("Request body is a truncated " + encoding + " stream")
    return out


def too_deep(raw: bytes, limit: int) -> bool:
    """Whether valid JSON text nests arrays/objects deeper than ``limit``.

    Linear and C-speed whatever the input: escaped quotes and backslashes are dropped, the
    text outside strings is kept, brackets become ``<`` and ``>``, and each pass of removing
    ``<>`` peels exactly one level of nesting.
    """
    if raw.count(b"{") + raw.count(b"[") <= limit:
        return False
    outside = b"".join(raw.replace(b"\\\\", b"").replace(b'\\"', b"").split(b'"')[::2])
    structure = outside.translate(_TO_ANGLE, _NOT_BRACKET)
    for _ in range(limit):
        structure = structure.replace(b"<>", b"")
        if not structure:
            return False
    return bool(structure)
