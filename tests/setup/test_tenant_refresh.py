"""A tenant schema made through the API reaches every process of a live
``collector serve --workers 2``: both workers accept messages for a dataset on it (the worker
that did not write the schema loads it when it first meets its id), a later patch is seen by
both within a second, and the projector process projects the dataset's records."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from collector.profile.routes import PATH as PROFILES
from tests.access import grant
from tests.conftest import CT, ORG
from tests.demo import INLET
from tests.server import LiveServer

pytestmark = pytest.mark.slow

TENANT = "/data/foundation/schemaregistry/tenant/schemas"
GROUPS = "https://ns.xdm-collector.dev/fieldgroups/"
PROFILE_CLASS = "https://ns.adobe.com/xdm/context/profile"


def _record(schema_id: str, dataset_id: str, n: int, **entity: Any) -> dict[str, Any]:
    ref = {"id": schema_id, "contentType": CT}
    body = {"personalEmail": {"address": f"kim{n}@example.com"}, **entity}
    return {
        "header": {"schemaRef": ref, "imsOrgId": ORG, "datasetId": dataset_id},
        "body": {"xdmMeta": {"schemaRef": ref}, "xdmEntity": body},
    }


def _send_to_both(live: LiveServer, make: Any, minimum: int = 10) -> list[dict[str, Any]]:
    """New connections until both workers (the node in ``xactionId``) answered."""
    answers: list[dict[str, Any]] = []
    deadline = time.monotonic() + 20
    while len({a["xactionId"].split(":")[1] for a in answers}) < 2 or len(answers) < minimum:
        assert time.monotonic() < deadline, "the requests never reached both workers"
        sent = httpx.post(f"{live.base_url}/collection/{INLET}", json=make(len(answers)))
        assert sent.status_code == 200, sent.text
        answers.append(sent.json())
    return answers


def test_two_workers_and_the_projector_follow_tenant_schemas(tmp_path: Path) -> None:
    env = {"COLLECTOR_RUN_PROJECTOR": "true"}
    with LiveServer(tmp_path / "data", workers=2, env=env) as live:
        auth = grant(live.data_dir / "control.db", ORG, ["admin"]).headers
        api = httpx.Client(base_url=live.base_url, headers=auth, timeout=30)
        body = {
            "title": "Loyal customers",
            "allOf": [
                {"$ref": PROFILE_CLASS},
                {"$ref": GROUPS + "identity-map"},
                {"$ref": GROUPS + "personal-contact-details"},
            ],
        }
        made = api.post(TENANT, json=body)
        assert made.status_code == 201, made.text
        schema_id = made.json()["$id"]
        dataset = api.post(
            "/data/foundation/catalog/dataSets",
            json={
                "name": "Loyal",
                "schemaRef": {"id": schema_id, "contentType": CT},
                "tags": {"unifiedProfile": ["enabled:true"]},
            },
        )
        assert dataset.status_code == 201, dataset.text
        dataset_id = dataset.json()[0].removeprefix("@/dataSets/")

        answers = _send_to_both(live, lambda n: _record(schema_id, dataset_id, n))
        assert all(a["validation"]["status"] == "pass" for a in answers), answers
        # ... and a field no part declares is refused by both
        refused = _send_to_both(
            live, lambda n: _record(schema_id, dataset_id, n, person={"name": {"firstName": "K"}})
        )
        assert all(a["validation"]["status"] == "fail" for a in refused), refused

        patched = api.patch(
            f"{TENANT}/{quote(schema_id, safe='')}",
            json=[{"op": "add", "path": "/allOf/-", "value": {"$ref": GROUPS + "person-details"}}],
        )
        assert patched.status_code == 200, patched.text
        time.sleep(1.2)  # each worker looks at the change stamp at most once a second
        answers = _send_to_both(
            live,
            lambda n: _record(
                schema_id, dataset_id, 100 + n, person={"name": {"firstName": "Kim"}}
            ),
        )
        assert all(a["validation"]["status"] == "pass" for a in answers), answers

        params = {
            "schema.name": "_xdm.context.profile",
            "entityId": "kim100@example.com",
            "entityIdNS": "Email",
        }
        deadline = time.monotonic() + 60
        while True:
            found = api.get(PROFILES, params=params)
            if found.status_code == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert found.status_code == 200, found.text
        [profile] = found.json().values()
        assert profile["entity"]["person"] == {"name": {"firstName": "Kim"}}
        assert profile["sources"] == [dataset_id]
