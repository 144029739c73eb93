"""collector/control/audit.py: an append-only log, read back in order and through the CLI."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from collector.cli import main
from collector.control import audit
from collector.control.plane import ControlPlane


@pytest.fixture
def control(tmp_path: Path) -> ControlPlane:
    return ControlPlane(tmp_path / "data" / "control.db")


def test_entries_come_back_in_order_with_their_detail(control: ControlPlane) -> None:
    conn = control.db.conn
    audit.record(
        conn,
        actor="user:a@example.com",
        action="inlet.create",
        object_type="inlet",
        object_id="i1",
        org_id="A@AdobeOrg",
        ip="127.0.0.1",
        detail={"name": "web"},
    )
    audit.record(
        conn,
        actor="cli:root",
        action="profile.erase",
        object_type="profile",
        object_id="p1",
        org_id="B@AdobeOrg",
    )
    found = audit.entries(conn)
    assert [e.action for e in found] == ["inlet.create", "profile.erase"]
    assert found[0].detail == {"name": "web"}
    assert found[0].ip == "127.0.0.1"
    assert [e.object_id for e in audit.entries(conn, org_id="B@AdobeOrg")] == ["p1"]
    assert audit.entries(conn, since="2999-01-01") == []


@pytest.mark.parametrize("sql", ["UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"])
def test_the_log_refuses_updates_and_deletes(control: ControlPlane, sql: str) -> None:
    conn = control.db.conn
    audit.record(conn, actor="cli:root", action="x", object_type="t", object_id="1")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute(sql)
    assert len(audit.entries(conn)) == 1


def test_collector_audit_prints_json(control: ControlPlane, tmp_path: Path) -> None:
    audit.record(
        control.db.conn,
        actor="cli:root",
        action="user.create",
        object_type="user",
        object_id="u@example.com",
    )
    control.close()
    result = CliRunner().invoke(main, ["audit", "--json", "--data-dir", str(tmp_path / "data")])
    assert result.exit_code == 0, result.output
    rows = orjson.loads(result.output)
    assert [(r["action"], r["object_id"]) for r in rows] == [("user.create", "u@example.com")]
