"""Rate limits over HTTP: per inlet, per message, per synchronous validation, per client IP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx2
import pytest
from starlette.testclient import TestClient

from collector.control.settings import Settings
from tests.conftest import INLET, accepted, lake_records, web_event
from tests.demo import with_demo
from tests.guard.conftest import FakeClock, make_inlet

RATELIMIT = ("ratelimit-limit", "ratelimit-remaining", "ratelimit-reset")


def single(client: TestClient, inlet_id: str, query: str = "", **headers: str) -> httpx2.Response:
    return client.post(f"/collection/{inlet_id}{query}", json=web_event(), headers=headers)


def batch(client: TestClient, inlet_id: str, size: int) -> httpx2.Response:
    return client.post(
        f"/collection/batch/{inlet_id}", json={"messages": [web_event() for _ in range(size)]}
    )


def assert_429(r: httpx2.Response, inlet_id: str) -> dict[str, Any]:
    assert r.status_code == 429, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = r.json()
    assert body["status"] == 429
    assert body["title"] == "Too Many Requests"
    assert str(body["type"]).startswith("http://ns.adobe.com/adobecloud/problem/")
    message = body["report"]["message"]
    assert message.startswith(f"inletId: [{inlet_id}] imsOrgId: [DEMO@AdobeOrg] Too many ")
    headers = r.headers
    assert int(headers["retry-after"]) >= 1
    assert headers["ratelimit-reset"] == headers["retry-after"]
    assert headers["ratelimit-remaining"] == "0"
    return body


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return with_demo(
        Settings(data_dir=tmp_path / "data", run_projector=False, rate_limit_requests_per_second=3)
    )


def test_default_request_limit_comes_from_settings(limited: TestClient, settings: Settings) -> None:
    ok = [single(limited, INLET) for _ in range(3)]
    assert [r.status_code for r in ok] == [200, 200, 200]
    refused = single(limited, INLET)
    assert_429(refused, INLET)
    assert refused.headers["ratelimit-limit"] == "3"
    assert len(accepted(settings)) == 3
    assert len(lake_records(settings)) == 3


def test_per_inlet_limits_override_the_default(
    limited: TestClient, settings: Settings, clock: FakeClock
) -> None:
    slow = make_inlet(settings, requests_per_second=1)
    fast = make_inlet(settings, requests_per_second=0)
    assert single(limited, slow.id).status_code == 200
    assert_429(single(limited, slow.id), slow.id)
    for _ in range(20):
        assert single(limited, fast.id).status_code == 200
    clock.advance(2.0)
    assert single(limited, slow.id).status_code == 200


def test_a_batch_counts_each_message(limited: TestClient, settings: Settings) -> None:
    inlet = make_inlet(settings, messages_per_second=10, requests_per_second=100)
    r = batch(limited, inlet.id, 6)
    assert r.status_code == 207
    assert r.headers["ratelimit-limit"] == "10"
    assert r.headers["ratelimit-remaining"] == "4"
    assert_429(batch(limited, inlet.id, 6), inlet.id)
    r = single(limited, inlet.id)
    assert r.status_code == 200
    assert r.headers["ratelimit-remaining"] == "3"
    body = assert_429(batch(limited, inlet.id, 4), inlet.id)
    assert "Too many messages: the limit is 10 per second" in body["report"]["message"]
    # The refused batches left nothing in the lake.
    assert len(accepted(settings)) == 7


def test_success_carries_ratelimit_headers(limited: TestClient) -> None:
    for r in (single(limited, INLET), batch(limited, INLET, 2)):
        assert all(name in r.headers for name in RATELIMIT)
        assert "retry-after" not in r.headers


def test_sync_validation_has_its_own_per_minute_limit(
    limited: TestClient, settings: Settings, clock: FakeClock
) -> None:
    inlet = make_inlet(settings, sync_per_minute=2, requests_per_second=100)
    clock.advance(15.0)
    for _ in range(2):
        r = single(limited, inlet.id, "?syncValidation=true")
        assert r.json()["syncValidation"] == {"status": "pass"}
    refused = single(limited, inlet.id, "?syncValidation=true")
    body = assert_429(refused, inlet.id)
    assert "synchronous validations" in body["report"]["message"]
    assert refused.headers["retry-after"] == "45"
    # Asynchronous validation is not limited by it.
    assert single(limited, inlet.id).status_code == 200
    assert single(limited, inlet.id, "?syncValidation=false").status_code == 200


def test_per_ip_limit_on_browser_inlets(limited: TestClient, settings: Settings) -> None:
    origin = "https://shop.example.com"
    browser = make_inlet(settings, allowed_origins=[origin], per_ip_per_second=2)
    server = make_inlet(settings, per_ip_per_second=2)
    other_ip = TestClient(limited.app, client=("198.51.100.7", 40000))
    for _ in range(2):
        assert single(limited, browser.id, origin=origin).status_code == 200
    refused = single(limited, browser.id, origin=origin)
    body = assert_429(refused, browser.id)
    assert "requests from this client" in body["report"]["message"]
    # The browser can read the 429 and its Retry-After.
    assert refused.headers["access-control-allow-origin"] == origin
    assert "retry-after" in refused.headers["access-control-expose-headers"]
    assert single(other_ip, browser.id, origin=origin).status_code == 200
    # An inlet without allowed origins is not limited per IP.
    for _ in range(3):
        assert single(limited, server.id).status_code == 200


def test_other_origins_are_refused_before_limits_and_tokens(
    limited: TestClient, settings: Settings
) -> None:
    origin, evil = "https://shop.example.com", "https://evil.example"
    inlet = make_inlet(settings, allowed_origins=[origin], requests_per_second=1)
    locked = make_inlet(settings, allowed_origins=[origin], auth_required=True)
    refused = [single(limited, inlet.id, origin=evil) for _ in range(3)]
    refused.append(single(limited, locked.id, origin=evil))
    for r in refused:
        assert r.status_code == 403, r.text
        # Only enough CORS for the page to read the 403; no budget headers exposed.
        cors = {h: v for h, v in r.headers.items() if h.startswith("access-control-")}
        assert cors == {"access-control-allow-origin": evil}, r.headers
    # The refusals spent none of the inlet's budget of one request per second.
    assert single(limited, inlet.id, origin=origin).status_code == 200
    unauthorized = single(limited, locked.id, origin=origin)
    assert unauthorized.status_code == 401
    assert unauthorized.headers["access-control-allow-origin"] == origin
    preflight = limited.options(
        f"/collection/{inlet.id}",
        headers={"origin": evil, "access-control-request-method": "POST"},
    )
    assert not any(h.startswith("access-control-") for h in preflight.headers)
