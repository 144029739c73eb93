"""GET /schemas and GET /schemas/{id} over a real Starlette app with the registry on state."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.testclient import TestClient

from collector.errors import CollectorError
from collector.schemas import SchemaRegistry
from collector.schemas.routes import routes
from collector.web.responses import problem_response
from tests.access import protected

from .conftest import PROFILE, WEB


@pytest.fixture
def api(compiled: SchemaRegistry, tmp_path: Path) -> Iterator[TestClient]:
    app = Starlette(routes=routes())
    app.state.registry = compiled
    with protected(app, tmp_path, ["schemas:read"]) as headers, TestClient(app) as client:
        client.headers.update(headers)
        yield client


def test_a_credential_is_required(compiled: SchemaRegistry, tmp_path: Path) -> None:
    app = Starlette(routes=routes(), exception_handlers={CollectorError: _problem})
    app.state.registry = compiled
    with protected(app, tmp_path, ["schemas:read"]), TestClient(app) as client:
        for path in ("/schemas", f"/schemas/{WEB}", "/schemas/https://ns.example.com/nope"):
            assert client.get(path).status_code == 401


async def _problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, CollectorError)
    return problem_response(exc)


def test_list(api: TestClient, compiled: SchemaRegistry) -> None:
    response = api.get("/schemas")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"schemas": compiled.summaries()}
    datasets = api.get("/schemas", params={"kind": "schema"}).json()["schemas"]
    assert [s["id"] for s in datasets] == [PROFILE, WEB]


def test_show_by_id_with_slashes_or_encoded(api: TestClient, compiled: SchemaRegistry) -> None:
    for path in (f"/schemas/{WEB}", f"/schemas/{quote(WEB, safe='')}"):
        response = api.get(path)
        assert response.status_code == 200, path
        assert response.json() == compiled.schema(WEB)


def test_show_composed(api: TestClient, compiled: SchemaRegistry) -> None:
    response = api.get(f"/schemas/{WEB}", params={"composed": "True"})
    assert response.json() == compiled.composed(WEB)
    assert response.json()["additionalProperties"] is False


def test_show_class_by_short_name(api: TestClient) -> None:
    document = api.get("/schemas/_xdm.context.profile").json()
    assert document["$id"] == "https://ns.xdm-collector.dev/classes/profile"


def test_unknown_id_is_a_404_problem(api: TestClient) -> None:
    response = api.get("/schemas/https://ns.example.com/nope")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 404 and body["title"] == "Not found"
    assert body["report"]["message"].endswith("Schema [https://ns.example.com/nope] is not found")
