"""Legacy (``xdmSchema``) schema names match whatever their case: the 2019 extension sends
``_xdm.context.experienceEvent``, which used to be refused with a 400."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from collector.control.settings import Settings
from collector.ingest.envelope import legacy_schema_id
from tests.conftest import INLET, ORG, WEB, accepted, web_event

CLASS = "https://ns.adobe.com/xdm/context/experienceevent"


def _legacy(meta_name: str, header_name: str | None = None) -> dict[str, object]:
    entity = web_event()["body"]["xdmEntity"]  # type: ignore[index]
    header = {"name": header_name or meta_name, "version": ""}
    return {
        "header": {"xdmSchema": header, "imsOrgId": ORG, "datasetId": WEB},
        "body": {"xdmMeta": {"xdmSchema": {"name": meta_name, "version": ""}}, "xdmEntity": entity},
    }


@pytest.mark.parametrize(
    "name",
    [
        "_xdm.context.experienceEvent",
        "_XDM.Context.ExperienceEvent",
        "_xdm.context.experienceevent",
    ],
)
def test_legacy_names_match_case_insensitively(
    client: TestClient, settings: Settings, name: str
) -> None:
    r = client.post(f"/collection/{INLET}", json=_legacy(name))
    assert r.status_code == 200, r.text
    (record,) = accepted(settings)
    assert record["header"]["schemaRef"]["id"] == CLASS


def test_header_and_body_may_differ_in_case_only(client: TestClient) -> None:
    message = _legacy("_xdm.context.experienceEvent", "_xdm.context.experienceevent")
    assert client.post(f"/collection/{INLET}", json=message).status_code == 200
    other = _legacy("_xdm.context.experienceEvent", "_xdm.context.profile")
    assert client.post(f"/collection/{INLET}", json=other).status_code == 400


def test_urls_are_kept_as_they_are() -> None:
    assert legacy_schema_id("_Acme.Schemas.AB12") == "https://ns.adobe.com/acme/schemas/ab12"
    assert legacy_schema_id("https://ns.Example.com/X") == "https://ns.Example.com/X"
