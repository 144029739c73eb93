"""CORS for browser beacons, from each inlet's allowed origins.

An origin the inlet does not allow gets no CORS headers at all, so the browser keeps the
response from the page. ``*`` in an inlet's list allows every origin.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from collector.control.plane import Inlet

_ALLOWED_HEADERS = (
    "content-type, content-encoding, authorization, x-api-key, x-gw-ims-org-id, "
    "x-sandbox-name, x-adobe-flow-id, cache-control"
)
_EXPOSED_HEADERS = "retry-after, ratelimit-limit, ratelimit-remaining, ratelimit-reset"


def allowed_origin(inlet: Inlet | None, request: Request) -> str | None:
    origin = request.headers.get("origin")
    if inlet is None or not origin:
        return None
    if origin.rstrip("/") in inlet.allowed_origins or "*" in inlet.allowed_origins:
        return origin
    return None


def headers(inlet: Inlet | None, request: Request) -> dict[str, str]:
    """Headers for an actual (non-preflight) response."""
    origin = allowed_origin(inlet, request)
    if origin is None:
        return {"vary": "Origin"} if inlet is not None and inlet.allowed_origins else {}
    return {
        "access-control-allow-origin": origin,
        "access-control-expose-headers": _EXPOSED_HEADERS,
        "vary": "Origin",
    }


def preflight(inlet: Inlet, request: Request) -> Response:
    origin = allowed_origin(inlet, request)
    if origin is None:
        return Response(status_code=204, headers={"vary": "Origin"})
    return Response(
        status_code=204,
        headers={
            "access-control-allow-origin": origin,
            "access-control-allow-methods": "POST, OPTIONS",
            "access-control-allow-headers": _ALLOWED_HEADERS,
            "access-control-max-age": "600",
            "vary": "Origin",
        },
    )
