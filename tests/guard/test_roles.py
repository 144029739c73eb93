"""The role table, ``allowed`` and ``require_role`` (over a real session)."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from collector.console.signin import Console
from collector.control.settings import Settings
from collector.errors import CollectorError
from collector.guard.roles import ACTIONS, ROLES, allowed, require_role
from collector.guard.sessions import COOKIE
from collector.web.responses import problem_response
from tests.access import ensure_org

EXPECTED = {
    "viewer": {"read"},
    "editor": {"read", "edit", "build"},
    "approver": {"read", "approve"},
    "admin": set(ACTIONS),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", ACTIONS)
def test_the_table(role: str, action: str) -> None:
    assert allowed(role, action) is (action in EXPECTED[role])


def test_only_admin_publishes_and_manages() -> None:
    for action in ("publish", "manage_inlets", "manage_credentials", "manage_users"):
        assert [r for r in ROLES if allowed(r, action)] == ["admin"]


def test_unknown_roles_and_actions() -> None:
    assert not allowed("root", "read")
    with pytest.raises(ValueError, match="unknown action"):
        allowed("admin", "fly")


async def _publish(request: Request) -> Response:
    who = require_role(request, "publish")
    return PlainTextResponse(who.user.email)


async def _problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, CollectorError)
    return problem_response(exc)


def test_require_role_over_a_session(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    ensure_org(settings.control_db_path, "DEMO@AdobeOrg")
    console = Console(settings)
    app = Starlette(
        routes=[Route("/publish", _publish)], exception_handlers={CollectorError: _problem}
    )
    app.state.console = console
    users = console.users
    try:
        admin = users.create("root@example.com", "admin", "a long enough password")
        editor = users.create("ed@example.com", "editor", "a long enough password")
        with TestClient(app) as client:
            assert client.get("/publish").status_code == 401
            client.cookies.set(COOKIE, console.sessions.start(editor, None).session_id)
            assert client.get("/publish").status_code == 403
            client.cookies.set(COOKIE, console.sessions.start(admin, None).session_id)
            response = client.get("/publish")
            assert response.status_code == 200 and response.text == "root@example.com"
    finally:
        console.close()
