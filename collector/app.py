"""The application factory. Long-lived resources open in the lifespan, on ``app.state``."""

from __future__ import annotations

import asyncio
import gc
import logging
import multiprocessing
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from collector.console import routes as console_pages
from collector.console import signin as console
from collector.control import lifeline
from collector.control.datastreams import Datastreams
from collector.control.plane import ControlPlane
from collector.control.seed import ensure_demo
from collector.control.settings import Settings
from collector.errors import CollectorError, InvalidMessageFormat, MethodNotAllowed, NotFound
from collector.guard import ims
from collector.guard.access import Access
from collector.guard.inlet import Guard
from collector.guard.ratelimit import RateLimits
from collector.guard.tokens import TokenStore
from collector.ingest import edge
from collector.ingest import routes as ingest
from collector.ingest.pipeline import Pipeline
from collector.ingest.receiver import BodyBudget
from collector.ingest.shortcut import Shortcut
from collector.lake import segments
from collector.lake.writer import Lake
from collector.monitoring import datasets as monitoring
from collector.monitoring import debug_routes, health, series_routes
from collector.monitoring.observe import AccessLog, Observe
from collector.monitoring.observer import Observer
from collector.privacy import routes as privacy_routes
from collector.profile import routes as profile_routes
from collector.profile.process import ProjectorProcess
from collector.profile.store import ProfileStore
from collector.schemas import routes as schema_routes
from collector.schemas.live import LiveRegistry
from collector.setup import routes as setup_routes
from collector.tags import routes as tags_routes
from collector.tags.demo import open_tag_store
from collector.web import openapi
from collector.web.responses import problem_response

log = logging.getLogger(__name__)


def create_app(settings: Settings) -> Starlette:
    # What the observing middleware finds once the lifespan has opened it.
    watching: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # Refuse to start on schemas that cannot be validated against.
        registry = LiveRegistry.open(settings)  # follows the tenant schemas of every worker
        control = ControlPlane(settings.control_db_path)
        if settings.seed_demo:
            ensure_demo(control, public_url=settings.public_url)
        for tail in segments.recover(settings.lake_dir):
            log.warning("repaired torn lake segment %s", tail.segment)
        lake = Lake(settings)
        app.state.settings = settings
        app.state.registry = registry
        app.state.control = control
        app.state.datastreams = Datastreams(control)
        app.state.lake = lake
        app.state.lake_counts = monitoring.LakeCounts(settings.lake_dir)
        app.state.tags = open_tag_store(settings, control, registry)
        tokens = TokenStore(settings.control_db_path)
        limits = RateLimits(settings.rate_limit_storage)
        guard = Guard(settings, tokens=tokens, limits=limits)
        app.state.bodies = BodyBudget(settings.max_buffered_bytes)
        observer = Observer(settings)
        app.state.observer = observer
        lake.on_sync = observer.fsync
        access_log = _access_log(settings.access_log)
        watching.update(metrics=observer.metrics, log=access_log)
        flushing = asyncio.create_task(observer.run())
        app.state.pipeline = Pipeline(
            settings, control=control, registry=registry, lake=lake, guard=guard, observer=observer
        )
        app.state.profiles = ProfileStore.open(settings)
        app.state.access = Access(settings)
        app.state.console = console.Console(settings)
        app.state.debug_events = debug_routes.start_follower(settings)
        projector = ProjectorProcess(settings) if settings.run_projector else None
        if projector is not None:
            projector.start()  # a no-op in workers where a sibling already supervises one
        try:
            yield
        finally:
            if projector is not None:
                projector.stop()
            flushing.cancel()
            watching.clear()
            observer.close()
            if access_log is not None:
                access_log.close()
            app.state.debug_events.stop()
            app.state.profiles.close()
            app.state.access.close()
            app.state.console.close()
            lake.close()
            limits.close()
            tokens.close()
            app.state.tags.close()
            control.close()

    return Starlette(
        routes=[
            *_routes(),
            *edge.routes(settings.edge_base_path),
            *tags_routes.static_routes(settings.static_dir),
        ],
        exception_handlers={
            HTTPException: _http_error,
            CollectorError: _collector_error,
            Exception: _internal_error,
        },
        middleware=[
            Middleware(
                Observe,
                metrics=lambda: watching.get("metrics"),
                access_log=lambda: watching.get("log"),
            ),
            Middleware(Shortcut),  # the streaming POST routes, past the router
        ],
        lifespan=lifespan,
    )


def _access_log(where: str) -> AccessLog | None:
    if not where:
        return None
    if where == "-":
        return AccessLog(os.fdopen(os.dup(sys.stdout.fileno()), "ab", buffering=0))
    path = Path(where)
    path.parent.mkdir(parents=True, exist_ok=True)
    return AccessLog(path.open("ab"))


def _routes() -> list[BaseRoute]:
    return [
        *ingest.routes(),  # first: the hot path matches on its first tries
        *health.routes(),
        *monitoring.routes(),
        *series_routes.routes(),
        *debug_routes.routes(),
        *schema_routes.routes(),
        *profile_routes.routes(),
        *ims.routes(),
        *console.routes(),
        *console_pages.routes(),
        *privacy_routes.routes(),
        *tags_routes.routes(),
        *setup_routes.routes(),
        *openapi.routes(),
    ]


async def _collector_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, CollectorError)
    return problem_response(exc)


async def _internal_error(request: Request, exc: Exception) -> Response:
    """A bug: the problem shape still (the exception is logged by Starlette)."""
    return problem_response(CollectorError("Internal error"))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    kind = {404: NotFound, 405: MethodNotAllowed}.get(exc.status_code, InvalidMessageFormat)
    return problem_response(kind(exc.detail or kind.title), exc.headers)


def app_from_env() -> Starlette:
    """Factory for uvicorn workers: settings come from ``COLLECTOR_*`` variables."""
    logging.basicConfig(level=Settings.from_env().log_level.upper())
    master = multiprocessing.parent_process()
    if master is not None and master.pid is not None:  # a worker of ``serve --workers N``
        lifeline.follow(master.pid)
    app = create_app(Settings.from_env())
    _tune_gc()
    return app


def _tune_gc() -> None:
    """Fewer, cheaper collections in a served worker.

    Ingest allocates many short-lived containers that reference counting frees; with the
    default thresholds the cyclic collector ran often enough to take 10-30% of a worker's
    CPU (bench/README.md). Objects alive at start-up are frozen out of every collection.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)
