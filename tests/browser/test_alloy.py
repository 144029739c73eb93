"""Adobe's Web SDK (the real ``@adobe/alloy`` from npm) in Chromium, pointed at the collector.

The SDK speaks only https without a port, so the collector serves TLS with a throw-away
certificate (``trustme``) on a free loopback port, and Chromium maps ``edge.test:443`` and
``www.shop.test:443`` there. The shop page is served by the collector too (its static
directory pointed at the test's page), so page and edge share the loopback address space.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme
from playwright.sync_api import Browser, Page, sync_playwright

from collector.control.datastreams import Datastream, Datastreams
from collector.control.plane import ControlPlane
from collector.control.settings import Settings
from tests.browser.conftest import ARGS, CHROMIUM, lake_entities, wait_for
from tests.server import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
ALLOY = REPO / "node_modules" / "@adobe" / "alloy" / "dist" / "alloy.min.js"
ORG = "SHOP@AdobeOrg"
EVENTS = "a1100000000000000000000e"
PROFILES = "a1100000000000000000000f"
SITE = "https://www.shop.test"
WEB_SCHEMA = "https://ns.xdm-collector.dev/schemas/web-events"
PROFILE_SCHEMA = "https://ns.xdm-collector.dev/schemas/customer-profile"

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Shop</title>
<script>
  // The queue the SDK's standalone build drains when it loads (its documented base code).
  window.__alloyNS = ["alloy"];
  window.alloy = function () {
    var args = arguments;
    return new Promise(function (resolve, reject) {
      window.alloy.q.push([resolve, reject, args]);
    });
  };
  window.alloy.q = [];
  window.results = [];
  alloy("configure", {
    datastreamId: "%(datastream)s", orgId: "%(org)s", edgeDomain: "edge.test",
    clickCollectionEnabled: false, idMigrationEnabled: false, thirdPartyCookiesEnabled: false,
    debugEnabled: true
  });
  alloy("sendEvent", {
    xdm: {eventType: "web.webpagedetails.pageViews",
          web: {webPageDetails: {name: new URLSearchParams(location.search).get("page")}}},
    data: {campaign: "winter"}
  }).then(
    function (result) { window.results.push({ok: true}); },
    function (error) { window.results.push({ok: false, error: String(error)}); });
  window.unloadBeacon = function () {
    return alloy("sendEvent", {documentUnloading: true,
      xdm: {eventType: "web.webinteraction.linkClicks", web: {webInteraction: {name: "leave"}}}});
  };
</script>
<script src="/static/alloy.min.js" async></script>
</head><body><h1>Shop</h1></body></html>"""


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    ca = trustme.CA()
    cert = ca.issue_cert("edge.test", "www.shop.test", "127.0.0.1")
    folder = tmp_path_factory.mktemp("tls")
    chain, key = folder / "chain.pem", folder / "key.pem"
    cert.private_key_and_cert_chain_pem.write_to_path(str(chain))
    cert.private_key_pem.write_to_path(str(key))
    return chain, key


@pytest.fixture(scope="module")
def stream(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Datastream]:
    data_dir = tmp_path_factory.mktemp("alloy") / "data"
    control = ControlPlane(Settings(data_dir=data_dir).control_db_path)
    control.create_org(ORG, "Shop")
    for dataset_id, schema in ((EVENTS, WEB_SCHEMA), (PROFILES, PROFILE_SCHEMA)):
        control.create_dataset(
            org_id=ORG, name=dataset_id, schema_id=schema, profile_enabled=True,
            identity_enabled=True, dataset_id=dataset_id,
        )  # fmt: skip
    created = Datastreams(control).create(
        org_id=ORG, name="shop", dataset_id=EVENTS, profile_dataset_id=PROFILES, origins=(SITE,)
    )
    control.close()
    return data_dir, created


@pytest.fixture(scope="module")
def live(tls: tuple[Path, Path], stream: tuple[Path, Datastream]) -> Iterator[LiveServer]:
    data_dir, datastream = stream
    if not ALLOY.exists():
        pytest.fail("@adobe/alloy is missing: `make test` installs it (package.json)")
    static = data_dir.parent / "static"
    (static / "demo").mkdir(parents=True)
    (static / "demo" / "index.html").write_text(_PAGE % {"datastream": datastream.id, "org": ORG})
    (static / "alloy.min.js").write_bytes(ALLOY.read_bytes())
    env = {
        "COLLECTOR_RUN_PROJECTOR": "true",
        "COLLECTOR_PROJECTOR_POLL_MS": "20",
        "COLLECTOR_STATIC_DIR": str(static),
    }
    with LiveServer(data_dir, env=env, tls=tls) as server:
        yield server


@pytest.fixture(scope="module")
def edge_browser(live: LiveServer) -> Iterator[Browser]:
    rules = f"MAP edge.test:443 127.0.0.1:{live.port}, MAP www.shop.test:443 127.0.0.1:{live.port}"
    args = [*ARGS, f"--host-resolver-rules={rules}", "--ignore-certificate-errors"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=args)
        try:
            yield browser
        finally:
            browser.close()


def _open_shop(page: Page, name: str) -> None:
    page.goto(f"{SITE}/?page={name}")


def _ecids(lines: list[dict[str, Any]]) -> set[str]:
    return {i["id"] for line in lines for i in line["entity"]["identityMap"].get("ECID", [])}


def _all_lines(data_dir: Path) -> list[dict[str, Any]]:
    """Accepted lines: every field alloy fills by default validates against web-events."""
    return lake_entities(Settings(data_dir=data_dir), EVENTS)


def test_the_web_sdk_sends_through_the_collector_and_keeps_its_ecid(
    edge_browser: Browser, stream: tuple[Path, Datastream], live: LiveServer
) -> None:
    data_dir, _ = stream
    context = edge_browser.new_context()
    warnings: list[str] = []
    page = context.new_page()
    page.on("console", lambda message: warnings.append(message.text))

    _open_shop(page, "home")
    results = wait_for(lambda: page.evaluate("window.results"), "sendEvent to settle", page)
    assert results == [{"ok": True}], results
    first = wait_for(lambda: _all_lines(data_dir), "the page view in the lake", page)
    (ecid,) = _ecids(first)
    cookies = {c["name"]: c for c in context.cookies(SITE)}
    assert "kndctr_SHOP_AdobeOrg_identity" in cookies

    page.evaluate("window.unloadBeacon()")
    wait_for(lambda: len(_all_lines(data_dir)) >= 2, "the unload beacon (collect)", page)

    _open_shop(page, "product")  # a second page load: the cookie brings the ECID
    wait_for(lambda: page.evaluate("window.results.length") == 1, "second page view", page)
    assert page.evaluate("window.results") == [{"ok": True}]
    lines = wait_for(lambda: [x for x in _all_lines(data_dir) if len(_all_lines(data_dir)) >= 3],
                     "the second page view in the lake", page)  # fmt: skip
    assert _ecids(lines) == {ecid}
    names = [line["entity"].get("web", {}).get("webPageDetails", {}).get("name") for line in lines]
    assert {"home", "product"} <= set(names)
    assert not [w for w in warnings if "Identity cookie not found" in w], warnings

    assert lake_entities(Settings(data_dir=data_dir), f"_failed/{EVENTS}") == []
    assert lines[0]["data"] == {"campaign": "winter"}
    # The ECID reaches the profile store once the projector has applied the events.
    db = data_dir / "profile.db"

    def projected() -> bool:
        try:
            conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
            try:
                rows = conn.execute("SELECT count(*) FROM identities WHERE id = ?", [ecid])
                found = rows.fetchone()
            finally:
                conn.close()
        except sqlite3.Error:
            return False
        return bool(found and found[0])

    wait_for(projected, "the ECID in the profile store", page)
    context.close()
