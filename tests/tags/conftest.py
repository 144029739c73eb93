"""Fixtures for the tag tests: a seeded control plane and the property workflow on it."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from collector.control import seed
from collector.control.plane import ControlPlane
from collector.control.settings import Settings
from collector.schemas.registry import SchemaRegistry
from collector.tags.manifest import Manifest
from collector.tags.properties import Properties
from collector.tags.store import TagStore
from tests.demo import INLET, with_demo

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
PUBLIC_URL = "http://127.0.0.1:8000"


@pytest.fixture(scope="session")
def registry() -> SchemaRegistry:
    return SchemaRegistry.load(REPO / "schemas")


@pytest.fixture(scope="session")
def manifest() -> Manifest:
    return Manifest(REPO / "tag_extension")


@pytest.fixture
def tag_settings(tmp_path: Path) -> Settings:
    return with_demo(
        Settings(data_dir=tmp_path / "data", run_projector=False, public_url=PUBLIC_URL)
    )


@pytest.fixture
def props(
    tag_settings: Settings, registry: SchemaRegistry, manifest: Manifest
) -> Iterator[Properties]:
    """The property workflow on a control plane that holds the demo org, datasets and inlet."""
    control = ControlPlane(tag_settings.control_db_path, refresh_interval=0)
    seed.ensure_demo(control, public_url=PUBLIC_URL, inlet_id=INLET)
    store = TagStore(tag_settings.control_db_path)
    try:
        yield Properties(store, control, registry, manifest, public_url=PUBLIC_URL)
    finally:
        store.close()
        control.close()


def beacon_rule(name: str, *rows: tuple[str, Any], **settings: Any) -> dict[str, Any]:
    """A rule: on ``_xdmTag.track(name)``, send a web-events beacon with these mapping rows."""
    return {
        "name": name,
        "events": [{"type": "events/directCall", "settings": {"name": name}}],
        "actions": [
            {
                "type": "actions/sendBeacon",
                "settings": {
                    "schemaId": seed.WEB_EVENTS_SCHEMA,
                    "mapping": [{"path": p, "value": v} for p, v in rows],
                    **settings,
                },
            }
        ],
    }


def run_in_node(library: str, tmp_path: Path) -> dict[str, Any]:
    """Runs a library text in node on the fake window (``harness.mjs``); what it did, as JSON."""
    path = tmp_path / "library.js"
    path.write_text(library, encoding="utf-8")
    subprocess.run(["node", "--check", str(path)], check=True, capture_output=True, timeout=60)
    out = subprocess.run(
        ["node", str(HERE / "harness.mjs"), str(path)],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    result: dict[str, Any] = json.loads(out)
    return result
