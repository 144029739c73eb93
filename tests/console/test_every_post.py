"""Every POST route under /console/ (found in the app's routing table, so a new one cannot be
forgotten) refuses a signed-in admin's request without the session's CSRF token, and a
signed-out request, before doing anything."""

from __future__ import annotations

import sqlite3

from starlette.routing import Route
from starlette.testclient import TestClient

from collector.control.settings import Settings
from collector.tags.properties import Properties
from tests.conftest import ORG
from tests.console.signed import sign_in

# Sign-in has its own double-submit token (tests/console/test_signin.py).
OWN_CSRF = {"/console/login", "/console/logout"}


def _audit_rows(settings: Settings) -> int:
    with sqlite3.connect(settings.control_db_path) as conn:
        (count,) = conn.execute("SELECT count(*) FROM audit_log").fetchone()
    conn.close()
    return int(count)


def test_every_console_post_needs_the_csrf_token(client: TestClient, settings: Settings) -> None:
    with Properties.open(settings) as flow:
        prop = flow.create(org_id=ORG, name="Shop").id
    posts = [
        route.path.replace("{property_id}", prop)
        for route in client.app.routes  # type: ignore[attr-defined]
        if isinstance(route, Route)
        and route.path.startswith("/console/")
        and "POST" in (route.methods or ())
        and route.path not in OWN_CSRF
    ]
    assert len(posts) >= 12, posts  # properties 4, data elements 3, rules 3, publishing 2
    sign_in(client, settings, "admin")
    before = _audit_rows(settings)
    for path in posts:
        refused = client.post(path, data={"name": "x", "build": "1", "step": "submit"})
        assert refused.status_code == 403, path
        assert "The form expired" in refused.text, path
    client.cookies.clear()
    for path in posts:
        assert client.post(path, data={"name": "x"}).status_code == 401, path
    assert _audit_rows(settings) == before
    with Properties.open(settings) as flow:
        assert flow.get(prop).name == "Shop" and flow.store.builds.all(prop) == []
