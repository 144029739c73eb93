"""Every error path of every route family, through the one renderer: the contract's problem
shape (``type``, ``status``, ``title``, ``report.message``) and ``Retry-After`` on 429/503."""

from __future__ import annotations

import gzip
import shutil
from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

from collector.control.settings import Settings
from collector.ingest import envelope
from tests.access import grant
from tests.conftest import INLET, ORG, WEB, web_event
from tests.guard.conftest import issue_token, make_inlet

UNKNOWN = "ab" * 32
SINGLE = f"/collection/{INLET}"
BATCH = f"/collection/batch/{INLET}"
EVENTS = "/data/core/ups/access/entities"
TOO_BIG = b"[" + b"0," * 600_000 + b"0]"


def check(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = r.json()
    assert set(body) == {"type", "status", "title", "report"}
    assert str(body["status"]) == str(status)
    assert body["type"].startswith("http") and body["title"]
    assert isinstance(body["report"]["message"], str) and body["report"]["message"]
    if status in (429, 503):
        assert int(r.headers["retry-after"]) >= 1
    return body


Case = Callable[[TestClient, Settings], Any]

CASES: dict[str, tuple[int, Case]] = {
    # ingestion, both routes and the alias
    "unknown inlet": (404, lambda c, s: c.post(f"/collection/{UNKNOWN}", json={})),
    "unknown inlet, batch": (404, lambda c, s: c.post(f"/collection/batch/{UNKNOWN}", json={})),
    "unknown inlet, preflight": (404, lambda c, s: c.options(f"/collection/{UNKNOWN}")),
    "unparseable body": (400, lambda c, s: c.post(SINGLE, content=b"{")),
    "no messages": (400, lambda c, s: c.post(BATCH, json={"messages": []})),
    "alias, wrong org": (
        400,
        lambda c, s: c.post(
            f"/data/foundation/import/collection/{INLET}",
            json=web_event() | {"header": web_event()["header"] | {"imsOrgId": "X@AdobeOrg"}},
        ),
    ),
    "sync validation": (400, lambda c, s: c.post(SINGLE + "?syncValidation=true", json={})),
    "unknown encoding": (
        400,
        lambda c, s: c.post(SINGLE, content=b"{}", headers={"content-encoding": "br"}),
    ),
    "trailing gzip": (
        400,
        lambda c, s: c.post(
            SINGLE,
            content=gzip.compress(b"{}") + b"x",
            headers={"content-encoding": "gzip"},
        ),
    ),
    "body too large": (413, lambda c, s: c.post(SINGLE, content=TOO_BIG)),
    "batch too large": (
        413,
        lambda c, s: c.post(BATCH, json={"messages": [{}] * (s.max_batch_messages + 1)}),
    ),
    "GET on an ingest route": (405, lambda c, s: c.get(SINGLE)),
    # the rest of the service
    "unknown route": (404, lambda c, s: c.get("/nowhere")),
    "unknown static file": (404, lambda c, s: c.get("/static/nowhere.js")),
    "unknown schema": (404, lambda c, s: c.get("/schemas/https://ns.example.com/nope")),
    "unknown tag property": (404, lambda c, s: c.get("/tags/PRnope/production.js")),
    "POST on monitoring": (405, lambda c, s: c.post("/monitoring/datasets")),
    "profile, no schema.name": (400, lambda c, s: c.get(EVENTS)),
    "profile, bad integer": (
        400,
        lambda c, s: c.get(
            EVENTS,
            params={
                "schema.name": "_xdm.context.experienceevent",
                "relatedSchema.name": "_xdm.context.profile",
                "relatedEntityId": "x",
                "relatedEntityIdNS": "ecid",
                "startTime": str(2**63),
            },
        ),
    ),
    "profile, unknown identity": (
        404,
        lambda c, s: c.get(
            EVENTS,
            params={"schema.name": "_xdm.context.profile", "entityId": "x", "entityIdNS": "ecid"},
        ),
    ),
    "profile erasure, no identity": (
        400,
        lambda c, s: c.delete(EVENTS, params={"entityIdNS": "ecid"}),
    ),
    "privacy job, unknown": (404, lambda c, s: c.get("/data/core/privacy/jobs/nope")),
}


@pytest.mark.parametrize("name", list(CASES))
def test_error_paths(client: TestClient, settings: Settings, name: str) -> None:
    status, case = CASES[name]
    # A credential for the data routes (their 401/403s: tests/guard/test_access.py).
    client.headers.update(grant(settings.control_db_path, ORG, ["admin"]).headers)
    check(case(client, settings), status)


def test_authentication_errors(client: TestClient, settings: Settings) -> None:
    locked = make_inlet(settings, auth_required=True)
    other = make_inlet(settings, auth_required=True)
    _, secret = issue_token(settings, other.id)
    body = check(client.post(f"/collection/{locked.id}", json=web_event()), 401)
    assert body["status"] == "401"  # a string, as DCS sends it
    check(
        client.post(
            f"/collection/{locked.id}",
            json=web_event(),
            headers={"authorization": f"Bearer {secret}"},
        ),
        403,
    )


def test_rate_limit(client: TestClient, settings: Settings) -> None:
    slow = make_inlet(settings, requests_per_second=1)
    statuses = [client.post(f"/collection/{slow.id}", json=web_event()) for _ in range(3)]
    [refused, *_] = [r for r in statuses if r.status_code == 429]
    check(refused, 429)


def test_storage_unavailable_on_both_routes(client: TestClient, settings: Settings) -> None:
    shutil.rmtree(settings.lake_dir / WEB, ignore_errors=True)
    (settings.lake_dir / WEB).parent.mkdir(parents=True, exist_ok=True)
    (settings.lake_dir / WEB).write_bytes(b"")
    check(client.post(SINGLE, json=web_event()), 503)
    check(client.post(BATCH, json={"messages": [web_event()]}), 503)
    check(client.get("/health"), 503)


def test_overloaded_batch_queue(settings: Settings) -> None:
    import dataclasses

    from collector.app import create_app

    quick = dataclasses.replace(settings, max_concurrent_batches=0, batch_queue_timeout_seconds=0)
    with TestClient(create_app(quick)) as client:
        check(client.post(BATCH, json={"messages": [web_event()]}), 503)


def test_an_unexpected_error_is_a_problem_too(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(envelope, "parse", broken)
    quiet = TestClient(client.app, raise_server_exceptions=False)
    check(quiet.post(SINGLE, json=web_event()), 500)
