"""The console's datastream pages on the real app: list, create, edit, delete.

Only admins pass (the server answers 403 to every other role, GET and POST); an admin sees
and changes only their org's datastreams (another org's is 404); every form needs the
session's CSRF token; bad input is shown on the form with 422 and changes nothing; every
change is audited as the signed-in user."""

from __future__ import annotations

import re
import sqlite3

import httpx2
import pytest
from starlette.testclient import TestClient

from collector.control import seed
from collector.control.datastreams import Datastream, Datastreams
from collector.control.plane import ControlPlane
from collector.control.settings import Settings
from collector.guard.roles import ROLES
from tests.access import ensure_org
from tests.conftest import ORG, PROFILES, WEB, web_event
from tests.console.signed import OTHER_ORG, email, sign_in

ADMIN = "user:" + email("admin")
BASE = "/console/admin/datastreams"
OTHER_WEB = "0e0000000000000000000001"


def _audit(settings: Settings, action: str) -> list[tuple[str, str]]:
    """(actor, object id) of every change made by a console user, oldest first."""
    with sqlite3.connect(settings.control_db_path) as conn:
        rows = conn.execute(
            "SELECT actor, object_id FROM audit_log"
            " WHERE action = ? AND actor LIKE 'user:%' ORDER BY seq",
            (action,),
        ).fetchall()
    conn.close()
    return [(str(a), str(o)) for a, o in rows]


def _changes(settings: Settings) -> int:
    with sqlite3.connect(settings.control_db_path) as conn:
        (count,) = conn.execute("SELECT count(*) FROM audit_log").fetchone()
    conn.close()
    return int(count)


def _stream(
    settings: Settings, name: str = "Shop web", org_id: str = ORG, dataset_id: str = WEB
) -> Datastream:
    """A datastream made as the CLI makes one (another connection than the app's)."""
    if org_id != ORG:
        ensure_org(settings.control_db_path, org_id)
    control = ControlPlane(settings.control_db_path)
    try:
        if org_id != ORG and control.dataset(dataset_id) is None:
            control.create_dataset(
                org_id=org_id,
                name="Other web",
                schema_id=seed.WEB_EVENTS_SCHEMA,
                dataset_id=dataset_id,
            )
        return Datastreams(control).create(
            org_id=org_id,
            name=name,
            dataset_id=dataset_id,
            profile_dataset_id=PROFILES if org_id == ORG else None,
            origins=("https://www.shop.example",),
        )
    finally:
        control.close()


def _stored(settings: Settings) -> tuple[list[Datastream], dict[str, tuple[str, ...]]]:
    """Every datastream and the allowed origins of every live inlet, read afresh."""
    control = ControlPlane(settings.control_db_path)
    try:
        origins = {i.id: i.allowed_origins for i in control.inlets()}
        return Datastreams(control).list(), origins
    finally:
        control.close()


def test_admin_lists_the_orgs_datastreams_with_what_alloy_needs(
    client: TestClient, settings: Settings
) -> None:
    mine = _stream(settings)
    theirs = _stream(settings, "Their web", OTHER_ORG, OTHER_WEB)
    sign_in(client, settings, "admin")
    home = client.get("/console/")
    assert f'href="{BASE}"' in home.text
    listing = client.get(BASE)
    assert listing.status_code == 200, listing.text
    row = listing.text[listing.text.index('<table id="datastreams">') :]
    for shown in (mine.name, mine.id, mine.inlet_id, WEB, PROFILES, "https://www.shop.example"):
        assert shown in row, shown
    assert "Web events" in row and "Customer profiles" in row
    assert 'edgeDomain: "127.0.0.1:8000"' in listing.text
    assert 'edgeBasePath: "ee"' in listing.text
    assert theirs.id not in listing.text and "Their web" not in listing.text
    assert 'aria-current="page"' in listing.text
    # the form offers only the org's ExperienceEvent datasets, and its profile datasets
    events = re.search(r'<select id="datastream-dataset".*?</select>', listing.text, re.S)
    profiles = re.search(r'<select id="datastream-profile".*?</select>', listing.text, re.S)
    assert events is not None and profiles is not None
    assert WEB in events.group() and PROFILES not in events.group()
    assert PROFILES in profiles.group() and WEB not in profiles.group()
    assert OTHER_WEB not in listing.text


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"name": ""}, "name", "Enter a name."),
        ({"name": "a\x1bb"}, "name", "must not contain control characters"),
        ({"origins": "https://Shop.example"}, "origins", "must be lowercase"),
        ({"origins": "https://ok.example\n*"}, "origins", "not allowed for a datastream"),
        ({"origins": "https://*.example.com"}, "origins", "not allowed for a datastream"),
        ({"dataset_id": "5e00000000000000000000ff"}, "dataset", "Choose an ExperienceEvent"),
        ({"dataset_id": OTHER_WEB}, "dataset", "Choose an ExperienceEvent dataset"),
        ({"dataset_id": PROFILES}, "dataset", "Choose an ExperienceEvent dataset"),
        ({"profile_dataset_id": WEB}, "profile", "Choose a profile dataset"),
        ({"profile_dataset_id": "nope"}, "profile", "Choose a profile dataset"),
    ],
)
def test_bad_input_is_shown_on_the_form_with_422_and_changes_nothing(
    client: TestClient, settings: Settings, form: dict[str, str], field: str, message: str
) -> None:
    _stream(settings, "Their web", OTHER_ORG, OTHER_WEB)
    token = sign_in(client, settings, "admin")
    before = _changes(settings)
    good = {"name": "Shop", "dataset_id": WEB, "origins": "https://www.shop.example"}
    refused = client.post(BASE, data={"csrf_token": token, **good, **form})
    assert refused.status_code == 422, refused.text
    error = re.search(
        rf'<p class="field-error" id="datastream-{field}-error">([^<]*)</p>', refused.text
    )
    assert error is not None, refused.text
    assert message in error.group(1).replace("&#39;", "'")
    assert 'aria-invalid="true"' in refused.text
    assert _changes(settings) == before
    assert [s.org_id for s in _stored(settings)[0]] == [OTHER_ORG]


def test_admin_creates_a_datastream_and_gets_its_configure_call(
    client: TestClient, settings: Settings
) -> None:
    token = sign_in(client, settings, "admin")
    created = client.post(
        BASE,
        data={
            "csrf_token": token,
            "name": " Shop web ",
            "dataset_id": WEB,
            "profile_dataset_id": PROFILES,
            "origins": "https://www.shop.example/\n\nhttp://localhost:3000\n",
        },
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text
    (stream,), origins = _stored(settings)
    assert (stream.org_id, stream.name, stream.dataset_id, stream.profile_dataset_id) == (
        ORG,
        "Shop web",
        WEB,
        PROFILES,
    )
    assert origins[stream.inlet_id] == ("https://www.shop.example", "http://localhost:3000")
    assert created.headers["location"] == f"{BASE}/{stream.id}?done=created"
    page = client.get(created.headers["location"])
    assert page.status_code == 200 and "The datastream was created" in page.text
    assert f'datastreamId: "{stream.id}"' in page.text and f'orgId: "{ORG}"' in page.text
    assert 'edgeDomain: "127.0.0.1:8000"' in page.text and 'edgeBasePath: "ee"' in page.text
    assert _audit(settings, "datastream.create") == [(ADMIN, stream.id)]
    assert _audit(settings, "inlet.create") == [(ADMIN, stream.inlet_id)]
    # the Web SDK can send with it at once
    answer = client.post(
        f"/ee/v1/interact?configId={stream.id}",
        json={"events": [{"xdm": web_event()["body"]["xdmEntity"]}]},
        headers={"origin": "https://www.shop.example"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["access-control-allow-origin"] == "https://www.shop.example"


def test_admin_edits_the_name_and_origins(client: TestClient, settings: Settings) -> None:
    stream = _stream(settings)
    token = sign_in(client, settings, "admin")
    page = client.get(f"{BASE}/{stream.id}")
    assert page.status_code == 200
    assert 'value="Shop web"' in page.text and ">https://www.shop.example</textarea>" in page.text
    bad = client.post(
        f"{BASE}/{stream.id}",
        data={"csrf_token": token, "name": "Renamed", "origins": "https://*.shop.example"},
    )
    assert bad.status_code == 422
    assert (
        'id="datastream-origins-error"' in bad.text and "not allowed for a datastream" in bad.text
    )
    assert ">https://*.shop.example</textarea>" in bad.text  # what was typed stays
    assert _audit(settings, "datastream.update") == []

    def save() -> httpx2.Response:
        return client.post(
            f"{BASE}/{stream.id}",
            data={
                "csrf_token": token,
                "name": "Renamed",
                "origins": "https://www.shop.example\nhttps://m.shop.example",
            },
            follow_redirects=False,
        )

    saved = save()
    assert saved.status_code == 303
    assert saved.headers["location"] == f"{BASE}/{stream.id}?done=saved"
    (after,), origins = _stored(settings)
    assert after.name == "Renamed" and after.dataset_id == WEB
    assert origins[stream.inlet_id] == ("https://www.shop.example", "https://m.shop.example")
    assert "The datastream was saved" in client.get(saved.headers["location"]).text
    assert _audit(settings, "datastream.update") == [(ADMIN, stream.id)]
    assert _audit(settings, "inlet.update") == [(ADMIN, stream.inlet_id)]
    # saving what is stored already changes and records nothing
    before = _changes(settings)
    again = save()
    assert again.status_code == 303 and _changes(settings) == before


def test_admin_deletes_a_datastream_after_typing_its_name(
    client: TestClient, settings: Settings
) -> None:
    stream = _stream(settings)
    token = sign_in(client, settings, "admin")
    assert client.post(f"/collection/{stream.inlet_id}", json=web_event()).status_code == 200
    page = client.get(f"{BASE}/{stream.id}/delete")
    assert page.status_code == 200 and "Shop web" in page.text
    assert 'name="csrf_token"' in page.text and '<label for="confirm">' in page.text
    wrong = client.post(f"{BASE}/{stream.id}/delete", data={"csrf_token": token, "confirm": "x"})
    assert wrong.status_code == 422 and "Type the name exactly" in wrong.text
    assert len(_stored(settings)[0]) == 1
    done = client.post(
        f"{BASE}/{stream.id}/delete",
        data={"csrf_token": token, "confirm": "Shop web"},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == f"{BASE}?deleted=1"
    streams, origins = _stored(settings)
    assert streams == [] and stream.inlet_id not in origins
    assert "The datastream was deleted" in client.get(done.headers["location"]).text
    # the app forgets its inlet and its id at once
    assert client.post(f"/collection/{stream.inlet_id}", json=web_event()).status_code == 404
    assert client.get(f"{BASE}/{stream.id}").status_code == 404
    assert _audit(settings, "datastream.delete") == [(ADMIN, stream.id)]
    assert _audit(settings, "inlet.delete") == [(ADMIN, stream.inlet_id)]


def test_another_orgs_datastream_is_404(client: TestClient, settings: Settings) -> None:
    theirs = _stream(settings, "Their web", OTHER_ORG, OTHER_WEB)
    token = sign_in(client, settings, "admin")
    before = _changes(settings)
    for path in (f"{BASE}/{theirs.id}", f"{BASE}/{theirs.id}/delete", f"{BASE}/no-such-id"):
        missing = client.get(path)
        assert missing.status_code == 404, path
        assert "no such datastream in your organisation" in missing.text
    edit = {"csrf_token": token, "name": "Mine now", "origins": "https://evil.example"}
    assert client.post(f"{BASE}/{theirs.id}", data=edit).status_code == 404
    delete = {"csrf_token": token, "confirm": "Their web"}
    assert client.post(f"{BASE}/{theirs.id}/delete", data=delete).status_code == 404
    assert _changes(settings) == before
    (kept,), origins = _stored(settings)
    assert kept == theirs and origins[theirs.inlet_id] == ("https://www.shop.example",)
    # its admin, though, sees and edits it
    sign_in(client, settings, "admin", OTHER_ORG)
    assert client.get(f"{BASE}/{theirs.id}").status_code == 200


@pytest.mark.parametrize("role", [r for r in ROLES if r != "admin"])
def test_other_roles_get_403_on_every_page_and_action(
    client: TestClient, settings: Settings, role: str
) -> None:
    stream = _stream(settings)
    token = sign_in(client, settings, role)
    assert f'href="{BASE}"' not in client.get("/console/").text
    before = _changes(settings)
    for path in (BASE, f"{BASE}/{stream.id}", f"{BASE}/{stream.id}/delete"):
        refused = client.get(path)
        assert refused.status_code == 403, path
        assert f"Your role ({role}) may not" in refused.text
    posts = [
        (BASE, {"name": "New", "dataset_id": WEB, "origins": "https://a.example"}),
        (f"{BASE}/{stream.id}", {"name": "Renamed", "origins": "https://a.example"}),
        (f"{BASE}/{stream.id}/delete", {"confirm": "Shop web"}),
    ]
    for path, form in posts:
        refused = client.post(path, data={**form, "csrf_token": token}, follow_redirects=False)
        assert refused.status_code == 403, path
    assert _changes(settings) == before
    assert _stored(settings)[0] == [stream]


def test_a_form_without_the_csrf_token_is_refused(client: TestClient, settings: Settings) -> None:
    stream = _stream(settings)
    sign_in(client, settings, "admin")
    before = _changes(settings)
    posts = [
        (BASE, {"name": "New", "dataset_id": WEB, "origins": "https://a.example"}),
        (f"{BASE}/{stream.id}", {"name": "Renamed", "origins": "https://a.example"}),
        (f"{BASE}/{stream.id}/delete", {"confirm": "Shop web"}),
    ]
    for path, form in posts:
        for token in ({}, {"csrf_token": "forged"}):
            refused = client.post(path, data={**form, **token}, follow_redirects=False)
            assert refused.status_code == 403, path
            assert "The form expired" in refused.text
    assert _changes(settings) == before
    assert _stored(settings)[0] == [stream]
    page = client.get(BASE).text + client.get(f"{BASE}/{stream.id}").text
    assert page.count('name="csrf_token"') >= 4  # sign-out twice, create, edit


def test_an_admin_of_every_org_chooses_the_org_and_its_datasets(
    client: TestClient, settings: Settings
) -> None:
    _stream(settings, "Their web", OTHER_ORG, OTHER_WEB)
    token = sign_in(client, settings, "admin", None)
    listing = client.get(BASE)
    assert '<select id="datastream-org" name="org_id">' in listing.text
    assert "Their web" in listing.text and OTHER_WEB in listing.text
    form = {"csrf_token": token, "name": "Cross", "org_id": OTHER_ORG, "dataset_id": WEB}
    mixed = client.post(BASE, data=form)
    assert mixed.status_code == 422 and 'id="datastream-dataset-error"' in mixed.text
    unknown = client.post(BASE, data={**form, "org_id": "NOPE@AdobeOrg", "dataset_id": OTHER_WEB})
    assert unknown.status_code == 422 and 'id="datastream-org-error"' in unknown.text
    made = client.post(BASE, data={**form, "dataset_id": OTHER_WEB}, follow_redirects=False)
    assert made.status_code == 303, made.text
    assert sorted(s.name for s in _stored(settings)[0] if s.org_id == OTHER_ORG) == [
        "Cross",
        "Their web",
    ]
