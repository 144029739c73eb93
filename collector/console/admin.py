"""What the admin pages share: the orgs a signed-in admin may manage (their own, or every org
for an admin without one), and recording a change in the audit log as that user."""

from __future__ import annotations

import sqlite3
from typing import Any

from starlette.requests import Request

from collector.console.page import actor
from collector.control import audit
from collector.control.plane import ControlPlane
from collector.guard.sessions import SignedIn


def control(request: Request) -> ControlPlane:
    plane: ControlPlane = request.app.state.control
    return plane


def orgs(request: Request, who: SignedIn) -> list[str]:
    """The org ids this user manages."""
    if who.user.org_id is not None:
        return [who.user.org_id]
    return [o.id for o in control(request).orgs()]


def manages(who: SignedIn, org_id: str | None) -> bool:
    return who.user.org_id is None or org_id == who.user.org_id


def chosen_org(request: Request, who: SignedIn, form: dict[str, str]) -> str:
    """The org a create form is for: the user's own, or the one chosen ("" when not allowed)."""
    if who.user.org_id is not None:
        return who.user.org_id
    wanted = form.get("org_id", "")
    return wanted if wanted in orgs(request, who) else ""


def record(
    conn: sqlite3.Connection,
    who: SignedIn,
    action: str,
    object_type: str,
    object_id: str,
    org_id: str | None,
    **detail: Any,
) -> None:
    audit.record(
        conn,
        actor=actor(who),
        action=action,
        object_type=object_type,
        object_id=object_id,
        org_id=org_id,
        detail=detail,
    )
