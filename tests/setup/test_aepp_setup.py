"""Adobe's ``aepp`` sets streaming up against a live collector: Catalog creates a dataset
with Profile and Identity on, Flow Service creates a streaming connection whose inletUrl
then accepts a message for that dataset."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from collector.control import seed
from tests.access import Granted, grant
from tests.conftest import ORG, web_event
from tests.server import LiveServer

pytestmark = pytest.mark.slow


@pytest.fixture
def aepp_config() -> Iterator[Any]:
    """aepp keeps its configuration in module dicts: restore them after the test."""
    import aepp

    dicts = [aepp.config.config_object, aepp.config.header, aepp.config.endpoints]
    saved = [copy.deepcopy(d) for d in dicts]
    yield aepp
    for current, before in zip(dicts, saved, strict=True):
        current.clear()
        current.update(before)


def point_aepp(aepp: Any, live: LiveServer, granted: Granted) -> None:
    """aepp configured with a credential, its IMS and platform hosts replaced by ``live``."""
    aepp.configure(
        org_id=ORG,
        client_id=granted.client_id,
        secret=granted.client_secret,
        scopes="openid,AdobeID,admin",
        sandbox="prod",
        environment="prod",
    )
    aepp.config.config_object["oauthTokenEndpointV2"] = f"{live.base_url}/ims/token/v3"
    aepp.config.endpoints["global"] = live.base_url


def test_aepp_creates_a_dataset_and_a_streaming_connection(
    tmp_path: Path, aepp_config: Any
) -> None:
    from aepp import catalog, flowservice

    with LiveServer(tmp_path / "data") as live:
        granted = grant(live.data_dir / "control.db", ORG, ["admin"])
        point_aepp(aepp_config, live, granted)

        cat = catalog.Catalog()
        made = cat.createDataSet(
            name="aepp events",
            schemaId=seed.WEB_EVENTS_SCHEMA,
            profileEnabled=True,
            identityEnabled=True,
        )
        [ref] = made
        dataset_id = ref.removeprefix("@/dataSets/")
        shown = cat.getDataSet(dataset_id)[dataset_id]
        assert shown["tags"]["unifiedProfile"] == ["enabled:true"]
        assert shown["tags"]["unifiedIdentity"] == ["enabled:true"]
        assert dataset_id in cat.getDataSets()

        flow = flowservice.FlowService()
        connection = flow.createConnectionStreaming(
            name="aepp stream", sourceId="aepp-source", dataType="xdm", paramName="aepp stream"
        )
        found = flow.getConnection(connection["id"])
        inlet_url = found["auth"]["params"]["inletUrl"]
        assert found["auth"]["params"]["inletId"] in inlet_url
        assert connection["id"] in [c["id"] for c in flow.getConnections()]

        message = web_event()
        message["header"]["datasetId"] = dataset_id
        sent = httpx.post(inlet_url, json=message)
        assert sent.status_code == 200, sent.text

        assert flow.deleteConnection(connection["id"]) == 204
        assert httpx.post(inlet_url, json=message).status_code == 404
        assert cat.deleteDataSet(dataset_id) == 200
        gone = httpx.get(f"{cat.endpoint}/dataSets/{dataset_id}", headers=granted.headers)
        assert gone.status_code == 404


def test_aepp_identity_module(tmp_path: Path, aepp_config: Any) -> None:
    from aepp import identity

    from collector.control.settings import Settings
    from collector.profile.projector import project_once
    from tests.demo import INLET

    with LiveServer(tmp_path / "data") as live:
        granted = grant(live.data_dir / "control.db", ORG, ["admin"])
        point_aepp(aepp_config, live, granted)
        ids = {"ECID": [{"id": "1" * 38, "primary": True}], "Email": [{"id": "ann@example.com"}]}
        sent = httpx.post(f"{live.base_url}/collection/{INLET}", json=web_event(identityMap=ids))
        assert sent.status_code == 200
        project_once(Settings(data_dir=live.data_dir))

        ident = identity.Identity()
        ident.endpoint = f"{live.base_url}/data/core"  # aepp's Identity builds its own host
        codes = {n["code"]: n["id"] for n in ident.getIdentities()}
        assert (codes["ECID"], codes["Email"], codes["Phone"]) == (4, 6, 7)
        made = ident.createIdentity(name="Loyalty", code="loyalty", idType="CROSS_DEVICE")
        assert [n["code"] for n in ident.getIdentities(only_custom=True)] == ["loyalty"]
        assert ident.getIdentityDetail(str(made["id"]))["code"] == "loyalty"
        xid = ident.getIdentity(id_str="ann@example.com", nsid="6")["xid"]
        linked = ident.getLinkedIdentities(xids=[{"nsid": 4, "id": "1" * 38}])
        [graph] = linked["graphs"]
        assert {i["xid"] for i in graph["identities"]} == {xid, graph["xid"]}


def test_aepp_reads_the_global_registry(tmp_path: Path, aepp_config: Any) -> None:
    from aepp import schema

    with LiveServer(tmp_path / "data") as live:
        granted = grant(live.data_dir / "control.db", ORG, ["admin"])
        point_aepp(aepp_config, live, granted)
        registry = schema.Schema(containerId="global")
        classes = registry.getClasses()
        assert sorted(c["$id"].rsplit("/", 1)[1] for c in classes) == ["experienceevent", "profile"]
        groups = registry.getFieldGroups()
        assert groups and all("$id" in g for g in groups)
        # the XDM id names our class too (its meta:sameAs)
        one = registry.getClass("https://ns.adobe.com/xdm/context/experienceevent", full=True)
        assert "timestamp" in one["properties"]
