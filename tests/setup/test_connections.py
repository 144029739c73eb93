"""Streaming connections (Flow Service) and the inlet API create, show, list and delete the
control plane's inlets; a message sent to a new connection's inletUrl is accepted."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from collector.control.settings import Settings
from collector.setup.connections import STREAMING_SPEC
from tests.access import grant
from tests.conftest import ORG, web_event

FLOW = "/data/foundation/flowservice/connections"
LEGACY = "/data/core/edge/inlet"


def _streaming(name: str = "web", **params: Any) -> dict[str, Any]:
    return {
        "name": name,
        "description": "the web site",
        "connectionSpec": {"id": STREAMING_SPEC, "version": "1.0"},
        "auth": {
            "specName": "Streaming Connection",
            "params": {"sourceId": "site-1", "dataType": "xdm", "name": name, **params},
        },
    }


def test_flow_service_connection_is_an_inlet(client: TestClient, settings: Settings) -> None:
    auth = grant(settings.control_db_path, ORG, ["connections:read", "connections:write"]).headers
    made = client.post(FLOW, json=_streaming(), headers=auth)
    assert made.status_code == 201, made.text
    connection_id = made.json()["id"]
    assert made.headers["location"] == f"{FLOW}/{connection_id}"

    [item] = client.get(f"{FLOW}/{connection_id}", headers=auth).json()["items"]
    params = item["auth"]["params"]
    assert item["connectionSpec"]["id"] == STREAMING_SPEC
    assert params["sourceId"] == "site-1" and params["authenticationRequired"] is False
    inlet_id = params["inletId"]
    assert params["inletUrl"] == f"{settings.public_url}/collection/{inlet_id}"
    inlet = client.app.state.control.inlet(inlet_id)  # type: ignore[attr-defined]
    assert (inlet.org_id, inlet.name, inlet.description) == (ORG, "web", "the web site")

    sent = client.post(f"/collection/{inlet_id}", json=web_event())
    assert sent.status_code == 200, sent.text

    listed = client.get(FLOW, headers=auth).json()["items"]
    assert connection_id in [c["id"] for c in listed]
    assert client.delete(f"{FLOW}/{connection_id}", headers=auth).status_code == 204
    assert client.get(f"{FLOW}/{connection_id}", headers=auth).status_code == 404
    assert client.post(f"/collection/{inlet_id}", json=web_event()).status_code == 404


def test_inlet_api(client: TestClient, settings: Settings) -> None:
    auth = grant(settings.control_db_path, ORG, ["admin"]).headers
    body = {"name": "app", "description": "mobile", "sourceId": "app-1", "dataType": "xdm"}
    made = client.post(LEGACY, json={**body, "authenticationRequired": True}, headers=auth)
    assert made.status_code == 201, made.text
    inlet = made.json()
    assert inlet["inletUrl"].endswith(f"/collection/{inlet['inletId']}")
    assert (inlet["imsOrg"], inlet["sourceId"], inlet["authenticationRequired"]) == (
        ORG,
        "app-1",
        True,
    )
    assert made.headers["location"] == f"{LEGACY}/{inlet['inletId']}"
    assert client.get(f"{LEGACY}/{inlet['inletId']}", headers=auth).json() == inlet
    ids = [i["inletId"] for i in client.get(LEGACY, headers=auth).json()["items"]]
    assert inlet["inletId"] in ids
    # an authenticated inlet refuses a message without a token
    assert client.post(f"/collection/{inlet['inletId']}", json=web_event()).status_code == 401
    assert client.delete(f"{LEGACY}/{inlet['inletId']}", headers=auth).status_code == 204
    assert client.get(f"{LEGACY}/{inlet['inletId']}", headers=auth).status_code == 404


def test_refusals(client: TestClient, settings: Settings) -> None:
    auth = grant(settings.control_db_path, ORG, ["connections:write"]).headers
    other_spec = {**_streaming(), "connectionSpec": {"id": "other"}}
    for body, words in [
        (other_spec, STREAMING_SPEC),
        (_streaming(dataType="raw"), "only xdm"),
        ({**_streaming(), "name": ""}, "name"),
        ({**_streaming(), "auth": {"params": []}}, "auth.params"),
    ]:
        answer = client.post(FLOW, json=body, headers=auth)
        assert answer.status_code == 400, body
        assert words in answer.json()["report"]["message"]
    assert client.get(FLOW, headers=auth).status_code == 403  # no connections:read
    made = client.post(FLOW, json=_streaming(), headers=auth).json()
    other = grant(settings.control_db_path, "OTHER@AdobeOrg", ["admin"]).headers
    assert client.get(f"{FLOW}/{made['id']}", headers=other).status_code == 404
    assert client.delete(f"{FLOW}/{made['id']}", headers=other).status_code == 404
    assert client.get(FLOW, headers=other).json()["items"] == []
    assert client.get(f"{LEGACY}/{'ab' * 32}", headers=other).status_code == 404
    assert client.get(f"{LEGACY}/not-an-id", headers=other).status_code == 404
