"""``collector failed list|show|groups``: failed messages from the shell (``failures``)."""

from __future__ import annotations

import re
from pathlib import Path

import click

from collector.cli.options import data_dir_option, json_option
from collector.cli.output import emit
from collector.control.settings import Settings
from collector.monitoring import failures
from collector.monitoring.events import leaf_violations, parse_time, violations_of


def _dataset_id(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,128}", value):
        raise click.BadParameter("a dataset id is letters, digits, _ and -")
    return value


_dataset = click.option(
    "--dataset", "dataset_id", default=None, callback=_dataset_id, help="Only this dataset id."
)
_since = click.option(
    "--since", default=None, help="Only failures received at or after (ms or ISO 8601)."
)


def _since_ms(since: str | None) -> int | None:
    if since is None:
        return None
    try:
        return parse_time(since)
    except (ValueError, OverflowError) as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from None


def _lake(data_dir: Path | None) -> Path:
    return Settings.from_env(data_dir=data_dir).lake_dir


@click.command("list")
@_dataset
@_since
@click.option("--reason", default=None, help="Only failures whose reason contains this text.")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 100_000))
@data_dir_option
@json_option
def list_command(
    dataset_id: str | None,
    since: str | None,
    reason: str | None,
    limit: int,
    data_dir: Path | None,
    as_json: bool,
) -> None:
    """List failed messages, newest first: time, xactionId, dataset, reason, first violation."""
    rows = failures.listing(
        _lake(data_dir), dataset_id, since_ms=_since_ms(since), reason=reason, limit=limit
    )
    if not as_json:
        if not rows:
            click.echo("no failed messages")
            return
        for row in rows:
            row["violation"] = row["violation"] or ""
    emit(rows, as_json, ["time", "xactionId", "datasetId", "reason", "violation"])


@click.command("show")
@click.argument("xaction_id")
@data_dir_option
@json_option
def show_command(xaction_id: str, data_dir: Path | None, as_json: bool) -> None:
    """Print one failed record (found by its xactionId) with its violations."""
    try:
        record = failures.show(_lake(data_dir), xaction_id)
    except failures.FailureNotFound as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        emit(record, True, [])
        return
    for key in ("xactionId", "datasetId", "inletId", "orgId", "receivedTimeMs", "reason"):
        click.echo(f"{key}: {record.get(key)}")
    for leaf in leaf_violations(violations_of(record)):
        click.echo(
            f"violation: {leaf.get('pointerToViolation')} [{leaf.get('keyword')}]"
            f" {leaf.get('message')}"
        )
    emit({"record": record}, True, [])


@click.command("groups")
@_dataset
@_since
@data_dir_option
@json_option
def groups_command(
    dataset_id: str | None, since: str | None, data_dir: Path | None, as_json: bool
) -> None:
    """Failures grouped by violation (pointer and keyword) or reason, with counts and samples."""
    found = failures.groups(_lake(data_dir), dataset_id, since_ms=_since_ms(since))
    rows = [g.to_dict() for g in found]
    if not as_json and not rows:
        click.echo("no failed messages")
        return
    if not as_json:
        for row in rows:
            row["rule"] = row["reason"] or f"{row['pointer']} [{row['keyword']}]"
            row["samples"] = " ".join(row["sampleXactionIds"])
    emit(rows, as_json, ["count", "datasetId", "rule", "message", "samples"])


commands = [list_command, show_command, groups_command]
