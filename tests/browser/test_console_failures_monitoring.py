"""The console's failed messages and monitoring pages in Debian's Chromium against a real
``collector serve``: an editor finds the failures of messages the collector refused grouped
by violation, opens a sample, revalidates the dataset, and reads the monitoring charts and
their tables for the last hour and week, by keyboard where a user would; axe-core finds no
critical or serious violation on either page, at 1280 and at 390 px wide. Screenshots of
both pages go to docs/screenshots/."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.test_console import accessible, console_server, shot, sign_in
from tests.conftest import web_event
from tests.demo import INLET
from tests.server import LiveServer

pytestmark = pytest.mark.browser

EDITOR = "fay.editor@example.com"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp("console-pages") / "data"
    with console_server(data_dir, {EDITOR: "editor"}) as live:
        yield live


def both_widths(page: Page, name: str) -> None:
    accessible(page, name)
    page.set_viewport_size({"width": 390, "height": 844})
    accessible(page, f"{name} at 390 px")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, (name, width)
    page.set_viewport_size({"width": 1280, "height": 800})


def test_failures_and_monitoring(browser: Browser, server: LiveServer) -> None:
    base = server.base_url
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    try:
        for n in range(3):
            sent = page.request.post(f"{base}/collection/{INLET}", data=web_event(eventType=n))
            assert sent.ok, sent.text()
        assert page.request.post(f"{base}/collection/{INLET}", data=web_event()).ok
        sign_in(page, base, EDITOR)

        page.get_by_role("link", name="Failed messages", exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Failed messages")
        rows = page.locator("table.failures tbody tr")
        expect(rows).to_have_count(1)
        expect(rows.first.locator("td").nth(2)).to_have_text("3")
        both_widths(page, "failures")
        shot(page, "failures")
        page.get_by_label("Dataset", exact=True).select_option(label="Web events")
        page.get_by_role("button", name="Show").press("Enter")
        expect(rows).to_have_count(1)
        page.get_by_role("button", name="Revalidate Web events").focus()
        page.keyboard.press("Enter")
        expect(page.get_by_role("status")).to_contain_text("promoted 0 of 3 failed records")
        accessible(page, "failures after revalidate")
        rows.first.get_by_role("link").first.click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Failed message")
        expect(page.locator("#violations")).to_contain_text("expected type: String")
        both_widths(page, "failed message")

        page.get_by_role("link", name="Monitoring", exact=True).click()
        received = page.locator('dd[data-metric="received"]')
        deadline = time.monotonic() + 15
        while received.inner_text() != "4" and time.monotonic() < deadline:
            time.sleep(0.5)  # the collector flushes its counters about once a second
            page.reload()
        expect(received).to_have_text("4")
        expect(page.locator('dd[data-metric="failed"]')).to_have_text("3")
        expect(page.locator("#chart-messages")).to_be_visible()
        page.get_by_text("Messages as a table").click()
        expect(page.locator("#table-messages tbody tr")).to_have_count(60)
        shot(page, "monitoring")
        page.set_viewport_size({"width": 390, "height": 844})
        shot(page, "monitoring-390")
        page.set_viewport_size({"width": 1280, "height": 800})
        both_widths(page, "monitoring")
        page.get_by_label("Period", exact=True).select_option("week")
        page.get_by_role("button", name="Show").click()
        expect(page.locator("#table-messages tbody tr")).to_have_count(168)
        expect(page.locator('dd[data-metric="accepted"]')).to_have_text("1")
        accessible(page, "monitoring, last week")
    finally:
        context.close()
