"""AEP's streaming examples carry ``msgType``, ``msgVersion``, ``msgId``, ``eventType``,
``action`` and ``createdAt`` in the header: such messages are accepted, single and batched,
and the lake keeps those fields as sent."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from collector.control import seed
from collector.control.settings import Settings
from tests.conftest import CT, lake_records, web_event
from tests.demo import INLET

AEP_FIELDS = {
    "msgType": "xdmEntityCreate",
    "msgVersion": "1.0",
    "msgId": "e4d1a7b8-0000-4000-8000-000000000001",
    "eventType": "xdmEntityCreate",
    "action": "create",
    "createdAt": 1764979200000,
}


def _record(email: str) -> dict[str, Any]:
    ref = {"id": seed.PROFILE_SCHEMA, "contentType": CT}
    return {
        "header": {
            "schemaRef": ref,
            "imsOrgId": seed.DEMO_ORG,
            "datasetId": seed.PROFILES,
            "source": {"name": "crm"},
            **AEP_FIELDS,
        },
        "body": {
            "xdmMeta": {"schemaRef": ref},
            "xdmEntity": {"personalEmail": {"address": email}},
        },
    }


def test_aep_header_fields_are_accepted_and_kept(client: TestClient, settings: Settings) -> None:
    one = client.post(f"/collection/{INLET}", json=_record("a@example.com"))
    assert one.status_code == 200, one.text
    event = web_event()
    event["header"].update({**AEP_FIELDS, "msgType": "xdmEntityUpdate", "action": "update"})
    batch = client.post(
        f"/collection/batch/{INLET}",
        params={"syncValidation": "true"},
        json={"messages": [_record("b@example.com"), event]},
    )
    assert batch.status_code in (200, 207), batch.text
    assert all(r.get("status", 200) == 200 for r in batch.json()["responses"]), batch.json()
    kept = lake_records(settings, seed.PROFILES)
    assert len(kept) == 2
    for record in kept:
        header = record["header"]
        assert {k: header[k] for k in AEP_FIELDS} == AEP_FIELDS
    [web] = lake_records(settings, seed.WEB_EVENTS)
    assert (web["header"]["msgType"], web["header"]["action"]) == ("xdmEntityUpdate", "update")
