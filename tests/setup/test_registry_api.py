"""The Schema Registry's global container over the real app: classes, field groups (and
the mixins alias) and data types, listed and read in the forms ``Accept`` asks for."""

from __future__ import annotations

from urllib.parse import quote

from starlette.testclient import TestClient

from collector.control import seed
from collector.control.settings import Settings
from tests.access import grant
from tests.conftest import ORG

BASE = "/data/foundation/schemaregistry/global"
EVENT_CLASS = "https://ns.adobe.com/xdm/context/experienceevent"


def test_lists_in_both_forms(client: TestClient, settings: Settings) -> None:
    auth = grant(settings.control_db_path, ORG, ["schemas:read"]).headers
    short = client.get(f"{BASE}/classes", headers=auth)
    assert short.status_code == 200
    assert short.headers["content-type"].startswith("application/vnd.adobe.xed+json")
    ids = [r["$id"] for r in short.json()["results"]]
    assert len(ids) == 2 and all(
        set(r) == {"$id", "meta:altId", "version", "title"} for r in short.json()["results"]
    )
    whole = client.get(
        f"{BASE}/classes", headers={**auth, "Accept": "application/vnd.adobe.xed+json"}
    )
    assert [r["$id"] for r in whole.json()["results"]] == ids
    assert all("properties" in r or "allOf" in r for r in whole.json()["results"])

    groups = client.get(f"{BASE}/fieldgroups", headers=auth).json()
    mixins = client.get(f"{BASE}/mixins", headers=auth).json()
    assert groups == mixins and groups["results"]
    first = client.get(f"{BASE}/datatypes", params={"limit": 2}, headers=auth).json()
    assert first["_page"] == {"orderby": "title", "next": "2", "count": 2}
    second = client.get(f"{BASE}/datatypes", params={"limit": 2, "start": 2}, headers=auth).json()
    assert not {r["$id"] for r in first["results"]} & {r["$id"] for r in second["results"]}


def test_one_resource_as_written_or_composed(client: TestClient, settings: Settings) -> None:
    auth = grant(settings.control_db_path, ORG, ["schemas:read"]).headers
    path = f"{BASE}/schemas/{quote(seed.WEB_EVENTS_SCHEMA, safe='')}"
    written = client.get(
        path, headers={**auth, "Accept": "application/vnd.adobe.xed+json; version=1"}
    )
    assert written.status_code == 200, written.text
    assert "allOf" in written.json()
    full = client.get(
        path, headers={**auth, "Accept": "application/vnd.adobe.xed-full+json; version=1"}
    )
    assert "allOf" not in full.json() and "properties" in full.json()
    assert (
        client.get(f"{BASE}/classes/{quote(EVENT_CLASS, safe='')}", headers=auth).status_code == 200
    )
    # a class asked for as a field group, unknown ids and kinds: 404
    assert (
        client.get(f"{BASE}/fieldgroups/{quote(EVENT_CLASS, safe='')}", headers=auth).status_code
        == 404
    )
    assert client.get(f"{BASE}/classes/nope", headers=auth).status_code == 404
    assert client.get(f"{BASE}/widgets", headers=auth).status_code == 404
    assert client.get(f"{BASE}/classes").status_code == 401
    assert client.get(f"{BASE}/classes", params={"limit": "-1"}, headers=auth).status_code == 400
