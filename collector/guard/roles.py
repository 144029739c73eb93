"""Console roles and what each may do: one table, ``allowed(role, action)``, and
``require_role(request, action)`` for the console's routes.

viewer reads; editor also edits properties and builds libraries; approver reads and approves
(who edits does not approve their own work); admin does everything, including publishing to
production and managing inlets, credentials and users.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request

from collector.errors import AccessDenied, NotAuthenticated

if TYPE_CHECKING:
    from collector.guard.sessions import SignedIn

ROLES = ("viewer", "editor", "approver", "admin")
ACTIONS = (
    "read",
    "edit",
    "build",
    "approve",
    "publish",
    "manage_inlets",
    "manage_credentials",
    "manage_users",
)

PERMISSIONS: dict[str, frozenset[str]] = {
    "viewer": frozenset({"read"}),
    "editor": frozenset({"read", "edit", "build"}),
    "approver": frozenset({"read", "approve"}),
    "admin": frozenset(ACTIONS),
}


def allowed(role: str, action: str) -> bool:
    """Whether ``role`` may do ``action``; unknown roles may do nothing."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r} (known: {', '.join(ACTIONS)})")
    return action in PERMISSIONS.get(role, frozenset())


def require_role(request: Request, action: str) -> SignedIn:
    """The signed-in console user, if their role allows ``action``: 401 or 403 otherwise."""
    from collector.guard.sessions import signed_in

    who = signed_in(request)
    if who is None:
        raise NotAuthenticated("Sign in to the console first")
    if not allowed(who.user.role, action):
        raise AccessDenied(f"The role {who.user.role} may not {action}")
    return who
