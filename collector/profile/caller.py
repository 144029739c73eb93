"""Whose data a request may see: the org (and sandbox) of the caller's verified credential.

Every route of the profile store and of privacy jobs asks ``caller`` with the scope it needs
and reads or changes only that org's rows; another org's profile or job answers 404, as if it
did not exist. The check itself is ``collector.guard.access.require`` (token, api key, org
header, sandbox, scope): 401 or 403 before any data is read.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from collector.guard import access


@dataclass(frozen=True, slots=True)
class Caller:
    org: str
    sandbox: str
    actor: str  # how the audit log names the caller
    ip: str | None
    principal: access.Principal


def caller(request: Request, scope: str) -> Caller:
    principal = access.require(request, scope)
    return Caller(
        principal.org_id, principal.sandbox, principal.actor, access.client_ip(request), principal
    )
