"""``collector inlets namespaces``: the identity namespaces an inlet may assert."""

from __future__ import annotations

from pathlib import Path

import click

from collector.cli.options import data_dir_option, json_option
from collector.cli.output import emit
from collector.control import namespaces
from collector.control.audit import cli_actor
from collector.control.plane import ControlPlane, ControlPlaneError
from collector.control.settings import Settings

identity_namespace_option = click.option(
    "--identity-namespace",
    "identity_namespaces",
    multiple=True,
    metavar="NS",
    help="An identity namespace the inlet may assert (repeatable; default: every namespace).",
)


@click.command("namespaces")
@click.argument("inlet_id")
@identity_namespace_option
@click.option("--all", "every", is_flag=True, help="Allow every namespace again (no list).")
@data_dir_option
@json_option
def inlet_namespaces(
    inlet_id: str,
    identity_namespaces: tuple[str, ...],
    every: bool,
    data_dir: Path | None,
    as_json: bool,
) -> None:
    """Show or set the identity namespaces INLET_ID may assert.

    The projector ignores (and counts) identities of other namespaces in that inlet's
    messages; the messages stay in the lake.
    """
    if every and identity_namespaces:
        raise click.UsageError("--all and --identity-namespace exclude each other")
    control = ControlPlane(Settings.from_env(data_dir=data_dir).control_db_path)
    try:
        if every:
            current = namespaces.set_allowed(control, inlet_id, None, actor=cli_actor())
        elif identity_namespaces:
            current = namespaces.set_allowed(
                control, inlet_id, identity_namespaces, actor=cli_actor()
            )
        else:
            if control.inlet(inlet_id) is None:
                raise ControlPlaneError(f"no inlet {inlet_id}")
            current = namespaces.allowed(control, inlet_id)
    except ControlPlaneError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        control.close()
    emit(
        {"inlet_id": inlet_id, "identity_namespaces": None if current is None else list(current)},
        as_json,
        [],
    )
