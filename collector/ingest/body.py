"""Request bodies as bytes: decompressed within a limit (one whole stream, nothing after it),
parsed as JSON within a nesting limit. Reading them off the wire is ``receiver``'s job."""

from __future__ import annotations

import zlib
from typing import Any

import orjson

from collector.control.settings import Settings
from collector.errors import (
    InvalidMessageFormat,
    PayloadTooLarge,
    UnknownXdmFormat,
    UnsupportedMediaType,
)
from collector.ingest import numbers

Lossy = dict[numbers.Path, str]
_NONE: Lossy = {}  # shared, never written to

_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'[]{}"\\')
_TO_ANGLE = bytes.maketrans(b"[{]}", b"<<>>")


def decode_json(raw: bytes, encoding: str | None, settings: Settings) -> tuple[Any, Lossy]:
    """The parsed JSON of a raw body in ``encoding`` and its lossy numbers by path (nearly
    always none: see ``numbers``), or a ``CollectorError``."""
    encoding = "identity" if encoding is None else encoding.strip().lower()
    if encoding in ("gzip", "x-gzip", "deflate"):
        raw = _decompress(raw, encoding, settings.max_decompressed_bytes)
    elif encoding not in ("", "identity"):
        raise UnsupportedMediaType(f"Unsupported Content-Encoding [{encoding[:32]}]")
    if not raw.strip():
        raise UnknownXdmFormat()
    try:
        parsed = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        if "infinity" not in str(exc):
            raise UnknownXdmFormat() from None
        return _exact(raw, settings)
    if too_deep(parsed, raw, settings.max_json_depth):
        raise _too_deep(settings)
    if numbers.suspect(raw):
        return _exact(raw, settings)
    return parsed, _NONE


def _exact(raw: bytes, settings: Settings) -> tuple[Any, Lossy]:
    try:
        parsed, lossy = numbers.exact(raw)
    except RecursionError:
        raise _too_deep(settings) from None
    except ValueError:
        raise UnknownXdmFormat() from None
    if too_deep(parsed, raw, settings.max_json_depth):
        raise _too_deep(settings)
    try:  # what orjson refuses beyond numbers (lone surrogates) must not reach the lake
        orjson.dumps(parsed)
    except TypeError:
        raise UnknownXdmFormat() from None
    return parsed, lossy


def _too_deep(settings: Settings) -> InvalidMessageFormat:
    return InvalidMessageFormat(f"JSON nesting is deeper than {settings.max_json_depth} levels")


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
    if inflater.unused_data:  # a second gzip member or trailing bytes: never drop them
        raise InvalidMessageFormat("Request body has data after the end of its " + encoding)
    return out


def too_deep(parsed: Any, raw: bytes, limit: int) -> bool:
    """Whether parsed JSON nests arrays/objects deeper than ``limit``.

    The text is cut down, in C, to its brackets, quotes and backslashes. With no more
    brackets than the limit it cannot be deeper (ordinary single messages stop here).
    Otherwise the empty string pairs are dropped. When no quote or backslash is left (no
    string held a bracket or an escape, the usual case), each pass removing ``<>`` peels one
    level.
    Anything else is decided by walking the parsed document.
    """
    structure = raw.translate(_TO_ANGLE, _NOT_STRUCTURE)
    if structure.count(b"<") <= limit:
        return False
    structure = structure.replace(b'""', b"")
    if b'"' in structure or b"\\" in structure:
        return _walk_too_deep(parsed, limit)
    for _ in range(limit):
        structure = structure.replace(b"<>", b"")
        if not structure:
            return False
    return True


def _walk_too_deep(parsed: Any, limit: int) -> bool:
    """Level by level, iteratively, visiting containers only (orjson stops at 1024 levels)."""
    level = [parsed] if type(parsed) is dict or type(parsed) is list else []
    depth = 0
    while level:
        depth += 1
        if depth > limit:
            return True
        below: list[Any] = []
        for node in level:
            for value in node.values() if type(node) is dict else node:
                if type(value) is dict or type(value) is list:
                    below.append(value)
        level = below
    return False
