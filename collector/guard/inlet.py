"""Who may write to an inlet, and how fast.

``Pipeline.ingest`` calls, before it reads a byte of the body: ``authenticate`` (401/403),
then ``limit_request`` (per client IP on browser inlets, requests per second, synchronous
validations per minute); once it knows how many messages the body holds, ``limit_messages``.
Each inlet's limits come from its row in the control plane, or else from the settings.
"""

from __future__ import annotations

from collector.control.plane import Inlet
from collector.control.settings import Settings
from collector.errors import Forbidden, Unauthorized
from collector.guard.ratelimit import Quota, RateLimits
from collector.guard.tokens import TokenStore


class Guard:
    def __init__(self, settings: Settings, *, tokens: TokenStore, limits: RateLimits) -> None:
        self.settings = settings
        self.tokens = tokens
        self.limits = limits

    def authenticate(self, inlet: Inlet, authorization: str | None) -> bool:
        """Whether the request is authenticated; raises for an inlet that requires it.

        Inlets without authentication ignore any ``Authorization`` header (Adobe's Postman
        collection sends a literal ``Bearer {{ACCESS_TOKEN}}``).
        """
        if not inlet.auth_required:
            return False
        presented = bearer(authorization)
        if presented is None:
            raise Unauthorized("Authorization header is missing: this inlet requires a token")
        owner = self.tokens.inlet_of(presented)
        if owner is None:
            raise Unauthorized("Authorization token is invalid or revoked")
        if owner != inlet.id:
            raise Forbidden("Authorization token is not allowed for this inlet")
        return True

    def limit_request(self, inlet: Inlet, client_ip: str | None, *, sync: bool) -> dict[str, str]:
        settings = self.settings
        if inlet.allowed_origins and client_ip is not None:
            per_ip = _pick(inlet.per_ip_per_second, settings.rate_limit_per_ip_per_second)
            self.limits.acquire(Quota("ip", per_ip), inlet.id, client_ip)
        requests = _pick(inlet.requests_per_second, settings.rate_limit_requests_per_second)
        self.limits.acquire(Quota("requests", requests), inlet.id)
        if sync:
            per_minute = _pick(inlet.sync_per_minute, settings.rate_limit_sync_per_minute)
            self.limits.acquire(Quota("sync", per_minute, "minute"), inlet.id)
        return {}

    def limit_messages(self, inlet: Inlet, count: int) -> dict[str, str]:
        """Charge ``count`` messages; the ``RateLimit-*`` headers describe this budget."""
        messages = _pick(inlet.messages_per_second, self.settings.rate_limit_messages_per_second)
        return self.limits.acquire(Quota("messages", messages), inlet.id, cost=count, report=True)


def bearer(header: str | None) -> str | None:
    """The token of ``Authorization: Bearer <token>`` or of a bare ``Authorization: <token>``."""
    if header is None:
        return None
    value = header.strip()
    scheme, _, rest = value.partition(" ")
    if scheme.lower() == "bearer":
        value = rest.strip()
    return value or None


def _pick(own: int | None, default: int) -> int:
    return default if own is None else own
