"""``POST /ims/token/v3``: access tokens for API credentials, the way Adobe IMS issues them.

Form-encoded ``grant_type=client_credentials``, ``client_id``, ``client_secret`` and an
optional ``scope`` (names separated by spaces or commas: a subset of the credential's; names
the collector does not know, such as ``openid``, are ignored). The answer is
``{"access_token", "token_type": "bearer", "expires_in": <seconds>}``; errors are OAuth 2.0
bodies, ``{"error": ..., "error_description": ...}``: 400 ``invalid_request``,
``unsupported_grant_type`` or ``invalid_scope``, 401 ``invalid_client`` (unknown client,
wrong secret, revoked credential: one answer for all three). Ten failures within 15 minutes
for a ``client_id`` or from an IP answer 429 ``too_many_requests`` with ``Retry-After``
until the oldest of them is 15 minutes old; the secret is not even checked then.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from collector.guard import scopes
from collector.guard.access import Access, client_ip
from collector.web.responses import json_response

PATH = "/ims/token/v3"
MAX_FORM_BYTES = 16_384
_FIELDS = ("grant_type", "client_id", "client_secret", "scope")


class OAuthError(Exception):
    def __init__(
        self, status: int, error: str, description: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description
        self.headers = headers or {}

    def response(self) -> Response:
        body = {"error": self.error, "error_description": self.description}
        return json_response(body, self.status, {"Cache-Control": "no-store", **self.headers})


async def token(request: Request) -> Response:
    try:
        form = await _form(request)
        access: Access = request.app.state.access
        body = await run_in_threadpool(_grant, access, form, client_ip(request))
    except OAuthError as exc:
        return exc.response()
    return json_response(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


def _grant(access: Access, form: dict[str, str], ip: str | None) -> dict[str, Any]:
    grant_type = _required(form, "grant_type")
    if grant_type != "client_credentials":
        raise OAuthError(400, "unsupported_grant_type", "grant_type must be client_credentials")
    client_id, secret = _required(form, "client_id"), _required(form, "client_secret")
    keys = [f"token-client:{client_id[:128]}", f"token-ip:{ip or '-'}"]
    wait = access.token_failures.retry_after(keys)
    if wait:
        raise OAuthError(
            429,
            "too_many_requests",
            f"too many failed token requests: retry in {wait} s",
            {"Retry-After": str(wait)},
        )
    credential = access.credentials.verify(client_id, secret)
    if credential is None:
        access.token_failures.record(keys)
        raise OAuthError(401, "invalid_client", "invalid client_id or client_secret")
    try:
        granted = scopes.narrow(credential.scopes, form.get("scope"))
    except scopes.ScopeError as exc:
        raise OAuthError(400, "invalid_scope", str(exc)) from None
    issued = access.tokens.issue(credential, granted)
    return {"access_token": issued.token, "token_type": "bearer", "expires_in": issued.expires_in}


async def _form(request: Request) -> dict[str, str]:
    """The form fields (the query string's too; the body wins), bounded in size."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_FORM_BYTES:
            raise OAuthError(400, "invalid_request", f"the form is over {MAX_FORM_BYTES} bytes")
    if raw and content_type != "application/x-www-form-urlencoded":
        raise OAuthError(
            400, "invalid_request", "the body must be application/x-www-form-urlencoded"
        )
    try:
        pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True)
    except (UnicodeDecodeError, ValueError):
        raise OAuthError(400, "invalid_request", "the form is not valid UTF-8") from None
    form = {k: v for k, v in request.query_params.multi_items() if k in _FIELDS}
    seen: set[str] = set()
    for key, value in pairs:
        if key in seen and key in _FIELDS:
            raise OAuthError(400, "invalid_request", f"{key} is given more than once")
        seen.add(key)
        form[key] = value
    return form


def _required(form: dict[str, str], name: str) -> str:
    value = form.get(name, "")
    if not value or "\x00" in value:
        raise OAuthError(400, "invalid_request", f"missing {name} parameter")
    return value


def routes() -> list[BaseRoute]:
    return [Route(PATH, token, methods=["POST"])]
