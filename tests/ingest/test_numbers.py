"""Numbers are stored as sent or refused: integers outside int64 and floats that would
underflow to 0 or overflow are violations naming their path; a gzip body is one whole
stream, with nothing after it."""

from __future__ import annotations

import gzip
import json
import zlib
from typing import Any

import pytest
from starlette.testclient import TestClient

from collector.control.settings import Settings
from collector.ingest import numbers
from tests.conftest import INLET, WEB, accepted, lake_records, web_event

SINGLE = f"/collection/{INLET}"
BATCH = f"/collection/batch/{INLET}"


def with_number(literal: str, field: str = "quantity") -> bytes:
    """A web event whose first product carries ``literal`` (JSON text) in ``field``."""
    marker = "__NUMBER__"
    message = web_event(productListItems=[{"SKU": "sku-1", field: marker}])
    return json.dumps(message).replace(f'"{marker}"', literal).encode()


def sync_violations(client: TestClient, raw: bytes) -> list[dict[str, Any]]:
    r = client.post(SINGLE + "?syncValidation=true", content=raw)
    assert r.status_code == 400, r.text
    assert r.headers["content-type"] == "application/problem+json"
    causes: list[dict[str, Any]] = r.json()["report"]["cause"]["_streamingValidation"]
    return causes


@pytest.mark.parametrize(
    ("literal", "message"),
    [
        (str(2**70), "1.1805916207174113e+21 is not less or equal to 9223372036854775807"),
        (str(2**64 - 1), "18446744073709551615 is not less or equal to 9223372036854775807"),
        (str(2**63), "9223372036854775808 is not less or equal to 9223372036854775807"),
        (
            str(-(2**63) - 1),
            "-9.223372036854776e+18 is not greater or equal to -9223372036854775807",
        ),
    ],
)
def test_integers_outside_int64_are_violations(
    client: TestClient, literal: str, message: str
) -> None:
    [cause] = sync_violations(client, with_number(literal))
    assert cause["pointerToViolation"] == "#/productListItems/0/quantity"
    assert cause["message"] == message


def test_the_int64_maximum_passes_an_integer_field(client: TestClient, settings: Settings) -> None:
    r = client.post(SINGLE + "?syncValidation=true", content=with_number(str(2**63 - 1)))
    assert r.status_code == 200, r.text
    [record] = accepted(settings)
    assert record["entity"]["productListItems"][0]["quantity"] == 2**63 - 1


@pytest.mark.parametrize(
    ("literal", "wording"),
    [
        ("1e-400", "number [1e-400] is too small for a 64-bit float: it would be stored as 0"),
        (
            "-2.5E-999",
            "number [-2.5E-999] is too small for a 64-bit float: it would be stored as 0",
        ),
        ("1e400", "number [1e400] is too large for a 64-bit float"),
        ("-1.5e+309", "number [-1.5e+309] is too large for a 64-bit float"),
    ],
)
def test_lossy_floats_are_violations(client: TestClient, literal: str, wording: str) -> None:
    [cause] = sync_violations(client, with_number(literal, "priceTotal"))
    assert cause["pointerToViolation"] == "#/productListItems/0/priceTotal"
    assert cause["message"] == wording


def test_a_lossy_float_in_a_batch_fails_only_its_message(
    client: TestClient, settings: Settings
) -> None:
    good = json.dumps(web_event(productListItems=[{"SKU": "a", "priceTotal": 1e-300}]))
    bad = with_number("1e-400", "priceTotal").decode()
    body = f'{{"messages": [{good}, {bad}, {good.replace("1e-300", "0e-999")}]}}'
    r = client.post(BATCH, content=body.encode())
    assert r.status_code == 207, r.text
    assert [sorted(e) for e in r.json()["responses"]] == [["validation", "xactionId"]] * 3
    verdicts = [e["validation"]["status"] for e in r.json()["responses"]]
    assert verdicts == ["pass", "fail", "pass"]
    kept = accepted(settings)
    assert [p["priceTotal"] for r in kept for p in r["entity"]["productListItems"]] == [1e-300, 0.0]
    [failed] = lake_records(settings, f"_failed/{WEB}")
    # the literal is kept as sent (a string), with the violation naming its path
    assert failed["entity"]["productListItems"][0]["priceTotal"] == "1e-400"
    [cause] = failed["_validationErrors"]
    assert cause["pointerToViolation"] == "#/productListItems/0/priceTotal"


def test_only_bodies_with_big_exponents_are_parsed_twice() -> None:
    assert not numbers.suspect(json.dumps({"batch": [web_event() for _ in range(50)]}).encode())
    assert numbers.suspect(b'{"a": 1e-400}')
    assert numbers.suspect(b'{"a": 0.' + b"0" * 400 + b"1}")
    document, found = numbers.exact(b'{"a": "1e-400", "b": [1e-400, 2], "c": 1e400}')
    assert document == {"a": "1e-400", "b": ["1e-400", 2], "c": "1e400"}
    assert found == {("b", 0): "1e-400", ("c",): "1e400"}


@pytest.mark.parametrize(
    "tail",
    [gzip.compress(b"{}"), b"garbage", b"\x00"],
    ids=["second gzip member", "trailing bytes", "one trailing byte"],
)
def test_gzip_with_anything_after_the_stream_is_refused(
    client: TestClient, settings: Settings, tail: bytes
) -> None:
    raw = gzip.compress(json.dumps(web_event()).encode()) + tail
    r = client.post(SINGLE, content=raw, headers={"content-encoding": "gzip"})
    assert r.status_code == 400
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["title"] == "Invalid XDM Message Format"
    assert body["report"]["message"].endswith("Request body has data after the end of its gzip")
    assert accepted(settings) == []


def test_deflate_with_trailing_data_is_refused(client: TestClient) -> None:
    raw = zlib.compress(json.dumps(web_event()).encode()) + b"x"
    r = client.post(SINGLE, content=raw, headers={"content-encoding": "deflate"})
    assert r.status_code == 400
    assert r.json()["report"]["message"].endswith("after the end of its deflate")
