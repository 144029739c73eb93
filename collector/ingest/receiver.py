"""Receiving request bodies off the ASGI channel: within the body limit, before a deadline,
and within the worker's budget of bytes buffered across every body in flight.

A body is received before the request waits for anything else (a batch slot), so a client
that trickles its body holds only its own bytes, never a slot others need. The budget is what
keeps memory flat under many stalled uploads: a declared ``Content-Length`` is reserved up
front, a chunked body as it arrives; a request that would pass the budget is answered 503
with ``Retry-After`` at once, and its body is not read.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.types import Receive

from collector.control.settings import Settings
from collector.errors import Overloaded, PayloadTooLarge, RequestTimeout, UnknownXdmFormat

# The rest of an oversized, late or refused body is not read: the connection is closed.
_CLOSE = {"connection": "close"}


class BodyBudget:
    """Bytes of request bodies this worker holds at once (one event loop: no lock needed)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.held = 0

    def take(self, size: int) -> None:
        if self.held + size > self.limit:
            raise Overloaded(
                "Too many request bodies are being received; retry later", headers=dict(_CLOSE)
            )
        self.held += size

    def give(self, size: int) -> None:
        self.held -= size


class Upload:
    """One request's body; ``release`` gives its bytes back to the budget (always call it)."""

    __slots__ = ("_budget", "_declared", "_held", "_receive", "_settings")

    def __init__(
        self, receive: Receive, declared: str | None, settings: Settings, budget: BodyBudget
    ) -> None:
        self._receive = receive
        self._declared = declared
        self._settings = settings
        self._budget = budget
        self._held = 0

    async def read(self) -> bytes:
        limit = self._settings.max_body_bytes
        if self._declared is not None:
            try:
                declared = int(self._declared)
            except ValueError:
                raise UnknownXdmFormat() from None
            if declared > limit:
                raise _too_large(limit)
            self._reserve(declared)
        chunks: list[bytes] = []
        size = 0
        receive = self._receive  # the ASGI channel itself: no generator per request
        try:
            async with asyncio.timeout(self._settings.request_timeout_seconds):
                while True:
                    message: Any = await receive()
                    if message["type"] != "http.request":  # http.disconnect: the client left
                        raise UnknownXdmFormat()
                    chunk = message.get("body", b"")
                    size += len(chunk)
                    if size > limit:
                        raise _too_large(limit)
                    if size > self._held:
                        self._reserve(size)
                    chunks.append(chunk)
                    if not message.get("more_body", False):
                        break
        except TimeoutError:
            raise RequestTimeout(
                "Request body was not received in time", headers=dict(_CLOSE)
            ) from None
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    def release(self) -> None:
        self._budget.give(self._held)
        self._held = 0

    def _reserve(self, total: int) -> None:
        """Hold ``total`` bytes of the budget for this body (it only grows)."""
        if total > self._held:
            self._budget.take(total - self._held)
            self._held = total


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"Request body is larger than {limit} bytes", headers=dict(_CLOSE))
