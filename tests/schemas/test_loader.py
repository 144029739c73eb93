"""Bad schema trees are refused at load with the file and the reason."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from collector.schemas import SchemaLoadError, SchemaRegistry

NS = "https://ns.example.com/"
D7 = "http://json-schema.org/draft-07/schema#"


def write(root: Path, name: str, document: Any) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return path


def good(name: str, **extra: Any) -> dict[str, Any]:
    return {"$id": NS + name, "$schema": D7, "type": "object", **extra}


def refused(root: Path) -> SchemaLoadError:
    with pytest.raises(SchemaLoadError) as caught:
        SchemaRegistry.load(root)
    return caught.value


def test_a_good_tree_loads(tmp_path: Path) -> None:
    write(tmp_path, "a.schema.json", good("a", properties={"b": {"$ref": NS + "b"}}))
    write(tmp_path, "sub/b.schema.json", good("b", properties={"c": {"type": "string"}}))
    write(tmp_path, "notes.json", "not a schema: only *.schema.json files are read")
    registry = SchemaRegistry.load(tmp_path)
    assert registry.validate(NS + "a", {"b": {"c": "x"}}) == []
    assert registry.validate(NS + "a", {"b": {"d": "x"}})[0]["keyword"] == "additionalProperties"


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ("{not json", "invalid JSON: Expecting property name enclosed in double quotes"),
        ("[1, 2]", "a schema must be a JSON object"),
        ({"$schema": D7, "type": "object"}, "missing $id"),
        (good("x", **{"$id": "relative/x"}), "$id 'relative/x' is not an absolute URI"),
        (good("x", type="thing"), "invalid JSON Schema at $.type: 'thing' is not valid"),
        (good("x", required="a"), "invalid JSON Schema at $.required: 'a' is not of type 'array'"),
        (good("x", **{"$schema": "https://example.com/my-dialect"}), "unknown $schema"),
        (good("x", properties={"a": {"$ref": NS + "missing"}}), "unresolvable $ref"),
        (good("x", properties={"a": {"$ref": "#/definitions/nope"}}), "unresolvable $ref"),
        (good("x", properties={"a": {"type": "string", "pattern": "(unclosed"}}),
         "invalid JSON Schema at $.properties.a.pattern"),
        (good("x", **{"meta:class": NS + "no-such-class"}), "meta:class"),
    ],
)  # fmt: skip
def test_bad_file_is_named_with_the_reason(tmp_path: Path, document: Any, reason: str) -> None:
    write(tmp_path, "fine.schema.json", good("fine"))
    path = write(tmp_path, "deep/bad.schema.json", document)
    error = refused(tmp_path)
    assert error.path == path
    assert reason in error.reason
    assert str(error).startswith(f"{path}: ")


def test_duplicate_id_names_both_files(tmp_path: Path) -> None:
    first = write(tmp_path, "a.schema.json", good("same"))
    second = write(tmp_path, "b.schema.json", good("same"))
    error = refused(tmp_path)
    assert error.path == second
    assert error.reason == f"duplicate $id {NS}same (also in {first})"


def test_missing_directory(tmp_path: Path) -> None:
    assert refused(tmp_path / "nowhere").reason == "schemas directory not found"


def test_exclude_leaves_files_out(tmp_path: Path) -> None:
    write(tmp_path, "a.schema.json", good("a"))
    write(tmp_path, "meta.schema.json", good("m", properties={"a": {"$ref": NS + "missing"}}))
    registry = SchemaRegistry.load(tmp_path, exclude=["meta.schema.json"])
    assert registry.knows(NS + "a") and not registry.knows(NS + "m")


def test_recursive_data_type_composes_into_a_local_definition(tmp_path: Path) -> None:
    node = good("node", properties={"name": {"type": "string"}, "children": {
        "type": "array", "items": {"$ref": NS + "node"}}})  # fmt: skip
    write(tmp_path, "node.schema.json", node)
    write(tmp_path, "tree.schema.json", good("tree", properties={"root": {"$ref": NS + "node"}}))
    for engine in ("compiled", "reference"):
        registry = SchemaRegistry.load(tmp_path, engine=engine)  # type: ignore[arg-type]
        tree = {"root": {"name": "a", "children": [{"name": "b", "children": [{"name": "c"}]}]}}
        assert registry.validate(NS + "tree", tree) == []
        bad = {"root": {"children": [{"children": [{"name": "c", "x": 1}]}]}}
        (entry,) = registry.validate(NS + "tree", bad)
        assert entry["message"] == "extraneous key [x] is not permitted"
        assert entry["pointerToViolation"] == "#/root/children/0/children/0"
        assert not registry.is_valid(NS + "tree", {"root": {"children": [None]}})
