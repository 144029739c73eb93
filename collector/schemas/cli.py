"""``collector schemas ...`` and ``collector failed ...``: the schema registry from the shell.

The schemas directory comes from the settings (``COLLECTOR_SCHEMAS_DIR``) unless
``--schemas-dir`` names another one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import orjson

from collector.cli.options import data_dir_option, format_option, json_option
from collector.cli.output import Format, emit
from collector.control.settings import Settings
from collector.schemas.compose import ComposeError, compose_schema, default_path, write_schema
from collector.schemas.examples import check_example, load_examples
from collector.schemas.failed import RevalidationError, revalidate
from collector.schemas.importer import import_tree
from collector.schemas.loader import SCHEMA_SUFFIX, SchemaLoadError
from collector.schemas.registry import SchemaRegistry

_schemas_dir = click.option(
    "--schemas-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Schemas directory (default: $COLLECTOR_SCHEMAS_DIR or the bundled schemas/).",
)


def _registry(schemas_dir: Path | None) -> SchemaRegistry:
    try:
        return SchemaRegistry.load(_directory(schemas_dir))
    except SchemaLoadError as exc:
        raise click.ClickException(f"schema not loadable: {exc}") from None


def _directory(schemas_dir: Path | None) -> Path:
    return schemas_dir or Settings.from_env().schemas_dir


@click.group()
def schemas() -> None:
    """XDM schemas: list, show, check, import and compose them."""


@schemas.command("list")
@click.option(
    "--kind",
    type=click.Choice(["schema", "class", "fieldgroup", "datatype", "behavior"]),
    help="Only schemas of this kind (schema: the composed dataset schemas).",
)
@_schemas_dir
@format_option
def list_schemas(kind: str | None, schemas_dir: Path | None, fmt: Format) -> None:
    """List the loaded schemas: id, kind, class and title."""
    rows = [s for s in _registry(schemas_dir).summaries() if kind in (None, s["kind"])]
    emit(rows, fmt, ["id", "kind", "class", "title"])


@schemas.command()
@click.argument("schema_id")
@click.option(
    "--composed",
    is_flag=True,
    help="Print the closed document the validator uses (references inlined, allOf merged).",
)
@_schemas_dir
def show(schema_id: str, composed: bool, schemas_dir: Path | None) -> None:
    """Print one schema (as JSON) by its $id, or a class by its XDM id or short name."""
    registry = _registry(schemas_dir)
    if not registry.knows(schema_id):
        raise click.ClickException(f"unknown schema {schema_id}")
    emit(registry.composed(schema_id) if composed else registry.schema(schema_id), "json")


@schemas.command()
@_schemas_dir
@json_option
def check(schemas_dir: Path | None, as_json: bool) -> None:
    """Load every schema (meta-schema, $id and $ref checks) and run every example.

    Exits with status 1 when a schema does not load or an example misbehaves.
    """
    directory = _directory(schemas_dir)
    try:
        registry = SchemaRegistry.load(directory)
    except SchemaLoadError as exc:
        if as_json:
            emit({"ok": False, "error": {"path": str(exc.path), "reason": exc.reason}}, "json")
        else:
            click.echo(f"FAIL {exc.path}: {exc.reason}", err=True)
        raise SystemExit(1) from None
    results = [check_example(registry, e) for e in load_examples(directory)]
    ignored = _ignored_json(directory)
    ok = all(r.ok for r in results)
    if as_json:
        emit(
            {
                "ok": ok,
                "schemas": len(registry.summaries()),
                "examples": [
                    {"path": str(r.example.path), "ok": r.ok, "problem": r.problem} for r in results
                ],
                "ignored": [str(p) for p in ignored],
            },
            "json",
        )
    else:
        click.echo(f"{len(registry.summaries())} schemas loaded from {directory}")
        for r in results:
            click.echo(f"{'ok  ' if r.ok else 'FAIL'} {r.example.path.relative_to(directory)}")
            if not r.ok:
                click.echo(f"     {r.problem}: {orjson.dumps(r.violations).decode()}")
        for path in ignored:
            click.echo(f"note {path.relative_to(directory)} is not read: not *{SCHEMA_SUFFIX}")
        click.echo(f"{sum(r.ok for r in results)}/{len(results)} examples as expected")
    if not ok:
        raise SystemExit(1)


@schemas.command("import")
@click.argument("path", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Where to write the converted tree (default: <schemas dir>/imported).",
)
@_schemas_dir
@json_option
def import_(path: Path, out: Path | None, schemas_dir: Path | None, as_json: bool) -> None:
    """Convert an upstream XDM tree (xdm:name, @id, repo:x) into AEP registry form.

    xdm:foo becomes foo, @id becomes _id, <prefix>:name becomes _<prefix>.name, URL-named
    keys stay; $ids and references are kept. Files that do not load after conversion are
    skipped and listed.
    """
    target = out or _directory(schemas_dir) / "imported"
    report = import_tree(path, target)
    if as_json:
        emit(
            {
                "out": str(target),
                "written": [str(p) for p in report.written],
                "skipped": {str(p): reason for p, reason in report.skipped.items()},
            },
            "json",
        )
        return
    click.echo(f"{len(report.written)} schemas written to {target}")
    for skipped, reason in report.skipped.items():
        click.echo(f"skipped {skipped}: {reason}")


@schemas.command()
@click.option("--class", "class_id", required=True, help="Class $id (or its XDM id / short name).")
@click.option(
    "--field-group",
    "field_groups",
    multiple=True,
    help="Field group $id; repeat for each (see `schemas list --kind fieldgroup`).",
)
@click.option(
    "--org",
    "org_id",
    default=None,
    help="Add it to this org's schemas in the data directory (a running server sees it at once).",
)
@click.option(
    "--id", "schema_id", default=None, help="$id of the new schema (absolute URI; --org: optional)."
)
@click.option("--title", required=True, help="Title of the new schema.")
@click.option("--description", default="", help="Description of the new schema.")
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="File to write instead (a schemas directory of your own: --schemas-dir).",
)
@click.option("--replace", is_flag=True, help="Rebuild a dataset schema that already exists.")
@_schemas_dir
@data_dir_option
@format_option
def compose(
    class_id: str,
    field_groups: tuple[str, ...],
    org_id: str | None,
    schema_id: str | None,
    title: str,
    description: str,
    out: Path | None,
    replace: bool,
    schemas_dir: Path | None,
    data_dir: Path | None,
    fmt: Format,
) -> None:
    """Build a dataset schema from a class and field groups.

    Checks that each field group extends the class and that no two parts declare the same
    field with different types, then writes a schema the registry loads: with ``--org``, as
    one of the org's tenant schemas under ``<data dir>/schemas/`` (what the Schema Registry
    API writes); otherwise to ``--out`` or into the ``--schemas-dir`` named.
    """
    if org_id is not None:
        settings = Settings.from_env(data_dir=data_dir, schemas_dir=schemas_dir)
        target, document = _compose_for_org(
            settings, org_id, class_id, field_groups, schema_id, title, description, replace
        )
    else:
        target, document = _compose_to_file(
            class_id, field_groups, schema_id, title, description, replace, out, schemas_dir
        )
    if fmt != "table":
        emit({"id": document["$id"], "path": str(target), "extends": document["meta:extends"]}, fmt)
        return
    click.echo(f"schema {document['$id']} written to {target} ({len(field_groups)} field groups)")


def _compose_for_org(
    settings: Settings,
    org_id: str,
    class_id: str,
    field_groups: tuple[str, ...],
    schema_id: str | None,
    title: str,
    description: str,
    replace: bool,
) -> tuple[Path, dict[str, Any]]:
    from collector.control.plane import ControlPlane
    from collector.schemas.live import LiveRegistry
    from collector.schemas.tenant import new_schema_id

    registry = LiveRegistry.open(settings)
    schema_id = schema_id or new_schema_id(org_id)
    if registry.knows(schema_id) and replace:
        if not registry.tenants.owns(org_id, registry.path(schema_id)):
            raise click.ClickException(f"{schema_id} is not one of {org_id}'s schemas")
        control = ControlPlane(settings.control_db_path)
        try:
            users = [d.id for d in control.datasets(org_id) if d.schema_id == schema_id]
        finally:
            control.close()
        if users:
            raise click.ClickException(
                f"{schema_id} is used by dataset {users[0]}: change it with the Schema "
                "Registry API (PATCH), which adds fields without removing or retyping any"
            )
    document = _composed(registry, class_id, field_groups, schema_id, title, description, replace)
    return registry.tenants.write(org_id, document), document


def _compose_to_file(
    class_id: str,
    field_groups: tuple[str, ...],
    schema_id: str | None,
    title: str,
    description: str,
    replace: bool,
    out: Path | None,
    schemas_dir: Path | None,
) -> tuple[Path, dict[str, Any]]:
    if schema_id is None:
        raise click.ClickException("--id is required without --org")
    if out is None and schemas_dir is None:
        raise click.ClickException(
            "say where the schema goes: --org ORG (one of the org's schemas, in the data "
            "directory), --out FILE, or --schemas-dir DIR (a schemas directory of your own)"
        )
    registry = _registry(schemas_dir)
    document = _composed(registry, class_id, field_groups, schema_id, title, description, replace)
    if out is None and schemas_dir is not None:
        known = registry.knows(schema_id)
        out = registry.path(schema_id) if known else default_path(schemas_dir, schema_id)
    assert out is not None
    if out.exists() and not replace:
        raise click.ClickException(f"{out} exists (--replace to overwrite it)")
    return write_schema(out, document), document


def _composed(
    registry: SchemaRegistry,
    class_id: str,
    field_groups: tuple[str, ...],
    schema_id: str,
    title: str,
    description: str,
    replace: bool,
) -> dict[str, Any]:
    try:
        return compose_schema(
            registry,
            class_id,
            field_groups,
            schema_id=schema_id,
            title=title,
            description=description,
            replace=replace,
        )
    except ComposeError as exc:
        raise click.ClickException(str(exc)) from None


def _ignored_json(directory: Path) -> list[Path]:
    examples = directory / "examples"
    return sorted(
        p
        for p in directory.rglob("*.json")
        if not p.name.endswith(SCHEMA_SUFFIX) and examples not in p.parents
    )


@click.group()
def failed() -> None:
    """Failed records: messages that did not pass validation, kept in lake/_failed."""


@failed.command("revalidate")
@click.option("--dataset", "dataset_id", required=True, help="Dataset id (24 hex).")
@click.option("--dry-run", is_flag=True, help="Only report what would be promoted.")
@data_dir_option
@_schemas_dir
@json_option
def revalidate_command(
    dataset_id: str,
    dry_run: bool,
    data_dir: Path | None,
    schemas_dir: Path | None,
    as_json: bool,
) -> None:
    """Re-validate a dataset's failed records against its current schema.

    Records that pass now are promoted into the dataset's lake as accepted lines
    ("promotedFromFailed": true). Running it again promotes nothing twice.
    """
    settings = Settings.from_env(data_dir=data_dir, schemas_dir=schemas_dir)
    try:
        registry = _registry(settings.schemas_dir)
        result = revalidate(settings, dataset_id, registry=registry, dry_run=dry_run)
    except RevalidationError as exc:
        raise click.ClickException(str(exc)) from None
    summary = result.summary()
    if as_json:
        emit(summary, "json")
        return
    verb = "would promote" if dry_run else "promoted"
    click.echo(
        f"dataset {dataset_id} (schema {result.schema_id}): {result.failed} invalid records, "
        f"{verb} {len(result.promoted)}, {result.already_promoted} promoted before, "
        f"{len(result.still_invalid)} still invalid"
    )
    for xaction_id, violations in list(result.still_invalid.items())[:10]:
        click.echo(f"  still invalid {xaction_id}: {_first_message(violations)}")


def _first_message(violations: list[dict[str, Any]]) -> str:
    entry = violations[0]
    causes = entry.get("causingExceptions") or []
    first = causes[0] if causes else entry
    text = f"{first['pointerToViolation']}: {first['message']}"
    return f"{entry['message']}, first {text}" if causes else text
