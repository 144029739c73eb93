"""What the admin pages share: the orgs a signed-in admin may manage (their own, or every org
for an admin without one), and recording a change in the audit log as that user."""

from __future__ import annotations

import sqlite3
from typing import Any, NamedTuple

from starlette.requests import Request
from starlette.responses import Response

from collector.console.page import actor, render
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


class Deletion(NamedTuple):
    """What the one delete page (``admin_delete.html``) shows: the ``kind`` of thing, its id
    and name, the list page it belongs to, and what deleting it does."""

    kind: str
    id: str
    name: str
    back: str
    consequences: str

    def page(self, request: Request, who: SignedIn, error: str = "", status: int = 200) -> Response:
        return render(request, who, "admin_delete.html", {"deletion": self, "error": error}, status)

    def refusal(self, request: Request, who: SignedIn, form: dict[str, str]) -> Response | None:
        """The page again (422) when the typed confirmation is not the name, else None."""
        if form.get("confirm", "").strip() == self.name:
            return None
        return self.page(request, who, "Type the name exactly, as shown.", 422)
