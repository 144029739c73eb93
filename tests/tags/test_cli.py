"""``collector properties``: create, list, export, import, publish, refusals, ``migrate``."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from collector.cli import main
from collector.control import seed
from collector.control.plane import ControlPlane
from tests.demo import INLET
from tests.tags.conftest import beacon_rule

Run = Callable[..., Result]
SET = "xdm-collector.tags"


@pytest.fixture
def run(tmp_path: Path) -> Run:
    data = tmp_path / "data"
    control = ControlPlane(data / "control.db")
    seed.ensure_demo(control, public_url="http://127.0.0.1:8000", inlet_id=INLET)
    control.close()
    runner = CliRunner()

    def invoke(*args: str, ok: bool = True) -> Result:
        result = runner.invoke(main, [*args, "--data-dir", str(data)])
        if ok:
            assert result.exit_code == 0, result.output
        return result

    return invoke


def test_create_list_export_import_publish(run: Run, tmp_path: Path) -> None:
    file = tmp_path / "property.json"
    file.write_text(json.dumps({"rules": [beacon_rule("go", ("eventType", "x"))]}))
    made = json.loads(
        run(
            "properties",
            "create",
            "--org",
            seed.DEMO_ORG,
            "--name",
            "Shop",
            "--file",
            str(file),
            "--json",
        ).output
    )
    assert made["rules"] == 1 and made["id"].startswith("PR")
    listed = json.loads(run("properties", "list", "--json").output)
    assert [p["id"] for p in listed] == [made["id"]]
    table = run("properties", "list", "--org", seed.DEMO_ORG).output
    assert made["id"] in table and "Shop" in table
    exported = json.loads(run("properties", "export", made["id"]).output)
    assert exported["extension"]["inletId"] == INLET
    exported["name"] = "Shop 2"
    file.write_text(json.dumps(exported))
    updated = json.loads(run("properties", "import", str(file), "--json").output)
    assert (updated["id"], updated["name"], updated["created"]) == (made["id"], "Shop 2", False)
    for version in (1, 2):  # each publish is a new build
        published = json.loads(
            run("properties", "publish", made["id"], "--env", "staging", "--json").output
        )
        assert published["version"] == version
    assert published["url"] == f"http://127.0.0.1:8000/tags/{made['id']}/staging.js"
    text = run("properties", "publish", made["id"], "--env", "production").output
    assert "version: 3" in text and f"/tags/{made['id']}/production.js" in text


def test_refusals_are_clear_and_fail(run: Run, tmp_path: Path) -> None:
    file = tmp_path / "bad.json"
    file.write_text(json.dumps({"rules": [beacon_rule("cart", ("productListItems[0].sku", 1))]}))
    result = run(
        "properties", "create", "--org", seed.DEMO_ORG, "--name", "x", "--file", str(file), ok=False
    )
    assert result.exit_code == 1
    assert "rule 1 'cart', action 1 (actions/sendBeacon), mapping row 1" in result.output
    assert "productListItems[0] has no field 'sku'" in result.output
    file.write_text("{not json")
    assert "is not JSON" in run("properties", "import", str(file), ok=False).output
    assert "no property" in run("properties", "export", "PR" + "0" * 32, ok=False).output
    bad_env = run("properties", "publish", "PR" + "0" * 32, "--env", "prod", ok=False)
    assert bad_env.exit_code == 2 and "prod" in bad_env.output


def test_migrate_applies_the_tag_migrations(tmp_path: Path) -> None:
    data = tmp_path / "fresh"
    result = CliRunner().invoke(main, ["migrate", "--data-dir", str(data)])
    assert result.exit_code == 0, result.output
    db = sqlite3.connect(data / "control.db")  # not TagStore: it would apply them itself
    try:
        rows = db.execute("SELECT name FROM _sqlite_migrations WHERE migration_set = ?", [SET])
        assert [r[0] for r in rows] == ["0001_properties_libraries"]
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"tag_properties", "tag_libraries"} <= tables
    finally:
        db.close()


def test_every_properties_command_has_help() -> None:
    group = main.commands["properties"]
    assert isinstance(group, click.Group)
    assert set(group.commands) == {
        *("create", "list", "export", "import", "publish"),
        *("build", "builds", "submit", "approve", "reject", "promote", "rollback"),
        *("diff", "history"),
    }
    for name in group.commands:
        result = CliRunner().invoke(main, ["properties", name, "--help"])
        assert result.exit_code == 0 and "--json" in result.output, name


@pytest.mark.parametrize(
    ("document", "messages"),
    [
        ({"id": 5, "orgId": seed.DEMO_ORG, "name": "x"}, ["id must be a string, not a number"]),
        (
            {"orgId": seed.DEMO_ORG, "name": True, "rules": {}, "dataElements": None},
            [
                "name must be a string, not a boolean",
                "dataElements must be an object, not null",
                "rules must be an array, not an object",
            ],
        ),
        ({"orgId": [seed.DEMO_ORG], "name": "x"}, ["orgId must be a string, not an array"]),
        ([1], ["a property document is a JSON object"]),
    ],
)
def test_import_checks_the_types_of_the_document(
    run: Run, tmp_path: Path, document: object, messages: list[str]
) -> None:
    file = tmp_path / "typed.json"
    file.write_text(json.dumps(document))
    result = run("properties", "import", str(file), ok=False)
    assert result.exit_code == 1 and result.exception is not None
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    for message in messages:
        assert message in result.output
