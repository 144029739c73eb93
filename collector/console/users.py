"""Admin pages for console users: list, create (email, role, password), change a role and
disable. A role change or disabling ends the user's sessions (``guard.users``).

Every route needs ``manage_users``; an admin of one org sees and changes only that org's users
(an admin without an org, every user). Admins cannot demote or disable themselves, so a
console never loses its last admin by a slip. Every change is audited as the user.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from collector.console import admin
from collector.console.page import page, refuse, render
from collector.console.signin import Console
from collector.guard.roles import ROLES
from collector.guard.sessions import SignedIn
from collector.guard.users import User, UserError, UserStore


def routes() -> list[BaseRoute]:
    return [
        Route("/console/admin/users", list_page, methods=["GET"]),
        Route("/console/admin/users", create, methods=["POST"]),
        Route("/console/admin/users/{user_id}/role", change_role, methods=["POST"]),
        Route("/console/admin/users/{user_id}/disable", disable, methods=["POST"]),
    ]


def _store(request: Request) -> UserStore:
    console: Console = request.app.state.console
    return console.users


def _record(store: UserStore, who: SignedIn, action: str, user: User, **detail: Any) -> None:
    admin.record(store.conn, who, action, "user", user.email, user.org_id, **detail)


def _list(request: Request, who: SignedIn, status: int = 200, **context: Any) -> Response:
    found = [u for u in _store(request).list() if admin.manages(who, u.org_id)]
    return render(
        request,
        who,
        "admin_users.html",
        {
            "users": found,
            "roles": ROLES,
            "orgs": admin.orgs(request, who),
            "form": {},
            "errors": {},
            "problem": "",
            "done": request.query_params.get("done", ""),
            **context,
        },
        status,
    )


@page("manage_users")
def list_page(request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    return _list(request, who)


@page("manage_users")
def create(request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    org_id: str | None = who.user.org_id
    errors: dict[str, str] = {}
    if org_id is None and form.get("org_id"):
        org_id = form["org_id"]
        if org_id not in admin.orgs(request, who):
            errors["org_id"] = "Choose an organisation."
    email, role, password = (
        form.get("email", "").strip(),
        form.get("role", ""),
        form.get("password", ""),
    )
    if not email:
        errors["email"] = "Enter an email address."
    if role not in ROLES:
        errors["role"] = "Choose a role."
    if not password:
        errors["password"] = "Enter a password."
    if errors:
        return _list(request, who, 422, form=form, errors=errors)
    store = _store(request)
    try:
        user = store.create(email, role, password, org_id)
    except UserError as exc:
        message = str(exc)
        field = "password" if "password" in message else "email"
        return _list(
            request, who, 422, form=form, errors={field: message[:1].upper() + message[1:] + "."}
        )
    _record(store, who, "user.create", user, role=role)
    return RedirectResponse("/console/admin/users?done=created", status_code=303)


def _target(request: Request, who: SignedIn) -> User | None:
    user = _store(request).get(request.path_params["user_id"])
    return user if user is not None and admin.manages(who, user.org_id) else None


def _missing(request: Request, who: SignedIn) -> Response:
    return refuse(request, who, 404, "There is no such user in your organisation.")


@page("manage_users")
def change_role(request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    user = _target(request, who)
    if user is None:
        return _missing(request, who)
    if user.id == who.user.id:
        return _list(request, who, 409, problem="You cannot change your own role.")
    role = form.get("role", "")
    if role not in ROLES:
        return _list(request, who, 422, problem=f"Choose one of: {', '.join(ROLES)}.")
    if role != user.role:
        store = _store(request)
        changed = store.set_role(user.email, role)
        _record(store, who, "user.set_role", changed, before=user.role, after=role)
    return RedirectResponse("/console/admin/users?done=role", status_code=303)


@page("manage_users")
def disable(request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    user = _target(request, who)
    if user is None:
        return _missing(request, who)
    if user.id == who.user.id:
        return _list(request, who, 409, problem="You cannot disable yourself.")
    if user.disabled_at is None:
        store = _store(request)
        _record(store, who, "user.disable", store.disable(user.email), role=user.role)
    return RedirectResponse("/console/admin/users?done=disabled", status_code=303)
