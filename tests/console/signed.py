"""Console users of every role and signing them in through the real login form."""

from __future__ import annotations

import re
from typing import Any

from starlette.testclient import TestClient

from collector.control.settings import Settings
from collector.guard.users import UserStore
from tests.access import FAST_HASHER, ensure_org
from tests.conftest import ORG

PASSWORD = "correct horse battery"
OTHER_ORG = "OTHER0000000000000000000@AdobeOrg"


def email(role: str, org_id: str | None = ORG) -> str:
    return f"{role}.{(org_id or 'all').split('@')[0].lower()}@example.com"


def csrf(page: Any) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match is not None, page.text
    return match.group(1)


def sign_in(client: TestClient, settings: Settings, role: str, org_id: str | None = ORG) -> str:
    """Sign ``client`` in as a user of ``role`` (created on first use); its CSRF token."""
    if org_id is not None:
        ensure_org(settings.control_db_path, org_id)
    store = UserStore(settings.control_db_path, hasher=FAST_HASHER)
    try:
        if store.get(email(role, org_id)) is None:
            store.create(email(role, org_id), role, PASSWORD, org_id)
    finally:
        store.close()
    client.cookies.clear()
    page = client.get("/console/login")
    form = {"csrf_token": csrf(page), "email": email(role, org_id), "password": PASSWORD}
    signed = client.post("/console/login", data=form, follow_redirects=False)
    assert signed.status_code == 303, signed.text
    return csrf(client.get("/console/"))
