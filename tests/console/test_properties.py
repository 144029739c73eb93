"""Console property pages on the real app: every action for every role (the server refuses
what a role may not do, whatever the page shows), CSRF on every POST, org scoping, the
extension form's inline messages, delete behind a confirmation, and the audit of changes."""

from __future__ import annotations

import re
import sqlite3

import pytest
from starlette.testclient import TestClient

from collector.control.settings import Settings
from collector.guard.roles import ROLES, allowed
from collector.tags.properties import Properties
from tests.conftest import ORG
from tests.console.signed import OTHER_ORG, email, sign_in


def _flow_create(settings: Settings, name: str, org_id: str = ORG) -> str:
    with Properties.open(settings) as flow:
        return flow.create(org_id=org_id, name=name).id


def _audit(settings: Settings, action: str) -> list[tuple[str, str]]:
    with sqlite3.connect(settings.control_db_path) as conn:
        rows = conn.execute(
            "SELECT actor, object_id FROM audit_log WHERE action = ? ORDER BY rowid", (action,)
        ).fetchall()
    conn.close()
    return [(str(a), str(o)) for a, o in rows]


def _extension_form(token: str, settings: Settings, **changes: str) -> dict[str, str]:
    form = {
        "csrf_token": token,
        "ext.collectorUrl": settings.public_url,
        "ext.inletId": "7e57" * 16,
        "ext.orgId": ORG,
        "ext.debug.present": "1",
    }
    form.update(changes)
    return form


@pytest.mark.parametrize("role", ROLES)
def test_every_role_reads_and_only_editors_and_admins_change(
    client: TestClient, settings: Settings, role: str
) -> None:
    prop = _flow_create(settings, "Shop")
    token = sign_in(client, settings, role)
    listing = client.get("/console/properties")
    assert listing.status_code == 200 and f'href="/console/properties/{prop}"' in listing.text
    assert client.get(f"/console/properties/{prop}").status_code == 200
    edits = allowed(role, "edit")
    assert ("Create a property" in listing.text) is edits
    expected = 303 if edits else 403
    posts = [
        ("/console/properties", {"name": "New"}),
        (f"/console/properties/{prop}/rename", {"name": "Renamed"}),
        (f"/console/properties/{prop}/extension", _extension_form(token, settings)),
    ]
    for path, form in posts:
        done = client.post(path, data={**form, "csrf_token": token}, follow_redirects=False)
        assert done.status_code == expected, (path, done.text)
        if not edits:
            assert f"Your role ({role}) may not edit." in done.text
    deleting = client.get(f"/console/properties/{prop}/delete")
    assert deleting.status_code == (200 if edits else 403)
    done = client.post(
        f"/console/properties/{prop}/delete",
        data={"csrf_token": token, "confirm": "Renamed"},
        follow_redirects=False,
    )
    assert done.status_code == expected
    assert client.get(f"/console/properties/{prop}").status_code == (404 if edits else 200)


def test_a_viewer_sees_the_forms_disabled_and_no_buttons(
    client: TestClient, settings: Settings
) -> None:
    prop = _flow_create(settings, "Shop")
    sign_in(client, settings, "viewer")
    page = client.get(f"/console/properties/{prop}").text
    assert page.count("<fieldset disabled>") == 2
    assert "Save configuration" not in page and "Delete this property" not in page


def test_every_post_needs_the_sessions_csrf_token(client: TestClient, settings: Settings) -> None:
    prop = _flow_create(settings, "Shop")
    sign_in(client, settings, "admin")
    for path, form in [
        ("/console/properties", {"name": "New"}),
        (f"/console/properties/{prop}/rename", {"name": "Renamed"}),
        (f"/console/properties/{prop}/extension", _extension_form("x", settings)),
        (f"/console/properties/{prop}/delete", {"confirm": "Shop"}),
    ]:
        for token in (None, "not-the-token"):
            data = {k: v for k, v in form.items() if k != "csrf_token"}
            if token is not None:
                data["csrf_token"] = token
            refused = client.post(path, data=data, follow_redirects=False)
            assert refused.status_code == 403, path
            assert "The form expired" in refused.text
    with Properties.open(settings) as flow:
        assert flow.get(prop).name == "Shop"


def test_without_a_session_pages_go_to_sign_in_and_posts_are_refused(
    client: TestClient, settings: Settings
) -> None:
    prop = _flow_create(settings, "Shop")
    page = client.get("/console/properties", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/console/login"
    refused = client.post(f"/console/properties/{prop}/rename", data={"name": "x"})
    assert refused.status_code == 401 and "Sign in to the console first." in refused.text


def test_create_rename_configure_delete_round_trip_is_audited(
    client: TestClient, settings: Settings
) -> None:
    token = sign_in(client, settings, "editor")
    empty_name = client.post("/console/properties", data={"csrf_token": token, "name": "  "})
    assert empty_name.status_code == 422
    assert 'aria-invalid="true" aria-describedby="property-name-error"' in empty_name.text
    assert "Enter a name." in empty_name.text
    created = client.post(
        "/console/properties", data={"csrf_token": token, "name": "Spring sale"},
        follow_redirects=False,
    )  # fmt: skip
    assert created.status_code == 303
    prop = created.headers["location"].rsplit("/", 1)[1]
    page = client.get(created.headers["location"]).text
    assert "<h1>Spring sale</h1>" in page
    for control in re.findall(r'<(?:input|select|textarea)[^>]* id="(f-ext-[^"]+)"', page):
        assert f'<label for="{control}"' in page or f'for="{control}"' in page
    assert f'value="{"7e57" * 16}"' in page  # the org's inlet is the default

    renamed = client.post(
        f"/console/properties/{prop}/rename", data={"csrf_token": token, "name": "Summer sale"},
        follow_redirects=False,
    )  # fmt: skip
    assert renamed.status_code == 303

    wrong = client.post(
        f"/console/properties/{prop}/extension",
        data=_extension_form(token, settings, **{"ext.maxQueue": "0", "ext.inletId": "nope"}),
    )
    assert wrong.status_code == 422
    assert 'id="f-ext-maxQueue-error">Must be at least 1.</p>' in wrong.text
    assert 'id="f-ext-inletId-error">Not in the expected form' in wrong.text
    assert 'value="nope"' in wrong.text  # what was typed stays in the form

    saved = client.post(
        f"/console/properties/{prop}/extension",
        data=_extension_form(token, settings, **{"ext.maxQueue": "50", "ext.debug": "on"}),
        follow_redirects=False,
    )
    assert saved.status_code == 303
    with Properties.open(settings) as flow:
        stored = flow.get(prop)
    assert stored.name == "Summer sale"
    assert stored.extension["maxQueue"] == 50 and stored.extension["debug"] is True

    confirm = client.get(f"/console/properties/{prop}/delete")
    assert "Type the property's name" in confirm.text
    mistyped = client.post(
        f"/console/properties/{prop}/delete", data={"csrf_token": token, "confirm": "Summer"}
    )
    assert mistyped.status_code == 422 and "Type the name exactly, as shown." in mistyped.text
    deleted = client.post(
        f"/console/properties/{prop}/delete",
        data={"csrf_token": token, "confirm": "Summer sale"},
        follow_redirects=False,
    )
    assert deleted.status_code == 303
    assert client.get(f"/console/properties/{prop}").status_code == 404
    actor = f"user:{email('editor')}"
    for action in ("create", "rename", "configure", "delete"):
        assert _audit(settings, f"property.{action}") == [(actor, prop)], action


def test_the_checker_refuses_another_orgs_inlet_above_the_form(
    client: TestClient, settings: Settings
) -> None:
    prop = _flow_create(settings, "Shop")
    token = sign_in(client, settings, "editor")
    refused = client.post(
        f"/console/properties/{prop}/extension",
        data=_extension_form(token, settings, **{"ext.inletId": "ab" * 32}),
    )
    assert refused.status_code == 422
    assert 'id="extension-problems"' in refused.text


def test_a_built_property_cannot_be_deleted(client: TestClient, settings: Settings) -> None:
    prop = _flow_create(settings, "Shop")
    with Properties.open(settings) as flow:
        flow.build(prop, actor="test")
    token = sign_in(client, settings, "admin")
    assert "it cannot be deleted" in client.get(f"/console/properties/{prop}/delete").text
    refused = client.post(
        f"/console/properties/{prop}/delete", data={"csrf_token": token, "confirm": "Shop"}
    )
    assert refused.status_code == 409 and "its history is kept" in refused.text
    assert client.get(f"/console/properties/{prop}").status_code == 200


def test_users_see_and_change_only_their_orgs_properties(
    client: TestClient, settings: Settings
) -> None:
    mine = _flow_create(settings, "Mine")
    token = sign_in(client, settings, "admin", OTHER_ORG)
    listing = client.get("/console/properties")
    assert "Mine" not in listing.text and "No properties yet." in listing.text
    assert client.get(f"/console/properties/{mine}").status_code == 404
    renamed = client.post(
        f"/console/properties/{mine}/rename", data={"csrf_token": token, "name": "Theirs"}
    )
    assert renamed.status_code == 404
    with Properties.open(settings) as flow:
        assert flow.get(mine).name == "Mine"
    assert client.get("/console/properties/not-an-id").status_code == 404


def test_a_form_from_an_older_version_does_not_undo_a_newer_save(
    client: TestClient, settings: Settings
) -> None:
    prop = _flow_create(settings, "Shop")
    token = sign_in(client, settings, "editor")
    page = client.get(f"/console/properties/{prop}").text
    version = re.findall(r'name="version" value="([^"]+)"', page)
    assert len(set(version)) == 1 and len(version) == 2  # the rename and the extension forms
    with Properties.open(settings) as flow:  # someone else saves meanwhile
        flow.store.update(prop, "Shop (theirs)", flow.get(prop).config())
    stale = client.post(
        f"/console/properties/{prop}/rename",
        data={"csrf_token": token, "version": version[0], "name": "Mine"},
    )
    assert stale.status_code == 409 and "Someone saved this property" in stale.text
    with Properties.open(settings) as flow:
        assert flow.get(prop).name == "Shop (theirs)"
    fresh = re.findall(
        r'name="version" value="([^"]+)"', client.get(f"/console/properties/{prop}").text
    )
    done = client.post(
        f"/console/properties/{prop}/rename",
        data={"csrf_token": token, "version": fresh[0], "name": "Mine"},
        follow_redirects=False,
    )
    assert done.status_code == 303
