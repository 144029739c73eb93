"""XDM mapping paths and constants against the composed demo schemas."""

from __future__ import annotations

from typing import Any

import pytest

from collector.control import seed
from collector.schemas.registry import SchemaRegistry
from collector.tags import xdmpath


@pytest.fixture(scope="module")
def web(registry: SchemaRegistry) -> dict[str, Any]:
    return registry.composed(seed.WEB_EVENTS_SCHEMA)


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("_id", "string"),
        ("identityMap.Email[0].id", "string"),
        ("identityMap.ECID[3].primary", "boolean"),
        ("productListItems[0].quantity", "integer"),
        ("productListItems[12].productCategories[1].categoryName", "string"),
        ("commerce.order.payments[0].paymentAmount", "number"),
        ("web.webPageDetails.pageViews.value", "number"),
        ("_demo.campaign", "object"),
    ],
)
def test_known_paths_resolve_to_their_field(web: dict[str, Any], path: str, kind: str) -> None:
    assert xdmpath.resolve(web, path)["type"] == kind


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("productListItems[0].sku", "productListItems[0] has no field 'sku' (its fields: SKU,"),
        (
            "productListItems.SKU",
            "productListItems is an array: index it, as in productListItems[0].SKU",
        ),
        ("identityMap.Email.id", "identityMap.Email is an array: index it"),
        ("identityMap.E mail[0].id", "'E mail' is not a valid key of identityMap"),
        ("_id[0]", "_id is not an array, so [0] is unknown"),
        ("eventType.name", "eventType is not an object, so it has no field 'name'"),
        ("nope", "the entity has no field 'nope'"),
        ("_demo.campaign.nope", "_demo.campaign has no field 'nope'"),
    ],
)
def test_unknown_paths_say_where_they_stop(web: dict[str, Any], path: str, message: str) -> None:
    with pytest.raises(xdmpath.PathError) as caught:
        xdmpath.resolve(web, path)
    assert str(caught.value).startswith(message)
    assert not xdmpath.has(web, path)


def test_tokens_follow_the_runtime_syntax() -> None:
    assert xdmpath.tokens("identityMap.Email[0].id") == ["identityMap", "Email", 0, "id"]
    assert xdmpath.tokens("a[1][2]") == ["a", 1, 2]


def test_constants_are_checked_against_their_field(web: dict[str, Any]) -> None:
    def why(path: str, value: Any) -> str | None:
        return xdmpath.check_constant(xdmpath.resolve(web, path), value)

    assert why("productListItems[0].quantity", 2) is None
    assert why("productListItems[0].quantity", "2") == "'2' is not of type 'integer'"
    assert why("productListItems[0].quantity", 2.5) == "2.5 is not of type 'integer'"
    assert why("web.webPageDetails.pageViews.value", True) == "True is not of type 'number'"
    assert why("_demo.loggedIn", "yes") == "'yes' is not of type 'boolean'"
    assert why("environment.type", "tv") is not None
    assert why("implementationDetails.name", "not a url") == "'not a url' is not a 'uri'"
    assert why("_demo.campaign", {"name": "x"}) is None
    assert why("_demo.campaign", {"nope": "x"}) is not None


def test_text_fields(web: dict[str, Any]) -> None:
    assert xdmpath.accepts_text(xdmpath.resolve(web, "eventType"))
    assert not xdmpath.accepts_text(xdmpath.resolve(web, "productListItems[0].quantity"))


def test_combinators_and_pattern_properties_are_searched() -> None:
    schema = {
        "type": "object",
        "allOf": [
            {
                "properties": {
                    "a": {"type": "object", "patternProperties": {"^x_": {"type": "integer"}}}
                }
            },
            {"anyOf": [{"properties": {"b": {"type": ["string", "null"]}}}]},
        ],
    }
    assert xdmpath.resolve(schema, "a.x_1")["type"] == "integer"
    assert xdmpath.accepts_text(xdmpath.resolve(schema, "b"))
    with pytest.raises(xdmpath.PathError, match="a has no field 'y'"):
        xdmpath.resolve(schema, "a.y")
