"""The demo of ``collector serve --demo``: an org, two datasets and an inlet.

Nothing is seeded unless asked (``--demo`` or ``COLLECTOR_SEED_DEMO=true``). The demo inlet
gets a random id, like any other inlet: ``demo_inlet`` finds it again in the control plane
(``collector inlets list`` shows it too).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from collector.control.plane import ControlPlane, Dataset, Inlet

DEMO_ORG = "DEMO@AdobeOrg"
DEMO_INLET_NAME = "Demo web inlet"
DEMO_SOURCE = "demo-site"
WEB_EVENTS = "5e0000000000000000000001"
PROFILES = "5e0000000000000000000002"
WEB_EVENTS_SCHEMA = "https://ns.xdm-collector.dev/schemas/web-events"
PROFILE_SCHEMA = "https://ns.xdm-collector.dev/schemas/customer-profile"


@dataclass(frozen=True)
class Demo:
    inlet: Inlet
    web_events: Dataset
    profiles: Dataset


def ensure_demo(
    control: ControlPlane,
    *,
    public_url: str,
    inlet_id: str | None = None,
    actor: str = "system:seed",
) -> Demo | None:
    """Seed the demo when the control plane is empty; returns it when it was just made.

    The inlet id is random unless ``inlet_id`` is given (tests and benchmarks pin one).
    """
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
        name=DEMO_INLET_NAME,
        description="Seeded by collector serve --demo",
        source_name=DEMO_SOURCE,
        allowed_origins=[origin_of(public_url)],
        default_dataset_id=WEB_EVENTS,
        inlet_id=inlet_id,
        actor=actor,
    )
    return Demo(inlet, web, profiles)


def origin_of(url: str) -> str:
    """The origin (``scheme://host[:port]``) of a URL such as ``COLLECTOR_PUBLIC_URL``."""
    parts = urlsplit(url.strip())
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    default = {"http": 80, "https": 443}.get(scheme)
    return f"{scheme}://{host}" if port is None or port == default else f"{scheme}://{host}:{port}"


def demo_inlet(control: ControlPlane) -> Inlet | None:
    """The demo's inlet (the first inlet of the demo org fed by the demo site), if any."""
    for inlet in control.inlets(DEMO_ORG):
        if inlet.source_name == DEMO_SOURCE and inlet.default_dataset_id == WEB_EVENTS:
            return inlet
    return None


def demo_inlet_id(control_db: Path) -> str | None:
    """The demo inlet's id, read from a ``control.db`` (for scripts and tests)."""
    control = ControlPlane(control_db)
    try:
        inlet = demo_inlet(control)
    finally:
        control.close()
    return None if inlet is None else inlet.id
