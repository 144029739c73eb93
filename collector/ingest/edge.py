"""The Web SDK's Edge routes: ``/ee[/<location hint>]/v1|v2/interact|collect`` and consent.

A thin adapter, like the streaming routes: the datastream named by ``configId`` gives the org,
the event dataset and the inlet whose origins and limits apply; each ``events[i].xdm`` goes
through the same pipeline as a streaming message (validation, limits, enrichment, lake,
profile). ``interact`` answers 200 with the visitor's ECID as ``identity:result`` and, for a
new visitor, the identity cookie as ``state:store``; ``collect`` (``sendBeacon`` on unload)
answers 204. CORS echoes an allowed origin with ``Access-Control-Allow-Credentials: true``.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from collector.control.datastreams import DATASTREAM_ID, Datastream, Datastreams
from collector.control.plane import Inlet
from collector.errors import CollectorError
from collector.guard import ecid as ecids
from collector.ingest import body as bodies
from collector.ingest import edge_answers as answers
from collector.ingest import edge_request
from collector.ingest.edge_errors import (
    EdgeError,
    invalid_request,
    origin_not_allowed,
    unknown_datastream,
)
from collector.ingest.pipeline import Pipeline
from collector.ingest.receiver import Upload
from collector.ingest.request import IngestRequest, given

_VERSIONS = {"v1", "v2"}
_ACTIONS = {"interact", "collect"}
_REQUEST_ID = re.compile(r"^[A-Za-z0-9\-]{1,64}$")
_ALLOWED_HEADERS = "content-type, content-encoding"


def routes(base_path: str) -> list[BaseRoute]:
    base = "/" + base_path.strip("/")
    consent = ["/v1/privacy/set-consent", "/{hint}/v1/privacy/set-consent"]
    events = ["/{version}/{action}", "/{hint}/{version}/{action}"]
    found: list[BaseRoute] = []
    for path in consent:  # before the event routes, whose two segments would match it
        found += [
            Route(base + path, _consent, methods=["POST"]),
            Route(base + path, _preflight, methods=["OPTIONS"]),
        ]
    for path in events:
        found += [
            Route(base + path, _events, methods=["POST"]),
            Route(base + path, _preflight, methods=["OPTIONS"]),
        ]
    return found


async def _events(request: Request) -> Response:
    version = request.path_params["version"]
    action = request.path_params["action"]
    request_id = _request_id(request)
    if version not in _VERSIONS or action not in _ACTIONS:
        return answers.problem(
            EdgeError(404, "EXEG-0001-404", "Not Found", "No such Edge route"), request_id
        )
    stream, inlet, cors = _resolve(request)
    try:
        if stream is None or inlet is None:
            raise unknown_datastream(request.query_params.get("configId", ""))
        _check_origin(request, cors)
        pipeline: Pipeline = request.app.state.pipeline
        parsed = _parse(await _document(request, pipeline), consent=False)
        ecid, source = edge_request.visitor_ecid(parsed, request.cookies, stream.org_id)
        minted = ecid is None
        ecid = ecid or ecids.mint()
        warnings: list[dict[str, Any]] = []
        if _opted_out(request, parsed, stream, ecid):
            # Nothing goes through the pipeline, whose limits then apply here.
            cors |= pipeline.guard.limit_request(inlet, _client_ip(request), sync=False)
            warnings.append(answers.consent_warning(request_id, stream.org_id))
        else:
            entries = await _submit(request, pipeline, inlet, stream, parsed, ecid)
            warnings += answers.validation_warnings(entries, request_id, stream.org_id)
    except EdgeError as err:
        return answers.problem(err, request_id, cors, stream)
    except CollectorError as err:
        return answers.problem(EdgeError.from_collector(err), request_id, cors, stream)
    headers = dict(cors)
    if minted or source == "identityMap":
        headers["set-cookie"] = answers.cookie_header(request, stream.org_id, ecid)
    if action == "collect":
        return Response(status_code=204, headers=headers)
    answer: dict[str, Any] = {
        "requestId": request_id,
        "handle": answers.handles(stream.org_id, ecid, store=minted or source == "identityMap"),
    }
    if warnings:
        answer["warnings"] = warnings
    return answers.json(answer, 200, headers)


async def _consent(request: Request) -> Response:
    """Remember a visitor's collect consent; ``out`` stops their events from being stored."""
    request_id = _request_id(request)
    stream, inlet, cors = _resolve(request)
    try:
        if stream is None or inlet is None:
            raise unknown_datastream(request.query_params.get("configId", ""))
        _check_origin(request, cors)
        pipeline: Pipeline = request.app.state.pipeline
        cors |= pipeline.guard.limit_request(inlet, _client_ip(request), sync=False)
        parsed = _parse(await _document(request, pipeline), consent=True)
        general = answers.general(parsed.consent)
        ecid, _ = edge_request.visitor_ecid(parsed, request.cookies, stream.org_id)
        minted = ecid is None
        ecid = ecid or ecids.mint()
    except EdgeError as err:
        return answers.problem(err, request_id, cors, stream)
    except CollectorError as err:
        return answers.problem(EdgeError.from_collector(err), request_id, cors, stream)
    datastreams: Datastreams = request.app.state.datastreams
    datastreams.set_consent(stream.org_id, ecid, general)
    if stream.profile_dataset_id is not None:
        await _store_consent(request, pipeline, inlet, stream, ecid, general)
    handles = answers.handles(stream.org_id, ecid, store=minted)
    handles.append(
        {
            "type": "state:store",
            "payload": [
                {
                    "key": ecids.cookie_name(stream.org_id, "consent"),
                    "value": f"general={general}",
                    "maxAge": 15_552_000,
                    "attrs": {"SameSite": "None"},
                }
            ],
        }
    )
    return answers.json({"requestId": request_id, "handle": handles}, 200, cors)


async def _preflight(request: Request) -> Response:
    stream, inlet, cors = _resolve(request)
    if stream is None or inlet is None or not cors:
        return Response(status_code=204, headers={"vary": "Origin"})
    return Response(
        status_code=204,
        headers={
            **cors,
            "access-control-allow-methods": "POST, OPTIONS",
            "access-control-allow-headers": _ALLOWED_HEADERS,
            "access-control-max-age": "600",
        },
    )


# -- helpers ---------------------------------------------------------------------------


def _resolve(request: Request) -> tuple[Datastream | None, Inlet | None, dict[str, str]]:
    config_id = request.query_params.get("configId", "").strip().lower()
    if not DATASTREAM_ID.match(config_id):
        return None, None, {}
    datastreams: Datastreams = request.app.state.datastreams
    stream = datastreams.get(config_id)
    inlet = request.app.state.control.inlet(stream.inlet_id) if stream is not None else None
    return stream, inlet, _cors(inlet, request.headers.get("origin"))


def _cors(inlet: Inlet | None, origin: str | None) -> dict[str, str]:
    """Credentialed CORS: an explicitly allowed origin is echoed; ``*`` never is."""
    if inlet is None or not origin or origin.rstrip("/") not in inlet.allowed_origins:
        return {"vary": "Origin"} if origin else {}
    return {
        "access-control-allow-origin": origin,
        "access-control-allow-credentials": "true",
        "access-control-expose-headers": "retry-after",
        "vary": "Origin",
    }


def _check_origin(request: Request, cors: dict[str, str]) -> None:
    origin = request.headers.get("origin")
    if origin and "access-control-allow-origin" not in cors:
        raise origin_not_allowed(origin)


def _parse(document: object, *, consent: bool) -> edge_request.EdgeRequest:
    try:
        return edge_request.parse(document, consent=consent)
    except edge_request.EdgeInputError as err:
        raise invalid_request(err.errors) from None


def _client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def _request_id(request: Request) -> str:
    given = request.query_params.get("requestId", "")
    return given if _REQUEST_ID.match(given) else str(uuid.uuid4())


def _opted_out(
    request: Request, parsed: edge_request.EdgeRequest, stream: Datastream, ecid: str
) -> bool:
    name = ecids.cookie_name(stream.org_id, "consent")
    stated = request.cookies.get(name) or parsed.state.get(name) or ""
    if "general=out" in stated:
        return True
    datastreams: Datastreams = request.app.state.datastreams
    return datastreams.consent(stream.org_id, ecid) == "out"


async def _submit(
    request: Request,
    pipeline: Pipeline,
    inlet: Inlet,
    stream: Datastream,
    parsed: edge_request.EdgeRequest,
    ecid: str,
) -> list[dict[str, Any]]:
    """Each event as a streaming message through the pipeline; one result per event."""
    schema_id = _schema_of(request, stream.dataset_id)
    messages = []
    for event in parsed.events:
        entity = edge_request.entity(event, request=parsed, ecid=ecid)
        envelope = edge_request.envelope(
            entity, schema_id=schema_id, dataset_id=stream.dataset_id, org_id=stream.org_id
        )
        if event.data is not None:
            envelope["data"] = event.data
        messages.append(envelope)
    return await _through_pipeline(request, pipeline, inlet, messages)


async def _store_consent(
    request: Request,
    pipeline: Pipeline,
    inlet: Inlet,
    stream: Datastream,
    ecid: str,
    general: str,
) -> None:
    """The consent as a profile record in the datastream's profile dataset."""
    assert stream.profile_dataset_id is not None
    record = {
        "identityMap": {"ECID": [{"id": ecid, "primary": True}]},
        "consents": {"collect": {"val": "y" if general == "in" else "n"}},
    }
    envelope = edge_request.envelope(
        record,
        schema_id=_schema_of(request, stream.profile_dataset_id),
        dataset_id=stream.profile_dataset_id,
        org_id=stream.org_id,
    )
    await _through_pipeline(request, pipeline, inlet, [envelope])


def _schema_of(request: Request, dataset_id: str) -> str:
    dataset = request.app.state.control.dataset(dataset_id)
    if dataset is None:
        raise EdgeError(
            422,
            "EXEG-0102-422",
            "Datastream misconfigured",
            f"The datastream's dataset {dataset_id} does not exist",
        )
    return str(dataset.schema_id)


async def _document(request: Request, pipeline: Pipeline) -> object:
    """The request body, received and decoded within the limits of the streaming routes."""
    state = request.app.state
    upload = Upload(
        request.receive, request.headers.get("content-length"), pipeline.settings, state.bodies
    )
    try:
        raw = await upload.read()
    finally:
        upload.release()
    document, lossy = bodies.decode_json(
        raw, request.headers.get("content-encoding"), pipeline.settings
    )
    if lossy:
        raise invalid_request(
            [
                f"{'/'.join(map(str, path))}: {text} is not a number a 64-bit float holds"
                for path, text in lossy.items()
            ]
        )
    return document


async def _through_pipeline(
    request: Request, pipeline: Pipeline, inlet: Inlet, messages: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The one place the Edge routes reach the pipeline: the events as one batch of the
    datastream's inlet (its origins, limits, validation, lake); one result per event."""
    head = IngestRequest(
        inlet_id=inlet.id,
        content_type="application/json",
        origin=request.headers.get("origin"),
        client_ip=_client_ip(request),
        user_agent=request.headers.get("user-agent"),
    )
    result = await pipeline.ingest(
        inlet, head, given(orjson.dumps({"messages": messages})), batch=True
    )
    if result.status != 207:
        raise EdgeError.from_result(result.status, result.body, dict(result.headers))
    responses: list[dict[str, Any]] = result.body["responses"]
    return responses
