"""``/console/monitoring``: the org's per-minute monitoring series as charts, and the
per-dataset totals of ``/monitoring/datasets``.

The series are ``monitoring.series.series`` over ``monitoring.db`` for the last hour (a point
a minute), day (every 15 minutes) or week (every hour), narrowed to one inlet or dataset of the
org: messages received, accepted, failed (every reason), rejected (every status) and
throttled, and the time from acknowledgement to profile (p50 and p95). Each chart is inline SVG
with a table of the same numbers as its text alternative.
"""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from collector.console.charts import Chart, Point, chart
from collector.console.failed_messages import org_of
from collector.console.page import page, refuse, render
from collector.guard.sessions import SignedIn
from collector.monitoring.datasets import dataset_report
from collector.monitoring.observer import monitoring_db
from collector.monitoring.series import SeriesQuery, open_db, series

# range -> (label, seconds, step)
RANGES = {
    "hour": ("Last hour", 3600, 60),
    "day": ("Last day", 86_400, 900),
    "week": ("Last week", 604_800, 3600),
}
COUNTS = ("received", "accepted", "failed", "rejected", "throttled")
LATENCY = (("p50", "time_to_profile_ms_p50"), ("p95", "time_to_profile_ms_p95"))


def routes() -> list[BaseRoute]:
    return [Route("/console/monitoring", monitoring_page, methods=["GET"])]


def window(span: int, step: int, now: float) -> SeriesQuery:
    """The last ``span`` seconds in whole steps, ending after the current minute."""
    end = int(now) // 60 * 60 + 60
    end += -end % step
    return SeriesQuery(end - span, end, step)


def counts(answer: dict[str, Any]) -> dict[str, list[Point]]:
    """The five message counts per step (``failed`` and ``rejected`` summed over reasons)."""
    slots = (answer["end"] - answer["start"]) // answer["step"]
    times = [answer["start"] + i * answer["step"] for i in range(slots)]
    summed = {name: [0] * slots for name in COUNTS}
    for row in answer["series"]:
        name = row["metric"].split(":", 1)[0]
        if name in summed:
            for i, (_, value) in enumerate(row["points"]):
                summed[name][i] += value
    return {name: list(zip(times, values, strict=True)) for name, values in summed.items()}


def latency(answer: dict[str, Any]) -> dict[str, list[Point]]:
    slots = (answer["end"] - answer["start"]) // answer["step"]
    times = [answer["start"] + i * answer["step"] for i in range(slots)]
    found = {row["metric"]: row["points"] for row in answer["series"]}
    return {
        label: [(t, v) for t, v in found.get(metric, [[t, None] for t in times])]
        for label, metric in LATENCY
    }


def charts(answer: dict[str, Any]) -> list[Chart]:
    times = list(range(answer["start"], answer["end"], answer["step"]))
    step = answer["step"]
    return [
        chart("messages", "Messages", "messages per step", counts(answer), times, step),
        chart("latency", "Time to profile", "milliseconds", latency(answer), times, step),
    ]


@page("read")
def monitoring_page(request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    state = request.app.state
    org = org_of(request, who)
    chosen = {k: request.query_params.get(k, "").strip() for k in ("range", "inlet", "dataset")}
    span_name = chosen["range"] or "hour"
    if span_name not in RANGES:
        return refuse(request, who, 400, "Range must be hour, day or week.")
    inlets = state.control.inlets(org) if org else []
    datasets = state.control.datasets(org) if org else []
    if chosen["inlet"] and chosen["inlet"] not in {i.id for i in inlets}:
        return refuse(request, who, 404, f"No inlet {chosen['inlet'][:64]} in {org}.")
    if chosen["dataset"] and chosen["dataset"] not in {d.id for d in datasets}:
        return refuse(request, who, 404, f"No dataset {chosen['dataset'][:64]} in {org}.")
    _, span, step = RANGES[span_name]
    base = window(span, step, time.time())
    query = SeriesQuery(
        base.start, base.end, step, org or "", chosen["inlet"] or None, chosen["dataset"] or None
    )
    conn = open_db(monitoring_db(state.settings))
    try:
        answer = series(conn, query)
    finally:
        conn.close()
    context = {
        "org": org,
        "orgs": [] if who.user.org_id else [o.id for o in state.control.orgs()],
        "ranges": [(key, value[0]) for key, value in RANGES.items()],
        "range": span_name,
        "inlets": inlets,
        "datasets": datasets,
        "values": chosen,
        "charts": charts(answer),
        "totals": {name: sum(v or 0 for _, v in pts) for name, pts in counts(answer).items()},
        "report": dataset_report(datasets, state.lake_counts),
    }
    return render(request, who, "monitoring.html", context)
