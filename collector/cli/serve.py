"""``collector serve``: check the schemas, seed the demo if asked, then run uvicorn."""

from __future__ import annotations

import os
from pathlib import Path

import click

from collector.cli.options import data_dir_option
from collector.control.plane import ControlPlane
from collector.control.settings import Settings, to_env


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to bind.")
@data_dir_option
@click.option("--workers", default=1, show_default=True, type=int, help="uvicorn worker processes.")
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
def serve(
    host: str,
    port: int,
    data_dir: Path | None,
    workers: int,
    ssl_certfile: Path | None,
    ssl_keyfile: Path | None,
) -> None:
    """Start the collector (seeds a demo on an empty data directory)."""
    import uvicorn

    from collector.control import seed
    from collector.schemas.registry import SchemaLoadError, SchemaRegistry

    if (ssl_certfile is None) != (ssl_keyfile is None):
        raise click.UsageError("--ssl-certfile and --ssl-keyfile go together")
    public_url = f"{'https' if ssl_certfile else 'http'}://{host}:{port}"
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
        http="collector.web.protocol:GuardedHttpProtocol",
        ssl_certfile=str(ssl_certfile) if ssl_certfile else None,
        ssl_keyfile=str(ssl_keyfile) if ssl_keyfile else None,
    )
