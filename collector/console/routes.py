"""Every route of the console's signed-in pages (sign-in itself is ``signin.routes``)."""

from __future__ import annotations

from starlette.routing import BaseRoute

from collector.console import data_elements, debugger, properties, publishing, rules


def routes() -> list[BaseRoute]:
    return [
        *properties.routes(),
        *data_elements.routes(),
        *rules.routes(),
        *publishing.routes(),
        *debugger.routes(),
    ]
