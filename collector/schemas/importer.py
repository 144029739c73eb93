"""Convert an upstream XDM tree (adobe/xdm form) into AEP registry form.

Upstream XDM names fields with prefixes (``xdm:timestamp``, ``@id``, ``repo:createDate``)
and guards every object with ``https://ns.adobe.com/xdm/common/extensible#/definitions/@context``,
which rejects un-prefixed keys. AEP's registry, and every client that streams to it, uses
other names. The conversion, applied to field names in ``properties`` and ``required`` (and
to entities by ``convert_entity``):

    xdm:name        -> name
    @id             -> _id            (any @name -> _name)
    repo:createDate -> _repo.createDate   (any <prefix>:name -> _<prefix>.name)
    https://...     -> kept as is     (URL-named keys)

The ``@context`` guard is dropped; ``$id``s, references, ``meta:*`` keywords and the
schema's draft are kept, so the converted tree loads into the registry as it is. A file
that the registry refuses after conversion (for example a meta-schema that refers to
schemas outside the tree) is skipped and reported with the reason.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from collector.schemas.loader import SCHEMA_SUFFIX, SchemaFile, SchemaLoadError, schema_file
from collector.schemas.registry import SchemaRegistry

CONTEXT_GUARD = "https://ns.adobe.com/xdm/common/extensible#/definitions/@context"
_DATA_KEYWORDS = frozenset({"enum", "const", "default", "examples"})
_SCHEMA_MAPS = frozenset({"definitions", "$defs", "patternProperties", "dependencies"})


@dataclass
class ImportReport:
    """What ``import_tree`` wrote and what it left out (path -> reason)."""

    written: list[Path] = field(default_factory=list)
    skipped: dict[Path, str] = field(default_factory=dict)


def convert_key(key: str) -> tuple[str, ...]:
    """The AEP name of an upstream field: one name, or a tenant-like group and a name."""
    if "://" in key:
        return (key,)
    if key.startswith("@") and len(key) > 1:
        return ("_" + key[1:],)
    prefix, colon, name = key.partition(":")
    if not colon or not prefix or not name:
        return (key,)
    if prefix == "xdm":
        return (name,)
    return ("_" + prefix, name)


def convert_schema(node: Any) -> Any:
    """A schema (or any part of one) with its field names in AEP form."""
    if isinstance(node, list):
        return [convert_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("properties", "required"):
            continue
        if key == "allOf":
            branches = [convert_schema(b) for b in value if b.get("$ref") != CONTEXT_GUARD]
            if branches:
                converted[key] = branches
        elif key in _DATA_KEYWORDS or key.startswith("meta:"):
            converted[key] = value
        elif key in _SCHEMA_MAPS and isinstance(value, dict):
            converted[key] = {name: convert_schema(v) for name, v in value.items()}
        else:
            converted[key] = convert_schema(value)
    properties, required = _convert_fields(node.get("properties", {}), node.get("required", []))
    if properties or "properties" in node:
        converted["properties"] = properties
    if required:
        converted["required"] = required
    return converted


def convert_entity(node: Any) -> Any:
    """An upstream XDM document (an example, a payload) with its keys in AEP form."""
    if isinstance(node, list):
        return [convert_entity(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted: dict[str, Any] = {}
    for key, value in node.items():
        if key == "@context":
            continue
        path = convert_key(key)
        if len(path) == 1:
            converted[path[0]] = convert_entity(value)
        else:
            group = converted.setdefault(path[0], {})
            if isinstance(group, dict):
                group[path[1]] = convert_entity(value)
    return converted


def import_tree(source: Path, out: Path) -> ImportReport:
    """Convert every ``*.schema.json`` under ``source`` into ``out`` (same relative paths)."""
    report = ImportReport()
    candidates: dict[Path, SchemaFile] = {}
    for path in sorted(source.rglob(f"*{SCHEMA_SUFFIX}")):
        relative = path.relative_to(source)
        try:
            document = convert_schema(json.loads(path.read_text(encoding="utf-8")))
            candidates[relative] = schema_file(out / relative, document, relative)
        except (ValueError, SchemaLoadError) as exc:
            report.skipped[path] = getattr(exc, "reason", str(exc))
    while candidates:
        try:
            SchemaRegistry(list(candidates.values()), engine="reference")
            break
        except SchemaLoadError as exc:
            relative = exc.path.relative_to(out)
            if relative not in candidates:
                raise
            del candidates[relative]
            report.skipped[source / relative] = exc.reason
    for file in candidates.values():
        file.path.parent.mkdir(parents=True, exist_ok=True)
        file.path.write_text(json.dumps(file.document, indent=2, ensure_ascii=False) + "\n")
        report.written.append(file.path)
    return report


def _convert_fields(
    properties: dict[str, Any], required: list[str]
) -> tuple[dict[str, Any], list[str]]:
    converted: dict[str, Any] = {}
    for key, schema in properties.items():
        path = convert_key(key)
        if len(path) == 1:
            converted[path[0]] = convert_schema(schema)
        else:
            _group(converted, path[0])["properties"][path[1]] = convert_schema(schema)
    names: list[str] = []
    for key in required:
        path = convert_key(key)
        if path[0] not in names:
            names.append(path[0])
        if len(path) == 2:
            _group(converted, path[0]).setdefault("required", []).append(path[1])
    return converted, names


def _group(properties: dict[str, Any], name: str) -> dict[str, Any]:
    group = properties.setdefault(name, {"type": "object", "properties": {}})
    group.setdefault("properties", {})
    return group  # type: ignore[no-any-return]
