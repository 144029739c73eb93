"""The field tree of a dataset's composed XDM schema: every field's path (as a Send Beacon
mapping row writes it), type, title, description and enum, for the console to pick from."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from collector.control.plane import ControlPlane
from collector.schemas.registry import SchemaRegistry, UnknownSchemaError

MAX_FIELDS = 5000
MAX_DEPTH = 16


@dataclass(frozen=True)
class FieldRow:
    path: str
    type: str
    title: str
    description: str
    enum: tuple[str, ...]
    depth: int


def _branches(schema: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield schema
    for key in ("allOf", "anyOf", "oneOf"):
        for branch in schema.get(key) or []:
            if isinstance(branch, dict):
                yield from _branches(branch)


def _type(schema: dict[str, Any]) -> str:
    for branch in _branches(schema):
        declared = branch.get("type")
        if isinstance(declared, str):
            return declared
        if isinstance(declared, list):
            return " | ".join(str(t) for t in declared)
    return "any"


def rows(schema: dict[str, Any]) -> list[FieldRow]:
    """Every field under ``schema``, depth first, in the schema's order."""
    found: list[FieldRow] = []

    def walk(node: dict[str, Any], prefix: str, depth: int) -> None:
        if depth > MAX_DEPTH or len(found) >= MAX_FIELDS:
            return
        for branch in _branches(node):
            items = branch.get("items")
            if isinstance(items, dict) and prefix:
                walk(items, f"{prefix}[0]", depth)
            for key, sub in (branch.get("properties") or {}).items():
                if not isinstance(sub, dict) or len(found) >= MAX_FIELDS:
                    continue
                path = f"{prefix}.{key}" if prefix else str(key)
                enum = tuple(str(v) for v in sub.get("enum") or ())
                title, description = str(sub.get("title") or ""), str(sub.get("description") or "")
                found.append(FieldRow(path, _type(sub), title, description, enum, depth))
                walk(sub, path, depth + 1)

    walk(schema, "", 0)
    return found


def for_dataset(
    control: ControlPlane, registry: SchemaRegistry, org_id: str, dataset_id: str | None
) -> tuple[str, list[FieldRow]]:
    """The dataset's schema id and field rows; ("", []) when the dataset is not the org's."""
    dataset = control.dataset(dataset_id) if dataset_id else None
    if dataset is None or dataset.org_id != org_id:
        return "", []
    try:
        return dataset.schema_id, rows(registry.composed(dataset.schema_id))
    except UnknownSchemaError:
        return dataset.schema_id, []
