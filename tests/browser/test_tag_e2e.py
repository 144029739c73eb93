"""The published tag in real Chromium against a real ``collector serve``.

One server and one browser for the module; each test gets a fresh browser profile and tags
its beacons with a run id (``?run=`` → data element → ``_demo.experimentVariant``) so it
finds its own lines in the lake. Waits are deadlines on observable state, never sleeps
asserted as timings.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, Route

from collector.control import seed
from collector.control.settings import Settings
from collector.profile.projector import project_once
from collector.tags.properties import Properties
from tests.browser.conftest import SNIPPET, lake_entities, wait_for
from tests.demo import INLET
from tests.server import LiveServer

pytestmark = pytest.mark.browser

PAGE_VIEW = "web.webpagedetails.pageViews"
ADD = "commerce.productListAdds"
PING = "web.formFilledOut"
HELLO = "test.hello"
LEAVE = "web.webinteraction.linkClicks"


def _rule(
    name: str, event: dict[str, Any], event_type: str, *rows: tuple[str, Any]
) -> dict[str, Any]:
    mapping = [("eventType", event_type), ("_demo.experimentVariant", "%run%"), *rows]
    return {
        "name": name,
        "events": [event],
        "actions": [
            {
                "type": "actions/sendBeacon",
                "settings": {
                    "schemaId": seed.WEB_EVENTS_SCHEMA,
                    "mapping": [{"path": p, "value": v} for p, v in mapping],
                },
            }
        ],
    }


PROPERTY = {
    "extension": {"flushIntervalMs": 200},
    "dataElements": {"run": {"type": "dataElements/queryParameter", "settings": {"name": "run"}}},
    "rules": [
        _rule(
            "page view",
            {"type": "events/libraryLoaded", "settings": {}},
            PAGE_VIEW,
            ("web.webPageDetails.pageViews.value", 1),
        ),
        _rule(
            "buy",
            {"type": "events/click", "settings": {"selector": ".buy"}},
            ADD,
            ("productListItems[0].SKU", "%event.element.dataset.sku%"),
            ("productListItems[0].quantity", 1),
        ),
        _rule(
            "ping",
            {"type": "events/customEvent", "settings": {"eventName": "test:ping"}},
            PING,
            ("_demo.searchTerm", "%event.detail.term%"),
        ),
        _rule(
            "hello",
            {"type": "events/directCall", "settings": {"name": "hello"}},
            HELLO,
            ("_demo.searchTerm", "%event.detail.word%"),
        ),
        _rule(
            "leave",
            {"type": "events/click", "settings": {"selector": "a.leave"}},
            LEAVE,
            ("web.webInteraction.name", "leave"),
            ("web.webInteraction.URL", "%event.element.href%"),
        ),
    ],
}

HOOKS = """
window.__responses = [];
_xdmTag.on("response", function (r) {
  __responses.push({status: r.status || 0, at: Date.now(),
                    ids: r.messages.map(function (m) { return m.body.xdmEntity._id; })});
});
"""


def _page(tag_src: str) -> str:
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Tag test page</title><link rel="icon" href="data:,">
<script>{SNIPPET}</script>
<script>{HOOKS}</script>
<script async src="{tag_src}"></script>
</head><body>
<button class="buy" data-sku="SKU-9"><span class="label">Buy</span></button>
<a class="leave" href="/static/t/other.html">Leave</a>
</body></html>
"""


@dataclass(frozen=True)
class Site:
    server: LiveServer
    settings: Settings
    property_id: str

    def url(self, run: str) -> str:
        return f"{self.server.base_url}/static/t/page.html?run={run}"

    def beacons(self, run: str, partition: str = seed.WEB_EVENTS) -> list[dict[str, Any]]:
        return [
            r
            for r in lake_entities(self.settings, partition)
            if r.get("entity", {}).get("_demo", {}).get("experimentVariant") == run
        ]

    def arrived(
        self, page: Page, run: str, event_type: str, count: int = 1
    ) -> list[dict[str, Any]]:
        """Waits until ``count`` beacons of a type have reached the lake; returns them all."""
        return wait_for(
            lambda: (
                [b for b in self.beacons(run) if b["entity"]["eventType"] == event_type][
                    count - 1 : count
                ]
                and self.beacons(run)
            ),
            f"{count} {event_type} beacon(s) of run {run} in the lake",
            page,
        )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("tag-e2e")
    static = root / "static"
    (static / "t").mkdir(parents=True)
    server = LiveServer(root / "data", env={"COLLECTOR_STATIC_DIR": str(static)})
    server.env["COLLECTOR_PUBLIC_URL"] = server.base_url  # the seeded inlet allows this origin
    server.start()
    try:
        settings = Settings(data_dir=root / "data", public_url=server.base_url, static_dir=static)
        with Properties.open(settings) as props:
            prop = props.create(org_id=seed.DEMO_ORG, name="e2e", document=PROPERTY)
            library = props.publish(prop.id, "development")
        (static / "t" / "page.html").write_text(_page(library.path), encoding="utf-8")
        (static / "t" / "other.html").write_text(
            "<!doctype html><title>Elsewhere</title><p>No tag on this page.</p>", encoding="utf-8"
        )
        yield Site(server, settings, prop.id)
    finally:
        server.stop()


def _open(context: BrowserContext, site: Site, run: str) -> Page:
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(site.url(run))
    page.wait_for_function("window._xdmTag && window._xdmTag.stats")
    site.arrived(page, run, PAGE_VIEW)
    assert errors == []
    return page


def _run() -> str:
    return uuid.uuid4().hex[:12]


def test_rules_send_valid_beacons_with_the_device_id(context: BrowserContext, site: Site) -> None:
    run = _run()
    page = _open(context, site, run)
    page.click(".buy .label")  # delegation: the click lands on a child of the matching button
    page.evaluate(
        "document.querySelector('.buy').dispatchEvent("
        "new CustomEvent('test:ping', {bubbles: true, detail: {term: 'pong'}}))"
    )
    page.evaluate("_xdmTag.track('hello', {word: 'hi'})")
    site.arrived(page, run, HELLO)
    beacons = site.arrived(page, run, PING)
    by_type = {b["entity"]["eventType"]: b for b in beacons}
    assert sorted(by_type) == sorted([PAGE_VIEW, ADD, PING, HELLO]) and len(beacons) == 4
    assert site.beacons(run, f"_failed/{seed.WEB_EVENTS}") == []
    assert by_type[ADD]["entity"]["productListItems"] == [{"SKU": "SKU-9", "quantity": 1}]
    assert by_type[PING]["entity"]["_demo"]["searchTerm"] == "pong"
    assert by_type[HELLO]["entity"]["_demo"]["searchTerm"] == "hi"
    [cookie] = [c for c in context.cookies() if c["name"] == "xdm_ecid"]
    for beacon in beacons:
        assert beacon["datasetId"] == seed.WEB_EVENTS and beacon["inletId"] == INLET
        assert beacon["header"]["source"]["name"] == "xdm-tag"
        assert beacon["entity"]["identityMap"]["ECID"] == [
            {"id": cookie["value"], "primary": True, "authenticatedState": "ambiguous"}
        ]
    # The profile store: the projector makes the device id an identity of one profile.
    project_once(site.settings)
    db = sqlite3.connect(site.settings.profile_db_path)
    try:
        rows = db.execute(
            "SELECT code, profile_id FROM identities WHERE namespace = 'ecid' AND id = ?",
            [cookie["value"]],
        ).fetchall()
        assert [code for code, _ in rows] == ["ECID"]
        (events,) = db.execute(
            "SELECT count(*) FROM experience_events WHERE profile_id = ?", [rows[0][1]]
        ).fetchone()
        assert events == 4
    finally:
        db.close()


def test_offline_beacons_are_delivered_once_when_back_online(
    context: BrowserContext, site: Site
) -> None:
    run = _run()
    page = _open(context, site, run)
    context.set_offline(True)
    for word in ("one", "two", "three"):
        page.evaluate("w => _xdmTag.track('hello', {word: w})", word)
    page.wait_for_function("__responses.some(r => r.status === 0)")  # a network error
    assert [b["entity"]["eventType"] for b in site.beacons(run)] == [PAGE_VIEW]
    context.set_offline(False)
    site.arrived(page, run, HELLO, 3)
    page.evaluate("_xdmTag.track('hello', {word: 'sentinel'})")  # anything resent comes first
    beacons = site.arrived(page, run, HELLO, 4)
    ids = Counter(b["entity"]["_id"] for b in beacons)
    assert set(ids.values()) == {1}
    words = [
        b["entity"]["_demo"]["searchTerm"] for b in beacons if b["entity"]["eventType"] == HELLO
    ]
    assert words == ["one", "two", "three", "sentinel"]
    assert page.evaluate("_xdmTag.stats()")["retries"] >= 1


def test_a_429_with_retry_after_is_honoured(context: BrowserContext, site: Site) -> None:
    run = _run()
    answered: list[int] = []

    def once_429(route: Route) -> None:
        if not answered:
            answered.append(429)
            route.fulfill(
                status=429,
                headers={"Retry-After": "2", "Content-Type": "application/problem+json"},
                body='{"title": "Too Many Requests", "status": 429}',
            )
        else:
            answered.append(0)
            route.continue_()

    context.route(f"{site.server.base_url}/collection/batch/**", once_429)
    page = _open(context, site, run)  # the page view's first attempt gets the 429
    page.evaluate("_xdmTag.track('hello', {word: 'sentinel'})")
    beacons = site.arrived(page, run, HELLO)
    responses = page.evaluate("__responses")
    assert [r["status"] for r in responses][:2] == [429, 207]
    assert responses[0]["ids"] == responses[1]["ids"]  # the same batch, sent again
    # Not before the server's Retry-After (a lower bound: a slow machine only adds to it).
    assert responses[1]["at"] - responses[0]["at"] >= 1900
    assert Counter(b["entity"]["_id"] for b in beacons) == Counter(
        {b["entity"]["_id"]: 1 for b in beacons}
    )
    assert [b["entity"]["eventType"] for b in beacons] == [PAGE_VIEW, HELLO]
    assert answered[0] == 429 and len(answered) >= 2


def test_consent_out_sends_nothing(context: BrowserContext, site: Site) -> None:
    run = _run()
    page = _open(context, site, run)
    page.evaluate("_xdmTag.setConsent('out')")
    assert not [c for c in context.cookies() if c["name"] == "xdm_ecid"]
    page.click(".buy")
    page.evaluate(
        "document.body.dispatchEvent(new CustomEvent('test:ping', {detail: {term: 'x'}}))"
    )
    page.evaluate("_xdmTag.track('hello', {word: 'while out'})")
    assert page.evaluate("_xdmTag.stats()")["queued"] == 0
    page.evaluate("_xdmTag.setConsent('in'); _xdmTag.track('hello', {word: 'back in'})")
    beacons = site.arrived(page, run, HELLO)
    assert [b["entity"]["eventType"] for b in beacons] == [PAGE_VIEW, HELLO]
    assert beacons[1]["entity"]["_demo"]["searchTerm"] == "back in"


def test_the_last_beacon_is_delivered_when_navigating_away(
    context: BrowserContext, site: Site
) -> None:
    run = _run()
    page = _open(context, site, run)
    with page.expect_navigation():
        page.click("a.leave")
    assert page.title() == "Elsewhere"  # a page without the tag: no later page resends it
    [leave] = [b for b in site.arrived(page, run, LEAVE) if b["entity"]["eventType"] == LEAVE]
    assert leave["entity"]["web"]["webInteraction"] == {
        "name": "leave",
        "URL": f"{site.server.base_url}/static/t/other.html",
    }
    assert site.beacons(run, f"_failed/{seed.WEB_EVENTS}") == []


def test_the_served_tag_is_cached_and_compressed(context: BrowserContext, site: Site) -> None:
    page = context.new_page()
    seen: list[dict[str, str]] = []
    page.on(
        "response",
        lambda r: (
            seen.append({"status": str(r.status), **r.headers}) if "/tags/" in r.url else None
        ),
    )
    page.goto(site.url(_run()))
    page.wait_for_function("window._xdmTag && window._xdmTag.stats")
    page.reload()
    page.wait_for_function("window._xdmTag && window._xdmTag.stats")
    # no-cache: the browser revalidates with the ETag and the server answers 304.
    assert [s["status"] for s in seen] == ["200", "304"]
    assert seen[1]["etag"] == seen[0]["etag"]
    first = seen[0]
    assert first["content-encoding"] == "gzip"
    assert first["cache-control"] == "no-cache"
    assert first["etag"].endswith('-gz"')
