"""Browser inlets get a per-client-IP limit without anyone setting one."""

from __future__ import annotations

from starlette.testclient import TestClient

from collector.control.settings import Settings
from tests.conftest import web_event
from tests.guard.conftest import FakeClock, make_inlet

SHOP = "https://shop.example.com"


def test_the_default_is_on_and_configurable() -> None:
    assert Settings().rate_limit_per_ip_per_second == 20
    env = {"COLLECTOR_RATE_LIMIT_PER_IP_PER_SECOND": "0"}
    assert Settings.from_env(env).rate_limit_per_ip_per_second == 0


def test_a_browser_inlet_is_limited_per_ip_by_default(
    limited: TestClient, settings: Settings, clock: FakeClock
) -> None:
    browser = make_inlet(settings, allowed_origins=[SHOP])
    server = make_inlet(settings)
    assert browser.per_ip_per_second is None  # nothing set on the inlet: the default applies

    def post(client: TestClient, inlet_id: str, **headers: str) -> int:
        return client.post(f"/collection/{inlet_id}", json=web_event(), headers=headers).status_code

    assert [post(limited, browser.id, origin=SHOP) for _ in range(20)] == [200] * 20
    refused = limited.post(f"/collection/{browser.id}", json=web_event(), headers={"origin": SHOP})
    assert refused.status_code == 429
    assert "requests from this client" in refused.json()["report"]["message"]
    assert int(refused.headers["retry-after"]) >= 1
    # Without an Origin header the same client is the same client.
    assert post(limited, browser.id) == 429
    # Another address has its own budget; an inlet for servers (no origins) has none per IP.
    other = TestClient(limited.app, client=("198.51.100.7", 40000))
    assert post(other, browser.id, origin=SHOP) == 200
    assert [post(limited, server.id) for _ in range(30)] == [200] * 30
    clock.advance(2.0)
    assert post(limited, browser.id, origin=SHOP) == 200
