"""Whose data a request may see: the caller's org (and sandbox).

Every route of the profile store and of privacy jobs asks ``caller`` and reads or changes only
that org's rows; another org's profile or job answers 404, as if it did not exist. For now the
org is read from the ``x-gw-ims-org-id`` header (and the sandbox from ``x-sandbox-name``,
``prod`` by default and the only one so far). When requests carry verified credentials, this is
the one function to switch to the credential's org.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from collector.errors import InvalidMessageFormat
from collector.profile.identities import SANDBOX

ORG_HEADER = "x-gw-ims-org-id"
SANDBOX_HEADER = "x-sandbox-name"
MAX_ORG_LENGTH = 256


class MissingOrg(InvalidMessageFormat):
    title = "Bad Request"
    type = "http://ns.adobe.com/aep/errors/profile/bad-request"

    @property
    def message(self) -> str:
        return self.detail


@dataclass(frozen=True, slots=True)
class Caller:
    org: str
    sandbox: str
    actor: str  # how the audit log names the caller
    ip: str | None


def caller(request: Request) -> Caller:
    org = request.headers.get(ORG_HEADER, "").strip()
    if not org or len(org) > MAX_ORG_LENGTH or not org.isprintable():
        raise MissingOrg(f"header {ORG_HEADER} is required (the org whose data is asked for)")
    sandbox = request.headers.get(SANDBOX_HEADER, SANDBOX).strip() or SANDBOX
    if sandbox != SANDBOX:
        raise MissingOrg(f"sandbox {sandbox!r} does not exist; the only sandbox is {SANDBOX}")
    api_key = request.headers.get("x-api-key", "").strip()
    actor = f"api:{api_key}" if api_key and api_key.isprintable() else "api:anonymous"
    ip = request.client.host if request.client else None
    return Caller(org, sandbox, actor, ip)
