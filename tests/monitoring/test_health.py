"""``/health`` reports a lake that cannot take writes; every 503 carries ``Retry-After``."""

from __future__ import annotations

import shutil

from starlette.testclient import TestClient

from collector.control.settings import Settings
from tests.conftest import INLET, WEB, web_event


def assert_unavailable(r: object, reason: str) -> None:
    assert r.status_code == 503  # type: ignore[attr-defined]
    assert r.headers["retry-after"] == "1"  # type: ignore[attr-defined]
    assert r.headers["content-type"] == "application/problem+json"  # type: ignore[attr-defined]
    body = r.json()  # type: ignore[attr-defined]
    assert body["status"] == 503
    assert body["title"] == "Service Unavailable"
    assert reason in body["report"]["message"], body


def test_healthy(client: TestClient, settings: Settings) -> None:
    r = client.get("/health")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}
    assert [p.name for p in settings.lake_dir.iterdir() if p.name.startswith(".health")] == []


def test_a_lake_directory_that_takes_no_writes(client: TestClient, settings: Settings) -> None:
    shutil.rmtree(settings.lake_dir, ignore_errors=True)
    settings.lake_dir.parent.mkdir(parents=True, exist_ok=True)
    settings.lake_dir.write_bytes(b"not a directory")
    assert_unavailable(client.get("/health"), "The lake directory is not writable")
    settings.lake_dir.unlink()
    assert client.get("/health").status_code == 200


def test_a_failed_write_is_reported_until_one_succeeds(
    client: TestClient, settings: Settings
) -> None:
    blocked = settings.lake_dir / WEB
    shutil.rmtree(blocked, ignore_errors=True)
    blocked.parent.mkdir(parents=True, exist_ok=True)
    blocked.write_bytes(b"the dataset's directory cannot be made")
    r = client.post(f"/collection/{INLET}", json=web_event())
    assert_unavailable(r, "Storage is not writable")
    assert r.json()["report"]["message"].startswith(f"inletId: [{INLET}]")
    assert_unavailable(client.get("/health"), "The last lake write failed: Storage is not writable")
    blocked.unlink()
    assert client.post(f"/collection/{INLET}", json=web_event()).status_code == 200
    assert client.get("/health").json() == {"status": "ok"}
