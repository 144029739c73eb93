"""Watching every request: Prometheus samples and an optional access log.

``Observe`` is a plain ASGI middleware (no Starlette request objects on the hot path). After
each response it records the route template (``/collection/{inlet_id}``, never the raw path,
so the label set stays bounded), the method, the status and the duration.

With an access log (``collector serve --access-log PATH|-``) every request gets an id, sent
back as ``X-Request-Id`` and written as ``requestId`` into problem bodies, and one JSON line
per request: time, id, client, method, path, route, status, bytes in and out, duration.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import IO, Any

import orjson

from collector.monitoring.metrics import Metrics

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_SAFE_ID = re.compile(r"^[A-Za-z0-9._\-]{1,64}$")
# Route templates are bounded (unmatched paths are one label); this bounds the cache anyway.
_MAX_CHILDREN = 4096


def route_of(scope: Scope) -> str:
    """The template of the route that answered, or ``unmatched``."""
    if "endpoint" not in scope:
        return "unmatched"
    path: str = scope.get("root_path", "") + scope["path"]
    for name, value in (scope.get("path_params") or {}).items():
        text = str(value)
        if text:
            head, sep, tail = path.rpartition(text)
            if sep:
                path = head + "{" + name + "}" + tail
    return path


class AccessLog:
    """JSON lines, one per request, appended under a lock (``-`` is standard output)."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def write(self, entry: dict[str, Any]) -> None:
        line = orjson.dumps(entry) + b"\n"
        with self._lock:
            self._stream.write(line)
            self._stream.flush()

    def close(self) -> None:
        self._stream.close()


class Observe:
    def __init__(
        self,
        app: ASGIApp,
        *,
        metrics: Callable[[], Metrics | None],
        access_log: Callable[[], AccessLog | None],
    ) -> None:
        self.app = app
        # Resolved per request: the objects open in the lifespan, after the middleware is built.
        self._metrics = metrics
        self._access_log = access_log
        # The labelled samples of each (route, method, status) seen, for ``_children_of``.
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        self._children_of: Metrics | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        log = self._access_log()
        if log is not None:
            await self._logged(scope, receive, send, log)
            return
        # Without an access log only the status is watched: one closure, no dicts.
        started = time.perf_counter()
        status = 500

        async def watching_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, watching_send)
        finally:
            self._record(scope, status, time.perf_counter() - started)

    async def _logged(self, scope: Scope, receive: Receive, send: Send, log: AccessLog) -> None:
        started = time.perf_counter()
        request_id = _request_id(scope)
        sent = {"status": 500, "bytes": 0}
        received = {"bytes": 0}

        async def counting_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                received["bytes"] += len(message.get("body", b""))
            return message

        async def watching_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                sent["status"] = message["status"]
            elif message["type"] == "http.response.body":
                sent["bytes"] += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, counting_receive, _with_request_id(watching_send, request_id))
        finally:
            self._record(scope, sent["status"], time.perf_counter() - started)
            log.write(
                {
                    "time": time.time(),
                    "requestId": request_id,
                    "client": (scope.get("client") or ("", 0))[0],
                    "method": scope["method"],
                    "path": scope["path"],
                    "route": route_of(scope),
                    "status": sent["status"],
                    "bytesIn": received["bytes"],
                    "bytesOut": sent["bytes"],
                    "durationMs": round((time.perf_counter() - started) * 1000, 3),
                }
            )

    def _record(self, scope: Scope, status: int, elapsed: float) -> None:
        metrics = self._metrics()
        if metrics is None:
            return
        if metrics is not self._children_of:  # a new app lifespan: new metric objects
            self._children.clear()
            self._children_of = metrics
        key = (route_of(scope), scope["method"], status)
        children = self._children.get(key)
        if children is None:
            route, method, _ = key
            children = (
                metrics.requests.labels(route, method, str(status)),
                metrics.duration.labels(route, method),
            )
            if len(self._children) < _MAX_CHILDREN:
                self._children[key] = children
        children[0].inc()
        children[1].observe(elapsed)


def _request_id(scope: Scope) -> str:
    """The client's ``X-Request-Id`` when it is a short safe token, else a new one."""
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            text = bytes(value).decode("latin-1")
            if _SAFE_ID.match(text):
                return text
    return secrets.token_hex(8)


def _with_request_id(send: Send, request_id: str) -> Send:
    """Adds ``X-Request-Id`` to the response and ``requestId`` to a problem body."""
    held: dict[str, Any] = {}
    chunks: list[bytes] = []

    async def send_with_id(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = [(k, v) for k, v in message.get("headers", [])]
            headers.append((b"x-request-id", request_id.encode()))
            message = {**message, "headers": headers}
            if dict(headers).get(b"content-type", b"").startswith(b"application/problem+json"):
                held["start"] = message  # wait for the body, which grows by one member
                return
            await send(message)
            return
        if "start" not in held or message["type"] != "http.response.body":
            await send(message)
            return
        chunks.append(message.get("body", b""))
        if message.get("more_body", False):
            return
        body = b"".join(chunks)
        try:
            problem = orjson.loads(body)
            if isinstance(problem, dict):
                problem["requestId"] = request_id
                body = orjson.dumps(problem)
        except orjson.JSONDecodeError:
            pass
        start = held.pop("start")
        start["headers"] = [
            (k, str(len(body)).encode() if k == b"content-length" else v)
            for k, v in start["headers"]
        ]
        await send(start)
        await send({"type": "http.response.body", "body": body})

    return send_with_id
