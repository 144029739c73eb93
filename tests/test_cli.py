"""The ``collector`` command line: control plane commands, --json, --help everywhere."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from collector.cli import main
from collector.control import seed

ORG = "ACME@AdobeOrg"


@pytest.fixture
def run(tmp_path: Path):  # type: ignore[no-untyped-def]
    runner = CliRunner()

    def invoke(*args: str, ok: bool = True) -> click.testing.Result:
        result = runner.invoke(
            main,
            [*args, "--data-dir", str(tmp_path / "data")]
            if args and args[-1] != "--help"
            else list(args),
        )
        if ok:
            assert result.exit_code == 0, result.output
        return result

    return invoke


def test_orgs_datasets_inlets_round_trip(run) -> None:  # type: ignore[no-untyped-def]
    run("orgs", "create", ORG, "--name", "Acme")
    orgs = json.loads(run("orgs", "--json").output)
    assert [o["id"] for o in orgs] == [ORG]
    ds = json.loads(
        run(
            "datasets",
            "create",
            "--org",
            ORG,
            "--name",
            "Events",
            "--schema",
            seed.WEB_EVENTS_SCHEMA,
            "--profile",
            "--json",
        ).output
    )
    assert len(ds["id"]) == 24 and ds["profile_enabled"] is True
    inlet = json.loads(
        run(
            "inlets",
            "create",
            "--org",
            ORG,
            "--name",
            "Site",
            "--dataset",
            ds["id"],
            "--origin",
            "https://shop.example/",
            "--json",
        ).output
    )
    assert len(inlet["id"]) == 64 and int(inlet["id"], 16) >= 0
    assert inlet["allowed_origins"] == ["https://shop.example"]
    assert inlet["source_name"] == "Site"
    assert inlet["url"].endswith(f"/collection/{inlet['id']}")
    shown = json.loads(run("inlets", "show", inlet["id"], "--json").output)
    assert shown["default_dataset_id"] == ds["id"]
    listed = json.loads(run("datasets", "list", "--org", ORG, "--json").output)
    assert [d["id"] for d in listed] == [ds["id"]]
    table = run("inlets", "list").output
    assert inlet["id"] in table and "Site" in table
    assert ds["id"] in run("datasets", "show", ds["id"]).output


def test_refusals(run) -> None:  # type: ignore[no-untyped-def]
    assert (
        "unknown org"
        in run(
            "datasets",
            "create",
            "--org",
            ORG,
            "--name",
            "x",
            "--schema",
            seed.WEB_EVENTS_SCHEMA,
            ok=False,
        ).output
    )
    run("orgs", "create", ORG, "--name", "Acme")
    assert "exists already" in run("orgs", "create", ORG, "--name", "again", ok=False).output
    assert "NAME@AdobeOrg" in run("orgs", "create", "nope", "--name", "x", ok=False).output
    out = run(
        "datasets",
        "create",
        "--org",
        ORG,
        "--name",
        "x",
        "--schema",
        "https://example.com/unknown",
        ok=False,
    ).output
    assert "unknown schema" in out
    out = run(
        "inlets", "create", "--org", ORG, "--name", "x", "--dataset", "0" * 24, ok=False
    ).output
    assert "is not a dataset of" in out
    assert run("inlets", "show", "f" * 64, ok=False).exit_code != 0
    assert run("datasets", "show", "f" * 24, ok=False).exit_code != 0


def test_migrate(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert "up to date" in run("migrate").output
    assert (tmp_path / "data" / "control.db").exists()


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for name, command in group.commands.items():
        found.append((*prefix, name))
        if isinstance(command, click.Group):
            found += _commands(command, (*prefix, name))
    return found


def test_every_command_has_help(run) -> None:  # type: ignore[no-untyped-def]
    for path in _commands(main):
        result = run(*path, "--help")
        assert "Usage:" in result.output, path
        assert len(result.output.splitlines()) > 3, path


def test_every_command_and_setting_is_documented() -> None:
    from collector.control.settings import Settings

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    for path in _commands(main):
        assert f"collector {path[0]}" in readme, f"README does not mention `collector {path[0]}`"
    for variable in Settings.variables():
        assert variable in readme, f"README does not document {variable}"


def test_serve_refuses_to_start_on_a_bad_schema(tmp_path: Path) -> None:
    schemas = tmp_path / "schemas"
    schemas.mkdir()
    (schemas / "broken.schema.json").write_text(
        '{"$id": "https://example.com/broken", "type": "object",'
        ' "properties": {"a": {"$ref": "https://example.com/nowhere"}}}'
    )
    result = CliRunner().invoke(
        main,
        ["serve", "--data-dir", str(tmp_path / "data"), "--port", "1"],
        env={"COLLECTOR_SCHEMAS_DIR": str(schemas)},
    )
    assert result.exit_code != 0
    assert "refusing to start" in result.output
    assert "broken.schema.json" in result.output
