"""uvicorn's httptools protocol with a deadline and a size cap on every request head.

uvicorn bounds the idle time *between* keep-alive requests, but not the time a client takes
to send a request line and headers, nor their size: a client that opens a connection and
trickles header bytes ("slowloris") holds it forever, and httptools buffers a header of any
length. Here each request head must arrive within ``request_timeout_seconds`` (else 408, or
a silent close when nothing was sent) and within ``h11_max_incomplete_event_size`` bytes
(uvicorn's own cap for its h11 protocol, else 431). The body is bounded by
``collector/ingest/body.py`` (size, deadline) and by uvicorn's flow control (memory).

``collector serve`` selects it with ``http="collector.web.protocol:GuardedHttpProtocol"``.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any

import orjson
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from collector.control.settings import Settings
from collector.errors import CollectorError, HeaderFieldsTooLarge, RequestTimeout

DEFAULT_MAX_HEAD_BYTES = 64 * 1024


@functools.cache
def _head_timeout() -> float:
    """The worker's deadline (``collector serve`` passes settings in ``COLLECTOR_*``)."""
    return Settings.from_env().request_timeout_seconds


class GuardedHttpProtocol(HttpToolsProtocol):
    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self._head_timeout = _head_timeout()
        self._max_head = config.h11_max_incomplete_event_size or DEFAULT_MAX_HEAD_BYTES
        self._head_timer: asyncio.TimerHandle | None = None
        # Between the end of a request body and the end of the next request's headers.
        self._in_head = True
        self._head_bytes = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._in_head:
            self._head_bytes += len(data)
        super().data_received(data)
        if self._in_head and self._head_bytes > self._max_head:
            self._refuse(
                HeaderFieldsTooLarge(f"Request head is larger than {self._max_head} bytes")
            )

    # httptools parser callbacks

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._head_timer is None:
            self._arm()

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._head_bytes = 0
        self._disarm()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._in_head = True
        super().on_message_complete()

    # deadline

    def _arm(self) -> None:
        self._head_timer = self.loop.call_later(self._head_timeout, self._head_expired)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_expired(self) -> None:
        self._head_timer = None
        if not self._in_head or self.transport.is_closing():
            return
        if self._head_bytes == 0:
            self.transport.close()  # an idle connection: nothing to answer
            return
        self._refuse(RequestTimeout("Request head was not received in time"))

    def _refuse(self, err: CollectorError) -> None:
        """Answer ``err`` and close, unless a response is being written (pipelining)."""
        self._disarm()
        if self.transport.is_closing():
            return
        if self.cycle is None or self.cycle.response_complete:
            body = orjson.dumps(err.problem())
            self.transport.write(
                b"HTTP/1.1 %d %s\r\ncontent-type: application/problem+json\r\n"
                b"content-length: %d\r\nconnection: close\r\n\r\n%s"
                % (err.status, err.title.encode(), len(body), body)
            )
        self.transport.close()
