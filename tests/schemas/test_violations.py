"""The error report: everit's shape and wording, at most five causes, identical per engine."""

from __future__ import annotations

from typing import Any

from collector.schemas import SchemaRegistry
from collector.schemas.violations import MAX_CAUSES

from .conftest import PROFILE, WEB

BASE = {"_id": "e-1", "timestamp": "2026-11-22T10:00:00Z"}


def single(registry: SchemaRegistry, schema_id: str, entity: dict[str, Any]) -> dict[str, Any]:
    report = registry.validate(schema_id, entity)
    assert len(report) == 1 and report[0]["causingExceptions"] == []
    return report[0]


def test_contract_example(registry: SchemaRegistry) -> None:
    """The example report of CONTRACT.md, byte for byte."""
    entity = {**BASE, "_id": 12345, "workEmail": "ada@example.com"}
    assert registry.validate(WEB, entity) == [
        {
            "schemaLocation": "#",
            "pointerToViolation": "#",
            "message": "2 schema violations found",
            "causingExceptions": [
                {
                    "schemaLocation": "#",
                    "pointerToViolation": "#",
                    "causingExceptions": [],
                    "keyword": "additionalProperties",
                    "message": "extraneous key [workEmail] is not permitted",
                },
                {
                    "schemaLocation": "#/properties/_id",
                    "pointerToViolation": "#/_id",
                    "causingExceptions": [],
                    "keyword": "type",
                    "message": "expected type: String, found: Long",
                },
            ],
        }
    ]


def test_one_violation_is_reported_as_itself(registry: SchemaRegistry) -> None:
    assert single(registry, WEB, {"_id": "x"}) == {
        "schemaLocation": "#",
        "pointerToViolation": "#",
        "causingExceptions": [],
        "keyword": "required",
        "message": "required key [timestamp] not found",
    }


def test_at_most_five_causes_but_the_full_count(registry: SchemaRegistry) -> None:
    entity = {**BASE, **{f"extra{i}": i for i in range(8)}}
    (report,) = registry.validate(WEB, entity)
    assert report["message"] == "8 schema violations found"
    assert len(report["causingExceptions"]) == MAX_CAUSES
    assert [c["message"] for c in report["causingExceptions"]] == [
        f"extraneous key [extra{i}] is not permitted" for i in range(5)
    ]


def test_messages(registry: SchemaRegistry) -> None:
    cases: list[tuple[str, dict[str, Any], str, str, str]] = [
        (WEB, {**BASE, "timestamp": "yesterday"}, "#/timestamp", "format",
         "[yesterday] is not a valid date-time. Expected [yyyy-MM-dd'T'HH:mm:ssZ, "
         "yyyy-MM-dd'T'HH:mm:ss.[0-9]{1,9}Z]"),
        (PROFILE, {"personalEmail": {"address": "foo"}}, "#/personalEmail/address", "format",
         "[foo] is not a valid email address"),
        (WEB, {**BASE, "implementationDetails": {"name": "nope"}}, "#/implementationDetails/name",
         "format", "[nope] is not a valid URI"),
        (WEB, {**BASE, "eventType": None}, "#/eventType", "type",
         "expected type: String, found: Null"),
        (WEB, {**BASE, "device": {"screenWidth": 1.5}}, "#/device/screenWidth", "type",
         "expected type: Integer, found: Double"),
        (WEB, {**BASE, "web": "x"}, "#/web", "type", "expected type: JSONObject, found: String"),
        (WEB, {**BASE, "productListItems": {}}, "#/productListItems", "type",
         "expected type: JSONArray, found: JSONObject"),
        (WEB, {**BASE, "environment": {"type": "fridge"}}, "#/environment/type", "enum",
         '"fridge" is not a valid enum value'),
        (WEB, {**BASE, "commerce": {"order": {"currencyCode": "eur"}}},
         "#/commerce/order/currencyCode", "pattern",
         "string [eur] does not match pattern ^[A-Z]{3}$"),
        (WEB, {**BASE, "_id": ""}, "#/_id", "minLength", "expected minLength: 1, actual: 0"),
        (WEB, {**BASE, "environment": {"viewportWidth": -3}}, "#/environment/viewportWidth",
         "minimum", "-3 is not greater or equal to 0"),
        (WEB, {**BASE, "identityMap": {"ECID": []}}, "#/identityMap/ECID", "minItems",
         "expected minimum item count: 1, found: 0"),
        (WEB, {**BASE, "identityMap": {"bad key": [{"id": "x"}]}}, "#/identityMap",
         "propertyNames", "key [bad key] is not a valid property name"),
        (WEB, {**BASE, "identityMap": {"ECID": [{"id": "x", "extra": 1}]}},
         "#/identityMap/ECID/0", "additionalProperties", "extraneous key [extra] is not permitted"),
    ]  # fmt: skip
    for schema_id, entity, pointer, keyword, message in cases:
        entry = single(registry, schema_id, entity)
        assert (entry["pointerToViolation"], entry["keyword"], entry["message"]) == (
            pointer,
            keyword,
            message,
        )


def test_schema_location_points_into_the_composed_schema(registry: SchemaRegistry) -> None:
    entry = single(registry, WEB, {**BASE, "web": {"webPageDetails": {"isHomePage": "yes"}}})
    assert (
        entry["schemaLocation"]
        == "#/properties/web/properties/webPageDetails/properties/isHomePage"
    )
    composed = registry.composed(WEB)
    node = composed
    for step in entry["schemaLocation"].split("/")[1:]:
        node = node[step]
    assert node["type"] == "boolean"


def test_pointer_escapes_slashes_and_tildes(registry: SchemaRegistry) -> None:
    (report,) = registry.validate(WEB, {**BASE, "identityMap": {"a/b~c": [{"id": 1}]}})
    pointers = {c["keyword"]: c["pointerToViolation"] for c in report["causingExceptions"]}
    assert pointers == {"propertyNames": "#/identityMap", "type": "#/identityMap/a~1b~0c/0/id"}


def test_engines_word_invalid_examples_identically(
    compiled: SchemaRegistry, reference: SchemaRegistry
) -> None:
    entity: dict[str, Any] = {
        "_id": 1,
        "a": None,
        "device": {"screenWidth": "x", "colorDepth": -1},
        "web": [],
    }
    assert compiled.validate(WEB, entity) == reference.validate(WEB, entity)


def test_empty_and_numeric_keys_point_right(registry: SchemaRegistry) -> None:
    """jsonschema_rs drops "" and turns "0" into 0 in its paths; the reports do not."""
    entity = {**BASE, "identityMap": {"": [{"id": ""}], "0": [{"id": ""}]}}
    (report,) = registry.validate(WEB, entity)
    pointers = sorted(c["pointerToViolation"] for c in report["causingExceptions"])
    assert pointers == ["#/identityMap", "#/identityMap//0/id", "#/identityMap/0/0/id"]
