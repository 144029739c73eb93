"""Profile store commands: ``sql``, ``project``, ``replay`` and ``profiles show|erase``.

``collector sql`` opens ``profile.db`` read-only (``mode=ro`` and ``PRAGMA query_only``) with
the control plane attached, also read-only, as ``control``: ``SELECT * FROM control.datasets``.
An authorizer (``collector.control.authorizer``) refuses ATTACH, VACUUM (INTO), writes and
pragmas that set a value, so a query cannot create files either.
"""

from __future__ import annotations

import signal
import sqlite3
import threading
from pathlib import Path

import click

from collector.cli.options import data_dir_option, format_option
from collector.cli.output import Format, emit
from collector.control.authorizer import ReadOnlyAuthorizer
from collector.control.settings import Settings
from collector.profile import reader
from collector.profile.store import connect_reader, connect_writer

_data_dir = data_dir_option


def _settings(data_dir: Path | None) -> Settings:
    return Settings.from_env(data_dir=data_dir)


@click.command()
@click.argument("query")
@format_option
@_data_dir
def sql(query: str, fmt: Format, data_dir: Path | None) -> None:
    """Run a read-only SQL QUERY on the profile store (control plane attached as `control`)."""
    settings = _settings(data_dir)
    if not settings.profile_db_path.exists():
        connect_writer(settings.profile_db_path).close()
    conn = connect_reader(settings.profile_db_path, attach_control=settings.control_db_path)
    guard = ReadOnlyAuthorizer()
    conn.set_authorizer(guard)  # after the ATTACH of control.db above: no other file opens
    try:
        cursor = conn.execute(query)
        columns = [d[0] for d in cursor.description or ()]
        rows = cursor.fetchall()
    except sqlite3.Error as exc:
        raise click.ClickException(guard.explain(exc)) from None
    finally:
        conn.close()
    emit([dict(zip(columns, row, strict=True)) for row in rows], fmt, columns)


@click.command()
@_data_dir
def project(data_dir: Path | None) -> None:
    """Run the projector in the foreground (lake -> profile store) until Ctrl-C."""
    from collector.profile.projector import run_projector

    settings = _settings(data_dir)
    stop = threading.Event()
    previous = signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    click.echo(f"projecting {settings.lake_dir} into {settings.profile_db_path} (Ctrl-C stops)")
    try:
        run_projector(settings, stop)
    finally:
        signal.signal(signal.SIGINT, previous)


@click.command()
@click.option("--dataset", "datasets", multiple=True, help="Only this dataset (repeatable).")
@_data_dir
def replay(datasets: tuple[str, ...], data_dir: Path | None) -> None:
    """Rebuild the profile store from the lake into a fresh file and swap it in.

    Stop `collector serve` / `collector project` first. Erasures are kept.
    """
    from collector.profile.projector import ProjectorLocked
    from collector.profile.replay import ReplayError
    from collector.profile.replay import replay as run_replay

    settings = _settings(data_dir)
    try:
        result = run_replay(settings, datasets or None)
    except (ProjectorLocked, ReplayError) as exc:
        raise click.ClickException(f"{exc} (is the collector or a projector running?)") from None
    click.echo(
        f"replayed {result.lines} lake lines into {result.path}"
        f" ({result.erasures} erased identities kept erased)"
    )


@click.group()
def profiles() -> None:
    """Look profiles up in the profile store."""


_org = click.option("--org", "org", required=True, help="The org whose profile store is read.")


@profiles.command("show")
@_org
@click.option("--ns", "namespace", required=True, help="Identity namespace code (ECID, Email...).")
@click.option("--id", "identity_id", required=True, help="Identity value.")
@click.option("--events", default=10, show_default=True, help="Latest events to include.")
@_data_dir
def profiles_show(
    org: str, namespace: str, identity_id: str, events: int, data_dir: Path | None
) -> None:
    """Print the merged profile of one identity of an org, with its latest events, as JSON."""
    settings = _settings(data_dir)
    if not settings.profile_db_path.exists():
        raise click.ClickException(f"no profile store at {settings.profile_db_path}")
    conn = connect_reader(settings.profile_db_path)
    try:
        profile_id = reader.find_profile(conn, org, namespace, identity_id)
        document = reader.profile_document(conn, profile_id) if profile_id else None
        if profile_id is None or document is None:
            raise click.ClickException(
                f"no profile for identity {namespace}:{identity_id} in org {org}"
            )
        page = reader.events_page(
            conn,
            profile_id,
            start_ms=None,
            end_ms=None,
            limit=max(1, events),
            descending=True,
            cursor=None,
        )
    finally:
        conn.close()
    document["events"] = page.children[:events]
    emit({profile_id: document}, "json")


@profiles.command("erase")
@_org
@click.option("--ns", "namespace", required=True, help="Identity namespace code (ECID, Email...).")
@click.option("--id", "identity_id", required=True, help="Identity value.")
@click.option("--json", "as_json", is_flag=True, help="Print the job as JSON.")
@_data_dir
def profiles_erase(
    org: str, namespace: str, identity_id: str, as_json: bool, data_dir: Path | None
) -> None:
    """Erase a person (their whole identity graph in the org) as a privacy job.

    The job runs in the background in the projector (`collector serve` or `collector
    project`); follow it with `collector privacy show JOB_ID`.
    """
    from collector.control.audit import cli_actor
    from collector.errors import CollectorError
    from collector.privacy import requests
    from collector.profile.store import ProfileStore

    settings = _settings(data_dir)
    try:
        job = requests.erase(
            ProfileStore.open(settings),
            settings,
            org=org,
            namespace=namespace,
            identity=identity_id,
            actor=cli_actor(),
        )
    except CollectorError as exc:
        raise click.ClickException(exc.detail) from None
    if as_json:
        emit(job, "json")
    else:
        click.echo(f"privacy job {job['jobId']} {job['status']}")


commands = [sql, project, replay, profiles]
