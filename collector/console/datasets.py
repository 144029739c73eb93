"""Admin pages for datasets: the list (with each one's schema) and a read-only browser of a
dataset's composed schema, with the same searchable field tree the rule editor offers.

Both need ``manage_inlets`` (admin); an admin of one org sees only that org's datasets.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from collector.console import admin, field_tree
from collector.console.page import page, refuse, render
from collector.guard.sessions import SignedIn
from collector.schemas.registry import SchemaRegistry


def routes() -> list[BaseRoute]:
    return [
        Route("/console/admin/datasets", list_page, methods=["GET"]),
        Route("/console/admin/datasets/{dataset_id}", schema_page, methods=["GET"]),
    ]


@page("manage_inlets")
def list_page(request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    mine = admin.orgs(request, who)
    found = [d for d in admin.control(request).datasets() if d.org_id in mine]
    return render(request, who, "admin_datasets.html", {"datasets": found})


@page("manage_inlets")
def schema_page(request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    plane = admin.control(request)
    dataset = plane.dataset(request.path_params["dataset_id"])
    if dataset is None or not admin.manages(who, dataset.org_id):
        return refuse(request, who, 404, "There is no such dataset in your organisation.")
    registry: SchemaRegistry = request.app.state.registry
    schema_id, tree = field_tree.for_dataset(plane, registry, dataset.org_id, dataset.id)
    return render(
        request,
        who,
        "admin_dataset.html",
        {"dataset": dataset, "schema_id": schema_id, "tree": tree},
    )
