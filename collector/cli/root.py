"""The root ``collector`` command: each package owns its commands; this module assembles them.

Every listing command takes ``--json`` for scripts (``collector.cli.output``).
"""

from __future__ import annotations

import click

from collector.cli.control import commands as control_commands
from collector.cli.datastreams import datastreams
from collector.cli.serve import serve
from collector.guard.cli import tokens
from collector.guard.credentials_cli import credentials
from collector.guard.users_cli import users
from collector.lake.cli import lake
from collector.monitoring.failures_cli import commands as failure_commands
from collector.monitoring.stats_cli import stats
from collector.privacy.cli import commands as privacy_commands
from collector.profile.cli import commands as profile_commands
from collector.schemas.cli import failed, schemas
from collector.tags.builds_cli import commands as build_commands
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
    credentials,
    users,
    schemas,
    failed,
    properties,
    *profile_commands,
    *privacy_commands,
    stats,
    lake,
]:
    main.add_command(_command)
for _step in build_commands:
    properties.add_command(_step)

for _command in failure_commands:  # failed list|show|groups, next to failed revalidate
    failed.add_command(_command)
