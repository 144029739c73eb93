"""``/console/failures``: the failed messages of the org's datasets, grouped by violation.

The page lists ``monitoring.failures.groups`` for each of the org's datasets (or the one the
filter picks): the leaf violation's pointer and keyword (or the reason of a record rejected
before validation), how many records broke it and up to three samples. A sample opens
``/console/failures/record/{xactionId}``: the stored failed record with its violations, found
only in the org's datasets, and audited. ``POST /console/failures/revalidate`` (editors and
admins) runs what ``collector failed revalidate --dataset`` runs, against the schemas on disk,
and shows how many records it promoted; each run is audited. A user of every org picks the org.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from collector.console.page import actor, page, refuse, render
from collector.control import audit
from collector.guard.sessions import SignedIn
from collector.monitoring import failures
from collector.monitoring.events import leaf_violations, violations_of
from collector.schemas.failed import RevalidationError, revalidate
from collector.schemas.loader import SchemaLoadError

MAX_XACTION_ID = 128


def routes() -> list[BaseRoute]:
    return [
        Route("/console/failures", failures_page, methods=["GET"]),
        Route("/console/failures/record/{xaction_id:path}", failed_record, methods=["GET"]),
        Route("/console/failures/revalidate", revalidate_dataset, methods=["POST"]),
    ]


def org_of(request: Request, who: SignedIn, wanted: str = "") -> str | None:
    """The user's org; a user of every org picks one (``org``), else the first."""
    if who.user.org_id is not None:
        return who.user.org_id
    wanted = wanted or request.query_params.get("org", "")
    orgs = [o.id for o in request.app.state.control.orgs()]
    return wanted if wanted in orgs else (orgs[0] if orgs else None)


def _context(request: Request, who: SignedIn, org: str | None, dataset: str) -> dict[str, Any]:
    control = request.app.state.control
    datasets = control.datasets(org) if org else []
    shown = [d for d in datasets if not dataset or d.id == dataset]
    lake_dir = request.app.state.settings.lake_dir
    found = [(d, [g.to_dict() for g in failures.groups(lake_dir, d.id)]) for d in shown]
    return {
        "org": org,
        "orgs": [] if who.user.org_id else [o.id for o in control.orgs()],
        "datasets": datasets,
        "dataset": dataset,
        "found": found,
        "result": None,
        "problem": None,
    }


def _dataset(request: Request, org: str | None, dataset: str) -> bool:
    """Whether ``dataset`` is empty (every dataset) or one of the org's."""
    if not dataset:
        return True
    return org is not None and any(d.id == dataset for d in request.app.state.control.datasets(org))


@page("read")
def failures_page(request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    org = org_of(request, who)
    dataset = request.query_params.get("dataset", "").strip()
    if not _dataset(request, org, dataset):
        return refuse(request, who, 404, f"No dataset {dataset[:64]} in {org}.")
    return render(request, who, "failures.html", _context(request, who, org, dataset))


@page("read")
def failed_record(request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    org = org_of(request, who)
    xaction_id = request.path_params["xaction_id"]
    missing = f"No failed message {xaction_id[:MAX_XACTION_ID]} in {org}."
    if org is None or not xaction_id.strip() or len(xaction_id) > MAX_XACTION_ID:
        return refuse(request, who, 404, missing)
    settings = request.app.state.settings
    try:
        record = failures.show(settings.lake_dir, xaction_id)
    except (failures.FailureNotFound, ValueError):
        return refuse(request, who, 404, missing)
    owned = {d.id for d in request.app.state.control.datasets(org)}
    if record.get("datasetId") not in owned:
        return refuse(request, who, 404, missing)
    audit.record(
        request.app.state.tags.db.conn,
        actor=actor(who),
        action="failures.record.read",
        object_type="failed_message",
        object_id=xaction_id,
        org_id=org,
        detail={"datasetId": record.get("datasetId")},
    )
    context = {
        "org": org,
        "xaction_id": xaction_id,
        "record": record,
        "violations": leaf_violations(violations_of(record)),
        "stored": orjson.dumps(record, option=orjson.OPT_INDENT_2).decode(),
    }
    return render(request, who, "failure.html", context)


@page("edit")
def revalidate_dataset(request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    org = org_of(request, who, form.get("org", ""))
    dataset = form.get("dataset", "").strip()
    if not dataset or not _dataset(request, org, dataset):
        return refuse(request, who, 404, f"No dataset {dataset[:64]} in {org}.")
    try:
        result = revalidate(request.app.state.settings, dataset)
    except (RevalidationError, SchemaLoadError) as exc:
        context = _context(request, who, org, dataset)
        context["problem"] = f"Revalidation could not run: {exc}"
        return render(request, who, "failures.html", context, status=409)
    summary = result.summary()
    audit.record(
        request.app.state.tags.db.conn,
        actor=actor(who),
        action="failures.revalidate",
        object_type="dataset",
        object_id=dataset,
        org_id=org,
        detail={k: summary[k] for k in ("schemaId", "failedRecords", "promoted", "stillInvalid")},
    )
    context = _context(request, who, org, dataset)  # the groups as they are now
    context["result"] = summary
    return render(request, who, "failures.html", context)
