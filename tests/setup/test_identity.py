"""The Identity Service API over the real app: namespaces, XIDs, cluster members, history
and the v2 graph, answered from the profile store's graph of the caller's org."""

from __future__ import annotations

from starlette.testclient import TestClient

from collector.control.settings import Settings
from collector.profile.projector import project_once
from collector.setup.identity import parse_xid, xid_of
from tests.access import grant
from tests.conftest import ORG, web_event
from tests.demo import INLET

NS = "/data/core/idnamespace/identities"
ID = "/data/core/identity"
EMAIL = "ann@example.com"
ECID = "12345678901234567890123456789012345678"


def _linked(client: TestClient, settings: Settings) -> None:
    identity_map = {
        "ECID": [{"id": ECID, "primary": True}],
        "Email": [{"id": EMAIL}],
    }
    sent = client.post(f"/collection/{INLET}", json=web_event(identityMap=identity_map))
    assert sent.status_code == 200, sent.text
    project_once(settings)


def test_standard_and_custom_namespaces(client: TestClient, settings: Settings) -> None:
    auth = grant(settings.control_db_path, ORG, ["schemas:read", "schemas:write"]).headers
    listed = {n["code"]: n for n in client.get(NS, headers=auth).json()}
    assert (listed["ECID"]["id"], listed["Email"]["id"], listed["Phone"]["id"]) == (4, 6, 7)
    assert listed["AdCloud"]["id"] == 411 and listed["ECID"]["custom"] is False

    body = {"name": "Loyalty", "code": "loyalty", "idType": "CROSS_DEVICE"}
    made = client.post(NS, json=body, headers=auth)
    assert made.status_code == 200, made.text
    custom = made.json()
    assert custom["custom"] is True and custom["id"] >= 1_000_000
    assert client.get(f"{NS}/{custom['id']}", headers=auth).json() == custom
    again = client.post(NS, json={**body, "code": "LOYALTY"}, headers=auth)
    assert again.status_code == 400 and "exists" in again.json()["report"]["message"]
    bad_type = client.post(NS, json={**body, "code": "x", "idType": "FAX"}, headers=auth)
    assert bad_type.status_code == 400
    other = grant(settings.control_db_path, "OTHER@AdobeOrg", ["admin"]).headers
    assert "loyalty" not in [n["code"] for n in client.get(NS, headers=other).json()]
    assert client.get(f"{NS}/{custom['id']}", headers=other).status_code == 404
    assert client.get(f"{NS}/{'9' * 5000}", headers=auth).status_code == 404
    assert client.get(f"{NS}/ECID", headers=auth).json()["id"] == 4


def test_members_history_and_graph(client: TestClient, settings: Settings) -> None:
    _linked(client, settings)
    auth = grant(settings.control_db_path, ORG, ["profile:read"]).headers
    xid = client.get(f"{ID}/identity", params={"id": EMAIL, "nsId": 6}, headers=auth).json()
    assert xid == {"xid": xid_of("Email", EMAIL)}
    assert parse_xid(xid["xid"]) == ("email", EMAIL)

    for params in ({"xid": xid["xid"]}, {"id": EMAIL, "ns": "email"}, {"id": ECID, "nsId": "4"}):
        members = client.get(f"{ID}/cluster/members", params=params, headers=auth)
        assert members.status_code == 200, members.text
        found = {(m["nsid"], m["id"]) for m in members.json()["members"]}
        assert found == {(4, ECID), (6, EMAIL)}

    history = client.get(f"{ID}/cluster/history", params={"xid": xid["xid"]}, headers=auth)
    assert history.status_code == 200 and isinstance(history.json()["history"], list)

    graph = client.post(
        f"{ID}/v2/graph",
        json={"composite_xid": [{"nsid": 4, "id": ECID}, {"ns": "Email", "id": "nobody"}]},
        headers=auth,
    ).json()["graphs"]
    assert {i["id"] for i in graph[0]["identities"]} == {ECID, EMAIL}
    assert graph[1]["identities"] == []

    other = grant(settings.control_db_path, "OTHER@AdobeOrg", ["admin"]).headers
    gone = client.get(f"{ID}/cluster/members", params={"xid": xid["xid"]}, headers=other)
    assert gone.status_code == 404


def test_bad_identity_requests(client: TestClient, settings: Settings) -> None:
    auth = grant(settings.control_db_path, ORG, ["profile:read"]).headers
    for params, words in [
        ({"xid": "!!"}, "not an XID"),
        ({"id": EMAIL}, "namespace"),
        ({"id": EMAIL, "nsId": "x"}, "number"),
        ({"id": EMAIL, "nsId": "\u00b2"}, "number"),
        ({"id": EMAIL, "nsId": "999"}, "Unknown"),
        ({}, "xid"),
    ]:
        answer = client.get(f"{ID}/cluster/members", params=params, headers=auth)
        assert answer.status_code == 400, params
        assert words in answer.json()["report"]["message"]
    empty = client.post(f"{ID}/v2/graph", json={"composite_xid": []}, headers=auth)
    assert empty.status_code == 400
    assert client.get(f"{ID}/cluster/members", params={"xid": "x"}).status_code == 401
