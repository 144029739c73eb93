"""Options every ``collector`` command group shares."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

data_dir_option = click.option(
    "--data-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Data directory (default: $COLLECTOR_DATA_DIR or ./data).",
)
# For reports that are JSON or prose (not rows): ``--json`` only.
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")


def format_option(command: F) -> F:
    """``--json``, ``--csv`` or ``--table`` (the default), as one parameter ``fmt``.

    The value goes to ``collector.cli.output.emit``.
    """
    flags = [
        ("--table", "table", "Print an aligned table (default)."),
        ("--csv", "csv", "Print CSV with a header row."),
        ("--json", "json", "Print JSON for scripts."),
    ]
    for flag, value, help_text in flags:
        default = True if value == "table" else None
        command = click.option(flag, "fmt", flag_value=value, default=default, help=help_text)(
            command
        )
    return command
