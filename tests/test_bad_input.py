"""Bad input of every kind: the contract's error, never a 500, never a partial write."""

from __future__ import annotations

import gzip
import json
import zlib

import pytest
from starlette.testclient import TestClient

from collector.control.settings import Settings
from tests.conftest import INLET, accepted, lake_records, web_event

URL = f"/collection/{INLET}"
BATCH = f"/collection/batch/{INLET}"


def assert_problem(r: object, status: int) -> None:
    assert r.status_code == status, r.text  # type: ignore[attr-defined]
    body = r.json()  # type: ignore[attr-defined]
    assert set(body) >= {"type", "status", "title", "report"}
    assert body["status"] == status
    assert body["report"]["message"].startswith(f"inletId: [{INLET}] ")


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b"   ",
        b"{",
        b"not json",
        b"\xff\xfe{}",
        b'{"a": "\xc3\x28"}',
        b"[1,2",
        b"null",
        b'{"header": {}, "body": {"xdmMeta": {"schemaRef": {"id": "\xed\xa0\x80"}}}}',
    ],
)
def test_unparseable_bodies(client: TestClient, settings: Settings, payload: bytes) -> None:
    for url in (URL, BATCH):
        r = client.post(url, content=payload, headers={"content-type": "application/json"})
        assert_problem(r, 400)
    assert accepted(settings) == []


def test_deep_nesting_is_refused(client: TestClient, settings: Settings) -> None:
    deep = "[" * 500 + "]" * 500
    msg = json.dumps(web_event()).replace('"home"', deep)
    r = client.post(URL, content=msg)
    assert_problem(r, 400)
    assert "nesting" in r.json()["report"]["message"]
    very_deep = "[" * 100_000 + "]" * 100_000
    assert_problem(client.post(URL, content=very_deep), 400)
    assert lake_records(settings) == []


def test_deep_strings_do_not_count_as_nesting(client: TestClient) -> None:
    msg = web_event(eventType='[{"[\\"' * 200)
    assert client.post(URL, json=msg).status_code == 200


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("header", []),
        ("header", 1),
        ("body", "x"),
        ("body", None),
        ("imsOrgId", 5),
        ("datasetId", ["x"]),
        ("source", "x"),
        ("flowId", {}),
        ("schemaRef", "x"),
        ("entity", []),
        ("entity", "x"),
        ("xdmMeta", 1),
    ],
)
def test_wrong_types_in_the_envelope(
    client: TestClient, settings: Settings, field: str, value: object
) -> None:
    msg = web_event()
    target = {
        "header": msg,
        "body": msg,
        "imsOrgId": msg["header"],
        "datasetId": msg["header"],
        "source": msg["header"],
        "flowId": msg["header"],
        "schemaRef": msg["header"],
        "entity": msg["body"],
        "xdmMeta": msg["body"],
    }[field]
    target[{"entity": "xdmEntity"}.get(field, field)] = value
    r = client.post(URL, json=msg)
    assert_problem(r, 400)
    assert accepted(settings) == []
    for record in lake_records(settings):
        assert record["raw"] == msg


def test_huge_array_in_a_message_is_kept_within_the_body_limit(client: TestClient) -> None:
    msg = web_event(productListItems=[{"SKU": str(i)} for i in range(70_000)])
    assert_problem(client.post(URL, json=msg), 413)


def test_gzip_bomb_is_refused_without_inflating_it(client: TestClient, settings: Settings) -> None:
    bomb = gzip.compress(b"[" + b" " * 200_000_000 + b"]", compresslevel=9)
    assert len(bomb) < 1_000_000
    r = client.post(BATCH, content=bomb, headers={"content-encoding": "gzip"})
    assert_problem(r, 413)
    assert lake_records(settings) == []


def test_truncated_gzip(client: TestClient) -> None:
    data = gzip.compress(json.dumps(web_event()).encode())
    r = client.post(URL, content=data[: len(data) // 2], headers={"content-encoding": "gzip"})
    assert_problem(r, 400)
    r = client.post(URL, content=b"not gzip", headers={"content-encoding": "gzip"})
    assert_problem(r, 400)


def test_deflate_and_unknown_encodings(client: TestClient) -> None:
    data = zlib.compress(json.dumps(web_event()).encode())
    assert (
        client.post(URL, content=data, headers={"content-encoding": "deflate"}).status_code == 200
    )
    assert_problem(client.post(URL, content=b"{}", headers={"content-encoding": "br"}), 400)


def test_lying_content_length(client: TestClient) -> None:
    r = client.post(URL, content=b"{}", headers={"content-length": "abc"})
    assert r.status_code in (400, 413)


def test_every_lake_line_parses_after_a_mixed_run(client: TestClient, settings: Settings) -> None:
    client.post(BATCH, json={"messages": [web_event(), {"x": 1}, web_event()]})
    client.post(URL, content=b"\x00\x01")
    client.post(URL, json=web_event())
    records = lake_records(settings)
    assert len(records) == 4
    assert len(accepted(settings)) == 3
