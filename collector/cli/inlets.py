"""``collector inlets update`` and ``collector inlets delete``; registered on ``inlets``.

Both are recorded in the audit log as the shell user (``audit.cli_actor``).
"""

from __future__ import annotations

from pathlib import Path

import click

from collector.cli.options import data_dir_option, json_option
from collector.cli.output import emit
from collector.control import audit
from collector.control.datastreams import Datastreams, explicit
from collector.control.plane import ControlPlane, ControlPlaneError, Inlet
from collector.control.settings import Settings


def _row(inlet: Inlet, settings: Settings) -> dict[str, object]:
    return inlet.to_dict() | {"url": f"{settings.public_url}/collection/{inlet.id}"}


@click.command("update")
@click.argument("inlet_id")
@click.option("--name", default=None, help="New display name.")
@click.option("--description", default=None, help="New description.")
@click.option("--auth/--no-auth", default=None, help="Require a bearer token (or stop).")
@click.option(
    "--origin",
    "origins",
    multiple=True,
    help="Allowed browser origin (repeatable; replaces the list): https://shop.example.com, "
    "https://*.example.com (its subdomains) or *.",
)
@click.option("--no-origins", is_flag=True, help="Allow no browser origin (server clients only).")
@data_dir_option
@json_option
def inlets_update(
    inlet_id: str,
    name: str | None,
    description: str | None,
    auth: bool | None,
    origins: tuple[str, ...],
    no_origins: bool,
    data_dir: Path | None,
    as_json: bool,
) -> None:
    """Change an inlet; options not given are kept.

    The inlet of a datastream takes only origins listed exactly (no ``*``, no wildcard): the
    Web SDK sends credentials, and the Edge routes echo only an exact origin.
    """
    if origins and no_origins:
        raise click.UsageError("--origin and --no-origins exclude each other")
    settings = Settings.from_env(data_dir=data_dir)
    control = ControlPlane(settings.control_db_path)
    try:
        if origins and any(s.inlet_id == inlet_id for s in Datastreams(control).list()):
            origins = explicit(origins)
        inlet = control.update_inlet(
            inlet_id,
            name=name,
            description=description,
            auth_required=auth,
            allowed_origins=() if no_origins else (origins or None),
            actor=audit.cli_actor(),
        )
    except ControlPlaneError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        control.close()
    emit(_row(inlet, settings), as_json, [])


@click.command("delete")
@click.argument("inlet_id")
@data_dir_option
@json_option
def inlets_delete(inlet_id: str, data_dir: Path | None, as_json: bool) -> None:
    """Delete an inlet: it answers 404 from now on and its tokens are revoked.

    What it already wrote to the lake stays.
    """
    settings = Settings.from_env(data_dir=data_dir)
    control = ControlPlane(settings.control_db_path)
    try:
        inlet = control.delete_inlet(inlet_id, actor=audit.cli_actor())
    except ControlPlaneError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        control.close()
    emit(_row(inlet, settings), as_json, [])
