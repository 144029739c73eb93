from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from collector.control.settings import Settings
from collector.privacy import routes as privacy_routes
from collector.privacy.runner import JobRunner
from collector.profile.apply import Limits
from collector.profile.projector import Projector, project_once
from collector.profile.routes import PATH, routes
from collector.profile.store import ProfileStore
from tests.access import protected
from tests.profile.lakefixture import (
    BASE_MS,
    ORG,
    RECORDS,
    Lake,
    ids,
    make_control,
    rows,
    settings_for,
)

PROFILE = {"schema.name": "_xdm.context.profile"}
EVENTS = {
    "schema.name": "_xdm.context.experienceevent",
    "relatedSchema.name": "_xdm.context.profile",
}


def _client(
    settings: Settings, clock_ms: int = BASE_MS + 10_000_000, org: str = ORG
) -> Iterator[TestClient]:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.settings = settings
        app.state.profiles = ProfileStore.open(settings, clock=lambda: clock_ms / 1000)
        try:
            yield
        finally:
            app.state.profiles.close()

    app = Starlette(routes=[*routes(), *privacy_routes.routes()], lifespan=lifespan)
    scopes = ["profile:read", "profile:delete"]
    with (
        protected(app, settings.data_dir / "access", scopes, org_id=org) as headers,
        TestClient(app) as client,
    ):
        client.headers.update(headers)
        yield client


@pytest.fixture
def client(settings: Settings, lake: Lake) -> Iterator[TestClient]:
    for n in range(5):
        lake.event(
            ids(ECID="jane-laptop"),
            event_id=f"v{n}",
            timestamp_ms=BASE_MS + n * 1000,
            web={"webPageDetails": {"URL": f"https://x.example/{n}", "name": f"page {n}"}},
        )
    lake.event(
        ids(ECID="jane-laptop", Email="jane@example.com"),
        event_id="login",
        timestamp_ms=BASE_MS + 10_000,
    )
    lake.record(
        {
            "identityMap": {"Email": [{"id": "jane@example.com", "primary": True}]},
            "person": {"name": {"firstName": "Jane", "lastName": "Doe"}, "gender": "female"},
            "personalEmail": {"address": "jane@example.com"},
        },
        received_ms=BASE_MS + 20_000,
    )
    project_once(settings)
    yield from _client(settings)


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["title"] and body["type"]
    assert body["report"]["message"]
    return body


def test_profile_by_identity(client: TestClient, settings: Settings) -> None:
    response = client.get(PATH, params={**PROFILE, "entityId": "jane-laptop", "entityIdNS": "ecid"})
    assert response.status_code == 200
    body = response.json()
    [(profile_id,)] = rows(settings, "SELECT id FROM profiles")
    assert list(body) == [profile_id]
    profile = body[profile_id]
    assert profile["entityId"] == profile_id
    assert sorted(profile["sources"]) == sorted([RECORDS, "a" * 24])
    # codes as first sent (ECID, Email); looked up case-insensitively ("ecid" above)
    assert profile["identityGraph"] == [
        {"id": "jane-laptop", "namespace": {"code": "ECID"}, "authenticatedState": "ambiguous"},
        {
            "id": "jane@example.com",
            "namespace": {"code": "Email"},
            "primary": True,
            "authenticatedState": "ambiguous",
        },
    ]
    assert profile["entity"]["person"]["name"] == {"firstName": "Jane", "lastName": "Doe"}
    assert profile["lastModifiedAt"] == "2026-01-01T00:00:20Z"


def test_namespace_codes_are_case_insensitive_and_fields_project(client: TestClient) -> None:
    response = client.get(
        PATH,
        params={
            **PROFILE,
            "entityId": "jane@example.com",
            "entityIdNS": "EMAIL",
            "fields": "person.name.firstName,personalEmail",
        },
    )
    [profile] = response.json().values()
    assert profile["entity"] == {
        "person": {"name": {"firstName": "Jane"}},
        "personalEmail": {"address": "jane@example.com"},
    }


def test_unknown_identity_and_bad_parameters(client: TestClient) -> None:
    _problem(client.get(PATH, params={**PROFILE, "entityId": "nobody", "entityIdNS": "ecid"}), 404)
    _problem(client.get(PATH, params={**PROFILE, "entityId": "jane-laptop"}), 400)
    _problem(client.get(PATH, params={"entityId": "jane-laptop", "entityIdNS": "ecid"}), 400)
    _problem(
        client.get(
            PATH, params={"schema.name": "_xdm.context.nope", "entityId": "x", "entityIdNS": "ecid"}
        ),
        400,
    )
    base = {**EVENTS, "relatedEntityId": "jane-laptop", "relatedEntityIdNS": "ecid"}
    _problem(client.get(PATH, params={**base, "limit": "0"}), 400)
    _problem(client.get(PATH, params={**base, "limit": "many"}), 400)
    _problem(client.get(PATH, params={**base, "startTime": "-5"}), 400)
    _problem(client.get(PATH, params={**base, "orderby": "name"}), 400)
    _problem(client.get(PATH, params={**base, "start": "!!not-a-cursor"}), 400)
    _problem(client.get(PATH, params={**base, "relatedSchema.name": "_xdm.context.other"}), 400)
    _problem(
        client.get(
            PATH, params={**EVENTS, "relatedEntityId": "nobody", "relatedEntityIdNS": "ecid"}
        ),
        404,
    )
    assert client.post(PATH).status_code == 405


def _pages(client: TestClient, params: dict[str, str]) -> list[dict[str, Any]]:
    pages = []
    response = client.get(PATH, params=params)
    while True:
        assert response.status_code == 200, response.text
        page = response.json()
        pages.append(page)
        href = page["_links"]["next"]["href"]
        if not href:
            assert page["_page"]["next"] == ""
            return pages
        assert href.startswith(PATH + "?")
        response = client.get(href)


def test_events_are_paged_with_links(client: TestClient) -> None:
    params = {**EVENTS, "relatedEntityId": "JANE@example.com", "relatedEntityIdNS": "Email"}
    missing = client.get(PATH, params=params)  # identity ids are case-sensitive
    _problem(missing, 404)
    params["relatedEntityId"] = "jane@example.com"
    pages = _pages(client, {**params, "limit": "2"})
    assert [p["_page"]["count"] for p in pages] == [2, 2, 2]
    children = [c for p in pages for c in p["children"]]
    assert [c["entityId"] for c in children] == ["v0", "v1", "v2", "v3", "v4", "login"]
    assert [c["timestamp"] for c in children] == sorted(c["timestamp"] for c in children)
    assert children[0]["entity"]["web"]["webPageDetails"]["URL"] == "https://x.example/0"
    assert pages[0]["_page"]["orderby"] == "timestamp"
    assert pages[0]["_page"]["next"] == pages[1]["_page"]["start"]

    newest = _pages(client, {**params, "limit": "4", "orderby": "-timestamp"})
    assert [c["entityId"] for p in newest for c in p["children"]] == [
        "login",
        "v4",
        "v3",
        "v2",
        "v1",
        "v0",
    ]


def test_events_time_window_and_fields(client: TestClient) -> None:
    params = {
        **EVENTS,
        "relatedEntityId": "jane-laptop",
        "relatedEntityIdNS": "ECID",
        "startTime": str(BASE_MS + 1000),
        "endTime": str(BASE_MS + 4000),  # exclusive
        "fields": "web.webPageDetails.name",
    }
    page = client.get(PATH, params=params).json()
    assert [c["entityId"] for c in page["children"]] == ["v1", "v2", "v3"]
    assert page["children"][0]["entity"] == {"web": {"webPageDetails": {"name": "page 1"}}}
    assert page["_links"]["next"]["href"] == ""
    empty = client.get(PATH, params={**params, "startTime": str(BASE_MS * 2)}).json()
    assert empty["children"] == [] and empty["_page"]["count"] == 0


def test_delete_creates_a_privacy_job_that_erases_the_person(
    client: TestClient, settings: Settings
) -> None:
    response = client.delete(
        PATH, params={**PROFILE, "entityId": "jane-laptop", "entityIdNS": "ECID"}
    )
    assert response.status_code == 202, response.text
    job = response.json()
    assert job["status"] == "processing" and job["action"] == "delete"
    assert job["userIds"] == [{"namespace": "ecid", "value": "jane-laptop", "type": "standard"}]
    assert job["createdDate"] == "2026-01-01T02:46:40.000Z"  # the store's clock
    job_path = f"/data/core/privacy/jobs/{job['jobId']}"
    assert client.get(job_path).json() == job
    # Nothing is erased until the job runs (in the projector process).
    assert rows(settings, "SELECT COUNT(*) FROM experience_events") == [(6,)]

    projector = Projector(settings)
    try:
        assert JobRunner(projector, settings, settle_seconds=0).run_pending() == 1
    finally:
        projector.close()
    done = client.get(job_path).json()
    assert done["status"] == "complete" and done["userIds"][0]["value"] is None
    results = done["productResponses"][0]["productStatusResponse"]["results"]
    assert results["profiles"] == 1 and results["events"] == 6
    assert results["identitiesErased"] == 2 and results["lakeLines"] == 7  # 6 events, 1 record
    _problem(
        client.get(PATH, params={**PROFILE, "entityId": "jane@example.com", "entityIdNS": "email"}),
        404,
    )
    assert rows(settings, "SELECT COUNT(*) FROM experience_events") == [(0,)]
    assert rows(settings, "SELECT org_id, erased_ms FROM erasure_ledger ORDER BY 1") == [
        (ORG, BASE_MS + 10_000_000),
        (ORG, BASE_MS + 10_000_000),
    ]
    assert rows(settings, "SELECT identity FROM privacy_jobs") == [(None,)]
    listed = client.get("/data/core/privacy/jobs").json()
    assert [j["jobId"] for j in listed["jobs"]] == [job["jobId"]]
    _problem(client.delete(PATH, params={"entityId": "jane-laptop"}), 400)


def test_another_org_sees_neither_the_profile_nor_the_job(
    client: TestClient, settings: Settings
) -> None:
    job = client.delete(PATH, params={"entityId": "jane-laptop", "entityIdNS": "ecid"}).json()
    for other in _client(settings, org="OTHER@AdobeOrg"):
        _problem(
            other.get(PATH, params={**PROFILE, "entityId": "jane-laptop", "entityIdNS": "ecid"}),
            404,
        )
        _problem(other.get(f"/data/core/privacy/jobs/{job['jobId']}"), 404)
        assert other.get("/data/core/privacy/jobs").json()["jobs"] == []
    _problem(client.get("/data/core/privacy/jobs/nope"), 404)
    no_org = client.get(
        PATH,
        params={**PROFILE, "entityId": "jane-laptop", "entityIdNS": "ecid"},
        headers={"x-gw-ims-org-id": ""},
    )
    assert "x-gw-ims-org-id" in _problem(no_org, 403)["report"]["message"]
    sandbox = client.get(
        PATH,
        params={**PROFILE, "entityId": "jane-laptop", "entityIdNS": "ecid"},
        headers={"x-sandbox-name": "dev"},
    )
    assert "Sandbox [dev]" in _problem(sandbox, 403)["report"]["message"]


def test_a_graph_over_fifty_identities_answers_422(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    make_control(settings)
    Lake(settings).event({"ECID": [{"id": f"d{n}"} for n in range(55)]}, event_id="big")
    project_once(settings, limits=Limits(graph_max_identities=100))
    for client in _client(settings):
        body = _problem(
            client.get(PATH, params={**PROFILE, "entityId": "d3", "entityIdNS": "ecid"}), 422
        )
        assert body["title"] == "Too many related identities"
        _problem(
            client.get(
                PATH, params={**EVENTS, "relatedEntityId": "d3", "relatedEntityIdNS": "ecid"}
            ),
            422,
        )


def test_an_empty_store_answers_404(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    for client in _client(settings):
        _problem(client.get(PATH, params={**PROFILE, "entityId": "x", "entityIdNS": "ecid"}), 404)
