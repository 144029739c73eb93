"""Console rule pages on the real app: a rule built with the page's own buttons (add, move,
remove a component, add a mapping row), events/conditions/exceptions/actions stored in order,
the checker's message shown on the Send Beacon mapping row it concerns, the field tree, reorder
and delete; roles that may not edit are refused on the server; CSRF on every POST."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

from collector.control.settings import Settings
from collector.guard.roles import ROLES, allowed
from collector.tags.properties import Properties
from tests.conftest import ORG
from tests.console.signed import sign_in

CLICK = {"type": "events/click", "settings": {"selector": "a"}}


def _property(settings: Settings, rules: list[dict[str, object]] | None = None) -> str:
    with Properties.open(settings) as flow:
        return flow.create(org_id=ORG, name="Shop", document={"rules": rules or []}).id


def _rules(settings: Settings, prop: str) -> list[dict[str, object]]:
    with Properties.open(settings) as flow:
        return flow.get(prop).rules


def _base(prop: str) -> str:
    return f"/console/properties/{prop}/rules"


def _form_of(html: str) -> dict[str, str]:
    """What a browser would send from the rule form (text, hidden, checked boxes, selects)."""
    form = html.split('id="rule-form">', 1)[1].split("</form>", 1)[0]
    data: dict[str, str] = {}
    for tag in re.findall(r"<input [^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        if name is None:
            continue
        kind = re.search(r'type="([^"]+)"', tag)
        if kind is not None and kind.group(1) == "checkbox":
            if " checked" in tag:
                data[name.group(1)] = "on"
            continue
        value = re.search(r'value="([^"]*)"', tag)
        data[name.group(1)] = value.group(1).replace("&#34;", '"') if value else ""
    for name, body in re.findall(r'<select [^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', body) or re.search(
            r'<option value="([^"]*)"', body
        )
        data[name] = chosen.group(1) if chosen else ""
    for name, body in re.findall(
        r'<textarea [^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', form, re.S
    ):
        data[name] = body
    return data


def test_build_a_rule_with_the_page_buttons_then_fix_a_mapping_row(
    client: TestClient, settings: Settings
) -> None:
    prop = _property(settings)
    token = sign_in(client, settings, "editor")
    assert "No rules yet." in client.get(_base(prop)).text
    page = client.get(_base(prop) + "/edit")
    assert "No event yet" in page.text
    form = _form_of(page.text)
    assert form["csrf_token"] == token

    def press(op: str, **changes: str) -> str:
        nonlocal form
        drawn = client.post(_base(prop) + "/save", data={**form, **changes, "op": op})
        assert drawn.status_code == 200, drawn.text
        form = _form_of(drawn.text)
        return drawn.text

    form["name"] = "Buy button"
    press("add:events", **{"add.events": "events/click"})
    press("add:events", **{"add.events": "events/directCall"})
    press("add:conditions", **{"add.conditions": "conditions/path"})
    press("add:conditions", **{"add.conditions": "conditions/cookie"})
    press("add:actions", **{"add.actions": "actions/setConsent"})
    html = press("add:actions", **{"add.actions": "actions/sendBeacon"})
    # the Send Beacon offers the default dataset's field tree, and its schema is filled in
    assert 'id="field-tree"' in html and "<td>web.webPageDetails.name</td>" in html
    assert '<option value="environment.viewportWidth">' in html
    assert form["actions.1.s.schemaId"] == "https://ns.xdm-collector.dev/schemas/web-events"
    press("up:actions:1")  # the beacon first, consent second
    press("remove:events:1")  # the direct call goes
    form.update({
        "events.0.s.selector": "#buy",
        "conditions.0.s.patterns": "/shop/*",
        "conditions.1.s.name": "internal",
        "conditions.1.negate": "on",
        "actions.1.s.value": "in",
        "actions.0.s.mapping.0.path": "eventType",
        "actions.0.s.mapping.0.value": "commerce.purchases",
    })  # fmt: skip
    html = press("addrow:actions.0.s.mapping")
    assert 'name="actions.0.s.mapping.1.path"' in html
    form.update({"actions.0.s.mapping.1.path": "environment.viewportWidth",
                 "actions.0.s.mapping.1.value": "wide"})  # fmt: skip

    wrong = client.post(_base(prop) + "/save", data=form)
    assert wrong.status_code == 422
    row = re.search(r'id="f-actions-0-s-mapping-1-error">([^<]+)</p>', wrong.text)
    assert row is not None, wrong.text
    message = row.group(1).replace("&#39;", "'")
    assert message.startswith(
        "rule 1 'Buy button', action 1 (actions/sendBeacon), mapping row 2"
        " ('environment.viewportWidth'): constant 'wide' does not fit the field"
    )
    assert 'id="f-actions-0-s-mapping-0-error"' not in wrong.text
    assert _rules(settings, prop) == []

    form["actions.0.s.mapping.1.value"] = "1280"
    saved = client.post(_base(prop) + "/save", data=form, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    (rule,) = _rules(settings, prop)
    assert rule["name"] == "Buy button"
    assert rule["events"] == [{"type": "events/click", "settings": {"selector": "#buy"}}]
    assert rule["conditions"] == [
        {"type": "conditions/path", "settings": {"patterns": ["/shop/*"]}},
        {"type": "conditions/cookie", "settings": {"name": "internal"}, "negate": True},
    ]
    actions = rule["actions"]
    assert isinstance(actions, list)
    assert [a["type"] for a in actions] == ["actions/sendBeacon", "actions/setConsent"]
    assert actions[0]["settings"]["mapping"] == [
        {"path": "eventType", "value": "commerce.purchases"},
        {"path": "environment.viewportWidth", "value": 1280},
    ]
    assert "fill" in actions[0]["settings"]  # computed by the checker, not typed
    # a form opened before someone else's save is refused, on a redraw as on a save
    opened = _form_of(client.get(_base(prop) + "/edit", params={"index": "0"}).text)
    with Properties.open(settings) as flow:
        flow.store.update(prop, "Shop", flow.get(prop).config())
    for extra in ({"op": "addrow:actions.0.s.mapping"}, {"name": "Renamed"}):
        stale = client.post(_base(prop) + "/save", data={**opened, **extra})
        assert stale.status_code == 409 and "Someone saved this property" in stale.text
    assert _rules(settings, prop)[0]["name"] == "Buy button"
    again = client.get(_base(prop) + "/edit", params={"index": "0"})
    assert 'value="environment.viewportWidth"' in again.text and "(exception)" in again.text


def test_a_rule_needs_a_name_and_an_event(client: TestClient, settings: Settings) -> None:
    prop = _property(settings)
    token = sign_in(client, settings, "editor")
    refused = client.post(
        _base(prop) + "/save", data={"csrf_token": token, "name": "", "events.count": "0"}
    )
    assert refused.status_code == 422
    assert "Add at least one event" in refused.text
    refused = client.post(
        _base(prop) + "/save",
        data={
            "csrf_token": token, "name": "", "events.count": "1",
            "events.0.type": "events/click", "events.0.s.selector": "",
        },
    )  # fmt: skip
    assert 'id="rule-name-error">Enter a name.' in refused.text
    assert 'id="f-events-0-s-selector-error">Required.' in refused.text
    assert _rules(settings, prop) == []


def test_reorder_and_delete_rules(client: TestClient, settings: Settings) -> None:
    rules: list[dict[str, object]] = [
        {"name": n, "events": [CLICK]} for n in ("one", "two", "three")
    ]
    prop = _property(settings, rules)
    token = sign_in(client, settings, "editor")
    moved = client.post(
        _base(prop) + "/move",
        data={"csrf_token": token, "index": "2", "direction": "up"},
        follow_redirects=False,
    )
    assert moved.status_code == 303
    assert [r["name"] for r in _rules(settings, prop)] == ["one", "three", "two"]
    confirm = client.post(_base(prop) + "/delete", data={"csrf_token": token, "index": "0"})
    assert "Delete the rule one?" in confirm.text
    deleted = client.post(
        _base(prop) + "/delete",
        data={"csrf_token": token, "index": "0", "confirm": "yes"},
        follow_redirects=False,
    )
    assert deleted.status_code == 303
    assert [r["name"] for r in _rules(settings, prop)] == ["three", "two"]
    assert client.get(_base(prop) + "/edit", params={"index": "7"}).status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_roles_that_may_not_edit_are_refused_on_the_server(
    client: TestClient, settings: Settings, role: str
) -> None:
    prop = _property(settings, [{"name": n, "events": [CLICK]} for n in ("one", "two")])
    token = sign_in(client, settings, role)
    listing = client.get(_base(prop))
    assert listing.status_code == 200 and ">one</a>" in listing.text
    assert ("Add a rule" in listing.text) is allowed(role, "edit")
    assert client.get(_base(prop) + "/edit", params={"index": "1"}).status_code == 200
    expected = 303 if allowed(role, "edit") else 403
    for path, form in [
        ("/save", {"index": "0", "name": "uno", "events.count": "1",
                   "events.0.type": "events/click", "events.0.s.selector": "a"}),
        ("/move", {"index": "1", "direction": "up"}),
        ("/delete", {"index": "1", "confirm": "yes"}),
    ]:  # fmt: skip
        without = client.post(_base(prop) + path, data=form, follow_redirects=False)
        assert without.status_code == 403
        done = client.post(
            _base(prop) + path, data={"csrf_token": token, **form}, follow_redirects=False
        )
        assert done.status_code == expected, (path, done.text)
    names = [r["name"] for r in _rules(settings, prop)]
    assert names == (["two"] if expected == 303 else ["one", "two"])
