"""Console publishing pages over the real build engine: build and submit (editor), approve
and reject (approver), promote and roll back (approver or admin), each step refused on the
server to other roles and without the CSRF token, the steps audited, each environment's
embed snippet and history, and the diff of two builds."""

from __future__ import annotations

import re
import sqlite3

import pytest
from starlette.testclient import TestClient

from collector.control.settings import Settings
from collector.guard.roles import ROLES
from collector.tags.properties import Properties
from tests.conftest import ORG
from tests.console.signed import email, sign_in

RULE = {"name": "Clicks", "events": [{"type": "events/click", "settings": {"selector": "a"}}]}


def _property(settings: Settings) -> str:
    with Properties.open(settings) as flow:
        return flow.create(org_id=ORG, name="Shop", document={"rules": [RULE]}).id


def _base(prop: str) -> str:
    return f"/console/properties/{prop}/publishing"


def _status(client: TestClient, prop: str, number: int) -> str:
    page = client.get(_base(prop)).text
    found = re.search(rf'<tr id="build-{number}">.*?<td class="status">(\w+)</td>', page, re.S)
    assert found is not None, page
    return found.group(1)


def _step(client: TestClient, token: str, prop: str, step: str, number: int) -> int:
    done = client.post(
        _base(prop) + "/step",
        data={"csrf_token": token, "step": step, "build": str(number)},
        follow_redirects=False,
    )
    return done.status_code


def test_the_whole_flow_across_roles_with_snippets_history_and_diff(
    client: TestClient, settings: Settings
) -> None:
    prop = _property(settings)
    editor = sign_in(client, settings, "editor")
    empty = client.get(_base(prop)).text
    assert "No builds yet." in empty and "nothing served yet" in empty
    assert f'src="{settings.public_url}/tags/{prop}/production.js"' in empty.replace("&#34;", '"')
    assert 'class="secondary copy" data-target="snippet-production"' in empty
    built = client.post(
        _base(prop) + "/build", data={"csrf_token": editor, "note": "first"},
        follow_redirects=False,
    )  # fmt: skip
    assert built.status_code == 303 and "done=build+1+made" in built.headers["location"]
    assert _status(client, prop, 1) == "development"
    assert 'aria-label="Approve build 1"' not in client.get(_base(prop)).text
    assert _step(client, editor, prop, "approve", 1) == 403  # an editor does not approve
    assert _step(client, editor, prop, "submit", 1) == 303
    assert _status(client, prop, 1) == "submitted"

    approver = sign_in(client, settings, "approver")
    refused = client.post(_base(prop) + "/build", data={"csrf_token": approver})
    assert refused.status_code == 403
    assert 'aria-label="Approve build 1"' in client.get(_base(prop)).text
    refused = client.post(
        _base(prop) + "/step", data={"csrf_token": approver, "step": "promote", "build": "1"}
    )
    assert refused.status_code == 409  # not approved yet: the engine's message
    assert "build 1 is submitted: only a approved build can promote" in refused.text
    assert _step(client, approver, prop, "approve", 1) == 303
    assert _step(client, approver, prop, "promote", 1) == 303
    assert _status(client, prop, 1) == "production"

    with Properties.open(settings) as flow:
        flow.store.update(prop, "Shop", {**flow.get(prop).config(),
                                         "rules": [{**RULE, "name": "Taps"}]})  # fmt: skip
    editor = sign_in(client, settings, "editor")
    client.post(_base(prop) + "/build", data={"csrf_token": editor, "note": "second"})
    assert _step(client, editor, prop, "submit", 2) == 303
    admin = sign_in(client, settings, "admin")
    for step in ("approve", "promote"):
        assert _step(client, admin, prop, step, 2) == 303
    page = client.get(_base(prop)).text
    assert "Production: build 2" in page and "Staging: build 2" in page
    assert '<select id="rollback-build" name="build"><option value="1">1</option>' in page
    assert _step(client, admin, prop, "rollback", 1) == 303
    assert "Production: build 1" in client.get(_base(prop)).text
    history = client.get(_base(prop)).text.split('id="env-production"', 1)[1]
    assert history.index("<td>rollback</td>") < history.index("<td>promote</td>")

    changes = client.get(_base(prop) + "/diff", params={"from": "1", "to": "2"})
    assert changes.status_code == 200
    assert "<td>added</td><td>Taps</td>" in changes.text
    assert "<td>removed</td><td>Clicks</td>" in changes.text
    assert client.get(_base(prop) + "/diff", params={"from": "1", "to": "9"}).status_code == 422

    with sqlite3.connect(settings.control_db_path) as conn:
        rows = conn.execute(
            "SELECT action, actor FROM audit_log WHERE object_id = ? AND action LIKE"
            " 'property.%' ORDER BY rowid",
            (prop,),
        ).fetchall()
    conn.close()
    assert rows[:5] == [
        ("property.build", f"user:{email('editor')}"),
        ("property.submit", f"user:{email('editor')}"),
        ("property.approve", f"user:{email('approver')}"),
        ("property.promote", f"user:{email('approver')}"),
        ("property.build", f"user:{email('editor')}"),
    ]
    assert rows[-1] == ("property.rollback", f"user:{email('admin')}")


# What each role's direct POST gets for each step (303 done, 403 refused by the role table).
EXPECTED = {
    "viewer": {"build": 403, "submit": 403, "approve": 403, "reject": 403, "promote": 403,
               "rollback": 403},
    "editor": {"build": 303, "submit": 303, "approve": 403, "reject": 403, "promote": 403,
               "rollback": 403},
    "approver": {"build": 403, "submit": 403, "approve": 303, "reject": 303, "promote": 303,
                 "rollback": 303},
    "admin": {"build": 303, "submit": 303, "approve": 303, "reject": 303, "promote": 303,
              "rollback": 303},
}  # fmt: skip
# The engine steps that make build 1 (or 2) ready for each step.
READY: dict[str, list[tuple[str, int]]] = {
    "submit": [],
    "approve": [("submit", 1)],
    "reject": [("submit", 1)],
    "promote": [("submit", 1), ("approve", 1)],
    "rollback": [("submit", 1), ("approve", 1), ("promote", 1), ("build", 2), ("submit", 2),
                 ("approve", 2), ("promote", 2)],
}  # fmt: skip


@pytest.mark.parametrize("role", ROLES)
def test_each_step_for_each_role(client: TestClient, settings: Settings, role: str) -> None:
    token = sign_in(client, settings, role)
    prop = _property(settings)
    assert client.get(_base(prop)).status_code == 200
    made = client.post(_base(prop) + "/build", data={"csrf_token": token},
                       follow_redirects=False)  # fmt: skip
    assert made.status_code == EXPECTED[role]["build"]
    for step, ready in READY.items():
        prop = _property(settings)
        with Properties.open(settings) as flow:
            flow.build(prop, actor="test")
            for name, number in ready:
                if name == "build":
                    flow.build(prop, actor="test")
                else:
                    flow.step(prop, number, name, actor="test")
        without = client.post(
            _base(prop) + "/step", data={"step": step, "build": "1"}, follow_redirects=False
        )
        assert without.status_code == 403, step
        with Properties.open(settings) as flow:
            before = flow.store.builds.history(prop)
        assert _step(client, token, prop, step, 1) == EXPECTED[role][step], step
        with Properties.open(settings) as flow:
            after = flow.store.builds.history(prop)
        assert (len(after) == len(before) + 1) is (EXPECTED[role][step] == 303), step
    assert _step(client, token, prop, "explode", 1) in (403, 422)
