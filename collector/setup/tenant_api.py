"""The Schema Registry API's tenant container: each org's own dataset schemas.

    POST   /data/foundation/schemaregistry/tenant/schemas          allOf: [class, field group...]
    GET    /data/foundation/schemaregistry/tenant/schemas          the org's schemas
    GET    /data/foundation/schemaregistry/tenant/schemas/{id}     $id (URL-encoded) or meta:altId
    PATCH  /data/foundation/schemaregistry/tenant/schemas/{id}     JSON Patch, recomposed
    DELETE /data/foundation/schemaregistry/tenant/schemas/{id}     204; 409 while a dataset uses it

A schema is composed by ``collector.schemas.compose.compose_schema`` from the class and field
groups its ``allOf`` names, stored under the data directory (``collector.schemas.tenant``)
and seen by every worker and the projector through ``LiveRegistry``. Once a dataset uses a
schema, a patch may add fields but not remove or retype one (AEP's rule for enabled schemas).
Another org's schema answers 404. Reading needs ``schemas:read``, changing ``schemas:write``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, unquote, urlsplit

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from collector.control.plane import ControlPlane
from collector.errors import (
    BadRequest,
    Conflict,
    MethodNotAllowed,
    NotFound,
    StorageUnavailable,
)
from collector.guard import access
from collector.guard.access import Principal
from collector.schemas.compose import ComposeError, _fields, compose_schema
from collector.schemas.live import LiveRegistry
from collector.schemas.tenant import new_schema_id, tenant_id
from collector.setup import json_patch
from collector.setup.http import MAX_BODY, int_param, json_object, text
from collector.setup.registry_api import BASE, MEDIA, _form, _summary, _with_meta, paged
from collector.web.responses import json_response

PATH = f"{BASE}/tenant/schemas"
MAX_PARTS = 64


def _registry(request: Request) -> LiveRegistry:
    registry: LiveRegistry = request.app.state.registry
    return registry


def _parts(registry: LiveRegistry, document: dict[str, Any]) -> tuple[str, list[str]]:
    """The class and the field groups ``allOf`` (and ``meta:class``) name."""
    all_of = document.get("allOf")
    if not isinstance(all_of, list) or not all_of or len(all_of) > MAX_PARTS:
        raise BadRequest(
            f'The field allOf must be an array of 1 to {MAX_PARTS} {{"$ref": "<$id>"}} objects '
            "naming a class and field groups"
        )
    refs: list[str] = []
    for item in all_of:
        if not isinstance(item, dict) or not isinstance(item.get("$ref"), str):
            raise BadRequest('Each item of allOf must be an object with a "$ref" string')
        refs.append(item["$ref"][:1024])
    named = document.get("meta:class")
    if named is not None and not isinstance(named, str):
        raise BadRequest("The field meta:class must be a string")
    candidates = [named[:1024]] if named else []
    classes = {_canonical(registry, r) for r in [*candidates, *refs] if _is_class(registry, r)}
    if named and not _is_class(registry, named):
        raise BadRequest(f"Schema not composable: meta:class {named[:256]} is not a loaded class")
    if len(classes) != 1:
        found = "no class" if not classes else f"{len(classes)} classes"
        raise BadRequest(f"Schema not composable: allOf must name exactly one class ({found})")
    groups = [r for r in refs if not _is_class(registry, r)]
    return classes.pop(), groups


def _is_class(registry: LiveRegistry, schema_id: str) -> bool:
    return registry.knows(schema_id) and registry.kind(schema_id) == "class"


def _canonical(registry: LiveRegistry, schema_id: str) -> str:
    return str(registry.schema(schema_id)["$id"])


def _compose(
    registry: LiveRegistry,
    org_id: str,
    document: dict[str, Any],
    schema_id: str,
    *,
    version: str,
    replace: bool,
) -> dict[str, Any]:
    title = text(document, "title", required=True, limit=256)
    description = text(document, "description", limit=2048)
    class_id, groups = _parts(registry, document)
    try:
        composed = compose_schema(
            registry,
            class_id,
            groups,
            schema_id=schema_id,
            title=title,
            description=description,
            replace=replace,
        )
    except ComposeError as exc:
        raise BadRequest(f"Schema not composable: {str(exc)[:600]}") from None
    hex_id = urlsplit(schema_id).path.rsplit("/", 1)[-1]
    tenant = tenant_id(org_id)
    return {
        **composed,
        "meta:altId": f"_{tenant}.schemas.{hex_id}",
        "meta:containerId": "tenant",
        "meta:tenantNamespace": f"_{tenant}",
        "version": version,
    }


def _find(request: Request, principal: Principal) -> str:
    """The ``$id`` of the org's schema the path names (by ``$id`` or ``meta:altId``)."""
    wanted = unquote(request.path_params["schema_id"])[:1024]
    registry = _registry(request)
    registry.refresh()  # one stat: a change another worker made just now counts
    if registry.knows(wanted):
        found = _canonical(registry, wanted)
        if registry.owner_dir(found) == registry.tenants.org_dir(principal.org_id):
            return found
    for file in registry.files():
        owned = registry.tenants.owns(principal.org_id, file.path)
        if owned and file.document.get("meta:altId") == wanted:
            return file.id
    raise NotFound(f"Resource [{wanted[:256]}] is not found")


def _users(request: Request, schema_id: str) -> list[str]:
    control: ControlPlane = request.app.state.control
    return [d.id for d in control.datasets() if d.schema_id == schema_id]


def _field_types(registry: LiveRegistry, document: dict[str, Any]) -> dict[str, str]:
    """Every field path of a composed schema document's parts, with its type."""
    found: dict[str, str] = {}
    for part in document.get("meta:extends") or []:
        found.update(_fields(registry.composed(str(part)), ""))
    return found


def _breaking(registry: LiveRegistry, old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    before, after = _field_types(registry, old), _field_types(registry, new)
    problems = [f"{p} removed" for p in before if p not in after]
    problems += [f"{p} {t} -> {after[p]}" for p, t in before.items() if after.get(p, t) != t]
    if old.get("meta:class") != new.get("meta:class"):
        problems.insert(0, "class changed")
    return problems


def _next_version(version: Any) -> str:
    major, _, minor = str(version or "1.0").partition(".")
    if major.isdigit() and minor.isdigit() and len(major) < 6 and len(minor) < 9:
        return f"{major}.{int(minor) + 1}"
    return "1.1"


async def _save(request: Request, principal: Principal, document: dict[str, Any]) -> None:
    registry = _registry(request)
    await run_in_threadpool(registry.tenants.write, principal.org_id, document)
    await run_in_threadpool(registry.refresh)
    if not registry.knows(str(document["$id"])):
        # another tenant file no longer loads (edited by hand): the log names it
        raise StorageUnavailable("The schema was stored but the registry cannot reload")


async def _audit(request: Request, principal: Principal, action: str, schema_id: str) -> None:
    await run_in_threadpool(
        access.record,
        request,
        principal,
        action=action,
        object_type="schema",
        object_id=schema_id,
        detail={},
    )


def _answer(request: Request, schema_id: str, status: int = 200) -> Response:
    registry = _registry(request)
    full = _form(request) == "full"
    document = registry.composed(schema_id) if full else registry.schema(schema_id)
    headers = {"Content-Type": MEDIA}
    if status == 201:
        headers["Location"] = f"{PATH}/{quote(schema_id, safe='')}"
    return json_response(_with_meta(document, schema_id), status, headers)


async def _create(request: Request) -> Response:
    principal = access.require(request, "schemas:write")
    data = await json_object(request)
    registry = _registry(request)
    schema_id = new_schema_id(principal.org_id)
    document = await run_in_threadpool(
        lambda: _compose(registry, principal.org_id, data, schema_id, version="1.0", replace=False)
    )
    await _save(request, principal, document)
    await _audit(request, principal, "schema.create", schema_id)
    return _answer(request, schema_id, 201)


async def _list(request: Request) -> Response:
    principal = access.require(request, "schemas:read")
    registry = _registry(request)
    limit = int_param(request, "limit", 300, low=1, high=1000)
    start = int_param(request, "start", 0, low=0, high=10**9)
    registry.refresh()
    files = [
        f
        for f in registry.files()
        if f.kind == "schema" and registry.tenants.owns(principal.org_id, f.path)
    ]
    files.sort(key=lambda f: (str(f.document.get("title", "")), f.id))
    page = files[start : start + limit]
    form = _form(request)
    results = [
        _summary(f.document)
        if form not in ("xed", "full")
        else _with_meta(registry.composed(f.id) if form == "full" else dict(f.document), f.id)
        for f in page
    ]
    return paged(results, start=start, limit=limit, total=len(files), path=PATH)


async def _show(request: Request) -> Response:
    if request.path_params["schema_id"] == "":  # aepp's ``/tenant/schemas/``
        return await (_create(request) if request.method == "POST" else _list(request))
    if request.method == "POST":
        access.require(request, "schemas:write")
        raise MethodNotAllowed("POST a schema to the tenant/schemas collection")
    principal = access.require(request, "schemas:read")
    return _answer(request, _find(request, principal))


async def _patch(request: Request) -> Response:
    principal = access.require(request, "schemas:write")
    schema_id = _find(request, principal)
    body = await request.body()
    if len(body) > MAX_BODY:
        raise BadRequest(f"The request body is over {MAX_BODY} bytes")
    try:
        operations = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise BadRequest("The request body is not valid JSON") from None
    registry = _registry(request)
    current = registry.schema(schema_id)
    patched = json_patch.apply(current, operations)
    if patched.get("$id") != schema_id:
        raise BadRequest("A schema's $id cannot change")
    version = _next_version(current.get("version"))

    def recompose() -> dict[str, Any]:
        return _compose(
            registry, principal.org_id, patched, schema_id, version=version, replace=True
        )

    document = await run_in_threadpool(recompose)
    users = _users(request, schema_id)
    if users and (problems := _breaking(registry, current, document)):
        raise Conflict(
            f"Schema is used by dataset {users[0]}: fields may be added, not removed or "
            f"retyped ({'; '.join(problems)[:600]})"
        )
    await _save(request, principal, document)
    await _audit(request, principal, "schema.update", schema_id)
    return _answer(request, schema_id)


async def _delete(request: Request) -> Response:
    principal = access.require(request, "schemas:write")
    schema_id = _find(request, principal)
    if users := _users(request, schema_id):
        raise Conflict(f"Schema is used by dataset {users[0]}: delete the dataset first")
    registry = _registry(request)
    await run_in_threadpool(registry.tenants.remove, principal.org_id, schema_id)
    await run_in_threadpool(registry.refresh)
    await _audit(request, principal, "schema.delete", schema_id)
    return Response(status_code=204)


def routes() -> list[BaseRoute]:
    return [
        Route(PATH, _list, methods=["GET"]),
        Route(PATH, _create, methods=["POST"]),
        Route(f"{PATH}/{{schema_id:path}}", _show, methods=["GET", "POST"]),
        Route(f"{PATH}/{{schema_id:path}}", _patch, methods=["PATCH"]),
        Route(f"{PATH}/{{schema_id:path}}", _delete, methods=["DELETE"]),
    ]
