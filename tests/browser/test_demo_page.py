"""The demo shop page (``static/demo/``) in real Chromium against a real ``collector serve``.

Regressions: an SPA page view carried the previous page's category (the URL changed before
the page set its category), and after consent "out" the discarded beacons still read
"queued: consent pending" and the device id kept reading "(none: consent out)" once consent
was back "in".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page

from tests.browser.conftest import wait_for
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
