"""``collector datastreams``: what the Web SDK's ``configId`` points at."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from collector.cli.options import data_dir_option, json_option
from collector.cli.output import emit
from collector.control import audit
from collector.control.datastreams import Datastreams
from collector.control.plane import ControlPlane, ControlPlaneError
from collector.control.settings import Settings

_COLUMNS = ["id", "name", "org_id", "dataset_id", "profile_dataset_id", "inlet_id"]


@contextmanager
def _datastreams(data_dir: Path | None) -> Iterator[Datastreams]:
    control = ControlPlane(Settings.from_env(data_dir=data_dir).control_db_path)
    try:
        yield Datastreams(control)
    except ControlPlaneError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        control.close()


def _audit(streams: Datastreams, action: str, stream_id: str, org_id: str) -> None:
    audit.record(
        streams.control.db.conn,
        actor=audit.cli_actor(),
        action=f"datastream.{action}",
        object_type="datastream",
        object_id=stream_id,
        org_id=org_id,
    )


@click.group()
def datastreams() -> None:
    """Datastreams: the Web SDK's configId mapped to an org, datasets and origins."""


@datastreams.command("create")
@click.option("--org", "org_id", required=True, help="Owning org id.")
@click.option("--name", required=True, help="Display name.")
@click.option("--dataset", "dataset_id", required=True, help="Event dataset id.")
@click.option("--profile-dataset", "profile_dataset_id", default=None, help="Profile dataset id.")
@click.option("--origin", "origins", multiple=True, help="Allowed page origin (repeatable).")
@data_dir_option
@json_option
def create(
    org_id: str,
    name: str,
    dataset_id: str,
    profile_dataset_id: str | None,
    origins: tuple[str, ...],
    data_dir: Path | None,
    as_json: bool,
) -> None:
    """Create a datastream and print its id (alloy's datastreamId)."""
    with _datastreams(data_dir) as streams:
        stream = streams.create(
            org_id=org_id,
            name=name,
            dataset_id=dataset_id,
            profile_dataset_id=profile_dataset_id,
            origins=origins,
        )
        _audit(streams, "create", stream.id, org_id)
        inlet = streams.control.inlet(stream.inlet_id)
    emit(stream.to_dict(inlet), as_json, [])


@datastreams.command("list")
@click.option("--org", "org_id", default=None, help="Only this org's datastreams.")
@data_dir_option
@json_option
def list_(org_id: str | None, data_dir: Path | None, as_json: bool) -> None:
    """List datastreams."""
    with _datastreams(data_dir) as streams:
        rows = [s.to_dict(streams.control.inlet(s.inlet_id)) for s in streams.list(org_id)]
    emit(rows, as_json, _COLUMNS)


@datastreams.command("show")
@click.argument("datastream_id")
@data_dir_option
@json_option
def show(datastream_id: str, data_dir: Path | None, as_json: bool) -> None:
    """Show one datastream."""
    with _datastreams(data_dir) as streams:
        stream = streams.require(datastream_id)
        inlet = streams.control.inlet(stream.inlet_id)
    emit(stream.to_dict(inlet), as_json, [])


@datastreams.command("update")
@click.argument("datastream_id")
@click.option("--name", default=None, help="New display name.")
@click.option("--dataset", "dataset_id", default=None, help="New event dataset id.")
@click.option("--profile-dataset", "profile_dataset_id", default=None, help="Profile dataset id.")
@click.option("--no-profile-dataset", is_flag=True, help="Stop writing consent records.")
@data_dir_option
@json_option
def update(
    datastream_id: str,
    name: str | None,
    dataset_id: str | None,
    profile_dataset_id: str | None,
    no_profile_dataset: bool,
    data_dir: Path | None,
    as_json: bool,
) -> None:
    """Change a datastream's name or datasets (origins: `collector inlets` of its inlet)."""
    with _datastreams(data_dir) as streams:
        stream = streams.update(
            datastream_id,
            name=name,
            dataset_id=dataset_id,
            profile_dataset_id=profile_dataset_id,
            clear_profile_dataset=no_profile_dataset,
        )
        _audit(streams, "update", stream.id, stream.org_id)
        inlet = streams.control.inlet(stream.inlet_id)
    emit(stream.to_dict(inlet), as_json, [])


@datastreams.command("delete")
@click.argument("datastream_id")
@data_dir_option
def delete(datastream_id: str, data_dir: Path | None) -> None:
    """Delete a datastream and its inlet; its lake data stays."""
    with _datastreams(data_dir) as streams:
        stream = streams.delete(datastream_id)
        _audit(streams, "delete", stream.id, stream.org_id)
    click.echo(f"deleted datastream {stream.id}")
