"""The OpenAPI operations of the setup APIs (merged into collector/web/openapi.py)."""

from __future__ import annotations

from typing import Any

from collector.control import seed
from collector.setup import catalog, connections, registry_api
from collector.web.openapi_schemas import OBJECT, STRING, array, obj, ref

_REFS = array(STRING, description='References to the changed objects: `["@/dataSets/<id>"]`.')
_KEYED = {
    "type": "object",
    "additionalProperties": OBJECT,
    "description": "Objects keyed by their id.",
}
_DATASET_BODY = obj(
    "name",
    "schemaRef",
    name=STRING,
    description=STRING,
    schemaRef=obj("id", id=STRING, contentType=STRING),
    tags={"type": "object", "additionalProperties": array(STRING)},
    streamingIngestionEnabled={"type": "boolean"},
)


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": ref("Problem")}},
    }


def _json(schema: dict[str, Any], description: str, **extra: Any) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": schema}},
        **extra,
    }


def _query(name: str, description: str, **schema: Any) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": {"type": "string", **schema},
    }


def _path(name: str, description: str, example: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "string", "minLength": 1, "maxLength": 256},
        "example": example,
    }


def _op(operation_id: str, summary: str, tag: str = "catalog", **rest: Any) -> dict[str, Any]:
    return {"operationId": operation_id, "summary": summary, "tags": [tag], **rest}


_PAGING = [
    _query("limit", "Objects per page (1-100).", type="integer", minimum=1, maximum=100),
    _query("start", "Objects to skip.", type="integer", minimum=0),
]
_BAD = _problem("A malformed body or parameter.")
_DATASET_ID = _path("datasetId", "The dataset: 24 lowercase hex digits.", seed.WEB_EVENTS)


def catalog_paths() -> dict[str, Any]:
    base = catalog.BASE
    listing = [
        *_PAGING,
        _query("name", "Only the datasets with this name."),
        _query("orderBy", "`[asc:|desc:]created|updated|name`."),
        _query("properties", "Comma-separated top-level properties to return."),
    ]
    return {
        f"{base}/dataSets": {
            "get": _op(
                "catalogListDatasets",
                "The org's datasets.",
                parameters=listing,
                responses={"200": _json(_KEYED, "Datasets keyed by id."), "400": _BAD},
            ),
            "post": _op(
                "catalogCreateDataset",
                "Create a dataset on a schema of the registry.",
                requestBody={
                    "required": True,
                    "content": {"application/json": {"schema": _DATASET_BODY}},
                },
                responses={"201": _json(_REFS, "Created."), "400": _BAD},
            ),
        },
        f"{base}/dataSets/{{datasetId}}": {
            "get": _op(
                "catalogShowDataset",
                "One dataset.",
                parameters=[_DATASET_ID],
                responses={
                    "200": _json(_KEYED, "The dataset, keyed by id."),
                    "404": _problem("No such dataset in the org."),
                },
            ),
            "patch": _op(
                "catalogUpdateDataset",
                "Change a dataset's name, description, tags or streaming switch.",
                parameters=[_DATASET_ID],
                requestBody={"required": True, "content": {"application/json": {"schema": OBJECT}}},
                responses={
                    "200": _json(_REFS, "Changed."),
                    "400": _BAD,
                    "404": _problem("No such dataset in the org."),
                },
            ),
            "delete": _op(
                "catalogDeleteDataset",
                "Delete a dataset (its lake files stay).",
                parameters=[_DATASET_ID],
                responses={
                    "200": _json(_REFS, "Deleted."),
                    "404": _problem("No such dataset in the org."),
                    "409": _problem("An inlet or a datastream still names the dataset."),
                },
            ),
        },
        f"{base}/batches": {
            "get": _op(
                "catalogListBatches",
                "Closed lake segments of the org's datasets, newest first.",
                parameters=[*_PAGING, _query("dataSet", "Only the batches of this dataset.")],
                responses={"200": _json(_KEYED, "Batches keyed by id."), "400": _BAD},
            )
        },
        f"{base}/batches/{{batchId}}": {
            "get": _op(
                "catalogShowBatch",
                "One batch.",
                parameters=[_path("batchId", "The batch id.", "0" * 26)],
                responses={
                    "200": _json(_KEYED, "The batch, keyed by id."),
                    "404": _problem("No such batch in the org."),
                },
            )
        },
    }


_CONNECTION_BODY = obj(
    "name",
    "connectionSpec",
    name=STRING,
    description=STRING,
    connectionSpec=obj("id", id={"type": "string", "enum": [connections.STREAMING_SPEC]}),
    auth=obj(
        specName=STRING,
        params=obj(
            sourceId=STRING,
            dataType={"type": "string", "enum": list(connections.DATA_TYPES)},
            name=STRING,
            authenticationRequired={"type": "boolean"},
        ),
    ),
)
_INLET_BODY = obj(
    "name",
    name=STRING,
    description=STRING,
    sourceId=STRING,
    dataType={"type": "string", "enum": list(connections.DATA_TYPES)},
    authenticationRequired={"type": "boolean"},
)
_ITEMS = obj("items", items=array(OBJECT))
_GONE = {"description": "Deleted; its inlet answers 404 from now on."}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def connection_paths() -> dict[str, Any]:
    flow = f"{connections.FLOW}/connections"
    legacy = connections.LEGACY
    connection_id = _path(
        "connectionId", "The connection (a UUID).", "0" * 8 + "-0000-0000-0000-" + "0" * 12
    )
    inlet_id = _path("id", "The inlet: 64 lowercase hex digits.", "0" * 64)
    missing = _problem("No such connection or inlet in the org.")
    return {
        flow: {
            "get": _op(
                "flowListConnections",
                "The org's streaming connections.",
                "flowservice",
                parameters=[
                    _query("limit", "At most this many.", type="integer", minimum=1, maximum=1000)
                ],
                responses={"200": _json(_ITEMS, "The connections."), "400": _BAD},
            ),
            "post": _op(
                "flowCreateConnection",
                "Create an HTTP API streaming connection (an inlet).",
                "flowservice",
                requestBody=_body(_CONNECTION_BODY),
                responses={
                    "201": _json(obj("id", "etag", id=STRING, etag=STRING), "Created."),
                    "400": _BAD,
                },
            ),
        },
        f"{flow}/{{connectionId}}": {
            "get": _op(
                "flowShowConnection",
                "One connection; `auth.params` has its `inletId` and `inletUrl`.",
                "flowservice",
                parameters=[connection_id],
                responses={"200": _json(_ITEMS, "The connection."), "404": missing},
            ),
            "delete": _op(
                "flowDeleteConnection",
                "Delete a connection and its inlet (its lake data stays).",
                "flowservice",
                parameters=[connection_id],
                responses={"204": _GONE, "404": missing},
            ),
        },
        legacy: {
            "get": _op(
                "inletList",
                "The org's inlets.",
                "inlets",
                responses={"200": _json(_ITEMS, "The inlets.")},
            ),
            "post": _op(
                "inletCreate",
                "Create an inlet.",
                "inlets",
                requestBody=_body(_INLET_BODY),
                responses={"201": _json(OBJECT, "The inlet."), "400": _BAD},
            ),
        },
        f"{legacy}/{{id}}": {
            "get": _op(
                "inletShow",
                "One inlet.",
                "inlets",
                parameters=[inlet_id],
                responses={"200": _json(OBJECT, "The inlet."), "404": missing},
            ),
            "delete": _op(
                "inletDelete",
                "Delete an inlet (its lake data stays).",
                "inlets",
                parameters=[inlet_id],
                responses={"204": _GONE, "404": missing},
            ),
        },
    }


def registry_paths() -> dict[str, Any]:
    base = f"{registry_api.BASE}/global"
    kind = {
        "name": "kind",
        "in": "path",
        "required": True,
        "description": "The resource type.",
        "schema": {"type": "string", "enum": sorted(registry_api.KINDS)},
    }
    accept = {
        "name": "Accept",
        "in": "header",
        "required": False,
        "description": "`application/vnd.adobe.xed-id+json` (summaries), "
        "`application/vnd.adobe.xed+json` (as written), `application/vnd.adobe.xed-full+json` "
        "(composed).",
        "schema": STRING,
    }
    xed = {"application/vnd.adobe.xed+json": {"schema": OBJECT}}
    page = obj(
        "results",
        "_page",
        results=array(OBJECT),
        _page=obj(
            orderby=STRING, next={"type": "string", "nullable": True}, count={"type": "integer"}
        ),
        _links=OBJECT,
    )
    return {
        f"{base}/{{kind}}": {
            "get": _op(
                "registryList",
                "Global classes, field groups (mixins), data types, behaviors, schemas.",
                "schemaregistry",
                parameters=[kind, accept, *_PAGING],
                responses={
                    "200": {
                        "description": "A page of resources.",
                        "content": {"application/vnd.adobe.xed+json": {"schema": page}},
                    },
                    "400": _BAD,
                    "404": _problem("No such resource type."),
                },
            )
        },
        f"{base}/{{kind}}/{{resourceId}}": {
            "get": _op(
                "registryShow",
                "One resource by `$id` (URL-encoded) or alias.",
                "schemaregistry",
                parameters=[kind, _path("resourceId", "The resource's $id.", "x"), accept],
                responses={
                    "200": {"description": "The resource.", "content": xed},
                    "404": _problem("No such resource of this type."),
                },
            )
        },
    }


def paths() -> dict[str, Any]:
    from collector.setup import identity_openapi, tenant_openapi

    return (
        catalog_paths()
        | connection_paths()
        | identity_openapi.paths()
        | registry_paths()
        | tenant_openapi.paths()
    )


# Operation id -> the scope it needs (collector/web/openapi_access.py PROTECTED).
SCOPES = {
    "catalogListDatasets": "datasets:read",
    "catalogCreateDataset": "datasets:write",
    "catalogShowDataset": "datasets:read",
    "catalogUpdateDataset": "datasets:write",
    "catalogDeleteDataset": "datasets:write",
    "catalogListBatches": "datasets:read",
    "catalogShowBatch": "datasets:read",
    "flowListConnections": "connections:read",
    "flowCreateConnection": "connections:write",
    "flowShowConnection": "connections:read",
    "flowDeleteConnection": "connections:write",
    "inletList": "connections:read",
    "inletCreate": "connections:write",
    "inletShow": "connections:read",
    "inletDelete": "connections:write",
    "identityNamespaces": "schemas:read",
    "identityCreateNamespace": "schemas:write",
    "identityNamespace": "schemas:read",
    "identityXid": "profile:read",
    "identityClusterMembers": "profile:read",
    "identityClusterHistory": "profile:read",
    "identityGraph": "profile:read",
    "registryList": "schemas:read",
    "registryShow": "schemas:read",
}
