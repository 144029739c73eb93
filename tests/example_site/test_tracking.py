"""A website's own tracking test, written against the ``collector.testing`` plugin as README.md
documents it: the site's beacon goes to a real collector, and the test asserts on what arrived."""

from __future__ import annotations

import json
import urllib.request
import uuid
from typing import Any

import pytest

from collector.testing import Collector, CollectorTimeout

pytest_plugins = ["collector.testing"]

pytestmark = pytest.mark.slow


def send_beacon(xdm_collector: Collector, entity: dict[str, Any]) -> dict[str, Any]:
    """What the site's tag does: POST one XDM message to the inlet."""
    schema = {"id": xdm_collector.schema_id, "contentType": "application/vnd.adobe.xed-full+json"}
    message = {
        "header": {"schemaRef": schema, "imsOrgId": xdm_collector.org_id},
        "body": {"xdmMeta": {"schemaRef": schema}, "xdmEntity": entity},
    }
    request = urllib.request.Request(
        xdm_collector.collection_url,
        data=json.dumps(message).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        ack: dict[str, Any] = json.loads(answer.read())
    return ack


def page_view(ecid: str, **fields: Any) -> dict[str, Any]:
    return {
        "_id": str(uuid.uuid4()),
        "timestamp": "2026-12-01T10:00:00Z",
        "eventType": "web.webpagedetails.pageViews",
        "web": {"webPageDetails": {"name": "checkout", "URL": "https://shop.example.com/cart"}},
        "identityMap": {"ECID": [{"id": ecid, "primary": True}]},
        **fields,
    }


def test_a_page_view_arrives_with_its_fields(xdm_collector: Collector) -> None:
    ecid = uuid.uuid4().hex
    ack = send_beacon(xdm_collector, page_view(ecid))

    event = xdm_collector.wait_for_event(eventType="web.webpagedetails.pageViews", identity=ecid)

    assert event["status"] == "good"
    assert event["xactionId"] == ack["xactionId"]
    assert event["entity"]["web"]["webPageDetails"]["name"] == "checkout"
    assert event["identities"] == [{"namespace": "ECID", "id": ecid}]
    assert event["enrichment"]["userAgent"].startswith("Python-urllib")
    looked_up = xdm_collector.event(event["_id"])  # by _id, with the profile it joined
    assert looked_up is not None and looked_up["xactionId"] == ack["xactionId"]


def test_a_broken_event_is_reported_with_its_violation(xdm_collector: Collector) -> None:
    ecid = uuid.uuid4().hex
    send_beacon(xdm_collector, page_view(ecid, web={"webPageDetails": {"name": 42}}))

    event = xdm_collector.wait_for_event(identity=f"ECID:{ecid}", status="bad")

    assert event["reason"] == "Message is invalid"
    pointers = json.dumps(event["violations"])
    assert "#/web/webPageDetails/name" in pointers


def test_the_tag_url_serves_the_demo_library(xdm_collector: Collector) -> None:
    with urllib.request.urlopen(xdm_collector.tag_url, timeout=10) as answer:
        assert answer.status == 200
        assert "javascript" in answer.headers["content-type"]
        assert xdm_collector.inlet_id in answer.read().decode()


def test_waiting_for_an_event_that_never_came_fails(xdm_collector: Collector) -> None:
    with pytest.raises(CollectorTimeout, match="no event matched"):
        xdm_collector.wait_for_event(identity=uuid.uuid4().hex, timeout=0.3)
