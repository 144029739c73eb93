"""collector/ingest/edge.py: the Web SDK's Edge routes over the real app."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from starlette.testclient import TestClient

from collector.app import create_app
from collector.control.datastreams import Datastream, Datastreams
from collector.control.plane import ControlPlane
from collector.control.settings import Settings
from collector.guard import ecid as ecids
from collector.lake.segments import read_records, segments

ORG = "SHOP@AdobeOrg"
EVENTS = "ed0000000000000000000001"
PROFILES = "ed0000000000000000000002"
ORIGIN = "https://www.shop.test"
WEB_SCHEMA = "https://ns.xdm-collector.dev/schemas/web-events"
PROFILE_SCHEMA = "https://ns.xdm-collector.dev/schemas/customer-profile"
COOKIE = ecids.cookie_name(ORG)


@pytest.fixture
def stream(settings: Settings) -> Datastream:
    control = ControlPlane(settings.control_db_path)
    control.create_org(ORG, "Shop")
    for dataset_id, schema in ((EVENTS, WEB_SCHEMA), (PROFILES, PROFILE_SCHEMA)):
        control.create_dataset(
            org_id=ORG, name=dataset_id, schema_id=schema, profile_enabled=True,
            dataset_id=dataset_id,
        )  # fmt: skip
    created = Datastreams(control).create(
        org_id=ORG, name="web", dataset_id=EVENTS, profile_dataset_id=PROFILES, origins=(ORIGIN,)
    )
    control.close()
    return created


@pytest.fixture
def edge(settings: Settings, stream: Datastream) -> Iterator[TestClient]:
    with TestClient(create_app(settings), base_url="https://edge.test") as client:
        yield client


def page_view(**xdm: Any) -> dict[str, Any]:
    event = {
        "eventType": "web.webpagedetails.pageViews",
        "web": {"webPageDetails": {"name": "home", "URL": "https://www.shop.test/"}},
        **xdm,
    }
    return {"events": [{"xdm": event, "data": {"cart": "3 items"}}], "meta": {"state": {}}}


def lines(settings: Settings, partition: str) -> list[dict[str, Any]]:
    return [r for p in segments(settings.lake_dir, partition) for r in read_records(p)]


def post(client: TestClient, stream: Datastream, body: object, action: str = "interact",
         path: str = "/ee/v1", **headers: str) -> Any:  # fmt: skip
    return client.post(
        f"{path}/{action}?configId={stream.id}&requestId=req-1",
        content=orjson.dumps(body),
        headers={"content-type": "text/plain", "origin": ORIGIN, **headers},
    )


def test_interact_mints_an_ecid_and_stores_the_event(
    edge: TestClient, stream: Datastream, settings: Settings
) -> None:
    r = post(edge, stream, page_view())
    assert r.status_code == 200, r.text
    assert r.headers["access-control-allow-origin"] == ORIGIN
    assert r.headers["access-control-allow-credentials"] == "true"
    answer = r.json()
    assert answer["requestId"] == "req-1"
    by_type = {h["type"]: h["payload"] for h in answer["handle"]}
    ecid = by_type["identity:result"][0]["id"]
    assert ecids.ECID.match(ecid)
    (stored_cookie,) = by_type["state:store"]
    assert stored_cookie["key"] == COOKIE and stored_cookie["maxAge"] == ecids.COOKIE_MAX_AGE
    assert ecids.decode(stored_cookie["value"]) == ecid
    (line,) = lines(settings, EVENTS)
    entity = line["entity"]
    assert entity["identityMap"]["ECID"][0] == {
        "id": ecid, "authenticatedState": "ambiguous", "primary": True
    }  # fmt: skip
    assert entity["_id"] and entity["timestamp"].endswith("Z")
    assert line["data"] == {"cart": "3 items"}  # beside the entity, not validated as XDM
    assert line["inletId"] == stream.inlet_id and line["orgId"] == ORG


def test_a_returning_visitor_keeps_the_ecid_from_the_cookie_state(
    edge: TestClient, stream: Datastream, settings: Settings
) -> None:
    ecid = ecids.mint()
    value = ecids.encode(ecid, created_at=1, written_at=1)
    body = page_view(timestamp="2026-12-01T10:00:00.000Z", _id="alloy-1")
    body["meta"] = {"state": {"entries": [{"key": COOKIE, "value": value}]}}
    r = post(edge, stream, body)
    assert r.status_code == 200
    types = [h["type"] for h in r.json()["handle"]]
    assert types == ["identity:result"]  # no new cookie to store
    (line,) = lines(settings, EVENTS)
    assert line["entity"]["_id"] == "alloy-1"
    assert line["entity"]["timestamp"] == "2026-12-01T10:00:00.000Z"
    assert line["entity"]["identityMap"]["ECID"][0]["id"] == ecid


def test_request_identity_map_is_merged_into_every_event(
    edge: TestClient, stream: Datastream, settings: Settings
) -> None:
    body = page_view()
    body["events"].append({"xdm": {"eventType": "web.webinteraction.linkClicks"}})
    body["xdm"] = {"identityMap": {"Email": [{"id": "jane@example.com"}]}}
    assert post(edge, stream, body).status_code == 200
    stored = lines(settings, EVENTS)
    assert len(stored) == 2
    for line in stored:
        assert line["entity"]["identityMap"]["Email"] == [{"id": "jane@example.com"}]


def test_collect_answers_204_under_a_location_hint(
    edge: TestClient, stream: Datastream, settings: Settings
) -> None:
    r = post(edge, stream, page_view(), action="collect", path="/ee/irl1/v2")
    assert r.status_code == 204
    assert len(lines(settings, EVENTS)) == 1


def test_an_unknown_datastream_is_an_edge_problem(edge: TestClient, stream: Datastream) -> None:
    r = edge.post("/ee/v1/interact?configId=nope", content=b"{}")
    assert r.status_code == 400
    problem = r.json()
    assert problem["type"] == "https://ns.adobe.com/aep/errors/EXEG-0003-400"
    assert problem["status"] == 400
    assert set(problem) == {"type", "status", "title", "detail", "report"}
    assert "requestId" in problem["report"]


@pytest.mark.parametrize(
    "body",
    [[], {"events": []}, {"events": [{"xdm": 5}]}, {"events": [{"xdm": {}, "data": 3}]},
     {"events": [{"xdm": {}}], "xdm": {"identityMap": {"ECID": "x"}}}],
)  # fmt: skip
def test_malformed_bodies_are_422_with_their_errors(
    edge: TestClient, stream: Datastream, settings: Settings, body: object
) -> None:
    r = post(edge, stream, body)
    assert r.status_code == 422, r.text
    assert r.json()["report"]["errors"]
    assert lines(settings, EVENTS) == []


def test_a_disallowed_origin_is_refused_and_nothing_is_stored(
    edge: TestClient, stream: Datastream, settings: Settings
) -> None:
    r = post(edge, stream, page_view(), origin="https://evil.test")
    assert r.status_code == 403
    assert "access-control-allow-origin" not in r.headers
    assert lines(settings, EVENTS) == []


def test_preflight_echoes_an_allowed_origin_with_credentials(
    edge: TestClient, stream: Datastream
) -> None:
    r = edge.options(
        f"/ee/v1/interact?configId={stream.id}",
        headers={"origin": ORIGIN, "access-control-request-method": "POST"},
    )
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == ORIGIN
    assert r.headers["access-control-allow-credentials"] == "true"
    other = edge.options(f"/ee/v1/interact?configId={stream.id}", headers={"origin": "https://x"})
    assert "access-control-allow-origin" not in other.headers


def test_consent_out_stops_events_and_is_kept_as_a_profile_record(
    edge: TestClient, stream: Datastream, settings: Settings
) -> None:
    ecid = ecids.mint()
    state = {"state": {"entries": [
        {"key": COOKIE, "value": ecids.encode(ecid, created_at=1, written_at=1)}]}}  # fmt: skip
    consent = {"consent": [{"standard": "Adobe", "version": "1.0", "value": {"general": "out"}}],
               "meta": state}  # fmt: skip
    r = post(edge, stream, consent, action="set-consent", path="/ee/v1/privacy")
    assert r.status_code == 200, r.text
    stores = [p for h in r.json()["handle"] if h["type"] == "state:store" for p in h["payload"]]
    assert {"key": ecids.cookie_name(ORG, "consent"), "value": "general=out"}.items() <= {
        **stores[-1]
    }.items()
    (record,) = lines(settings, PROFILES)
    assert record["entity"]["consents"] == {"collect": {"val": "n"}}
    body = page_view()
    body["meta"] = state
    r = post(edge, stream, body)
    assert r.status_code == 200
    assert "no events were stored" in r.json()["warnings"][0]["title"]
    assert lines(settings, EVENTS) == []


def test_an_invalid_event_is_kept_as_a_failed_record_and_reported(
    edge: TestClient, stream: Datastream, settings: Settings
) -> None:
    r = post(edge, stream, page_view(web={"webPageDetails": {"name": 5}}))
    assert r.status_code == 200
    (warning,) = r.json()["warnings"]
    assert warning["report"]["eventIndex"] == 0
    (violation,) = warning["report"]["validation"]["violations"]
    assert violation["pointerToViolation"] == "#/web/webPageDetails/name"
    assert lines(settings, EVENTS) == []
    assert len(lines(settings, f"_failed/{EVENTS}")) == 1


def test_a_wildcard_origin_is_refused_for_a_datastream(settings: Settings) -> None:
    from collector.control.plane import ControlPlaneError

    control = ControlPlane(settings.control_db_path)
    control.create_org(ORG, "Shop")
    control.create_dataset(org_id=ORG, name="e", schema_id=WEB_SCHEMA, dataset_id=EVENTS)
    streams = Datastreams(control)
    for pattern in ("*", "https://*.example.com"):
        with pytest.raises(ControlPlaneError, match="exactly"):
            streams.create(org_id=ORG, name="w", dataset_id=EVENTS, origins=(pattern,))
    assert streams.list() == []


def test_datastreams_cli_round_trip(tmp_path: Path, settings: Settings) -> None:
    from click.testing import CliRunner

    from collector.cli import main

    control = ControlPlane(settings.control_db_path)
    control.create_org(ORG, "Shop")
    control.create_dataset(org_id=ORG, name="e", schema_id=WEB_SCHEMA, dataset_id=EVENTS)
    control.close()
    run = CliRunner().invoke
    base = ["--data-dir", str(settings.data_dir)]
    made = run(main, ["datastreams", "create", "--org", ORG, "--name", "web", "--dataset", EVENTS,
                      "--origin", ORIGIN, "--json", *base])  # fmt: skip
    assert made.exit_code == 0, made.output
    stream_id = orjson.loads(made.output)["id"]
    listed = orjson.loads(run(main, ["datastreams", "list", "--json", *base]).output)
    assert [s["id"] for s in listed] == [stream_id]
    assert listed[0]["allowed_origins"] == [ORIGIN]
    renamed = run(main, ["datastreams", "update", stream_id, "--name", "web2", "--json", *base])
    assert orjson.loads(renamed.output)["name"] == "web2"
    # Its inlet, changed as an inlet: still only exact origins (a pattern would never match).
    inlet_id = listed[0]["inlet_id"]
    pattern = run(main, ["inlets", "update", inlet_id, "--origin", "https://*.shop.test", *base])
    assert pattern.exit_code == 1 and "not allowed for a datastream" in pattern.output
    exact = run(main, ["inlets", "update", inlet_id, "--origin", "https://www.shop.test", *base])
    assert exact.exit_code == 0, exact.output
    assert run(main, ["datastreams", "delete", stream_id, *base]).exit_code == 0
    missing = run(main, ["datastreams", "show", stream_id, *base])
    assert missing.exit_code != 0 and "no datastream" in missing.output
