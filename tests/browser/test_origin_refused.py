"""A page on an origin the inlet does not allow, in real Chromium: the tag reads the 403 and
drops its batch (no retry loop), and nothing reaches the lake.

The collector serves the page itself on two origins: ``http://127.0.0.1:<port>`` (the demo
inlet's allowed origin) and ``http://localhost:<port>`` (not allowed).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext

from collector.control import seed
from collector.control.settings import Settings
from collector.tags.properties import Properties
from tests.browser.conftest import SNIPPET, lake_entities, wait_for
from tests.server import LiveServer

pytestmark = pytest.mark.browser

PROPERTY = {
    "extension": {"flushIntervalMs": 100},
    "dataElements": {"run": {"type": "dataElements/queryParameter", "settings": {"name": "run"}}},
    "rules": [
        {
            "name": "page view",
            "events": [{"type": "events/libraryLoaded", "settings": {}}],
            "actions": [
                {
                    "type": "actions/sendBeacon",
                    "settings": {
                        "schemaId": seed.WEB_EVENTS_SCHEMA,
                        "mapping": [
                            {"path": "eventType", "value": "web.webpagedetails.pageViews"},
                            {"path": "_demo.experimentVariant", "value": "%run%"},
                        ],
                    },
                }
            ],
        }
    ],
}
HOOKS = """
window.__responses = [];
_xdmTag.on("response", function (r) { __responses.push(r.status || 0); });
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Settings]]:
    root = tmp_path_factory.mktemp("origin-refused")
    static = root / "static"
    (static / "t").mkdir(parents=True)
    server = LiveServer(root / "data", env={"COLLECTOR_STATIC_DIR": str(static)})
    server.env["COLLECTOR_PUBLIC_URL"] = server.base_url  # the demo inlet allows 127.0.0.1 only
    server.start()
    try:
        settings = Settings(data_dir=root / "data", public_url=server.base_url, static_dir=static)
        with Properties.open(settings) as props:
            prop = props.create(org_id=seed.DEMO_ORG, name="origins", document=PROPERTY)
            library = props.publish(prop.id, "development")
        Path(static / "t" / "page.html").write_text(
            f"<!doctype html><html><head><meta charset='utf-8'><link rel='icon' href='data:,'>"
            f"<script>{SNIPPET}</script><script>{HOOKS}</script>"
            f"<script async src='{library.path}'></script></head><body></body></html>",
            encoding="utf-8",
        )
        yield server, settings
    finally:
        server.stop()


def _runs(settings: Settings, run: str) -> list[object]:
    return [
        r
        for r in lake_entities(settings)
        if r.get("entity", {}).get("_demo", {}).get("experimentVariant") == run
    ]


def test_a_disallowed_origin_is_dropped_by_the_tag_and_not_stored(
    context: BrowserContext, served: tuple[LiveServer, Settings]
) -> None:
    server, settings = served
    elsewhere = server.base_url.replace("127.0.0.1", "localhost")
    refused_run, allowed_run = uuid.uuid4().hex[:12], uuid.uuid4().hex[:12]

    page = context.new_page()
    page.goto(f"{elsewhere}/static/t/page.html?run={refused_run}")
    wait_for(lambda: page.evaluate("__responses"), "the tag's first answer", page)
    assert page.evaluate("__responses") == [403]  # readable: not a CORS failure
    stats = page.evaluate("_xdmTag.stats()")
    assert stats["retries"] == 0 and stats["queued"] == 0 and stats["dropped"] >= 1, stats

    # The allowed origin, same page and server: stored (and it proves the lake is being read).
    page.goto(f"{server.base_url}/static/t/page.html?run={allowed_run}")
    wait_for(lambda: _runs(settings, allowed_run), "the allowed page view in the lake", page)
    # The line is readable once synced, a moment before the answer reaches the page.
    wait_for(lambda: page.evaluate("__responses"), "the tag's answer on the allowed page", page)
    assert page.evaluate("__responses") == [207]
    assert _runs(settings, refused_run) == []
