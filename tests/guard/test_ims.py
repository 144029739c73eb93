"""``POST /ims/token/v3``: tokens for credentials, OAuth 2.0 errors, the failure limit."""

from __future__ import annotations

import time
from typing import Any

import pytest
from starlette.testclient import TestClient

from collector.app import create_app
from collector.control.settings import Settings
from collector.guard import access
from collector.guard.access_tokens import AccessTokens, digest
from tests.access import credentials, ensure_org, headers
from tests.conftest import ORG

TOKEN = "/ims/token/v3"


@pytest.fixture
def issued(settings: Settings) -> Any:
    ensure_org(settings.control_db_path, ORG)
    store = credentials(settings.control_db_path)
    made = store.create(ORG, "tests", ["profile:read", "schemas:read"])
    store.close()
    return made


def _form(issued: Any, **extra: str) -> dict[str, str]:
    return {
        "grant_type": "client_credentials",
        "client_id": issued.credential.client_id,
        "client_secret": issued.client_secret,
        **extra,
    }


def _oauth_error(response: Any, status: int, error: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["error"] == error
    assert body["error_description"]
    assert "xdmcs_" not in response.text


def test_a_token_for_a_credential(client: TestClient, settings: Settings, issued: Any) -> None:
    response = client.post(TOKEN, data=_form(issued))
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == settings.access_token_ttl == 86_400
    assert response.headers["cache-control"] == "no-store"
    token = body["access_token"]
    # Stored as a SHA-256 only.
    store = credentials(settings.control_db_path)
    stored = store.conn.execute("SELECT hash, scopes FROM access_tokens").fetchall()
    store.close()
    assert stored == [(digest(token), "profile:read schemas:read")]
    sent = headers(token, issued.credential.client_id, ORG)
    assert client.get("/schemas", headers=sent).status_code == 200


def test_the_ttl_setting_and_expiry(tmp_path: Any, issued: Any) -> None:
    settings = Settings(data_dir=tmp_path / "data", run_projector=False, access_token_ttl=1)
    with TestClient(create_app(settings)) as client:
        body = client.post(TOKEN, data=_form(issued)).json()
        assert body["expires_in"] == 1
        sent = headers(body["access_token"], issued.credential.client_id, ORG)
        assert client.get("/schemas", headers=sent).status_code == 200
        time.sleep(1.1)
        assert client.get("/schemas", headers=sent).status_code == 401


def test_ttl_comes_from_the_environment() -> None:
    env = {"COLLECTOR_ACCESS_TOKEN_TTL": "600"}
    assert Settings.from_env(env).access_token_ttl == 600


def test_a_scope_subset(client: TestClient, issued: Any) -> None:
    body = client.post(TOKEN, data=_form(issued, scope="openid,AdobeID schemas:read")).json()
    sent = headers(body["access_token"], issued.credential.client_id, ORG)
    assert client.get("/schemas", headers=sent).status_code == 200
    params = {"schema.name": "_xdm.context.profile", "entityId": "x", "entityIdNS": "ecid"}
    assert (
        client.get("/data/core/ups/access/entities", params=params, headers=sent).status_code == 403
    )
    _oauth_error(client.post(TOKEN, data=_form(issued, scope="admin")), 400, "invalid_scope")


def test_bad_requests(client: TestClient, issued: Any) -> None:
    _oauth_error(
        client.post(TOKEN, data=_form(issued, grant_type="password")), 400, "unsupported_grant_type"
    )
    form = _form(issued)
    del form["client_secret"]
    _oauth_error(client.post(TOKEN, data=form), 400, "invalid_request")
    _oauth_error(client.post(TOKEN), 400, "invalid_request")
    _oauth_error(client.post(TOKEN, json=_form(issued)), 400, "invalid_request")
    _oauth_error(
        client.post(
            TOKEN,
            content=b"\xff\xfe",
            headers={"content-type": "application/x-www-form-urlencoded"},
        ),
        400,
        "invalid_request",
    )
    _oauth_error(
        client.post(
            TOKEN,
            content=b"a=" + b"x" * 20_000,
            headers={"content-type": "application/x-www-form-urlencoded"},
        ),
        400,
        "invalid_request",
    )
    twice = "grant_type=client_credentials&client_id=a&client_id=b&client_secret=c"
    _oauth_error(
        client.post(
            TOKEN, content=twice, headers={"content-type": "application/x-www-form-urlencoded"}
        ),
        400,
        "invalid_request",
    )
    assert client.get(TOKEN).status_code == 405


def test_bad_client_credentials_are_one_answer(client: TestClient, issued: Any) -> None:
    wrong = client.post(TOKEN, data=_form(issued, client_secret="xdmcs_wrong"))
    unknown = client.post(TOKEN, data=_form(issued, client_id="f" * 32))
    for response in (wrong, unknown):
        _oauth_error(response, 401, "invalid_client")
    assert wrong.json() == unknown.json()


def test_rotation_and_revocation_kill_secrets_and_tokens(
    client: TestClient, settings: Settings, issued: Any
) -> None:
    client_id = issued.credential.client_id
    old_token = client.post(TOKEN, data=_form(issued)).json()["access_token"]
    store = credentials(settings.control_db_path)
    rotated = store.rotate(issued.credential.id)
    store.close()
    assert client.get("/schemas", headers=headers(old_token, client_id, ORG)).status_code == 401
    _oauth_error(client.post(TOKEN, data=_form(issued)), 401, "invalid_client")
    new_token = client.post(TOKEN, data=_form(rotated)).json()["access_token"]
    assert client.get("/schemas", headers=headers(new_token, client_id, ORG)).status_code == 200
    store = credentials(settings.control_db_path)
    store.revoke(client_id)
    store.close()
    time.sleep(2.1)  # the token cache
    assert client.get("/schemas", headers=headers(new_token, client_id, ORG)).status_code == 401
    _oauth_error(client.post(TOKEN, data=_form(rotated)), 401, "invalid_client")


def test_failures_are_limited_per_client_id(client: TestClient, issued: Any) -> None:
    limit = access.TOKEN_FAILURES.limit
    for _ in range(limit):
        _oauth_error(
            client.post(TOKEN, data=_form(issued, client_secret="bad")), 401, "invalid_client"
        )
    refused = client.post(TOKEN, data=_form(issued))  # even the right secret, now
    _oauth_error(refused, 429, "too_many_requests")
    retry_after = int(refused.headers["retry-after"])
    assert 1 <= retry_after <= access.TOKEN_FAILURES.window_seconds


def test_failures_are_limited_per_ip(client: TestClient, issued: Any) -> None:
    limit = access.TOKEN_FAILURES.limit
    for n in range(limit):
        client.post(TOKEN, data=_form(issued, client_id=f"{n:032x}"))
    _oauth_error(client.post(TOKEN, data=_form(issued)), 429, "too_many_requests")


def test_the_window_slides(settings: Settings) -> None:
    from collector.guard.failures import Failures, Policy

    now = [1_800_000_000.0]
    ensure_org(settings.control_db_path, ORG)
    failures = Failures(settings.control_db_path, Policy(3, 60), clock=lambda: now[0])
    try:
        for _ in range(3):
            assert failures.retry_after(["k"]) == 0
            failures.record(["k"])
            now[0] += 10
        assert failures.retry_after(["k"]) == 30  # failures at 0, 10, 20: the first leaves at 60
        assert failures.retry_after(["other"]) == 0
        now[0] += 29
        assert failures.retry_after(["k"]) == 1
        now[0] += 1
        assert failures.retry_after(["k"]) == 0
    finally:
        failures.close()


def test_lookup_refuses_malformed_tokens(settings: Settings) -> None:
    ensure_org(settings.control_db_path, ORG)
    tokens = AccessTokens(settings.control_db_path, ttl_seconds=60)
    try:
        for presented in ("", "Bearer", "xdmat_", "x" * 4096, "xdmat_" + "a" * 200):
            assert tokens.lookup(presented) is None
    finally:
        tokens.close()
