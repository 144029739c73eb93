"""Names the control plane stores refuse control characters (C0, DEL, C1), naming the field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from collector.cli import main
from collector.control import seed
from collector.control.names import control_character_problem
from collector.control.plane import ControlPlane, ControlPlaneError

ORG = "ACME@AdobeOrg"
HOSTILE = [
    "\x1b[2J\x1b[31mowned",
    "a\r\nINFO fake log line",
    "tab\there",
    "del\x7f",
    "c1\x85",
    "\x00",
]


@pytest.fixture
def run(tmp_path: Path):  # type: ignore[no-untyped-def]
    data = tmp_path / "data"

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(main, [*args, "--data-dir", str(data)])

    return invoke


@pytest.mark.parametrize("value", HOSTILE)
def test_the_checker_finds_every_control_character(value: str) -> None:
    problem = control_character_problem("org name", value)
    assert problem is not None and problem.startswith("org name must not contain control")


@pytest.mark.parametrize("value", ["Acme", "Café ☕ — Zürich", "a/b (c) 'd' \"e\""])
def test_printable_names_pass(value: str) -> None:
    assert control_character_problem("org name", value) is None


def _refused(result: Result, field: str) -> None:
    assert result.exit_code == 1, result.output
    assert f"{field} must not contain control characters" in result.output
    assert "\x1b" not in result.output and "\r" not in result.output


@pytest.mark.parametrize("value", HOSTILE)
def test_the_cli_refuses_them_in_every_name_and_stores_nothing(run, value: str) -> None:  # type: ignore[no-untyped-def]
    _refused(run("orgs", "create", ORG, "--name", value), "org name")
    assert json.loads(run("orgs", "--json").output) == []

    assert run("orgs", "create", ORG, "--name", "Acme").exit_code == 0
    _refused(
        run("datasets", "create", "--org", ORG, "--name", value,
            "--schema", seed.WEB_EVENTS_SCHEMA),
        "dataset name",
    )  # fmt: skip
    assert json.loads(run("datasets", "list", "--json").output) == []
    made = run("datasets", "create", "--org", ORG, "--name", "Web",
               "--schema", seed.WEB_EVENTS_SCHEMA, "--json")  # fmt: skip
    dataset = json.loads(made.output)["id"]

    inlet = ["inlets", "create", "--org", ORG, "--dataset", dataset]
    _refused(run(*inlet, "--name", value), "inlet name")
    _refused(run(*inlet, "--name", "Site", "--description", value), "inlet description")
    assert json.loads(run("inlets", "list", "--json").output) == []
    assert run(*inlet, "--name", "Site").exit_code == 0

    _refused(run("properties", "create", "--org", ORG, "--name", value), "property name")
    assert json.loads(run("properties", "list", "--json").output) == []


def test_imported_property_names_and_source_names_are_checked_too(
    run,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    control = ControlPlane(tmp_path / "data" / "control.db")
    try:
        seed.ensure_demo(control, public_url="http://127.0.0.1:8000")
        with pytest.raises(ControlPlaneError, match="source name must not contain"):
            control.create_inlet(org_id=seed.DEMO_ORG, name="x", source_name="s\x1b[0m")
    finally:
        control.close()
    document = tmp_path / "property.json"
    document.write_text(json.dumps({"orgId": seed.DEMO_ORG, "name": "Shop\x1b]0;title\x07"}))
    _refused(run("properties", "import", str(document)), "property name")
