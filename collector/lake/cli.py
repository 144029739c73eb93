"""Lake commands: ``collector lake compact``."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from collector.cli.options import data_dir_option, format_option
from collector.cli.output import Format, emit
from collector.control.settings import Settings
from collector.lake import layout
from collector.lake.compaction import compact as compact_hours
from collector.lake.compaction import partitions
from collector.lake.parquet import CompactionError

_COLUMNS = ["partition", "date", "hour", "segments", "lines", "written", "replaced"]


@click.group()
def lake() -> None:
    """Work on the lake's files."""


@lake.command()
@click.option("--dataset", "dataset_id", default=None, help="Only this dataset (and its failed).")
@click.option(
    "--before",
    default=None,
    metavar="WHEN",
    help="Only hours before this UTC time (ISO 8601, e.g. 2026-12-01 or 2026-12-01T06:00);"
    " default: the current hour.",
)
@click.option(
    "--replace",
    is_flag=True,
    help="Remove the JSON lines of each hour once its Parquet file is verified.",
)
@format_option
@data_dir_option
def compact(
    dataset_id: str | None,
    before: str | None,
    replace: bool,
    fmt: Format,
    data_dir: Path | None,
) -> None:
    """Write each closed hour as Parquet (zstd) beside its JSON lines.

    A closed hour is older than the current hour and has no open segment. With --replace the
    JSON lines are removed; the projector, replay, monitoring and erasure read the Parquet
    rows instead.
    """
    settings = Settings.from_env(data_dir=data_dir)
    try:
        done = compact_hours(
            settings.lake_dir,
            partitions(settings.lake_dir, dataset_id),
            before_hour=_hour(before),
            replace=replace,
        )
    except CompactionError as exc:
        raise click.ClickException(str(exc)) from None
    emit([hour.row() for hour in done], fmt, _COLUMNS)


def _hour(before: str | None) -> int | None:
    if before is None:
        return None
    try:
        when = datetime.fromisoformat(before)
    except ValueError:
        raise click.BadParameter(
            f"{before!r} is not an ISO 8601 time", param_hint="--before"
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return layout.hour_of(int(when.timestamp() * 1000))
