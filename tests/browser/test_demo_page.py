"""The demo shop page (``static/demo/``) in real Chromium against a real ``collector serve``.

Regressions: an SPA page view carried the previous page's category (the URL changed before
the page set its category), and after consent "out" the discarded beacons still read
"queued: consent pending" and the device id kept reading "(none: consent out)" once consent
was back "in".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page

from collector.control import seed
from collector.control.settings import Settings
from tests.browser.conftest import lake_entities, wait_for
from tests.server import LiveServer

pytestmark = pytest.mark.browser

PAGE_VIEW = "web.webpagedetails.pageViews"
# Every beacon the tag queues, seen through the embed snippet's queue (set before the page's
# own scripts run; the snippet keeps an existing _xdmTag).
HOOK = """
window.__beacons = [];
window._xdmTag = {q: [["on", ["beacon", function (m) {
  window.__beacons.push(JSON.parse(JSON.stringify(m.body.xdmEntity)));
}]]]};
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = LiveServer(tmp_path_factory.mktemp("demo-page") / "data")
    live.env["COLLECTOR_PUBLIC_URL"] = live.base_url  # the seeded inlet allows this origin
    with live:
        yield live


@pytest.fixture
def page(context: BrowserContext, server: LiveServer) -> Page:
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.add_init_script(HOOK)
    page.goto(server.base_url + "/")
    page.wait_for_function("window._xdmTag && window._xdmTag.stats")
    _page_views(page, 1)
    assert errors == []
    return page


def _page_views(page: Page, count: int) -> list[dict[str, Any]]:
    def views() -> list[dict[str, Any]]:
        found = [b for b in page.evaluate("window.__beacons") if b["eventType"] == PAGE_VIEW]
        return found if len(found) >= count else []

    return wait_for(views, f"{count} page view beacon(s)", page)


def test_an_spa_page_view_carries_the_new_page_category(page: Page) -> None:
    first = _page_views(page, 1)[0]
    assert first["_demo"]["pageCategory"] == "home"
    page.click("a[data-view=bags]")
    bags = _page_views(page, 2)[1]
    assert bags["web"]["webPageDetails"]["viewName"].endswith("/?view=bags")
    assert bags["_demo"]["pageCategory"] == "bags"
    page.click("a[data-view=socks]")
    assert _page_views(page, 3)[2]["_demo"]["pageCategory"] == "socks"
    page.go_back()  # popstate: back on the bags view
    back = _page_views(page, 4)[3]
    assert back["web"]["webPageDetails"]["viewName"].endswith("/?view=bags")
    assert back["_demo"]["pageCategory"] == "bags"


def _status(page: Page, text: str) -> str:
    item = page.locator("#log li", has_text=text).first
    return item.locator(".status").inner_text()


def test_consent_out_labels(page: Page) -> None:
    device = page.locator("#device-id")
    wait_for(lambda: re.fullmatch(r"\d{38}", device.inner_text()), "the device id", page)
    first_id = device.inner_text()
    page.click("[data-consent=pending]")
    assert device.inner_text() == first_id  # pending keeps the id it has
    page.click("button.add-to-cart >> nth=0")
    wait_for(lambda: _status(page, "Trail shoes") == "queued: consent pending", "queued", page)

    page.click("[data-consent=out]")
    assert page.locator("#consent-state").inner_text() == "out"
    assert device.inner_text() == "(none: consent out)"
    assert _status(page, "Trail shoes") == "discarded: consent out"
    assert page.evaluate("_xdmTag.stats().queued") == 0

    page.click("[data-consent=pending]")
    assert device.inner_text() == "(none until consent is in)"
    page.click("[data-consent=in]")
    assert re.fullmatch(r"\d{38}", device.inner_text()) and device.inner_text() != first_id
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    assert cookies["xdm_ecid"] == device.inner_text()
    page.click("button.add-to-cart >> nth=1")
    wait_for(lambda: "accepted" in _status(page, "Canvas bag"), "the bag accepted", page)
    assert _status(page, "Trail shoes") == "discarded: consent out"


AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
RED = "rgb(179, 38, 30)"  # --bad in demo.css


def test_an_invalid_beacon_shows_red_with_its_violation(page: Page, server: LiveServer) -> None:
    warnings: list[str] = []
    page.on("console", lambda m: warnings.append(m.text) if m.type == "warning" else None)
    page.evaluate("_xdmTag.debug(true)")
    page.click("#invalid")  # the search rule, with a number where the schema wants text
    item = page.locator("#log li", has_text="“42”").first
    status = item.locator(".status")
    wait_for(lambda: "invalid" in status.inner_text(), "the verdict in the panel", page)
    assert status.inner_text() == (
        "stored, but invalid: _demo.searchTerm: expected type: String, found: Long"
    )
    assert status.evaluate("s => getComputedStyle(s).color") == RED
    assert "_demo.searchTerm" in (status.get_attribute("title") or "")
    stats = page.evaluate("_xdmTag.stats()")
    assert stats["invalid"] == 1 and stats["dropped"] == 0, stats
    # Debug mode names the beacon and its violation in the console.
    beacon_id = page.evaluate("__beacons.find(b => b._demo && b._demo.searchTerm === 42)._id")
    found = [w for w in warnings if "stored, but invalid" in w]
    assert len(found) == 1 and beacon_id in found[0], warnings
    assert "#/_demo/searchTerm type: expected type: String" in found[0]
    # Stored, as the panel says: among the dataset's failed records, with its errors.
    settings = Settings(data_dir=server.data_dir)
    failed = wait_for(
        lambda: [
            r
            for r in lake_entities(settings, f"_failed/{seed.WEB_EVENTS}")
            if r.get("entity", {}).get("_id") == beacon_id
        ],
        "the invalid beacon among the failed records",
        page,
    )
    assert failed[0]["_validationErrors"][0]["pointerToViolation"] == "#/_demo/searchTerm"

    # A valid one next to it reads green, and says it was checked.
    page.click("button.add-to-cart >> nth=2")
    wait_for(lambda: "accepted" in _status(page, "Wool socks"), "the socks accepted", page)
    assert _status(page, "Wool socks") == "✓ 207 accepted, valid"

    # Not by colour alone, and readable: axe-core finds nothing wrong in the panel.
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run('.panel', {resultTypes: ['violations']})")
    assert [(v["id"], v["help"]) for v in result["violations"]] == []
