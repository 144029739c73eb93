"""Privacy Service jobs (model: AEP's ``/data/core/privacy/jobs``), read-only.

``GET /data/core/privacy/jobs/{jobId}``: one job of the caller's org (another org's job answers
404). ``GET /data/core/privacy/jobs``: the caller's jobs, newest first (``size``, at most
1000). Jobs are created by ``DELETE`` on the Profile Access API or ``collector profiles erase``.
"""

from __future__ import annotations

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from collector.errors import CollectorError, InvalidMessageFormat, NotFound
from collector.privacy import jobs
from collector.profile.caller import caller
from collector.profile.store import ProfileStore

PATH = "/data/core/privacy/jobs"
MAX_SIZE = 1000


class JobNotFound(NotFound):
    title = "Job not found"
    type = "http://ns.adobe.com/aep/errors/privacy/not-found"

    @property
    def message(self) -> str:
        return self.detail


class BadJobsRequest(InvalidMessageFormat):
    title = "Bad Request"
    type = "http://ns.adobe.com/aep/errors/privacy/bad-request"

    @property
    def message(self) -> str:
        return self.detail


def routes() -> list[BaseRoute]:
    return [
        Route(PATH, listing, methods=["GET"]),
        Route(PATH + "/{job_id}", job, methods=["GET"]),
    ]


async def job(request: Request) -> Response:
    store: ProfileStore = request.app.state.profiles
    job_id = request.path_params["job_id"]
    try:
        org = caller(request, "profile:delete").org
        found = await run_in_threadpool(_get, store, job_id, org)
        if found is None:
            raise JobNotFound(f"no privacy job {job_id}")
    except CollectorError as exc:
        return _problem(exc)
    return Response(orjson.dumps(jobs.document(found)), media_type="application/json")


async def listing(request: Request) -> Response:
    store: ProfileStore = request.app.state.profiles
    try:
        org = caller(request, "profile:delete").org
        raw = request.query_params.get("size", "100")
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_SIZE:
            raise BadJobsRequest(f"size must be an integer from 1 to {MAX_SIZE}")
        found = await run_in_threadpool(_list, store, org, int(raw))
    except CollectorError as exc:
        return _problem(exc)
    body = {"jobs": [jobs.document(j) for j in found], "totalRecords": len(found)}
    return Response(orjson.dumps(body), media_type="application/json")


def _get(store: ProfileStore, job_id: str, org: str) -> jobs.Job | None:
    with store.reader() as conn:
        return jobs.get(conn, job_id, org)


def _list(store: ProfileStore, org: str, size: int) -> list[jobs.Job]:
    with store.reader() as conn:
        return jobs.listing(conn, org, size)


def _problem(exc: CollectorError) -> Response:
    return Response(orjson.dumps(exc.problem()), exc.status, media_type="application/problem+json")
