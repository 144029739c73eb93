"""``collector properties``: tag properties (create, list, export, import, publish)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
import orjson

from collector.cli.options import data_dir_option, format_option, json_option
from collector.cli.output import Format, emit
from collector.control.settings import Settings
from collector.tags.properties import Properties
from collector.tags.property import ENVIRONMENTS, PropertyError

_data_dir = data_dir_option
_format = format_option


@contextmanager
def _properties(data_dir: Path | None) -> Iterator[Properties]:
    try:
        with Properties.open(Settings.from_env(data_dir=data_dir)) as properties:
            yield properties
    except PropertyError as exc:
        raise click.ClickException("\n".join(exc.problems)) from None


def _read(file: Path) -> Any:
    try:
        return orjson.loads(file.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise click.ClickException(f"{file} is not JSON: {exc}") from None


@click.group()
def properties() -> None:
    """Tag properties: rules, data elements and published libraries."""


@properties.command("create")
@click.option("--org", "org_id", required=True, help="Owning org id.")
@click.option("--name", required=True, help="Display name.")
@click.option(
    "--file",
    "file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="JSON with extension, dataElements and rules (as `properties export` prints).",
)
@click.option(
    "--inlet", "inlet_id", default=None, help="Inlet the tag sends to (default: the org's)."
)
@_data_dir
@_format
def create(
    org_id: str,
    name: str,
    file: Path | None,
    inlet_id: str | None,
    data_dir: Path | None,
    fmt: Format,
) -> None:
    """Create a property; every setting is checked against the manifest and XDM schemas."""
    document = _read(file) if file is not None else None
    with _properties(data_dir) as props:
        prop = props.create(org_id=org_id, name=name, document=document, inlet_id=inlet_id)
    emit(prop.summary(), fmt)


@properties.command("list")
@click.option("--org", "org_id", default=None, help="Only this org's properties.")
@_data_dir
@_format
def list_(org_id: str | None, data_dir: Path | None, fmt: Format) -> None:
    """List properties."""
    with _properties(data_dir) as props:
        rows = [p.summary() for p in props.store.properties(org_id)]
    emit(rows, fmt, ["id", "name", "org_id", "data_elements", "rules", "updated_at"])


@properties.command("export")
@click.argument("property_id")
@_data_dir
@json_option
def export(property_id: str, data_dir: Path | None, as_json: bool) -> None:
    """Print a property as JSON (the document `properties import` reads; always JSON)."""
    with _properties(data_dir) as props:
        emit(props.export(property_id), "json")


@properties.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_data_dir
@_format
def import_(file: Path, data_dir: Path | None, fmt: Format) -> None:
    """Create a property from FILE, or update it when its id exists."""
    with _properties(data_dir) as props:
        prop, created = props.import_document(_read(file))
    emit({**prop.summary(), "created": created}, fmt)


@properties.command("publish")
@click.argument("property_id")
@click.option("--env", "environment", type=click.Choice(ENVIRONMENTS), required=True)
@_data_dir
@_format
def publish(property_id: str, environment: str, data_dir: Path | None, fmt: Format) -> None:
    """Shortcut: build the draft and serve that build on one environment at once (audited)."""
    with _properties(data_dir) as props:
        library = props.publish(property_id, environment)
        row = {**library.summary(), "url": props.url(library)}
    emit(row, fmt)
