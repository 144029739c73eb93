"""Console data element pages on the real app: add, edit (and rename), reorder, delete with
a confirmation, inline messages from the type's schema, the checker refusing to delete an
element a rule references, every change refused to roles that may not edit, CSRF required."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from collector.control.settings import Settings
from collector.guard.roles import ROLES, allowed
from collector.tags.properties import Properties
from tests.conftest import ORG
from tests.console.signed import sign_in

RULE = {
    "name": "Sign in",
    "events": [{"type": "events/click", "settings": {"selector": "#login"}}],
    "actions": [
        {"type": "actions/setIdentity", "settings": {"namespace": "Email", "id": "%email%"}}
    ],
}


def _property(settings: Settings, **document: object) -> str:
    with Properties.open(settings) as flow:
        return flow.create(org_id=ORG, name="Shop", document=document).id


def _elements(settings: Settings, prop: str) -> dict[str, object]:
    with Properties.open(settings) as flow:
        return flow.get(prop).data_elements


def _base(prop: str) -> str:
    return f"/console/properties/{prop}/data-elements"


def test_add_edit_rename_reorder_and_delete(client: TestClient, settings: Settings) -> None:
    prop = _property(settings)
    token = sign_in(client, settings, "editor")
    empty = client.get(_base(prop))
    assert "No data elements yet." in empty.text
    form = client.get(_base(prop) + "/edit", params={"type": "dataElements/cookie"})
    assert form.status_code == 200
    assert '<label for="f-s-name">Cookie name' in form.text

    wrong = client.post(
        _base(prop) + "/save",
        data={"csrf_token": token, "type": "dataElements/cookie", "name": "", "s.name": ""},
    )
    assert wrong.status_code == 422
    assert 'id="de-name-error">Enter a name.' in wrong.text
    assert 'id="f-s-name-error">Required.' in wrong.text

    for name, type_key, settings_form in [
        ("visitor", "dataElements/cookie", {"s.name": "vid"}),
        ("page", "dataElements/pageInfo", {"s.attribute": "path"}),
        ("email", "dataElements/queryParameter", {"s.name": "e"}),
    ]:
        saved = client.post(
            _base(prop) + "/save",
            data={"csrf_token": token, "type": type_key, "name": name, **settings_form},
            follow_redirects=False,
        )
        assert saved.status_code == 303, saved.text
    assert list(_elements(settings, prop)) == ["visitor", "page", "email"]

    duplicate = client.post(
        _base(prop) + "/save",
        data={"csrf_token": token, "type": "dataElements/cookie", "name": "page", "s.name": "x"},
    )
    assert duplicate.status_code == 422 and "There is already a data element named page" in (
        duplicate.text
    )

    edit = client.get(_base(prop) + "/edit", params={"name": "visitor"})
    assert 'value="vid"' in edit.text
    renamed = client.post(
        _base(prop) + "/save",
        data={
            "csrf_token": token, "original": "visitor", "type": "dataElements/cookie",
            "name": "device", "s.name": "did", "default": "0",
        },
        follow_redirects=False,
    )  # fmt: skip
    assert renamed.status_code == 303
    elements = _elements(settings, prop)
    assert list(elements) == ["device", "page", "email"]
    assert elements["device"] == {
        "type": "dataElements/cookie", "settings": {"name": "did"}, "default": 0,
    }  # fmt: skip

    moved = client.post(
        _base(prop) + "/move",
        data={"csrf_token": token, "name": "email", "direction": "up"},
        follow_redirects=False,
    )
    assert moved.status_code == 303
    assert list(_elements(settings, prop)) == ["device", "email", "page"]
    client.post(_base(prop) + "/move", data={"csrf_token": token, "name": "device",
                                             "direction": "up"})  # fmt: skip
    assert list(_elements(settings, prop)) == ["device", "email", "page"]

    confirm = client.post(_base(prop) + "/delete", data={"csrf_token": token, "name": "page"})
    assert confirm.status_code == 200 and "Delete the data element page?" in confirm.text
    assert list(_elements(settings, prop)) == ["device", "email", "page"]
    deleted = client.post(
        _base(prop) + "/delete",
        data={"csrf_token": token, "name": "page", "confirm": "yes"},
        follow_redirects=False,
    )
    assert deleted.status_code == 303
    assert list(_elements(settings, prop)) == ["device", "email"]


def test_an_element_a_rule_uses_cannot_be_deleted(client: TestClient, settings: Settings) -> None:
    prop = _property(
        settings,
        dataElements={"email": {"type": "dataElements/queryParameter", "settings": {"name": "e"}}},
        rules=[RULE],
    )
    token = sign_in(client, settings, "editor")
    refused = client.post(
        _base(prop) + "/delete", data={"csrf_token": token, "name": "email", "confirm": "yes"}
    )
    assert refused.status_code == 409
    assert "%email% is not a data element" in refused.text
    assert list(_elements(settings, prop)) == ["email"]


@pytest.mark.parametrize("role", ROLES)
def test_roles_that_may_not_edit_are_refused_on_the_server(
    client: TestClient, settings: Settings, role: str
) -> None:
    prop = _property(
        settings,
        dataElements={
            "a": {"type": "dataElements/cookie", "settings": {"name": "a"}},
            "b": {"type": "dataElements/cookie", "settings": {"name": "b"}},
        },
    )
    token = sign_in(client, settings, role)
    listing = client.get(_base(prop))
    assert listing.status_code == 200 and "%a%" in listing.text
    assert ("Add a data element" in listing.text) is allowed(role, "edit")
    expected = 303 if allowed(role, "edit") else 403
    for path, form in [
        ("/save", {"type": "dataElements/cookie", "name": "c", "s.name": "c"}),
        ("/move", {"name": "b", "direction": "up"}),
        ("/delete", {"name": "a", "confirm": "yes"}),
    ]:
        done = client.post(
            _base(prop) + path, data={"csrf_token": token, **form}, follow_redirects=False
        )
        assert done.status_code == expected, (path, done.text)
        refused = client.post(_base(prop) + path, data=form, follow_redirects=False)
        assert refused.status_code == 403 and (
            "The form expired" in refused.text or "may not edit" in refused.text
        )
    assert list(_elements(settings, prop)) == (["b", "c"] if expected == 303 else ["a", "b"])
