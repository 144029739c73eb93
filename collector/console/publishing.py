"""Console publishing pages over the build engine (``Properties.build/step``,
``store.builds``): builds with their status, build, submit, approve or reject, promote and
roll back, each environment's history and embed snippet, and the diff of two builds.

Who may press what is the role table: editors build and submit (``build``), approvers
approve and reject (``approve``), promotion to production and rollback need ``publish``
(admin) or ``approve`` (approver). The engine checks the order of steps and audits each.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from collector.console.page import actor, page, properties, render
from collector.console.properties import not_found, owned
from collector.guard.roles import allowed
from collector.guard.sessions import SignedIn
from collector.tags.properties import Properties
from collector.tags.property import ENVIRONMENTS, Property, PropertyError, library_path

BASE = "/console/properties/{property_id}/publishing"
# The role actions that may take each step (any one of them).
STEPS: dict[str, tuple[str, ...]] = {
    "submit": ("build",),
    "approve": ("approve",),
    "reject": ("approve",),
    "promote": ("publish", "approve"),
    "rollback": ("publish", "approve"),
}
# The steps a build of each status offers next.
NEXT = {
    "development": ("submit",),
    "rejected": ("submit",),
    "submitted": ("approve", "reject"),
    "approved": ("promote",),
    "production": (),
}
NOTE_MAX = 500


def routes() -> list[BaseRoute]:
    return [
        Route(BASE, overview, methods=["GET"]),
        Route(BASE + "/build", build, methods=["POST"]),
        Route(BASE + "/step", step, methods=["POST"]),
        Route(BASE + "/diff", diff, methods=["GET"]),
    ]


def snippet(public_url: str, property_id: str, environment: str) -> str:
    """The HTML a site pastes into its <head>: the queueing stub, then the library."""
    src = public_url.rstrip("/") + library_path(property_id, environment)
    return f'<script>\n{_stub()}</script>\n<script async src="{src}"></script>'


@functools.cache
def _stub() -> str:
    """The tag's queueing stub (``tag_extension/snippet.js``, shipped as package data)."""
    return resources.files("collector._data.tag_extension").joinpath("snippet.js").read_text()


def may(who: SignedIn, step_name: str) -> bool:
    return any(allowed(who.user.role, action) for action in STEPS[step_name])


def _overview(
    request: Request,
    who: SignedIn,
    flow: Properties,
    prop: Property,
    status: int = 200,
    problems: list[str] | None = None,
) -> Response:
    builds = flow.store.builds
    summaries = list(reversed(builds.summaries(prop.id)))
    newest = summaries[0]["build"] if summaries else None
    rows = []
    for summary in summaries:
        offered = [s for s in NEXT.get(summary["status"], ()) if may(who, s)]
        if summary["build"] != newest:
            offered = [s for s in offered if s != "submit"]
        rows.append({**summary, "steps": offered})
    production = {d.build for d in builds.history(prop.id, "production")}
    served = builds.served(prop.id, "production")
    rollback = [n for n in sorted(production, reverse=True) if served is None or n != served.number]
    environments = []
    for environment in ENVIRONMENTS:
        serving = builds.served(prop.id, environment)
        environments.append(
            {
                "name": environment,
                "serving": serving.number if serving else None,
                "snippet": snippet(flow.public_url, prop.id, environment),
                "history": list(reversed(builds.history(prop.id, environment))),
            }
        )
    context: dict[str, Any] = {
        "property": prop,
        "builds": rows,
        "environments": environments,
        "rollback": rollback if may(who, "rollback") else [],
        "problems": problems or [],
        "done": request.query_params.get("done", ""),
        "can_build": allowed(who.user.role, "build"),
    }
    return render(request, who, "publishing.html", context, status)


@page("read")
def overview(request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    flow = properties(request)
    prop = owned(request, who, flow)
    if prop is None:
        return not_found(request, who)
    return _overview(request, who, flow, prop)


@page("build")
def build(request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    flow = properties(request)
    prop = owned(request, who, flow)
    if prop is None:
        return not_found(request, who)
    note = form.get("note", "").strip()[:NOTE_MAX]
    try:
        made = flow.build(prop.id, actor=actor(who), note=note)
    except PropertyError as exc:
        return _overview(request, who, flow, prop, 422, exc.problems)
    target = BASE.format(property_id=prop.id) + f"?done=build+{made.number}+made"
    return RedirectResponse(target, status_code=303)


@page("build", "approve", "publish")
def step(request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    flow = properties(request)
    prop = owned(request, who, flow)
    if prop is None:
        return not_found(request, who)
    name, number = form.get("step", ""), form.get("build", "")
    if name not in STEPS or not number.isdigit() or len(number) > 9:
        return _overview(request, who, flow, prop, 422, ["Unknown step or build."])
    if not may(who, name):
        message = f"Your role ({who.user.role}) may not {name} a build."
        return render(request, who, "error.html", {"status": 403, "message": message}, 403)
    note = form.get("note", "").strip()[:NOTE_MAX]
    try:
        flow.step(prop.id, int(number), name, actor=actor(who), note=note)
    except PropertyError as exc:
        return _overview(request, who, flow, prop, 409, exc.problems)
    done = {"submit": "submitted", "approve": "approved", "reject": "rejected",
            "promote": "promoted", "rollback": "rolled+back+to"}[name]  # fmt: skip
    target = BASE.format(property_id=prop.id) + f"?done=build+{number}+{done}"
    if name == "rollback":
        target = BASE.format(property_id=prop.id) + f"?done=production+{done}+build+{number}"
    return RedirectResponse(target, status_code=303)


@page("read")
def diff(request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    flow = properties(request)
    prop = owned(request, who, flow)
    if prop is None:
        return not_found(request, who)
    first, second = request.query_params.get("from", ""), request.query_params.get("to", "")
    numbers = [b.number for b in flow.store.builds.all(prop.id)]
    if not (first.isdigit() and second.isdigit()) or not {int(first), int(second)} <= set(numbers):
        return _overview(request, who, flow, prop, 422, ["Choose two builds of this property."])
    changes = flow.store.builds.diff(prop.id, int(first), int(second))
    sections = [(part, changes[part]) for part in ("extension", "dataElements", "rules")]
    context = {"property": prop, "first": first, "second": second, "sections": sections}
    return render(request, who, "diff.html", context)
