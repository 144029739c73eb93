"""``/debug/events``: filters over the follower's buffer, lookups in the lake and the profile
store, strict parameters (400), the caller's org only (401 without one, 404 for another's)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from collector.app import create_app
from collector.control.settings import Settings
from collector.profile import ledger
from collector.profile.projector import project_once
from tests.access import grant
from tests.conftest import INLET, ORG, WEB, web_event
from tests.server import LiveServer

# The headers of a debug:read credential of the demo org, made for each test's data dir.
H: dict[str, str] = {}


@pytest.fixture(autouse=True)
def _credential(settings: Settings) -> None:
    H.clear()
    H.update(grant(settings.control_db_path, ORG, ["debug:read"]).headers)


def post(client: TestClient, message: dict[str, Any]) -> str:
    answer = client.post(f"/collection/{INLET}", json=message)
    assert answer.status_code == 200, answer.text
    xaction_id: str = answer.json()["xactionId"]
    return xaction_id


def seen(client: TestClient) -> None:
    client.app.state.debug_events.poll()  # type: ignore[attr-defined]


def events(client: TestClient, query: str = "", headers: dict[str, str] = H) -> list[dict]:
    answer = client.get(f"/debug/events{query}", headers=headers)
    assert answer.status_code == 200, answer.text
    found: list[dict] = answer.json()["events"]
    return found


def assert_problem(answer: Any, status: int, text: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    body = answer.json()
    assert set(body) == {"type", "status", "title", "report"}
    assert text in body["report"]["message"]


def test_an_event_appears_within_a_second_of_its_ack(client: TestClient) -> None:
    message = web_event()
    ecid = message["body"]["xdmEntity"]["identityMap"]["ECID"][0]["id"]
    xaction_id = post(client, message)
    acked = time.monotonic()
    while not (found := events(client, f"?identity={ecid}")):
        assert time.monotonic() - acked < 1.0, "not visible within a second"
        time.sleep(0.02)
    assert found[0]["xactionId"] == xaction_id


def test_filters_newest_first(client: TestClient) -> None:
    first = post(client, web_event())
    purchase = web_event(eventType="commerce.purchases", _id="order-1")
    purchase["body"]["xdmEntity"]["identityMap"] = {"Email": [{"id": "ann@example.com"}]}
    second = post(client, purchase)
    bad = post(client, web_event(eventType=5))
    unrouted = client.post(f"/collection/{INLET}", json={"not": "xdm"})
    assert unrouted.status_code == 400
    seen(client)
    listed = events(client)
    assert [e["xactionId"] for e in listed[1:]] == [bad, second, first]
    assert listed[0]["raw"] == {"not": "xdm"}
    assert [e["xactionId"] for e in events(client, "?eventType=commerce.purchases")] == [second]
    assert [e["xactionId"] for e in events(client, "?status=good")] == [second, first]
    assert len(events(client, "?status=bad")) == 2
    assert [e["xactionId"] for e in events(client, "?identity=ann@example.com")] == [second]
    searches = client.app.state.control.db.conn.execute(  # type: ignore[attr-defined]
        "SELECT actor, object_type, object_id FROM audit_log WHERE action = 'debug.events.search'"
    ).fetchall()
    key = ledger.secret(client.app.state.settings.data_dir)  # type: ignore[attr-defined]
    named = "hmac:" + ledger.digest(key, ORG, "", "ann@example.com")
    assert searches == [(f"credential:{H['x-api-key']}", "identity", named)]
    assert [e["xactionId"] for e in events(client, "?identity=email:ann@example.com")] == [second]
    assert events(client, "?identity=ECID:ann@example.com") == []
    assert len(events(client, f"?inlet={INLET}&dataset={WEB}")) == 4
    assert events(client, "?dataset=5e00000000000000000000ff") == []
    assert [e["xactionId"] for e in events(client, "?limit=1")] == [listed[0]["xactionId"]]
    assert events(client, "?since=2999-01-01T00:00:00Z") == []
    received = listed[1]["receivedTimeMs"]
    assert listed[1]["xactionId"] in [e["xactionId"] for e in events(client, f"?since={received}")]
    answer = client.get("/debug/events?status=bad", headers=H).json()
    assert (answer["count"], answer["total"], answer["skipped"]) == (2, 2, 0)
    invalid = next(e for e in answer["events"] if e["xactionId"] == bad)
    assert invalid["violations"][0]["pointerToViolation"] == "#/eventType"
    assert invalid["entity"]["eventType"] == 5
    assert invalid["enrichment"]["userAgent"] == "testclient"


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("?color=red", "Unknown parameter [color]"),
        ("?status=good&status=bad", "more than once"),
        ("?status=ok", "good or bad"),
        ("?since=yesterday", "neither milliseconds"),
        ("?since=99999999999999999999", "neither milliseconds"),
        ("?limit=0", "from 1 to 1000"),
        ("?limit=1001", "from 1 to 1000"),
        ("?limit=ten", "from 1 to 1000"),
        ("?limit=%C2%B2", "from 1 to 1000"),
        ("?eventType=", "non-empty"),
        ("?identity=" + "x" * 1025, "non-empty"),
    ],
)
def test_bad_parameters_are_400s(client: TestClient, query: str, text: str) -> None:
    assert_problem(client.get(f"/debug/events{query}", headers=H), 400, text)


def test_a_credential_is_required_and_scopes_every_answer(
    client: TestClient, settings: Settings
) -> None:
    xaction_id = post(client, web_event(_id="mine"))
    seen(client)
    assert_problem(client.get("/debug/events"), 401, "access token is required")
    assert_problem(client.get(f"/debug/events/{xaction_id}"), 401, "access token is required")
    no_scope = grant(settings.control_db_path, ORG, ["profile:read"]).headers
    assert_problem(client.get("/debug/events", headers=no_scope), 403, "debug:read")
    other = grant(settings.control_db_path, "OTHER@AdobeOrg", ["debug:read"]).headers
    assert events(client, headers=other) == []
    assert_problem(client.get(f"/debug/events/{xaction_id}", headers=other), 404, "not found")
    assert_problem(client.get("/debug/events/mine", headers=other), 404, "not found")
    assert client.get(f"/debug/events/{xaction_id}", headers=H).status_code == 200


def test_one_event_from_the_buffer_with_its_profile(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        message = web_event(_id="page-1")
        xaction_id = post(client, message)
        project_once(settings)
        seen(client)
        answer = client.get(f"/debug/events/{xaction_id}", headers=H)
        assert answer.status_code == 200, answer.text
        event = answer.json()
        audited = client.app.state.control.db.conn.execute(  # type: ignore[attr-defined]
            "SELECT action, object_id, org_id FROM audit_log"
        ).fetchall()
    assert event["source"] == "buffer"
    assert event["_id"] == "page-1"
    assert event["entity"] == message["body"]["xdmEntity"]
    assert event["enrichment"]["userAgent"] == "testclient"
    profile = event["profile"]
    ecid = message["body"]["xdmEntity"]["identityMap"]["ECID"][0]["id"]
    assert [i["id"] for i in profile["identityGraph"]] == [ecid]
    assert profile["profileId"]
    assert ("debug.event.read", xaction_id, ORG) in audited


@pytest.fixture
def tiny(settings: Settings) -> Iterator[tuple[TestClient, Settings]]:
    """A buffer of one event: anything older is looked up in the lake."""
    small = replace(settings, debug_buffer_events=1)
    with TestClient(create_app(small)) as client:
        yield client, small


def test_lookups_in_the_lake_by_xaction_id_and_by_id(tiny: tuple[TestClient, Settings]) -> None:
    client, settings = tiny
    good = post(client, web_event(_id="kept-in-lake"))
    bad = post(client, web_event(_id="broken", eventType=5))
    stored = post(client, web_event(_id="in-profile-store"))
    post(client, web_event(_id="newest"))
    project_once(settings)
    seen(client)
    assert [e["_id"] for e in events(client)] == ["newest"]

    by_xaction = client.get(f"/debug/events/{good}", headers=H).json()
    assert (by_xaction["source"], by_xaction["_id"], by_xaction["status"]) == (
        "lake",
        "kept-in-lake",
        "good",
    )
    failed = client.get("/debug/events/broken", headers=H).json()
    assert (failed["source"], failed["xactionId"], failed["status"]) == ("lake", bad, "bad")
    assert failed["violations"][0]["keyword"] == "type"
    assert failed["profile"] is None
    from_store = client.get("/debug/events/in-profile-store", headers=H).json()
    assert (from_store["xactionId"], from_store["profile"] is not None) == (stored, True)
    assert_problem(client.get("/debug/events/nothing-like-it", headers=H), 404, "not found")
    assert_problem(client.get("/debug/events/1:2:3", headers=H), 404, "not found")
    assert_problem(client.get(f"/debug/events/{good}?x=1", headers=H), 400, "no query")


@pytest.mark.slow
def test_every_worker_lists_the_events_of_every_worker(tmp_path: Path) -> None:
    """Two uvicorn workers: each one's follower reads both writers' segments."""
    with LiveServer(tmp_path / "data", workers=2) as live:
        H.clear()
        H.update(grant(live.data_dir / "control.db", ORG, ["debug:read"]).headers)
        acks: list[str] = []
        deadline = time.monotonic() + 20
        # New connections spread over the workers; the node in xactionId names the writer.
        while len({x.split(":")[1] for x in acks}) < 2 or len(acks) < 20:
            assert time.monotonic() < deadline, "the requests never reached both workers"
            answer = httpx.post(f"{live.base_url}/collection/{INLET}", json=web_event())
            acks.append(answer.json()["xactionId"])
        time.sleep(1.0)
        # Ten new connections: both workers answer (all on one would have odds of 1 in 512).
        for _ in range(10):
            answer = httpx.get(f"{live.base_url}/debug/events?limit=1000", headers=H)
            assert {e["xactionId"] for e in answer.json()["events"]} == set(acks)
