"""The OpenAPI operations of the Identity Service routes (collector/setup/identity.py)."""

from __future__ import annotations

from typing import Any

from collector.setup import identity, namespaces
from collector.setup.openapi import _BAD, _body, _json, _op, _path, _problem, _query
from collector.web.openapi_schemas import OBJECT, STRING, array, obj

_NAMESPACE_BODY = obj(
    "name",
    "code",
    "idType",
    name=STRING,
    code=STRING,
    idType={"type": "string", "enum": list(namespaces.ID_TYPES)},
    description=STRING,
)
_IDENTITY_QUERY = [
    _query("xid", "The identity as an XID."),
    _query("id", "The identity's value (with nsId or ns)."),
    _query("nsId", "The namespace's numeric id.", type="integer", minimum=0),
    _query("ns", "The namespace's code."),
]
_GRAPH_BODY = obj(
    "composite_xid",
    composite_xid=array(obj(id=STRING, nsid={"type": "integer"}, ns=STRING, xid=STRING)),
    projection_type={"type": "string", "enum": ["set", "graph"]},
)
_NOT_IN_GRAPH = _problem("The identity is not in the org's identity graph.")


def paths() -> dict[str, Any]:
    ns = identity.NAMESPACES
    base = identity.IDENTITY
    ns_id = _path("nsId", "The namespace's numeric id or its code.", "4")

    def read(operation_id: str, summary: str, **responses: Any) -> dict[str, Any]:
        return _op(
            operation_id,
            summary,
            "identity",
            parameters=_IDENTITY_QUERY,
            responses={"200": _json(OBJECT, summary), "400": _BAD, **responses},
        )

    return {
        ns: {
            "get": _op(
                "identityNamespaces",
                "Standard and custom identity namespaces.",
                "identity",
                responses={"200": _json(array(OBJECT), "The namespaces.")},
            ),
            "post": _op(
                "identityCreateNamespace",
                "Create a custom namespace.",
                "identity",
                requestBody=_body(_NAMESPACE_BODY),
                responses={"200": _json(OBJECT, "The namespace."), "400": _BAD},
            ),
        },
        f"{ns}/{{nsId}}": {
            "get": _op(
                "identityNamespace",
                "One namespace.",
                "identity",
                parameters=[ns_id],
                responses={"200": _json(OBJECT, "The namespace."), "404": _problem("Unknown.")},
            )
        },
        f"{base}/identity": {"get": read("identityXid", "The XID of an identity.")},
        f"{base}/cluster/members": {
            "get": read(
                "identityClusterMembers", "The identities of its cluster.", **{"404": _NOT_IN_GRAPH}
            )
        },
        f"{base}/cluster/history": {
            "get": read(
                "identityClusterHistory", "The merges of its cluster.", **{"404": _NOT_IN_GRAPH}
            )
        },
        f"{base}/v2/graph": {
            "post": _op(
                "identityGraph",
                "The linked identities of each identity asked for.",
                "identity",
                requestBody=_body(_GRAPH_BODY),
                responses={"200": _json(OBJECT, "One graph per identity."), "400": _BAD},
            )
        },
    }
