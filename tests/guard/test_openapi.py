"""/openapi.json: a valid OpenAPI 3 document that covers every API route, and a schemathesis
run against a live ``collector serve`` that finds no server error and no deviation from it."""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from starlette.routing import Route
from starlette.testclient import TestClient

from collector.control import seed
from collector.control.settings import Settings
from collector.tags.demo import DEMO_PROPERTY
from collector.web import openapi
from tests.access import grant
from tests.demo import INLET
from tests.guard.conftest import report
from tests.server import LiveServer

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Routes that are pages or assets, not API operations (the demo page, the console's sign-in).
NOT_API = {"/", "/console/login", "/console/logout", "/console/"}
EXAMPLES_PER_OPERATION = 40


def test_document_is_valid_openapi(client: TestClient, settings: Settings) -> None:
    served = client.get("/openapi.json")
    assert served.status_code == 200
    assert served.headers["content-type"] == "application/json"
    complete = openapi.document(settings)
    # schemathesis refuses a document that is not valid OpenAPI.
    schemathesis.openapi.from_dict(complete).validate()
    assert complete["openapi"] == "3.0.3"
    assert set(served.json()["paths"]) <= set(complete["paths"])
    operation_ids = [
        op["operationId"] for item in complete["paths"].values() for op in item.values()
    ]
    assert len(operation_ids) == len(set(operation_ids))


def test_every_api_route_of_the_app_is_documented(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    documented = {(openapi._shape(p), m) for p, item in paths.items() for m in item}
    for route in client.app.routes:  # type: ignore[attr-defined]
        if not isinstance(route, Route) or route.path in NOT_API:
            continue
        if route.path.startswith("/console/"):  # the console's pages (HTML, session): not API
            continue
        for method in route.methods or ():
            if method != "HEAD":
                assert (openapi._shape(route.path), method.lower()) in documented, route.path


def test_only_served_routes_are_listed() -> None:
    routes = [Route("/health", lambda r: None, methods=["GET"])]
    listed = openapi.document(Settings(), routes)["paths"]
    assert list(listed) == ["/health"]
    assert list(listed["/health"]) == ["get"]


def test_problem_bodies_match_the_document(client: TestClient, settings: Settings) -> None:
    schema = schemathesis.openapi.from_dict(openapi.document(settings))
    operation = schema["/collection/{inletId}"]["POST"]
    for status, response in [
        (404, client.post("/collection/" + "ab" * 32, json={})),
        (400, client.post("/collection/" + INLET, content=b"{")),
    ]:
        assert response.status_code == status
        operation.validate_response(response)
    # The validation can fail: a 200 without the contract's fields does not pass.
    with pytest.raises(AssertionError):
        operation.validate_response(client.get("/health"))


# -- schemathesis against a live server --------------------------------------------------
# The Python API, not schemathesis' pytest plugin (whose parametrize does not run on pytest 9).


@pytest.mark.slow
def test_live_server_conforms(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    tried: Counter[str] = Counter()
    statuses: dict[str, Counter[int]] = defaultdict(Counter)
    with LiveServer(tmp_path / "data") as live:
        auth = grant(live.data_dir / "control.db", seed.DEMO_ORG, ["admin"]).headers
        schema = schemathesis.openapi.from_url(live.base_url + "/openapi.json")
        for result in schema.get_all_operations():
            fuzz(result.ok(), tried, statuses, auth)  # type: ignore[union-attr]
    summary = "\n".join(
        f"  {label}: {n} (statuses {dict(sorted(statuses[label].items()))})"
        for label, n in sorted(tried.items())
    )
    report(request.config, f"schemathesis tried {sum(tried.values())} cases:\n{summary}")
    for prefix in ("", "/data/foundation/import"):
        for path in (f"{prefix}/collection/{{inletId}}", f"{prefix}/collection/batch/{{inletId}}"):
            assert tried[f"POST {path}"] >= EXAMPLES_PER_OPERATION // 2
            assert tried[f"OPTIONS {path}"] >= 1
    assert tried["GET /health"] >= 1
    # Cases reached the success path, not only the error paths.
    assert statuses["POST /collection/{inletId}"][200] >= 1
    assert statuses["POST /collection/batch/{inletId}"][207] >= 1
    # Protected routes were fuzzed with and without a credential; both answers conform.
    for label in ("GET /schemas", "GET /monitoring/datasets", "GET /data/core/ups/access/entities"):
        assert statuses[label][401] >= 1, label
    assert statuses["GET /schemas"][200] >= 1
    assert statuses["GET /monitoring/datasets"][200] >= 1
    assert statuses["POST /ims/token/v3"][401] + statuses["POST /ims/token/v3"][429] >= 1


def fuzz(
    operation: Any,
    tried: Counter[str],
    statuses: dict[str, Counter[int]],
    auth: dict[str, str],
) -> None:
    """Positive, negative and example cases of one operation, each checked by CHECKS; every
    other case of a protected operation carries a live credential (``auth``)."""
    protected = "security" in operation.definition.raw
    strategies = [
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
        *operation.get_strategies_from_examples(),
    ]
    # Also aim at the inlet and the tag property the demo seeds, to reach the success paths.
    if "{inletId}" in operation.path:
        strategies.append(operation.as_strategy(path_parameters={"inletId": INLET}))
    if "{propertyId}" in operation.path:
        strategies.append(operation.as_strategy(path_parameters={"propertyId": DEMO_PROPERTY}))

    @given(case=st.one_of(strategies))
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        derandomize=True,  # the same cases every run: the counts in the summary are stable
        suppress_health_check=list(HealthCheck),
    )
    def conforms(case: Any) -> None:
        with_auth = protected and tried[operation.label] % 2 == 0
        response = case.call_and_validate(checks=CHECKS, headers=auth if with_auth else None)
        tried[operation.label] += 1
        statuses[operation.label][response.status_code] += 1

    conforms()
