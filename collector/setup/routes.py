"""Every route of the setup APIs (collector/setup/), for collector/app.py."""

from __future__ import annotations

from starlette.routing import BaseRoute

from collector.setup import catalog, connections, identity, registry_api, tenant_api


def routes() -> list[BaseRoute]:
    return [
        *catalog.routes(),
        *connections.routes(),
        *identity.routes(),
        *registry_api.routes(),
        *tenant_api.routes(),
    ]
