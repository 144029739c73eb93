"""The Catalog API over the real app: datasets created, listed, read, changed and deleted
through HTTP are the control plane's datasets; batches are the lake's closed segments."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from collector.control import seed
from collector.control.settings import Settings
from collector.lake.writer import Lake
from tests.access import grant
from tests.conftest import CT, ORG, web_event
from tests.demo import INLET

BASE = "/data/foundation/catalog"
OTHER = "OTHER@AdobeOrg"


def _body(name: str = "Events", **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "schemaRef": {"id": seed.WEB_EVENTS_SCHEMA, "contentType": CT},
        "tags": {"unifiedProfile": ["enabled:true"], "unifiedIdentity": ["enabled:true"]},
        **extra,
    }


def test_create_read_list_update_delete(client: TestClient, settings: Settings) -> None:
    auth = grant(settings.control_db_path, ORG, ["datasets:read", "datasets:write"]).headers
    made = client.post(f"{BASE}/dataSets", json=_body(description="web"), headers=auth)
    assert made.status_code == 201, made.text
    [ref] = made.json()
    assert ref.startswith("@/dataSets/")
    dataset_id = ref.removeprefix("@/dataSets/")
    assert made.headers["location"] == f"{BASE}/dataSets/{dataset_id}"

    dataset = client.app.state.control.dataset(dataset_id)  # type: ignore[attr-defined]
    assert (dataset.profile_enabled, dataset.identity_enabled) == (True, True)
    shown = client.get(f"{BASE}/dataSets/{dataset_id}", headers=auth).json()[dataset_id]
    assert shown["name"] == "Events" and shown["description"] == "web"
    assert shown["imsOrg"] == ORG
    assert shown["schemaRef"]["id"] == seed.WEB_EVENTS_SCHEMA
    assert shown["tags"]["unifiedProfile"] == ["enabled:true"]

    listed = client.get(f"{BASE}/dataSets", params={"name": "Events"}, headers=auth).json()
    assert list(listed) == [dataset_id]
    everything = client.get(f"{BASE}/dataSets", params={"orderBy": "desc:name"}, headers=auth)
    names = [d["name"] for d in everything.json().values()]
    assert names == sorted(names, reverse=True) and len(names) == 3  # with the demo's two
    page = client.get(
        f"{BASE}/dataSets", params={"limit": 1, "start": 1, "properties": "name"}, headers=auth
    ).json()
    assert len(page) == 1 and list(next(iter(page.values()))) == ["name"]

    patched = client.patch(
        f"{BASE}/dataSets/{dataset_id}",
        json={"tags": {"unifiedProfile": ["enabled:false"], "team": ["web"]}},
        headers=auth,
    )
    assert patched.status_code == 200 and patched.json() == [ref]
    tags = client.get(f"{BASE}/dataSets/{dataset_id}", headers=auth).json()[dataset_id]["tags"]
    assert "unifiedProfile" not in tags and tags["team"] == ["web"]
    assert client.app.state.control.dataset(dataset_id).profile_enabled is False  # type: ignore[attr-defined]

    gone = client.delete(f"{BASE}/dataSets/{dataset_id}", headers=auth)
    assert gone.status_code == 200 and gone.json() == [ref]
    assert client.get(f"{BASE}/dataSets/{dataset_id}", headers=auth).status_code == 404
    assert client.app.state.control.dataset(dataset_id) is None  # type: ignore[attr-defined]


def test_bad_requests_are_clear_400s(client: TestClient, settings: Settings) -> None:
    auth = grant(settings.control_db_path, ORG, ["datasets:write"]).headers
    cases = [
        (b"{", "not valid JSON"),
        (b"[]", "JSON object"),
        (b'{"schemaRef": {"id": "x"}}', "name is required"),
        (b'{"name": "n"}', "schemaRef.id"),
        (b'{"name": "n", "schemaRef": {"id": "https://nope"}}', "not in the schema registry"),
        (
            b'{"name": "n", "schemaRef": {"id": "https://ns.adobe.com/xdm/context/profile"}}',
            "not a dataset schema",
        ),
        (
            b'{"name": "n", "schemaRef": {"id": "%s"}, "tags": []}'
            % seed.WEB_EVENTS_SCHEMA.encode(),
            "tags",
        ),
    ]
    for body, words in cases:
        answer = client.post(f"{BASE}/dataSets", content=body, headers=auth)
        assert answer.status_code == 400, body
        assert answer.headers["content-type"] == "application/problem+json"
        assert words in answer.json()["report"]["message"], answer.json()
    bad_limit = client.get(f"{BASE}/dataSets", params={"limit": "x"}, headers=auth)
    assert bad_limit.status_code == 403  # datasets:write does not read


def test_scopes_and_other_orgs(client: TestClient, settings: Settings) -> None:
    reader = grant(settings.control_db_path, ORG, ["datasets:read"]).headers
    assert client.post(f"{BASE}/dataSets", json=_body(), headers=reader).status_code == 403
    assert client.get(f"{BASE}/dataSets").status_code == 401
    other = grant(settings.control_db_path, OTHER, ["admin"]).headers
    assert client.get(f"{BASE}/dataSets", headers=other).json() == {}
    for method in ("GET", "DELETE"):
        answer = client.request(method, f"{BASE}/dataSets/{seed.WEB_EVENTS}", headers=other)
        assert answer.status_code == 404
    assert client.get(f"{BASE}/dataSets", params={"limit": "0"}, headers=reader).status_code == 400
    # The demo inlet names the web events dataset: deleting it is refused, not a 500.
    admin = grant(settings.control_db_path, ORG, ["admin"]).headers
    refused = client.delete(f"{BASE}/dataSets/{seed.WEB_EVENTS}", headers=admin)
    assert refused.status_code == 409, refused.text


def test_closed_segments_are_batches(client: TestClient, settings: Settings) -> None:
    auth = grant(settings.control_db_path, ORG, ["datasets:read"]).headers
    for _ in range(3):
        assert client.post(f"/collection/{INLET}", json=web_event()).status_code == 200
    assert client.get(f"{BASE}/batches", headers=auth).json() == {}  # still open
    lake: Lake = client.app.state.lake  # type: ignore[attr-defined]
    lake.close()  # closes every segment, as a shutdown or a rotation does
    listed = client.get(f"{BASE}/batches", params={"dataSet": seed.WEB_EVENTS}, headers=auth)
    [(batch_id, batch)] = listed.json().items()
    assert batch["status"] == "success" and batch["recordCount"] == 3
    assert batch["relatedObjects"] == [{"type": "dataSet", "id": seed.WEB_EVENTS}]
    assert batch["completed"] >= batch["created"]
    one = client.get(f"{BASE}/batches/{batch_id}", headers=auth).json()
    assert one == {batch_id: batch}
    other = grant(settings.control_db_path, OTHER, ["admin"]).headers
    assert client.get(f"{BASE}/batches", headers=other).json() == {}
    assert client.get(f"{BASE}/batches/{batch_id}", headers=other).status_code == 404
