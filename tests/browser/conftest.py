"""Real headless Chromium (Debian's, driven by Playwright) and a live collector per module."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from collector.control import seed
from collector.control.settings import Settings
from collector.lake.segments import segments

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SNIPPET = (Path(__file__).resolve().parents[2] / "tag_extension" / "snippet.js").read_text()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: `make system-deps` installs it")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh profile per test: no cookies, no localStorage."""
    ctx = browser.new_context()
    try:
        yield ctx
    finally:
        ctx.close()


def lake_entities(settings: Settings, partition: str = seed.WEB_EVENTS) -> list[dict[str, Any]]:
    """Every complete lake line of a partition (a growing segment is read up to its last \\n)."""
    found = []
    for path in segments(settings.lake_dir, partition):
        data = path.read_bytes()
        for line in data[: data.rfind(b"\n") + 1].splitlines():
            found.append(orjson.loads(line))
    return found


def wait_for(check: Callable[[], Any], what: str, page: Page, timeout: float = 20.0) -> Any:
    """Polls ``check`` until it returns something truthy (a deadline, not a timing assert).

    Pauses through ``page`` so that Playwright keeps dispatching (route handlers run only
    while the test is inside a Playwright call).
    """
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        page.wait_for_timeout(50)
