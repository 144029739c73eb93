"""Shared fixtures: settings on a tmp data dir, the real app with its lifespan, messages."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import settings as hypothesis_settings
from starlette.testclient import TestClient

import collector.cli  # noqa: F401  (first: a command module imported alone is circular)
from collector.control import seed
from collector.control.settings import Settings
from collector.lake.segments import read_records, segments
from collector.schemas import subtrees
from tests.demo import INLET as INLET
from tests.demo import with_demo

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
ORG = seed.DEMO_ORG
WEB = seed.WEB_EVENTS
PROFILES = seed.PROFILES
CT = "application/vnd.adobe.xed-full+json;version=1"
_ids = itertools.count(1)

# CI replays the same examples on every run (a red build means a change broke something);
# developers' runs keep exploring new ones.
hypothesis_settings.register_profile("ci", derandomize=True, deadline=None)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return with_demo(Settings(data_dir=tmp_path / "data", run_projector=False))


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    from collector.app import create_app

    with TestClient(create_app(settings)) as test_client:
        yield test_client


def web_event(**entity: Any) -> dict[str, Any]:
    """A valid web-events message in the current envelope."""
    n = next(_ids)
    body: dict[str, Any] = {
        "_id": f"evt-{n}",
        "timestamp": "2026-11-22T10:00:00Z",
        "eventType": "web.webpagedetails.pageViews",
        "web": {"webPageDetails": {"name": "home", "URL": "https://shop.example.com/"}},
        "identityMap": {"ECID": [{"id": f"{n:038d}", "primary": True}]},
    }
    body.update(entity)
    ref = {"id": seed.WEB_EVENTS_SCHEMA, "contentType": CT}
    return {
        "header": {
            "schemaRef": ref,
            "imsOrgId": ORG,
            "datasetId": WEB,
            "source": {"name": "tests"},
        },
        "body": {"xdmMeta": {"schemaRef": ref}, "xdmEntity": body},
    }


def lake_records(settings: Settings, partition: str | None = None) -> list[dict[str, Any]]:
    """Every line of the lake (or one partition), parsed; fails on a line that does not parse."""
    found = []
    for path in segments(settings.lake_dir, partition):
        for line in path.read_bytes().splitlines():
            found.append(orjson.loads(line))
    return found


def accepted(settings: Settings) -> list[dict[str, Any]]:
    return [r for p in segments(settings.lake_dir, WEB) for r in read_records(p)]


@pytest.fixture
def taken(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many violations each validation took from the subtree validator."""
    counts: list[int] = []
    errors = subtrees.Subtrees.errors

    def counted(self: subtrees.Subtrees, instance: Any) -> Iterator[subtrees.Found]:
        counts.append(0)
        for found in errors(self, instance):
            counts[-1] += 1
            yield found

    monkeypatch.setattr(subtrees.Subtrees, "errors", counted)
    return counts
