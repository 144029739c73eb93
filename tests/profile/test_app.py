"""The profile store inside the real app: ingest -> lake -> projector process -> Profile API."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from collector.app import create_app
from collector.control import seed
from collector.control.settings import Settings
from collector.profile.routes import PATH
from tests.conftest import web_event

PROFILE = {"schema.name": "_xdm.context.profile"}


def _profile_record(email: str, first: str) -> dict[str, Any]:
    message = web_event()
    ref = {"id": seed.PROFILE_SCHEMA, "contentType": message["header"]["schemaRef"]["contentType"]}
    message["header"]["schemaRef"] = ref
    message["header"]["datasetId"] = seed.PROFILES
    message["body"] = {
        "xdmMeta": {"schemaRef": ref},
        "xdmEntity": {
            "personalEmail": {"address": email},
            "person": {"name": {"firstName": first}},
        },
    }
    return message


def _wait(client: TestClient, params: dict[str, str], seconds: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while True:
        response = client.get(PATH, params=params)
        if response.status_code == 200 or time.monotonic() > deadline:
            assert response.status_code == 200, response.text
            body: dict[str, Any] = response.json()
            return body
        time.sleep(0.05)


def test_a_message_reaches_the_profile_api_through_the_projector_process(
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=tmp_path / "data", run_projector=True)
    with TestClient(create_app(settings), headers={"x-gw-ims-org-id": seed.DEMO_ORG}) as client:
        event = web_event()
        ecid = event["body"]["xdmEntity"]["identityMap"]["ECID"][0]["id"]
        event["body"]["xdmEntity"]["identityMap"]["Email"] = [{"id": "ann@example.com"}]
        assert client.post(f"/collection/{seed.DEMO_INLET}", json=event).status_code == 200
        record = _profile_record("ann@example.com", "Ann")
        assert client.post(f"/collection/{seed.DEMO_INLET}", json=record).status_code == 200

        body = _wait(client, {**PROFILE, "entityId": ecid, "entityIdNS": "ECID"})
        [profile] = body.values()
        for _ in range(200):  # the record may land one batch after the event
            if profile["entity"].get("person"):
                break
            time.sleep(0.05)
            [profile] = (
                client.get(PATH, params={**PROFILE, "entityId": ecid, "entityIdNS": "ECID"})
                .json()
                .values()
            )
        assert profile["entity"]["person"] == {"name": {"firstName": "Ann"}}
        assert sorted(profile["sources"]) == sorted([seed.WEB_EVENTS, seed.PROFILES])
        events = client.get(
            PATH,
            params={
                "schema.name": "_xdm.context.experienceevent",
                "relatedSchema.name": "_xdm.context.profile",
                "relatedEntityId": "ann@example.com",
                "relatedEntityIdNS": "email",
            },
        ).json()
        assert [c["entityId"] for c in events["children"]] == [event["body"]["xdmEntity"]["_id"]]
