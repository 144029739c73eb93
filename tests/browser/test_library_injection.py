"""Hostile configuration values, inlined in an HTML page's <script>, cannot inject markup.

The published library is pasted as is between <script> and </script>: had a value reached it
as raw text, `</script>` would end the element and the next <script> would run, `<!--<script>`
would swallow the rest of the page's scripts, quotes would end string literals. Chromium runs
the page: nothing injected runs, the library starts, and every value arrives unchanged.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Dialog, Route

from collector.control import seed
from collector.control.plane import ControlPlane
from collector.control.settings import Settings
from collector.tags.properties import Properties
from tests.demo import INLET
from tests.tags.hostile import RULES, HostileLibrary, hostile_library

pytestmark = pytest.mark.browser

COLLECTOR = "http://collector.test"
SITE = "http://site.test/"
PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>inline library</title><link rel="icon" href="data:,">
<script>
window.__seen = {beacons: [], rules: []};
window._xdmTag = {q: [
  ["on", ["beacon", function (m) { __seen.beacons.push(m.body.xdmEntity); }]],
  ["on", ["rule", function (e) { __seen.rules.push(e.rule); }]]
]};
</script>
<script>LIBRARY</script>
<script>window.__after = true;</script>
</head><body><p id="end">end of page</p></body></html>
"""


@pytest.fixture
def hostile(tmp_path: Path) -> HostileLibrary:
    settings = Settings(data_dir=tmp_path / "data", public_url=COLLECTOR, run_projector=False)
    control = ControlPlane(settings.control_db_path)
    seed.ensure_demo(control, public_url=COLLECTOR, inlet_id=INLET)
    control.close()
    with Properties.open(settings) as props:
        return hostile_library(props)


def test_inline_hostile_library_injects_nothing(
    context: BrowserContext, hostile: HostileLibrary
) -> None:
    html = PAGE.replace("LIBRARY", hostile.text)

    def site(route: Route) -> None:
        route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html)

    def collector(route: Route) -> None:
        route.fulfill(
            status=207,
            content_type="application/json",
            headers={"Access-Control-Allow-Origin": "*"},
            body='{"responses": []}',
        )

    context.route(SITE, site)
    context.route(f"{COLLECTOR}/**", collector)
    page = context.new_page()
    errors: list[str] = []
    dialogs: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("dialog", lambda d: _dismiss(d, dialogs))
    page.goto(SITE)
    page.wait_for_function("window.__seen.beacons.length >= 2")
    assert errors == [] and dialogs == []
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.evaluate("window.__after") is True  # the library's <script> ended where it should
    assert page.evaluate("document.scripts.length") == 3
    assert page.inner_text("#end") == "end of page"
    assert page.evaluate("typeof _xdmTag.stats") == "function"
    seen = page.evaluate("__seen")
    assert seen["rules"] == RULES
    first, second = seen["beacons"]
    assert hostile.problems(first, second) == []


def _dismiss(dialog: Dialog, seen: list[str]) -> None:
    seen.append(dialog.message)
    dialog.dismiss()
