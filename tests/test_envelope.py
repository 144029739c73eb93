"""The envelope parser on its own: forms, spellings, and what it refuses."""

from __future__ import annotations

import pytest

from collector.errors import UnknownXdmFormat, WrongOrg
from collector.ingest import envelope

REF = {"id": "https://ns.example.com/s", "contentType": envelope.CONTENT_TYPE}


def msg(**header: object) -> dict[str, object]:
    return {
        "header": {"schemaRef": REF, **header},
        "body": {"xdmMeta": {"schemaRef": REF}, "xdmEntity": {"a": 1}},
    }


def test_current_form() -> None:
    env = envelope.parse(msg(imsOrgId="A@AdobeOrg", datasetId="d", source={"name": "s"}))
    assert (env.schema_id, env.org_id, env.dataset_id, env.source_name, env.legacy) == (
        "https://ns.example.com/s",
        "A@AdobeOrg",
        "d",
        "s",
        False,
    )


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("_xdm.context.experienceevent", "https://ns.adobe.com/xdm/context/experienceevent"),
        ("_xdm.context.profile", "https://ns.adobe.com/xdm/context/profile"),
        ("_acme.schemas.abc", "https://ns.adobe.com/acme/schemas/abc"),
        ("https://ns.example.com/x", "https://ns.example.com/x"),
    ],
)
def test_legacy_names(name: str, expected: str) -> None:
    schema = {"name": name, "version": ""}
    env = envelope.parse(
        {
            "header": {"xdmSchema": schema},
            "body": {"xdmMeta": {"xdmSchema": schema}, "xdmEntity": {}},
        }
    )
    assert env.schema_id == expected and env.legacy


def test_header_and_body_schemas_must_agree() -> None:
    m = msg()
    m["header"] = {"schemaRef": {"id": "https://other"}}
    with pytest.raises(UnknownXdmFormat):
        envelope.parse(m)


def test_header_is_optional() -> None:
    m = msg()
    del m["header"]
    assert envelope.parse(m).org_id is None


@pytest.mark.parametrize("version", ["version=2", "version=2.0", "2"])
def test_other_versions_are_unknown(version: str) -> None:
    ref = {
        "id": "https://ns.example.com/s",
        "contentType": f"application/vnd.adobe.xed-full+json;{version}",
    }
    with pytest.raises(UnknownXdmFormat):
        envelope.parse({"body": {"xdmMeta": {"schemaRef": ref}, "xdmEntity": {}}})


def test_org_of_the_wrong_type() -> None:
    with pytest.raises(WrongOrg):
        envelope.parse(msg(imsOrgId=7))


def test_normalised_header_keeps_legacy_fields() -> None:
    env = envelope.parse(msg(msgType="xdmEntityCreate", source={"name": None, "extra": 1}))
    header = envelope.normalised_header(
        env, org_id="A@AdobeOrg", dataset_id="d", source_name="inlet"
    )
    assert header["msgType"] == "xdmEntityCreate"
    assert header["source"] == {"name": "inlet", "extra": 1}
    assert header["schemaRef"] == {
        "id": "https://ns.example.com/s",
        "contentType": envelope.CONTENT_TYPE,
    }
