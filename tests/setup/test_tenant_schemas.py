"""Tenant schemas over the real app: created from a class and field groups, read in every
form, patched (fields added; removing one refused once a dataset uses the schema), deleted
(refused while a dataset uses it), private to their org, guarded by scopes; a dataset made on
one accepts the messages its field groups describe."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from starlette.testclient import TestClient

from collector.control.settings import Settings
from tests.access import grant
from tests.conftest import CT, ORG
from tests.demo import INLET

REGISTRY = "/data/foundation/schemaregistry"
TENANT = f"{REGISTRY}/tenant/schemas"
CATALOG = "/data/foundation/catalog"
OTHER = "OTHER@AdobeOrg"
EVENT = "https://ns.adobe.com/xdm/context/experienceevent"  # our class's meta:sameAs
GROUPS = "https://ns.xdm-collector.dev/fieldgroups/"
XED = "application/vnd.adobe.xed+json; version=1"
FULL = "application/vnd.adobe.xed-full+json; version=1"


def _schema(*groups: str, title: str = "Checkout events") -> dict[str, Any]:
    """The body aepp's ``createSchema`` sends: ``allOf`` of the class and field groups."""
    parts = [EVENT, *(GROUPS + g for g in groups)]
    return {
        "title": title,
        "description": "made over the API",
        "type": "object",
        "allOf": [{"$ref": p, "type": "object", "meta:xdmType": "object"} for p in parts],
    }


def _url(schema_id: str) -> str:
    return f"{TENANT}/{quote(schema_id, safe='')}"


def _message(schema_id: str, dataset_id: str, **entity: Any) -> dict[str, Any]:
    ref = {"id": schema_id, "contentType": CT}
    body = {"_id": "evt-tenant-1", "timestamp": "2026-11-22T10:00:00Z", **entity}
    return {
        "header": {"schemaRef": ref, "imsOrgId": ORG, "datasetId": dataset_id},
        "body": {"xdmMeta": {"schemaRef": ref}, "xdmEntity": body},
    }


def test_create_read_list(client: TestClient, settings: Settings) -> None:
    auth = grant(settings.control_db_path, ORG, ["schemas:read", "schemas:write"]).headers
    made = client.post(TENANT, json=_schema("identity-map", "web-details"), headers=auth)
    assert made.status_code == 201, made.text
    schema = made.json()
    schema_id = schema["$id"]
    assert schema_id.startswith("https://ns.xdm-collector.dev/demo/schemas/")
    assert schema["meta:altId"] == "_demo.schemas." + schema_id.rsplit("/", 1)[-1]
    assert schema["version"] == "1.0" and schema["title"] == "Checkout events"
    assert schema["meta:class"] == "https://ns.xdm-collector.dev/classes/experienceevent"
    assert schema["meta:extends"] == [
        schema["meta:class"],
        GROUPS + "identity-map",
        GROUPS + "web-details",
    ]
    assert [p["$ref"] for p in schema["allOf"]] == schema["meta:extends"]
    assert made.headers["location"] == _url(schema_id)
    stored = list((settings.data_dir / "schemas" / ORG).glob("*.schema.json"))
    assert [json.loads(p.read_text())["$id"] for p in stored] == [schema_id]

    written = client.get(_url(schema_id), headers={**auth, "Accept": XED}).json()
    assert written["allOf"] == schema["allOf"]
    by_alt = client.get(f"{TENANT}/{schema['meta:altId']}", headers={**auth, "Accept": XED})
    assert by_alt.json()["$id"] == schema_id
    full = client.get(_url(schema_id), headers={**auth, "Accept": FULL}).json()
    assert "allOf" not in full and {"web", "identityMap", "_id"} <= set(full["properties"])
    assert full["additionalProperties"] is False

    listed = client.get(TENANT, headers=auth).json()
    assert listed["results"] == [
        {
            "$id": schema_id,
            "meta:altId": schema["meta:altId"],
            "version": "1.0",
            "title": "Checkout events",
        }
    ]
    assert client.get(f"{TENANT}/", headers={**auth, "Accept": XED}).json()["results"][0]["allOf"]
    # the global container and the /schemas list keep their own
    global_ids = [
        r["$id"] for r in client.get(f"{REGISTRY}/global/schemas", headers=auth).json()["results"]
    ]
    assert schema_id not in global_ids
    assert (
        client.get(
            f"{REGISTRY}/global/schemas/{quote(schema_id, safe='')}", headers=auth
        ).status_code
        == 404
    )
    assert schema_id in [s["id"] for s in client.get("/schemas", headers=auth).json()["schemas"]]


def test_patch_dataset_and_delete(client: TestClient, settings: Settings) -> None:
    auth = grant(
        settings.control_db_path,
        ORG,
        ["schemas:read", "schemas:write", "datasets:read", "datasets:write"],
    ).headers
    schema_id = client.post(TENANT, json=_schema("identity-map"), headers=auth).json()["$id"]
    added = client.patch(
        _url(schema_id),
        json=[{"op": "add", "path": "/allOf/-", "value": {"$ref": GROUPS + "web-details"}}],
        headers=auth,
    )
    assert added.status_code == 200, added.text
    assert added.json()["version"] == "1.1"
    assert added.json()["meta:extends"][-1] == GROUPS + "web-details"

    made = client.post(
        f"{CATALOG}/dataSets",
        json={"name": "Checkout", "schemaRef": {"id": schema_id, "contentType": CT}},
        headers=auth,
    )
    assert made.status_code == 201, made.text
    dataset_id = made.json()[0].removeprefix("@/dataSets/")
    page = {"webPageDetails": {"name": "checkout", "URL": "https://shop.example.com/co"}}
    sent = client.post(f"/collection/{INLET}", json=_message(schema_id, dataset_id, web=page))
    assert sent.status_code == 200, sent.text
    wrong = client.post(f"/collection/{INLET}", json=_message(schema_id, dataset_id, web=1))
    assert sent.json()["validation"]["status"] == "pass", sent.text
    assert wrong.json()["validation"]["status"] == "fail", wrong.text

    # used by a dataset: a field group may be added, not removed; the schema not deleted
    removed = client.patch(
        _url(schema_id), json=[{"op": "remove", "path": "/allOf/2"}], headers=auth
    )
    assert removed.status_code == 409, removed.text
    assert "web" in removed.json()["report"]["message"]
    assert client.get(_url(schema_id), headers=auth).json()["version"] == "1.1"
    more = client.patch(
        _url(schema_id),
        json=[{"op": "add", "path": "/allOf/-", "value": {"$ref": GROUPS + "channel"}}],
        headers=auth,
    )
    assert more.status_code == 200, more.text
    refused = client.delete(_url(schema_id), headers=auth)
    assert refused.status_code == 409, refused.text
    assert dataset_id in refused.json()["report"]["message"]

    assert client.delete(f"{CATALOG}/dataSets/{dataset_id}", headers=auth).status_code == 200
    assert client.delete(_url(schema_id), headers=auth).status_code == 204
    assert client.get(_url(schema_id), headers=auth).status_code == 404
    assert not list((settings.data_dir / "schemas" / ORG).glob("*.schema.json"))


def test_other_orgs_scopes_and_bad_input(client: TestClient, settings: Settings) -> None:
    auth = grant(settings.control_db_path, ORG, ["schemas:write"]).headers
    schema_id = client.post(TENANT, json=_schema("identity-map"), headers=auth).json()["$id"]

    other = grant(settings.control_db_path, OTHER, ["admin"]).headers
    assert client.get(_url(schema_id), headers=other).status_code == 404
    assert client.get(TENANT, headers=other).json()["results"] == []
    patch = [{"op": "replace", "path": "/title", "value": "mine"}]
    assert client.patch(_url(schema_id), json=patch, headers=other).status_code == 404
    assert client.delete(_url(schema_id), headers=other).status_code == 404
    foreign = client.post(
        f"{CATALOG}/dataSets",
        json={"name": "theirs", "schemaRef": {"id": schema_id}},
        headers=other,
    )
    assert foreign.status_code == 400, foreign.text
    assert schema_id not in str(client.get("/schemas", headers=other).json())

    reader = grant(settings.control_db_path, ORG, ["schemas:read"]).headers
    assert client.get(_url(schema_id), headers=reader).status_code == 200
    assert client.post(TENANT, json=_schema(), headers=reader).status_code == 403
    assert client.patch(_url(schema_id), json=patch, headers=reader).status_code == 403
    assert client.delete(_url(schema_id), headers=reader).status_code == 403
    assert client.get(TENANT).status_code == 401
    assert client.patch(_url(schema_id), json=patch, headers=auth).json()["title"] == "mine"

    bad: list[tuple[Any, str]] = [
        ({"title": "x"}, "allOf"),
        ({"title": "x", "allOf": [{"$ref": GROUPS + "web-details"}]}, "exactly one class"),
        (_schema("no-such-group"), "not a loaded field group"),
        (_schema("demo-loyalty"), "does not extend"),
        ({**_schema(), "title": ""}, "title"),
        ([1], "JSON object"),
    ]
    for body, why in bad:
        answer = client.post(TENANT, json=body, headers=auth)
        assert answer.status_code == 400, (body, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert why in answer.json()["report"]["message"], answer.text
    for operations, why in [
        ({"op": "add"}, "JSON Patch array"),
        ([{"op": "move", "path": "/title", "value": 1}], "op must be"),
        ([{"op": "remove", "path": "/allOf/9"}], "no array element"),
        ([{"op": "replace", "path": "/$id", "value": "https://x.example/y"}], "$id"),
        ([{"op": "replace", "path": "/meta:class", "value": GROUPS + "channel"}], "not a loaded"),
    ]:
        answer = client.patch(_url(schema_id), json=operations, headers=auth)
        assert answer.status_code == 400, (operations, answer.text)
        assert why in answer.json()["report"]["message"], answer.text
    assert client.post(_url(schema_id), json=_schema(), headers=auth).status_code == 405


def test_cli_makes_a_dataset_on_a_tenant_schema(client: TestClient, settings: Settings) -> None:
    from click.testing import CliRunner

    from collector.cli import main

    auth = grant(settings.control_db_path, ORG, ["schemas:read", "schemas:write"]).headers
    schema_id = client.post(TENANT, json=_schema("identity-map"), headers=auth).json()["$id"]
    made = CliRunner().invoke(
        main,
        ["datasets", "create", "--org", ORG, "--name", "From the CLI", "--schema", schema_id,
         "--json", "--data-dir", str(settings.data_dir)],
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    dataset_id = json.loads(made.output)["id"]
    refused = client.delete(_url(schema_id), headers=auth)
    assert refused.status_code == 409 and dataset_id in refused.text
    sent = client.post(f"/collection/{INLET}", json=_message(schema_id, dataset_id))
    assert sent.json()["validation"]["status"] == "pass", sent.text
