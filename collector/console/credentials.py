"""Admin pages for API credentials: list, create with scopes (the secret is shown once, in the
answer to the POST; only its hash is stored) and revoke.

Every route needs ``manage_credentials``; an admin of one org sees and changes only that org's
credentials. Every change is audited as the user.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from collector.console import admin
from collector.console.page import page, refuse, render
from collector.control.settings import Settings
from collector.guard import scopes
from collector.guard.credentials import Credential, CredentialError, CredentialStore
from collector.guard.sessions import SignedIn

NAME_MAX = 200


def routes() -> list[BaseRoute]:
    return [
        Route("/console/admin/credentials", list_page, methods=["GET"]),
        Route("/console/admin/credentials", create, methods=["POST"]),
        Route("/console/admin/credentials/{credential_id}/revoke", revoke, methods=["POST"]),
    ]


@contextmanager
def _store(request: Request) -> Iterator[CredentialStore]:
    settings: Settings = request.app.state.settings
    store = CredentialStore(settings.control_db_path)
    try:
        yield store
    finally:
        store.close()


def _record(store: CredentialStore, who: SignedIn, action: str, credential: Credential) -> None:
    admin.record(
        store.conn,
        who,
        action,
        "credential",
        credential.id,
        credential.org_id,
        name=credential.name,
        scopes=list(credential.scopes),
    )


def _list(request: Request, who: SignedIn, status: int = 200, **context: Any) -> Response:
    mine = admin.orgs(request, who)
    with _store(request) as store:
        found = [c for c in store.list() if c.org_id in mine]
    return render(
        request,
        who,
        "admin_credentials.html",
        {
            "credentials": found,
            "orgs": mine,
            "scopes": scopes.SCOPES,
            "form": {},
            "errors": {},
            "issued": None,
            "revoked": request.query_params.get("revoked", ""),
            **context,
        },
        status,
    )


@page("manage_credentials")
def list_page(request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    return _list(request, who)


@page("manage_credentials")
def create(request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    errors: dict[str, str] = {}
    name = form.get("name", "").strip()
    if not name:
        errors["name"] = "Enter a name."
    elif len(name) > NAME_MAX:
        errors["name"] = f"At most {NAME_MAX} characters."
    wanted = [s for s in scopes.SCOPES if form.get(f"scope.{s}") == "on"]
    if not wanted:
        errors["scopes"] = "Choose at least one scope."
    org_id = admin.chosen_org(request, who, form)
    if not org_id:
        errors["org_id"] = "Choose an organisation you manage."
    if errors:
        return _list(request, who, 422, form=form, errors=errors)
    with _store(request) as store:
        try:
            issued = store.create(org_id, name, wanted)
        except CredentialError as exc:
            return _list(request, who, 422, form=form, errors={"scopes": str(exc)})
        _record(store, who, "credential.create", issued.credential)
    return _list(request, who, 201, issued=issued)


@page("manage_credentials")
def revoke(request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    with _store(request) as store:
        found = store.get(request.path_params["credential_id"])
        if found is None or not admin.manages(who, found.org_id):
            return refuse(request, who, 404, "There is no such credential in your organisation.")
        if found.revoked_at is None:
            _record(store, who, "credential.revoke", store.revoke(found.id))
    return RedirectResponse("/console/admin/credentials?revoked=1", status_code=303)
