"""The setup guide end to end, from an empty collector, with Adobe's ``aepp``: an org and a
credential (CLI), the dataset schemas, two datasets with Profile and Identity on, a streaming
connection, records and events streamed to its inletUrl, the batches listed, the profile
looked up, its cluster members, then the clean-up deletes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from collector.cli import main
from collector.control import seed
from collector.control.settings import Settings
from collector.profile.projector import project_once
from collector.setup.identity import xid_of
from tests.conftest import CT
from tests.server import LiveServer
from tests.setup.test_aepp_setup import aepp_config  # noqa: F401  (a fixture)

pytestmark = pytest.mark.slow
ACME = "ACME@AdobeOrg"
PEOPLE = [f"person{n}@example.com" for n in range(6)]


def _cli(*args: str) -> str:
    done = CliRunner().invoke(main, list(args))
    assert done.exit_code == 0, done.output
    return done.stdout


def _message(schema_id: str, dataset_id: str, entity: dict[str, Any]) -> dict[str, Any]:
    ref = {"id": schema_id, "contentType": CT}
    header = {
        "schemaRef": ref,
        "imsOrgId": ACME,
        "datasetId": dataset_id,
        "msgType": "xdmEntityCreate",
    }
    return {"header": header, "body": {"xdmMeta": {"schemaRef": ref}, "xdmEntity": entity}}


def test_setup_guide_from_an_empty_collector(tmp_path: Path, aepp_config: Any) -> None:  # noqa: F811
    from aepp import catalog, customerprofile, flowservice, identity

    data_dir = tmp_path / "data"
    env = {"COLLECTOR_SEGMENT_MAX_BYTES": "2000"}  # small segments: closed ones are batches
    with LiveServer(data_dir, demo=False, env=env) as live:
        dd = ["--data-dir", str(data_dir)]
        _cli("orgs", "create", ACME, "--name", "Acme", *dd)
        credential = json.loads(
            _cli(
                "credentials",
                "create",
                "--org",
                ACME,
                "--name",
                "setup",
                "--scope",
                "admin",
                "--json",
                *dd,
            )
        )
        aepp_config.configure(
            org_id=ACME,
            client_id=credential["client_id"],
            secret=credential["client_secret"],
            scopes="openid,AdobeID,admin",
            sandbox="prod",
            environment="prod",
        )
        aepp_config.config.config_object["oauthTokenEndpointV2"] = f"{live.base_url}/ims/token/v3"
        aepp_config.config.endpoints["global"] = live.base_url
        cat = catalog.Catalog()
        headers = {
            "Authorization": f"Bearer {cat.connector.token}",
            "x-api-key": credential["client_id"],
            "x-gw-ims-org-id": ACME,
        }

        # schemas: the dataset schemas of the registry
        listed = httpx.get(f"{live.base_url}/schemas", params={"kind": "schema"}, headers=headers)
        schema_ids = {s["id"] for s in listed.json()["schemas"]}
        assert {seed.PROFILE_SCHEMA, seed.WEB_EVENTS_SCHEMA} <= schema_ids

        # datasets
        ids = {}
        for name, schema_id in (
            ("people", seed.PROFILE_SCHEMA),
            ("visits", seed.WEB_EVENTS_SCHEMA),
        ):
            [ref] = cat.createDataSet(
                name=name, schemaId=schema_id, profileEnabled=True, identityEnabled=True
            )
            ids[name] = ref.removeprefix("@/dataSets/")
        assert set(cat.getDataSets()) == set(ids.values())

        # a streaming connection
        flow = flowservice.FlowService()
        made = flow.createConnectionStreaming(
            name="acme site", sourceId="acme-site", dataType="xdm", paramName="acme site"
        )
        inlet_url = flow.getConnection(made["id"])["auth"]["params"]["inletUrl"]

        # records and events to its inletUrl
        for n, email in enumerate(PEOPLE):
            record = _message(
                seed.PROFILE_SCHEMA,
                ids["people"],
                {"personalEmail": {"address": email}, "person": {"name": {"firstName": f"P{n}"}}},
            )
            event = _message(
                seed.WEB_EVENTS_SCHEMA,
                ids["visits"],
                {
                    "_id": f"visit-{n}",
                    "timestamp": "2026-12-01T10:00:00Z",
                    "eventType": "web.webpagedetails.pageViews",
                    "identityMap": {
                        "ECID": [{"id": f"{n:038d}", "primary": True}],
                        "Email": [{"id": email}],
                    },
                },
            )
            sent = httpx.post(f"{inlet_url}?syncValidation=true", json=record)
            assert sent.status_code == 200, sent.text
            batch = httpx.post(
                inlet_url.replace("/collection/", "/collection/batch/"),
                json={"messages": [event]},
            )
            assert batch.status_code == 207, batch.text
            assert "error" not in batch.json()["responses"][0], batch.text

        # batches: the closed segments of each dataset
        batches = cat.getBatches(limit=100, dataSet=ids["people"])
        assert batches, "small segments were rotated, so some are closed"
        for batch in batches.values():
            assert batch["status"] == "success" and batch["recordCount"] >= 1
            assert batch["relatedObjects"] == [{"type": "dataSet", "id": ids["people"]}]

        # the profile, and its identity cluster
        project_once(Settings(data_dir=data_dir))
        profile = customerprofile.Profile()
        [(_, document)] = profile.getEntity(entityId=PEOPLE[2], entityIdNS="email").items()
        assert document["entity"]["person"] == {"name": {"firstName": "P2"}}
        ident = identity.Identity()
        ident.endpoint = f"{live.base_url}/data/core"
        assert ident.getIdentity(id_str=PEOPLE[2], nsid=6) == {"xid": xid_of("Email", PEOPLE[2])}
        members = httpx.get(
            f"{live.base_url}/data/core/identity/cluster/members",
            params={"id": PEOPLE[2], "nsId": "6"},
            headers=headers,
        ).json()["members"]
        assert {(m["nsid"], m["id"]) for m in members} == {(6, PEOPLE[2]), (4, f"{2:038d}")}

        # clean-up
        assert flow.deleteConnection(made["id"]) == 204
        for dataset_id in ids.values():
            assert cat.deleteDataSet(dataset_id) == 200
        assert cat.getDataSets() == {}
        assert httpx.post(inlet_url, json=record).status_code == 404
