"""Console pages for tag properties: list, create, rename, delete (after a confirmation
page) and the extension configuration form, generated from the manifest's schema.

Reading needs the ``read`` action, every change ``edit``; a user of one org sees and changes
only that org's properties (another org's property is "not found"). Every change is audited.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from collector.console import forms
from collector.console.page import Stale, actor, page, properties, refuse, render
from collector.control import audit
from collector.guard.sessions import SignedIn
from collector.tags.properties import Properties
from collector.tags.property import PROPERTY_ID, Property, PropertyError

NAME_MAX = 200


def routes() -> list[BaseRoute]:
    return [
        Route("/console/properties", list_page, methods=["GET"]),
        Route("/console/properties", create, methods=["POST"]),
        Route("/console/properties/{property_id}", detail, methods=["GET"]),
        Route("/console/properties/{property_id}/rename", rename, methods=["POST"]),
        Route("/console/properties/{property_id}/extension", configure, methods=["POST"]),
        Route("/console/properties/{property_id}/delete", confirm_delete, methods=["GET"]),
        Route("/console/properties/{property_id}/delete", delete, methods=["POST"]),
    ]


def owned(request: Request, who: SignedIn, flow: Properties) -> Property | None:
    """The path's property when the user's org may see it.

    A form that says which version of the property it was made from (``version``) raises
    ``Stale`` when the property changed since: one person's save never silently undoes
    another's.
    """
    property_id = request.path_params["property_id"]
    if not PROPERTY_ID.match(property_id):
        return None
    prop = flow.store.property(property_id)
    if prop is None or (who.user.org_id is not None and prop.org_id != who.user.org_id):
        return None
    version = getattr(request.state, "version", "")
    if request.method == "POST" and version and version != prop.updated_at:
        raise Stale(prop.id)
    return prop


def not_found(request: Request, who: SignedIn) -> Response:
    return refuse(request, who, 404, "There is no such property in your organisation.")


def _record(flow: Properties, who: SignedIn, prop: Property, action: str, **detail: Any) -> None:
    audit.record(
        flow.store.db.conn,
        actor=actor(who),
        action=f"property.{action}",
        object_type="property",
        object_id=prop.id,
        org_id=prop.org_id,
        detail=detail,
    )


def _name_problem(name: str) -> str:
    if not name:
        return "Enter a name."
    if len(name) > NAME_MAX:
        return f"At most {NAME_MAX} characters."
    return ""


def _list(
    request: Request,
    who: SignedIn,
    flow: Properties,
    status: int = 200,
    **context: Any,
) -> Response:
    orgs = [who.user.org_id] if who.user.org_id else [o.id for o in flow.control.orgs()]
    return render(
        request,
        who,
        "properties.html",
        {
            "properties": flow.store.properties(who.user.org_id),
            "orgs": orgs,
            "name": "",
            "name_error": "",
            "problems": [],
            **context,
        },
        status,
    )


@page("read")
def list_page(request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    return _list(request, who, properties(request))


@page("edit")
def create(request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    flow = properties(request)
    name = form.get("name", "").strip()
    org_id = who.user.org_id or form.get("org_id", "")
    if problem := _name_problem(name):
        return _list(request, who, flow, 422, name=name, name_error=problem)
    try:
        prop = flow.create(org_id=org_id, name=name)
    except PropertyError as exc:
        return _list(request, who, flow, 422, name=name, problems=exc.problems)
    _record(flow, who, prop, "create", name=name)
    return RedirectResponse(f"/console/properties/{prop.id}", status_code=303)


def _detail(
    request: Request,
    who: SignedIn,
    flow: Properties,
    prop: Property,
    status: int = 200,
    **context: Any,
) -> Response:
    schema = flow.manifest.document["configuration"]["schema"]
    extension = context.pop("extension", prop.extension)
    errors = context.pop("errors", {})
    return render(
        request,
        who,
        "property.html",
        {
            "property": prop,
            "fields": forms.fields(schema, extension, errors, "ext."),
            "name": prop.name,
            "name_error": "",
            "problems": [],
            "saved": request.query_params.get("saved", ""),
            **context,
        },
        status,
    )


@page("read")
def detail(request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    flow = properties(request)
    prop = owned(request, who, flow)
    if prop is None:
        return not_found(request, who)
    return _detail(request, who, flow, prop)


@page("edit")
def rename(request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    flow = properties(request)
    prop = owned(request, who, flow)
    if prop is None:
        return not_found(request, who)
    name = form.get("name", "").strip()
    if problem := _name_problem(name):
        return _detail(request, who, flow, prop, 422, name=name, name_error=problem)
    try:
        renamed = flow.store.update(prop.id, name, prop.config())
    except PropertyError as exc:
        return _detail(request, who, flow, prop, 422, name=name, name_error=exc.problems[0])
    _record(flow, who, renamed, "rename", before=prop.name, after=name)
    return RedirectResponse(f"/console/properties/{prop.id}?saved=name", status_code=303)


@page("edit")
def configure(request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    flow = properties(request)
    prop = owned(request, who, flow)
    if prop is None:
        return not_found(request, who)
    schema = flow.manifest.document["configuration"]["schema"]
    extension, errors = forms.parse(schema, form, "ext.")
    if errors:
        return _detail(request, who, flow, prop, 422, extension=extension, errors=errors)
    try:
        config = flow.checker.check(prop.org_id, {**prop.config(), "extension": extension})
        saved = flow.store.update(prop.id, prop.name, config)
    except PropertyError as exc:
        return _detail(request, who, flow, prop, 422, extension=extension, problems=exc.problems)
    _record(flow, who, saved, "configure", extension=extension)
    return RedirectResponse(f"/console/properties/{prop.id}?saved=extension", status_code=303)


@page("edit")
def confirm_delete(request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    flow = properties(request)
    prop = owned(request, who, flow)
    if prop is None:
        return not_found(request, who)
    builds = len(flow.store.builds.all(prop.id)) + len(flow.store.libraries(prop.id))
    return render(request, who, "property_delete.html", {"property": prop, "built": builds > 0})


@page("edit")
def delete(request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    flow = properties(request)
    prop = owned(request, who, flow)
    if prop is None:
        return not_found(request, who)
    if form.get("confirm") != prop.name:
        context = {"property": prop, "built": False, "error": "Type the name exactly, as shown."}
        return render(request, who, "property_delete.html", context, 422)
    try:
        flow.store.delete(prop.id)
    except PropertyError as exc:
        context = {"property": prop, "built": True, "error": exc.problems[0]}
        return render(request, who, "property_delete.html", context, 409)
    _record(flow, who, prop, "delete", name=prop.name)
    return RedirectResponse("/console/properties?deleted=1", status_code=303)
