"""Properties refuse settings the manifest or the XDM schema would not accept, saying where."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from collector.control import seed
from collector.tags.properties import Properties
from collector.tags.property import PropertyError
from tests.demo import INLET
from tests.tags.conftest import beacon_rule


def _refused(props: Properties, document: dict[str, Any]) -> list[str]:
    with pytest.raises(PropertyError) as caught:
        props.create(org_id=seed.DEMO_ORG, name="shop", document=document)
    assert props.store.properties() == []
    return caught.value.problems


def test_a_good_property_is_saved_with_defaults_and_fill_flags(props: Properties) -> None:
    rule = beacon_rule("go", ("eventType", "x"), ("identityMap.Email[0].id", "%email%"))
    rule["actions"][0]["settings"]["fill"] = {"environment": False, "web": False}
    prop = props.create(
        org_id=seed.DEMO_ORG,
        name="shop",
        document={
            "dataElements": {"email": {"type": "dataElements/cookie", "settings": {"name": "e"}}},
            "rules": [rule],
        },
    )
    assert prop.extension == {
        "collectorUrl": props.public_url,
        "orgId": seed.DEMO_ORG,
        "inletId": INLET,
        "datasetId": seed.WEB_EVENTS,
    }
    # web-events has the environment and web page fields, so the runtime may fill them.
    assert prop.rules[0]["actions"][0]["settings"]["fill"] == {
        "environment": True,
        "web": True,
        "timestamp": True,
    }


def test_unknown_xdm_path_names_rule_action_row_and_path(props: Properties) -> None:
    rule = beacon_rule("add to cart", ("eventType", "x"), ("productListItems[0].sku", "S-1"))
    [problem] = _refused(props, {"rules": [rule]})
    assert problem.startswith(
        "rule 1 'add to cart', action 1 (actions/sendBeacon), mapping row 2"
        " ('productListItems[0].sku'): unknown XDM path: productListItems[0] has no field 'sku'"
    )


def test_constants_of_the_wrong_type_are_refused(props: Properties) -> None:
    rule = beacon_rule(
        "buy",
        ("productListItems[0].quantity", "two"),
        ("web.webPageDetails.pageViews.value", "%event.detail.n% views"),
        ("_demo.loggedIn", "true"),
    )
    problems = _refused(props, {"rules": [rule]})
    assert problems == [
        "rule 1 'buy', action 1 (actions/sendBeacon), mapping row 1"
        " ('productListItems[0].quantity'): constant 'two' does not fit the field:"
        " 'two' is not of type 'integer'",
        "rule 1 'buy', action 1 (actions/sendBeacon), mapping row 2"
        " ('web.webPageDetails.pageViews.value'): the field takes no text,"
        " but '%event.detail.n% views' interpolates to text",
        "rule 1 'buy', action 1 (actions/sendBeacon), mapping row 3 ('_demo.loggedIn'):"
        " constant 'true' does not fit the field: 'true' is not of type 'boolean'",
    ]


def test_references_must_name_a_data_element(props: Properties) -> None:
    rule = beacon_rule("go", ("_demo.searchTerm", "%term%"), ("eventType", "50% off, 20% more"))
    rule["conditions"] = [
        {
            "type": "conditions/valueComparison",
            "settings": {"dataElement": "nope", "operator": "exists"},
        }
    ]
    problems = _refused(props, {"dataElements": {}, "rules": [rule]})
    assert problems == [
        "rule 1 'go', condition 1 (conditions/valueComparison): dataElement 'nope' is not defined",
        "rule 1 'go', action 1 (actions/sendBeacon): %term% is not a data element (defined: none)",
    ]
    # Whole-string references keep their type: a number field may take one.
    ok = beacon_rule("ok", ("productListItems[0].quantity", "%event.detail.quantity%"))
    props.create(org_id=seed.DEMO_ORG, name="ok", document={"rules": [ok]})


def test_settings_are_checked_against_the_manifest(props: Properties) -> None:
    problems = _refused(
        props,
        {
            "extension": {"batchSize": 0, "collectorUrl": "not a url"},
            "dataElements": {"x": {"type": "dataElements/cookie", "settings": {}}},
            "rules": [
                {"name": "r", "events": [{"type": "events/click", "settings": {"selector": ""}}]},
                {"name": "s", "events": [{"type": "events/nope"}]},
            ],
        },
    )
    assert problems == [
        "extension at batchSize: 0 is less than the minimum of 1",
        "extension at collectorUrl: 'not a url' is not a 'uri'",
        "data element 'x': settings: 'name' is a required property",
        "rule 1 'r', event 1 (events/click): settings at selector: '' should be non-empty",
        "rule 2 's', event 1 (events/nope): unknown event type 'events/nope'",
    ]
    wrong_kind = {"type": "actions/setConsent", "settings": {"value": "in"}}
    problems = _refused(props, {"rules": [{"events": [wrong_kind]}]})
    assert problems == [
        "configuration at rules[0]: 'name' is a required property",
        "configuration at rules[0].events[0].type: 'actions/setConsent' does not match '^events/'",
    ]


def test_retry_bounds_are_checked_like_the_other_extension_settings(props: Properties) -> None:
    problems = _refused(props, {"extension": {"maxAttempts": 0, "maxAgeHours": 1.5}})
    assert problems == [
        "extension at maxAgeHours: 1.5 is not of type 'integer'",
        "extension at maxAttempts: 0 is less than the minimum of 1",
    ]
    problems = _refused(props, {"extension": {"maxAttempts": 101, "maxAgeHours": 721}})
    assert problems == [
        "extension at maxAgeHours: 721 is greater than the maximum of 720",
        "extension at maxAttempts: 101 is greater than the maximum of 100",
    ]
    bounds = {"maxAttempts": 3, "maxAgeHours": 48}
    prop = props.create(org_id=seed.DEMO_ORG, name="shop", document={"extension": bounds})
    assert {k: prop.extension[k] for k in bounds} == bounds


def test_org_inlet_and_datasets_must_belong_together(props: Properties) -> None:
    props.control.create_org("OTHER@AdobeOrg", "Other")
    other = props.control.create_dataset(
        org_id="OTHER@AdobeOrg", name="ev", schema_id=seed.WEB_EVENTS_SCHEMA
    )
    problems = _refused(
        props,
        {
            "extension": {"orgId": "OTHER@AdobeOrg", "inletId": "f" * 64, "datasetId": other.id},
            "rules": [beacon_rule("go", ("eventType", "x"), datasetId=seed.PROFILES)],
        },
    )
    assert problems == [
        f"extension: orgId must be the property's org {seed.DEMO_ORG}",
        f"extension: inletId {'f' * 64} is not an inlet of {seed.DEMO_ORG}",
        f"extension: datasetId {other.id} is not a dataset of {seed.DEMO_ORG}",
        "rule 1 'go', action 1 (actions/sendBeacon): schemaId"
        f" {seed.WEB_EVENTS_SCHEMA} is not the schema of dataset {seed.PROFILES}"
        f" ({seed.PROFILE_SCHEMA})",
    ]
    with pytest.raises(PropertyError, match="unknown org"):
        props.create(org_id="NOPE@AdobeOrg", name="x")


def test_a_record_schema_gets_no_timestamp(props: Properties) -> None:
    """Profile records have no timestamp: the runtime is told not to add one."""
    rule = beacon_rule("login", ("personalEmail.address", "a@example.com"), datasetId=seed.PROFILES)
    rule["actions"][0]["settings"]["schemaId"] = seed.PROFILE_SCHEMA
    prop = props.create(org_id=seed.DEMO_ORG, name="crm", document={"rules": [rule]})
    fill = prop.rules[0]["actions"][0]["settings"]["fill"]
    assert fill == {"timestamp": False, "environment": False, "web": False}


def test_publishing_checks_again(props: Properties, tag_settings: Any) -> None:
    rule = beacon_rule("go", ("eventType", "x"))
    prop = props.create(org_id=seed.DEMO_ORG, name="shop", document={"rules": [rule]})
    assert props.publish(prop.id, "staging").version == 1
    with pytest.raises(PropertyError, match="environment must be one of"):
        props.publish(prop.id, "prod")
    with pytest.raises(PropertyError, match="no property"):
        props.publish("PR" + "0" * 32, "staging")
    # The dataset's schema changes after the property was saved: publishing refuses.
    other = sqlite3.connect(tag_settings.control_db_path, isolation_level=None)
    other.execute(
        "UPDATE datasets SET schema_id = ? WHERE id = ?", [seed.PROFILE_SCHEMA, seed.WEB_EVENTS]
    )
    other.close()
    with pytest.raises(PropertyError, match="is not the schema of dataset"):
        props.publish(prop.id, "staging")
    assert [b.number for b in props.store.builds.all(prop.id)] == [1]


@pytest.mark.parametrize("name", ["__proto__", "constructor", "prototype"])
def test_data_elements_named_like_prototypes_are_refused(props: Properties, name: str) -> None:
    element = {"type": "dataElements/constant", "settings": {"value": "x"}}
    problems = _refused(props, {"dataElements": {name: element}, "rules": []})
    assert problems == [
        f"data element {name!r}: the name is reserved in JavaScript"
        " (__proto__, constructor, prototype cannot name a data element)"
    ]


def test_a_proto_key_anywhere_in_the_configuration_is_refused(props: Properties) -> None:
    rule = beacon_rule("go", ("eventType", "x"))
    rule["actions"][0]["settings"]["mapping"][0]["value"] = {"__proto__": {"polluted": True}}
    problems = _refused(props, {"rules": [rule]})
    assert (
        "rules[0].actions[0].settings.mapping[0].value: the key '__proto__' is reserved"
        " in JavaScript"
    ) in problems
