"""Authenticated inlets: tokens made, listed, revoked; 401 and 403 in the contract's shape."""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from collector.app import create_app
from collector.cli import main
from collector.control import seed
from collector.control.plane import ControlPlane
from collector.control.settings import Settings
from collector.guard.tokens import TokenError, TokenStore
from tests.conftest import INLET, accepted, lake_records, web_event
from tests.guard.conftest import issue_token, make_inlet

AUTH_TYPE = "https://ns.adobe.com/adobecloud/problem/data-collection-service-authorization"


@pytest.fixture
def store(settings: Settings) -> Iterator[TokenStore]:
    ControlPlane(settings.control_db_path).close()  # applies the migrations
    counter = itertools.count(1)
    tokens = TokenStore(settings.control_db_path, random_bytes=lambda n: bytes([next(counter)]) * n)
    yield tokens  # type: ignore[misc]
    tokens.close()


def demo_inlet(settings: Settings) -> str:
    """Seed the demo into the data dir (no app running) and return its inlet id."""
    control = ControlPlane(settings.control_db_path)
    seed.ensure_demo(control, public_url=settings.public_url, inlet_id=INLET)
    control.close()
    return INLET


def post(client: TestClient, inlet_id: str, authorization: str | None = None) -> httpx2.Response:
    headers = {} if authorization is None else {"authorization": authorization}
    return client.post(f"/collection/{inlet_id}", json=web_event(), headers=headers)


def assert_auth_problem(r: httpx2.Response, status: int, inlet_id: str, says: str) -> None:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["type"] == AUTH_TYPE
    # DCS sends 401 as a string; other statuses are numbers.
    assert body["status"] == ("401" if status == 401 else status)
    assert body["title"] == ("Authorization" if status == 401 else "Forbidden")
    assert body["report"]["message"] == f"inletId: [{inlet_id}] imsOrgId: [DEMO@AdobeOrg] {says}"


# -- the store ---------------------------------------------------------------------------


def test_a_token_is_stored_only_as_its_hash(store: TokenStore, settings: Settings) -> None:
    issued = store.create(demo_inlet(settings), "ci")
    assert issued.secret.startswith(f"xdmc_{issued.token.id}_")
    assert issued.token.id == "01" * 8
    assert len(issued.secret) == 5 + 16 + 1 + 43
    (stored,) = store._conn.execute("SELECT hash FROM tokens").fetchone()
    assert stored == hashlib.sha256(issued.secret.encode()).hexdigest()
    store.close()
    secret_part = issued.secret.rsplit("_", 1)[-1].encode()
    for path in settings.data_dir.rglob("*"):
        if path.is_file():
            assert secret_part not in path.read_bytes(), path


def test_verification(store: TokenStore, settings: Settings) -> None:
    issued = store.create(demo_inlet(settings))
    assert store.inlet_of(issued.secret) == INLET
    forged = issued.secret[:-4] + ("AAAA" if not issued.secret.endswith("AAAA") else "BBBB")
    for wrong in (forged, issued.secret + "x", "", "xdmc_", issued.secret.upper(), "Bearer x"):
        assert store.inlet_of(wrong) is None
    store.revoke(issued.token.id)
    assert store.inlet_of(issued.secret) is None


def test_list_and_revoke(store: TokenStore, settings: Settings) -> None:
    inlet = demo_inlet(settings)
    first = store.create(inlet, "a").token
    second = store.create(inlet, "b").token
    assert [t.id for t in store.list()] == [first.id, second.id]
    assert store.list("f" * 64) == []
    revoked = store.revoke(first.id)
    assert revoked.revoked_at is not None
    assert store.revoke(first.id) == revoked  # idempotent
    with pytest.raises(TokenError):
        store.revoke("0" * 16)
    with pytest.raises(TokenError):
        store.create("f" * 64)


# -- over HTTP ---------------------------------------------------------------------------


def test_missing_unknown_and_malformed_tokens_get_401(
    client: TestClient, settings: Settings
) -> None:
    inlet = make_inlet(settings, auth_required=True)
    _, secret = issue_token(settings, inlet.id)
    missing = "Authorization header is missing: this inlet requires a token"
    invalid = "Authorization token is invalid or revoked"
    assert_auth_problem(post(client, inlet.id), 401, inlet.id, missing)
    assert_auth_problem(post(client, inlet.id, "Bearer "), 401, inlet.id, missing)
    unknown = f"xdmc_{'0' * 16}_{secret.rsplit('_', 1)[1]}"
    for presented in (unknown, "Bearer {{ACCESS_TOKEN}}", "Basic dXNlcjpwYXNz", secret[:-1]):
        assert_auth_problem(post(client, inlet.id, presented), 401, inlet.id, invalid)
    assert accepted(settings) == [] and lake_records(settings) == []


def test_valid_tokens_are_accepted_and_recorded(client: TestClient, settings: Settings) -> None:
    inlet = make_inlet(settings, auth_required=True)
    _, secret = issue_token(settings, inlet.id)
    for header in (f"Bearer {secret}", f"bearer   {secret}", secret):
        assert post(client, inlet.id, header).status_code == 200
    batch = client.post(
        f"/collection/batch/{inlet.id}",
        json={"messages": [web_event()]},
        headers={"authorization": f"Bearer {secret}"},
    )
    assert batch.status_code == 207
    records = accepted(settings)
    assert len(records) == 4
    assert all(r["authenticatedRequest"] is True for r in records)


def test_unauthenticated_inlets_ignore_the_header(client: TestClient, settings: Settings) -> None:
    other = make_inlet(settings, auth_required=True)
    _, secret = issue_token(settings, other.id)
    for header in (None, "Bearer {{ACCESS_TOKEN}}", f"Bearer {secret}", "garbage"):
        assert post(client, INLET, header).status_code == 200
    assert [r["authenticatedRequest"] for r in accepted(settings)] == [False] * 4


def test_a_token_of_another_inlet_gets_403(client: TestClient, settings: Settings) -> None:
    mine = make_inlet(settings, auth_required=True)
    theirs = make_inlet(settings, auth_required=True)
    _, secret = issue_token(settings, theirs.id)
    says = "Authorization token is not allowed for this inlet"
    assert_auth_problem(post(client, mine.id, f"Bearer {secret}"), 403, mine.id, says)
    assert post(client, theirs.id, f"Bearer {secret}").status_code == 200


def test_revocation_applies_at_once_in_every_worker(settings: Settings, tmp_path: Path) -> None:
    with TestClient(create_app(settings)) as one, TestClient(create_app(settings)) as two:
        inlet = make_inlet(settings, auth_required=True)
        token_id, secret = issue_token(settings, inlet.id)
        assert post(one, inlet.id, f"Bearer {secret}").status_code == 200
        assert post(two, inlet.id, f"Bearer {secret}").status_code == 200
        result = CliRunner().invoke(
            main, ["tokens", "revoke", token_id, "--data-dir", str(settings.data_dir)]
        )
        assert result.exit_code == 0, result.output
        for worker in (one, two):
            assert post(worker, inlet.id, f"Bearer {secret}").status_code == 401


# -- the command line --------------------------------------------------------------------


def test_cli_create_list_revoke(settings: Settings) -> None:
    data = ["--data-dir", str(settings.data_dir)]
    inlet = demo_inlet(settings)
    runner = CliRunner()
    created = runner.invoke(main, ["tokens", "create", "--inlet", inlet, "--name", "ci", *data])
    assert created.exit_code == 0, created.output
    secret = created.stdout.strip()
    assert secret.startswith("xdmc_")
    assert "not shown again" in created.stderr
    listed = runner.invoke(main, ["tokens", "list", "--inlet", inlet, "--json", *data])
    (row,) = json.loads(listed.stdout)
    assert set(row) == {"id", "inlet_id", "name", "created_at", "revoked_at"}
    assert row["name"] == "ci" and row["revoked_at"] is None
    assert secret.rsplit("_", 1)[1] not in listed.stdout
    table = runner.invoke(main, ["tokens", "list", *data]).stdout
    assert row["id"] in table and "xdmc_" not in table
    revoked = runner.invoke(main, ["tokens", "revoke", row["id"], "--json", *data])
    assert json.loads(revoked.stdout)[0]["revoked_at"] is not None
    unknown = runner.invoke(main, ["tokens", "revoke", "nope", *data])
    assert unknown.exit_code != 0 and "no token nope" in unknown.output
    no_inlet = runner.invoke(main, ["tokens", "create", "--inlet", "f" * 64, *data])
    assert no_inlet.exit_code != 0 and "no inlet" in no_inlet.output


def test_cli_inlet_limits(settings: Settings) -> None:
    data = ["--data-dir", str(settings.data_dir)]
    demo_inlet(settings)
    runner = CliRunner()
    created = runner.invoke(
        main,
        [
            "inlets",
            "create",
            "--org",
            seed.DEMO_ORG,
            "--name",
            "x",
            "--auth",
            "--requests-per-second",
            "5",
            "--per-ip-per-second",
            "2",
            "--json",
            *data,
        ],
    )
    assert created.exit_code == 0, created.output
    inlet = json.loads(created.stdout)
    assert inlet["requests_per_second"] == 5 and inlet["per_ip_per_second"] == 2
    assert inlet["auth_required"] is True and inlet["messages_per_second"] is None
    changed = runner.invoke(
        main,
        [
            "inlets",
            "limits",
            inlet["id"],
            "--requests-per-second",
            "default",
            "--sync-per-minute",
            "10",
            "--json",
            *data,
        ],
    )
    rows = {r["limit"]: r for r in json.loads(changed.stdout)}
    assert rows["requests_per_second"] == {
        "limit": "requests_per_second",
        "value": None,
        "effective": 1000,
    }
    assert rows["sync_per_minute"]["effective"] == 10
    assert rows["per_ip_per_second"]["value"] == 2
    bad = runner.invoke(main, ["inlets", "limits", inlet["id"], "--sync-per-minute", "-1", *data])
    assert bad.exit_code == 2
    bad = runner.invoke(main, ["inlets", "limits", inlet["id"], "--sync-per-minute", "x", *data])
    assert bad.exit_code == 2 and "neither a count nor 'default'" in bad.output
    unknown = runner.invoke(main, ["inlets", "limits", "f" * 64, *data])
    assert unknown.exit_code == 1 and "no inlet" in unknown.output
