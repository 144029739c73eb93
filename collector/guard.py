"""Who may write to an inlet, and how fast.

Foundation version: inlets that require authentication refuse every request (no token
store exists yet); rate limits arrive with collector/ratelimit.py (issue 4).
"""

from __future__ import annotations

from starlette.requests import Request

from collector.controlplane import Inlet
from collector.errors import Unauthorized


class Guard:
    def authenticate(self, inlet: Inlet, request: Request) -> bool:
        """Whether the request is authenticated; raises for an inlet that requires it."""
        if inlet.auth_required:
            raise Unauthorized("Unauthorized request: no valid token")
        return False

    def limit_request(self, inlet: Inlet, request: Request, *, sync: bool) -> dict[str, str]:
        return {}

    def limit_messages(self, inlet: Inlet, count: int) -> dict[str, str]:
        return {}
