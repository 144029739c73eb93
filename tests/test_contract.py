"""The HTTP contract of CONTRACT.md, route by route, with its literal JSON."""

from __future__ import annotations

import copy
import gzip
import json
import re

import pytest
from starlette.testclient import TestClient

from collector.control import seed
from collector.control.settings import Settings
from tests.conftest import CT, INLET, ORG, WEB, accepted, lake_records, web_event

XACTION = re.compile(r"^\d{13}:\d+:\d+$")
PREFIX = f"inletId: [{INLET}] imsOrgId: [{ORG}] "

# The envelope of CONTRACT.md, literally, with our demo ids in place of the placeholders.
CONTRACT_ENVELOPE = json.loads(
    """
{"header": {"schemaRef": {"id": "https://ns.example.com/schemas/web-event",
                          "contentType": "application/vnd.adobe.xed-full+json;version=1"},
            "imsOrgId": "ORG@AdobeOrg", "datasetId": "DATASET_ID", "flowId": "optional",
            "source": {"name": "optional"}},
 "body": {"xdmMeta": {"schemaRef": {"id": "...same...", "contentType": "..."}},
          "xdmEntity": {"_id": "...", "timestamp": "2026-11-22T10:00:00Z", "...": "..."}}}
"""
)


def contract_envelope() -> dict[str, object]:
    msg = copy.deepcopy(CONTRACT_ENVELOPE)
    ref = {"id": seed.WEB_EVENTS_SCHEMA, "contentType": CT}
    msg["header"].update(schemaRef=ref, imsOrgId=ORG, datasetId=WEB)
    msg["body"]["xdmMeta"]["schemaRef"] = dict(ref)
    msg["body"]["xdmEntity"] = {"_id": "e-1", "timestamp": "2026-11-22T10:00:00Z"}
    return msg


def problem(response: object, status: int, title: str, message: str) -> None:
    body = response.json()  # type: ignore[attr-defined]
    assert response.status_code == status  # type: ignore[attr-defined]
    assert body["status"] == status
    assert body["title"] == title
    assert body["report"]["message"] == message
    assert body["type"].startswith("http")


# -- success ------------------------------------------------------------------------------


def test_single_message_success_shape(client: TestClient) -> None:
    r = client.post(f"/collection/{INLET}", json=contract_envelope())
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"inletId", "xactionId", "receivedTimeMs", "syncValidation", "validation"}
    assert body["validation"] == {"status": "pass"}  # the verdict, our additive member
    assert body["inletId"] == INLET
    assert XACTION.match(body["xactionId"])
    assert body["xactionId"].startswith(str(body["receivedTimeMs"]) + ":")
    assert body["syncValidation"] == {"skipped": True}


@pytest.mark.parametrize("prefix", ["", "/data/foundation/import"])
def test_routes_and_aliases(client: TestClient, prefix: str) -> None:
    single = client.post(f"{prefix}/collection/{INLET}", json=web_event())
    assert single.status_code == 200
    batch = client.post(f"{prefix}/collection/batch/{INLET}", json={"messages": [web_event()]})
    assert batch.status_code == 207
    assert len(batch.json()["responses"]) == 1


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ("syncValidation=true", "syncValidation"),
        ("syncValidation=True", "syncValidation"),
        ("synchronousValidation=TRUE", "synchronousValidation"),
    ],
)
def test_sync_validation_pass(client: TestClient, query: str, key: str) -> None:
    r = client.post(f"/collection/{INLET}?{query}", json=web_event())
    assert r.status_code == 200
    assert r.json()[key] == {"status": "pass"}


@pytest.mark.parametrize("query", ["syncValidation=false", "syncValidation=False", ""])
def test_sync_validation_off(client: TestClient, query: str) -> None:
    r = client.post(f"/collection/{INLET}?{query}", json=web_event())
    assert r.json()["syncValidation"] == {"skipped": True}


def test_xaction_ids_are_unique(client: TestClient) -> None:
    ids = {
        client.post(f"/collection/{INLET}", json=web_event()).json()["xactionId"] for _ in range(50)
    }
    assert len(ids) == 50


def test_text_plain_body(client: TestClient, settings: Settings) -> None:
    r = client.post(
        f"/collection/{INLET}",
        content=json.dumps(web_event()),
        headers={"content-type": "text/plain;charset=UTF-8"},
    )
    assert r.status_code == 200
    assert [rec["xactionId"] for rec in accepted(settings)] == [r.json()["xactionId"]]


def test_gzip_body(client: TestClient, settings: Settings) -> None:
    payload = gzip.compress(json.dumps({"messages": [web_event(), web_event()]}).encode())
    r = client.post(
        f"/collection/batch/{INLET}",
        content=payload,
        headers={"content-encoding": "gzip", "content-type": "application/json"},
    )
    assert r.status_code == 207
    assert len(accepted(settings)) == 2


def test_unknown_headers_and_query_parameters_are_tolerated(client: TestClient) -> None:
    headers = {
        "x-api-key": "acp_ui_platform",
        "x-gw-ims-org-id": ORG,
        "x-sandbox-name": "prod",
        "Cache-Control": "no-cache",
        "x-adobe-flow-id": "f-1",
        "Authorization": "Bearer {{ACCESS_TOKEN}}",
    }
    r = client.post(f"/collection/{INLET}?foo=bar&debug=1", json=web_event(), headers=headers)
    assert r.status_code == 200


# -- envelope forms ----------------------------------------------------------------------


def legacy_message() -> dict[str, object]:
    schema = {"name": "_xdm.context.experienceevent", "version": ""}
    return {
        "header": {
            "xdmSchema": schema,
            "imsOrgId": ORG,
            "datasetId": WEB,
            "msgType": "xdmEntityCreate",
            "msgId": "m-1",
            "msgVersion": "1.0",
            "createdAt": 1732269600123,
        },
        "body": {"xdmMeta": {"xdmSchema": schema}, "xdmEntity": web_event()["body"]["xdmEntity"]},  # type: ignore[index]
    }


def test_legacy_envelope(client: TestClient, settings: Settings) -> None:
    r = client.post(f"/collection/{INLET}", json=legacy_message())
    assert r.status_code == 200, r.text
    (record,) = accepted(settings)
    assert record["header"]["schemaRef"]["id"] == "https://ns.adobe.com/xdm/context/experienceevent"
    assert record["schemaId"] == seed.WEB_EVENTS_SCHEMA
    assert record["header"]["msgType"] == "xdmEntityCreate"


def test_legacy_created_at_as_string(client: TestClient) -> None:
    msg = legacy_message()
    msg["header"]["createdAt"] = "2026-11-22T10:00:00Z"  # type: ignore[index]
    assert client.post(f"/collection/{INLET}", json=msg).status_code == 200


@pytest.mark.parametrize(
    "content_type",
    [
        "application/vnd.adobe.xed-full+json;version=1",
        "application/vnd.adobe.xed-full+json;version=1.0",
        "application/vnd.adobe.xed-full+json; version=1",
        "application/vnd.adobe.xed-full+json;1",
        "application/vnd.adobe.xed-full-notext+json; version=1",
        "application/vnd.adobe.xed+json",
        " application/vnd.adobe.xed-full+json ; version = 1 ",
    ],
)
def test_content_type_spellings(client: TestClient, content_type: str) -> None:
    msg = web_event()
    msg["header"]["schemaRef"]["contentType"] = content_type
    msg["body"]["xdmMeta"]["schemaRef"]["contentType"] = content_type
    assert client.post(f"/collection/{INLET}", json=msg).status_code == 200


def test_missing_org_and_source_are_filled(client: TestClient, settings: Settings) -> None:
    msg = web_event()
    del msg["header"]["imsOrgId"]
    del msg["header"]["source"]
    assert client.post(f"/collection/{INLET}", json=msg).status_code == 200
    (record,) = accepted(settings)
    assert record["header"]["imsOrgId"] == ORG
    assert record["header"]["source"]["name"] == "demo-site"
    assert record["orgId"] == ORG


def test_missing_dataset_uses_the_inlet_default(client: TestClient, settings: Settings) -> None:
    msg = web_event()
    del msg["header"]["datasetId"]
    assert client.post(f"/collection/{INLET}", json=msg).status_code == 200
    assert accepted(settings)[0]["datasetId"] == WEB


# -- errors ------------------------------------------------------------------------------


def test_wrong_org(client: TestClient) -> None:
    msg = web_event()
    msg["header"]["imsOrgId"] = "OTHER@AdobeOrg"
    r = client.post(f"/collection/{INLET}", json=msg)
    problem(
        r,
        400,
        "Invalid XDM Message Format",
        f"inletId: [{INLET}] imsOrgId: [OTHER@AdobeOrg] "
        "Message has an absent or wrong ims org in the header",
    )


@pytest.mark.parametrize(
    "mutate",
    [
        lambda m: m.pop("body"),
        lambda m: m["body"].pop("xdmMeta"),
        lambda m: m["body"]["xdmMeta"].pop("schemaRef"),
        lambda m: m["body"].pop("xdmEntity"),
        lambda m: m["body"]["xdmMeta"]["schemaRef"].update(contentType="text/html"),
        lambda m: m["body"]["xdmMeta"]["schemaRef"].update(id=42),
        lambda m: m.update(header="nope"),
    ],
)
def test_unknown_xdm_format(client: TestClient, mutate: object, settings: Settings) -> None:
    msg = web_event()
    mutate(msg)  # type: ignore[operator]
    r = client.post(f"/collection/{INLET}", json=msg)
    problem(r, 400, "Invalid XDM Message Format", PREFIX + "Message has unknown xdm format")
    assert r.json()["type"] == (
        "http://ns.adobe.com/adobecloud/problem/data-collection-service/inlet"
    )
    assert accepted(settings) == []
    (failed,) = lake_records(settings, "_failed")
    assert failed["reason"] == "Message has unknown xdm format"
    assert failed["raw"] == msg


def test_unknown_inlet(client: TestClient) -> None:
    other = "ab" * 32
    r = client.post(f"/collection/{other}", json=web_event())
    assert r.status_code == 404
    assert r.json()["title"] == "Inlet not found"
    assert r.json()["report"]["message"].startswith(f"inletId: [{other}]")
    assert client.post("/collection/not-hex", json=web_event()).status_code == 404


def test_dataset_of_another_org_or_unknown(client: TestClient) -> None:
    msg = web_event()
    msg["header"]["datasetId"] = "f" * 24
    r = client.post(f"/collection/{INLET}", json=msg)
    assert r.status_code == 400
    assert "is not found" in r.json()["report"]["message"]


def test_schema_must_match_the_dataset(client: TestClient) -> None:
    msg = web_event()
    msg["header"]["schemaRef"]["id"] = seed.PROFILE_SCHEMA
    msg["body"]["xdmMeta"]["schemaRef"]["id"] = seed.PROFILE_SCHEMA
    r = client.post(f"/collection/{INLET}", json=msg)
    assert r.status_code == 400
    assert "is not the schema of dataset" in r.json()["report"]["message"]


def test_body_over_one_megabyte(client: TestClient, settings: Settings) -> None:
    big = web_event(eventType="x" * 1_100_000)
    r = client.post(f"/collection/{INLET}", json=big)
    assert r.status_code == 413
    assert r.json()["status"] == 413

    def chunks():  # no Content-Length: the limit applies while reading
        for _ in range(20):
            yield b" " * 100_000

    r = client.post(f"/collection/{INLET}", content=chunks())
    assert r.status_code == 413
    assert lake_records(settings) == []


def test_method_not_allowed_has_problem_body(client: TestClient) -> None:
    r = client.get(f"/collection/{INLET}")
    assert r.status_code == 405
    assert r.json()["status"] == 405


# -- batch -------------------------------------------------------------------------------


def test_batch_with_failures(client: TestClient, settings: Settings) -> None:
    bad = web_event()
    del bad["body"]["xdmMeta"]
    r = client.post(
        f"/collection/batch/{INLET}", json={"messages": [web_event(), bad, web_event()]}
    )
    assert r.status_code == 207
    body = r.json()
    assert set(body) == {"inletId", "batchId", "receivedTimeMs", "responses"}
    first, second, third = body["responses"]
    assert first == {"xactionId": body["batchId"] + "-0", "validation": {"status": "pass"}}
    assert second == {
        "xactionId": body["batchId"] + "-1",
        "status": 400,
        "statusCode": 400,
        "message": PREFIX + "Message has unknown xdm format",
    }
    assert third == {"xactionId": body["batchId"] + "-2", "validation": {"status": "pass"}}
    assert [rec["xactionId"] for rec in accepted(settings)] == [
        first["xactionId"],
        third["xactionId"],
    ]


def test_batch_failures_parse_like_the_kafka_sink(client: TestClient) -> None:
    """Adobe's sink takes the index after the last '-' of each failed entry's xactionId."""
    msgs = [web_event() for _ in range(6)]
    for i in (1, 4):
        msgs[i]["header"]["imsOrgId"] = "OTHER@AdobeOrg"
    responses = client.post(f"/collection/batch/{INLET}", json={"messages": msgs}).json()
    failed = [
        int(e["xactionId"].rsplit("-", 1)[1]) for e in responses["responses"] if "status" in e
    ]
    assert failed == [1, 4]


def test_batch_where_every_message_fails_is_still_207(client: TestClient) -> None:
    r = client.post(f"/collection/batch/{INLET}", json={"messages": [{}, [], "x", 1, None]})
    assert r.status_code == 207
    assert all(e["status"] == 400 for e in r.json()["responses"])


def test_batch_ignores_the_sync_flag(client: TestClient) -> None:
    r = client.post(
        f"/collection/batch/{INLET}?syncValidation=true", json={"messages": [web_event()]}
    )
    assert r.status_code == 207
    assert "syncValidation" not in r.json()


@pytest.mark.parametrize("document", [{}, {"messages": []}, {"messages": {}}, [], "x"])
def test_batch_without_messages(client: TestClient, document: object) -> None:
    r = client.post(f"/collection/batch/{INLET}", json=document)
    problem(r, 400, "Invalid XDM Message Format", PREFIX + "Message has unknown xdm format")


def test_batch_over_the_message_cap(client: TestClient, settings: Settings) -> None:
    msgs = [{"a": 1}] * (settings.max_batch_messages + 1)
    r = client.post(f"/collection/batch/{INLET}", json={"messages": msgs})
    assert r.status_code == 413
    assert lake_records(settings) == []


# -- CORS --------------------------------------------------------------------------------


def test_cors_preflight_for_an_allowed_origin(client: TestClient, settings: Settings) -> None:
    origin = settings.public_url
    r = client.options(
        f"/collection/batch/{INLET}",
        headers={
            "origin": origin,
            "access-control-request-method": "POST",
            "access-control-request-headers": "content-type",
        },
    )
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == origin
    assert "POST" in r.headers["access-control-allow-methods"]
    r = client.post(f"/collection/{INLET}", json=web_event(), headers={"origin": origin})
    assert r.headers["access-control-allow-origin"] == origin
    assert "retry-after" in r.headers["access-control-expose-headers"]


def test_cors_refuses_other_origins(client: TestClient) -> None:
    evil = "https://evil.example"
    r = client.options(
        f"/collection/{INLET}", headers={"origin": evil, "access-control-request-method": "POST"}
    )
    assert "access-control-allow-origin" not in r.headers
    # The request itself is refused (403), readable by the page so that its tag stops there.
    r = client.post(f"/collection/{INLET}", json=web_event(), headers={"origin": evil})
    assert r.status_code == 403 and r.json()["title"] == "Forbidden"
    assert r.headers["access-control-allow-origin"] == evil


def test_cors_headers_on_errors_too(client: TestClient, settings: Settings) -> None:
    r = client.post(f"/collection/{INLET}", content=b"{", headers={"origin": settings.public_url})
    assert r.status_code == 400
    assert r.headers["access-control-allow-origin"] == settings.public_url


def test_preflight_for_unknown_inlet(client: TestClient) -> None:
    r = client.options("/collection/" + "0" * 64, headers={"origin": "https://a.example"})
    assert r.status_code == 404


# -- validation stage ------------------------------------------------------------------------

CONTRACT_REPORT = json.loads(
    """
{"report": {"message": "inletId: [...] imsOrgId: [...] Message is invalid",
  "cause": {"_streamingValidation": [
    {"schemaLocation": "#", "pointerToViolation": "#", "message": "2 schema violations found",
     "causingExceptions": [
       {"schemaLocation": "#", "pointerToViolation": "#", "causingExceptions": [],
        "keyword": "additionalProperties", "message": "extraneous key [workEmail] is not permitted"},
       {"schemaLocation": "#/properties/_id", "pointerToViolation": "#/_id", "causingExceptions": [],
        "keyword": "type", "message": "expected type: String, found: Long"}]}]}}}
"""
)


def test_sync_validation_failure_is_the_contract_report(
    client: TestClient, settings: Settings
) -> None:
    msg = web_event(workEmail="a@b.example", _id=42)
    r = client.post(f"/collection/{INLET}?syncValidation=true", json=msg)
    assert r.status_code == 400
    body = r.json()
    assert body["title"] == "Invalid XDM Message Format"
    expected = copy.deepcopy(CONTRACT_REPORT["report"])
    expected["message"] = PREFIX + "Message is invalid"
    assert body["report"] == expected
    assert lake_records(settings) == []  # nothing stored


def test_async_validation_failure_is_kept_with_its_errors(
    client: TestClient, settings: Settings
) -> None:
    msg = web_event(workEmail="a@b.example")
    r = client.post(f"/collection/{INLET}", json=msg)
    assert r.status_code == 200
    assert r.json()["syncValidation"] == {"skipped": True}
    assert accepted(settings) == []
    (failed,) = lake_records(settings, f"_failed/{WEB}")
    assert failed["xactionId"] == r.json()["xactionId"]
    assert failed["entity"] == msg["body"]["xdmEntity"]
    assert failed["reason"] == "Message is invalid"
    (violation,) = failed["_validationErrors"]
    assert violation["message"] == "extraneous key [workEmail] is not permitted"


@pytest.mark.parametrize(
    ("schema_id", "status"),
    [
        ("https://ns.xdm-collector.dev/classes/experienceevent", 200),
        ("https://ns.adobe.com/xdm/context/experienceevent", 200),
        ("https://ns.adobe.com/xdm/context/profile", 400),
        ("https://ns.xdm-collector.dev/fieldgroups/web-details", 400),
        ("https://ns.example.com/unknown", 400),
    ],
)
def test_a_message_may_name_the_dataset_class(
    client: TestClient, schema_id: str, status: int
) -> None:
    msg = web_event()
    msg["header"]["schemaRef"]["id"] = schema_id
    msg["body"]["xdmMeta"]["schemaRef"]["id"] = schema_id
    assert client.post(f"/collection/{INLET}", json=msg).status_code == status


def test_every_accepted_entry_carries_its_verdict(client: TestClient, settings: Settings) -> None:
    """Validation runs before the ack, so the 207 says which messages were stored as failed."""
    invalid = web_event()
    invalid["body"]["xdmEntity"]["web"] = {"webPageDetails": {"name": 5}}
    r = client.post(f"/collection/batch/{INLET}", json={"messages": [web_event(), invalid]})
    good, bad = r.json()["responses"]
    assert good["validation"] == {"status": "pass"}
    assert bad["validation"]["status"] == "fail" and bad["validation"]["count"] == 1
    (violation,) = bad["validation"]["violations"]
    assert violation["pointerToViolation"] == "#/web/webPageDetails/name"
    assert violation["keyword"] == "type"
    assert "status" not in bad  # still accepted: kept in _failed, as asynchronous validation does
    single = client.post(f"/collection/{INLET}", json=invalid).json()
    assert single["syncValidation"] == {"skipped": True}
    assert single["validation"]["violations"] == [violation]
