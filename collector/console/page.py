"""What every signed-in console page shares: the role check, the CSRF check on every POST,
the form body, and rendering a template inside the one layout (with its navigation).

``page(*actions)`` wraps a handler ``(request, who, form) -> Response`` that runs in a worker
thread (the stores are SQLite): without a session a GET goes to the sign-in page and a POST
answers 401; a role that may do none of ``actions`` answers 403; a POST whose ``csrf_token`` is
not the session's answers 403 before the handler runs. All three are HTML pages.
"""

from __future__ import annotations

import functools
import hmac
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from collector.control.settings import Settings
from collector.guard.roles import allowed
from collector.guard.sessions import SignedIn, signed_in
from collector.tags.manifest import Manifest
from collector.tags.properties import Properties

MAX_FORM_BYTES = 256 * 1024
STALE = (
    "Someone saved this property after you opened the page, so your change was not saved."
    " Go back to copy what you typed, then reload the page and make the change again."
)
NAVIGATION = (
    ("Home", "/console/"),
    ("Properties", "/console/properties"),
    ("Live debugger", "/console/debug"),
    ("Failed messages", "/console/failures"),
    ("Monitoring", "/console/monitoring"),
)
# Shown to roles that manage users (admin); the server refuses the pages to everyone else.
ADMIN_NAVIGATION = (
    ("Inlets", "/console/admin/inlets"),
    ("Credentials", "/console/admin/credentials"),
    ("Users", "/console/admin/users"),
    ("Datasets", "/console/admin/datasets"),
    ("Datastreams", "/console/admin/datastreams"),
)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")

Handler = Callable[[Request, SignedIn, dict[str, str]], Response]


class Stale(Exception):
    """The form was made from an older version of the property than the stored one."""


def render(
    request: Request,
    who: SignedIn,
    template: str,
    context: Mapping[str, Any],
    status: int = 200,
) -> Response:
    full = {
        "user": who.user,
        "csrf_token": who.csrf,
        "navigation": NAVIGATION
        + (ADMIN_NAVIGATION if allowed(who.user.role, "manage_users") else ()),
        "here": request.url.path,
        "can": lambda action: allowed(who.user.role, action),
        "wide": True,
        # the property version the page's forms were made from (kept across redraws)
        "version": getattr(request.state, "version", ""),
        **context,
    }
    response = templates.TemplateResponse(request, template, full, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def refuse(request: Request, who: SignedIn | None, status: int, message: str) -> Response:
    if who is None:
        context = {"csrf_token": "", "wide": False, "status": status, "message": message}
        return templates.TemplateResponse(request, "error.html", context, status_code=status)
    return render(request, who, "error.html", {"status": status, "message": message}, status)


def page(*actions: str) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
    """The endpoint of a handler that needs any one of ``actions`` (role table)."""

    def wrap(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        @functools.wraps(handler)
        async def endpoint(request: Request) -> Response:
            who = await run_in_threadpool(signed_in, request)
            if who is None:
                if request.method == "GET":
                    return RedirectResponse("/console/login", status_code=303)
                return refuse(request, None, 401, "Sign in to the console first.")
            if not any(allowed(who.user.role, action) for action in actions):
                wanted = " or ".join(actions)
                return refuse(request, who, 403, f"Your role ({who.user.role}) may not {wanted}.")
            form: dict[str, str] = {}
            if request.method == "POST":
                form = await read_form(request)
                if not hmac.compare_digest(who.csrf.encode(), form.get("csrf_token", "").encode()):
                    return refuse(
                        request, who, 403, "The form expired. Reload the page and try again."
                    )
                request.state.version = form.get("version", "")
            try:
                return await run_in_threadpool(handler, request, who, form)
            except Stale:
                return refuse(request, who, 409, STALE)

        return endpoint

    return wrap


async def read_form(request: Request, limit: int = MAX_FORM_BYTES) -> dict[str, str]:
    """An urlencoded body as a dict (the last of repeated names); empty when unreadable or
    larger than ``limit`` bytes."""
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > limit:
            return {}
    try:
        return dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
    except (UnicodeDecodeError, ValueError):
        return {}


@functools.cache
def _manifest(root: Path) -> Manifest:
    return Manifest(root)


def properties(request: Request) -> Properties:
    """The property workflow over the served app's stores."""
    settings: Settings = request.app.state.settings
    return Properties(
        request.app.state.tags,
        request.app.state.control,
        request.app.state.registry,
        _manifest(settings.tag_extension_dir),
        public_url=settings.public_url,
    )


def actor(who: SignedIn) -> str:
    return f"user:{who.user.email}"
