"""collector schemas list|show|check|import."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from collector.schemas.cli import failed, schemas

from .conftest import PROFILE, SCHEMAS, WEB, XDM


def run(*args: str) -> Result:
    return CliRunner().invoke(schemas, list(args))


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    copy = tmp_path / "schemas"
    shutil.copytree(SCHEMAS, copy)
    return copy


def test_every_command_has_help() -> None:
    for group, commands in (
        (schemas, ["list", "show", "check", "import", "compose"]),
        (failed, ["groups", "list", "revalidate", "show"]),
    ):
        assert sorted(group.commands) == sorted(commands)  # type: ignore[attr-defined]
        for name in commands:
            result = CliRunner().invoke(group, [name, "--help"])
            assert result.exit_code == 0 and len(result.output.splitlines()) > 4


def test_schemas_dir_comes_from_the_environment(tree: Path) -> None:
    (tree / "datasets" / "web-events.schema.json").unlink()
    env = {"COLLECTOR_SCHEMAS_DIR": str(tree)}
    result = CliRunner().invoke(schemas, ["list", "--json", "--kind", "schema"], env=env)
    assert result.exit_code == 0
    assert [s["id"] for s in json.loads(result.output)] == [PROFILE]


def test_list() -> None:
    table = run("list")
    assert table.exit_code == 0
    header, *rows = table.output.splitlines()
    assert header.split() == ["id", "kind", "class", "title"]
    assert rows[0].split()[:3] == [PROFILE, "schema", "https://ns.adobe.com/xdm/context/profile"]
    listed = json.loads(run("list", "--json", "--kind", "schema").output)
    assert [s["id"] for s in listed] == [PROFILE, WEB]


def test_show() -> None:
    document = json.loads(run("show", WEB).output)
    assert document["$id"] == WEB and "allOf" in document
    composed = json.loads(run("show", WEB, "--composed").output)
    assert "allOf" not in composed and composed["additionalProperties"] is False
    missing = run("show", "https://ns.example.com/nope")
    assert missing.exit_code == 1 and "unknown schema https://ns.example.com/nope" in missing.output


def test_check_passes_on_the_bundled_schemas() -> None:
    result = run("check")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1].endswith("examples as expected")
    report = json.loads(run("check", "--json").output)
    assert report["ok"] and report["ignored"] == []
    assert all(e["ok"] for e in report["examples"]) and len(report["examples"]) >= 15


def test_check_fails_on_an_example_that_misbehaves(tree: Path) -> None:
    example = tree / "examples" / "valid" / "web-events.minimal.json"
    document = json.loads(example.read_text())
    document["entity"]["colour"] = "blue"
    example.write_text(json.dumps(document))
    (tree / "notes.json").write_text("{}")
    result = run("check", "--schemas-dir", str(tree))
    assert result.exit_code == 1
    assert "FAIL examples/valid/web-events.minimal.json" in result.output
    assert "expected valid, got violations" in result.output
    assert "extraneous key [colour] is not permitted" in result.output
    assert "note notes.json is not read" in result.output


def test_check_names_a_schema_that_does_not_load(tree: Path) -> None:
    bad = tree / "datatypes" / "measure.schema.json"
    bad.write_text(bad.read_text().replace('"type": "number"', '"type": "numeric"'))
    result = run("check", "--schemas-dir", str(tree), "--json")
    assert result.exit_code == 1
    error = json.loads(result.output)["error"]
    assert error["path"] == str(bad)
    assert error["reason"].startswith(
        "invalid JSON Schema at $.definitions.measure.properties.value.type"
    )


def test_import(tmp_path: Path) -> None:
    out = tmp_path / "imported"
    result = run("import", str(XDM), "--out", str(out), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert len(report["written"]) == 265 and list(report["skipped"]) == [
        str(XDM / "meta.schema.json")
    ]
    listed = json.loads(run("list", "--json", "--kind", "class", "--schemas-dir", str(out)).output)
    assert {s["id"] for s in listed} == {
        "https://ns.adobe.com/xdm/context/experienceevent",
        "https://ns.adobe.com/xdm/context/profile",
    }
    text = run("import", str(XDM), "--out", str(out))
    assert text.output.splitlines()[0] == f"265 schemas written to {out}"
