"""Profile store commands: ``sql``, ``project``, ``replay`` and ``profiles show``.

``collector sql`` opens ``profile.db`` read-only (``mode=ro`` and ``PRAGMA query_only``) with
the control plane attached, also read-only, as ``control``: ``SELECT * FROM control.datasets``.
An authorizer (``collector.control.authorizer``) refuses ATTACH, VACUUM (INTO), writes and
pragmas that set a value, so a query cannot create files either.
"""

from __future__ import annotations

import csv
import signal
import sqlite3
import sys
import threading
from pathlib import Path
from typing import Any

import click
import orjson

from collector.cli.options import data_dir_option
from collector.control.authorizer import ReadOnlyAuthorizer
from collector.control.settings import Settings
from collector.profile import reader
from collector.profile.store import connect_reader, connect_writer

_data_dir = data_dir_option


def _settings(data_dir: Path | None) -> Settings:
    return Settings.from_env(data_dir=data_dir)


@click.command()
@click.argument("query")
@click.option("--json", "fmt", flag_value="json", help="Print a JSON array of objects.")
@click.option("--csv", "fmt", flag_value="csv", help="Print CSV with a header row.")
@click.option("--table", "fmt", flag_value="table", default=True, help="Print a table (default).")
@_data_dir
def sql(query: str, fmt: str, data_dir: Path | None) -> None:
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
    _print(columns, rows, fmt)


def _print(columns: list[str], rows: list[tuple[Any, ...]], fmt: str) -> None:
    if fmt == "json":
        data = [dict(zip(columns, row, strict=True)) for row in rows]
        click.echo(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode())
    elif fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)
    else:
        cells = [[_cell(v) for v in row] for row in rows]
        widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]
        click.echo("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip())
        click.echo("  ".join("-" * w for w in widths))
        for row in cells:
            click.echo("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= 80 else text[:77] + "..."


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


@profiles.command("show")
@click.option("--ns", "namespace", required=True, help="Identity namespace code (ECID, Email...).")
@click.option("--id", "identity_id", required=True, help="Identity value.")
@click.option("--events", default=10, show_default=True, help="Latest events to include.")
@_data_dir
def profiles_show(namespace: str, identity_id: str, events: int, data_dir: Path | None) -> None:
    """Print the merged profile of one identity, with its latest events, as JSON."""
    settings = _settings(data_dir)
    if not settings.profile_db_path.exists():
        raise click.ClickException(f"no profile store at {settings.profile_db_path}")
    conn = connect_reader(settings.profile_db_path)
    try:
        profile_id = reader.find_profile(conn, namespace, identity_id)
        document = reader.profile_document(conn, profile_id) if profile_id else None
        if profile_id is None or document is None:
            raise click.ClickException(f"no profile for identity {namespace}:{identity_id}")
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
    click.echo(orjson.dumps({profile_id: document}, option=orjson.OPT_INDENT_2).decode())


commands = [sql, project, replay, profiles]
