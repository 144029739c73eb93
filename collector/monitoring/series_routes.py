"""``GET /metrics`` (Prometheus) and ``GET /monitoring/series`` (per-minute counters over time).

``/metrics`` is service-wide (every org's datasets are label values), so it needs a token with
``monitoring:read`` sent as ``Authorization: Bearer`` (what a Prometheus scrape job sends),
unless ``COLLECTOR_METRICS_PUBLIC`` is true. ``/monitoring/series`` needs the usual credential
headers and answers for the caller's org only.
"""

from __future__ import annotations

import time

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from collector.errors import InvalidMessageFormat
from collector.guard import access
from collector.monitoring.metrics import CONTENT_TYPE
from collector.monitoring.observer import Observer, monitoring_db
from collector.monitoring.series import SeriesQuery, open_db, series
from collector.web import params
from collector.web.responses import json_response

MAX_POINTS = 10_080  # a week of minutes
_ID_LENGTH = 64


class BadSeriesRequest(InvalidMessageFormat):
    title = "Bad Request"
    type = "https://ns.adobe.com/aep/errors/monitoring/bad-request"

    @property
    def message(self) -> str:
        return self.detail


async def _metrics(request: Request) -> Response:
    if not request.app.state.settings.metrics_public:
        access.require_bearer(request, "monitoring:read")
    observer: Observer = request.app.state.observer
    body = await run_in_threadpool(observer.metrics.render)
    return Response(body, media_type=CONTENT_TYPE)


def parse_query(query: dict[str, str], now: float) -> SeriesQuery:
    """``start``/``end`` (unix seconds; default the last hour), ``step`` (seconds, a multiple
    of 60, default 60), optional ``inlet`` and ``dataset``; the org comes from the caller."""
    for key in query:
        if key not in {"start", "end", "step", "inlet", "dataset"}:
            raise BadSeriesRequest(f"Unknown parameter [{key[:64]}]")
    end = _seconds(query, "end", int(now) // 60 * 60 + 60)
    start = _seconds(query, "start", end - 3600)
    step = _seconds(query, "step", 60)
    if step < 60 or step % 60:
        raise BadSeriesRequest("step must be a whole number of minutes, in seconds (60, 300...)")
    if end <= start:
        raise BadSeriesRequest("end must be after start")
    if (end - start) // step > MAX_POINTS:
        raise BadSeriesRequest(f"at most {MAX_POINTS} points: widen step or narrow the range")
    ids = {k: query.get(k) for k in ("inlet", "dataset")}
    for key, value in ids.items():
        if value is not None and (not value or len(value) > _ID_LENGTH or not value.isalnum()):
            raise BadSeriesRequest(f"{key} must be an id")
    return SeriesQuery(start - start % 60, end, step, inlet=ids["inlet"], dataset=ids["dataset"])


def _seconds(query: dict[str, str], key: str, default: int) -> int:
    raw = query.get(key)
    if raw is None:
        return default
    try:
        return params.integer(raw, minimum=0, maximum=2**40)
    except ValueError as exc:
        raise BadSeriesRequest(f"{key} {exc}") from None


async def _series(request: Request) -> Response:
    principal = access.require(request, "monitoring:read")
    query = parse_query(dict(request.query_params), time.time())
    query = SeriesQuery(query.start, query.end, query.step, principal.org_id, query.inlet,
                        query.dataset)  # fmt: skip
    path = monitoring_db(request.app.state.settings)

    def read() -> dict[str, object]:
        conn = open_db(path)
        try:
            return series(conn, query)
        finally:
            conn.close()

    return json_response(await run_in_threadpool(read))


def routes() -> list[BaseRoute]:
    return [
        Route("/metrics", _metrics, methods=["GET"]),
        Route("/monitoring/series", _series, methods=["GET"]),
    ]
