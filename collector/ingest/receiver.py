"""Receiving request bodies off the ASGI channel: within the body limit, before a deadline,
and within the worker's budget of bytes buffered across every body in flight.

A body is received before the request waits for anything else (a batch slot), so a client
that trickles its body holds only its own bytes, never a slot others need. The budget is what
keeps memory flat under many stalled uploads: it counts the bytes actually received and not
yet answered, so slow clients that send little hold little of it. A request whose declared
``Content-Length`` would take the count past the budget is answered 503 with ``Retry-After``
at once, before its body is read; a body whose bytes take it past the budget as they arrive
(chunked, or others grew meanwhile) is answered the same way then.
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

    def check(self, size: int) -> None:
        """Refuse (503) a body of ``size`` more bytes than the budget has room for."""
        if self.held + size > self.limit:
            raise Overloaded(
                "Too many request bodies are being received; retry later", headers=dict(_CLOSE)
            )

    def take(self, size: int) -> None:
        self.check(size)
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
            self._budget.check(declared)
        receive = self._receive  # the ASGI channel itself: no generator per request
        if ready(receive):  # the whole body is in: no deadline to arm
            message: Any = await receive()
            if message["type"] == "http.request" and not message.get("more_body", False):
                return self._hold(message.get("body", b""), limit)
            raise UnknownXdmFormat()  # http.disconnect: the client left
        chunks: list[bytes] = []
        try:
            async with asyncio.timeout(self._settings.request_timeout_seconds):
                while True:
                    message = await receive()
                    if message["type"] != "http.request":  # http.disconnect: the client left
                        raise UnknownXdmFormat()
                    chunk: bytes = message.get("body", b"")
                    if self._held + len(chunk) > limit:
                        raise _too_large(limit)
                    self._budget.take(len(chunk))
                    self._held += len(chunk)
                    if not message.get("more_body", False):
                        if not chunks:  # the whole body in one message: the usual case
                            return chunk
                        chunks.append(chunk)
                        break
                    chunks.append(chunk)
        except TimeoutError:
            raise RequestTimeout(
                "Request body was not received in time", headers=dict(_CLOSE)
            ) from None
        return b"".join(chunks)

    def _hold(self, body: bytes, limit: int) -> bytes:
        if len(body) > limit:
            raise _too_large(limit)
        self._budget.take(len(body))
        self._held += len(body)
        return body

    def release(self) -> None:
        self._budget.give(self._held)
        self._held = 0


def ready(receive: Receive) -> bool:
    """Whether ``receive`` is uvicorn's channel holding a whole body (or a disconnect), so
    that awaiting it returns at once: its protocol has parsed the end of the message (small
    bodies arrive with their head). Any other channel may wait, so it gets the deadline."""
    cycle = getattr(receive, "__self__", None)
    event = getattr(cycle, "message_event", None)
    return (
        isinstance(event, asyncio.Event)
        and event.is_set()
        and getattr(cycle, "more_body", True) is False
        and getattr(cycle, "waiting_for_100_continue", True) is False
    )


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"Request body is larger than {limit} bytes", headers=dict(_CLOSE))
