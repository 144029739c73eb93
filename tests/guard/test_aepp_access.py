"""Adobe's ``aepp`` client reads a profile from a live collector the AEP way: ``configure``
with a credential made by ``collector credentials create``, a token from our
``/ims/token/v3`` (aepp's OAuth server-to-server flow), then ``Profile().getEntity``."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from collector.cli import main
from collector.control import audit, seed
from collector.control.settings import Settings
from collector.profile import ledger
from collector.profile.projector import project_once
from tests.access import credentials
from tests.conftest import ORG, web_event
from tests.demo import INLET as DEMO_INLET
from tests.server import LiveServer

pytestmark = pytest.mark.slow
EMAIL = "ann@example.com"


@pytest.fixture
def aepp_config() -> Iterator[Any]:
    """aepp keeps its configuration in module dicts: restore them after the test."""
    import aepp

    saved = [copy.deepcopy(d) for d in _dicts(aepp)]
    yield aepp
    for current, before in zip(_dicts(aepp), saved, strict=True):
        current.clear()
        current.update(before)


def _dicts(aepp: Any) -> list[dict[str, Any]]:
    return [aepp.config.config_object, aepp.config.header, aepp.config.endpoints]


def _profile_record() -> dict[str, Any]:
    message = web_event()
    ref = {"id": seed.PROFILE_SCHEMA, "contentType": message["header"]["schemaRef"]["contentType"]}
    message["header"]["schemaRef"] = ref
    message["header"]["datasetId"] = seed.PROFILES
    message["body"] = {
        "xdmMeta": {"schemaRef": ref},
        "xdmEntity": {
            "personalEmail": {"address": EMAIL},
            "person": {"name": {"firstName": "Ann"}},
        },
    }
    return message


def test_aepp_reads_a_profile_with_a_credential(tmp_path: Any, aepp_config: Any) -> None:
    from aepp import customerprofile

    data_dir = tmp_path / "data"
    with LiveServer(data_dir) as live:
        made = CliRunner().invoke(
            main,
            [
                "credentials",
                "create",
                "--org",
                ORG,
                "--name",
                "aepp",
                "--scope",
                "profile:read",
                "--json",
                "--data-dir",
                str(data_dir),
            ],
        )
        assert made.exit_code == 0, made.output
        credential = json.loads(made.stdout)
        sent = httpx.post(f"{live.base_url}/collection/{DEMO_INLET}", json=_profile_record())
        assert sent.status_code == 200
        project_once(Settings(data_dir=data_dir))

        aepp_config.configure(
            org_id=ORG,
            client_id=credential["client_id"],
            secret=credential["client_secret"],
            scopes="openid,AdobeID,profile:read",
            sandbox="prod",
            environment="prod",
        )
        # Adobe's hosts replaced by the collector: IMS and platform.adobe.io.
        aepp_config.config.config_object["oauthTokenEndpointV2"] = f"{live.base_url}/ims/token/v3"
        aepp_config.config.endpoints["global"] = live.base_url

        profile = customerprofile.Profile()
        assert profile.connector.token.startswith("xdmat_")
        found = profile.getEntity(entityId=EMAIL, entityIdNS="email")
        [(profile_id, document)] = found.items()
        assert document["entityId"] == profile_id
        assert document["entity"]["person"] == {"name": {"firstName": "Ann"}}
        assert seed.PROFILES in document["sources"]

    store = credentials(data_dir / "control.db")
    entries = audit.entries(store.conn, object_type="identity")
    store.close()
    named = ledger.digest(ledger.secret(data_dir), ORG, "email", EMAIL)
    assert [(e.actor, e.action, e.object_id) for e in entries] == [
        (f"credential:{credential['client_id']}", "profile.read", f"email:{named}")
    ]
