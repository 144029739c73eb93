"""``collector inlets update|delete``: changes take effect on a running app and are audited."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from starlette.testclient import TestClient

from collector.cli import main
from collector.control import audit
from collector.control.plane import ControlPlane
from collector.control.settings import Settings
from tests.conftest import WEB, lake_records, web_event

SHOP = "https://shop.example.com"


def cli(settings: Settings, *args: str, ok: bool = True) -> Result:
    result = CliRunner().invoke(main, [*args, "--data-dir", str(settings.data_dir)])
    if ok:
        assert result.exit_code == 0, result.output
    return result


def cli_json(settings: Settings, *args: str) -> Any:
    return json.loads(cli(settings, *args, "--json").output)


def new_inlet(settings: Settings, *args: str) -> dict[str, Any]:
    return cli_json(
        settings, "inlets", "create", "--org", "DEMO@AdobeOrg", "--name", "site", "--dataset", WEB,
        *args,
    )  # fmt: skip


def eventually(probe: Any, expected: int, seconds: float = 30.0) -> None:
    """The app reloads the control plane within its refresh interval (one second)."""
    deadline = time.monotonic() + seconds
    while (status := probe()) != expected and time.monotonic() < deadline:
        time.sleep(0.05)
    assert status == expected


def audit_log(settings: Settings, inlet_id: str) -> list[audit.AuditEntry]:
    control = ControlPlane(settings.control_db_path)
    try:
        return audit.entries(control.db.conn, object_type="inlet", object_id=inlet_id)
    finally:
        control.close()


def test_update_changes_what_was_given_and_keeps_the_rest(settings: Settings) -> None:
    made = new_inlet(settings, "--description", "first", "--origin", SHOP)
    updated = cli_json(
        settings, "inlets", "update", made["id"], "--name", "renamed", "--auth",
        "--origin", "https://*.example.com", "--origin", "http://localhost:3000",
    )  # fmt: skip
    assert updated["name"] == "renamed" and updated["description"] == "first"
    assert updated["auth_required"] is True
    assert updated["allowed_origins"] == ["https://*.example.com", "http://localhost:3000"]
    cleared = cli_json(settings, "inlets", "update", made["id"], "--no-origins", "--no-auth")
    assert cleared["allowed_origins"] == [] and cleared["auth_required"] is False
    shown = cli_json(settings, "inlets", "show", made["id"])
    assert (shown["name"], shown["allowed_origins"]) == ("renamed", [])

    entries = audit_log(settings, made["id"])
    assert [e.action for e in entries] == ["inlet.create", "inlet.update", "inlet.update"]
    assert {e.actor for e in entries} == {audit.cli_actor()}
    assert all(e.org_id == "DEMO@AdobeOrg" for e in entries)
    assert entries[1].detail["changed"] == {
        "name": ["site", "renamed"],
        "auth_required": [False, True],
        "allowed_origins": [[SHOP], ["https://*.example.com", "http://localhost:3000"]],
    }
    # A no-op update changes nothing and records nothing.
    cli(settings, "inlets", "update", made["id"], "--name", "renamed")
    assert len(audit_log(settings, made["id"])) == 3


@pytest.mark.parametrize(
    "value", ["shop.example.com", "https://shop.example.com/cart", "https://*.com", "ftp://x.y"]
)
def test_a_bad_origin_is_refused_on_create_and_update(settings: Settings, value: str) -> None:
    refused = cli(
        settings, "inlets", "create", "--org", "DEMO@AdobeOrg", "--name", "x", "--origin", value,
        ok=False,
    )  # fmt: skip
    assert refused.exit_code == 1 and repr(value) in refused.output
    made = new_inlet(settings, "--origin", SHOP)
    refused = cli(settings, "inlets", "update", made["id"], "--origin", value, ok=False)
    assert refused.exit_code == 1 and repr(value) in refused.output
    assert cli_json(settings, "inlets", "show", made["id"])["allowed_origins"] == [SHOP]


def test_update_refuses_contradictions_and_unknown_inlets(settings: Settings) -> None:
    made = new_inlet(settings)
    both = cli(settings, "inlets", "update", made["id"], "--origin", SHOP, "--no-origins", ok=False)
    assert both.exit_code == 2 and "exclude each other" in both.output
    unknown = cli(settings, "inlets", "update", "f" * 64, "--name", "x", ok=False)
    assert unknown.exit_code == 1 and f"no inlet {'f' * 64}" in unknown.output


def test_an_origin_change_reaches_the_running_app(client: TestClient, settings: Settings) -> None:
    made = new_inlet(settings, "--origin", SHOP)
    url, other = f"/collection/{made['id']}", "https://other.example.com"

    def status() -> int:
        return client.post(url, json=web_event(), headers={"origin": other}).status_code

    assert status() == 403
    cli(settings, "inlets", "update", made["id"], "--origin", SHOP, "--origin", other)
    eventually(status, 200)


def test_delete_answers_404_keeps_the_lake_and_kills_the_tokens(
    client: TestClient, settings: Settings
) -> None:
    made = new_inlet(settings, "--auth")
    token = cli_json(settings, "tokens", "create", "--inlet", made["id"], "--name", "ci")
    url, auth = f"/collection/{made['id']}", {"authorization": f"Bearer {token['token']}"}
    assert client.post(url, json=web_event(), headers=auth).status_code == 200
    stored = [r for r in lake_records(settings) if r.get("inletId") == made["id"]]
    assert len(stored) == 1

    deleted = cli_json(settings, "inlets", "delete", made["id"])
    assert deleted["id"] == made["id"] and deleted["deleted_at"]
    eventually(lambda: client.post(url, json=web_event(), headers=auth).status_code, 404)
    r = client.post(url, json=web_event(), headers=auth)
    assert r.json()["title"] == "Inlet not found"
    assert client.options(url, headers={"origin": SHOP}).status_code == 404

    assert [r for r in lake_records(settings) if r.get("inletId") == made["id"]] == stored
    [listed] = cli_json(settings, "tokens", "list", "--inlet", made["id"])
    assert listed["revoked_at"] == deleted["deleted_at"]
    assert made["id"] not in {i["id"] for i in cli_json(settings, "inlets", "list")}
    again = cli(settings, "inlets", "delete", made["id"], ok=False)
    assert again.exit_code == 1 and "no inlet" in again.output
    assert cli(settings, "inlets", "show", made["id"], ok=False).exit_code == 1
    no_token = cli(settings, "tokens", "create", "--inlet", made["id"], ok=False)
    assert no_token.exit_code == 1 and f"no inlet {made['id']}" in no_token.output

    entries = audit_log(settings, made["id"])
    assert [e.action for e in entries] == ["inlet.create", "inlet.delete"]
    assert entries[-1].detail == {"tokens_revoked": 1}


def test_limit_changes_are_audited(settings: Settings) -> None:
    made = new_inlet(settings)
    cli(settings, "inlets", "limits", made["id"], "--per-ip-per-second", "5")
    [_, limits] = audit_log(settings, made["id"])
    assert limits.action == "inlet.limits" and limits.actor == audit.cli_actor()
    assert limits.detail == {"changed": {"per_ip_per_second": [None, 5]}}


def test_the_deleted_at_column_comes_from_a_migration(tmp_path: Path) -> None:
    control = ControlPlane(tmp_path / "control.db")
    try:
        names = {row[0] for row in control.db.execute("SELECT name FROM _sqlite_migrations")}
        columns = {c.name for c in control.db["inlets"].columns}
    finally:
        control.close()
    assert "0004_inlet_deleted_at" in names and "deleted_at" in columns
