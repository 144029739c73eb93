"""The OpenAPI operations of ``/metrics`` and ``/monitoring/series`` (merged into web/openapi)."""

from __future__ import annotations

from typing import Any

from collector.web.openapi_schemas import INTEGER, STRING, array, obj, ref


def _param(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": {"type": "string", "minLength": 1, "maxLength": 64},
    }


_PROBLEM = {"application/problem+json": {"schema": ref("Problem")}}
_POINT = {"type": "array", "items": {"nullable": True}, "minItems": 2, "maxItems": 2}
_SERIES = obj(
    "start",
    "end",
    "step",
    "series",
    start=INTEGER,
    end=INTEGER,
    step=INTEGER,
    series=array(obj("metric", "points", metric=STRING, points=array(_POINT))),
)


def paths() -> dict[str, Any]:
    return {
        "/metrics": {
            "get": {
                "operationId": "metrics",
                "summary": "Prometheus metrics of every worker and the projector.",
                "tags": ["monitoring"],
                "responses": {
                    "200": {
                        "description": "The text exposition format.",
                        "content": {"text/plain": {"schema": STRING}},
                    }
                },
            }
        },
        "/monitoring/series": {
            "get": {
                "operationId": "monitoringSeries",
                "summary": "Per-minute counters of the caller's org over a time range.",
                "tags": ["monitoring"],
                "parameters": [
                    _param("start", "Unix seconds (default: an hour before end)."),
                    _param("end", "Unix seconds (default: the end of this minute)."),
                    _param("step", "Seconds per point, a multiple of 60 (default 60)."),
                    _param("inlet", "Only this inlet."),
                    _param("dataset", "Only this dataset."),
                ],
                "responses": {
                    "200": {
                        "description": "One series per metric.",
                        "content": {"application/json": {"schema": _SERIES}},
                    },
                    "400": {"description": "A bad parameter.", "content": _PROBLEM},
                },
            }
        },
    }
