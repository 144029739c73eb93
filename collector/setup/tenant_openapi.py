"""The OpenAPI operations of the tenant schemas (collector/setup/tenant_api.py)."""

from __future__ import annotations

from typing import Any

from collector.setup import tenant_api
from collector.setup.openapi import _BAD, _PAGING, _op, _path, _problem
from collector.web.openapi_schemas import OBJECT, STRING, array, obj

_ACCEPT = {
    "name": "Accept",
    "in": "header",
    "required": False,
    "description": "`application/vnd.adobe.xed-id+json` (summaries, lists' default), "
    "`application/vnd.adobe.xed+json` (as stored), `application/vnd.adobe.xed-full+json` "
    "(composed).",
    "schema": STRING,
}
_XED = {"application/vnd.adobe.xed+json": {"schema": OBJECT}}
_BODY = obj(
    "title",
    "allOf",
    title=STRING,
    description=STRING,
    allOf=array(obj("$ref", **{"$ref": STRING})),
    **{"meta:class": STRING},
)
_PATCH = array(
    obj(
        "op",
        "path",
        op={"type": "string", "enum": ["add", "remove", "replace", "test"]},
        path=STRING,
    )
)
_ID = _path("schemaId", "The schema's $id (URL-encoded) or meta:altId.", "x")
_MISSING = _problem("No schema of the caller's org with this id.")
_USED = _problem("A dataset uses the schema (and the change removes or retypes a field).")
SCOPES = {
    "tenantSchemaList": "schemas:read",
    "tenantSchemaCreate": "schemas:write",
    "tenantSchemaCreateAt": "schemas:write",
    "tenantSchemaShow": "schemas:read",
    "tenantSchemaUpdate": "schemas:write",
    "tenantSchemaDelete": "schemas:write",
}


def _created() -> dict[str, Any]:
    return {
        "description": "The schema: `$id`, `meta:altId`, `version`, `title`, `meta:class`, "
        "`allOf`, `meta:extends`.",
        "content": _XED,
        "headers": {"Location": {"schema": STRING}},
    }


def paths() -> dict[str, Any]:
    page = obj(
        "results",
        "_page",
        results=array(OBJECT),
        _page=obj(
            orderby=STRING, next={"type": "string", "nullable": True}, count={"type": "integer"}
        ),
        _links=OBJECT,
    )
    body = {"required": True, "content": {"application/json": {"schema": _BODY}}}
    made: dict[str, Any] = {"201": _created(), "400": _BAD}
    return {
        tenant_api.PATH: {
            "get": _op(
                "tenantSchemaList",
                "The caller's org's schemas.",
                "schemaregistry",
                parameters=[_ACCEPT, *_PAGING],
                responses={
                    "200": {
                        "description": "A page of schemas.",
                        "content": {"application/vnd.adobe.xed+json": {"schema": page}},
                    },
                    "400": _BAD,
                },
            ),
            "post": _op(
                "tenantSchemaCreate",
                "Compose a schema from a class and field groups (`allOf`).",
                "schemaregistry",
                requestBody=body,
                responses=made,
            ),
        },
        f"{tenant_api.PATH}/{{schemaId}}": {
            "get": _op(
                "tenantSchemaShow",
                "One of the org's schemas.",
                "schemaregistry",
                parameters=[_ID, _ACCEPT],
                responses={"200": {"description": "The schema.", "content": _XED}, "404": _MISSING},
            ),
            "post": _op(
                "tenantSchemaCreateAt",
                "`tenant/schemas/` (an empty id, as aepp sends it) creates; any other id: 405.",
                "schemaregistry",
                parameters=[_ID],
                requestBody=body,
                responses={
                    **made,
                    "404": _problem("No such path (e.g. an id with an unencoded slash)."),
                    "405": _problem("Not a collection."),
                },
            ),
            "patch": _op(
                "tenantSchemaUpdate",
                "JSON Patch the schema (e.g. add a field group to `allOf`); recomposed.",
                "schemaregistry",
                parameters=[_ID],
                requestBody={
                    "required": True,
                    "content": {"application/json": {"schema": _PATCH}},
                },
                responses={
                    "200": {"description": "The changed schema.", "content": _XED},
                    "400": _BAD,
                    "404": _MISSING,
                    "409": _USED,
                },
            ),
            "delete": _op(
                "tenantSchemaDelete",
                "Delete the schema.",
                "schemaregistry",
                parameters=[_ID],
                responses={"204": {"description": "Deleted."}, "404": _MISSING, "409": _USED},
            ),
        },
    }
