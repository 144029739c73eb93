"""Console sign-in: ``GET|POST /console/login``, ``POST /console/logout``, ``GET /console/``.

The login form is protected by a double-submit CSRF token (a random value in an ``HttpOnly``
cookie that the form must repeat); signed-in forms carry the session's own CSRF token. Five
failed logins for an account, or from an IP, within 15 minutes answer 429 with
``Retry-After`` (counted in ``control.db``, so every worker agrees). Every login, failed
login and logout is audited.
"""

from __future__ import annotations

import hmac
import secrets
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.templating import Jinja2Templates

from collector.console import page
from collector.control.settings import Settings
from collector.guard.access import client_ip
from collector.guard.failures import Failures, Policy
from collector.guard.sessions import COOKIE, SessionStore, SignedIn, signed_in
from collector.guard.users import UserStore

CSRF_COOKIE = "xdmc_login_csrf"
LOGIN_FAILURES = Policy(limit=5, window_seconds=15 * 60)
MAX_FORM_BYTES = 8192
_templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


class Console:
    """The stores a served app holds for the console (``app.state.console``)."""

    def __init__(self, settings: Settings) -> None:
        path = settings.control_db_path
        self.users = UserStore(path)
        self.sessions = SessionStore(path, idle_seconds=settings.session_idle_minutes * 60)
        self.login_failures = Failures(path, LOGIN_FAILURES)

    def close(self) -> None:
        self.login_failures.close()
        self.sessions.close()
        self.users.close()


def _console(request: Request) -> Console:
    console: Console = request.app.state.console
    return console


async def login_page(request: Request) -> Response:
    if signed_in(request) is not None:
        return RedirectResponse("/console/", status_code=303)
    return _login(request, 200)


async def login(request: Request) -> Response:
    form = await page.read_form(request, MAX_FORM_BYTES)
    cookie = request.cookies.get(CSRF_COOKIE, "")
    sent = form.get("csrf_token", "")
    email = form.get("email", "").strip()[:320]
    if not cookie or not hmac.compare_digest(cookie.encode(), sent.encode()):
        return _login(request, 403, "The form expired. Please sign in again.", email)
    console = _console(request)
    ip = client_ip(request)
    keys = [f"login-account:{email.lower()}", f"login-ip:{ip or '-'}"]
    wait = await run_in_threadpool(console.login_failures.retry_after, keys)
    if wait:
        response = _login(
            request, 429, f"Too many failed sign-ins. Try again in {wait} seconds.", email
        )
        response.headers["Retry-After"] = str(wait)
        return response
    user = await run_in_threadpool(console.users.authenticate, email, form.get("password", ""))
    if user is None:
        await run_in_threadpool(_failed, console, keys, email, ip)
        return _login(request, 401, "Wrong email or password.", email)
    session = await run_in_threadpool(_signed_in, console, keys[0], user, ip)
    response = RedirectResponse("/console/", status_code=303)
    response.set_cookie(
        COOKIE,
        session.session_id,
        max_age=console.sessions.absolute_seconds,
        path="/",
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="lax",
    )
    response.delete_cookie(CSRF_COOKIE, path="/console")
    return response


async def logout(request: Request) -> Response:
    who = signed_in(request)
    response = RedirectResponse("/console/login", status_code=303)
    if who is None:
        return response
    form = await page.read_form(request, MAX_FORM_BYTES)
    if not hmac.compare_digest(who.csrf.encode(), form.get("csrf_token", "").encode()):
        return page.render(request, who, "home.html", {}, status=403)
    console = _console(request)
    await run_in_threadpool(_signed_out, console, who, client_ip(request))
    response.delete_cookie(COOKIE, path="/")
    return response


async def home(request: Request) -> Response:
    who = signed_in(request)
    if who is None:
        return RedirectResponse("/console/login", status_code=303)
    return page.render(request, who, "home.html", {})


def _login(request: Request, status: int, error: str | None = None, email: str = "") -> Response:
    token = request.cookies.get(CSRF_COOKIE, "")
    if len(token) != 43:
        token = secrets.token_urlsafe(32)
    context: dict[str, Any] = {"csrf_token": token, "error": error, "email": email}
    response = _templates.TemplateResponse(request, "login.html", context, status_code=status)
    response.set_cookie(
        CSRF_COOKIE,
        token,
        path="/console",
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _failed(console: Console, keys: list[str], email: str, ip: str | None) -> None:
    console.login_failures.record(keys)
    _audit(console, email, "console.login_failed", ip)


def _signed_in(console: Console, account_key: str, user: Any, ip: str | None) -> SignedIn:
    console.login_failures.clear(account_key)
    session = console.sessions.start(user, ip)
    _audit(console, user.email, "console.login", ip, user.org_id)
    return session


def _signed_out(console: Console, who: SignedIn, ip: str | None) -> None:
    console.sessions.end(who.session_id)
    _audit(console, who.user.email, "console.logout", ip, who.user.org_id)


def _audit(
    console: Console, email: str, action: str, ip: str | None, org_id: str | None = None
) -> None:
    console.users.audit(
        actor=f"user:{email}",
        action=action,
        object_type="user",
        object_id=email,
        org_id=org_id,
        ip=ip,
    )


def routes() -> list[BaseRoute]:
    return [
        Route("/console/login", login_page, methods=["GET"]),
        Route("/console/login", login, methods=["POST"]),
        Route("/console/logout", logout, methods=["POST"]),
        Route("/console/", home, methods=["GET"]),
    ]
