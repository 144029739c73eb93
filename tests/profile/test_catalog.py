from __future__ import annotations

from pathlib import Path

import orjson

from collector.control.settings import Settings
from collector.profile.catalog import Catalog
from collector.profile.identities import FALLBACK_FIELDS, IdentityField
from tests.profile.lakefixture import make_control, settings_for

REPO_SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
WEB = "https://ns.xdm-collector.dev/schemas/web-events"
CUSTOMERS = "https://ns.xdm-collector.dev/schemas/customer-profile"


def _catalog(settings: Settings, schemas: Path, rows: list[tuple[str, str, int]]) -> Catalog:
    make_control(settings, rows)
    return Catalog(settings.control_db_path, schemas)


def test_the_demo_schemas_give_kinds_and_fallback_identity_fields(tmp_path: Path) -> None:
    catalog = _catalog(
        settings_for(tmp_path),
        REPO_SCHEMAS,
        [("1" * 24, WEB, 1), ("2" * 24, CUSTOMERS, 1), ("3" * 24, WEB, 0)],
    )
    datasets = catalog.datasets()
    assert sorted(datasets) == ["1" * 24, "2" * 24]
    assert datasets["1" * 24].kind == "event"
    assert datasets["2" * 24].kind == "record"
    assert datasets["2" * 24].identity_fields == FALLBACK_FIELDS


def test_fields_marked_as_identities_in_a_schema(tmp_path: Path) -> None:
    schemas = tmp_path / "schemas"
    schemas.mkdir()
    group = {
        "$id": "https://example.com/fieldgroups/loyalty",
        "definitions": {
            "loyalty": {
                "properties": {
                    "_acme": {
                        "type": "object",
                        "properties": {
                            "cardId": {
                                "type": "string",
                                "xdm:identityNamespace": "Loyalty",
                                "xdm:isPrimary": True,
                            },
                            "crm": {"type": "string", "meta:identity": {"namespace": "CRMID"}},
                        },
                    }
                }
            }
        },
        "allOf": [{"$ref": "#/definitions/loyalty"}],
    }
    schema = {
        "$id": "https://example.com/schemas/members",
        "meta:class": "https://ns.adobe.com/xdm/context/profile",
        "allOf": [{"$ref": "https://example.com/fieldgroups/loyalty"}],
    }
    (schemas / "group.schema.json").write_bytes(orjson.dumps(group))
    (schemas / "members.schema.json").write_bytes(orjson.dumps(schema))
    catalog = _catalog(settings_for(tmp_path), schemas, [("4" * 24, str(schema["$id"]), 1)])
    info = catalog.datasets()["4" * 24]
    assert info.kind == "record"
    assert info.identity_fields == (
        IdentityField(("_acme", "cardId"), "Loyalty", True),
        IdentityField(("_acme", "crm"), "CRMID", False),
    )


def test_unknown_schemas_are_decided_per_message_and_missing_control_plane(tmp_path: Path) -> None:
    catalog = _catalog(settings_for(tmp_path), tmp_path / "none", [("5" * 24, "urn:x", 1)])
    assert catalog.datasets()["5" * 24].kind == "auto"
    assert Catalog(tmp_path / "nothing.db", None).datasets() == {}
