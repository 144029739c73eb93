"""A property's activity page: what the audit log holds for it, newest first, with who did
it; linked from the property page, readable by every role, scoped to the user's org."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

from collector.control.settings import Settings
from collector.guard.roles import ROLES
from collector.tags.properties import Properties
from tests.conftest import ORG
from tests.console.signed import OTHER_ORG, email, sign_in


def test_activity_lists_changes_builds_and_publishing_newest_first(
    client: TestClient, settings: Settings
) -> None:
    with Properties.open(settings) as flow:
        prop = flow.create(org_id=ORG, name="Shop").id
        flow.publish(prop, "development", actor="user:earlier@example.com")
    token = sign_in(client, settings, "editor")
    renamed = client.post(
        f"/console/properties/{prop}/rename",
        data={"csrf_token": token, "name": "Shop 2"},
        follow_redirects=False,
    )
    assert renamed.status_code == 303
    page = client.get(f"/console/properties/{prop}")
    assert f'href="/console/properties/{prop}/activity"' in page.text
    activity = client.get(f"/console/properties/{prop}/activity")
    assert activity.status_code == 200
    rows = re.findall(
        r"<tr><td><time[^>]*>[^<]*</time></td><td>([^<]*)</td><td>([^<]*)</td>", activity.text
    )
    assert rows[0] == (email("editor"), "rename")
    assert ("earlier@example.com", "publish") in rows and ("earlier@example.com", "build") in rows
    assert rows.index(("earlier@example.com", "publish")) < rows.index(
        ("earlier@example.com", "build")
    )
    assert "Shop 2" in activity.text and "development" in activity.text


@pytest.mark.parametrize("role", ROLES)
def test_every_role_reads_the_activity_of_its_own_org_only(
    client: TestClient, settings: Settings, role: str
) -> None:
    with Properties.open(settings) as flow:
        prop = flow.create(org_id=ORG, name="Quiet").id
    sign_in(client, settings, role)
    empty = client.get(f"/console/properties/{prop}/activity")
    assert empty.status_code == 200 and "Nothing recorded for this property yet" in empty.text
    sign_in(client, settings, role, OTHER_ORG)
    assert client.get(f"/console/properties/{prop}/activity").status_code == 404
    assert client.get("/console/properties/nope/activity").status_code == 404
