"""Adobe's ``aepp`` makes a tenant schema against a live collector: ``Schema().createSchema``
from a class and field groups, read back, patched with a field group, listed; a dataset made
with aepp's Catalog on it then accepts a message."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.access import grant
from tests.conftest import CT, ORG
from tests.demo import INLET
from tests.server import LiveServer
from tests.setup.test_aepp_setup import aepp_config, point_aepp

pytestmark = pytest.mark.slow
__all__ = ["aepp_config"]  # the fixture, imported for pytest

GROUPS = "https://ns.xdm-collector.dev/fieldgroups/"


def test_aepp_creates_patches_and_uses_a_tenant_schema(tmp_path: Path, aepp_config: Any) -> None:
    from aepp import catalog, schema

    with LiveServer(tmp_path / "data") as live:
        point_aepp(aepp_config, live, grant(live.data_dir / "control.db", ORG, ["admin"]))
        registry = schema.Schema()
        made = registry.createSchema(
            {
                "title": "aepp events",
                "description": "from aepp",
                "type": "object",
                "allOf": [
                    {"$ref": "https://ns.adobe.com/xdm/context/experienceevent"},
                    {"$ref": GROUPS + "identity-map", "type": "object"},
                    {"$ref": GROUPS + "web-details", "type": "object"},
                ],
            }
        )
        schema_id = made["$id"]
        assert made["title"] == "aepp events" and made["version"] == "1.0"
        assert made["meta:altId"].startswith("_demo.schemas.")

        full = registry.getSchema(schema_id)  # aepp asks for the composed (full) form
        assert "web" in full["properties"] and "allOf" not in full
        as_written = registry.getSchema(made["meta:altId"], full=False)
        assert as_written["meta:extends"][-1] == GROUPS + "web-details"

        patched = registry.patchSchema(
            schema_id,
            [{"op": "add", "path": "/allOf/-", "value": {"$ref": GROUPS + "channel"}}],
        )
        assert patched["version"] == "1.1"
        assert GROUPS + "channel" in patched["meta:extends"]
        listed = registry.getSchemas()
        assert [s["$id"] for s in listed] == [schema_id]

        [ref] = catalog.Catalog().createDataSet(name="aepp checkout", schemaId=schema_id)
        dataset_id = ref.removeprefix("@/dataSets/")
        ref_body = {"id": schema_id, "contentType": CT}
        message = {
            "header": {"schemaRef": ref_body, "imsOrgId": ORG, "datasetId": dataset_id},
            "body": {
                "xdmMeta": {"schemaRef": ref_body},
                "xdmEntity": {
                    "_id": "aepp-1",
                    "timestamp": "2026-11-22T10:00:00Z",
                    "web": {"webPageDetails": {"name": "home"}},
                },
            },
        }
        sent = httpx.post(f"{live.base_url}/collection/{INLET}", json=message)
        assert sent.status_code == 200, sent.text
        assert sent.json()["validation"]["status"] == "pass", sent.text
