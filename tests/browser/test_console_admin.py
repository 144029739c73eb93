"""The console's activity and admin pages in Debian's Chromium against a real ``collector
serve``: an admin visits every new page (axe-core: no critical or serious violation, also at
390 px wide without sideways scrolling), creates an inlet with a bad then a good origin, sees
its token once, creates a credential from the keyboard, creates a user, browses a dataset's
schema, creates (with a bad then a good origin), edits and deletes a datastream; an editor finds
no admin link and gets 403 from the server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from collector.control.settings import Settings
from collector.tags.properties import Properties
from tests.browser.test_console import PASSWORD, accessible, console_server, sign_in
from tests.conftest import ORG, WEB
from tests.server import LiveServer

pytestmark = pytest.mark.browser

ADMIN, EDITOR = "ada.admin@example.com", "ed.editor@example.com"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp("console-admin") / "data"
    with console_server(data_dir, {ADMIN: "admin", EDITOR: "editor"}) as live:
        yield live


def narrow(page: Page, name: str) -> None:
    """At 390 px wide: accessible, and the page does not scroll sideways."""
    page.set_viewport_size({"width": 390, "height": 844})
    accessible(page, f"{name} at 390 px")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, (name, width)
    page.set_viewport_size({"width": 1280, "height": 800})


def test_admin_visits_every_admin_page(browser: Browser, server: LiveServer) -> None:
    base = server.base_url
    settings = Settings(data_dir=server.data_dir, public_url=base)
    with Properties.open(settings) as flow:
        prop = flow.create(org_id=ORG, name="Shop").id
        flow.publish(prop, "development", actor="user:" + ADMIN)
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    try:
        sign_in(page, base, ADMIN)
        page.goto(f"{base}/console/properties/{prop}")
        page.get_by_role("link", name="Who changed, built, submitted").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Activity of Shop")
        expect(page.locator("#activity tbody tr").first).to_contain_text("publish")
        accessible(page, "activity")
        narrow(page, "activity")

        page.get_by_role("link", name="Inlets", exact=True).click()
        accessible(page, "inlets")
        page.get_by_label("Name").fill("Browser inlet")
        page.get_by_label("Allowed browser origins").fill("https://Shop.example.com")
        page.get_by_label("Require a token").check()
        page.get_by_role("button", name="Create inlet").click()
        expect(page.locator("#inlet-origins-error")).to_contain_text("lowercase")
        accessible(page, "inlets with an origin message")
        page.get_by_label("Allowed browser origins").fill("https://shop.example.com")
        page.get_by_role("button", name="Create inlet").click()
        token = page.get_by_label("Token", exact=True).input_value()
        assert token.startswith("xdmc_")
        accessible(page, "inlets with a new token")
        narrow(page, "inlets")
        page.get_by_role("button", name="Rotate token of Browser inlet").click()
        rotated = page.get_by_label("Token", exact=True).input_value()
        assert rotated.startswith("xdmc_") and rotated != token
        page.goto(base + "/console/admin/inlets")
        assert rotated not in page.content()
        page.get_by_role("link", name="Delete Browser inlet").click()
        accessible(page, "inlet delete confirmation")
        page.get_by_label("Type the inlet's name").fill("Browser inlet")
        page.get_by_role("button", name="Delete for good").click()
        expect(page.get_by_role("status")).to_contain_text("The inlet was deleted")

        page.get_by_role("link", name="Credentials", exact=True).click()
        accessible(page, "credentials, empty")
        page.get_by_label("Name").focus()
        page.keyboard.type("ETL")
        page.keyboard.press("Tab")
        page.keyboard.press("Space")  # the first scope, by keyboard
        page.get_by_label("Name").press("Enter")
        secret = page.get_by_label("Client secret").input_value()
        assert secret.startswith("xdmcs_")
        expect(page.locator("#credentials")).to_contain_text("profile:read")
        accessible(page, "credentials with a new secret")
        narrow(page, "credentials")
        page.get_by_role("button", name="Revoke ETL").click()
        expect(page.get_by_role("status")).to_contain_text("revoked")
        assert secret not in page.content()

        page.get_by_role("link", name="Users", exact=True).click()
        accessible(page, "users")
        page.get_by_label("Email").fill("new.viewer@example.com")
        page.get_by_label("Password").fill("short")
        page.get_by_role("button", name="Create user").click()
        expect(page.locator("#user-password-error")).to_contain_text("12 characters")
        accessible(page, "users with a message")
        page.get_by_label("Email").fill("new.viewer@example.com")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Create user").click()
        expect(page.get_by_role("status")).to_contain_text("The user was created")
        page.get_by_label("Role of new.viewer@example.com", exact=True).select_option("editor")
        page.get_by_role("button", name="Change role of new.viewer@example.com").click()
        expect(page.get_by_role("status")).to_contain_text("The role was changed")
        narrow(page, "users")

        page.get_by_role("link", name="Datasets", exact=True).click()
        accessible(page, "datasets")
        narrow(page, "datasets")
        page.locator("#datasets tbody a").first.click()
        accessible(page, "schema browser")
        rows = page.locator("#field-tree tbody tr")
        total = rows.count()
        page.get_by_label("Search fields (path, title, description)").fill("eventtype")
        expect(page.locator("#tree-status")).to_contain_text(f"of {total} fields")
        assert page.locator("#field-tree tbody tr:visible").count() < total
        narrow(page, "schema browser")

        page.get_by_role("link", name="Datastreams", exact=True).click()
        accessible(page, "datastreams, empty")
        page.get_by_label("Name").focus()
        page.keyboard.type("Browser web")
        page.get_by_label("Event dataset").select_option(label=f"Web events ({WEB})")
        page.get_by_label("Allowed page origins").fill("https://*.shop.example")
        page.get_by_role("button", name="Create datastream").click()
        expect(page.locator("#datastream-origins-error")).to_contain_text("exactly")
        accessible(page, "datastreams with an origin message")
        page.get_by_label("Allowed page origins").fill("https://www.shop.example")
        page.keyboard.press("Tab")  # to the create button, by keyboard
        page.keyboard.press("Enter")
        expect(page.get_by_role("status")).to_contain_text("The datastream was created")
        stream_id = page.locator("#datastream-id").inner_text()
        configure = page.get_by_label("The configure call for your pages").input_value()
        assert f'datastreamId: "{stream_id}"' in configure and 'edgeBasePath: "ee"' in configure
        accessible(page, "datastream")
        narrow(page, "datastream")
        page.get_by_label("Name").fill("Browser web 2")
        page.get_by_role("button", name="Save datastream").click()
        expect(page.get_by_role("status")).to_contain_text("The datastream was saved")
        page.get_by_role("link", name="All datastreams").click()
        expect(page.locator("#datastreams")).to_contain_text(stream_id)
        expect(page.locator("#datastreams")).to_contain_text("https://www.shop.example")
        accessible(page, "datastreams")
        narrow(page, "datastreams")
        page.get_by_role("link", name="Delete Browser web 2").click()
        accessible(page, "datastream delete confirmation")
        page.get_by_label("Type the datastream's name").fill("Browser web 2")
        page.get_by_role("button", name="Delete for good").click()
        expect(page.get_by_role("status")).to_contain_text("The datastream was deleted")
        assert stream_id not in page.content()

        page.get_by_role("button", name="Sign out").click()
        sign_in(page, base, EDITOR)
        expect(page.get_by_role("link", name="Inlets", exact=True)).to_have_count(0)
        expect(page.get_by_role("link", name="Datastreams", exact=True)).to_have_count(0)
        answer = page.goto(base + "/console/admin/datastreams")
        assert answer is not None and answer.status == 403
        answer = page.goto(base + "/console/admin/users")
        assert answer is not None and answer.status == 403
        accessible(page, "403 for an editor")
    finally:
        context.close()
