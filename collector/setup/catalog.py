"""The Catalog Service API (``/data/foundation/catalog``): datasets and their batches.

Datasets are the control plane's (collector/control/plane.py), the same objects
``collector datasets`` shows; the Catalog-only fields live in collector/setup/dataset_meta.py.
Answers follow Catalog: lists and reads are objects keyed by id, changes answer
``["@/dataSets/<id>"]``. A dataset of another org is a 404. Deleting a dataset removes it
from the control plane (ingest refuses it from then on); its lake files stay.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from collector.control.plane import ControlPlane, ControlPlaneError, Dataset
from collector.errors import BadRequest, Conflict, NotFound
from collector.guard import access
from collector.guard.access import Principal
from collector.schemas.compose import dataset_schema_problem
from collector.schemas.live import LiveRegistry
from collector.schemas.registry import SchemaRegistry
from collector.setup import batches, dataset_meta
from collector.setup.dataset_meta import IDENTITY_TAG, PROFILE_TAG, DatasetMeta
from collector.setup.http import flag, int_param, json_object, text
from collector.web.responses import json_response

BASE = "/data/foundation/catalog"
CONTENT_TYPE = "application/vnd.adobe.xed+json;version=1"
_ORDERABLE = {"created", "updated", "name"}
_ORDER = re.compile(r"^(?:(asc|desc):)?([A-Za-z]+)$")
_TABLE = re.compile(r"[^a-z0-9_]+")
_TAG_NAME = re.compile(r"^[A-Za-z0-9_.:/\-]{1,128}$")


def _ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)


def behavior(registry: SchemaRegistry, schema_id: str) -> str:
    """``time-series`` for schemas of an event class, ``record`` for the rest (profiles)."""
    class_id = registry.class_of(schema_id) or ""
    return "time-series" if "experienceevent" in class_id.lower() else "record"


def dataset_json(
    dataset: Dataset, meta: DatasetMeta, data_behavior: str = "record"
) -> dict[str, Any]:
    created = _ms(dataset.created_at)
    tags = {k: v for k, v in meta.tags.items() if k not in (PROFILE_TAG, IDENTITY_TAG)}
    tags["adobe/pqs/table"] = [_TABLE.sub("_", dataset.name.lower()).strip("_") or dataset.id]
    if dataset.profile_enabled:
        tags[PROFILE_TAG] = ["enabled:true"]
    if dataset.identity_enabled:
        tags[IDENTITY_TAG] = ["enabled:true"]
    return {
        "id": dataset.id,
        "name": dataset.name,
        "description": meta.description,
        "imsOrg": dataset.org_id,
        "sandboxName": access.SANDBOX,
        "tags": tags,
        "version": "1.0.0",
        "created": created,
        "updated": _ms(meta.updated_at) if meta.updated_at else created,
        "createdClient": meta.created_client,
        "status": "enabled",
        "classification": {"dataBehavior": data_behavior, "managedBy": "CUSTOMER"},
        "streamingIngestionEnabled": meta.streaming,
        "schemaRef": {"id": dataset.schema_id, "contentType": CONTENT_TYPE},
        "fileDescription": {"persisted": True, "format": "json"},
        "files": f"@/dataSetFiles?dataSetId={dataset.id}",
    }


def _own(control: ControlPlane, principal: Principal, dataset_id: str) -> Dataset:
    dataset = control.dataset(dataset_id)
    if dataset is None or dataset.org_id != principal.org_id:
        raise NotFound(f"Dataset [{dataset_id[:64]}] is not found")
    return dataset


def _tags(data: dict[str, Any]) -> dict[str, list[str]]:
    raw = data.get("tags", {})
    if not isinstance(raw, dict):
        raise BadRequest("The field tags must be an object of string arrays")
    tags: dict[str, list[str]] = {}
    for name, values in raw.items():
        if not _TAG_NAME.match(name):
            raise BadRequest(f"Tag name [{name[:64]}] is not allowed")
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise BadRequest(f"Tag {name} must be an array of strings")
        if len(values) > 32 or any(len(v) > 256 for v in values):
            raise BadRequest(f"Tag {name} has too many or too long values")
        tags[name] = values
    return tags


def _json_of(request: Request, dataset: Dataset, meta: DatasetMeta) -> dict[str, Any]:
    registry: SchemaRegistry = request.app.state.registry
    return dataset_json(dataset, meta, behavior(registry, dataset.schema_id))


def _page(request: Request, datasets: list[Dataset], metas: dict[str, DatasetMeta]) -> Any:
    limit = int_param(request, "limit", 50, low=1, high=100)
    start = int_param(request, "start", 0, low=0, high=10**9)
    name = request.query_params.get("name")
    if name is not None:
        datasets = [d for d in datasets if d.name == name]
    order = request.query_params.get("orderBy", "")
    if order:
        m = _ORDER.match(order)
        if m is None or m[2] not in _ORDERABLE:
            raise BadRequest(f"orderBy must be [asc:|desc:]{'|'.join(sorted(_ORDERABLE))}")
        records = {d.id: _json_of(request, d, metas.get(d.id, DatasetMeta())) for d in datasets}
        datasets.sort(key=lambda d: (records[d.id][m[2]], d.id), reverse=m[1] == "desc")
    page = datasets[start : start + limit]
    wanted = [p for p in request.query_params.get("properties", "").split(",") if p]
    out = {}
    for d in page:
        record = _json_of(request, d, metas.get(d.id, DatasetMeta()))
        out[d.id] = {k: v for k, v in record.items() if k in wanted} if wanted else record
    return out


async def _list(request: Request) -> Response:
    principal = access.require(request, "datasets:read")
    control: ControlPlane = request.app.state.control
    datasets = control.datasets(principal.org_id)
    metas = dataset_meta.read_all(control.db, [d.id for d in datasets])
    return json_response(_page(request, datasets, metas))


async def _show(request: Request) -> Response:
    principal = access.require(request, "datasets:read")
    control: ControlPlane = request.app.state.control
    dataset = _own(control, principal, request.path_params["dataset_id"])
    return json_response(
        {dataset.id: _json_of(request, dataset, dataset_meta.read(control.db, dataset.id))}
    )


async def _create(request: Request) -> Response:
    principal = access.require(request, "datasets:write")
    data = await json_object(request)
    name = text(data, "name", required=True, limit=256)
    schema_ref = data.get("schemaRef")
    if not isinstance(schema_ref, dict) or not isinstance(schema_ref.get("id"), str):
        raise BadRequest("The field schemaRef.id is required: the $id of the dataset's schema")
    schema_id = schema_ref["id"]
    registry: SchemaRegistry = request.app.state.registry
    if isinstance(registry, LiveRegistry) and not registry.visible_to(
        principal.org_id, schema_id[:1024]
    ):
        raise BadRequest(f"Schema not usable for a dataset: unknown schema {schema_id[:256]!r}")
    if problem := dataset_schema_problem(registry, schema_id[:1024]):
        raise BadRequest(f"Schema not usable for a dataset: {problem[:600]}")
    tags = _tags(data)
    streaming = flag(data, "streamingIngestionEnabled")
    control: ControlPlane = request.app.state.control
    try:
        dataset = control.create_dataset(
            org_id=principal.org_id,
            name=name,
            schema_id=schema_id,
            profile_enabled=dataset_meta.enabled(tags.get(PROFILE_TAG, [])),
            identity_enabled=dataset_meta.enabled(tags.get(IDENTITY_TAG, [])),
        )
    except ControlPlaneError as exc:
        raise BadRequest(str(exc)) from None
    meta = DatasetMeta(
        description=text(data, "description", limit=2048),
        tags=tags,
        streaming=True if streaming is None else streaming,
        created_client=principal.client_id,
    )
    dataset_meta.write(control.db, dataset.id, meta)
    await _audit(request, principal, "dataset.create", dataset.id, {"name": name})
    location = f"{BASE}/dataSets/{dataset.id}"
    return json_response([f"@/dataSets/{dataset.id}"], 201, {"Location": location})


async def _update(request: Request) -> Response:
    principal = access.require(request, "datasets:write")
    control: ControlPlane = request.app.state.control
    dataset = _own(control, principal, request.path_params["dataset_id"])
    data = await json_object(request)
    if "schemaRef" in data:
        raise BadRequest("A dataset's schemaRef cannot change: create another dataset")
    before = dataset_meta.read(control.db, dataset.id)
    tags = {**before.tags, **_tags(data)} if "tags" in data else before.tags
    name = text(data, "name", limit=256) or None
    streaming = flag(data, "streamingIngestionEnabled")
    try:
        dataset = control.update_dataset(
            dataset.id,
            name=name,
            profile_enabled=dataset_meta.enabled(tags[PROFILE_TAG])
            if PROFILE_TAG in tags
            else None,
            identity_enabled=(
                dataset_meta.enabled(tags[IDENTITY_TAG]) if IDENTITY_TAG in tags else None
            ),
        )
    except ControlPlaneError as exc:
        raise BadRequest(str(exc)) from None
    meta = DatasetMeta(
        description=text(data, "description", limit=2048)
        if "description" in data
        else before.description,
        tags=tags,
        streaming=before.streaming if streaming is None else streaming,
        created_client=before.created_client,
        updated_at=dataset_meta.now(),
    )
    dataset_meta.write(control.db, dataset.id, meta)
    await _audit(request, principal, "dataset.update", dataset.id, {"fields": sorted(data)})
    return json_response([f"@/dataSets/{dataset.id}"])


async def _delete(request: Request) -> Response:
    principal = access.require(request, "datasets:write")
    control: ControlPlane = request.app.state.control
    dataset = _own(control, principal, request.path_params["dataset_id"])
    try:
        control.delete_dataset(dataset.id)
    except ControlPlaneError as exc:
        raise Conflict(str(exc)) from None
    await _audit(request, principal, "dataset.delete", dataset.id, {"lake": "kept"})
    return json_response([f"@/dataSets/{dataset.id}"])


async def _audit(
    request: Request, principal: Principal, action: str, dataset_id: str, detail: dict[str, Any]
) -> None:
    await run_in_threadpool(
        access.record,
        request,
        principal,
        action=action,
        object_type="dataset",
        object_id=dataset_id,
        detail=detail,
    )


async def _batches(request: Request) -> Response:
    principal = access.require(request, "datasets:read")
    control: ControlPlane = request.app.state.control
    limit = int_param(request, "limit", 100, low=1, high=100)
    start = int_param(request, "start", 0, low=0, high=10**9)
    ids = [d.id for d in control.datasets(principal.org_id)]
    wanted = request.query_params.get("dataSet")
    if wanted is not None:
        ids = [i for i in ids if i == wanted]
    lake = request.app.state.settings.lake_dir
    found = await run_in_threadpool(batches.closed_batches, lake, ids)
    page = found[start : start + limit]
    out = await run_in_threadpool(
        lambda: {b.id: batches.batch_json(b, principal.org_id) for b in page}
    )
    return json_response(out)


async def _batch(request: Request) -> Response:
    principal = access.require(request, "datasets:read")
    control: ControlPlane = request.app.state.control
    ids = [d.id for d in control.datasets(principal.org_id)]
    lake = request.app.state.settings.lake_dir
    found = await run_in_threadpool(batches.closed_batches, lake, ids)
    for batch in found:
        if batch.id == request.path_params["batch_id"]:
            body = await run_in_threadpool(batches.batch_json, batch, principal.org_id)
            return json_response({batch.id: body})
    raise NotFound(f"Batch [{request.path_params['batch_id'][:64]}] is not found")


def routes() -> list[BaseRoute]:
    return [
        Route(f"{BASE}/dataSets", _list, methods=["GET"]),
        Route(f"{BASE}/dataSets", _create, methods=["POST"]),
        Route(f"{BASE}/dataSets/{{dataset_id}}", _show, methods=["GET"]),
        Route(f"{BASE}/dataSets/{{dataset_id}}", _update, methods=["PATCH"]),
        Route(f"{BASE}/dataSets/{{dataset_id}}", _delete, methods=["DELETE"]),
        Route(f"{BASE}/batches", _batches, methods=["GET"]),
        Route(f"{BASE}/batches/{{batch_id}}", _batch, methods=["GET"]),
    ]
