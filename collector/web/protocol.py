"""uvicorn's httptools protocol with a deadline and a size cap on every request head.

uvicorn bounds the idle time *between* keep-alive requests, but not the time a client takes
to send a request line and headers, nor their size: a client that opens a connection and
trickles header bytes ("slowloris") holds it forever, and httptools buffers a header of any
length. Here each request head must arrive within ``request_timeout_seconds`` (else 408, or
a silent close when nothing was sent) and within ``h11_max_incomplete_event_size`` bytes
(uvicorn's own cap for its h11 protocol, else 431). Head bytes are counted before the parser
sees them, so a head that arrives whole in one read is measured too; a head that follows a
body in the same read (pipelining) is measured when its headers are complete, before the app
sees it. A refused connection is half-closed and drained for a moment (``LINGER_SECONDS``)
rather than closed at once: closing a socket with unread bytes makes the kernel send a reset,
which destroys the 431 before the client reads it. The body is bounded by
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
# After a refusal: how long the rest of the client's bytes are read and dropped.
LINGER_SECONDS = 2.0
_END_OF_HEAD = b"\r\n\r\n"


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
        # When the head being received started (loop time), None once it is complete. The
        # timer is not re-armed per request: when it fires it checks this and, for a head
        # that started since, sleeps again for what that head has left.
        self._head_started: float | None = None
        # Between the end of a request body and the end of the next request's headers.
        self._in_head = True
        self._head_bytes = 0
        # The last bytes of the head so far: its end may be split across two reads.
        self._head_tail = b""
        self._refused = False
        self._pending: CollectorError | None = None  # answered when the current response ends
        self._linger: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        self._head_started = self.loop.time()
        self._arm(self._head_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        if self._linger is not None:
            self._linger.cancel()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return  # draining after a refusal
        if self._in_head:
            seen = self._head_tail + data
            end = seen.find(_END_OF_HEAD)
            counted = len(data) if end < 0 else end + len(_END_OF_HEAD) - len(self._head_tail)
            self._head_bytes += counted
            self._head_tail = seen[-(len(_END_OF_HEAD) - 1) :]
            if self._head_bytes > self._max_head:
                self._refuse_head()
                return
        super().data_received(data)

    # httptools parser callbacks

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._head_started is None:
            self._head_started = self.loop.time()
        if self._head_timer is None:
            self._arm(self._head_timeout)

    def on_headers_complete(self) -> None:
        parsed = len(self.url) + sum(len(n) + len(v) + 4 for n, v in self.headers)
        self._in_head = False
        self._head_bytes = 0
        self._head_tail = b""
        self._head_started = None  # the timer, if pending, finds no head to time
        if self._refused:
            return
        if parsed > self._max_head:  # a head that followed a body in the same read
            self._refuse_head()
            return
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if not self._refused:
            super().on_body(body)

    def on_message_complete(self) -> None:
        self._in_head = True
        if not self._refused:
            super().on_message_complete()

    # deadline

    def _arm(self, seconds: float) -> None:
        self._head_timer = self.loop.call_later(seconds, self._head_expired)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_expired(self) -> None:
        self._head_timer = None
        started = self._head_started
        if started is None or not self._in_head or self.transport.is_closing():
            return  # no head on its way: the next one arms the timer again
        left = started + self._head_timeout - self.loop.time()
        if left > 0:  # a later head than the one the timer was set for
            self._arm(left)
            return
        if self._head_bytes == 0:
            self.transport.close()  # an idle connection: nothing to answer
            return
        self._refuse(RequestTimeout("Request head was not received in time"))

    def _refuse_head(self) -> None:
        self._refuse(HeaderFieldsTooLarge(f"Request head is larger than {self._max_head} bytes"))

    def _refuse(self, err: CollectorError) -> None:
        """Answer ``err`` and close; after the response being written, if any (pipelining)."""
        self._disarm()
        if self._refused or self.transport.is_closing():
            return
        self._refused = True  # from here on nothing more is parsed
        if self.cycle is None or self.cycle.response_complete:
            self._answer(err)
        else:
            self._pending = err

    def on_response_complete(self) -> None:
        super().on_response_complete()
        pending = self._pending
        if pending is not None and self.cycle is not None and self.cycle.response_complete:
            self._pending = None
            self._answer(pending)

    def _answer(self, err: CollectorError) -> None:
        if self.transport.is_closing():
            return
        body = orjson.dumps(err.problem())
        self.transport.write(
            b"HTTP/1.1 %d %s\r\ncontent-type: application/problem+json\r\n"
            b"content-length: %d\r\nconnection: close\r\n\r\n%s"
            % (err.status, err.title.encode(), len(body), body)
        )
        if not self.transport.can_write_eof():
            self.transport.close()
            return
        # Send the answer and FIN, read and drop what the client still sends, then close.
        self.transport.write_eof()
        self.transport.resume_reading()
        self._linger = self.loop.call_later(LINGER_SECONDS, self.transport.close)
