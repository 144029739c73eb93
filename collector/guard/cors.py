"""CORS for browser beacons, from each inlet's allowed origins (``collector/control/origins.py``).

A request that carries an ``Origin`` the inlet does not allow is refused with 403 before
anything is read or stored (``refusal``); the 403 names the origin back in
``Access-Control-Allow-Origin`` so that the page's tag can read the status and drop its
batch instead of retrying a CORS failure forever. Requests without ``Origin`` (server
clients) are not concerned. A preflight from such an origin gets no CORS headers, so the
browser never sends the request.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from collector.control import origins
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
    return origin if origins.matches(inlet.allowed_origins, origin) else None


def headers(inlet: Inlet | None, request: Request) -> dict[str, str]:
    """Headers for an actual (non-preflight) response."""
    if inlet is None:
        return {}
    return for_origin(inlet.allowed_origins, request.headers.get("origin"))


def for_origin(allowed: tuple[str, ...], origin: str | None) -> dict[str, str]:
    """Headers for an actual response to ``origin`` on an inlet that allows ``allowed``."""
    if not origin or not origins.matches(allowed, origin):
        return {"vary": "Origin"} if allowed else {}
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
