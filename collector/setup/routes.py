"""Every route of the setup APIs (collector/setup/), for collector/app.py."""

from __future__ import annotations

from starlette.routing import BaseRoute

from collector.setup import catalog


def routes() -> list[BaseRoute]:
    return [*catalog.routes()]
