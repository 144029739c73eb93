"""The pipeline without HTTP: bytes and plain values in, a ``Result`` out."""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import gzip
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
import pytest

from collector.control.plane import ControlPlane
from collector.control.settings import Settings
from collector.guard.inlet import Guard
from collector.guard.ratelimit import RateLimits
from collector.guard.tokens import TokenStore
from collector.ingest.pipeline import Pipeline
from collector.ingest.request import PROBLEM_JSON, IngestRequest, given
from collector.lake.writer import Lake
from collector.schemas.registry import SchemaRegistry
from tests.conftest import INLET, ORG, accepted, web_event


@pytest.fixture
def pipeline(settings: Settings) -> Iterator[Pipeline]:
    with pipeline_for(settings) as pipe:
        yield pipe


@contextmanager
def pipeline_for(settings: Settings) -> Iterator[Pipeline]:
    control = ControlPlane(settings.control_db_path)  # the demo is seeded (tests/demo.py)
    tokens = TokenStore(settings.control_db_path)
    limits = RateLimits(settings.rate_limit_storage)
    lake = Lake(settings)
    yield Pipeline(
        settings,
        control=control,
        registry=SchemaRegistry.load(settings.schemas_dir),
        lake=lake,
        guard=Guard(settings, tokens=tokens, limits=limits),
    )
    lake.close()
    limits.close()
    tokens.close()
    control.close()


def run(pipeline: Pipeline, inlet: Any, request: IngestRequest, raw: bytes, batch: bool) -> Any:
    return asyncio.run(pipeline.ingest(inlet, request, given(raw), batch=batch))


def head(**fields: object) -> IngestRequest:
    return IngestRequest(inlet_id=INLET, client_ip="192.0.2.7", **fields)  # type: ignore[arg-type]


def test_a_single_message_from_bytes(pipeline: Pipeline, settings: Settings) -> None:
    inlet = pipeline.control.inlet(INLET)
    raw = orjson.dumps(web_event())
    result = run(pipeline, inlet, head(), raw, batch=False)
    assert result.status == 200
    assert result.body["inletId"] == INLET
    assert result.body["syncValidation"] == {"skipped": True}
    assert "ratelimit-limit" in result.headers
    [record] = accepted(settings)
    assert record["client"]["ip"] == "192.0.2.0"  # the default policy truncates


def test_a_gzipped_batch_and_the_sync_flag(pipeline: Pipeline, settings: Settings) -> None:
    inlet = pipeline.control.inlet(INLET)
    raw = gzip.compress(orjson.dumps({"messages": [web_event(), {"nope": 1}]}))
    result = run(pipeline, inlet, head(content_encoding="gzip"), raw, batch=True)
    assert result.status == 207
    assert [sorted(r) for r in result.body["responses"]] == [
        ["validation", "xactionId"],
        ["message", "status", "statusCode", "xactionId"],
    ]
    sync = head(sync_key="synchronousValidation", sync=True)
    result = run(pipeline, inlet, sync, orjson.dumps(web_event()), batch=False)
    assert result.body["synchronousValidation"] == {"status": "pass"}
    assert len(accepted(settings)) == 2


def test_refusals_are_problem_results(pipeline: Pipeline) -> None:
    inlet = pipeline.control.inlet(INLET)
    result = run(pipeline, None, head(), b"{}", batch=False)
    assert (result.status, result.media_type) == (404, PROBLEM_JSON)
    assert result.body["title"] == "Inlet not found"
    result = run(pipeline, inlet, head(), b"{", batch=False)
    assert result.status == 400
    assert result.body["report"]["message"] == (
        f"inletId: [{INLET}] imsOrgId: [{ORG}] Message has unknown xdm format"
    )


def test_the_body_is_not_read_for_an_unknown_inlet(pipeline: Pipeline) -> None:
    async def body() -> bytes:
        raise AssertionError("read")

    result = asyncio.run(pipeline.ingest(None, head(), body, batch=True))
    assert result.status == 404


def test_the_pipeline_imports_no_http() -> None:
    code = (
        "import sys, collector.ingest.pipeline, collector.ingest.body;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('starlette', 'uvicorn')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_queued_batch_waits_for_a_slot_within_a_deadline(settings: Settings) -> None:
    quick = dataclasses.replace(settings, max_concurrent_batches=1, batch_queue_timeout_seconds=0.2)
    with pipeline_for(quick) as pipe:
        inlet = pipe.control.inlet(INLET)
        raw = orjson.dumps({"messages": [web_event()]})

        async def scenario() -> tuple[Any, float, Any]:
            holder = asyncio.Event()

            async def slow_body() -> bytes:
                await holder.wait()
                return raw

            # A body still arriving holds no slot: a second batch goes through meanwhile.
            slow = asyncio.ensure_future(pipe.ingest(inlet, head(), slow_body, batch=True))
            passed = await pipe.ingest(inlet, head(), given(raw), batch=True)
            assert passed.status == 207
            async with pipe._batch_slot():  # every slot busy
                started = time.perf_counter()
                queued = await pipe.ingest(inlet, head(), given(raw), batch=True)
                waited = time.perf_counter() - started
            holder.set()
            return queued, waited, await slow

        queued, waited, slow = asyncio.run(scenario())
    assert queued.status == 503
    assert queued.headers["retry-after"] == "1"
    assert queued.body["title"] == "Service Unavailable"
    assert queued.body["report"]["message"].endswith(
        "Too many batches are in progress; retry later"
    )
    assert 0.2 <= waited < 2.0
    assert slow.status == 207


@pytest.mark.parametrize("batch", [False, True])
def test_no_parsed_message_is_held_while_the_lake_syncs(
    pipeline: Pipeline, settings: Settings, batch: bool
) -> None:
    """A request waiting for its group fsync holds its lines, not the parsed JSON."""
    marker = f"held-{batch}"
    events = [web_event(_id=f"{marker}-{n}") for n in range(3 if batch else 1)]
    raw = orjson.dumps({"messages": events} if batch else events[0])
    del events
    alive: list[int] = []
    append = pipeline.lake.append

    async def watching(entries: Any) -> None:
        alive.append(sum(_is_entity_of(o, marker) for o in gc.get_objects()))
        await append(entries)

    pipeline.lake.append = watching  # type: ignore[method-assign]
    result = run(pipeline, pipeline.control.inlet(INLET), head(), raw, batch=batch)
    assert result.status == (207 if batch else 200)
    assert alive == [0]
    assert sorted(r["entity"]["_id"] for r in accepted(settings)) == sorted(
        f"{marker}-{n}" for n in range(3 if batch else 1)
    )


def _is_entity_of(obj: object, marker: str) -> bool:
    if type(obj) is not dict:
        return False
    value = obj.get("_id")
    return isinstance(value, str) and value.startswith(marker)
