"""The console's admin pages on the real app: inlets, API credentials, users and datasets.

Every action for every role (only admin passes; the server answers 403 whatever the page
shows), secrets shown once and never again (only hashes are stored), inline messages for bad
input, org scoping, and an audit row for every change made as the signed-in user."""

from __future__ import annotations

import re
import sqlite3

import pytest
from starlette.testclient import TestClient

from collector.control.plane import ControlPlane
from collector.control.settings import Settings
from collector.guard.credentials import CredentialStore
from collector.guard.roles import ROLES
from collector.guard.tokens import TokenStore
from collector.guard.users import UserStore
from tests.access import FAST_HASHER, credentials
from tests.conftest import ORG
from tests.console.signed import OTHER_ORG, PASSWORD, email, sign_in
from tests.demo import INLET

ADMIN = "user:" + email("admin")


def _audit(settings: Settings, action: str) -> list[tuple[str, str, str]]:
    with sqlite3.connect(settings.control_db_path) as conn:
        rows = conn.execute(
            "SELECT actor, object_id, detail FROM audit_log"
            " WHERE action = ? AND actor LIKE 'user:%' ORDER BY seq",
            (action,),
        ).fetchall()
    conn.close()
    return [(str(a), str(o), str(d)) for a, o, d in rows]


def _inlet(settings: Settings, name: str, auth: bool = True, org_id: str = ORG) -> str:
    plane = ControlPlane(settings.control_db_path)
    try:
        return plane.create_inlet(org_id=org_id, name=name, auth_required=auth).id
    finally:
        plane.close()


def _user(settings: Settings, address: str, role: str = "viewer", org_id: str | None = ORG) -> str:
    store = UserStore(settings.control_db_path, hasher=FAST_HASHER)
    try:
        return store.create(address, role, PASSWORD, org_id).id
    finally:
        store.close()


def _credential(settings: Settings, org_id: str = ORG) -> str:
    store = credentials(settings.control_db_path)
    try:
        return store.create(org_id, "existing", ["profile:read"]).credential.id
    finally:
        store.close()


def _changes(settings: Settings) -> int:
    with sqlite3.connect(settings.control_db_path) as conn:
        (count,) = conn.execute("SELECT count(*) FROM audit_log").fetchone()
    conn.close()
    return int(count)


PAGES = (
    "/console/admin/inlets",
    "/console/admin/credentials",
    "/console/admin/users",
    "/console/admin/datasets",
)


@pytest.mark.parametrize("role", [r for r in ROLES if r != "admin"])
def test_only_admins_reach_the_admin_pages_and_actions(
    client: TestClient, settings: Settings, role: str
) -> None:
    inlet = _inlet(settings, "Locked")
    user = _user(settings, "someone@example.com")
    credential = _credential(settings)
    token = sign_in(client, settings, role)
    before = _changes(settings)
    home = client.get("/console/")
    for path in PAGES:
        assert f'href="{path}"' not in home.text
        refused = client.get(path)
        assert refused.status_code == 403, path
        assert f"Your role ({role}) may not" in refused.text
    dataset = ControlPlane(settings.control_db_path).datasets(ORG)[0].id
    assert client.get(f"/console/admin/datasets/{dataset}").status_code == 403
    assert client.get(f"/console/admin/inlets/{inlet}/delete").status_code == 403
    posts = [
        ("/console/admin/inlets", {"name": "New", "origins": "https://a.example.com"}),
        (f"/console/admin/inlets/{inlet}/rotate", {}),
        (f"/console/admin/inlets/{inlet}/delete", {"confirm": "Locked"}),
        ("/console/admin/credentials", {"name": "c", "scope.admin": "on"}),
        (f"/console/admin/credentials/{credential}/revoke", {}),
        ("/console/admin/users", {"email": "x@example.com", "role": "admin", "password": "p" * 12}),
        (f"/console/admin/users/{user}/role", {"role": "admin"}),
        (f"/console/admin/users/{user}/disable", {}),
    ]
    for path, form in posts:
        done = client.post(path, data={**form, "csrf_token": token}, follow_redirects=False)
        assert done.status_code == 403, path
    assert _changes(settings) == before
    with sqlite3.connect(settings.control_db_path) as conn:
        assert conn.execute("SELECT count(*) FROM tokens").fetchone() == (0,)
        assert conn.execute(
            "SELECT role, disabled_at FROM users WHERE id = ?", (user,)
        ).fetchone() == (
            "viewer",
            None,
        )
    conn.close()
    assert ControlPlane(settings.control_db_path).inlet(inlet) is not None


def test_admin_navigation_lists_the_admin_pages(client: TestClient, settings: Settings) -> None:
    sign_in(client, settings, "admin")
    home = client.get("/console/")
    for path in PAGES:
        assert f'href="{path}"' in home.text
        assert client.get(path).status_code == 200, path


def test_admin_creates_an_inlet_with_origins_and_its_token_is_shown_once(
    client: TestClient, settings: Settings
) -> None:
    token = sign_in(client, settings, "admin")
    bad = client.post(
        "/console/admin/inlets",
        data={"csrf_token": token, "name": "Shop", "origins": "https://Shop.example.com"},
    )
    assert bad.status_code == 422
    assert 'id="inlet-origins-error"' in bad.text and "must be lowercase" in bad.text
    assert 'aria-invalid="true"' in bad.text and "https://Shop.example.com" in bad.text
    assert _audit(settings, "inlet.create") == []
    created = client.post(
        "/console/admin/inlets",
        data={
            "csrf_token": token,
            "name": "Shop",
            "origins": "https://shop.example.com\nhttps://*.example.com/\n",
            "auth": "on",
        },
    )
    assert created.status_code == 201, created.text
    secret = re.search(r'id="issued-token" type="text" readonly value="(xdmc_[^"]+)"', created.text)
    assert secret is not None and "shown only this once" in created.text
    plane = ControlPlane(settings.control_db_path)
    (inlet,) = [i for i in plane.inlets(ORG) if i.name == "Shop"]
    assert inlet.allowed_origins == ("https://shop.example.com", "https://*.example.com")
    tokens = TokenStore(settings.control_db_path)
    assert tokens.inlet_of(secret.group(1)) == inlet.id
    listing = client.get("/console/admin/inlets")
    assert inlet.id in listing.text and secret.group(1) not in listing.text
    assert "issued-token" not in listing.text
    # rotating: a new token, shown once; the old one stops working
    rotated = client.post(f"/console/admin/inlets/{inlet.id}/rotate", data={"csrf_token": token})
    assert rotated.status_code == 200
    new = re.search(r'id="issued-token" type="text" readonly value="(xdmc_[^"]+)"', rotated.text)
    assert new is not None and new.group(1) != secret.group(1)
    assert tokens.inlet_of(secret.group(1)) is None
    assert tokens.inlet_of(new.group(1)) == inlet.id
    assert new.group(1) not in client.get("/console/admin/inlets").text
    with sqlite3.connect(settings.control_db_path) as conn:
        stored = [h for (h,) in conn.execute("SELECT hash FROM tokens")]
    conn.close()
    assert new.group(1) not in stored and secret.group(1) not in stored
    tokens.close()
    assert [(a, o) for a, o, _ in _audit(settings, "inlet.create")] == [(ADMIN, inlet.id)]
    rotations = _audit(settings, "inlet.token_rotate")
    assert [(a, o) for a, o, _ in rotations] == [(ADMIN, inlet.id), (ADMIN, inlet.id)]
    assert secret.group(1) not in rotations[1][2] and new.group(1) not in rotations[1][2]
    plane.close()


def test_rotating_an_open_inlet_is_refused(client: TestClient, settings: Settings) -> None:
    token = sign_in(client, settings, "admin")
    refused = client.post(f"/console/admin/inlets/{INLET}/rotate", data={"csrf_token": token})
    assert refused.status_code == 409 and "takes no token" in refused.text
    assert _audit(settings, "inlet.token_rotate") == []


def test_admin_deletes_an_inlet_after_typing_its_name(
    client: TestClient, settings: Settings
) -> None:
    inlet = _inlet(settings, "Old shop")
    issued = TokenStore(settings.control_db_path).create(inlet)
    token = sign_in(client, settings, "admin")
    page = client.get(f"/console/admin/inlets/{inlet}/delete")
    assert page.status_code == 200 and "Old shop" in page.text
    wrong = client.post(
        f"/console/admin/inlets/{inlet}/delete", data={"csrf_token": token, "confirm": "old"}
    )
    assert wrong.status_code == 422 and "Type the name exactly" in wrong.text
    done = client.post(
        f"/console/admin/inlets/{inlet}/delete",
        data={"csrf_token": token, "confirm": "Old shop"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert ControlPlane(settings.control_db_path).inlet(inlet) is None
    assert TokenStore(settings.control_db_path).inlet_of(issued.secret) is None
    assert [(a, o) for a, o, _ in _audit(settings, "inlet.delete")] == [(ADMIN, inlet)]
    assert client.get(f"/console/admin/inlets/{inlet}/delete").status_code == 404


def test_an_org_admin_sees_and_changes_only_their_org(
    client: TestClient, settings: Settings
) -> None:
    sign_in(client, settings, "admin", OTHER_ORG)  # creates OTHER_ORG too
    theirs = _inlet(settings, "Elsewhere", org_id=OTHER_ORG)
    credential = _credential(settings, ORG)
    user = _user(settings, "mine@example.com")
    token = sign_in(client, settings, "admin")
    inlets = client.get("/console/admin/inlets").text
    assert theirs not in inlets and INLET in inlets
    assert client.get(f"/console/admin/inlets/{theirs}/delete").status_code == 404
    rotate = client.post(f"/console/admin/inlets/{theirs}/rotate", data={"csrf_token": token})
    assert rotate.status_code == 404
    assert email("admin", OTHER_ORG) not in client.get("/console/admin/users").text
    sign_in(client, settings, "admin", OTHER_ORG)
    token = sign_in(client, settings, "admin", OTHER_ORG)
    revoke = client.post(
        f"/console/admin/credentials/{credential}/revoke", data={"csrf_token": token}
    )
    assert revoke.status_code == 404
    disable = client.post(f"/console/admin/users/{user}/disable", data={"csrf_token": token})
    assert disable.status_code == 404
    other_datasets = client.get("/console/admin/datasets").text
    dataset = ControlPlane(settings.control_db_path).datasets(ORG)[0].id
    assert dataset not in other_datasets
    assert client.get(f"/console/admin/datasets/{dataset}").status_code == 404


def test_admin_creates_a_credential_and_its_secret_is_shown_once(
    client: TestClient, settings: Settings
) -> None:
    token = sign_in(client, settings, "admin")
    none = client.post("/console/admin/credentials", data={"csrf_token": token, "name": "ETL"})
    assert none.status_code == 422 and "Choose at least one scope." in none.text
    created = client.post(
        "/console/admin/credentials",
        data={
            "csrf_token": token,
            "name": "ETL",
            "scope.profile:read": "on",
            "scope.datasets:write": "on",
        },
    )
    assert created.status_code == 201, created.text
    secret = re.search(
        r'id="issued-secret" type="text" readonly value="(xdmcs_[^"]+)"', created.text
    )
    client_id = re.search(
        r'id="issued-client-id" type="text" readonly value="([0-9a-f]+)"', created.text
    )
    assert secret is not None and client_id is not None
    store = CredentialStore(settings.control_db_path)
    found = store.verify(client_id.group(1), secret.group(1))
    assert found is not None and found.scopes == ("profile:read", "datasets:write")
    assert found.org_id == ORG
    listing = client.get("/console/admin/credentials")
    assert client_id.group(1) in listing.text and secret.group(1) not in listing.text
    with sqlite3.connect(settings.control_db_path) as conn:
        hashes = " ".join(h for (h,) in conn.execute("SELECT secret_hash FROM credentials"))
    conn.close()
    assert secret.group(1) not in hashes
    revoked = client.post(
        f"/console/admin/credentials/{found.id}/revoke",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert revoked.status_code == 303
    assert store.verify(client_id.group(1), secret.group(1)) is None
    store.close()
    assert [(a, o) for a, o, _ in _audit(settings, "credential.create")] == [(ADMIN, found.id)]
    assert [(a, o) for a, o, _ in _audit(settings, "credential.revoke")] == [(ADMIN, found.id)]
    assert all(secret.group(1) not in d for _, _, d in _audit(settings, "credential.create"))


def test_admin_creates_a_user_changes_the_role_and_disables(
    client: TestClient, settings: Settings
) -> None:
    token = sign_in(client, settings, "admin")
    short = client.post(
        "/console/admin/users",
        data={"csrf_token": token, "email": "new@example.com", "role": "editor", "password": "x"},
    )
    assert short.status_code == 422 and "at least 12 characters" in short.text
    assert 'id="user-password-error"' in short.text
    created = client.post(
        "/console/admin/users",
        data={
            "csrf_token": token,
            "email": "new@example.com",
            "role": "editor",
            "password": PASSWORD,
        },
        follow_redirects=False,
    )
    assert created.status_code == 303
    assert PASSWORD not in client.get("/console/admin/users").text
    store = UserStore(settings.control_db_path)
    user = store.get("new@example.com")
    assert user is not None and user.role == "editor" and user.org_id == ORG
    # the new user signs in, then loses the session when an admin changes their role
    other = TestClient(client.app)
    page = other.get("/console/login")
    login_token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert login_token is not None
    signed = other.post(
        "/console/login",
        data={"csrf_token": login_token.group(1), "email": "new@example.com", "password": PASSWORD},
        follow_redirects=False,
    )
    assert signed.status_code == 303
    assert other.get("/console/properties").status_code == 200
    changed = client.post(
        f"/console/admin/users/{user.id}/role",
        data={"csrf_token": token, "role": "approver"},
        follow_redirects=False,
    )
    assert changed.status_code == 303
    assert other.get("/console/properties", follow_redirects=False).status_code == 303
    bad_role = client.post(
        f"/console/admin/users/{user.id}/role", data={"csrf_token": token, "role": "root"}
    )
    assert bad_role.status_code == 422
    disabled = client.post(
        f"/console/admin/users/{user.id}/disable",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert disabled.status_code == 303
    after = store.get(user.id)
    assert after is not None and after.role == "approver" and after.disabled_at is not None
    store.close()
    me = UserStore(settings.control_db_path).get(email("admin"))
    assert me is not None
    own = client.post(f"/console/admin/users/{me.id}/disable", data={"csrf_token": token})
    assert own.status_code == 409 and "cannot disable yourself" in own.text
    assert [(a, o) for a, o, _ in _audit(settings, "user.create")] == [(ADMIN, "new@example.com")]
    assert [(a, o) for a, o, _ in _audit(settings, "user.set_role")] == [(ADMIN, "new@example.com")]
    assert [(a, o) for a, o, _ in _audit(settings, "user.disable")] == [(ADMIN, "new@example.com")]
    assert all(PASSWORD not in d for _, _, d in _audit(settings, "user.create"))


def test_datasets_list_and_the_read_only_schema_browser(
    client: TestClient, settings: Settings
) -> None:
    sign_in(client, settings, "admin")
    plane = ControlPlane(settings.control_db_path)
    dataset = plane.datasets(ORG)[0]
    plane.close()
    listing = client.get("/console/admin/datasets")
    assert f'href="/console/admin/datasets/{dataset.id}"' in listing.text
    assert dataset.schema_id in listing.text
    browser = client.get(f"/console/admin/datasets/{dataset.id}")
    assert browser.status_code == 200
    assert 'id="tree-filter"' in browser.text and 'id="field-tree"' in browser.text
    assert "<td>_id</td>" in browser.text or "<td>timestamp</td>" in browser.text
    assert "<form" not in browser.text.split("</header>")[1]  # read-only
    assert client.get("/console/admin/datasets/" + "0" * 24).status_code == 404


def test_bad_input_gets_a_message_never_a_500(client: TestClient, settings: Settings) -> None:
    token = sign_in(client, settings, "admin")
    cases = [
        ("/console/admin/inlets", {"name": ""}, "Enter a name."),
        ("/console/admin/inlets", {"name": "x" * 201}, "At most 200 characters."),
        ("/console/admin/inlets", {"name": "Bad\x00name"}, "inlet name"),
        ("/console/admin/inlets", {"name": "Shop", "dataset_id": "zzz"}, "not a dataset of"),
        ("/console/admin/inlets", {"name": "Shop", "origins": "ftp://x.example.com"}, "expected"),
        ("/console/admin/credentials", {"name": "", "scope.admin": "on"}, "Enter a name."),
        (
            "/console/admin/users",
            {"email": "not-an-email", "role": "viewer", "password": PASSWORD},
            "Not an email address",
        ),
        (
            "/console/admin/users",
            {"email": email("admin"), "role": "viewer", "password": PASSWORD},
            "exists",
        ),
        (
            "/console/admin/users",
            {"email": "a@example.com", "role": "root", "password": PASSWORD},
            "Choose a role.",
        ),
    ]
    before = _changes(settings)
    for path, form, message in cases:
        answer = client.post(path, data={**form, "csrf_token": token})
        assert answer.status_code == 422, (path, form, answer.status_code)
        assert message in answer.text, (path, form)
    assert _changes(settings) == before
