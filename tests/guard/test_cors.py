"""A request from an origin the inlet does not allow: 403, readable by the page, nothing stored."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from collector.control.settings import Settings
from tests.conftest import INLET, lake_records, web_event
from tests.guard.conftest import make_inlet

SHOP = "https://shop.example.com"


@pytest.mark.parametrize("path", ["/collection/{}", "/collection/batch/{}"])
def test_a_disallowed_origin_gets_403_and_nothing_is_stored(
    client: TestClient, settings: Settings, path: str
) -> None:
    inlet = make_inlet(settings, allowed_origins=[SHOP])
    url = path.format(inlet.id)
    body = {"messages": [web_event()]} if "batch" in path else web_event()
    before = len(lake_records(settings))
    for evil in ("https://evil.example", "https://shop.example.com.evil.example", "null"):
        r = client.post(url, json=body, headers={"origin": evil})
        assert r.status_code == 403, r.text
        assert r.headers["content-type"] == "application/problem+json"
        problem = r.json()
        assert problem["status"] == 403 and problem["title"] == "Forbidden"
        assert problem["report"]["message"] == (
            f"inletId: [{inlet.id}] imsOrgId: [DEMO@AdobeOrg] "
            f"Origin [{evil}] is not allowed for this inlet"
        )
        # The page can read the status, so its tag drops the batch instead of retrying.
        assert r.headers["access-control-allow-origin"] == evil
    assert len(lake_records(settings)) == before
    # The allowed origin, and a server client (no Origin header), are stored.
    assert client.post(url, json=body, headers={"origin": SHOP}).status_code in (200, 207)
    assert client.post(url, json=body).status_code in (200, 207)
    assert len(lake_records(settings)) == before + 2


def test_an_inlet_without_origins_refuses_every_browser(
    client: TestClient, settings: Settings
) -> None:
    inlet = make_inlet(settings)
    before = len(lake_records(settings))
    r = client.post(f"/collection/{inlet.id}", json=web_event(), headers={"origin": SHOP})
    assert r.status_code == 403
    assert client.post(f"/collection/{inlet.id}", json=web_event()).status_code == 200
    assert len(lake_records(settings)) == before + 1


def test_a_wildcard_origin_matches_subdomains_at_request_time(
    client: TestClient, settings: Settings
) -> None:
    inlet = make_inlet(settings, allowed_origins=["https://*.example.com"])
    url = f"/collection/{inlet.id}"
    for origin in ("https://shop.example.com", "https://a.b.example.com"):
        r = client.post(url, json=web_event(), headers={"origin": origin})
        assert r.status_code == 200, r.text
        assert r.headers["access-control-allow-origin"] == origin
        preflight = client.options(
            url, headers={"origin": origin, "access-control-request-method": "POST"}
        )
        assert preflight.headers["access-control-allow-origin"] == origin
    for origin in ("https://example.com", "https://evil-example.com", "http://shop.example.com"):
        r = client.post(url, json=web_event(), headers={"origin": origin})
        assert r.status_code == 403, origin


def test_the_demo_inlet_allows_its_own_page(client: TestClient, settings: Settings) -> None:
    r = client.post(
        f"/collection/{INLET}", json=web_event(), headers={"origin": settings.public_url}
    )
    assert r.status_code == 200
