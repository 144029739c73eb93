"""Registries shared by the schema tests (loading is the slow part; validation is not)."""

from __future__ import annotations

from pathlib import Path

import pytest

from collector.schemas import SchemaRegistry

REPO = Path(__file__).resolve().parents[2]
SCHEMAS = REPO / "schemas"
XDM = REPO.parent / "shared" / "xdm_conformance" / "data"
WEB = "https://ns.xdm-collector.dev/schemas/web-events"
PROFILE = "https://ns.xdm-collector.dev/schemas/customer-profile"


@pytest.fixture(scope="session")
def compiled() -> SchemaRegistry:
    return SchemaRegistry.load(SCHEMAS)


@pytest.fixture(scope="session")
def reference() -> SchemaRegistry:
    return SchemaRegistry.load(SCHEMAS, engine="reference")


@pytest.fixture(scope="session", params=["compiled", "reference"])
def registry(
    request: pytest.FixtureRequest, compiled: SchemaRegistry, reference: SchemaRegistry
) -> SchemaRegistry:
    return compiled if request.param == "compiled" else reference
