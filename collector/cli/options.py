"""Options every ``collector`` command group shares."""

from __future__ import annotations

from pathlib import Path

import click

data_dir_option = click.option(
    "--data-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Data directory (default: $COLLECTOR_DATA_DIR or ./data).",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
