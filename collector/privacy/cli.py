"""``collector privacy jobs [--org] [--json]`` and ``collector privacy show JOB_ID``."""

from __future__ import annotations

from pathlib import Path

import click
import orjson

from collector.cli.options import data_dir_option, json_option
from collector.cli.output import emit
from collector.control.settings import Settings
from collector.privacy import jobs
from collector.profile.store import connect_reader, connect_writer


def _conn(data_dir: Path | None):  # type: ignore[no-untyped-def]
    settings = Settings.from_env(data_dir=data_dir)
    if not settings.profile_db_path.exists():
        connect_writer(settings.profile_db_path).close()
    return connect_reader(settings.profile_db_path)


@click.group()
def privacy() -> None:
    """Privacy jobs (erasures): list them and follow one."""


@privacy.command("jobs")
@click.option("--org", "org", default=None, help="Only this org's jobs.")
@click.option("--limit", default=1000, show_default=True, type=click.IntRange(1, 1_000_000))
@data_dir_option
@json_option
def privacy_jobs(org: str | None, limit: int, data_dir: Path | None, as_json: bool) -> None:
    """List privacy jobs, newest first."""
    conn = _conn(data_dir)
    try:
        found = jobs.listing(conn, org, limit)
    finally:
        conn.close()
    if as_json:
        emit([jobs.document(j) for j in found], True, [])
        return
    rows = [
        {
            "job_id": j.job_id,
            "org_id": j.org_id,
            "action": j.action,
            "status": j.status,
            "namespace": j.namespace,
            "created": jobs.iso(j.created_ms),
            "completed": jobs.iso(j.completed_ms) if j.completed_ms else "",
        }
        for j in found
    ]
    emit(rows, False, ["job_id", "org_id", "action", "status", "namespace", "created", "completed"])


@privacy.command("show")
@click.argument("job_id")
@data_dir_option
def privacy_show(job_id: str, data_dir: Path | None) -> None:
    """Print one privacy job as JSON (AEP Privacy Service job object)."""
    conn = _conn(data_dir)
    try:
        found = jobs.get(conn, job_id)
    finally:
        conn.close()
    if found is None:
        raise click.ClickException(f"no privacy job {job_id}")
    click.echo(orjson.dumps(jobs.document(found), option=orjson.OPT_INDENT_2).decode())


commands = [privacy]
