"""``GET /tags/<propertyId>/<environment>.js``: the latest published library of an environment.

The library was rendered, minified and gzipped once, at publish time; here it is only
looked up (``request.app.state.tags``, a ``TagStore``) and sent: a strong ETag per encoding
(the content hash), 304 on a matching ``If-None-Match``, gzip when the client accepts it.
"""

from __future__ import annotations

import re
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from collector.errors import NotFound
from collector.tags.property import ENVIRONMENTS, Library

MEDIA_TYPE = "application/javascript; charset=utf-8"
CACHE_CONTROL = {
    "development": "no-cache",
    "staging": "public, max-age=60",
    "production": "public, max-age=300",
}
_GZIP_REFUSED = re.compile(r"(^|,)\s*gzip\s*;\s*q\s*=\s*0(\.0*)?\s*(,|$)", re.I)


def routes() -> list[BaseRoute]:
    return [Route("/tags/{property_id}/{environment}.js", _library, methods=["GET", "HEAD"])]


async def _library(request: Request) -> Response:
    property_id = request.path_params["property_id"]
    environment = request.path_params["environment"]
    library = None
    if environment in ENVIRONMENTS:
        library = request.app.state.tags.latest(property_id, environment)
    if library is None:
        raise NotFound(f"no library published for property {property_id} in {environment}")
    gzipped = accepts_gzip(request.headers.get("accept-encoding", ""))
    headers = {
        "etag": etag(library, gzipped),
        "cache-control": CACHE_CONTROL[environment],
        "vary": "Accept-Encoding",
        "x-content-type-options": "nosniff",
    }
    if _matches(request.headers.get("if-none-match"), library):
        return Response(status_code=304, headers=headers)
    if gzipped:
        headers["content-encoding"] = "gzip"
    body = library.gzip if gzipped else library.text.encode("utf-8")
    return Response(body, headers=headers, media_type=MEDIA_TYPE)


def etag(library: Library, gzipped: bool) -> str:
    """Strong validators: one per encoding, both derived from the content hash."""
    return f'"{library.content_hash}{"-gz" if gzipped else ""}"'


def accepts_gzip(accept_encoding: str) -> bool:
    names = [part.split(";")[0].strip().lower() for part in accept_encoding.split(",")]
    return ("gzip" in names or "*" in names) and not _GZIP_REFUSED.search(accept_encoding)


def _matches(if_none_match: str | None, library: Library) -> bool:
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return bool(tags & {etag(library, False), etag(library, True)})


def static_routes(static_dir: Path) -> list[BaseRoute]:
    """The demo shop page at ``/`` and the static assets under ``/static``."""

    async def demo_page(request: Request) -> Response:
        page = static_dir / "demo" / "index.html"
        if not page.is_file():
            raise NotFound("no demo page in the static directory")
        return FileResponse(page, media_type="text/html; charset=utf-8")

    routes: list[BaseRoute] = [Route("/", demo_page, methods=["GET", "HEAD"])]
    if static_dir.is_dir():
        routes.append(Mount("/static", app=StaticFiles(directory=static_dir), name="static"))
    return routes
