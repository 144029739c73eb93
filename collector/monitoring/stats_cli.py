"""``collector stats``: the per-minute series of ``monitoring.db`` as a table (or JSON)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from collector.cli.options import data_dir_option, format_option
from collector.cli.output import Format, emit
from collector.control.settings import Settings
from collector.monitoring.observer import monitoring_db
from collector.monitoring.series import SeriesQuery, open_db, series

_UNITS = {"m": 60, "h": 3600, "d": 86_400}
COLUMNS = ["time", "received", "accepted", "failed", "rejected", "throttled", "bytes",
           "ttp_p50_ms", "ttp_p95_ms"]  # fmt: skip


def _duration(text: str) -> int:
    unit = _UNITS.get(text[-1:])
    if unit is None or not text[:-1].isdigit() or int(text[:-1]) == 0:
        raise click.BadParameter(f"{text!r}: a duration such as 15m, 6h or 7d")
    return int(text[:-1]) * unit


def rows(answer: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per step: counters summed by kind, time to profile as p50/p95."""
    table: dict[int, dict[str, Any]] = {}
    for line in answer["series"]:
        metric: str = line["metric"]
        column = {
            "time_to_profile_ms_p50": "ttp_p50_ms",
            "time_to_profile_ms_p95": "ttp_p95_ms",
        }.get(metric) or metric.split(":", 1)[0]
        for t, value in line["points"]:
            row = table.setdefault(t, {c: 0 for c in COLUMNS} | {"ttp_p50_ms": None,
                                                                 "ttp_p95_ms": None})  # fmt: skip
            if column.startswith("ttp_"):
                row[column] = value
            elif column in row and isinstance(value, int):
                row[column] += value
    for t, row in table.items():
        row["time"] = datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%MZ")
    return [table[t] for t in sorted(table)]


@click.command()
@click.option("--since", default="1h", show_default=True, help="How far back: 15m, 6h, 7d.")
@click.option("--step", default="1m", show_default=True, help="Row width: 1m, 5m, 1h, 1d.")
@click.option("--org", "org_id", default=None, help="Only this org.")
@click.option("--inlet", "inlet_id", default=None, help="Only this inlet.")
@click.option("--dataset", "dataset_id", default=None, help="Only this dataset.")
@data_dir_option
@format_option
def stats(
    since: str,
    step: str,
    org_id: str | None,
    inlet_id: str | None,
    dataset_id: str | None,
    data_dir: Path | None,
    fmt: Format,
) -> None:
    """What arrived per minute (or step): received, accepted, failed, rejected, time to profile."""
    width = _duration(step)
    end = int(time.time()) // 60 * 60 + 60
    start = end - _duration(since)
    start -= (start % width) if width >= 60 else 0
    path = monitoring_db(Settings.from_env(data_dir=data_dir))
    query = SeriesQuery(start, end, width, org_id, inlet_id, dataset_id)
    if not path.exists():
        answer: dict[str, Any] = {"start": start, "end": end, "step": width, "series": []}
    else:
        conn = open_db(path)
        try:
            answer = series(conn, query)
        finally:
            conn.close()
    if fmt == "json":
        emit(answer, "json")
        return
    emit(rows(answer), fmt, COLUMNS)
