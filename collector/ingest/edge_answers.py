"""What the Edge routes answer: handles, cookies, warnings and problems, and the collect
consent a set-consent body asks for (no request handling here).

The identity handles follow the Web SDK's expectations (``identity:result`` with the ECID,
``state:store`` with the ``kndctr_<org>_identity`` cookie); warnings report events the
consent or the schema kept out; problems have the Edge Network's shape.
"""

from __future__ import annotations

import time
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from collector.control.datastreams import Datastream
from collector.guard import ecid as ecids
from collector.ingest.edge_errors import EdgeError, invalid_request


def general(preferences: list[dict[str, Any]]) -> str:
    """``in`` or ``out`` from the Adobe 1.0 (``general``) or 2.0 (``collect.val``) standard."""
    for item in preferences:
        if str(item.get("standard", "")).lower() != "adobe":
            continue
        value = item.get("value")
        if not isinstance(value, dict):
            continue
        if value.get("general") in ("in", "out"):
            return str(value["general"])
        collect = value.get("collect")
        if isinstance(collect, dict) and collect.get("val") in ("y", "n"):
            return "in" if collect["val"] == "y" else "out"
    raise invalid_request(
        ["consent needs an Adobe standard value: {general: in|out} or {collect: {val: y|n}}"]
    )


def handles(org_id: str, ecid: str, *, store: bool) -> list[dict[str, Any]]:
    handles: list[dict[str, Any]] = [
        {"type": "identity:result", "payload": [{"id": ecid, "namespace": {"code": "ECID"}}]}
    ]
    if store:
        now = int(time.time())
        handles.append(
            {
                "type": "state:store",
                "payload": [
                    {
                        "key": ecids.cookie_name(org_id),
                        "value": ecids.encode(ecid, created_at=now, written_at=now),
                        "maxAge": ecids.COOKIE_MAX_AGE,
                        "attrs": {"SameSite": "None"},
                    }
                ],
            }
        )
    return handles


def cookie_header(request: Request, org_id: str, ecid: str) -> str:
    now = int(time.time())
    value = ecids.encode(ecid, created_at=now, written_at=now)
    attrs = "SameSite=None; Secure" if request.url.scheme == "https" else "SameSite=Lax"
    return f"{ecids.cookie_name(org_id)}={value}; Max-Age={ecids.COOKIE_MAX_AGE}; Path=/; {attrs}"


def consent_warning(request_id: str, org_id: str) -> dict[str, Any]:
    return {
        "type": "https://ns.adobe.com/aep/errors/EXEG-0301-200",
        "status": 200,
        "title": "The visitor declined data collection; no events were stored.",
        "report": {"requestId": request_id, "orgId": org_id},
    }


def validation_warnings(
    results: list[dict[str, Any]], request_id: str, org_id: str
) -> list[dict[str, Any]]:
    """Events kept as failed records (invalid XDM, or refused) are reported as warnings."""
    warnings = []
    for index, result in enumerate(results):
        checked = result.get("validation") or {}
        if "status" not in result and checked.get("status") != "fail":
            continue
        report: dict[str, Any] = {"requestId": request_id, "orgId": org_id, "eventIndex": index}
        if "status" in result:
            title = f"Event {index} was refused: {result['message']}"
        else:
            title = f"Event {index} was stored as a failed record: it does not match its schema"
            report["validation"] = checked
        warnings.append(
            {
                "type": "https://ns.adobe.com/aep/errors/EXEG-0104-200",
                "status": 200,
                "title": title,
                "report": report,
            }
        )
    return warnings


def problem(
    err: EdgeError,
    request_id: str,
    cors: dict[str, str] | None = None,
    stream: Datastream | None = None,
) -> Response:
    body_ = err.problem(request_id=request_id, org_id=stream.org_id if stream else None)
    headers = {**(cors or {}), **err.headers}
    if err.status in (429, 503):
        headers.setdefault("retry-after", "1")
    return Response(
        orjson.dumps(body_),
        status_code=err.status,
        headers=headers,
        media_type="application/problem+json",
    )


def json(content: dict[str, Any], status: int, headers: dict[str, str]) -> Response:
    return Response(
        orjson.dumps(content), status_code=status, headers=headers, media_type="application/json"
    )
