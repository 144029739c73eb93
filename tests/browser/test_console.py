"""The marketer console in Debian's Chromium against a real ``collector serve``.

An editor signs in, creates a property, adds a data element and a click rule whose Send
Beacon mapping paths are picked from the field tree, sees the checker's message inline on the
row of a wrongly typed constant, fixes it, builds and submits; an approver approves and
promotes, copies the production snippet and watches the live debugger. axe-core runs on every
console page on the way (no critical or serious violation); the main pages are saved as
screenshots in docs/screenshots/ (1280x800, and the property page at 390 px wide).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from playwright.sync_api import Error as PlaywrightError

from collector.control.settings import Settings
from collector.guard.users import UserStore
from tests.access import FAST_HASHER
from tests.browser.conftest import lake_entities, wait_for
from tests.conftest import ORG, web_event
from tests.demo import INLET
from tests.server import LiveServer

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = REPO / "docs" / "screenshots"
PASSWORD = "correct horse battery"
EDITOR, APPROVER = "erin.editor@example.com", "abe.approver@example.com"
AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))}));
}"""


@contextmanager
def console_server(data_dir: Path, users: dict[str, str]) -> Iterator[LiveServer]:
    """A live ``collector serve --demo`` with console ``users`` (email → role) of the demo org."""
    with LiveServer(data_dir) as live:
        store = UserStore(data_dir / "control.db", hasher=FAST_HASHER)
        try:
            for email, role in users.items():
                store.create(email, role, PASSWORD, ORG)
        finally:
            store.close()
        yield live


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp("console") / "data"
    with console_server(data_dir, {EDITOR: "editor", APPROVER: "approver"}) as live:
        yield live


def accessible(page: Page, name: str) -> None:
    """axe-core on the page as it is now: no critical or serious violation.

    A click that navigates returns before the next document is there: the check waits for
    the page to be loaded, and runs again on the new document if one replaced the page
    while axe was being injected or running (a busy CI machine makes that window wide).
    """
    if not AXE.exists():
        pytest.fail("axe-core is missing: `npm install` (package.json) installs it")
    for attempt in range(3):
        page.wait_for_load_state("load")
        try:
            page.add_script_tag(path=str(AXE))
            violations: list[dict[str, Any]] = page.evaluate(AXE_RUN)
            break
        except PlaywrightError:
            if attempt == 2:
                raise
    bad = [v for v in violations if v["impact"] in ("critical", "serious")]
    assert not bad, (name, page.url, bad)


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)


def sign_in(page: Page, base: str, email: str) -> None:
    page.goto(base + "/console/login")
    accessible(page, "login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#email")).to_have_text(email)
    accessible(page, "home")


def test_editor_configures_and_submits_an_approver_promotes(
    browser: Browser, server: LiveServer
) -> None:
    base = server.base_url
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    try:
        sign_in(page, base, EDITOR)
        page.get_by_role("link", name="Properties", exact=True).click()
        accessible(page, "properties")
        page.get_by_label("Name").fill("Browser shop")
        page.get_by_role("button", name="Create property").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Browser shop")
        accessible(page, "property")
        shot(page, "property")
        page.set_viewport_size({"width": 390, "height": 844})
        accessible(page, "property at 390 px")
        shot(page, "property-390")
        page.set_viewport_size({"width": 1280, "height": 800})
        property_url = page.url

        page.get_by_role("link", name="0 data elements").click()
        accessible(page, "data elements, empty")
        page.get_by_label("Type").select_option(label="Query Parameter")
        page.get_by_role("button", name="Continue").click()
        accessible(page, "data element form")
        page.get_by_label("Name (used as %name%)").fill("campaign")
        page.get_by_label("Parameter name").fill("cid")
        page.get_by_role("button", name="Save data element").click()
        expect(page.get_by_role("status")).to_have_text("Saved.")
        expect(page.get_by_role("link", name="%campaign%")).to_be_visible()
        accessible(page, "data elements")
        page.get_by_role("button", name="Delete campaign").click()
        accessible(page, "data element delete confirmation")
        page.get_by_role("link", name="Cancel").click()
        expect(page.get_by_role("link", name="%campaign%")).to_be_visible()

        page.goto(property_url)
        page.get_by_role("link", name="0 rules").click()
        accessible(page, "rules, empty")
        page.get_by_role("link", name="Add a rule").click()
        accessible(page, "new rule")
        page.get_by_label("Rule name").fill("Buy click")
        page.get_by_label("Type of event to add").select_option(label="Click")
        page.get_by_role("button", name="Add event").click()
        page.get_by_label("CSS selector").fill("#buy")
        page.get_by_label("Type of action to add").select_option(label="Send Beacon")
        page.get_by_role("button", name="Add action").click()
        accessible(page, "rule with a Send Beacon and the field tree")

        page.get_by_label("Search fields (path, title, description)").fill("eventtype")
        page.get_by_role("button", name="Use eventType", exact=True).click()
        first_path = page.locator("#f-actions-0-s-mapping-0-path")
        expect(first_path).to_have_value("eventType")
        page.locator("#f-actions-0-s-mapping-0-value").fill("commerce.purchases")
        page.get_by_role("button", name="Add a row").click()
        page.locator("#f-actions-0-s-mapping-1-path").focus()
        page.get_by_label("Search fields (path, title, description)").fill("viewportwidth")
        page.get_by_role("button", name="Use environment.viewportWidth", exact=True).click()
        expect(page.locator("#f-actions-0-s-mapping-1-path")).to_have_value(
            "environment.viewportWidth"
        )
        page.locator("#f-actions-0-s-mapping-1-value").fill("wide")
        page.get_by_role("button", name="Save rule").first.click()
        row_error = page.locator("#f-actions-0-s-mapping-1-error")
        expect(row_error).to_contain_text("constant 'wide' does not fit the field")
        expect(page.locator("#f-actions-0-s-mapping-0-error")).to_have_count(0)
        accessible(page, "rule with an inline message")
        page.evaluate("document.getElementById('f-actions-0-s-mapping-1')"
                      ".scrollIntoView({block: 'center'})")  # fmt: skip
        page.wait_for_timeout(200)  # let the scroll paint before the screenshot
        shot(page, "rule-inline-message")
        page.locator("#f-actions-0-s-mapping-1-value").fill("1280")
        page.get_by_role("button", name="Save rule").first.click()
        expect(page.get_by_role("status")).to_have_text("Saved.")
        expect(page.get_by_role("link", name="Buy click")).to_be_visible()
        accessible(page, "rules")
        shot(page, "rules")
        page.get_by_role("button", name="Delete Buy click").click()
        accessible(page, "rule delete confirmation")
        page.get_by_role("link", name="Cancel").click()
        page.get_by_role("link", name="Buy click").click()
        page.set_viewport_size({"width": 390, "height": 844})
        accessible(page, "rule editor at 390 px")
        page.set_viewport_size({"width": 1280, "height": 800})

        page.goto(property_url + "/publishing")
        accessible(page, "publishing, no builds")
        page.get_by_label("Note (what changed)").fill("first")
        page.get_by_role("button", name="Build", exact=True).click()
        expect(page.locator("#build-1 .status")).to_have_text("development")
        page.get_by_label("Note (what changed)").fill("second")
        page.get_by_role("button", name="Build", exact=True).click()
        page.get_by_role("button", name="Compare").click()
        accessible(page, "diff")
        page.go_back()
        page.get_by_role("button", name="Submit build 2").click()
        expect(page.locator("#build-2 .status")).to_have_text("submitted")
        accessible(page, "publishing, submitted")
        page.goto(property_url + "/delete")
        accessible(page, "delete confirmation")
        page.get_by_role("button", name="Sign out").click()

        sign_in(page, base, APPROVER)
        page.goto(property_url + "/publishing")
        expect(page.get_by_role("button", name="Build", exact=True)).to_have_count(0)
        page.get_by_role("button", name="Approve build 2").click()
        page.get_by_role("button", name="Promote build 2").click()
        expect(page.get_by_role("heading", name="Production: build 2")).to_be_visible()
        page.get_by_role("button", name="Copy the production snippet").click()
        expect(page.locator("#copy-status")).to_have_text("Copied.")
        accessible(page, "publishing, promoted")
        page.evaluate("window.scrollTo(0, 0)")
        page.wait_for_timeout(200)  # let the scroll paint before the screenshot
        shot(page, "publishing")

        # A shop page (of the inlet's origin) with the production snippet, as copied.
        property_id = property_url.rstrip("/").rsplit("/", 1)[-1]
        library = f"{base}/tags/{property_id}/production.js"
        build_2 = page.request.get(library).headers["etag"]
        snippet = page.locator("#snippet-production").input_value()
        shop = f"<!doctype html><html lang='en'><head><title>Shop</title>{snippet}</head>" \
               "<body><button id='buy'>Buy</button></body></html>"  # fmt: skip
        shop_page = context.new_page()
        shop_page.route(f"{base}/shop", lambda route: route.fulfill(body=shop,
                        content_type="text/html"))  # fmt: skip
        shop_page.goto(f"{base}/shop")
        shop_page.wait_for_function("window._xdmTag && !Array.isArray(window._xdmTag.q)"
                                    " && typeof window._xdmTag.stats === 'function'")  # fmt: skip
        shop_page.click("#buy")
        shop_page.evaluate("window._xdmTag.flush()")

        def purchase() -> list[dict[str, Any]]:
            return [
                line for line in lake_entities(Settings(data_dir=server.data_dir))
                if line["entity"].get("eventType") == "commerce.purchases"
            ]  # fmt: skip

        (line,) = wait_for(purchase, "the production beacon in the lake", shop_page)
        assert line["entity"]["environment"]["viewportWidth"] == 1280
        shop_page.close()

        # A third build reaches production; rolling back serves build 2's bytes again.
        page.get_by_role("button", name="Sign out").click()
        sign_in(page, base, EDITOR)
        page.goto(property_url + "/publishing")
        page.get_by_label("Note (what changed)").fill("third")
        page.get_by_role("button", name="Build", exact=True).click()
        page.get_by_role("button", name="Submit build 3").click()
        page.get_by_role("button", name="Sign out").click()
        sign_in(page, base, APPROVER)
        page.goto(property_url + "/publishing")
        page.get_by_role("button", name="Approve build 3").click()
        page.get_by_role("button", name="Promote build 3").click()
        expect(page.get_by_role("heading", name="Production: build 3")).to_be_visible()
        page.get_by_label("Build production served before").select_option("2")
        page.get_by_role("button", name="Roll back").click()
        expect(page.get_by_role("heading", name="Production: build 2")).to_be_visible()
        accessible(page, "publishing, rolled back")
        assert page.request.get(library).headers["etag"] == build_2

        page.goto(base + "/console/properties/PR" + "0" * 32)
        accessible(page, "not found")

        sent = page.request.post(f"{base}/collection/{INLET}", data=web_event(_id="from-pw"))
        assert sent.ok, sent.text()
        page.get_by_role("link", name="Live debugger").click()
        event_button = page.get_by_role("button", name="Show event from-pw", exact=False)
        expect(event_button).to_be_visible(timeout=15000)
        shot(page, "debugger")
        event_button.click()
        expect(page.locator("#detail-heading")).to_have_text("Event from-pw")
        expect(page.locator("#detail-entity")).to_contain_text('"_id": "from-pw"')
        accessible(page, "live debugger")
        shot(page, "debugger-event")
    finally:
        context.close()
