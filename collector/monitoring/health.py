"""``GET /health``: up, and able to store what it acknowledges.

200 ``{"status": "ok"}`` only when the lake directory takes a write now (a probe file is
created and removed; a full disk is caught by the free-space count) and the pipeline's last
lake append did not fail within ``RECENT_SECONDS`` (an append fails on a full disk long before
the probe would). Otherwise 503 in the problem shape with ``Retry-After`` and the reason, so a
load balancer stops sending events here while they could not be stored.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from collector.errors import StorageUnavailable
from collector.web.responses import json_response, problem_response

RECENT_SECONDS = 30.0


def lake_problem(lake_dir: Path, last_failure: tuple[float, str] | None) -> str | None:
    """Why the lake cannot take writes now, or ``None``."""
    if last_failure is not None and time.monotonic() - last_failure[0] < RECENT_SECONDS:
        return f"The last lake write failed: {last_failure[1]}"
    probe = lake_dir / f".health-{os.getpid()}"
    try:
        lake_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
        try:
            os.write(fd, b"ok")
        finally:
            os.close(fd)
        os.unlink(probe)
        if os.statvfs(lake_dir).f_bavail == 0:
            return "The lake's file system has no space left"
    except OSError as exc:
        return f"The lake directory is not writable: {exc.strerror or exc}"
    return None


async def _health(request: Request) -> Response:
    state = request.app.state
    reason = await run_in_threadpool(
        lake_problem, state.settings.lake_dir, state.pipeline.last_lake_failure
    )
    if reason is not None:
        return problem_response(StorageUnavailable(reason))
    return json_response({"status": "ok"})


def routes() -> list[BaseRoute]:
    return [Route("/health", _health, methods=["GET"])]
