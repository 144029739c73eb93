"""Monitoring counts accepted and failed messages per dataset, from the lake."""

from __future__ import annotations

from starlette.testclient import TestClient

from collector.control.settings import Settings
from tests.access import grant
from tests.conftest import INLET, ORG, PROFILES, WEB, web_event


def test_counts_follow_the_lake(client: TestClient, settings: Settings) -> None:
    client.headers.update(grant(settings.control_db_path, ORG, ["monitoring:read"]).headers)
    invalid = web_event(workEmail="a@b.example")  # undeclared key: fails async validation
    unknown = web_event()
    del unknown["body"]["xdmMeta"]
    r = client.post(
        f"/collection/batch/{INLET}",
        json={"messages": [web_event(), web_event(), invalid, unknown]},
    )
    assert [e.get("status") for e in r.json()["responses"]] == [None, None, None, 400]
    report = {d["datasetId"]: d for d in client.get("/monitoring/datasets").json()["datasets"]}
    assert (report[WEB]["accepted"], report[WEB]["failed"]) == (2, 2)
    assert (report[PROFILES]["accepted"], report[PROFILES]["failed"]) == (0, 0)
    client.post(f"/collection/{INLET}", json=web_event())
    report = {d["datasetId"]: d for d in client.get("/monitoring/datasets").json()["datasets"]}
    assert report[WEB]["accepted"] == 3  # counted incrementally, new lines only
