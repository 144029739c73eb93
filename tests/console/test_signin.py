"""Console sign-in against the real app: the page, login, logout, CSRF, the failure limit,
session expiry, cookie flags, and the audit of every login."""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from collector.app import create_app
from collector.console.signin import CSRF_COOKIE, LOGIN_FAILURES
from collector.control import audit
from collector.control.settings import Settings
from collector.guard.sessions import COOKIE
from collector.guard.users import UserStore
from tests.access import FAST_HASHER, ensure_org
from tests.conftest import ORG

EMAIL = "mara@example.com"
PASSWORD = "correct horse battery"


def _users(settings: Settings) -> UserStore:
    return UserStore(settings.control_db_path, hasher=FAST_HASHER)


@pytest.fixture
def console(client: TestClient, settings: Settings) -> Iterator[TestClient]:
    ensure_org(settings.control_db_path, ORG)
    store = _users(settings)
    store.create(EMAIL, "editor", PASSWORD, ORG)
    store.close()
    yield client


def _csrf(page: Any) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match is not None, page.text
    return match.group(1)


def _sign_in(client: TestClient, email: str = EMAIL, password: str = PASSWORD) -> Any:
    page = client.get("/console/login")
    form = {"csrf_token": _csrf(page), "email": email, "password": password}
    return client.post("/console/login", data=form, follow_redirects=False)


def test_the_login_page_is_accessible(console: TestClient) -> None:
    page = console.get("/console/login")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert '<html lang="en">' in html and "<title>" in html and "<main>" in html
    controls = re.findall(r'<input id="([^"]+)"', html)
    assert controls == ["email", "password"]
    for control in controls:
        assert f'<label for="{control}">' in html
    assert "http://" not in html and "https://" not in html  # no CDN, nothing remote
    cookie = page.headers["set-cookie"]
    assert CSRF_COOKIE in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie


def test_sign_in_shows_who_and_sign_out_ends_the_session(
    console: TestClient, settings: Settings
) -> None:
    signed = _sign_in(console)
    assert signed.status_code == 303 and signed.headers["location"] == "/console/"
    cookie = signed.headers["set-cookie"]
    assert f"{COOKIE}=" in cookie
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    home = console.get("/console/")
    assert home.status_code == 200
    assert f'<dd id="email">{EMAIL}</dd>' in home.text
    assert '<dd id="role">editor</dd>' in home.text
    # The session id is stored hashed only.
    session_id = console.cookies[COOKIE]
    assert session_id.encode() not in settings.control_db_path.read_bytes()

    # Logout needs the session's CSRF token.
    refused = console.post("/console/logout", data={"csrf_token": "nope"}, follow_redirects=False)
    assert refused.status_code == 403
    assert console.get("/console/").status_code == 200
    out = console.post("/console/logout", data={"csrf_token": _csrf(home)}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/console/login"
    # The old cookie is dead server-side, even if a client keeps it.
    console.cookies.set(COOKIE, session_id)
    gone = console.get("/console/", follow_redirects=False)
    assert gone.status_code == 303 and gone.headers["location"] == "/console/login"


def test_login_without_the_csrf_token_is_refused(console: TestClient) -> None:
    console.get("/console/login")  # the cookie is set, the form field is missing
    response = console.post(
        "/console/login", data={"email": EMAIL, "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 403
    assert COOKIE not in console.cookies
    fresh = TestClient(console.app)  # a field without the cookie (another site's form)
    response = fresh.post(
        "/console/login",
        data={"csrf_token": "x" * 43, "email": EMAIL, "password": PASSWORD},
        follow_redirects=False,
    )
    assert response.status_code == 403


def test_wrong_password_and_unknown_user(console: TestClient) -> None:
    wrong = _sign_in(console, password="not the password")
    unknown = _sign_in(console, email="nobody@example.com")
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert "Wrong email or password." in response.text
    assert COOKIE not in console.cookies


def test_five_failures_per_account_answer_429(console: TestClient, settings: Settings) -> None:
    for _ in range(LOGIN_FAILURES.limit):
        assert _sign_in(console, password="wrong password!").status_code == 401
    refused = _sign_in(console)  # the right password no longer helps
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= LOGIN_FAILURES.window_seconds
    assert COOKIE not in console.cookies


def test_five_failures_per_ip_answer_429(console: TestClient) -> None:
    for n in range(LOGIN_FAILURES.limit):
        assert _sign_in(console, email=f"guess{n}@example.com").status_code == 401
    assert _sign_in(console).status_code == 429


def test_a_success_clears_the_account_count(console: TestClient, settings: Settings) -> None:
    for _ in range(LOGIN_FAILURES.limit - 1):
        _sign_in(console, password="wrong password!")
    assert _sign_in(console).status_code == 303
    console.cookies.delete(COOKIE)  # another browser
    # The IP has 4 failures; the account has none: one more failure is still a 401.
    assert _sign_in(console, password="wrong password!").status_code == 401


def test_idle_sessions_expire(console: TestClient, settings: Settings) -> None:
    assert _sign_in(console).status_code == 303
    assert console.get("/console/", follow_redirects=False).status_code == 200
    idle_ms = settings.session_idle_minutes * 60_000
    with sqlite3.connect(settings.control_db_path) as conn:
        conn.execute(
            "UPDATE sessions SET last_seen_ms = ?", (int(time.time() * 1000) - idle_ms - 1000,)
        )
    conn.close()
    assert console.get("/console/", follow_redirects=False).status_code == 303


def test_disabling_a_user_ends_their_session(console: TestClient, settings: Settings) -> None:
    assert _sign_in(console).status_code == 303
    store = _users(settings)
    store.disable(EMAIL)
    store.close()
    assert console.get("/console/", follow_redirects=False).status_code == 303
    console.cookies.delete(COOKIE)
    assert _sign_in(console).status_code == 401


def test_the_cookie_is_secure_over_https(settings: Settings, tmp_path: Path) -> None:
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        ensure_org(settings.control_db_path, ORG)
        store = _users(settings)
        store.create(EMAIL, "viewer", PASSWORD)
        store.close()
        signed = _sign_in(client)
        assert signed.status_code == 303
        assert "Secure" in signed.headers["set-cookie"]


def test_logins_are_audited(console: TestClient, settings: Settings) -> None:
    _sign_in(console, password="wrong password!")
    _sign_in(console)
    home = console.get("/console/")
    console.post("/console/logout", data={"csrf_token": _csrf(home)})
    store = _users(settings)
    entries = [e for e in audit.entries(store.conn) if e.action.startswith("console.")]
    store.close()
    assert [(e.action, e.actor, e.ip) for e in entries] == [
        ("console.login_failed", f"user:{EMAIL}", "testclient"),
        ("console.login", f"user:{EMAIL}", "testclient"),
        ("console.logout", f"user:{EMAIL}", "testclient"),
    ]
    assert PASSWORD not in str([e.to_dict() for e in entries])
