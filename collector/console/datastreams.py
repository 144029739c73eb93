"""Admin pages for datastreams (what the Web SDK's ``configId`` names): the list with each one's
id, datasets, inlet and allowed origins and the ``edgeDomain``/``edgeBasePath`` a page
configures alloy with; create (an ExperienceEvent dataset, an optional profile dataset,
origins listed exactly); a page per datastream with its ``alloy("configure", ...)`` call where
its name and origins are edited; delete (after a confirmation page).

Every route needs ``manage_inlets`` (admin); an admin of one org sees and changes only that
org's datastreams (another org's answers 404). Bad input is shown on the form with 422. Every
change is audited as the signed-in user: ``datastream.*`` here, ``inlet.*`` by the control plane.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from collector.console import admin
from collector.console.page import actor, page, refuse, render
from collector.control.datastreams import Datastream, Datastreams, explicit
from collector.control.names import control_character_problem
from collector.control.plane import ControlPlaneError, Dataset, Inlet
from collector.control.settings import Settings
from collector.guard.sessions import SignedIn
from collector.schemas.compose import EXPERIENCE_EVENT
from collector.schemas.registry import SchemaRegistry

NAME_MAX = 200
PROFILE_CLASS = "https://ns.adobe.com/xdm/context/profile"
BASE = "/console/admin/datastreams"


def routes() -> list[BaseRoute]:
    return [
        Route(BASE, list_page, methods=["GET"]),
        Route(BASE, create, methods=["POST"]),
        Route(BASE + "/{datastream_id}", edit_page, methods=["GET"]),
        Route(BASE + "/{datastream_id}", edit, methods=["POST"]),
        Route(BASE + "/{datastream_id}/delete", confirm_delete, methods=["GET"]),
        Route(BASE + "/{datastream_id}/delete", delete, methods=["POST"]),
    ]


@dataclass(frozen=True)
class _Row:
    """A datastream with what the pages show beside it."""

    stream: Datastream
    inlet: Inlet | None
    event_dataset: Dataset | None
    profile_dataset: Dataset | None


def _streams(request: Request) -> Datastreams:
    streams: Datastreams = request.app.state.datastreams
    return streams


def _row(request: Request, stream: Datastream) -> _Row:
    plane = admin.control(request)
    profile = stream.profile_dataset_id
    return _Row(
        stream,
        plane.inlet(stream.inlet_id),
        plane.dataset(stream.dataset_id),
        plane.dataset(profile) if profile is not None else None,
    )


def _of_class(request: Request, orgs: list[str], class_id: str) -> list[Dataset]:
    registry: SchemaRegistry = request.app.state.registry
    return [
        d
        for d in admin.control(request).datasets()
        if d.org_id in orgs and registry.class_of(d.schema_id) == class_id
    ]


def _edge(request: Request) -> dict[str, str]:
    """What a page's ``alloy("configure", ...)`` needs besides the datastream id."""
    settings: Settings = request.app.state.settings
    return {
        "edge_domain": urlsplit(settings.public_url).netloc,
        "edge_base_path": settings.edge_base_path,
    }


def _owned(request: Request, who: SignedIn) -> Datastream | None:
    found = _streams(request).get(request.path_params["datastream_id"])
    return found if found is not None and admin.manages(who, found.org_id) else None


def _missing(request: Request, who: SignedIn) -> Response:
    return refuse(request, who, 404, "There is no such datastream in your organisation.")


def _list(request: Request, who: SignedIn, status: int = 200, **context: Any) -> Response:
    mine = admin.orgs(request, who)
    rows = [_row(request, s) for s in _streams(request).list() if s.org_id in mine]
    return render(
        request,
        who,
        "admin_datastreams.html",
        {
            "rows": rows,
            "orgs": mine,
            "event_datasets": _of_class(request, mine, EXPERIENCE_EVENT),
            "profile_datasets": _of_class(request, mine, PROFILE_CLASS),
            "form": {},
            "errors": {},
            "problem": "",
            "deleted": request.query_params.get("deleted", ""),
            **_edge(request),
            **context,
        },
        status,
    )


@page("manage_inlets")
def list_page(request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    return _list(request, who)


def _audit(
    streams: Datastreams, who: SignedIn, action: str, stream: Datastream, **detail: Any
) -> None:
    """Record ``datastream.<action>`` on ``stream`` in the audit log, as the signed-in user."""
    admin.record(
        streams.control.db.conn,
        who,
        f"datastream.{action}",
        "datastream",
        stream.id,
        stream.org_id,
        **detail,
    )


def _deletion(stream: Datastream) -> admin.Deletion:
    return admin.Deletion(
        "datastream",
        stream.id,
        stream.name,
        BASE,
        f"Pages configured with its id ({stream.id}) get errors from then on; its inlet is "
        "deleted and its tokens are revoked. What it already wrote to the lake stays.",
    )


def _origin_lines(form: dict[str, str]) -> list[str]:
    return [line.strip() for line in form.get("origins", "").splitlines() if line.strip()]


def _name_problem(form: dict[str, str]) -> str:
    name = form.get("name", "").strip()
    if not name:
        return "Enter a name."
    if len(name) > NAME_MAX:
        return f"At most {NAME_MAX} characters."
    problem = control_character_problem("The name", name)
    return problem + "." if problem else ""


def _problems(form: dict[str, str]) -> tuple[dict[str, str], tuple[str, ...]]:
    """Problems of the name and origins fields, and the origins as they would be stored."""
    errors: dict[str, str] = {}
    if problem := _name_problem(form):
        errors["name"] = problem
    allowed: tuple[str, ...] = ()
    try:
        allowed = explicit(_origin_lines(form))
    except ControlPlaneError as exc:
        errors["origins"] = str(exc)
    return errors, allowed


def _dataset_problems(request: Request, org_id: str, form: dict[str, str]) -> dict[str, str]:
    errors: dict[str, str] = {}
    events = {d.id for d in _of_class(request, [org_id], EXPERIENCE_EVENT)} if org_id else set()
    if form.get("dataset_id", "") not in events:
        errors["dataset_id"] = "Choose an ExperienceEvent dataset of this organisation."
    profiles = {d.id for d in _of_class(request, [org_id], PROFILE_CLASS)} if org_id else set()
    if form.get("profile_dataset_id") and form["profile_dataset_id"] not in profiles:
        errors["profile_dataset_id"] = "Choose a profile dataset of this organisation, or none."
    return errors


@page("manage_inlets")
def create(request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    org_id = admin.chosen_org(request, who, form)
    errors, allowed = _problems(form)
    errors.update(_dataset_problems(request, org_id, form))
    if not org_id:
        errors["org_id"] = "Choose an organisation you manage."
    if errors:
        return _list(request, who, 422, form=form, errors=errors)
    streams = _streams(request)
    try:
        stream = streams.create(
            org_id=org_id,
            name=form["name"].strip(),
            dataset_id=form["dataset_id"],
            profile_dataset_id=form.get("profile_dataset_id") or None,
            origins=allowed,
            actor=actor(who),
        )
    except ControlPlaneError as exc:
        return _list(request, who, 422, form=form, problem=str(exc))
    _audit(
        streams,
        who,
        "create",
        stream,
        name=stream.name,
        dataset_id=stream.dataset_id,
        profile_dataset_id=stream.profile_dataset_id,
        inlet_id=stream.inlet_id,
        allowed_origins=list(allowed),
    )
    return RedirectResponse(f"{BASE}/{stream.id}?done=created", status_code=303)


def _one(
    request: Request, who: SignedIn, stream: Datastream, status: int = 200, **context: Any
) -> Response:
    row = _row(request, stream)
    origins = row.inlet.allowed_origins if row.inlet is not None else ()
    return render(
        request,
        who,
        "admin_datastream.html",
        {
            "row": row,
            "form": {"name": stream.name, "origins": "\n".join(origins)},
            "errors": {},
            "problem": "",
            "done": request.query_params.get("done", ""),
            **_edge(request),
            **context,
        },
        status,
    )


@page("manage_inlets")
def edit_page(request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    stream = _owned(request, who)
    if stream is None:
        return _missing(request, who)
    return _one(request, who, stream)


@page("manage_inlets")
def edit(request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    stream = _owned(request, who)
    if stream is None:
        return _missing(request, who)
    errors, allowed = _problems(form)
    if errors:
        return _one(request, who, stream, 422, form=form, errors=errors)
    streams = _streams(request)
    inlet = admin.control(request).inlet(stream.inlet_id)
    before = inlet.allowed_origins if inlet is not None else ()
    name = form["name"].strip()
    changed: dict[str, list[Any]] = {}
    try:
        if name != stream.name:
            streams.update(stream.id, name=name)
            changed["name"] = [stream.name, name]
        if allowed != before:
            streams.set_origins(stream.id, allowed, actor=actor(who))
            changed["allowed_origins"] = [list(before), list(allowed)]
    except ControlPlaneError as exc:
        return _one(request, who, stream, 422, form=form, problem=str(exc))
    if changed:
        _audit(
            streams,
            who,
            "update",
            stream,
            changed=changed,
        )
    return RedirectResponse(f"{BASE}/{stream.id}?done=saved", status_code=303)


@page("manage_inlets")
def confirm_delete(request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    stream = _owned(request, who)
    if stream is None:
        return _missing(request, who)
    return _deletion(stream).page(request, who)


@page("manage_inlets")
def delete(request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    stream = _owned(request, who)
    if stream is None:
        return _missing(request, who)
    if refused := _deletion(stream).refusal(request, who, form):
        return refused
    streams = _streams(request)
    try:
        streams.delete(stream.id, actor=actor(who))
    except ControlPlaneError:  # deleted meanwhile, by someone else
        return _missing(request, who)
    _audit(
        streams,
        who,
        "delete",
        stream,
        name=stream.name,
        inlet_id=stream.inlet_id,
    )
    return RedirectResponse(f"{BASE}?deleted=1", status_code=303)
