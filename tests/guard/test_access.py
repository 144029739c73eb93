"""Every protected route x every way a credential can be wrong, against the real app.

A case is a route (profile lookup and erasure, monitoring, the schema registry) and a caller:
no token, an expired token, a token of a revoked credential, a token of another org, a token
without the route's scope, a wrong ``x-api-key``, another sandbox; and the right scope, which
must reach the data.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from starlette.testclient import TestClient

from collector.app import create_app
from collector.control import audit, seed
from collector.control.settings import Settings
from collector.guard.access_tokens import AccessTokens
from collector.profile import ledger
from collector.profile.projector import project_once
from collector.profile.routes import PATH
from tests.access import credentials, grant, headers
from tests.conftest import ORG, web_event
from tests.demo import INLET as DEMO_INLET

OTHER_ORG = "OTHER@AdobeOrg"
EMAIL = "ann@example.com"
WEB_SCHEMA = seed.WEB_EVENTS_SCHEMA
LOOKUP = {"schema.name": "_xdm.context.profile", "entityId": EMAIL, "entityIdNS": "email"}


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    url: str
    scope: str
    check: Callable[[Any], None]


def _profile_found(body: Any) -> None:
    [profile] = body.values()
    assert profile["entity"]["person"] == {"name": {"firstName": "Ann"}}


def _erased(body: Any) -> None:  # a privacy job, accepted (202)
    assert body["action"] == "delete" and body["imsOrgId"] == seed.DEMO_ORG
    assert {"namespace": "email", "type": "standard", "value": EMAIL} in body["userIds"]


def _datasets(body: Any) -> None:
    assert {d["datasetId"] for d in body["datasets"]} == {seed.WEB_EVENTS, seed.PROFILES}


def _schemas(body: Any) -> None:
    assert seed.WEB_EVENTS_SCHEMA in {s["id"] for s in body["schemas"]}


def _schema(body: Any) -> None:
    assert body["$id"] == seed.WEB_EVENTS_SCHEMA


ROUTES = [
    Case("profile-get", "GET", PATH, "profile:read", _profile_found),
    Case("profile-delete", "DELETE", PATH, "profile:delete", _erased),
    Case("monitoring", "GET", "/monitoring/datasets", "monitoring:read", _datasets),
    Case("schemas", "GET", "/schemas", "schemas:read", _schemas),
    Case(
        "schema",
        "GET",
        "/schemas/" + quote(seed.WEB_EVENTS_SCHEMA, safe=""),
        "schemas:read",
        _schema,
    ),
]


def _profile_record(email: str, first: str) -> dict[str, Any]:
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


@pytest.fixture
def app_client(settings: Settings) -> Iterator[TestClient]:
    """The real app with the demo seeded and one profile (Ann) projected."""
    with TestClient(create_app(settings)) as client:
        record = _profile_record(EMAIL, "Ann")
        assert client.post(f"/collection/{DEMO_INLET}", json=record).status_code == 200
        project_once(settings)
        yield client


def _call(client: TestClient, case: Case, sent: dict[str, str]) -> Any:
    params = LOOKUP if case.url == PATH else None
    return client.request(case.method, case.url, params=params, headers=sent)


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["title"] and body["type"]
    assert body["report"]["message"]
    return body


def _caller(kind: str, settings: Settings, case: Case) -> dict[str, str]:
    db = settings.control_db_path
    if kind == "no-token":
        return {"x-api-key": "whoever", "x-gw-ims-org-id": ORG}
    if kind == "garbage-token":
        return headers("xdmat_not-a-token", "whoever", ORG)
    if kind == "expired":
        return grant(db, ORG, [case.scope], ttl_seconds=60, clock=lambda: time.time() - 61).headers
    if kind == "revoked":
        granted = grant(db, ORG, [case.scope])
        store = credentials(db)
        store.revoke(granted.credential_id)
        store.close()
        return granted.headers
    if kind == "other-org":
        # A live token of another org, presented for ORG: 403 (not the token's org).
        granted = grant(db, OTHER_ORG, [case.scope])
        return headers(granted.token, granted.client_id, ORG)
    if kind == "missing-scope":
        other = "debug:read"
        return grant(db, ORG, [other]).headers
    if kind == "wrong-api-key":
        granted = grant(db, ORG, [case.scope])
        return headers(granted.token, "0" * 32, ORG)
    if kind == "other-sandbox":
        return grant(db, ORG, [case.scope]).headers | {"x-sandbox-name": "dev"}
    if kind == "right-scope":
        return grant(db, ORG, [case.scope]).headers | {"x-sandbox-name": "prod"}
    if kind == "admin":
        return grant(db, ORG, ["admin"]).headers
    raise AssertionError(kind)


EXPECTED = {
    "no-token": 401,
    "garbage-token": 401,
    "expired": 401,
    "revoked": 401,
    "other-org": 403,
    "missing-scope": 403,
    "wrong-api-key": 403,
    "other-sandbox": 403,
    "right-scope": 200,
    "admin": 200,
}


@pytest.mark.parametrize("kind", list(EXPECTED))
@pytest.mark.parametrize("case", ROUTES, ids=[c.name for c in ROUTES])
def test_protected_route(app_client: TestClient, settings: Settings, case: Case, kind: str) -> None:
    response = _call(app_client, case, _caller(kind, settings, case))
    status = EXPECTED[kind]
    if status == 200:
        assert response.status_code == (202 if case.method == "DELETE" else 200), response.text
        case.check(response.json())
        return
    _problem(response, status)
    if status == 401:
        assert response.headers["www-authenticate"].startswith("Bearer")
    assert EMAIL not in response.text and "Ann" not in response.text


def test_the_scope_of_another_route_does_not_open_this_one(
    app_client: TestClient, settings: Settings
) -> None:
    reader = grant(settings.control_db_path, ORG, ["profile:read"]).headers
    assert app_client.get(PATH, params=LOOKUP, headers=reader).status_code == 200
    _problem(app_client.delete(PATH, params=LOOKUP, headers=reader), 403)
    _problem(app_client.get("/monitoring/datasets", headers=reader), 403)
    _problem(app_client.get("/schemas", headers=reader), 403)


def test_a_profile_of_another_org_is_not_found_exactly_like_a_missing_one(
    app_client: TestClient, settings: Settings
) -> None:
    other = grant(settings.control_db_path, OTHER_ORG, ["profile:read", "profile:delete"])
    theirs = app_client.get(PATH, params=LOOKUP, headers=other.headers)
    missing = app_client.get(
        PATH, params={**LOOKUP, "entityId": "nobody@example.com"}, headers=other.headers
    )
    _problem(theirs, 404)
    assert theirs.json()["type"] == missing.json()["type"]
    assert theirs.json()["title"] == missing.json()["title"]
    # An erasure is a job of the caller's own org: it can only ever touch that org's data.
    job = app_client.delete(PATH, params=LOOKUP, headers=other.headers)
    assert job.status_code == 202 and job.json()["imsOrgId"] == OTHER_ORG
    events = {
        "schema.name": "_xdm.context.experienceevent",
        "relatedSchema.name": "_xdm.context.profile",
        "relatedEntityId": EMAIL,
        "relatedEntityIdNS": "email",
    }
    _problem(app_client.get(PATH, params=events, headers=other.headers), 404)
    # Still there for its own org: the other org's erasure did not touch it.
    mine = grant(settings.control_db_path, ORG, ["profile:read"]).headers
    assert app_client.get(PATH, params=LOOKUP, headers=mine).status_code == 200
    assert app_client.get(PATH, params=events, headers=mine).status_code == 200


def test_monitoring_lists_only_the_callers_datasets(
    app_client: TestClient, settings: Settings
) -> None:
    other = grant(settings.control_db_path, OTHER_ORG, ["monitoring:read"])
    response = app_client.get("/monitoring/datasets", headers=other.headers)
    assert response.status_code == 200
    assert response.json() == {"datasets": []}


def test_every_profile_read_and_erasure_is_audited(
    app_client: TestClient, settings: Settings
) -> None:
    granted = grant(settings.control_db_path, ORG, ["profile:read", "profile:delete"])
    assert app_client.get(PATH, params=LOOKUP, headers=granted.headers).status_code == 200
    missing = {**LOOKUP, "entityId": "nobody@example.com"}
    assert app_client.get(PATH, params=missing, headers=granted.headers).status_code == 404
    assert app_client.delete(PATH, params=LOOKUP, headers=granted.headers).status_code == 202
    store = credentials(settings.control_db_path)
    entries = [e for e in audit.entries(store.conn) if e.object_type == "identity"]
    store.close()
    key = ledger.secret(settings.data_dir)  # identities are named by their keyed hash

    def named(identity: str) -> str:
        return f"email:{ledger.digest(key, ORG, 'email', identity)}"

    assert [(e.action, e.object_id, e.detail["status"]) for e in entries] == [
        ("profile.read", named(EMAIL), 200),
        ("profile.read", named("nobody@example.com"), 404),
        ("profile.erase", named(EMAIL), 202),
    ]
    assert not [e for e in entries if EMAIL in e.object_id]
    assert {e.actor for e in entries} == {f"credential:{granted.client_id}"}
    assert {e.org_id for e in entries} == {ORG}
    assert {e.ip for e in entries} == {"testclient"}


def test_a_revocation_is_seen_within_the_token_cache(settings: Settings) -> None:
    now = [time.time()]
    granted = grant(settings.control_db_path, ORG, ["schemas:read"])
    tokens = AccessTokens(settings.control_db_path, ttl_seconds=3600, clock=lambda: now[0])
    try:
        assert tokens.lookup(granted.token) is not None
        store = credentials(settings.control_db_path)
        store.revoke(granted.credential_id)
        store.close()
        assert tokens.lookup(granted.token) is not None  # cached
        now[0] += 2.5
        assert tokens.lookup(granted.token) is None
    finally:
        tokens.close()


def test_public_routes_need_no_credential(client: TestClient) -> None:
    assert client.get("/health").status_code == 200
    assert client.get("/openapi.json").status_code == 200
    assert client.post(f"/collection/{DEMO_INLET}", json=web_event()).status_code == 200
