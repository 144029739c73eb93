"""Build a dataset schema from a class and field groups the registry knows.

    document = compose_schema(registry, class_id, [field_group, ...], schema_id=..., title=...)
    path = write_schema(registry_dir, document)        # datasets/<last segment>.schema.json

A dataset schema is ``allOf: [class, field group, ...]`` with ``meta:class`` naming the class
(AEP's registry form). ``compose_schema`` refuses, with a ``ComposeError`` naming what is wrong:

- a class id that is not a loaded class, a field group id that is not a loaded field group,
  the same field group twice;
- a field group whose ``meta:intendedToExtend`` does not admit the class (the class's ``$id``,
  the XDM class it stands for, ``meta:sameAs``, or its short name, ``meta:altId``); a field
  group without ``meta:intendedToExtend`` (upstream's identity map) extends any class;
- a conflict: the same field path declared with different types by two parts (the class or
  two field groups), named by path and by both parts;
- a schema id that is not an absolute URI or that another schema already has (unless
  ``replace`` is set and that schema is itself a dataset schema).

The result is checked by loading it with every other schema, so what it returns is a schema
the registry loads. ``dataset_schema_problem`` is the check ``datasets create`` applies: a
dataset needs a composed schema with a class, and an ExperienceEvent dataset needs ``_id``
and ``timestamp`` required.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from collector.schemas.loader import DEFAULT_DIALECT, SCHEMA_SUFFIX, SchemaLoadError, schema_file
from collector.schemas.registry import SchemaRegistry

EXPERIENCE_EVENT = "https://ns.adobe.com/xdm/context/experienceevent"
_EVENT_REQUIRED = ("_id", "timestamp")


class ComposeError(ValueError):
    """A dataset schema cannot be composed from these parts; the message says why."""


def compose_schema(
    registry: SchemaRegistry,
    class_id: str,
    field_groups: Sequence[str],
    *,
    schema_id: str,
    title: str,
    description: str = "",
    replace: bool = False,
) -> dict[str, Any]:
    """The dataset schema document (AEP registry form) of ``class_id`` + ``field_groups``.

    ``registry`` must be closed (the default): conflicts are found in the composed parts.
    """
    if not registry.closed:
        raise ComposeError("composing needs a closed registry (SchemaRegistry.load default)")
    _check_id(registry, schema_id, replace)
    if not title.strip():
        raise ComposeError("the schema needs a title")
    if not registry.knows(class_id) or registry.kind(class_id) != "class":
        raise ComposeError(f"{class_id} is not a loaded class (see `schemas list --kind class`)")
    class_doc = registry.schema(class_id)
    class_id = str(class_doc["$id"])  # an alias (meta:sameAs, meta:altId) names our class
    names = _class_names(class_doc)
    seen: set[str] = set()
    for group in field_groups:
        if not registry.knows(group) or registry.kind(group) != "fieldgroup":
            raise ComposeError(
                f"{group} is not a loaded field group (see `schemas list --kind fieldgroup`)"
            )
        if group in seen:
            raise ComposeError(f"field group {group} is listed twice")
        seen.add(group)
        intended = registry.schema(group).get("meta:intendedToExtend") or []
        if intended and not names & set(intended):
            raise ComposeError(
                f"field group {group} does not extend class {class_id}: its "
                f"meta:intendedToExtend is {sorted(intended)}"
            )
    _check_conflicts(registry, [class_id, *field_groups])
    parts = [class_id, *field_groups]
    document: dict[str, Any] = {
        "$id": schema_id,
        "$schema": DEFAULT_DIALECT,
        "title": title,
        "description": description,
        "type": "object",
        "meta:resourceType": "schemas",
        "meta:class": class_id,
        "meta:extends": parts,
        "allOf": [{"$ref": part} for part in parts],
    }
    if not description:
        del document["description"]
    _check_loads(registry, document, replace)
    return document


def default_path(schemas_dir: Path, schema_id: str) -> Path:
    """Where a composed schema goes in a schemas directory: ``datasets/<last segment>``."""
    segment = urlsplit(schema_id).path.rstrip("/").rsplit("/", 1)[-1] or "schema"
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in segment).strip(".")
    return schemas_dir / "datasets" / f"{safe or 'schema'}{SCHEMA_SUFFIX}"


def write_schema(path: Path, document: dict[str, Any]) -> Path:
    """Write ``document`` as a schema file (parent directories created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def dataset_schema_problem(registry: SchemaRegistry, schema_id: str) -> str | None:
    """Why a dataset cannot be created with ``schema_id`` (``None`` when it can)."""
    if not registry.knows(schema_id):
        return f"unknown schema {schema_id!r}: not in the schema registry"
    kind = registry.kind(schema_id)
    if kind != "schema":
        return (
            f"schema {schema_id!r} is a {_KIND_NAMES.get(kind, kind)}, not a dataset schema: "
            "compose one from a class and field groups (`collector schemas compose`)"
        )
    class_id = registry.class_of(schema_id)
    if class_id is None or not registry.knows(class_id) or registry.kind(class_id) != "class":
        return f"schema {schema_id!r} has no class: a dataset schema must extend a loaded class"
    if class_id == EXPERIENCE_EVENT:
        required = registry.composed(schema_id).get("required") or []
        missing = [field for field in _EVENT_REQUIRED if field not in required]
        if missing:
            return (
                f"schema {schema_id!r} is an ExperienceEvent schema that does not require "
                f"{' and '.join(missing)}"
            )
    return None


_KIND_NAMES = {"class": "bare class", "fieldgroup": "field group", "datatype": "data type"}


def _check_id(registry: SchemaRegistry, schema_id: str, replace: bool) -> None:
    parts = urlsplit(schema_id)
    if not parts.scheme or not parts.netloc or parts.fragment:
        raise ComposeError(f"schema id {schema_id!r} is not an absolute URI without a fragment")
    if registry.knows(schema_id):
        if not replace:
            raise ComposeError(f"schema {schema_id} already exists (--replace to rebuild it)")
        if registry.kind(schema_id) != "schema":
            raise ComposeError(f"{schema_id} is a {registry.kind(schema_id)}, not a dataset schema")


def _class_names(class_doc: dict[str, Any]) -> set[str]:
    return {
        name
        for name in (
            class_doc.get("$id"),
            class_doc.get("meta:sameAs"),
            class_doc.get("meta:altId"),
        )
        if isinstance(name, str)
    }


def _check_conflicts(registry: SchemaRegistry, parts: Sequence[str]) -> None:
    declared: dict[str, tuple[str, str]] = {}  # path -> (type, part)
    for part in parts:
        for path, kind in _fields(registry.composed(part), ""):
            first = declared.setdefault(path, (kind, part))
            if first[0] != kind:
                raise ComposeError(
                    f"conflict at {path}: {first[1]} declares it {first[0]}, "
                    f"{part} declares it {kind}"
                )


def _fields(node: Any, path: str) -> Iterator[tuple[str, str]]:
    """``(path, type)`` of every declared field; ``[]`` marks array items, ``{}`` map values."""
    if not isinstance(node, dict):
        return
    if path:
        yield path, _type_name(node)
    for name, schema in (node.get("properties") or {}).items():
        yield from _fields(schema, f"{path}.{name}" if path else name)
    items = node.get("items")
    if isinstance(items, dict):
        yield from _fields(items, f"{path}[]")
    values = node.get("additionalProperties")
    if isinstance(values, dict):
        yield from _fields(values, f"{path}{{}}")


def _type_name(node: dict[str, Any]) -> str:
    kind = node.get("type")
    if isinstance(kind, list):
        return "|".join(sorted(str(k) for k in kind))
    if kind is None and "enum" in node:
        return "enum"
    return str(kind)


def _check_loads(registry: SchemaRegistry, document: dict[str, Any], replace: bool) -> None:
    schema_id = str(document["$id"])
    files = [f for f in registry.files() if not (replace and f.id == schema_id)]
    path = Path(f"<composed {schema_id}>")
    try:
        new = schema_file(path, document, Path("datasets") / path.name)
        SchemaRegistry([*files, new], engine=registry.engine)
    except SchemaLoadError as exc:
        raise ComposeError(f"the composed schema does not load: {exc.reason}") from None
