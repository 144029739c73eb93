"""Adobe's own Python client, ``aepp``, against a live collector."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from collector.lake.segments import read_records, segments
from tests.conftest import INLET, ORG, WEB, web_event
from tests.server import LiveServer

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with LiveServer(tmp_path_factory.mktemp("aepp") / "data") as live:
        yield live


@pytest.fixture
def ingestion(server: LiveServer, monkeypatch: pytest.MonkeyPatch) -> Any:
    import aepp
    from aepp import ingestion as aepp_ingestion

    streaming = dict(aepp.config.endpoints["streaming"], collection=server.base_url)
    monkeypatch.setitem(aepp.config.endpoints, "streaming", streaming)
    # A hand-built config with a live token, so aepp never calls Adobe's IMS.
    config = {
        "org_id": ORG,
        "client_id": "local-client",
        "tech_id": None,
        "secret": "unused",
        "scopes": "openid",
        "auth_code": None,
        "sandbox": "prod",
        "environment": "prod",
        "token": "local-token",
        "date_limit": time.time() + 3600,
        "retry": 0,
        "imsEndpoint": "http://127.0.0.1:9",
        "oauthTokenEndpointV1": "http://127.0.0.1:9",
        "oauthTokenEndpointV2": "http://127.0.0.1:9",
        "connectionType": "oauthV2",
    }
    header = {
        "Accept": "application/json",
        "Content-Type": "application/json",
        "x-api-key": "local-client",
        "x-gw-ims-org-id": ORG,
        "x-sandbox-name": "prod",
    }
    return aepp_ingestion.DataIngestion(config=config, header=header)


def _accepted(server: LiveServer) -> dict[str, dict[str, Any]]:
    lake = server.data_dir / "lake"
    return {r["xactionId"]: r for p in segments(lake, WEB) for r in read_records(p)}  # type: ignore[misc]


def test_stream_message(ingestion: Any, server: LiveServer) -> None:
    msg = web_event()
    res = ingestion.streamMessage(inletId=INLET, data=msg)
    assert res["inletId"] == INLET
    assert res["syncValidation"] == {"skipped": True}
    stored = _accepted(server)[res["xactionId"]]
    assert stored["entity"] == msg["body"]["xdmEntity"]
    assert stored["authenticatedRequest"] is False


def test_stream_message_with_sync_validation(ingestion: Any) -> None:
    res = ingestion.streamMessage(inletId=INLET, data=web_event(), syncValidation=True)
    assert res["syncValidation"] == {"status": "pass"}


def test_stream_messages_with_a_failure(ingestion: Any, server: LiveServer) -> None:
    bad = web_event()
    bad["header"]["imsOrgId"] = "OTHER@AdobeOrg"
    res = ingestion.streamMessages(inletId=INLET, data=[web_event(), bad, web_event()])
    entries = res["responses"]
    assert [e.get("status") for e in entries] == [None, 400, None]
    # Parsed the way Adobe's Kafka sink parses it: the index after the last '-'.
    failed = {int(e["xactionId"].rsplit("-", 1)[1]) for e in entries if "status" in e}
    assert failed == {1}
    stored = _accepted(server)
    assert entries[0]["xactionId"] in stored and entries[2]["xactionId"] in stored
    assert entries[1]["xactionId"] not in stored


def test_aepp_reaches_the_local_server_only(ingestion: Any, server: LiveServer) -> None:
    assert ingestion.endpoint_streaming == server.base_url
    assert Path(server.data_dir / "control.db").exists()
