"""The ``collector`` command line: serving, migrations and the control plane.

Every listing command takes ``--json`` for scripts. Feature packages add their own groups
at the bottom of this module.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
import orjson

from collector.cli_options import data_dir_option, json_option
from collector.controlplane import ControlPlane, ControlPlaneError
from collector.guard_cli import chosen_limits, inlet_limits, limit_options, tokens
from collector.profile.cli import commands as profile_commands
from collector.schemas.cli import failed, schemas
from collector.settings import Settings, to_env
from collector.tags import migrations as tag_migrations
from collector.tags.cli import properties


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


def _emit(rows: list[dict[str, Any]] | dict[str, Any], as_json: bool, columns: list[str]) -> None:
    if as_json:
        click.echo(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode())
        return
    items = rows if isinstance(rows, list) else [rows]
    if isinstance(rows, dict):
        for key, value in rows.items():
            click.echo(f"{key}: {value}")
        return
    widths = {c: max([len(c), *(len(str(r.get(c, ""))) for r in items)]) for c in columns}
    click.echo("  ".join(c.ljust(widths[c]) for c in columns))
    for r in items:
        click.echo("  ".join(str(r.get(c, "")).ljust(widths[c]) for c in columns))


_data_dir = data_dir_option
_json = json_option


@click.group()
@click.version_option(package_name="xdm-collector")
def main() -> None:
    """xdm-collector: AEP-compatible streaming ingestion with a durable lake."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to bind.")
@_data_dir
@click.option("--workers", default=1, show_default=True, type=int, help="uvicorn worker processes.")
def serve(host: str, port: int, data_dir: Path | None, workers: int) -> None:
    """Start the collector (seeds a demo on an empty data directory)."""
    import uvicorn

    from collector import seed
    from collector.schemas.registry import SchemaLoadError, SchemaRegistry

    public_url = f"http://{host}:{port}"
    env_url = Settings.from_env().public_url
    settings = Settings.from_env(
        data_dir=data_dir,
        public_url=env_url if "COLLECTOR_PUBLIC_URL" in os.environ else public_url,
    )
    try:
        SchemaRegistry.load(settings.schemas_dir)
    except SchemaLoadError as exc:
        raise click.ClickException(f"refusing to start: {exc}") from None
    control = ControlPlane(settings.control_db_path)
    demo = seed.ensure_demo(control, public_url=settings.public_url) if settings.seed_demo else None
    inlets = control.inlets()
    control.close()
    if demo is not None:
        click.echo(f"Seeded a demo org {seed.DEMO_ORG} with datasets and an inlet.")
    for inlet in inlets:
        click.echo(f"Inlet {inlet.name!r}: {settings.public_url}/collection/{inlet.id}")
    if settings.seed_demo:
        click.echo(f"Demo shop page (its tag: collector properties list): {settings.public_url}/")
    os.environ.update(to_env(settings))
    uvicorn.run(
        "collector.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=settings.log_level,
        access_log=False,
        timeout_keep_alive=5,
        timeout_graceful_shutdown=10,
        loop="uvloop",
        http="collector.protocol:GuardedHttpProtocol",
    )


@main.command()
@_data_dir
def migrate(data_dir: Path | None) -> None:
    """Apply pending control-plane migrations."""
    with _control(data_dir) as control:
        tag_migrations.apply(control.db)
        click.echo(f"control plane is up to date: {control.path}")


# -- orgs ------------------------------------------------------------------------------


@main.group(invoke_without_command=True)
@_data_dir
@_json
@click.pass_context
def orgs(ctx: click.Context, data_dir: Path | None, as_json: bool) -> None:
    """List organisations (or manage them with a subcommand)."""
    if ctx.invoked_subcommand is None:
        with _control(data_dir) as control:
            rows = [vars(o) for o in control.orgs()]
        _emit(rows, as_json, ["id", "name", "created_at"])


@orgs.command("create")
@click.argument("org_id")
@click.option("--name", required=True, help="Display name.")
@_data_dir
@_json
def orgs_create(org_id: str, name: str, data_dir: Path | None, as_json: bool) -> None:
    """Create an organisation ORG_ID (NAME@AdobeOrg)."""
    with _control(data_dir) as control:
        _emit(vars(control.create_org(org_id, name)), as_json, [])


# -- datasets --------------------------------------------------------------------------


@main.group()
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
    """Create a dataset; the schema must be known to the registry."""
    from collector.schemas.registry import SchemaRegistry

    registry = SchemaRegistry.load(_settings(data_dir).schemas_dir)
    with _control(data_dir) as control:
        dataset = control.create_dataset(
            org_id=org_id,
            name=name,
            schema_id=schema_id,
            profile_enabled=profile,
            identity_enabled=identity,
            known_schema=registry.knows,
        )
    _emit(vars(dataset), as_json, [])


@datasets.command("list")
@click.option("--org", "org_id", default=None, help="Only this org's datasets.")
@_data_dir
@_json
def datasets_list(org_id: str | None, data_dir: Path | None, as_json: bool) -> None:
    """List datasets."""
    with _control(data_dir) as control:
        rows = [vars(d) for d in control.datasets(org_id)]
    _emit(rows, as_json, ["id", "name", "org_id", "schema_id", "profile_enabled"])


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
    _emit(vars(dataset), as_json, [])


# -- inlets ----------------------------------------------------------------------------


@main.group()
def inlets() -> None:
    """Inlets: the HTTP endpoints that receive messages."""


@inlets.command("create")
@click.option("--org", "org_id", required=True, help="Owning org id.")
@click.option("--name", required=True, help="Display name.")
@click.option("--description", default="", help="Free text.")
@click.option("--source-name", default=None, help="Filled into header.source.name when absent.")
@click.option("--dataset", "dataset_id", default=None, help="Default dataset id.")
@click.option("--auth/--no-auth", default=False, help="Require a bearer token.")
@click.option("--origin", "origins", multiple=True, help="Allowed browser origin (repeatable).")
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
    data_dir: Path | None,
    as_json: bool,
    **limits: Any,
) -> None:
    """Create an inlet and print its URL."""
    with _control(data_dir) as control:
        inlet = control.create_inlet(
            org_id=org_id,
            name=name,
            description=description,
            source_name=source_name,
            auth_required=auth,
            allowed_origins=origins,
            default_dataset_id=dataset_id,
        )
        if chosen := chosen_limits(limits):
            inlet = control.set_inlet_limits(inlet.id, chosen)
    row = inlet.to_dict() | {"url": _inlet_url(inlet.id, data_dir)}
    _emit(row, as_json, [])


@inlets.command("list")
@click.option("--org", "org_id", default=None, help="Only this org's inlets.")
@_data_dir
@_json
def inlets_list(org_id: str | None, data_dir: Path | None, as_json: bool) -> None:
    """List inlets."""
    with _control(data_dir) as control:
        rows = [i.to_dict() | {"url": _inlet_url(i.id, data_dir)} for i in control.inlets(org_id)]
    _emit(rows, as_json, ["id", "name", "org_id", "auth_required", "default_dataset_id"])


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
    _emit(inlet.to_dict() | {"url": _inlet_url(inlet.id, data_dir)}, as_json, [])


def _inlet_url(inlet_id: str, data_dir: Path | None) -> str:
    return f"{_settings(data_dir).public_url}/collection/{inlet_id}"


main.add_command(tokens)
main.add_command(schemas)
main.add_command(failed)
main.add_command(properties)
inlets.add_command(inlet_limits)
for _command in profile_commands:
    main.add_command(_command)
