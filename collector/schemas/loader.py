"""Read a schemas directory: every ``*.schema.json`` file, checked before anything uses it.

A file is refused, with its path and the reason, when it is not JSON, is not an object,
has no absolute ``$id`` (or one another file already has), names an unknown ``$schema``,
is not a valid schema under its meta-schema, or holds a ``$ref`` that resolves nowhere.
The collector refuses to start on such a file rather than accept data it cannot validate.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import jsonschema.exceptions
import jsonschema.validators
import referencing
import referencing.exceptions
import referencing.jsonschema

SCHEMA_SUFFIX = ".schema.json"
DEFAULT_DIALECT = "http://json-schema.org/draft-07/schema#"

_KINDS_BY_RESOURCE_TYPE = {
    "classes": "class",
    "behaviors": "behavior",
    "datatypes": "datatype",
    "fieldgroups": "fieldgroup",
    "mixins": "fieldgroup",
    "schemas": "schema",
}
_KINDS_BY_DIRECTORY = {**_KINDS_BY_RESOURCE_TYPE, "datasets": "schema"}
# Keywords whose values are data, not schemas: a "$ref" key inside them is no reference.
_DATA_KEYWORDS = frozenset({"enum", "const", "default", "examples", "meta:enum"})


class SchemaLoadError(Exception):
    """A schema file the registry cannot use; ``path`` names it, ``reason`` says why."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


@dataclass(frozen=True)
class SchemaFile:
    """One checked schema file."""

    path: Path
    id: str
    document: dict[str, Any]
    kind: str  # class, behavior, datatype, fieldgroup or schema (a composed dataset schema)


def read_schema_files(schemas_dir: Path, exclude: Collection[str] = ()) -> list[SchemaFile]:
    """Every schema file under ``schemas_dir``, parsed and checked against its meta-schema.

    ``exclude`` holds glob patterns of paths relative to ``schemas_dir`` to leave out.
    """
    if not schemas_dir.is_dir():
        raise SchemaLoadError(schemas_dir, "schemas directory not found")
    files: list[SchemaFile] = []
    seen: dict[str, Path] = {}
    for path in sorted(schemas_dir.rglob(f"*{SCHEMA_SUFFIX}")):
        relative = path.relative_to(schemas_dir)
        if any(relative.match(pattern) for pattern in exclude):
            continue
        file = schema_file(path, _parse(path), relative)
        if file.id in seen:
            raise SchemaLoadError(path, f"duplicate $id {file.id} (also in {seen[file.id]})")
        seen[file.id] = path
        files.append(file)
    return files


def schema_file(path: Path, document: Any, relative: Path) -> SchemaFile:
    """Check one parsed schema document; ``relative`` (its path in the tree) hints its kind."""
    if not isinstance(document, dict):
        raise SchemaLoadError(path, "a schema must be a JSON object")
    schema_id = _schema_id(path, document)
    _check_against_meta_schema(path, document)
    return SchemaFile(path=path, id=schema_id, document=document, kind=_kind(relative, document))


def build_resources(files: Sequence[SchemaFile]) -> referencing.Registry[Any]:
    """A ``referencing.Registry`` keyed by ``$id``, with every reference checked."""
    default = referencing.jsonschema.DRAFT7
    registry: referencing.Registry[Any] = referencing.Registry().with_resources(
        (f.id, referencing.Resource.from_contents(f.document, default_specification=default))
        for f in files
    )
    registry = registry.crawl()
    for file in files:
        resolver = registry.resolver(base_uri=file.id)
        for ref in _references(file.document):
            try:
                resolver.lookup(ref)
            except referencing.exceptions.Unresolvable:
                raise SchemaLoadError(file.path, f"unresolvable $ref {ref!r}") from None
    return registry


def _parse(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SchemaLoadError(path, f"invalid JSON: {exc}") from None


def _schema_id(path: Path, document: dict[str, Any]) -> str:
    schema_id = document.get("$id")
    if not isinstance(schema_id, str) or not schema_id:
        raise SchemaLoadError(path, "missing $id")
    parts = urlsplit(schema_id)
    if not parts.scheme or not parts.netloc or parts.fragment:
        raise SchemaLoadError(path, f"$id {schema_id!r} is not an absolute URI")
    return schema_id


def _check_against_meta_schema(path: Path, document: dict[str, Any]) -> None:
    dialect = document.get("$schema", DEFAULT_DIALECT)
    try:
        referencing.jsonschema.specification_with(dialect)
    except referencing.jsonschema.UnknownDialect:
        raise SchemaLoadError(path, f"unknown $schema {dialect!r}") from None
    cls = jsonschema.validators.validator_for(document, default=jsonschema.Draft7Validator)
    try:
        cls.check_schema(document)
    except jsonschema.exceptions.SchemaError as exc:
        raise SchemaLoadError(
            path, f"invalid JSON Schema at {exc.json_path}: {exc.message}"
        ) from None


def _kind(relative: Path, document: dict[str, Any]) -> str:
    resource_type = document.get("meta:resourceType")
    if isinstance(resource_type, str) and resource_type in _KINDS_BY_RESOURCE_TYPE:
        return _KINDS_BY_RESOURCE_TYPE[resource_type]
    if "meta:intendedToExtend" in document:
        return "fieldgroup"
    if "meta:class" in document:
        return "schema"
    for part in relative.parts[:-1]:
        if part in _KINDS_BY_DIRECTORY:
            return _KINDS_BY_DIRECTORY[part]
    return "schema"


def _references(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            yield ref
        for key, value in node.items():
            if key not in _DATA_KEYWORDS:
                yield from _references(value)
    elif isinstance(node, list):
        for item in node:
            yield from _references(item)
