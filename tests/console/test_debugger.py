"""``/console/debug`` on the real app: the page (labelled filters), the session-authenticated
JSON search over the event follower (filters by inlet, dataset, eventType, _id, identity,
verdict; the user's org only), one event with entity, enrichment, violations and profile, the
buffer's skipped count, audits of reads, and what a signed-out caller gets."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from starlette.testclient import TestClient

from collector.app import create_app
from collector.control.settings import Settings
from collector.profile.projector import project_once
from tests.conftest import INLET, web_event
from tests.console.signed import OTHER_ORG, sign_in


def _post(client: TestClient, message: dict[str, Any]) -> str:
    answer = client.post(f"/collection/{INLET}", json=message)
    assert answer.status_code == 200, answer.text
    xaction_id: str = answer.json()["xactionId"]
    return xaction_id


def _ids(client: TestClient, **query: str) -> list[str]:
    answer = client.get("/console/debug/events", params=query)
    assert answer.status_code == 200, answer.text
    return [e["_id"] for e in answer.json()["events"]]


def test_search_filters_and_one_event(client: TestClient, settings: Settings) -> None:
    good = web_event(_id="page-1", eventType="web.webpagedetails.pageViews")
    ecid = good["body"]["xdmEntity"]["identityMap"]["ECID"][0]["id"]
    good_id = _post(client, good)
    _post(client, web_event(_id="click-1", eventType="web.webinteraction.linkClicks"))
    _post(client, web_event(_id="broken", eventType=5))
    project_once(settings)
    client.app.state.debug_events.poll()  # type: ignore[attr-defined]

    assert client.get("/console/debug", follow_redirects=False).status_code == 303
    assert client.get("/console/debug/events", follow_redirects=False).status_code == 303

    sign_in(client, settings, "viewer")
    page = client.get("/console/debug")
    assert page.status_code == 200
    for control in re.findall(r'<(?:input|select) id="(flt-[^"]+)"', page.text):
        assert f'<label for="{control}">' in page.text
    assert 'aria-current="page">Live debugger' in page.text.replace('href="/console/debug" ', "")

    assert _ids(client) == ["broken", "click-1", "page-1"]
    assert _ids(client, verdict="bad") == ["broken"]
    assert _ids(client, verdict="good", eventType="web.webinteraction.linkClicks") == ["click-1"]
    assert _ids(client, _id="page-1") == ["page-1"]
    assert _ids(client, identity=ecid) == ["page-1"]
    assert _ids(client, identity=ecid) == ["page-1"]  # the next poll: not audited again
    assert _ids(client, inlet=INLET, dataset="5e0000000000000000000001", verdict="good") == [
        "click-1", "page-1",
    ]  # fmt: skip
    assert _ids(client, dataset="5e0000000000000000000002") == []
    wrong = client.get("/console/debug/events", params={"verdict": "maybe"})
    assert wrong.status_code == 400 and "good or bad" in wrong.json()["report"]["message"]

    one = client.get(f"/console/debug/events/{good_id}").json()
    assert one["source"] == "buffer" and one["_id"] == "page-1"
    assert one["entity"] == good["body"]["xdmEntity"]
    assert one["enrichment"]["userAgent"] == "testclient"
    assert [i["id"] for i in one["profile"]["identityGraph"]] == [ecid]
    broken = client.get("/console/debug/events/broken").json()
    assert broken["status"] == "bad" and broken["violations"][0]["keyword"] == "type"
    assert broken["profile"] is None
    assert client.get("/console/debug/events/nothing").status_code == 404

    audited = client.app.state.control.db.conn.execute(  # type: ignore[attr-defined]
        "SELECT action, object_type, object_id FROM audit_log WHERE action LIKE 'debug.%'"
    ).fetchall()
    assert ("debug.event.read", "event", good_id) in audited
    searches = [row for row in audited if row[0] == "debug.events.search"]
    assert len(searches) == 1 and searches[0][2].startswith("hmac:") and ecid not in str(audited)

    sign_in(client, settings, "admin", OTHER_ORG)
    assert _ids(client) == []
    assert client.get(f"/console/debug/events/{good_id}").status_code == 404


def test_the_answer_says_when_the_buffer_skipped(settings: Settings) -> None:
    small = replace(settings, debug_buffer_events=1)
    with TestClient(create_app(small)) as client:
        for n in range(3):
            _post(client, web_event(_id=f"e{n}"))
        client.app.state.debug_events.poll()  # type: ignore[attr-defined]
        sign_in(client, small, "viewer")
        answer = client.get("/console/debug/events").json()
    assert [e["_id"] for e in answer["events"]] == ["e2"]
    assert answer["skipped"] == 2 and answer["capacity"] == 1
