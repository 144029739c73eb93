"""collector schemas compose: dataset schemas built from a class and field groups."""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from starlette.testclient import TestClient

from collector.cli.control import datasets
from collector.control.settings import Settings
from collector.schemas import SchemaRegistry
from collector.schemas.cli import schemas
from collector.schemas.compose import ComposeError, compose_schema, dataset_schema_problem
from tests.conftest import CT, INLET, ORG, web_event
from tests.demo import seed_demo

from .conftest import PROFILE, SCHEMAS, WEB

NS = "https://ns.xdm-collector.dev"
EVENT_CLASS = f"{NS}/classes/experienceevent"
PROFILE_CLASS = f"{NS}/classes/profile"
NEW = "https://example.com/schemas/checkout"


def fg(name: str) -> str:
    return f"{NS}/fieldgroups/{name}"


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(schemas, list(args), env=env)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    copy_ = tmp_path / "schemas"
    shutil.copytree(SCHEMAS, copy_)
    return copy_


def add_field_group(tree: Path, name: str, fields: dict[str, Any], extends: str) -> str:
    """A tenant field group (``_acme``) written into ``tree``; returns its id."""
    group_id = f"https://example.com/fieldgroups/{name}"
    document = {
        "$id": group_id,
        "title": name,
        "type": "object",
        "meta:resourceType": "fieldgroups",
        "meta:intendedToExtend": [extends],
        "properties": {"_acme": {"type": "object", "properties": fields}},
    }
    (tree / "fieldgroups" / f"{name}.schema.json").write_text(json.dumps(document))
    return group_id


def test_compose_writes_a_dataset_schema_the_registry_loads(tree: Path) -> None:
    result = run(
        *("compose", "--schemas-dir", str(tree), "--class", EVENT_CLASS),
        *("--field-group", fg("commerce-details"), "--field-group", fg("web-details")),
        *("--id", NEW, "--title", "Checkout events", "--json"),
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["path"] == str(tree / "datasets" / "checkout.schema.json")
    registry = SchemaRegistry.load(tree)
    assert registry.kind(NEW) == "schema"
    assert registry.class_of(NEW) == "https://ns.adobe.com/xdm/context/experienceevent"
    assert registry.schema(NEW)["meta:extends"] == [
        EVENT_CLASS,
        fg("commerce-details"),
        fg("web-details"),
    ]
    assert dataset_schema_problem(registry, NEW) is None
    event = {"_id": "1", "timestamp": "2026-11-22T10:00:00Z", "commerce": {"cart": {"cartID": "c"}}}
    assert registry.validate(NEW, event) == []
    (entry,) = registry.validate(NEW, {**event, "environment": {"type": "browser"}})
    assert entry["message"] == "extraneous key [environment] is not permitted"
    again = run(
        *("compose", "--schemas-dir", str(tree), "--class", EVENT_CLASS, "--id", NEW),
        *("--title", "Checkout events"),
    )
    assert again.exit_code == 1 and f"schema {NEW} already exists" in again.output


def test_compose_to_a_file_and_by_xdm_class_name(tree: Path, tmp_path: Path) -> None:
    out = tmp_path / "elsewhere" / "people.schema.json"
    result = run(
        *("compose", "--schemas-dir", str(tree), "--class", "_xdm.context.profile"),
        *("--field-group", fg("person-details"), "--id", "https://example.com/schemas/people"),
        *("--title", "People", "--out", str(out)),
    )
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text())
    assert document["meta:class"] == PROFILE_CLASS
    assert document["allOf"] == [{"$ref": PROFILE_CLASS}, {"$ref": fg("person-details")}]
    assert not (tree / "datasets" / "people.schema.json").exists()


def test_a_field_group_for_another_class_is_refused(compiled: SchemaRegistry) -> None:
    with pytest.raises(ComposeError) as caught:
        compose_schema(compiled, PROFILE_CLASS, [fg("web-details")], schema_id=NEW, title="Mixed")
    assert str(caught.value).startswith(
        f"field group {fg('web-details')} does not extend class {PROFILE_CLASS}"
    )


@pytest.mark.parametrize(
    ("class_id", "groups", "message"),
    [
        (fg("web-details"), [], f"{fg('web-details')} is not a loaded class"),
        (EVENT_CLASS, [WEB], f"{WEB} is not a loaded field group"),
        (EVENT_CLASS, [fg("nope")], f"{fg('nope')} is not a loaded field group"),
        (EVENT_CLASS, [fg("marketing"), fg("marketing")], "is listed twice"),
    ],
)
def test_unknown_or_wrong_parts_are_refused(
    compiled: SchemaRegistry, class_id: str, groups: list[str], message: str
) -> None:
    with pytest.raises(ComposeError, match=message):
        compose_schema(compiled, class_id, groups, schema_id=NEW, title="T")


def test_an_open_registry_is_refused() -> None:
    registry = SchemaRegistry.load(SCHEMAS, closed=False)
    with pytest.raises(ComposeError, match="needs a closed registry"):
        compose_schema(registry, EVENT_CLASS, [], schema_id=NEW, title="T")


def test_the_id_must_be_new_and_absolute(compiled: SchemaRegistry) -> None:
    with pytest.raises(ComposeError, match="already exists"):
        compose_schema(compiled, EVENT_CLASS, [], schema_id=WEB, title="T")
    with pytest.raises(ComposeError, match="not an absolute URI"):
        compose_schema(compiled, EVENT_CLASS, [], schema_id="checkout", title="T")
    with pytest.raises(ComposeError, match="is a class, not a dataset schema"):
        compose_schema(compiled, EVENT_CLASS, [], schema_id=EVENT_CLASS, title="T", replace=True)


def test_conflicting_field_groups_are_refused(tree: Path) -> None:
    first = add_field_group(tree, "scores", {"score": {"type": "integer"}}, EVENT_CLASS)
    second = add_field_group(tree, "ratings", {"score": {"type": "string"}}, EVENT_CLASS)
    agree = add_field_group(tree, "points", {"score": {"type": "integer"}}, EVENT_CLASS)
    result = run(
        *("compose", "--schemas-dir", str(tree), "--class", EVENT_CLASS),
        *("--field-group", first, "--field-group", second, "--id", NEW, "--title", "T"),
    )
    assert result.exit_code == 1
    assert (
        f"conflict at _acme.score: {first} declares it integer, {second} declares it string"
        in result.output
    )
    assert not (tree / "datasets" / "checkout.schema.json").exists()
    registry = SchemaRegistry.load(tree)
    document = compose_schema(registry, EVENT_CLASS, [first, agree], schema_id=NEW, title="T")
    assert document["meta:extends"] == [EVENT_CLASS, first, agree]


def test_a_field_group_conflicting_with_the_class_is_refused(tree: Path) -> None:
    group = f"{NS}/fieldgroups/bad-timestamp"
    document = {
        "$id": group,
        "type": "object",
        "meta:resourceType": "fieldgroups",
        "meta:intendedToExtend": [EVENT_CLASS],
        "properties": {"timestamp": {"type": "integer"}},
    }
    (tree / "fieldgroups" / "bad-timestamp.schema.json").write_text(json.dumps(document))
    with pytest.raises(ComposeError) as caught:
        compose_schema(SchemaRegistry.load(tree), EVENT_CLASS, [group], schema_id=NEW, title="T")
    assert str(caught.value) == (
        f"conflict at timestamp: {EVENT_CLASS} declares it string, {group} declares it integer"
    )


def test_the_seeded_schemas_are_what_compose_builds(compiled: SchemaRegistry) -> None:
    for schema_id in (WEB, PROFILE):
        written = compiled.schema(schema_id)
        parts = written["meta:extends"]
        rebuilt = compose_schema(
            compiled,
            parts[0],
            parts[1:],
            schema_id=schema_id,
            title=written["title"],
            description=written["description"],
            replace=True,
        )
        assert rebuilt == written


@pytest.mark.parametrize(
    ("schema_id", "message"),
    [
        (EVENT_CLASS, "is a bare class, not a dataset schema"),
        (fg("web-details"), "is a field group, not a dataset schema"),
        (f"{NS}/datatypes/cart", "is a data type, not a dataset schema"),
        ("https://example.com/nope", "unknown schema"),
    ],
)
def test_datasets_create_refuses_what_is_not_a_dataset_schema(
    tmp_path: Path, schema_id: str, message: str
) -> None:
    result = CliRunner().invoke(
        datasets,
        ["create", "--org", ORG, "--name", "x", "--schema", schema_id],
        env={"COLLECTOR_DATA_DIR": str(tmp_path / "data")},
    )
    assert result.exit_code == 1
    assert message in result.output


def test_an_event_schema_must_require_id_and_timestamp(tree: Path) -> None:
    schema_id = "https://example.com/schemas/loose"
    document = {
        "$id": schema_id,
        "type": "object",
        "meta:resourceType": "schemas",
        "meta:class": EVENT_CLASS,
        "allOf": [{"$ref": fg("web-details")}],
        "properties": {"_id": {"type": "string"}},
    }
    (tree / "datasets" / "loose.schema.json").write_text(json.dumps(document))
    registry = SchemaRegistry.load(tree)
    assert registry.validate(schema_id, {"web": {}}) == []  # what a dataset must not accept
    problem = dataset_schema_problem(registry, schema_id)
    assert problem == (
        f"schema {schema_id!r} is an ExperienceEvent schema that does not require _id and timestamp"
    )


@pytest.fixture
def composed_app(tree: Path, tmp_path: Path) -> Iterator[tuple[TestClient, str]]:
    """The real app on a data dir whose schemas include a composed one and a dataset of it."""
    result = run(
        *("compose", "--schemas-dir", str(tree), "--class", EVENT_CLASS),
        *("--field-group", fg("commerce-details"), "--field-group", fg("identity-map")),
        *("--id", NEW, "--title", "Checkout events"),
    )
    assert result.exit_code == 0, result.output
    env = {"COLLECTOR_DATA_DIR": str(tmp_path / "data"), "COLLECTOR_SCHEMAS_DIR": str(tree)}
    settings = Settings(data_dir=tmp_path / "data", schemas_dir=tree, run_projector=False)
    from collector.app import create_app
    from tests.demo import with_demo

    with TestClient(create_app(with_demo(settings))) as client:
        created = CliRunner().invoke(
            datasets,
            ["create", "--org", ORG, "--name", "Checkouts", "--schema", NEW, "--json"],
            env=env,
        )
        assert created.exit_code == 0, created.output
        yield client, json.loads(created.output)["id"]


def message_for(dataset_id: str, entity: dict[str, Any]) -> dict[str, Any]:
    msg = copy.deepcopy(web_event())
    ref = {"id": NEW, "contentType": CT}
    msg["header"]["schemaRef"] = ref
    msg["header"]["datasetId"] = dataset_id
    msg["body"]["xdmMeta"]["schemaRef"] = ref
    msg["body"]["xdmEntity"] = entity
    return msg


def test_compose_round_trip_through_the_real_app(composed_app: tuple[TestClient, str]) -> None:
    client, dataset_id = composed_app
    good: dict[str, Any] = {
        "_id": "c-1",
        "timestamp": "2026-11-22T10:00:00Z",
        "commerce": {"purchases": {"value": 1}, "order": {"priceTotal": 42.5}},
        "productListItems": [{"SKU": "s-1", "quantity": 2}],
    }
    r = client.post(f"/collection/{INLET}?syncValidation=true", json=message_for(dataset_id, good))
    assert r.status_code == 200, r.text
    assert r.json()["syncValidation"] == {"status": "pass"}
    bad = copy.deepcopy(good)
    bad["productListItems"][0]["quantity"] = "two"
    r = client.post(f"/collection/{INLET}?syncValidation=true", json=message_for(dataset_id, bad))
    assert r.status_code == 400
    causes = list(_violations(r.json()["report"]))
    assert [(c["pointerToViolation"], c["keyword"], c["message"]) for c in causes] == [
        ("#/productListItems/0/quantity", "type", "expected type: Integer, found: String")
    ]


def _violations(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if "pointerToViolation" in node and not node.get("causingExceptions"):
            yield node
        for value in node.values():
            yield from _violations(value)
    elif isinstance(node, list):
        for item in node:
            yield from _violations(item)


def test_compose_needs_a_destination_and_never_writes_the_bundled_schemas(tmp_path: Path) -> None:
    env = {"COLLECTOR_DATA_DIR": str(tmp_path / "data")}
    result = run(
        *("compose", "--class", EVENT_CLASS, "--id", NEW, "--title", "Checkout events"), env=env
    )
    assert result.exit_code == 1
    assert "--org ORG" in result.output and "--out FILE" in result.output
    no_id = run(*("compose", "--class", EVENT_CLASS, "--out", str(tmp_path / "x.json")), env=env)
    assert no_id.exit_code != 0


def test_compose_for_an_org_writes_a_tenant_schema_and_guards_replacing_it(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    seed_demo(data / "control.db", "http://127.0.0.1:8000", INLET)
    env = {"COLLECTOR_DATA_DIR": str(data)}
    base = ("compose", "--class", EVENT_CLASS, "--field-group", fg("commerce-details"))
    made = run(*base, "--org", ORG, "--title", "Orders", "--json", env=env)
    assert made.exit_code == 0, made.output
    schema_id = json.loads(made.output)["id"]
    assert schema_id.startswith(f"{NS}/")  # a fresh id in the org's namespace
    assert Path(json.loads(made.output)["path"]).parent.parent == data / "schemas"
    # Another org cannot rebuild it; its own org can, until a dataset uses it.
    other = run(
        *base, "--org", "OTHER@AdobeOrg", "--id", schema_id, "--title", "X", "--replace", env=env
    )
    assert other.exit_code == 1 and "is not one of OTHER@AdobeOrg's schemas" in other.output
    mine = ("--org", ORG, "--id", schema_id, "--title", "Orders v2", "--replace")
    assert run(*base, *mine, env=env).exit_code == 0
    created = CliRunner().invoke(
        datasets,
        ["create", "--org", ORG, "--name", "Orders", "--schema", schema_id, "--json"],
        env=env,
    )
    assert created.exit_code == 0, created.output
    used = run(*base, *mine, env=env)
    assert used.exit_code == 1 and "is used by dataset" in used.output
