"""The OpenAPI operations of the Web SDK's Edge routes (merged into collector/web/openapi.py)."""

from __future__ import annotations

from typing import Any

_STRING: dict[str, Any] = {"type": "string"}
_EDGE_PROBLEM: dict[str, Any] = {
    "type": "object",
    "required": ["type", "status", "title", "detail", "report"],
    "properties": {
        "type": {"type": "string"},
        "status": {"type": "integer"},
        "title": _STRING,
        "detail": _STRING,
        "report": {
            "type": "object",
            "required": ["requestId"],
            "properties": {
                "requestId": _STRING,
                "orgId": _STRING,
                "errors": {"type": "array", "items": _STRING},
            },
        },
    },
}
_HANDLE: dict[str, Any] = {
    "type": "object",
    "required": ["type", "payload"],
    "properties": {"type": _STRING, "payload": {"type": "array", "items": {"type": "object"}}},
}
_ANSWER: dict[str, Any] = {
    "type": "object",
    "required": ["requestId", "handle"],
    "properties": {
        "requestId": _STRING,
        "handle": {"type": "array", "items": _HANDLE},
        "warnings": {"type": "array", "items": {"type": "object"}},
    },
}
_BODY: dict[str, Any] = {
    "type": "object",
    "properties": {
        "events": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["xdm"],
                "properties": {"xdm": {"type": "object"}, "data": {"type": "object"}},
            },
        },
        "meta": {"type": "object"},
        "xdm": {"type": "object"},
    },
}


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": _EDGE_PROBLEM}},
    }


_ERRORS = {
    "400": _problem("Unknown datastream (`configId`), or a body that is not JSON."),
    "403": _problem("An Origin the datastream does not allow; nothing is stored."),
    "404": _problem("Not an Edge route (version or action)."),
    "408": _problem("The body was not received in time."),
    "413": _problem("The body is larger than the limit."),
    "415": _problem("An unsupported Content-Encoding."),
    "422": _problem("A body that is not an Edge request (the report lists why)."),
    "429": {
        **_problem("Over the datastream's rate limits."),
        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
    },
    "503": {
        **_problem("The lake cannot take writes, or the worker is overloaded."),
        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
    },
}


def _query() -> list[dict[str, Any]]:
    return [
        {
            "name": "configId",
            "in": "query",
            "required": True,
            "description": "The datastream id (alloy's `datastreamId`).",
            "schema": _STRING,
        },
        {
            "name": "requestId",
            "in": "query",
            "required": False,
            "description": "Echoed in the answer.",
            "schema": _STRING,
        },
    ]


def _path(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "string", "minLength": 1},
    }


def _post(operation_id: str, summary: str, path_params: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "operationId": operation_id,
        "summary": summary,
        "tags": ["edge"],
        "parameters": [*path_params, *_query()],
        "requestBody": {
            "required": True,
            "content": {"text/plain": {"schema": _BODY}, "application/json": {"schema": _BODY}},
        },
        "responses": {
            "200": {
                "description": "interact: the handles.",
                "content": {"application/json": {"schema": _ANSWER}},
            },
            "204": {"description": "collect: received."},
            **_ERRORS,
        },
    }


def _options(operation_id: str, path_params: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "operationId": operation_id,
        "summary": "CORS preflight (an allowed origin is echoed, with credentials).",
        "tags": ["edge"],
        "parameters": [*path_params, *_query()],
        "responses": {"204": {"description": "Preflight answered."}},
    }


def paths(base_path: str) -> dict[str, Any]:
    base = "/" + base_path.strip("/")
    hint = _path("hint", "An Edge location hint (any value; one collector answers all).")
    version = _path("version", "`v1` or `v2`.")
    action = _path("action", "`interact` (200 with handles) or `collect` (204).")
    found: dict[str, Any] = {}
    for prefix, params, suffix in (("", [], ""), ("/{hint}", [hint], "Hinted")):
        found[f"{base}{prefix}/{{version}}/{{action}}"] = {
            "post": _post(
                f"edgeEvents{suffix}",
                "Web SDK events: interact or collect.",
                [*params, version, action],
            ),
            "options": _options(f"edgeEventsPreflight{suffix}", [*params, version, action]),
        }
        found[f"{base}{prefix}/v1/privacy/set-consent"] = {
            "post": _post(f"edgeConsent{suffix}", "Web SDK consent (`setConsent`).", params),
            "options": _options(f"edgeConsentPreflight{suffix}", params),
        }
    return found
