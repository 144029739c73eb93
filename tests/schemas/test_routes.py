"""GET /schemas and GET /schemas/{id} over a real Starlette app with the registry on state."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from collector.schemas import SchemaRegistry
from collector.schemas.routes import routes

from .conftest import PROFILE, WEB


@pytest.fixture
def api(compiled: SchemaRegistry) -> Iterator[TestClient]:
    app = Starlette(routes=routes())
    app.state.registry = compiled
    with TestClient(app) as client:
        yield client


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
