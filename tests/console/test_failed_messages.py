"""``/console/failures`` on the real app: failures grouped by violation with counts and
samples, a sample's stored record, the dataset filter, revalidation after a schema fix
(editors and admins only, CSRF, audited, promotes a record once), and org scoping."""

from __future__ import annotations

import html
import json
import re
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from starlette.testclient import TestClient

from collector.app import create_app
from collector.control.settings import Settings
from tests.conftest import INLET, ORG, WEB, lake_records, web_event
from tests.console.signed import OTHER_ORG, email, sign_in
from tests.demo import with_demo

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def own_schemas(tmp_path: Path) -> Settings:
    """The demo on a copy of the schemas, so a test can fix one."""
    schemas = tmp_path / "schemas"
    shutil.copytree(REPO / "schemas", schemas)
    return with_demo(Settings(data_dir=tmp_path / "data", schemas_dir=schemas, run_projector=False))


@pytest.fixture
def app_client(own_schemas: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(own_schemas)) as client:
        yield client


def fix_schema(settings: Settings) -> None:
    """The demo tenant field group learns a field the senders already use."""
    path = settings.schemas_dir / "fieldgroups" / "demo-web-events.schema.json"
    document = json.loads(path.read_text())
    tenant = document["definitions"]["demo-web-events"]["properties"]["_demo"]
    tenant["properties"]["favouriteColour"] = {"title": "Favourite colour", "type": "string"}
    path.write_text(json.dumps(document))


def post(client: TestClient, **entity: object) -> str:
    answer = client.post(f"/collection/{INLET}", json=web_event(**entity))
    assert answer.status_code == 200, answer.text
    xaction_id: str = answer.json()["xactionId"]
    return xaction_id


def revalidate(client: TestClient, token: str, dataset: str) -> Any:
    form = {"csrf_token": token, "dataset": dataset}
    return client.post("/console/failures/revalidate", data=form)


def audits(settings: Settings, action: str) -> list[tuple[str, str, str]]:
    with sqlite3.connect(settings.control_db_path) as conn:
        rows = conn.execute(
            "SELECT actor, object_id, detail FROM audit_log WHERE action = ?", [action]
        ).fetchall()
    conn.close()
    return [tuple(r) for r in rows]


def test_groups_samples_and_the_stored_record(
    app_client: TestClient, own_schemas: Settings
) -> None:
    client, settings = app_client, own_schemas
    ids = [post(client, eventType=n) for n in (5, 6, 7, 8)]
    colour = post(client, _demo={"favouriteColour": "red"})
    post(client)
    assert client.get("/console/failures", follow_redirects=False).status_code == 303

    sign_in(client, settings, "viewer")
    page = client.get("/console/failures")
    assert page.status_code == 200
    for control in re.findall(r'<(?:input|select) id="([^"]+)"', page.text):
        assert f'<label for="{control}">' in page.text
    assert 'href="/console/failures" aria-current="page">Failed messages' in page.text
    rows = re.findall(
        r"<tr>\s*<td><code>([^<]+)</code>.*?</td>\s*<td>([^<]+)</td>\s*<td>(\d+)</td>"
        r"\s*<td><ul class=\"samples\">(.*?)</ul>",
        page.text,
        re.S,
    )
    assert [(p, k, int(n)) for p, k, n, _ in rows] == [
        ("#/eventType", "type", 4),
        ("#/_demo", "additionalProperties", 1),
    ]
    samples = [unquote(s) for s in re.findall(r"/console/failures/record/([^\"?]+)", rows[0][3])]
    assert samples == ids[::-1][:3]  # the newest three
    assert "Revalidate" not in page.text  # a viewer may not

    record = client.get(f"/console/failures/record/{ids[0]}")
    assert record.status_code == 200
    assert "expected type: String, found: Long" in record.text
    assert html.unescape(record.text).count(f'"xactionId": "{ids[0]}"') == 1
    assert [r[1] for r in audits(settings, "failures.record.read")] == [ids[0]]
    assert client.get("/console/failures/record/1:2:3").status_code == 404

    only = client.get("/console/failures", params={"dataset": WEB})
    assert only.status_code == 200 and colour in only.text
    assert client.get("/console/failures", params={"dataset": "0" * 24}).status_code == 404

    sign_in(client, settings, "admin", None)  # a user of every org picks one
    picked = client.get("/console/failures", params={"org": ORG})
    assert picked.status_code == 200 and f"?org={ORG.replace('@', '%40')}" in picked.text
    assert client.get(f"/console/failures/record/{ids[0]}", params={"org": ORG}).status_code == 200
    assert client.get("/console/failures/record/" + "9" * 200).status_code == 404

    sign_in(client, settings, "admin", OTHER_ORG)
    other = client.get("/console/failures")
    assert other.status_code == 200 and ids[0] not in other.text
    assert client.get(f"/console/failures/record/{ids[0]}").status_code == 404
    assert client.get("/console/failures", params={"dataset": WEB}).status_code == 404


def test_revalidate_promotes_a_fixed_record_once(
    app_client: TestClient, own_schemas: Settings
) -> None:
    client, settings = app_client, own_schemas
    fixable = post(client, _demo={"favouriteColour": "red"})
    post(client, eventType=5)

    token = sign_in(client, settings, "viewer")
    refused = revalidate(client, token, WEB)
    assert refused.status_code == 403
    token = sign_in(client, settings, "approver")
    refused = revalidate(client, token, WEB)
    assert refused.status_code == 403

    token = sign_in(client, settings, "editor")
    page = client.get("/console/failures")
    assert 'action="/console/failures/revalidate"' in page.text
    no_token = client.post("/console/failures/revalidate", data={"dataset": WEB})
    assert no_token.status_code == 403 and "The form expired" in no_token.text
    unfixed = revalidate(client, token, WEB)
    assert unfixed.status_code == 200
    assert "promoted 0 of 2 failed records" in unfixed.text

    fix_schema(settings)
    first = revalidate(client, token, WEB)
    assert first.status_code == 200, first.text
    assert "promoted 1 of 2 failed records (0 promoted before, 1 still invalid)" in first.text
    again = revalidate(client, token, WEB)
    assert "promoted 0 of 2 failed records (1 promoted before, 1 still invalid)" in again.text
    promoted = [r for r in lake_records(settings, WEB) if r.get("promotedFromFailed")]
    assert [r["xactionId"] for r in promoted] == [fixable]
    runs = audits(settings, "failures.revalidate")
    assert len(runs) == 3 and {r[0] for r in runs} == {f"user:{email('editor')}"}
    assert [json.loads(r[2])["promoted"] for r in runs] == [0, 1, 0]

    unknown = revalidate(client, token, "0" * 24)
    assert unknown.status_code == 404
    token = sign_in(client, settings, "admin", OTHER_ORG)
    foreign = revalidate(client, token, WEB)
    assert foreign.status_code == 404
    assert len(audits(settings, "failures.revalidate")) == 3
