"""The activity of one property: who changed, built, submitted, approved or published what and
when, read from the audit log, newest first (``read`` is enough; org-scoped like the property)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from collector.console.page import page, properties, render
from collector.console.properties import not_found, owned
from collector.control import audit
from collector.guard.sessions import SignedIn

SHOWN = 500


@dataclass(frozen=True)
class Line:
    at: str
    actor: str
    action: str
    detail: tuple[tuple[str, str], ...]


def routes() -> list[BaseRoute]:
    return [Route("/console/properties/{property_id}/activity", activity_page, methods=["GET"])]


def _text(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text if len(text) <= 200 else text[:199] + "…"


def lines(entries: list[audit.AuditEntry]) -> list[Line]:
    """The newest ``SHOWN`` entries, newest first, as the page shows them."""
    newest = sorted(entries, key=lambda e: e.seq, reverse=True)[:SHOWN]
    return [
        Line(
            at=e.at,
            actor=e.actor.removeprefix("user:"),
            action=e.action.removeprefix("property."),
            detail=tuple((str(k), _text(v)) for k, v in (e.detail or {}).items()),
        )
        for e in newest
    ]


@page("read")
def activity_page(request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    flow = properties(request)
    prop = owned(request, who, flow)
    if prop is None:
        return not_found(request, who)
    found = audit.entries(
        flow.store.db.conn, object_type="property", object_id=prop.id, limit=1_000_000
    )
    return render(
        request,
        who,
        "activity.html",
        {"property": prop, "lines": lines(found), "total": len(found), "shown": SHOWN},
    )
