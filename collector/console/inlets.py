"""Admin pages for inlets: list, create with allowed origins (checked as ``collector inlets
create`` checks them, the message shown inline), rotate an authenticated inlet's token (the new
token is shown once, in the answer to the POST) and delete (after a confirmation page).

Every route needs ``manage_inlets``; an admin of one org sees and changes only that org's
inlets. Create and delete are audited by the control plane, a rotation here, as the user.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from collector.console import admin
from collector.console.page import actor, page, refuse, render
from collector.control import origins
from collector.control.plane import ControlPlaneError, Inlet
from collector.control.settings import Settings
from collector.guard.sessions import SignedIn
from collector.guard.tokens import IssuedToken, TokenStore

NAME_MAX = 200


def routes() -> list[BaseRoute]:
    return [
        Route("/console/admin/inlets", list_page, methods=["GET"]),
        Route("/console/admin/inlets", create, methods=["POST"]),
        Route("/console/admin/inlets/{inlet_id}/rotate", rotate, methods=["POST"]),
        Route("/console/admin/inlets/{inlet_id}/delete", confirm_delete, methods=["GET"]),
        Route("/console/admin/inlets/{inlet_id}/delete", delete, methods=["POST"]),
    ]


def _owned(request: Request, who: SignedIn) -> Inlet | None:
    found = admin.control(request).inlet(request.path_params["inlet_id"])
    return found if found is not None and admin.manages(who, found.org_id) else None


def _missing(request: Request, who: SignedIn) -> Response:
    return refuse(request, who, 404, "There is no such inlet in your organisation.")


def _tokens(request: Request) -> TokenStore:
    settings: Settings = request.app.state.settings
    return TokenStore(settings.control_db_path)


def _list(request: Request, who: SignedIn, status: int = 200, **context: Any) -> Response:
    plane = admin.control(request)
    settings: Settings = request.app.state.settings
    mine = admin.orgs(request, who)
    inlets = [i for i in plane.inlets() if i.org_id in mine]
    datasets = [d for d in plane.datasets() if d.org_id in mine]
    tokens = _tokens(request)
    try:
        live = {t.inlet_id for t in tokens.list() if t.revoked_at is None}
    finally:
        tokens.close()
    return render(
        request,
        who,
        "admin_inlets.html",
        {
            "inlets": inlets,
            "with_token": live,
            "datasets": datasets,
            "orgs": mine,
            "public_url": settings.public_url,
            "form": {},
            "errors": {},
            "problem": "",
            "issued": None,
            "deleted": request.query_params.get("deleted", ""),
            **context,
        },
        status,
    )


@page("manage_inlets")
def list_page(request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    return _list(request, who)


def _problems(form: dict[str, str]) -> dict[str, str]:
    errors: dict[str, str] = {}
    name = form.get("name", "").strip()
    if not name:
        errors["name"] = "Enter a name."
    elif len(name) > NAME_MAX:
        errors["name"] = f"At most {NAME_MAX} characters."
    try:
        origins.parse_all(_origin_lines(form))
    except origins.OriginError as exc:
        errors["origins"] = str(exc)
    return errors


def _origin_lines(form: dict[str, str]) -> list[str]:
    return [line.strip() for line in form.get("origins", "").splitlines() if line.strip()]


@page("manage_inlets")
def create(request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    org_id = admin.chosen_org(request, who, form)
    errors = _problems(form)
    if not org_id:
        errors["org_id"] = "Choose an organisation you manage."
    if errors:
        return _list(request, who, 422, form=form, errors=errors)
    auth = form.get("auth") == "on"
    try:
        inlet = admin.control(request).create_inlet(
            org_id=org_id,
            name=form["name"].strip(),
            auth_required=auth,
            allowed_origins=_origin_lines(form),
            default_dataset_id=form.get("dataset_id") or None,
            actor=actor(who),
        )
    except ControlPlaneError as exc:
        return _list(request, who, 422, form=form, problem=str(exc))
    issued = _issue(request, who, inlet) if auth else None
    return _list(request, who, 201, issued=issued, created=inlet)


def _issue(request: Request, who: SignedIn, inlet: Inlet) -> IssuedToken:
    """Revoke the inlet's live tokens and issue a new one, audited as the user."""
    tokens = _tokens(request)
    try:
        revoked = []
        for token in tokens.list(inlet.id):
            if token.revoked_at is None:
                revoked.append(tokens.revoke(token.id).id)
        issued = tokens.create(inlet.id, "console")
    finally:
        tokens.close()
    admin.record(
        admin.control(request).db.conn,
        who,
        "inlet.token_rotate",
        "inlet",
        inlet.id,
        inlet.org_id,
        token=issued.token.id,
        revoked=revoked,
    )
    return issued


@page("manage_inlets")
def rotate(request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    inlet = _owned(request, who)
    if inlet is None:
        return _missing(request, who)
    if not inlet.auth_required:
        message = f"The inlet {inlet.name} takes no token (it does not require authentication)."
        return _list(request, who, 409, problem=message)
    return _list(request, who, 200, issued=_issue(request, who, inlet), created=inlet)


def _deletion(inlet: Inlet) -> admin.Deletion:
    return admin.Deletion(
        "inlet",
        inlet.id,
        inlet.name,
        "/console/admin/inlets",
        "Requests to it get 404 from then on and its tokens are revoked. What it already wrote "
        "to the lake stays; its id is never reused.",
    )


@page("manage_inlets")
def confirm_delete(request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    inlet = _owned(request, who)
    if inlet is None:
        return _missing(request, who)
    return _deletion(inlet).page(request, who)


@page("manage_inlets")
def delete(request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    inlet = _owned(request, who)
    if inlet is None:
        return _missing(request, who)
    deletion = _deletion(inlet)
    if refused := deletion.refusal(request, who, form):
        return refused
    try:
        admin.control(request).delete_inlet(inlet.id, actor=actor(who))
    except ControlPlaneError as exc:
        return deletion.page(request, who, str(exc), 409)
    return RedirectResponse("/console/admin/inlets?deleted=1", status_code=303)
