"""The one check every protected route makes: ``require(request, scope) -> Principal``.

A request carries ``Authorization: Bearer <token>`` (from ``POST /ims/token/v3``),
``x-api-key: <client_id>``, ``x-gw-ims-org-id: <org>`` and optionally ``x-sandbox-name``.
No token, or one unknown, expired or revoked: 401. A live token with another client in
``x-api-key``, another org in ``x-gw-ims-org-id``, a sandbox other than ``prod`` (the only one
there is) or without the scope the route needs: 403. Objects of another org are the route's
business: it answers 404 for them, as if they did not exist.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from collector.control import audit
from collector.control.settings import Settings
from collector.errors import AccessDenied, NotAuthenticated
from collector.guard import scopes as scope_names
from collector.guard.access_tokens import AccessTokens
from collector.guard.credentials import CredentialStore
from collector.guard.failures import Failures, Policy

SANDBOX = "prod"
# Failed token requests allowed per client_id and per client IP in the window.
TOKEN_FAILURES = Policy(limit=10, window_seconds=15 * 60)


class Access:
    """The access stores a served app holds (``app.state.access``), opened in the lifespan."""

    def __init__(self, settings: Settings) -> None:
        path = settings.control_db_path
        self.credentials = CredentialStore(path)
        self.tokens = AccessTokens(path, ttl_seconds=settings.access_token_ttl)
        self.token_failures = Failures(path, TOKEN_FAILURES)

    def close(self) -> None:
        self.token_failures.close()
        self.tokens.close()
        self.credentials.close()


@dataclass(frozen=True)
class Principal:
    """Who is calling: a credential of one org, in one sandbox, with its token's scopes."""

    org_id: str
    sandbox: str
    client_id: str
    scopes: tuple[str, ...]

    @property
    def actor(self) -> str:
        return f"credential:{self.client_id}"


def require_bearer(request: Request, scope: str) -> Principal:
    """Like ``require`` for clients that send only ``Authorization`` (a Prometheus scraper):
    ``x-api-key`` and ``x-gw-ims-org-id`` are checked when present, not required."""
    headers = request.headers
    scheme, _, presented = headers.get("authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        raise NotAuthenticated("An access token is required: Authorization: Bearer <token>")
    grant = _access(request).tokens.lookup(presented.strip())
    if grant is None:
        raise NotAuthenticated("The access token is invalid, expired or revoked")
    if "x-api-key" in headers and not hmac.compare_digest(
        headers["x-api-key"].encode(), grant.client_id.encode()
    ):
        raise AccessDenied("x-api-key is not the client the access token was issued to")
    if "x-gw-ims-org-id" in headers and headers["x-gw-ims-org-id"] != grant.org_id:
        raise AccessDenied("x-gw-ims-org-id is not the org of the access token")
    if not scope_names.grants(grant.scopes, scope):
        raise AccessDenied(f"The access token lacks the scope {scope}")
    return Principal(grant.org_id, SANDBOX, grant.client_id, grant.scopes)


def require(request: Request, scope: str) -> Principal:
    """The caller, if its token is live and grants ``scope``; raises 401/403 otherwise."""
    tokens = _access(request).tokens
    scheme, _, presented = request.headers.get("authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        raise NotAuthenticated("An access token is required: Authorization: Bearer <token>")
    grant = tokens.lookup(presented.strip())
    if grant is None:
        raise NotAuthenticated("The access token is invalid, expired or revoked")
    api_key = request.headers.get("x-api-key", "")
    if not hmac.compare_digest(api_key.encode(), grant.client_id.encode()):
        raise AccessDenied("x-api-key is not the client the access token was issued to")
    org_id = request.headers.get("x-gw-ims-org-id", "")
    if org_id != grant.org_id:
        raise AccessDenied("x-gw-ims-org-id is not the org of the access token")
    sandbox = request.headers.get("x-sandbox-name", "").strip() or SANDBOX
    if sandbox != SANDBOX:
        raise AccessDenied(f"Sandbox [{sandbox[:64]}] is not available: only {SANDBOX} exists")
    if not scope_names.grants(grant.scopes, scope):
        raise AccessDenied(f"The access token lacks the scope {scope}")
    return Principal(grant.org_id, sandbox, grant.client_id, grant.scopes)


def _access(request: Request) -> Access:
    access: Access = request.app.state.access
    return access


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def record(
    request: Request,
    principal: Principal,
    *,
    action: str,
    object_type: str,
    object_id: str,
    detail: dict[str, Any] | None = None,
) -> None:
    """Audit a read or change made by ``principal`` (blocking: call it off the event loop)."""
    with _access(request).tokens.writing() as conn:
        audit.record(
            conn,
            actor=principal.actor,
            action=action,
            object_type=object_type,
            object_id=object_id,
            org_id=principal.org_id,
            ip=client_ip(request),
            detail=detail,
        )
