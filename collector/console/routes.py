"""Every route of the console's signed-in pages (sign-in itself is ``signin.routes``)."""

from __future__ import annotations

from starlette.routing import BaseRoute

from collector.console import (
    activity,
    credentials,
    data_elements,
    datasets,
    datastreams,
    debugger,
    inlets,
    properties,
    publishing,
    rules,
    users,
)
from collector.console.failed_messages import routes as failed_message_routes
from collector.console.monitoring_charts import routes as monitoring_routes


def routes() -> list[BaseRoute]:
    return [
        *properties.routes(),
        *data_elements.routes(),
        *rules.routes(),
        *publishing.routes(),
        *debugger.routes(),
        *failed_message_routes(),
        *monitoring_routes(),
        *activity.routes(),
        *inlets.routes(),
        *credentials.routes(),
        *users.routes(),
        *datasets.routes(),
        *datastreams.routes(),
    ]
