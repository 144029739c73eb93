"""Property-based abuse: hostile requests never cause a 500, never a torn or partial lake
write, and always answer in the contract's shape."""

from __future__ import annotations

import copy
import functools
import gzip
import json
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import httpx2
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from collector.app import create_app
from collector.control.settings import Settings
from tests.conftest import INLET, web_event
from tests.demo import with_demo
from tests.guard.conftest import issue_token, make_inlet

ROUTES = (f"/collection/{INLET}", f"/collection/batch/{INLET}")
EXPECTED = {200, 207, 400, 401, 403, 404, 413}
FUZZ = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


class LakeWatch:
    """Reads what the lake gained since the last look; every new line must parse."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.offsets: dict[Path, int] = {}

    def new(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        accepted: list[dict[str, Any]] = []
        failed: list[dict[str, Any]] = []
        for path in sorted(self.root.rglob("part-*.jsonl")):
            data = path.read_bytes()
            assert data == b"" or data.endswith(b"\n"), f"partial line in {path}"
            start = self.offsets.get(path, 0)
            self.offsets[path] = len(data)
            for line in data[start:].splitlines():
                record = orjson.loads(line)  # raises on a torn or invalid line
                target = failed if "_failed" in path.relative_to(self.root).parts else accepted
                target.append(record)
        return accepted, failed


@pytest.fixture
def fuzz(tmp_path: Path) -> Iterator[tuple[TestClient, LakeWatch, Settings]]:
    # Rate limits off: this test is about input, not about speed.
    conf = with_demo(
        Settings(
            data_dir=tmp_path / "data",
            run_projector=False,
            rate_limit_requests_per_second=0,
            rate_limit_messages_per_second=0,
            rate_limit_sync_per_minute=0,
        )
    )
    with TestClient(create_app(conf), raise_server_exceptions=False) as client:
        yield client, LakeWatch(conf.lake_dir), conf


def check(
    r: httpx.Response | httpx2.Response, lake: LakeWatch, inlet_id: str = INLET
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The invariants every response must keep, whatever was sent; returns the new lines."""
    assert r.status_code in EXPECTED, (r.status_code, r.text[:500])
    accepted, failed = lake.new()
    if r.status_code == 200:
        body = r.json()
        assert set(body) >= {"inletId", "xactionId", "receivedTimeMs"}
        stored = [x["xactionId"] for x in accepted + failed]
        assert stored == [body["xactionId"]]
    elif r.status_code == 207:
        entries = r.json()["responses"]
        # Received is not valid: an entry without a status is in the lake once, accepted or
        # (asynchronous validation) failed; an entry with a status is never accepted.
        ok = [e["xactionId"] for e in entries if "status" not in e]
        stored = [x["xactionId"] for x in accepted + failed]
        assert all(stored.count(x) == 1 for x in ok)
        assert {x["xactionId"] for x in accepted} <= set(ok)
        refused = [e for e in entries if "status" in e]
        for entry in refused:
            assert entry["status"] == entry["statusCode"] == 400
            assert entry["message"].startswith(f"inletId: [{inlet_id}] ")
        assert all(f["xactionId"] in {e["xactionId"] for e in entries} for f in failed)
    else:
        assert r.headers["content-type"] == "application/problem+json"
        problem = r.json()
        assert set(problem) >= {"type", "status", "title", "report"}
        assert problem["status"] == (str(r.status_code) if r.status_code == 401 else r.status_code)
        assert problem["report"]["message"].startswith(f"inletId: [{inlet_id}] ")
        assert accepted == [], "a rejected request left a message in the accepted lake"
    return accepted, failed


# -- strategies --------------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=10,
)

PATHS = [
    (),
    ("header",),
    ("header", "schemaRef"),
    ("header", "schemaRef", "id"),
    ("header", "schemaRef", "contentType"),
    ("header", "imsOrgId"),
    ("header", "datasetId"),
    ("header", "source"),
    ("header", "source", "name"),
    ("header", "flowId"),
    ("header", "xdmSchema"),
    ("header", "createdAt"),
    ("body",),
    ("body", "xdmMeta"),
    ("body", "xdmMeta", "schemaRef"),
    ("body", "xdmMeta", "schemaRef", "id"),
    ("body", "xdmMeta", "xdmSchema"),
    ("body", "xdmEntity"),
    ("body", "xdmEntity", "_id"),
    ("body", "xdmEntity", "timestamp"),
    ("body", "xdmEntity", "identityMap"),
    ("body", "xdmEntity", "identityMap", "ECID"),
    ("body", "xdmEntity", "web", "webPageDetails", "name"),
]


def mutated(path: tuple[str, ...], value: object, delete: bool) -> object:
    """A valid message with the value at ``path`` replaced (or deleted)."""
    message: dict[str, Any] = web_event()
    if not path:
        return value
    parent: Any = message
    for key in path[:-1]:
        if not isinstance(parent, dict):
            return message
        parent = parent.setdefault(key, {})
    if delete:
        parent.pop(path[-1], None)
    else:
        parent[path[-1]] = value
    return message


messages = st.builds(mutated, st.sampled_from(PATHS), json_values, st.booleans())


def encoded(document: object) -> bytes:
    # json.dumps, not orjson: it writes NaN, Infinity and integers past 64 bits.
    return json.dumps(document).encode()


# -- properties --------------------------------------------------------------------------


@FUZZ
@given(message=messages, batch=st.booleans(), siblings=st.integers(0, 3))
def test_wrong_types_in_every_envelope_field(
    fuzz: tuple[TestClient, LakeWatch, Settings], message: object, batch: bool, siblings: int
) -> None:
    client, lake, _ = fuzz
    if batch:
        document: object = {"messages": [web_event() for _ in range(siblings)] + [message]}
        r = client.post(ROUTES[1], content=encoded(document))
    else:
        r = client.post(
            ROUTES[0] + "?syncValidation=true" * (siblings % 2), content=encoded(message)
        )
    check(r, lake)


@FUZZ
@given(
    payload=st.binary(max_size=2000),
    route=st.sampled_from(ROUTES),
    content_type=st.sampled_from(
        [
            None,
            "application/json",
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/json; charset=latin-1",
            "\x00garbage",
        ]
    ),
)
def test_random_bytes(
    fuzz: tuple[TestClient, LakeWatch, Settings],
    payload: bytes,
    route: str,
    content_type: str | None,
) -> None:
    client, lake, _ = fuzz
    headers = {} if content_type is None else {"content-type": content_type}
    check(client.post(route, content=payload, headers=headers), lake)


def _splice(raw: bytes, where: float, junk: bytes) -> bytes:
    """Put ``junk`` inside the first string value at or after a relative position."""
    at = raw.find(b'"', int(len(raw) * where))
    at = raw.find(b'"') if at == -1 else at
    return raw[: at + 1] + junk + raw[at + 1 :]


@FUZZ
@given(
    where=st.floats(0, 1),
    junk=st.sampled_from(
        [
            b"\xff",
            b"\xc3\x28",
            b"\xed\xa0\x80",
            b"\xf8\x88\x80\x80\x80",
            b"\x80",
            b"\\ud800",
            b"\\u0000",
            b"\x00",
            b"\\",
            b'"',
        ]
    ),
    route=st.sampled_from(ROUTES),
)
def test_invalid_utf8_and_broken_escapes(
    fuzz: tuple[TestClient, LakeWatch, Settings], where: float, junk: bytes, route: str
) -> None:
    client, lake, _ = fuzz
    document: object = web_event() if route == ROUTES[0] else {"messages": [web_event()]}
    check(client.post(route, content=_splice(encoded(document), where, junk)), lake)


@FUZZ
@given(
    key=st.sampled_from(["header", "body", "imsOrgId", "datasetId", "xdmEntity", "_id"]),
    value=json_values,
    route=st.sampled_from(ROUTES),
)
def test_duplicate_keys(
    fuzz: tuple[TestClient, LakeWatch, Settings], key: str, value: object, route: str
) -> None:
    client, lake, _ = fuzz
    document: object = web_event() if route == ROUTES[0] else {"messages": [web_event()]}
    raw = encoded(document)
    needle = f'"{key}": '.encode()
    doubled = raw.replace(needle, needle + json.dumps(value).encode() + b", " + needle, 1)
    check(client.post(route, content=doubled), lake)


@settings(FUZZ, max_examples=40)
@given(
    depth=st.integers(1, 20_000),
    opener=st.sampled_from(["[", '{"a":']),
    route=st.sampled_from(ROUTES),
    inside=st.booleans(),
)
def test_deep_nesting(
    fuzz: tuple[TestClient, LakeWatch, Settings], depth: int, opener: str, route: str, inside: bool
) -> None:
    client, lake, conf = fuzz
    closer = "]" if opener == "[" else "}"
    deep = opener * depth + "1" + closer * depth
    if inside:
        message = web_event(eventType="@DEEP@")
        document: object = message if route == ROUTES[0] else {"messages": [message]}
        raw = encoded(document).replace(b'"@DEEP@"', deep.encode())
    else:
        raw = deep.encode()
    r = client.post(route, content=raw)
    check(r, lake)
    if depth > conf.max_json_depth + 3:
        assert r.status_code in (400, 413)


@settings(FUZZ, max_examples=15)
@given(size=st.integers(100_000, 1_300_000), route=st.sampled_from(ROUTES))
def test_huge_strings(fuzz: tuple[TestClient, LakeWatch, Settings], size: int, route: str) -> None:
    client, lake, conf = fuzz
    message = web_event(eventType="x" * size)
    document: object = message if route == ROUTES[0] else {"messages": [message]}
    raw = encoded(document)
    r = client.post(route, content=raw)
    check(r, lake)
    if len(raw) > conf.max_body_bytes:
        assert r.status_code == 413


@functools.cache
def _bomb(deflate: bool) -> bytes:
    """30 MB of JSON whitespace, compressed to about 30 kB."""
    raw = b"[" + b" " * 30_000_000 + b"]"
    return zlib.compress(raw, 9) if deflate else gzip.compress(raw, 9)


def _packed(raw: bytes, encoding: str) -> bytes:
    return zlib.compress(raw) if encoding == "deflate" else gzip.compress(raw)


@settings(FUZZ, max_examples=60)
@given(
    cut=st.floats(0, 1),
    encoding=st.sampled_from(["gzip", "deflate", "x-gzip", "br", "gzip, gzip", "identity"]),
    route=st.sampled_from(ROUTES),
    bomb=st.booleans(),
)
def test_compressed_bodies(
    fuzz: tuple[TestClient, LakeWatch, Settings],
    cut: float,
    encoding: str,
    route: str,
    bomb: bool,
) -> None:
    client, lake, _ = fuzz
    document: object = web_event() if route == ROUTES[0] else {"messages": [web_event()]}
    packed = _bomb(encoding == "deflate") if bomb else _packed(encoded(document), encoding)
    packed = packed[: max(1, int(len(packed) * cut))] if cut < 1 else packed
    r = client.post(route, content=packed, headers={"content-encoding": encoding})
    check(r, lake)
    if bomb and encoding in ("gzip", "x-gzip", "deflate") and cut == 1:
        assert r.status_code == 413


@settings(FUZZ, max_examples=60)
@given(
    authorization=st.one_of(
        st.none(), st.text(max_size=120), st.sampled_from(["Bearer ", "Bearer", "bearer xdmc_"])
    ),
    which=st.sampled_from(["none", "own", "other", "own-mangled"]),
)
def test_authorization_headers(
    fuzz: tuple[TestClient, LakeWatch, Settings], authorization: str | None, which: str
) -> None:
    client, lake, conf = fuzz
    locked = make_inlet(conf, auth_required=True)
    other = make_inlet(conf, auth_required=True)
    _, own = issue_token(conf, locked.id)
    _, foreign = issue_token(conf, other.id)
    header = {
        "none": authorization,
        "own": f"Bearer {own}",
        "other": f"Bearer {foreign}",
        "own-mangled": f"Bearer {own[:-2]}{authorization or ''}",
    }[which]
    headers: dict[str, str | bytes] = {} if header is None else {"authorization": header.encode()}
    r = client.post(f"/collection/{locked.id}", json=web_event(), headers=headers)  # type: ignore[arg-type]
    check(r, lake, locked.id)
    expected = {"own": 200, "other": 403}.get(which)
    if expected is not None:
        assert r.status_code == expected
    elif which == "none":
        assert r.status_code == 401


def test_a_message_that_fails_sync_validation_is_not_stored(
    fuzz: tuple[TestClient, LakeWatch, Settings],
) -> None:
    client, lake, _ = fuzz
    message = copy.deepcopy(web_event())
    message["body"]["xdmEntity"]["_id"] = 42
    r = client.post(ROUTES[0] + "?syncValidation=true", content=encoded(message))
    assert r.status_code == 400
    assert check(r, lake) == ([], [])


def test_batch_size_is_capped(fuzz: tuple[TestClient, LakeWatch, Settings]) -> None:
    client, lake, conf = fuzz
    at_cap = client.post(ROUTES[1], json={"messages": [{}] * conf.max_batch_messages})
    assert at_cap.status_code == 207
    check(at_cap, lake)
    over = client.post(ROUTES[1], json={"messages": [{}] * (conf.max_batch_messages + 1)})
    assert over.status_code == 413
    assert check(over, lake) == ([], [])
