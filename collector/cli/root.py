"""The root ``collector`` command: each package owns its commands; this module assembles them.

Every listing command takes ``--json`` for scripts (``collector.cli.output``).
"""

from __future__ import annotations

import click

from collector.cli.control import commands as control_commands
from collector.cli.datastreams import datastreams
from collector.cli.serve import serve
from collector.guard.cli import tokens
from collector.profile.cli import commands as profile_commands
from collector.schemas.cli import failed, schemas
from collector.tags.cli import properties


@click.group()
@click.version_option(package_name="xdm-collector")
def main() -> None:
    """xdm-collector: AEP-compatible streaming ingestion with a durable lake."""


for _command in [
    serve,
    *control_commands,
    datastreams,
    tokens,
    schemas,
    failed,
    properties,
    *profile_commands,
]:
    main.add_command(_command)
