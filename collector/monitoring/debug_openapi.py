"""The OpenAPI operations of ``/debug/events`` (merged into collector/web/openapi.py)."""

from __future__ import annotations

from typing import Any

from collector.control import seed
from collector.web.openapi_schemas import INTEGER, OBJECT, STRING, array, obj, ref

_NULLABLE_OBJECT: dict[str, Any] = {"type": "object", "nullable": True}
_NULLABLE_STRING: dict[str, Any] = {"type": "string", "nullable": True}


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": ref("Problem")}},
    }


def _param(name: str, where: str, description: str, **schema: Any) -> dict[str, Any]:
    example = schema.pop("example", None)
    param: dict[str, Any] = {
        "name": name,
        "in": where,
        "required": where == "path" or schema.pop("required", False),
        "description": description,
        "schema": {"type": "string", "minLength": 1, "maxLength": 1024, **schema},
    }
    if example is not None:
        param["example"] = example
    return param


_EVENT = obj(
    "xactionId",
    "status",
    "datasetId",
    "inletId",
    "orgId",
    "identities",
    "receivedTimeMs",
    "violations",
    xactionId=STRING,
    _id=_NULLABLE_STRING,
    status={"type": "string", "enum": ["good", "bad"]},
    datasetId=STRING,
    inletId=STRING,
    orgId=STRING,
    eventType=_NULLABLE_STRING,
    identities=array(obj("namespace", "id", namespace=STRING, id=STRING)),
    receivedTimeMs=INTEGER,
    receivedTime=STRING,
    reason=_NULLABLE_STRING,
    violations=array(OBJECT),
    entity={"nullable": True},
    enrichment=_NULLABLE_OBJECT,
    header=_NULLABLE_OBJECT,
)
_ORG = _param(
    "x-gw-ims-org-id", "header", "The caller's org; answers hold only its events.", required=True
)


def paths() -> dict[str, Any]:
    unauthorized = _problem("No org header.")
    listing = obj(
        "events",
        "count",
        "total",
        "skipped",
        "buffered",
        "capacity",
        events=array(_EVENT),
        count=INTEGER,
        total=INTEGER,
        skipped=INTEGER,
        buffered=INTEGER,
        capacity=INTEGER,
    )
    one = {
        **_EVENT,
        "properties": {**_EVENT["properties"], "source": STRING, "profile": _NULLABLE_OBJECT},
    }
    return {
        "/debug/events": {
            "get": {
                "operationId": "debugEvents",
                "summary": "Recent events of the caller's org, newest first (follower buffer).",
                "tags": ["debug"],
                "parameters": [
                    _ORG,
                    _param("inlet", "query", "Only this inlet (its 64 hex digits)."),
                    _param("dataset", "query", "Only this dataset.", example=seed.WEB_EVENTS),
                    _param("status", "query", "Accepted or failed.", enum=["good", "bad"]),
                    _param("eventType", "query", "Only this eventType."),
                    _param("identity", "query", "An identity id, or `NS:id`."),
                    _param("since", "query", "Received at or after: ms, or ISO 8601."),
                    _param("limit", "query", "At most this many events, 1 to 1000."),
                ],
                "responses": {
                    "200": {
                        "description": "Matching events.",
                        "content": {"application/json": {"schema": listing}},
                    },
                    "400": _problem("An unknown, repeated or malformed parameter."),
                    "401": unauthorized,
                },
            }
        },
        "/debug/events/{key}": {
            "get": {
                "operationId": "debugEvent",
                "summary": "One event by xactionId or _id, with the profile it was merged into.",
                "tags": ["debug"],
                "parameters": [_ORG, _param("key", "path", "An xactionId or an event `_id`.")],
                "responses": {
                    "200": {
                        "description": "The event.",
                        "content": {"application/json": {"schema": one}},
                    },
                    "400": _problem("A query parameter was given, or the key is too long."),
                    "401": unauthorized,
                    "404": _problem("No such event in the caller's org."),
                },
            }
        },
    }
