"""The demo a new user gets on first start: an org, two datasets and an inlet."""

from __future__ import annotations

from dataclasses import dataclass

from collector.control.plane import ControlPlane, Dataset, Inlet

DEMO_ORG = "DEMO@AdobeOrg"
DEMO_INLET = "c011ec70" * 8
WEB_EVENTS = "5e0000000000000000000001"
PROFILES = "5e0000000000000000000002"
WEB_EVENTS_SCHEMA = "https://ns.xdm-collector.dev/schemas/web-events"
PROFILE_SCHEMA = "https://ns.xdm-collector.dev/schemas/customer-profile"


@dataclass(frozen=True)
class Demo:
    inlet: Inlet
    web_events: Dataset
    profiles: Dataset


def ensure_demo(control: ControlPlane, *, public_url: str) -> Demo | None:
    """Seed the demo when the control plane is empty; returns it when it was just made."""
    if not control.is_empty():
        return None
    control.create_org(DEMO_ORG, "Demo org")
    web = control.create_dataset(
        org_id=DEMO_ORG,
        name="Web events",
        schema_id=WEB_EVENTS_SCHEMA,
        profile_enabled=True,
        identity_enabled=True,
        dataset_id=WEB_EVENTS,
    )
    profiles = control.create_dataset(
        org_id=DEMO_ORG,
        name="Customer profiles",
        schema_id=PROFILE_SCHEMA,
        profile_enabled=True,
        identity_enabled=True,
        dataset_id=PROFILES,
    )
    inlet = control.create_inlet(
        org_id=DEMO_ORG,
        name="Demo web inlet",
        description="Seeded on first start",
        source_name="demo-site",
        allowed_origins=[public_url.rstrip("/")],
        default_dataset_id=WEB_EVENTS,
        inlet_id=DEMO_INLET,
    )
    return Demo(inlet, web, profiles)
