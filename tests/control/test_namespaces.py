"""Per-inlet identity namespace lists: stored, audited, and applied by the projector."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner

from collector.cli import main
from collector.control import namespaces
from collector.control.audit import cli_actor
from collector.control.plane import ControlPlane, ControlPlaneError
from collector.control.settings import Settings
from collector.lake.segments import read_records, segments
from collector.profile.projector import project_once
from collector.profile.replay import replay
from tests.profile.lakefixture import EVENT_SCHEMA, Lake, dump, ids, rows, settings_for

ORG = "SHOP@AdobeOrg"


def cli(settings: Settings, *args: str) -> Any:
    result = CliRunner().invoke(main, [*args, "--data-dir", str(settings.data_dir)])
    return result


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Settings, str, str, str]:
    settings = settings_for(tmp_path)
    control = ControlPlane(settings.control_db_path)
    control.create_org(ORG, "Shop")
    dataset = control.create_dataset(
        org_id=ORG, name="web", schema_id=EVENT_SCHEMA, profile_enabled=True
    )
    public = control.create_inlet(org_id=ORG, name="site", default_dataset_id=dataset.id)
    trusted = control.create_inlet(org_id=ORG, name="crm", auth_required=True)
    control.close()
    return settings, dataset.id, public.id, trusted.id


def test_cli_sets_shows_and_clears_a_list_and_audits_it(
    setup: tuple[Settings, str, str, str],
) -> None:
    settings, _, _, _ = setup
    created = cli(
        settings,
        "inlets",
        "create",
        "--org",
        ORG,
        "--name",
        "beacons",
        "--identity-namespace",
        "ECID",
        "--identity-namespace",
        " ecid ",
        "--json",
    )
    assert created.exit_code == 0, created.output
    inlet_id = orjson.loads(created.output)["id"]
    assert orjson.loads(created.output)["identity_namespaces"] == ["ecid"]
    shown = cli(settings, "inlets", "namespaces", inlet_id, "--json")
    assert orjson.loads(shown.output) == {"inlet_id": inlet_id, "identity_namespaces": ["ecid"]}
    changed = cli(
        settings, "inlets", "namespaces", inlet_id, "--identity-namespace", "Email", "--json"
    )
    assert orjson.loads(changed.output)["identity_namespaces"] == ["email"]
    cleared = cli(settings, "inlets", "namespaces", inlet_id, "--all", "--json")
    assert orjson.loads(cleared.output)["identity_namespaces"] is None

    audit = rows_of(
        settings,
        "SELECT actor, action, object_id, detail FROM audit_log"
        " WHERE action = 'inlet.identity_namespaces'",
    )
    assert [(a, act, obj) for a, act, obj, _ in audit] == [
        (cli_actor(), "inlet.identity_namespaces", inlet_id)
    ] * 3
    assert [orjson.loads(d)["identityNamespaces"] for *_, d in audit] == [
        ["ecid"],
        ["email"],
        None,
    ]


def test_bad_input_is_refused_with_a_clear_error(setup: tuple[Settings, str, str, str]) -> None:
    settings, _, public, _ = setup
    bad = cli(settings, "inlets", "create", "--org", ORG, "--name", "x", "--identity-namespace", "")
    assert bad.exit_code != 0 and "not an identity namespace code" in bad.output
    assert len(rows_of(settings, "SELECT id FROM inlets")) == 2  # nothing was created
    unknown = cli(settings, "inlets", "namespaces", "0" * 64)
    assert unknown.exit_code != 0 and "no inlet" in unknown.output
    both = cli(settings, "inlets", "namespaces", public, "--all", "--identity-namespace", "ECID")
    assert both.exit_code != 0 and "exclude each other" in both.output
    control = ControlPlane(settings.control_db_path)
    try:
        with pytest.raises(ControlPlaneError):
            namespaces.set_allowed(control, public, ["a,b"], actor="test")
    finally:
        control.close()


def rows_of(settings: Settings, sql: str) -> list[tuple[Any, ...]]:
    control = ControlPlane(settings.control_db_path)
    try:
        return [tuple(r) for r in control.db.conn.execute(sql).fetchall()]
    finally:
        control.close()


def test_the_projector_ignores_and_counts_identities_an_inlet_may_not_assert(
    setup: tuple[Settings, str, str, str],
) -> None:
    settings, dataset_id, public, trusted = setup
    control = ControlPlane(settings.control_db_path)
    namespaces.set_allowed(control, public, ["ECID"], actor="test")
    control.close()
    lake = Lake(settings)

    def send(inlet_id: str, identity_map: dict[str, Any], event_id: str) -> None:
        entity = {"_id": event_id, "timestamp": "2026-01-01T00:00:00Z", "identityMap": identity_map}
        doc = lake.line(dataset_id, entity)
        doc["inletId"] = inlet_id
        lake.write(dataset_id, doc)

    # An anonymous beacon tries to link a device to someone's e-mail: only ECID counts.
    send(public, ids(ECID="attacker-device", Email="victim@example.com"), "e1")
    send(trusted, ids(ECID="victim-device", Email="victim@example.com"), "e2")
    project_once(settings)

    profiles = dict(rows(settings, "SELECT namespace || ':' || id, profile_id FROM identities"))
    assert profiles["ecid:victim-device"] == profiles["email:victim@example.com"]
    assert profiles["ecid:attacker-device"] != profiles["email:victim@example.com"]
    counters = dict(rows(settings, "SELECT name, value FROM projector_counters"))
    assert counters["identities_not_allowed"] == 1
    assert counters["events_applied"] == 2  # the message itself is applied, and kept
    in_lake = [r["entity"]["_id"] for p in segments(settings.lake_dir) for r in read_records(p)]  # type: ignore[index]
    assert in_lake == ["e1", "e2"]
    before = dump(settings.profile_db_path)
    replay(settings)
    assert {k: v for k, v in dump(settings.profile_db_path).items() if k != "checkpoints"} == {
        k: v for k, v in before.items() if k != "checkpoints"
    }
