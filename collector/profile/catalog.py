"""Which datasets feed the profile store, and how to read their messages.

The list comes from the control plane's ``datasets`` table (``profile_enabled = 1``), re-read
every ``refresh_seconds`` so that new datasets are picked up. For each dataset the catalog
knows whether its messages are experience events (time series) or profile records, and which
schema fields hold identities. Both come from the dataset's schema in ``settings.schemas_dir``:
the class behind ``meta:class`` (time-series behaviour or the ExperienceEvent class means events),
and properties marked with ``"xdm:identityNamespace": "<code>"`` (optionally
``"xdm:isPrimary": true``) or ``"meta:identity": {"namespace": "<code>", "primary": true}``.
A record schema that marks no identity field gets the fallback fields ``personalEmail.address``
(Email) and ``mobilePhone.number`` (Phone); events use only the fields their schema marks.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import orjson

from collector.control import sqlite
from collector.profile.identities import FALLBACK_FIELDS, IdentityField

log = logging.getLogger(__name__)

Kind = Literal["event", "record", "auto"]
_EVENT_MARKERS = ("experienceevent", "time-series")
_RECORD_MARKERS = ("context/profile", "classes/profile", "behaviors/record")


@dataclass(frozen=True, slots=True)
class DatasetInfo:
    id: str
    schema_id: str
    kind: Kind  # "auto": decided per message (a ``timestamp`` means an event)
    identity_fields: tuple[IdentityField, ...]  # for records (the fallback when none is marked)
    event_fields: tuple[IdentityField, ...]  # for events: only fields the schema marks
    org_id: str = ""  # the dataset's org: lines without an ``orgId`` belong to it


class Catalog:
    def __init__(
        self,
        control_db: Path,
        schemas_dir: Path | None,
        *,
        refresh_seconds: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        data_dir: Path | None = None,
    ) -> None:
        self._control_db = control_db
        self._schemas = _SchemaIndex(schemas_dir, data_dir)
        self._refresh_seconds = refresh_seconds
        self._clock = clock
        self._checked_at = float("-inf")
        self._datasets: dict[str, DatasetInfo] = {}

    def datasets(self) -> dict[str, DatasetInfo]:
        now = self._clock()
        if now - self._checked_at >= self._refresh_seconds:
            self._checked_at = now
            self._datasets = {
                dataset_id: self._datasets.get(dataset_id)
                or self._describe(dataset_id, schema, org)
                for dataset_id, schema, org in _profile_enabled(self._control_db)
            }
        return self._datasets

    def _describe(self, dataset_id: str, schema_id: str, org_id: str) -> DatasetInfo:
        schema = self._schemas.get(schema_id)
        class_id = self._schemas.registry_class(schema_id)
        kind = _kind(schema_id if class_id is None else class_id, schema, self._schemas)
        composed = self._schemas.registry_composed(schema_id) or schema
        fields = tuple(self._schemas.identity_fields(composed)) if composed else ()
        return DatasetInfo(dataset_id, schema_id, kind, fields or FALLBACK_FIELDS, fields, org_id)


def _profile_enabled(control_db: Path) -> list[tuple[str, str, str]]:
    if not control_db.exists():
        return []
    try:
        conn = sqlite.connect_read_only(control_db)
        try:
            rows = conn.execute(
                "SELECT id, schema_id, COALESCE(org_id, '') FROM datasets"
                " WHERE profile_enabled = 1 ORDER BY id"
            ).fetchall()
        finally:
            conn.close()
    except sqlite3.Error as exc:  # not migrated yet, or busy: try again at the next refresh
        log.warning("cannot read profile-enabled datasets from %s: %s", control_db, exc)
        return []
    return [(str(r[0]), str(r[1]), str(r[2])) for r in rows]


def _kind(schema_id: str, schema: Mapping[str, Any] | None, index: _SchemaIndex) -> Kind:
    names = [schema_id]
    if schema is not None:
        cls = schema.get("meta:class")
        names += [str(cls)] if cls else []
        extends = schema.get("meta:extends")
        names += [str(e) for e in extends] if isinstance(extends, list) else []
        cls_doc = index.get(str(cls)) if cls else None
        if cls_doc is not None:
            names += [str(cls_doc.get("meta:sameAs", "")), str(cls_doc.get("meta:altId", ""))]
            cls_extends = cls_doc.get("meta:extends")
            names += [str(e) for e in cls_extends] if isinstance(cls_extends, list) else []
    lowered = " ".join(names).lower()
    if any(m in lowered for m in _EVENT_MARKERS):
        return "event"
    if any(m in lowered for m in _RECORD_MARKERS):
        return "record"
    return "auto"


class _SchemaIndex:
    """Schemas of ``schemas_dir`` by ``$id`` (read once), with identity-field discovery."""

    def __init__(self, schemas_dir: Path | None, data_dir: Path | None = None) -> None:
        self._docs: dict[str, dict[str, Any]] | None = None
        self._dir = schemas_dir
        self._data_dir = data_dir  # its tenant schemas are followed (LiveRegistry)
        self._registry: Any = None
        self._registry_loaded = False

    def _load_registry(self) -> Any:
        """The collector's ``SchemaRegistry`` when it loads; ``None`` means files only."""
        if not self._registry_loaded:
            self._registry_loaded = True
            if self._dir is not None and self._dir.is_dir():
                try:
                    from collector.schemas.live import LiveRegistry
                    from collector.schemas.registry import SchemaRegistry

                    if self._data_dir is not None:
                        self._registry = LiveRegistry(self._dir, self._data_dir)
                    else:
                        self._registry = SchemaRegistry.load(self._dir)
                except Exception as exc:  # the files are still read directly
                    log.warning("schema registry unavailable to the projector: %s", exc)
        return self._registry

    def registry_class(self, schema_id: str) -> str | None:
        registry = self._load_registry()
        if registry is None or not registry.knows(schema_id):
            return None
        found = registry.class_of(schema_id)
        return str(found) if found else None

    def registry_composed(self, schema_id: str) -> dict[str, Any] | None:
        registry = self._load_registry()
        if registry is None or not registry.knows(schema_id):
            return None
        composed = registry.composed(schema_id)
        return composed if isinstance(composed, dict) else None

    def get(self, schema_id: str) -> dict[str, Any] | None:
        if self._docs is None:
            self._docs = _load(self._dir)
        return self._docs.get(schema_id.rstrip("#"))

    def identity_fields(self, schema: Mapping[str, Any]) -> Iterator[IdentityField]:
        seen: set[tuple[str, ...]] = set()
        for field in self._walk(schema, (), set(), 0, schema):
            if field.path not in seen:
                seen.add(field.path)
                yield field

    def _walk(
        self, node: Any, path: tuple[str, ...], refs: set[str], depth: int, root: Mapping[str, Any]
    ) -> Iterator[IdentityField]:
        if not isinstance(node, dict) or depth > 64:
            return
        marker = _marker(node)
        if marker is not None and path:
            yield IdentityField(path, marker[0], marker[1])
        ref = node.get("$ref")
        if isinstance(ref, str):
            base = ref.partition("#")[0]
            key = base or f"{root.get('$id')}{ref}"
            resolved = self._resolve(ref, root) if key not in refs else None
            if resolved is not None:
                target, target_root = resolved
                yield from self._walk(target, path, refs | {key}, depth + 1, target_root)
        for combinator in ("allOf", "anyOf", "oneOf"):
            for part in node.get(combinator) or ():
                yield from self._walk(part, path, refs, depth + 1, root)
        properties = node.get("properties")
        if isinstance(properties, dict):
            for name, child in properties.items():
                yield from self._walk(child, (*path, name), refs, depth + 1, root)

    def _resolve(
        self, ref: str, root: Mapping[str, Any]
    ) -> tuple[Mapping[str, Any], Mapping[str, Any]] | None:
        base, _, pointer = ref.partition("#")
        doc = self.get(base) if base else root
        if doc is None:
            return None
        target: Mapping[str, Any] = doc
        for part in (p for p in pointer.split("/") if p):
            nxt = target.get(part)
            if not isinstance(nxt, dict):
                return None
            target = nxt
        return target, doc


def _marker(node: Mapping[str, Any]) -> tuple[str, bool] | None:
    code = node.get("xdm:identityNamespace")
    if isinstance(code, str) and code.strip():
        return code, node.get("xdm:isPrimary") is True
    meta = node.get("meta:identity")
    if isinstance(meta, dict) and isinstance(meta.get("namespace"), str):
        return str(meta["namespace"]), meta.get("primary") is True
    return None


def _load(schemas_dir: Path | None) -> dict[str, dict[str, Any]]:
    docs: dict[str, dict[str, Any]] = {}
    if schemas_dir is None or not schemas_dir.is_dir():
        return docs
    for path in sorted(schemas_dir.rglob("*.json")):
        try:
            doc = orjson.loads(path.read_bytes())
        except (OSError, orjson.JSONDecodeError):
            continue
        if isinstance(doc, dict) and isinstance(doc.get("$id"), str):
            docs[doc["$id"].rstrip("#")] = doc
    return docs
