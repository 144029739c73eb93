"""``Upload``: a body within its limit, its deadline and the worker's buffered-bytes budget,
fed through a real ASGI receive channel (an ``asyncio.Queue``)."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import pytest

from collector.control.settings import Settings
from collector.errors import Overloaded, PayloadTooLarge, RequestTimeout, UnknownXdmFormat
from collector.ingest.receiver import BodyBudget, Upload


def channel(*chunks: bytes, end: bool = True) -> asyncio.Queue[dict[str, Any]]:
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    for i, chunk in enumerate(chunks):
        more = not (end and i == len(chunks) - 1)
        queue.put_nowait({"type": "http.request", "body": chunk, "more_body": more})
    return queue


def test_chunked_bodies_are_charged_as_they_arrive(settings: Settings) -> None:
    budget = BodyBudget(100)

    async def scenario() -> None:
        first = Upload(channel(b"a" * 60).get, None, settings, budget)
        assert await first.read() == b"a" * 60
        assert budget.held == 60
        second = Upload(channel(b"b" * 30, b"b" * 30).get, None, settings, budget)
        with pytest.raises(Overloaded) as info:
            await second.read()
        assert budget.held == 90  # the 30 bytes it got before the refusal, until released
        assert info.value.response_headers() == {"connection": "close", "retry-after": "1"}
        second.release()
        first.release()
        assert budget.held == 0

    asyncio.run(scenario())


def test_a_declared_length_past_the_budget_is_refused_before_a_byte_is_read(
    settings: Settings,
) -> None:
    budget = BodyBudget(1000)

    async def scenario() -> None:
        holder = Upload(channel(b"x" * 900).get, "900", settings, budget)
        assert await holder.read() == b"x" * 900
        assert budget.held == 900
        arriving = channel(b"y" * 200)
        refused = Upload(arriving.get, "200", settings, budget)
        with pytest.raises(Overloaded):
            await refused.read()
        assert arriving.qsize() == 1  # not a byte of it was received
        refused.release()
        holder.release()
        assert budget.held == 0
        with pytest.raises(PayloadTooLarge):
            await Upload(channel().get, str(settings.max_body_bytes + 1), settings, budget).read()

    asyncio.run(scenario())


def test_a_slow_body_holds_only_what_it_sent(settings: Settings) -> None:
    budget = BodyBudget(1000)

    async def scenario() -> None:
        trickle = Upload(channel(b"{", end=False).get, "900", settings, budget)
        reading = asyncio.ensure_future(trickle.read())
        await asyncio.sleep(0.01)
        assert budget.held == 1  # the byte it sent, not the 900 it announced
        other = Upload(channel(b"z" * 900).get, "900", settings, budget)
        assert await other.read() == b"z" * 900
        other.release()
        reading.cancel()
        trickle.release()
        assert budget.held == 0

    asyncio.run(scenario())


def test_a_body_that_stops_arriving_gets_a_408(settings: Settings) -> None:
    quick = dataclasses.replace(settings, request_timeout_seconds=0.1)
    budget = BodyBudget(1000)

    async def scenario() -> None:
        upload = Upload(channel(b"{", end=False).get, "10", quick, budget)
        with pytest.raises(RequestTimeout):
            await upload.read()
        upload.release()
        assert budget.held == 0

    asyncio.run(scenario())


def _uvicorn_cycle(transport: asyncio.Transport, event: asyncio.Event) -> Any:
    """uvicorn's own request cycle (its ``receive`` is what the app gets under uvicorn)."""
    import logging

    from uvicorn.protocols.http.flow_control import FlowControl
    from uvicorn.protocols.http.httptools_impl import RequestResponseCycle

    log = logging.getLogger("test")
    return RequestResponseCycle(
        scope={"type": "http"},  # type: ignore[typeddict-item]
        transport=transport,
        flow=FlowControl(transport),
        logger=log,
        access_logger=log,
        access_log=False,
        default_headers=[],
        message_event=event,
        expect_100_continue=False,
        keep_alive=True,
        on_response=lambda: None,
    )


def test_a_body_uvicorn_holds_whole_is_read_at_once(settings: Settings) -> None:
    """``ready``: uvicorn's channel with the whole body parsed answers without waiting, so no
    deadline is armed; with more to come, or another channel, the deadline applies."""
    import socket

    from collector.ingest.receiver import ready

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        ours, theirs = socket.socketpair()
        transport, _ = await loop.connect_accepted_socket(asyncio.Protocol, ours)
        try:
            event = asyncio.Event()
            cycle = _uvicorn_cycle(transport, event)  # type: ignore[arg-type]
            cycle.body.extend(b"x" * 10)
            assert not ready(cycle.receive)  # nothing parsed to its end yet
            event.set()
            assert not ready(cycle.receive)  # a first chunk, more to come
            cycle.more_body = False
            assert ready(cycle.receive)
            assert not ready(channel(b"x").get)
            budget = BodyBudget(100)
            upload = Upload(cycle.receive, "10", settings, budget)
            assert await upload.read() == b"x" * 10
            assert budget.held == 10
            upload.release()
            cycle.disconnected = True
            event.set()
            with pytest.raises(UnknownXdmFormat):
                await Upload(cycle.receive, None, settings, budget).read()
            assert budget.held == 0
        finally:
            transport.close()
            theirs.close()

    asyncio.run(scenario())
