"""``collector.cli.output.emit`` and the ``--json``/``--csv``/``--table`` flags of every lister."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from collector.cli import main
from collector.cli.options import format_option
from collector.cli.output import Format, emit
from collector.control import seed
from collector.tags.demo import DEMO_PROPERTY

ROWS: list[dict[str, Any]] = [
    {"id": "a", "name": 'Ann, "the" first', "tags": ["x", "y"], "note": None},
    {"id": "b", "name": "B" * 100, "tags": [], "note": "ok"},
]


def _printed(rows: Any, *flags: str, columns: list[str] | None = None) -> str:
    @click.command()
    @format_option
    def show(fmt: Format) -> None:
        emit(rows, fmt, columns or [])

    result = CliRunner().invoke(show, list(flags))
    assert result.exit_code == 0, result.output
    return result.output


def test_json_is_the_rows_unchanged() -> None:
    assert json.loads(_printed(ROWS, "--json")) == ROWS
    assert json.loads(_printed(ROWS[0], "--json")) == ROWS[0]


def test_csv_has_a_header_row_and_quotes_what_needs_it() -> None:
    table = list(csv.reader(io.StringIO(_printed(ROWS, "--csv"))))
    assert table == [
        ["id", "name", "tags", "note"],
        ["a", 'Ann, "the" first', '["x","y"]', ""],
        ["b", "B" * 100, "[]", "ok"],  # CSV is never cut
    ]
    picked = list(csv.reader(io.StringIO(_printed(ROWS, "--csv", columns=["note", "id"]))))
    assert picked == [["note", "id"], ["", "a"], ["ok", "b"]]
    assert list(csv.reader(io.StringIO(_printed(ROWS[0], "--csv")))) == [
        ["id", "name", "tags", "note"],
        ["a", 'Ann, "the" first', '["x","y"]', ""],
    ]


def test_table_is_the_default_aligned_and_cuts_long_cells() -> None:
    lines = _printed(ROWS, columns=["id", "name", "note"]).splitlines()
    assert _printed(ROWS, "--table", columns=["id", "name", "note"]).splitlines() == lines
    assert lines[0].split() == ["id", "name", "note"]
    assert lines[1].startswith('a   Ann, "the" first')
    assert "B" * 77 + "..." in lines[2] and "B" * 78 not in lines[2]
    assert lines[0].index("note") == lines[2].index("ok")
    assert _printed(ROWS[1], columns=["id", "note"]).splitlines() == ["id: b", "note: ok"]


def test_a_bool_still_means_json_or_table() -> None:
    @click.command()
    @click.option("--json", "as_json", is_flag=True)
    def show(as_json: bool) -> None:
        emit(ROWS, as_json, ["id"])

    assert json.loads(CliRunner().invoke(show, ["--json"]).output) == ROWS
    assert CliRunner().invoke(show, []).output.splitlines() == ["id", "a", "b"]


@pytest.fixture
def run(tmp_path: Path):  # type: ignore[no-untyped-def]
    data = tmp_path / "data"

    def invoke(*args: str) -> str:
        result = CliRunner().invoke(main, [*args, "--data-dir", str(data)])
        assert result.exit_code == 0, result.output
        return result.output

    invoke("orgs", "create", seed.DEMO_ORG, "--name", "Demo")
    return invoke


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_every_lister_prints_json_csv_and_table(run) -> None:  # type: ignore[no-untyped-def]
    dataset = json.loads(
        run("datasets", "create", "--org", seed.DEMO_ORG, "--name", "Web",
            "--schema", seed.WEB_EVENTS_SCHEMA, "--json")
    )  # fmt: skip
    inlet = json.loads(
        run("inlets", "create", "--org", seed.DEMO_ORG, "--name", "Site", "--auth",
            "--dataset", dataset["id"], "--json")
    )  # fmt: skip
    token = json.loads(run("tokens", "create", "--inlet", inlet["id"], "--name", "ci", "--json"))
    assert token["token"] and token["inlet_id"] == inlet["id"]
    made = _csv(run("tokens", "create", "--inlet", inlet["id"], "--name", "two", "--csv"))
    assert [(r["name"], bool(r["token"])) for r in made] == [("two", True)]

    tokens = _csv(run("tokens", "list", "--csv"))
    assert [t["name"] for t in tokens] == ["ci", "two"] and tokens[0]["revoked_at"] == ""
    assert [t["id"] for t in json.loads(run("tokens", "list", "--json"))] == [
        t["id"] for t in tokens
    ]
    assert run("tokens", "list").splitlines()[0].split() == [
        "id", "inlet_id", "name", "created_at", "revoked_at"
    ]  # fmt: skip

    limits = _csv(run("inlets", "limits", inlet["id"], "--requests-per-second", "5", "--csv"))
    assert {"limit": "requests_per_second", "value": "5", "effective": "5"} in limits

    schemas = _csv(run_plain("schemas", "list", "--csv"))
    assert {"id": seed.WEB_EVENTS_SCHEMA, "kind": "schema"}.items() <= next(
        r for r in schemas if r["id"] == seed.WEB_EVENTS_SCHEMA
    ).items()
    assert len(json.loads(run_plain("schemas", "list", "--json"))) == len(schemas)

    created = _csv(run("properties", "create", "--org", seed.DEMO_ORG, "--name", "Shop", "--csv"))
    assert [r["name"] for r in created] == ["Shop"]
    listed = _csv(run("properties", "list", "--csv"))
    assert [(r["id"], r["name"]) for r in listed] == [(created[0]["id"], "Shop")]
    assert DEMO_PROPERTY not in run("properties", "list")
    published = _csv(run("properties", "publish", created[0]["id"], "--env", "staging", "--csv"))
    assert published[0]["url"].endswith(f"/tags/{created[0]['id']}/staging.js")

    rows = _csv(run("sql", "SELECT id, name FROM control.orgs", "--csv"))
    assert rows == [{"id": seed.DEMO_ORG, "name": "Demo"}]


def run_plain(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output
