"""The demo the tests run against: seeded like ``collector serve --demo``, with a pinned id.

``collector serve --demo`` gives the demo inlet a random id; tests pin theirs (``INLET``) so
that a URL can be written once. ``tests/test_demo_defaults.py`` covers the random path.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from collector.control import seed
from collector.control.plane import ControlPlane
from collector.control.settings import Settings

INLET = "7e57" * 16


def seed_demo(control_db: Path, public_url: str, inlet_id: str = INLET) -> None:
    """Seed the demo into an empty control plane (no-op when it has anything).

    Every test request comes from one client address (``testclient``, 127.0.0.1), so the
    pinned demo inlet has no per-IP limit of its own; tests/guard/test_limits.py covers the
    default one on other browser inlets.
    """
    control = ControlPlane(control_db)
    try:
        if seed.ensure_demo(control, public_url=public_url, inlet_id=inlet_id) is not None:
            control.set_inlet_limits(inlet_id, {"per_ip_per_second": 0})
    finally:
        control.close()


def with_demo(settings: Settings) -> Settings:
    """``settings`` with the demo in its data dir, and the demo's tag seeded at start-up."""
    seed_demo(settings.control_db_path, settings.public_url)
    return dataclasses.replace(settings, seed_demo=True)
