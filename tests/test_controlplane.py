"""The control plane: migrations, the hot-path cache, and changes made by other processes."""

from __future__ import annotations

from pathlib import Path

import pytest

from collector.control.plane import ControlPlane, ControlPlaneError
from collector.control.settings import Settings


def test_migrations_apply_once(tmp_path: Path) -> None:
    path = tmp_path / "control.db"
    first = ControlPlane(path)
    first.close()
    again = ControlPlane(path)
    tables = set(again.db.table_names())
    assert {"orgs", "datasets", "inlets", "_sqlite_migrations"} <= tables
    rows = list(again.db.query("SELECT name FROM _sqlite_migrations"))
    assert len(rows) == len({r["name"] for r in rows})
    again.close()


def test_cache_sees_changes_from_another_connection(tmp_path: Path) -> None:
    now = [0.0]
    path = tmp_path / "control.db"
    web = ControlPlane(path, clock=lambda: now[0])
    cli = ControlPlane(path)
    cli.create_org("A@AdobeOrg", "A")
    inlet = cli.create_inlet(org_id="A@AdobeOrg", name="i")
    assert web.inlet(inlet.id) == inlet  # a miss reloads at once
    cli.db.execute("UPDATE inlets SET name = 'renamed' WHERE id = ?", [inlet.id])
    assert web.inlet(inlet.id).name == "i"  # type: ignore[union-attr]  # within the interval
    now[0] += 2
    assert web.inlet(inlet.id).name == "renamed"  # type: ignore[union-attr]
    web.close()
    cli.close()


def test_ids_are_validated(tmp_path: Path) -> None:
    control = ControlPlane(tmp_path / "c.db")
    control.create_org("A@AdobeOrg", "A")
    with pytest.raises(ControlPlaneError):
        control.create_inlet(org_id="A@AdobeOrg", name="x", inlet_id="XYZ")
    with pytest.raises(ControlPlaneError):
        control.create_dataset(org_id="A@AdobeOrg", name="x", schema_id="s", dataset_id="1")
    with pytest.raises(ControlPlaneError):
        control.create_dataset(
            org_id="A@AdobeOrg", name="x", schema_id="s", known_schema=lambda s: False
        )
    control.close()


def test_settings_from_env() -> None:
    s = Settings.from_env(
        {
            "COLLECTOR_DATA_DIR": "/x",
            "COLLECTOR_SEED_DEMO": "false",
            "COLLECTOR_MAX_BODY_BYTES": "5",
            "COLLECTOR_IP_POLICY": "hash",
        }
    )
    assert s.data_dir == Path("/x") and s.seed_demo is False and s.max_body_bytes == 5
    assert s.ip_policy == "hash"
    with pytest.raises(ValueError):
        Settings.from_env({"COLLECTOR_IP_POLICY": "everything"})
    with pytest.raises(ValueError):
        Settings.from_env({"COLLECTOR_SEED_DEMO": "maybe"})
    assert Settings.from_env({}, data_dir=Path("/y")).data_dir == Path("/y")
