from __future__ import annotations

from collector.profile.identities import (
    FALLBACK_FIELDS,
    IdentityField,
    extract,
    normalise_namespace,
    profile_id_for,
)


def test_every_namespace_with_codes_normalised_and_originals_kept() -> None:
    found = extract(
        {
            "identityMap": {
                "ECID": [{"id": "e1", "authenticatedState": "ambiguous"}],
                "Email": [
                    {"id": "a@x.com", "primary": True, "authenticatedState": "authenticated"},
                    {"id": "b@x.com"},
                ],
                "crmId": [{"id": "C-1", "authenticatedState": "loggedOut"}],
            }
        }
    )
    assert found.malformed == 0
    keys = [(i.namespace, i.id, i.code, i.primary, i.authenticated_state) for i in found.identities]
    # The primary identity comes first; the rest keep their order.
    assert keys == [
        ("email", "a@x.com", "Email", True, "authenticated"),
        ("ecid", "e1", "ECID", False, "ambiguous"),
        ("email", "b@x.com", "Email", False, "ambiguous"),
        ("crmid", "C-1", "crmId", False, "loggedOut"),
    ]


def test_codes_differing_only_in_case_are_one_identity() -> None:
    found = extract(
        {"identityMap": {"ECID": [{"id": "e1"}], "ecid": [{"id": "e1", "primary": True}]}}
    )
    assert [(i.namespace, i.id, i.primary) for i in found.identities] == [("ecid", "e1", True)]
    assert normalise_namespace(" Email ") == "email"


def test_malformed_values_are_ignored_and_counted() -> None:
    found = extract(
        {
            "identityMap": {
                "ECID": [
                    {"id": ""},
                    {"id": "   "},
                    {"id": 42},
                    {"id": None},
                    {"primary": True},
                    "e1",
                    ["nested"],
                    {"id": "x" * 5000},
                    {"id": "good", "primary": "yes", "authenticatedState": "weird"},
                ],
                "Email": "not-a-list",
                "": [{"id": "no-namespace"}],
                "Phone": {"id": "object-not-list"},
            }
        }
    )
    assert [(i.namespace, i.id, i.primary, i.authenticated_state) for i in found.identities] == [
        ("ecid", "good", False, "ambiguous")
    ]
    assert found.malformed == 11
    assert extract({"identityMap": ["not", "a", "map"]}).malformed == 1
    assert extract({"identityMap": None}).identities == []


def test_identity_fields_and_the_fallback() -> None:
    entity = {
        "personalEmail": {"address": "jane@example.com"},
        "mobilePhone": {"number": "+44 20 7946 0000"},
        "loyalty": {"cardId": "L-9"},
    }
    fallback = extract(entity, FALLBACK_FIELDS)
    assert [(i.namespace, i.id, i.code) for i in fallback.identities] == [
        ("email", "jane@example.com", "Email"),
        ("phone", "+44 20 7946 0000", "Phone"),
    ]
    marked = extract(entity, [IdentityField(("loyalty", "cardId"), "Loyalty", primary=True)])
    assert [(i.namespace, i.id, i.primary) for i in marked.identities] == [("loyalty", "L-9", True)]
    bad = extract({"personalEmail": {"address": 7}}, FALLBACK_FIELDS)
    assert bad.identities == [] and bad.malformed == 1


def test_identity_map_and_fields_deduplicate() -> None:
    found = extract(
        {
            "identityMap": {"Email": [{"id": "jane@example.com", "primary": True}]},
            "personalEmail": {"address": "jane@example.com"},
        },
        FALLBACK_FIELDS,
    )
    assert [(i.namespace, i.id, i.primary) for i in found.identities] == [
        ("email", "jane@example.com", True)
    ]


def test_profile_ids_are_stable_and_distinct() -> None:
    assert profile_id_for("ecid", "1") == profile_id_for("ecid", "1")
    assert profile_id_for("ecid", "1") != profile_id_for("email", "1")
    assert len(profile_id_for("ecid", "1")) == 24


def test_an_authenticated_state_that_is_not_a_string_counts_as_ambiguous() -> None:
    found = extract({"identityMap": {"ECID": [{"id": "e1", "authenticatedState": ["x"]}]}})
    assert [(i.id, i.authenticated_state) for i in found.identities] == [("e1", "ambiguous")]
    assert found.malformed == 0
