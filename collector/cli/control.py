"""``collector migrate``, ``orgs``, ``datasets`` and ``inlets``: the control plane from a shell."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from collector.cli.inlets import inlets_delete, inlets_update
from collector.cli.namespaces import identity_namespace_option, inlet_namespaces
from collector.cli.options import data_dir_option, json_option
from collector.cli.output import emit
from collector.control import namespaces
from collector.control.audit import cli_actor
from collector.control.plane import ControlPlane, ControlPlaneError
from collector.control.settings import Settings
from collector.guard import migrations as access_migrations
from collector.guard.cli import chosen_limits, inlet_limits, limit_options
from collector.tags import migrations as tag_migrations

_data_dir = data_dir_option
_json = json_option


def _settings(data_dir: Path | None = None) -> Settings:
    return Settings.from_env(data_dir=data_dir)


@contextmanager
def _control(data_dir: Path | None) -> Iterator[ControlPlane]:
    control = ControlPlane(_settings(data_dir).control_db_path)
    try:
        yield control
    except ControlPlaneError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        control.close()


@click.command()
@_data_dir
def migrate(data_dir: Path | None) -> None:
    """Apply pending control-plane migrations."""
    with _control(data_dir) as control:
        tag_migrations.apply(control.db)
        access_migrations.apply(control.db)
        click.echo(f"control plane is up to date: {control.path}")


# -- orgs ------------------------------------------------------------------------------


@click.group(invoke_without_command=True)
@_data_dir
@_json
@click.pass_context
def orgs(ctx: click.Context, data_dir: Path | None, as_json: bool) -> None:
    """List organisations (or manage them with a subcommand)."""
    if ctx.invoked_subcommand is None:
        with _control(data_dir) as control:
            rows = [vars(o) for o in control.orgs()]
        emit(rows, as_json, ["id", "name", "created_at"])


@orgs.command("create")
@click.argument("org_id")
@click.option("--name", required=True, help="Display name.")
@_data_dir
@_json
def orgs_create(org_id: str, name: str, data_dir: Path | None, as_json: bool) -> None:
    """Create an organisation ORG_ID (NAME@AdobeOrg)."""
    with _control(data_dir) as control:
        emit(vars(control.create_org(org_id, name)), as_json, [])


# -- datasets --------------------------------------------------------------------------


@click.group()
def datasets() -> None:
    """Datasets: where an inlet's messages land, each with an XDM schema."""


@datasets.command("create")
@click.option("--org", "org_id", required=True, help="Owning org id.")
@click.option("--name", required=True, help="Display name.")
@click.option("--schema", "schema_id", required=True, help="Schema $id (see `schemas list`).")
@click.option("--profile/--no-profile", default=False, help="Feed the profile store.")
@click.option("--identity/--no-identity", default=False, help="Feed the identity graph.")
@_data_dir
@_json
def datasets_create(
    org_id: str,
    name: str,
    schema_id: str,
    profile: bool,
    identity: bool,
    data_dir: Path | None,
    as_json: bool,
) -> None:
    """Create a dataset; the schema must be a composed dataset schema with a class."""
    from collector.schemas.compose import dataset_schema_problem
    from collector.schemas.live import LiveRegistry

    registry = LiveRegistry.open(_settings(data_dir))  # tenant schemas count too
    if problem := dataset_schema_problem(registry, schema_id):
        raise click.ClickException(problem)
    with _control(data_dir) as control:
        dataset = control.create_dataset(
            org_id=org_id,
            name=name,
            schema_id=schema_id,
            profile_enabled=profile,
            identity_enabled=identity,
            known_schema=registry.knows,
        )
    emit(vars(dataset), as_json, [])


@datasets.command("list")
@click.option("--org", "org_id", default=None, help="Only this org's datasets.")
@_data_dir
@_json
def datasets_list(org_id: str | None, data_dir: Path | None, as_json: bool) -> None:
    """List datasets."""
    with _control(data_dir) as control:
        rows = [vars(d) for d in control.datasets(org_id)]
    emit(rows, as_json, ["id", "name", "org_id", "schema_id", "profile_enabled"])


@datasets.command("show")
@click.argument("dataset_id")
@_data_dir
@_json
def datasets_show(dataset_id: str, data_dir: Path | None, as_json: bool) -> None:
    """Show one dataset."""
    with _control(data_dir) as control:
        dataset = control.dataset(dataset_id)
    if dataset is None:
        raise click.ClickException(f"no dataset {dataset_id}")
    emit(vars(dataset), as_json, [])


# -- inlets ----------------------------------------------------------------------------


@click.group()
def inlets() -> None:
    """Inlets: the HTTP endpoints that receive messages."""


@inlets.command("create")
@click.option("--org", "org_id", required=True, help="Owning org id.")
@click.option("--name", required=True, help="Display name.")
@click.option("--description", default="", help="Free text.")
@click.option("--source-name", default=None, help="Filled into header.source.name when absent.")
@click.option("--dataset", "dataset_id", default=None, help="Default dataset id.")
@click.option("--auth/--no-auth", default=False, help="Require a bearer token.")
@click.option(
    "--origin",
    "origins",
    multiple=True,
    help="Allowed browser origin (repeatable): https://shop.example.com, https://*.example.com"
    " (its subdomains) or *.",
)
@identity_namespace_option
@limit_options
@_data_dir
@_json
def inlets_create(
    org_id: str,
    name: str,
    description: str,
    source_name: str | None,
    dataset_id: str | None,
    auth: bool,
    origins: tuple[str, ...],
    identity_namespaces: tuple[str, ...],
    data_dir: Path | None,
    as_json: bool,
    **limits: Any,
) -> None:
    """Create an inlet and print its URL."""
    with _control(data_dir) as control:
        namespaces.validate(identity_namespaces)  # before anything is created
        inlet = control.create_inlet(
            org_id=org_id,
            name=name,
            description=description,
            source_name=source_name,
            auth_required=auth,
            allowed_origins=origins,
            default_dataset_id=dataset_id,
            actor=cli_actor(),
        )
        if chosen := chosen_limits(limits):
            inlet = control.set_inlet_limits(inlet.id, chosen, actor=cli_actor())
        listed = identity_namespaces or None
        if listed:
            namespaces.set_allowed(control, inlet.id, listed, actor=cli_actor())
    row = inlet.to_dict() | {"url": _inlet_url(inlet.id, data_dir)}
    row["identity_namespaces"] = list(namespaces.validate(listed)) if listed else None
    emit(row, as_json, [])


@inlets.command("list")
@click.option("--org", "org_id", default=None, help="Only this org's inlets.")
@_data_dir
@_json
def inlets_list(org_id: str | None, data_dir: Path | None, as_json: bool) -> None:
    """List inlets."""
    with _control(data_dir) as control:
        rows = [i.to_dict() | {"url": _inlet_url(i.id, data_dir)} for i in control.inlets(org_id)]
    emit(rows, as_json, ["id", "name", "org_id", "auth_required", "default_dataset_id"])


@inlets.command("show")
@click.argument("inlet_id")
@_data_dir
@_json
def inlets_show(inlet_id: str, data_dir: Path | None, as_json: bool) -> None:
    """Show one inlet."""
    with _control(data_dir) as control:
        inlet = control.inlet(inlet_id)
    if inlet is None:
        raise click.ClickException(f"no inlet {inlet_id}")
    emit(inlet.to_dict() | {"url": _inlet_url(inlet.id, data_dir)}, as_json, [])


def _inlet_url(inlet_id: str, data_dir: Path | None) -> str:
    return f"{_settings(data_dir).public_url}/collection/{inlet_id}"


inlets.add_command(inlet_limits)
inlets.add_command(inlets_update)
inlets.add_command(inlets_delete)
inlets.add_command(inlet_namespaces)
commands = [migrate, orgs, datasets, inlets]


@click.command()
@click.option("--since", default=None, help="Only entries at or after this ISO 8601 time.")
@click.option("--org", "org_id", default=None, help="Only this org's entries.")
@click.option("--limit", default=1000, show_default=True, type=click.IntRange(1, 1_000_000))
@_data_dir
@_json
def audit(
    since: str | None, org_id: str | None, limit: int, data_dir: Path | None, as_json: bool
) -> None:
    """Read the audit log: who changed or read what, when and from where."""
    from collector.control import audit as audit_log

    with _control(data_dir) as control:
        rows = [
            e.to_dict()
            for e in audit_log.entries(control.db.conn, since=since, org_id=org_id, limit=limit)
        ]
    emit(rows, as_json, ["at", "actor", "action", "object_type", "object_id", "org_id", "ip"])


commands.append(audit)
