"""Every route of the console's signed-in pages (sign-in itself is ``signin.routes``)."""

from __future__ import annotations

from starlette.routing import BaseRoute

from collector.console import (
    activity,
    credentials,
    data_elements,
    datasets,
    debugger,
    inlets,
    properties,
    publishing,
    rules,
    users,
)


def routes() -> list[BaseRoute]:
    return [
        *properties.routes(),
        *data_elements.routes(),
        *rules.routes(),
        *publishing.routes(),
        *debugger.routes(),
        *activity.routes(),
        *inlets.routes(),
        *credentials.routes(),
        *users.routes(),
        *datasets.routes(),
    ]
