"""An erasure through the real app: the person leaves every file of the data directory."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from collector.app import create_app
from collector.control import seed
from collector.control.settings import Settings
from collector.lake.segments import read_records, segments
from collector.profile.ledger import KEY_FILE
from collector.profile.routes import PATH
from tests.access import grant
from tests.conftest import web_event
from tests.demo import INLET, with_demo

PROFILE = {"schema.name": "_xdm.context.profile"}
JANE, BOB = "jane@example.com", "bob@example.com"


def _event(email: str, ecid: str, **more: Any) -> dict[str, Any]:
    identity_map = {"ECID": [{"id": ecid, "primary": True}], "Email": [{"id": email}]}
    return web_event(identityMap=identity_map, **more)


def _record(email: str, first: str) -> dict[str, Any]:
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


def _until(check: Any, seconds: float = 60) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            assert value, "timed out"
            return value
        time.sleep(0.1)


def _files_with(root: Path, needle: bytes) -> list[str]:
    return sorted(
        str(path.relative_to(root))
        for path in root.rglob("*")
        if path.is_file() and needle in path.read_bytes()
    )


def _profile(client: TestClient, email: str) -> Any:
    response = client.get(PATH, params={**PROFILE, "entityId": email, "entityIdNS": "Email"})
    return response.json() if response.status_code == 200 else None


def test_an_erasure_job_removes_the_person_from_every_file(tmp_path: Path) -> None:
    data = tmp_path / "data"
    settings = Settings(data_dir=data, run_projector=True, request_timeout_seconds=1.0)
    settings = with_demo(settings)
    headers = grant(settings.control_db_path, seed.DEMO_ORG, ["admin"]).headers
    with TestClient(create_app(settings), headers=headers) as client:
        post = f"/collection/{INLET}"
        for n in range(3):
            assert client.post(post, json=_event(JANE, "jane-ecid-0001")).status_code == 200
            assert client.post(post, json=_event(BOB, f"bob-ecid-000{n}")).status_code == 200
        assert client.post(post, json=_record(JANE, "Jane")).status_code == 200
        assert client.post(post, json=_record(BOB, "Bob")).status_code == 200
        # Failed records (an unknown field) of both.
        for email in (JANE, BOB):
            bad = _event(email, "x-ecid", workEmail="w")
            assert client.post(post, json=bad).status_code == 200
        # A torn tail a crash left behind.
        torn = data / "lake" / "_torn" / seed.WEB_EVENTS / "part-1.jsonl.10.partial"
        torn.parent.mkdir(parents=True)
        torn.write_bytes(b'{"entity":{"identityMap":{"Email":[{"id":"' + JANE.encode())
        _until(lambda: _profile(client, JANE) and _profile(client, BOB))
        _until(lambda: len(list((data / "lake" / "_failed").rglob("*.jsonl"))) > 0)
        counts = {d["datasetId"]: d for d in client.get("/monitoring/datasets").json()["datasets"]}
        assert counts[seed.WEB_EVENTS]["accepted"] == 6 and counts[seed.WEB_EVENTS]["failed"] == 2

        # Someone watches the live debugger: Jane's events are in its buffer.
        _until(lambda: JANE in client.get("/debug/events", params={"limit": 100}).text)

        response = client.delete(PATH, params={"entityId": JANE, "entityIdNS": "Email"})
        assert response.status_code == 202, response.text
        job_path = f"/data/core/privacy/jobs/{response.json()['jobId']}"
        done = _until(lambda: (j := client.get(job_path).json())["status"] == "complete" and j)
        results = done["productResponses"][0]["productStatusResponse"]["results"]
        assert results["profiles"] == 1 and results["events"] == 3
        assert results["lakeLines"] == 5  # 3 events, 1 record, 1 failed record
        assert results["tornTails"] == 1

        assert _files_with(data, JANE.encode()) == []
        assert _files_with(data, b"jane-ecid-0001") == []  # every identity of the graph
        assert _profile(client, JANE) is None
        # The debugger's buffer let go of her within a poll of the rewrite; Bob is still there.
        _until(lambda: JANE not in client.get("/debug/events", params={"limit": 100}).text)
        assert BOB in client.get("/debug/events", params={"limit": 100}).text
        counts = {d["datasetId"]: d for d in client.get("/monitoring/datasets").json()["datasets"]}
        assert counts[seed.WEB_EVENTS]["accepted"] == 3 and counts[seed.WEB_EVENTS]["failed"] == 1
        bob = _profile(client, BOB)
        assert bob is not None
        [bob_profile] = bob.values()
        assert bob_profile["entity"]["person"] == {"name": {"firstName": "Bob"}}
        lines = [r for p in segments(data / "lake") for r in read_records(p)]
        assert sum(BOB in str(r) for r in lines) == 5  # every acked line of Bob is still there
        # Ingest goes on after the rotation the job asked for.
        assert client.post(post, json=_event(BOB, "bob-ecid-0009")).status_code == 200

    assert _files_with(data, JANE.encode()) == []
    key = data / KEY_FILE
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600 and len(key.read_bytes()) == 32
