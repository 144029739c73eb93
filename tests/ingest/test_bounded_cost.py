"""A near-1 MB message with 110,000 violations is answered in the contract's shapes, and its
report is built from a bounded number of violations (the subtree validator is asked for no more
than the report keeps), whatever the message holds. The time it takes is measured by
``python -m bench.invalid`` (BENCHMARKS.md, "Invalid messages"), not asserted here.
"""

from __future__ import annotations

import time
from typing import Any

import orjson
from starlette.testclient import TestClient

from collector.control.settings import Settings
from collector.schemas.violations import MAX_CAUSES, MAX_FOUND
from tests.conftest import INLET, ORG, lake_records, web_event

AT_LEAST = f"at least {MAX_FOUND} schema violations found"


def huge_invalid() -> bytes:
    items: list[dict[str, Any]] = [{"SKU": 1}] * 90_000 + [{}] * 20_000
    body = orjson.dumps(web_event(productListItems=items))
    assert 900_000 < len(body) < 1_000_000
    return body


def timed_post(client: TestClient, url: str, body: bytes) -> tuple[Any, float]:
    started = time.perf_counter()
    response = client.post(url, content=body, headers={"content-type": "application/json"})
    return response, time.perf_counter() - started


def test_sync_report_of_a_huge_invalid_message(
    client: TestClient, settings: Settings, taken: list[int]
) -> None:
    response, elapsed = timed_post(
        client, f"/collection/{INLET}?syncValidation=true", huge_invalid()
    )
    print(f"\nsync, 110,000 violations: {elapsed * 1000:.1f} ms")
    assert len(taken) == 1 and taken[0] <= MAX_FOUND + 1  # not 110,000
    assert response.status_code == 400
    report = response.json()["report"]
    assert report["message"] == f"inletId: [{INLET}] imsOrgId: [{ORG}] Message is invalid"
    (wrapper,) = report["cause"]["_streamingValidation"]
    assert wrapper["schemaLocation"] == wrapper["pointerToViolation"] == "#"
    assert wrapper["message"] == AT_LEAST
    causes = wrapper["causingExceptions"]
    assert len(causes) == MAX_CAUSES
    assert causes[0] == {
        "schemaLocation": "#/properties/productListItems/items/properties/SKU",
        "pointerToViolation": "#/productListItems/0/SKU",
        "causingExceptions": [],
        "keyword": "type",
        "message": "expected type: String, found: Long",
    }
    assert lake_records(settings) == []


def test_async_verdict_of_a_huge_invalid_message(
    client: TestClient, settings: Settings, taken: list[int]
) -> None:
    response, elapsed = timed_post(client, f"/collection/{INLET}", huge_invalid())
    print(f"\nasync, 110,000 violations: {elapsed * 1000:.1f} ms")
    assert len(taken) == 1 and taken[0] <= MAX_FOUND + 1  # not 110,000
    assert response.status_code == 200
    checked = response.json()["validation"]
    assert checked["status"] == "fail"
    assert checked["count"] == MAX_FOUND and checked["countIsLowerBound"] is True
    assert len(checked["violations"]) == MAX_CAUSES
    (failed,) = lake_records(settings)
    assert failed["reason"] == "Message is invalid"
    assert failed["_validationErrors"][0]["message"] == AT_LEAST
    assert failed["_validationErrors"][0]["causingExceptions"] == checked["violations"]
