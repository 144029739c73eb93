"""The schema registry: every schema of the schemas directory, compiled once at startup.

    registry = SchemaRegistry.load(settings.schemas_dir)     # raises SchemaLoadError
    registry.knows(dataset.schema_id)                         # dataset creation check
    errors = registry.validate(dataset.schema_id, entity)     # [] or _streamingValidation

Schemas are addressed by ``$id``. In the default closed mode each schema is composed into
one closed document (``collector.schemas.composition``): keys it does not declare and
``null`` values are rejected, as AEP does. ``closed=False`` validates schemas as written
(the upstream XDM way). Classes may name the XDM class they stand for (``meta:sameAs``) and
its short name (``meta:altId``); those names resolve to the class too, so
``class_of("https://ns.adobe.com/xdm/context/experienceevent")`` works with our classes.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any

import jsonschema_rs
import referencing

from collector.schemas.bounds import int64_bounded
from collector.schemas.composition import Composer, CompositionError
from collector.schemas.loader import SchemaFile, SchemaLoadError, build_resources, read_schema_files
from collector.schemas.validators import (
    ENGINES,
    CompiledValidator,
    Engine,
    ReferenceValidator,
    Validator,
)
from collector.schemas.violations import MAX_CAUSES, Violation, report

__all__ = ["SchemaLoadError", "SchemaRegistry", "UnknownSchemaError"]

_KIND_ORDER = {"schema": 0, "class": 1, "fieldgroup": 2, "datatype": 3, "behavior": 4}
_UNEXPLAINED = {
    "schemaLocation": "#",
    "pointerToViolation": "#",
    "causingExceptions": [],
    "keyword": "schema",
    "message": "the message does not match the schema",
}


class UnknownSchemaError(KeyError):
    """No schema with this id (or class alias) is loaded."""


@dataclass(frozen=True)
class _Entry:
    file: SchemaFile
    composed: dict[str, Any]
    validator: Validator
    is_valid: Callable[[Any], bool]


class SchemaRegistry:
    """Loaded, checked and compiled schemas; ``validate`` is the ingest hot path."""

    def __init__(
        self, files: Sequence[SchemaFile], *, engine: Engine = "compiled", closed: bool = True
    ) -> None:
        if engine not in ENGINES:
            raise ValueError(f"engine must be one of {ENGINES}, not {engine!r}")
        self.engine = engine
        self.closed = closed
        self._install(files)

    def _install(
        self, files: Sequence[SchemaFile], reuse: Mapping[str, _Entry] | None = None
    ) -> None:
        """Compile ``files`` and make them the registry's schemas, all at once.

        ``reuse``: compiled entries to keep for files whose document is unchanged; only sound
        when the schemas those files refer to are unchanged too (``LiveRegistry``: the bundled
        schemas never change, and nothing refers to a tenant schema).
        """
        resources = build_resources(files)
        compiled_resources = None
        if self.engine == "compiled" and not self.closed:
            compiled_resources = jsonschema_rs.Registry([(f.id, f.document) for f in files])
        composer = Composer(resources)
        entries: dict[str, _Entry] = {}
        for file in files:
            old = reuse.get(file.id) if reuse else None
            if old is not None and old.file.document == file.document:
                entries[file.id] = _Entry(file, old.composed, old.validator, old.is_valid)
                continue
            composed = self._compose(composer, file) if self.closed else file.document
            validator = self._compile(file, int64_bounded(composed), compiled_resources, resources)
            entries[file.id] = _Entry(file, composed, validator, validator.is_valid)
        aliases = _class_aliases(entries)
        for file in files:
            named = file.document.get("meta:class")
            if named is not None and not (
                isinstance(named, str) and (named in entries or named in aliases)
            ):
                raise SchemaLoadError(file.path, f"meta:class {named!r} is not a loaded class")
        self._resources, self._entries, self._aliases = resources, entries, aliases

    @classmethod
    def load(
        cls,
        schemas_dir: Path,
        *,
        engine: Engine = "compiled",
        closed: bool = True,
        exclude: Collection[str] = (),
    ) -> SchemaRegistry:
        """Read, check and compile every ``*.schema.json`` under ``schemas_dir``.

        ``exclude``: glob patterns of relative paths to leave out.
        """
        return cls(read_schema_files(schemas_dir, exclude), engine=engine, closed=closed)

    def files(self) -> list[SchemaFile]:
        """The loaded schema files, in load order."""
        return [entry.file for entry in self._entries.values()]

    def knows(self, schema_id: str) -> bool:
        return schema_id in self._entries or schema_id in self._aliases

    def schema(self, schema_id: str) -> dict[str, Any]:
        """The schema as written in its file."""
        return copy.deepcopy(self._entry(schema_id).file.document)

    def composed(self, schema_id: str) -> dict[str, Any]:
        """The schema the validator uses: composed and closed (or as written, unclosed)."""
        return copy.deepcopy(self._entry(schema_id).composed)

    def path(self, schema_id: str) -> Path:
        return self._entry(schema_id).file.path

    def kind(self, schema_id: str) -> str:
        return self._entry(schema_id).file.kind

    def class_of(self, schema_id: str) -> str | None:
        """The XDM class id a dataset schema or class belongs to (``None`` for the rest)."""
        if not self.knows(schema_id):
            return None
        file = self._entry(schema_id).file
        if file.kind == "class":
            return _canonical_class_id(file)
        named = file.document.get("meta:class")
        candidates = [named] if isinstance(named, str) else []
        candidates += [p["$ref"] for p in file.document.get("allOf", []) if "$ref" in p]
        for candidate in candidates:
            if self.knows(candidate) and self._entry(candidate).file.kind == "class":
                return _canonical_class_id(self._entry(candidate).file)
        return named if isinstance(named, str) else None

    def summaries(self) -> list[dict[str, Any]]:
        """One line per schema, dataset schemas first: id, title, kind, class, description."""
        entries = sorted(
            self._entries.values(), key=lambda e: (_KIND_ORDER.get(e.file.kind, 9), e.file.id)
        )
        return [
            {
                "id": e.file.id,
                "title": e.file.document.get("title", ""),
                "kind": e.file.kind,
                "class": self.class_of(e.file.id),
                "description": e.file.document.get("description", ""),
            }
            for e in entries
        ]

    def dataset_schema_ids(self) -> list[str]:
        """Ids of the composed schemas a dataset can be created with."""
        return sorted(i for i, e in self._entries.items() if e.file.kind == "schema")

    def is_valid(self, schema_id: str, entity: Any) -> bool:
        return self._entry(schema_id).is_valid(entity)

    def validate(
        self,
        schema_id: str,
        entity: Any,
        limit: int = MAX_CAUSES,
        *,
        extra: Sequence[Violation] = (),
    ) -> list[dict[str, Any]]:
        """``[]`` when ``entity`` is valid, else the contract's ``_streamingValidation`` list.

        ``limit`` caps the causes listed (the contract's five); the count is complete up to
        ``MAX_FOUND`` violations, past that it reads "at least" (bounded cost per message).
        ``extra``: violations found before validation (numbers no float holds); the schema's
        own findings at their paths are left out, as they are about the stand-in value.
        """
        entry = self._entries.get(schema_id) or self._entry(schema_id)
        if not extra:
            if entry.is_valid(entity):
                return []
            return report(entry.validator.violations(entity), limit) or [dict(_UNEXPLAINED)]
        paths = {v.instance_path for v in extra}
        found = () if entry.is_valid(entity) else entry.validator.violations(entity)
        return report(chain(extra, (v for v in found if v.instance_path not in paths)), limit)

    def _entry(self, schema_id: str) -> _Entry:
        entry = self._entries.get(self._aliases.get(schema_id, schema_id))
        if entry is None:
            raise UnknownSchemaError(schema_id)
        return entry

    def _compose(self, composer: Composer, file: SchemaFile) -> dict[str, Any]:
        try:
            return composer.compose(file.id)
        except CompositionError as exc:
            raise SchemaLoadError(file.path, str(exc)) from None

    def _compile(
        self,
        file: SchemaFile,
        schema: dict[str, Any],
        compiled_resources: jsonschema_rs.Registry | None,
        resources: referencing.Registry[Any],
    ) -> Validator:
        try:
            if self.engine == "compiled":
                both = None if compiled_resources is None else (compiled_resources, resources)
                return CompiledValidator(schema, both)
            return ReferenceValidator(schema, None if self.closed else resources)
        except (ValueError, referencing.exceptions.Unresolvable) as exc:
            raise SchemaLoadError(file.path, f"cannot compile: {exc}") from None


def _class_aliases(entries: Mapping[str, _Entry]) -> dict[str, str]:
    aliases: dict[str, str] = {}
    for schema_id, entry in entries.items():
        if entry.file.kind != "class":
            continue
        for key in ("meta:sameAs", "meta:altId"):
            alias = entry.file.document.get(key)
            if isinstance(alias, str) and alias not in entries:
                aliases[alias] = schema_id
    return aliases


def _canonical_class_id(file: SchemaFile) -> str:
    same_as = file.document.get("meta:sameAs")
    return same_as if isinstance(same_as, str) else file.id
