"""``collector serve``: check the schemas, seed the demo if asked, then run uvicorn."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

import click

from collector.cli.options import data_dir_option
from collector.control.plane import ControlPlane
from collector.control.settings import Settings, to_env
from collector.guard import migrations as access_migrations
from collector.monitoring.samples import metrics_dir, prepare_multiprocess_dir


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to bind.")
@data_dir_option
@click.option("--workers", default=1, show_default=True, type=int, help="uvicorn worker processes.")
@click.option(
    "--demo",
    is_flag=True,
    help="Seed a demo org, datasets and an inlet with a random id on an empty data directory.",
)
@click.option(
    "--ssl-certfile",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Serve HTTPS with this certificate chain (PEM); needs --ssl-keyfile.",
)
@click.option(
    "--ssl-keyfile",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="The certificate's private key (PEM).",
)
@click.option(
    "--access-log",
    default=None,
    metavar="PATH|-",
    help="Write a JSON line per request to PATH, or to standard output with '-'.",
)
def serve(
    host: str,
    port: int,
    data_dir: Path | None,
    workers: int,
    ssl_certfile: Path | None,
    ssl_keyfile: Path | None,
    demo: bool,
    access_log: str | None,
) -> None:
    """Start the collector (with --demo: seed a demo on an empty data directory)."""
    import uvicorn

    from collector.control import seed
    from collector.control.audit import cli_actor
    from collector.schemas.registry import SchemaLoadError, SchemaRegistry

    if (ssl_certfile is None) != (ssl_keyfile is None):
        raise click.UsageError("--ssl-certfile and --ssl-keyfile go together")
    public_url = f"{'https' if ssl_certfile else 'http'}://{host}:{port}"
    settings = Settings.from_env(
        data_dir=data_dir,
        public_url=None if Settings.is_set("public_url") else public_url,
        seed_demo=True if demo else None,
        access_log=access_log,
    )
    try:
        SchemaRegistry.load(settings.schemas_dir)
    except SchemaLoadError as exc:
        raise click.ClickException(f"refusing to start: {exc}") from None
    # Every worker and the projector write their Prometheus samples there; /metrics sums them.
    samples = metrics_dir(settings)
    prepare_multiprocess_dir(samples)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(samples)
    control = ControlPlane(settings.control_db_path)
    access_migrations.apply(control.db)  # here, once, before the workers open the access stores
    made = None
    if settings.seed_demo:
        made = seed.ensure_demo(control, public_url=settings.public_url, actor=cli_actor())
    demo_inlet = seed.demo_inlet(control) if settings.seed_demo else None
    inlets = control.inlets()
    control.close()
    if made is not None:
        click.echo(f"Seeded a demo org {seed.DEMO_ORG} with datasets and an inlet.")
    for inlet in inlets:
        click.echo(f"Inlet {inlet.name!r}: {settings.public_url}/collection/{inlet.id}")
    if not inlets:
        click.echo("No inlets yet: create one (collector inlets create), or start with --demo.")
    if demo_inlet is not None:
        click.echo(f"Demo inlet id: {demo_inlet.id}")
        click.echo(f"Demo shop page (its tag: collector properties list): {settings.public_url}/")
        if (warning := demo_warning(host)) is not None:
            click.echo(warning, err=True)
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
        http="collector.web.protocol:GuardedHttpProtocol",
        ssl_certfile=str(ssl_certfile) if ssl_certfile else None,
        ssl_keyfile=str(ssl_keyfile) if ssl_keyfile else None,
    )


def demo_warning(host: str) -> str | None:
    """What to tell the operator of a demo bound to ``host``: nothing on a loopback address."""
    if is_loopback(host):
        return None
    return (
        f"warning: bound to {host}, a non-loopback address: the demo inlet accepts"
        " unauthenticated messages from the network. Serve the demo on 127.0.0.1, or"
        " delete the demo inlet (collector inlets delete ID) before exposing this server."
    )


def is_loopback(host: str) -> bool:
    """Whether binding ``host`` keeps the server reachable from this machine only."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
