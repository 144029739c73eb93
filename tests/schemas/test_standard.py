"""The seeded schemas against the standard: Adobe's example events and an alloy default event."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from collector.schemas import SchemaRegistry
from collector.schemas.compose import compose_schema
from collector.schemas.importer import convert_entity, import_tree

from .conftest import PROFILE, WEB, XDM

A = "https://ns.adobe.com/xdm/context/"
EVENT = A + "experienceevent"
PROFILE_CLASS = A + "profile"
# The standard field groups the seeded schemas are built from (by their upstream ids).
STANDARD = {
    WEB: (
        EVENT,
        [A + f"experienceevent-{name}" for name in ("environment-details", "web", "commerce")]
        + [A + f"experienceevent-{name}" for name in ("implementation-details", "channel")]
        + [A + "experienceevent-marketing", A + "identitymap"],
    ),
    PROFILE: (
        PROFILE_CLASS,
        [
            *(A + "profile-person-details", A + "profile-personal-details", A + "identitymap"),
            "https://ns.adobe.com/xdm/mixins/profile-consents",
        ],
    ),
}
EVENT_FIELDS = {"_id": "example-1", "timestamp": "2026-11-22T10:00:00Z"}


@pytest.fixture(scope="module")
def standard(tmp_path_factory: pytest.TempPathFactory) -> SchemaRegistry:
    """The upstream tree converted to AEP form, plus the two standard dataset schemas."""
    out = tmp_path_factory.mktemp("standard")
    import_tree(XDM, out)
    registry = SchemaRegistry.load(out)
    for schema_id, (class_id, groups) in STANDARD.items():
        document = compose_schema(registry, class_id, groups, schema_id=schema_id, title="std")
        (out / f"{schema_id.rsplit('/', 1)[-1]}.schema.json").write_text(json.dumps(document))
    return SchemaRegistry.load(out)


def selected_examples() -> list[tuple[str, Path]]:
    """Examples of the standard field groups the seeded schemas use: (seeded schema, file)."""
    manifest = json.loads((XDM / "MANIFEST.json").read_text())
    chosen = []
    for entry in manifest["files"]:
        for schema_id, (_, groups) in STANDARD.items():
            if entry["$id"] in groups:
                chosen += [(schema_id, XDM / example) for example in entry["examples"]]
    return chosen


def entity_of(schema_id: str, path: Path) -> dict[str, Any]:
    """The example in AEP form; field-group examples are fragments: events get _id, timestamp.

    The identity map's examples are the map itself (namespace -> identities).
    """
    entity = convert_entity(json.loads(path.read_text()))
    assert isinstance(entity, dict)
    if path.name.startswith("identitymap."):
        entity = {"identityMap": entity}
    return {**EVENT_FIELDS, **entity} if schema_id == WEB else entity


# Where the seeded schemas are stricter than the standard, on purpose: identity namespaces are
# codes (ECID, Email, CRM), not the namespace URLs of this older example.
STRICTER = {"identitymap.example.1.json": "propertyNames"}


def test_adobe_examples_of_the_standard_field_groups(
    registry: SchemaRegistry, standard: SchemaRegistry
) -> None:
    """Every example the standard accepts passes (but STRICTER); the rest fail alike in both."""
    examples = selected_examples()
    assert len(examples) >= 12
    passed, refused_by_standard = [], []
    for schema_id, path in examples:
        entity = entity_of(schema_id, path)
        ours = registry.validate(schema_id, entity)
        theirs = standard.validate(schema_id, entity)
        if path.name in STRICTER:
            assert theirs == [], path.name
            assert {c["keyword"] for e in ours for c in e["causingExceptions"] or [e]} == {
                STRICTER[path.name]
            }
        elif theirs:
            refused_by_standard.append(path.name)
            assert _causes(ours) == _causes(theirs), path.name
        else:
            passed.append(path.name)
            assert ours == [], (path.name, ours)
    refused = ", ".join(refused_by_standard)
    print(f"{len(passed)}/{len(examples)} standard examples pass; the standard refuses {refused}")
    assert len(passed) >= 11


def _causes(report: list[dict[str, Any]]) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for entry in report:
        for cause in entry["causingExceptions"] or [entry]:
            found.append((cause["pointerToViolation"], cause["message"]))
    return sorted(found)


def test_standard_fields_are_all_declared(
    standard: SchemaRegistry, compiled: SchemaRegistry
) -> None:
    """The seeded schemas declare every standard field, with the same type and format."""
    for schema_id in STANDARD:
        theirs = dict(_fields(standard.composed(schema_id), ""))
        ours = dict(_fields(compiled.composed(schema_id), ""))
        missing = sorted(set(theirs) - set(ours))
        assert missing == []
        changed = [p for p in theirs if theirs[p] != ours[p] and p != "_id"]
        assert changed == []
        assert len(theirs) > (500 if schema_id == WEB else 300)


def _fields(node: Any, path: str) -> list[tuple[str, tuple[Any, Any]]]:
    if not isinstance(node, dict):
        return []
    found = [(path, (node.get("type"), node.get("format")))] if path else []
    for name, schema in (node.get("properties") or {}).items():
        found += _fields(schema, f"{path}.{name}" if path else name)
    if isinstance(node.get("items"), dict):
        found += _fields(node["items"], path + "[]")
    if isinstance(node.get("additionalProperties"), dict):
        found += _fields(node["additionalProperties"], path + "{}")
    return found


# What alloy (Adobe's Web SDK) puts in every event by default, as its documentation lists it
# ("automatically collected information"), plus the page fields a site sets on a page view.
ALLOY_EVENT: dict[str, Any] = {
    "_id": "2b3a0c4e-6f1d-4d5e-9a61-0c3a8f5b7e21",
    "timestamp": "2026-11-22T10:15:30.123Z",
    "eventType": "web.webpagedetails.pageViews",
    "identityMap": {
        "ECID": [
            {
                "id": "61424839437498385326186484418727891834",
                "authenticatedState": "ambiguous",
                "primary": True,
            }
        ]
    },
    "implementationDetails": {
        "name": "https://ns.adobe.com/experience/alloy",
        "version": "2.24.0",
        "environment": "browser",
    },
    "environment": {
        "type": "browser",
        "browserDetails": {
            "viewportWidth": 1280,
            "viewportHeight": 649,
            "userAgentClientHints": {  # the "highEntropyUserAgentHints" context
                "architecture": "x86",
                "bitness": "64",
                "model": "",
                "platformVersion": "15.0.0",
                "wow64": False,
            },
        },
        "_dc": {"language": "en-GB"},
    },
    "device": {"screenHeight": 1080, "screenWidth": 1920, "screenOrientation": "landscape"},
    # localTimezoneOffset is JavaScript's getTimezoneOffset(): minutes, negative east of UTC
    "placeContext": {"localTime": "2026-11-22T11:15:30.123+01:00", "localTimezoneOffset": -60},
    "web": {
        "webPageDetails": {
            "URL": "https://shop.example.com/running/shoes?size=42#reviews",
            "name": "Running shoes",
            "viewName": "product",
            "pageViews": {"value": 1},
        },
        "webReferrer": {"URL": "https://www.search.example/results?q=running shoes"},
    },
}


def test_an_alloy_default_event_validates(registry: SchemaRegistry) -> None:
    assert registry.validate(WEB, ALLOY_EVENT) == []


def test_an_alloy_event_with_commerce_and_marketing_validates(registry: SchemaRegistry) -> None:
    event = {
        **ALLOY_EVENT,
        "eventType": "commerce.productListAdds",
        "commerce": {"productListAdds": {"value": 1}, "cart": {"cartID": "cart-7"}},
        "productListItems": [{"SKU": "shoe-42", "name": "Runner", "quantity": 1}],
        "marketing": {"trackingCode": "winter-running", "campaignName": "Winter"},
        "channel": {
            "_id": "https://ns.adobe.com/xdm/channels/web",
            "_type": "https://ns.adobe.com/xdm/channel-types/web",
        },
    }
    assert registry.validate(WEB, event) == []
    wrong = {**ALLOY_EVENT, "placeContext": {"localTimezoneOffset": "-60"}}
    (entry,) = registry.validate(WEB, wrong)
    assert entry["pointerToViolation"] == "#/placeContext/localTimezoneOffset"
    assert entry["message"] == "expected type: Integer, found: String"
