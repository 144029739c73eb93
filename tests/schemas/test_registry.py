"""The registry's lookups: ids, aliases, classes, summaries, composed documents."""

from __future__ import annotations

import pytest

from collector.schemas import SchemaRegistry, UnknownSchemaError

from .conftest import PROFILE, WEB

EVENT_CLASS = "https://ns.adobe.com/xdm/context/experienceevent"
PROFILE_CLASS = "https://ns.adobe.com/xdm/context/profile"


def test_dataset_schemas_and_their_classes(compiled: SchemaRegistry) -> None:
    assert compiled.dataset_schema_ids() == [PROFILE, WEB]
    assert compiled.class_of(WEB) == EVENT_CLASS
    assert compiled.class_of(PROFILE) == PROFILE_CLASS


def test_classes_are_their_own_class_under_every_name(compiled: SchemaRegistry) -> None:
    for name in (
        "https://ns.xdm-collector.dev/classes/experienceevent",
        EVENT_CLASS,
        "_xdm.context.experienceevent",
    ):
        assert compiled.knows(name)
        assert compiled.class_of(name) == EVENT_CLASS
    assert compiled.class_of("_xdm.context.profile") == PROFILE_CLASS


def test_unknown_ids(compiled: SchemaRegistry) -> None:
    assert not compiled.knows("https://ns.example.com/nope")
    assert compiled.class_of("https://ns.example.com/nope") is None
    with pytest.raises(UnknownSchemaError):
        compiled.validate("https://ns.example.com/nope", {})
    with pytest.raises(UnknownSchemaError):
        compiled.schema("https://ns.example.com/nope")


def test_field_groups_and_data_types_have_no_class(compiled: SchemaRegistry) -> None:
    assert compiled.class_of("https://ns.xdm-collector.dev/fieldgroups/web-details") is None
    assert compiled.class_of("https://ns.xdm-collector.dev/datatypes/person-name") is None


def test_summaries_list_every_schema_dataset_schemas_first(compiled: SchemaRegistry) -> None:
    summaries = compiled.summaries()
    assert [s["id"] for s in summaries[:2]] == [PROFILE, WEB]
    kinds = {s["kind"] for s in summaries}
    assert kinds == {"schema", "class", "fieldgroup", "datatype", "behavior"}
    web = summaries[1]
    assert web == {
        "id": WEB,
        "title": "Web events",
        "kind": "schema",
        "class": EVENT_CLASS,
        "description": web["description"],
    }
    assert len(summaries) == len({s["id"] for s in summaries})


def test_schema_is_the_file_as_written_and_a_copy(compiled: SchemaRegistry) -> None:
    document = compiled.schema(WEB)
    assert document["meta:class"] == "https://ns.xdm-collector.dev/classes/experienceevent"
    document["title"] = "changed"
    assert compiled.schema(WEB)["title"] == "Web events"
    assert compiled.path(WEB).name == "web-events.schema.json"


def test_composed_schema_is_closed_and_self_contained(compiled: SchemaRegistry) -> None:
    composed = compiled.composed(WEB)
    assert "$ref" not in str(composed) and "allOf" not in composed
    assert composed["required"] == ["_id", "timestamp"]
    assert composed["additionalProperties"] is False
    page = composed["properties"]["web"]["properties"]["webPageDetails"]
    assert page["additionalProperties"] is False
    assert page["properties"]["URL"] == {
        "title": "URL",
        "type": "string",
        "description": "The page URL.",
    }  # no format, as in the standard: pages send what the browser reports
    assert set(composed["properties"]) >= {
        "_id", "timestamp", "eventType", "identityMap", "web", "environment", "device",
        "commerce", "productListItems", "_demo", "placeContext", "implementationDetails",
        "channel", "marketing",
    }  # fmt: skip


def test_validate_hot_path_returns_empty_list_for_valid(registry: SchemaRegistry) -> None:
    entity = {"_id": "a", "timestamp": "2026-11-22T10:00:00Z"}
    assert registry.validate(WEB, entity) == []
    assert registry.is_valid(WEB, entity)
    assert not registry.is_valid(WEB, {"_id": "a"})


def test_engine_is_checked() -> None:
    with pytest.raises(ValueError, match="engine"):
        SchemaRegistry([], engine="fast")  # type: ignore[arg-type]
