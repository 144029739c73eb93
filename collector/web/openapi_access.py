"""The access part of the OpenAPI document: the token route, the security schemes, and which
operations need which scope (collector/guard/access.py enforces it)."""

from __future__ import annotations

from typing import Any

from collector.guard import scopes
from collector.setup import openapi as setup_openapi
from collector.setup import tenant_openapi
from collector.web.openapi_schemas import INTEGER, STRING, obj, ref

# Operation id -> the scope it needs.
PROTECTED = {
    "profileLookup": "profile:read",
    "profileErase": "profile:delete",
    "privacyJobs": "profile:delete",
    "privacyJob": "profile:delete",
    "debugEvents": "debug:read",
    "metrics": "monitoring:read",
    "monitoringSeries": "monitoring:read",
    "debugEvent": "debug:read",
    "datasetCounts": "monitoring:read",
    "listSchemas": "schemas:read",
    "showSchema": "schemas:read",
    **setup_openapi.SCOPES,
    **tenant_openapi.SCOPES,
}

SECURITY_SCHEMES: dict[str, Any] = {
    "accessToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "An access token from `POST /ims/token/v3`.",
    },
    "apiKey": {
        "type": "apiKey",
        "in": "header",
        "name": "x-api-key",
        "description": "The `client_id` the access token was issued to.",
    },
    "imsOrg": {
        "type": "apiKey",
        "in": "header",
        "name": "x-gw-ims-org-id",
        "description": "The org of the credential.",
    },
}
_SECURITY: list[dict[str, list[str]]] = [{"accessToken": [], "apiKey": [], "imsOrg": []}]

_OAUTH_ERROR = obj(
    "error",
    "error_description",
    error={
        "type": "string",
        "enum": [
            "invalid_request",
            "unsupported_grant_type",
            "invalid_client",
            "invalid_scope",
            "too_many_requests",
        ],
    },
    error_description=STRING,
)
_TOKEN = obj(
    "access_token",
    "token_type",
    "expires_in",
    access_token=STRING,
    token_type={"type": "string", "enum": ["bearer"]},
    expires_in={**INTEGER, "description": "Seconds until the token expires."},
)


def _oauth(description: str, **extra: Any) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": _OAUTH_ERROR}},
        **extra,
    }


def token_paths() -> dict[str, Any]:
    form = obj(
        "grant_type",
        "client_id",
        "client_secret",
        grant_type={"type": "string", "enum": ["client_credentials"]},
        client_id=STRING,
        client_secret=STRING,
        scope={
            **STRING,
            "description": "A subset of the credential's scopes, separated by spaces or commas "
            f"({', '.join(scopes.SCOPES)}); unknown names are ignored.",
        },
    )
    retry_after = {"required": True, "schema": {"type": "integer", "minimum": 1}}
    return {
        "/ims/token/v3": {
            "post": {
                "operationId": "issueAccessToken",
                "summary": "An access token for an API credential (OAuth client credentials).",
                "tags": ["access"],
                "requestBody": {
                    "required": True,
                    "content": {"application/x-www-form-urlencoded": {"schema": form}},
                },
                "responses": {
                    "200": {
                        "description": "The token.",
                        "content": {"application/json": {"schema": _TOKEN}},
                    },
                    "400": _oauth("A missing parameter, another grant type, an unheld scope."),
                    "401": _oauth("Unknown client, wrong secret or revoked credential."),
                    "429": _oauth(
                        "Too many failures for this client_id or from this IP.",
                        headers={"Retry-After": retry_after},
                    ),
                },
            }
        }
    }


def protect(paths: dict[str, Any]) -> None:
    """Mark the operations that need a credential: security, scope, 401 and 403."""
    problem = {"application/problem+json": {"schema": ref("Problem")}}
    sandbox = {
        "name": "x-sandbox-name",
        "in": "header",
        "required": False,
        "description": "The sandbox: `prod` (the default) is the only one; another is a 403.",
        "schema": STRING,
    }
    for item in paths.values():
        for operation in item.values():
            scope = PROTECTED.get(operation.get("operationId", ""))
            if scope is None:
                continue
            operation["security"] = _SECURITY
            operation["description"] = f"Needs a credential with the `{scope}` scope."
            operation["parameters"] = [*operation.get("parameters", []), sandbox]
            operation["responses"] = {
                **operation["responses"],
                "401": {"description": "No access token, or an invalid one.", "content": problem},
                "403": {
                    "description": "The token's client, org or scopes do not allow this.",
                    "content": problem,
                },
            }
