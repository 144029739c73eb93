"""Every query parameter of the Profile Access API, fuzzed: never a 500, always the problem
shape, and integers only as ASCII digits within int64 (``collector/web/params.py``)."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from collector.profile.projector import project_once
from collector.profile.routes import PATH
from collector.web.params import INT64_MAX, integer
from tests.profile.lakefixture import BASE_MS, Lake, ids, make_control, settings_for
from tests.profile.test_routes import _client

PROFILE = {"schema.name": "_xdm.context.profile", "entityId": "jane", "entityIdNS": "ecid"}
EVENTS = {
    "schema.name": "_xdm.context.experienceevent",
    "relatedSchema.name": "_xdm.context.profile",
    "relatedEntityId": "jane",
    "relatedEntityIdNS": "ecid",
}
INTEGERS = ("startTime", "endTime", "limit")
_ASCII_INT = re.compile(r"[0-9]+")
FULL_WIDTH = "\uff11\uff12"  # "12" in full-width digits: int() takes it


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    profile_settings = settings_for(tmp_path_factory.mktemp("params"))
    make_control(profile_settings)
    lake = Lake(profile_settings)
    for n in range(3):
        lake.event(ids(ECID="jane"), event_id=f"e{n}", timestamp_ms=BASE_MS + n)
    project_once(profile_settings)
    yield from _client(profile_settings)


def cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def check(response: Any) -> dict[str, Any]:
    assert response.status_code < 500, response.text
    body: dict[str, Any] = response.json()
    if response.status_code >= 400:
        assert response.headers["content-type"] == "application/problem+json"
        assert set(body) == {"type", "status", "title", "report"}
        assert body["status"] == response.status_code
        assert isinstance(body["report"]["message"], str)
    return body


_values = st.one_of(
    st.text(st.characters(exclude_categories=["Cs"]), max_size=30),
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
    st.sampled_from(["1_000", FULL_WIDTH, "+5", " 5", "5 ", "0x10", "1e3", "-0", str(2**63)]),
)
_names = st.sampled_from(
    [*EVENTS, *INTEGERS, "orderby", "orderBy", "start", "fields", "entityId", "entityIdNS"]
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=_names, value=_values, events=st.booleans())
def test_any_value_of_any_parameter(
    client: TestClient, name: str, value: str, events: bool
) -> None:
    query = {**(EVENTS if events else PROFILE), name: value}
    response = client.get(PATH, params=query)
    check(response)
    if events and name in INTEGERS and value:
        strict = bool(_ASCII_INT.fullmatch(value)) and int(value) <= INT64_MAX
        if name == "limit":
            strict = strict and 1 <= int(value) <= 1000
        assert (response.status_code == 200) == strict, (value, response.text)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ts=st.integers(min_value=-(2**70), max_value=2**70), seq=st.integers(-(2**70), 2**70))
def test_any_start_cursor(client: TestClient, ts: int, seq: int) -> None:
    response = client.get(PATH, params={**EVENTS, "start": cursor(f"{ts}.{seq}")})
    check(response)
    in_range = all(-(2**63) <= n <= INT64_MAX for n in (ts, seq))
    assert (response.status_code == 200) == in_range


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("startTime", str(2**63)),
        ("endTime", str(2**64 - 1)),
        ("startTime", "1_000"),
        ("endTime", FULL_WIDTH),
        ("limit", "+5"),
        ("start", cursor(f"{2**63}.1")),
        ("start", cursor("1_000.1")),
    ],
)
def test_what_int_accepted_is_refused(client: TestClient, name: str, value: str) -> None:
    response = client.get(PATH, params={**EVENTS, name: value})
    assert response.status_code == 400
    assert check(response)["title"] == "Bad Request"


def test_the_int64_edge_is_accepted(client: TestClient) -> None:
    body = check(client.get(PATH, params={**EVENTS, "startTime": "0", "endTime": str(INT64_MAX)}))
    assert body["_page"]["count"] == 3


def test_the_helper() -> None:
    assert integer("0042") == 42
    assert integer("-7") == -7
    assert integer(str(INT64_MAX)) == INT64_MAX
    for bad in (
        "",
        "-",
        "1_000",
        FULL_WIDTH,
        " 1",
        "+1",
        str(2**63),
        "-" + str(2**63 + 1),
        "9" * 5000,
    ):
        with pytest.raises(ValueError):
            integer(bad)
    with pytest.raises(ValueError, match="between 0 and"):
        integer("-1", minimum=0)
