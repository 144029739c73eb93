"""Every schema file passes its meta-schema; every example behaves as its directory says."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema.validators
import pytest

from collector.schemas import SchemaRegistry
from collector.schemas.examples import Example, check_example, load_examples

from .conftest import SCHEMAS

SCHEMA_FILES = sorted(SCHEMAS.rglob("*.schema.json"))
EXAMPLES = load_examples(SCHEMAS)


def test_the_tree_has_every_kind_of_schema() -> None:
    folders = {p.parent.name for p in SCHEMA_FILES}
    assert folders == {"behaviors", "classes", "datatypes", "fieldgroups", "datasets"}
    assert sum(e.valid for e in EXAMPLES) >= 5
    assert sum(not e.valid for e in EXAMPLES) >= 10


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=lambda p: str(p.relative_to(SCHEMAS)))
def test_schema_file_is_valid_under_its_meta_schema(path: Path) -> None:
    document = json.loads(path.read_text())
    cls = jsonschema.validators.validator_for(document)
    assert document["$schema"] == "http://json-schema.org/draft-07/schema#"
    cls.check_schema(document)
    assert document["$id"].startswith("https://ns.xdm-collector.dev/")
    assert document["title"] and document["description"]


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=lambda p: str(p.relative_to(SCHEMAS)))
def test_every_declared_field_has_a_type(path: Path) -> None:
    """A typed field refuses null by itself; the composer guards untyped ones too."""
    document = json.loads(path.read_text())

    def fields(node: object) -> list[tuple[str, dict[str, object]]]:
        found = []
        if isinstance(node, dict):
            for name, schema in node.get("properties", {}).items():
                found.append((name, schema))
            for value in node.values():
                found += fields(value)
        elif isinstance(node, list):
            for item in node:
                found += fields(item)
        return found

    untyped = [n for n, s in fields(document) if "type" not in s and "$ref" not in s]
    assert untyped == []


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: f"{e.path.parent.name}/{e.path.name}")
def test_example(registry: SchemaRegistry, example: Example) -> None:
    result = check_example(registry, example)
    assert result.ok, (result.problem, result.violations)
