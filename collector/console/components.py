"""What the data element and rule pages share: the manifest's types of one kind, a type's
settings schema, and saving a changed configuration (checked whole, stored, audited)."""

from __future__ import annotations

from typing import Any

from collector.console.page import actor
from collector.control import audit
from collector.guard.sessions import SignedIn
from collector.tags.manifest import Manifest
from collector.tags.properties import Properties
from collector.tags.property import Property, PropertyError


def type_options(manifest: Manifest, kind: str) -> list[tuple[str, str]]:
    """(key, display name) of every type of ``kind``, in the manifest's order."""
    return [(t.key, t.display_name) for t in manifest.types.values() if t.kind == kind]


def settings_schema(manifest: Manifest, key: str, kind: str) -> dict[str, Any] | None:
    found = manifest.types.get(key)
    if found is None or found.kind != kind:
        return None
    schema: dict[str, Any] = found.validator.schema  # type: ignore[assignment]
    return schema


def display_name(manifest: Manifest, key: str) -> str:
    found = manifest.types.get(key)
    return found.display_name if found is not None else key


def save(
    flow: Properties,
    who: SignedIn,
    prop: Property,
    config: dict[str, Any],
    action: str,
    **detail: Any,
) -> list[str]:
    """Store ``config`` as the property's draft; the checker's problems when it cannot be."""
    try:
        checked = flow.checker.check(prop.org_id, config)
        flow.store.update(prop.id, prop.name, checked)
    except PropertyError as exc:
        return exc.problems
    audit.record(
        flow.store.db.conn,
        actor=actor(who),
        action=f"property.{action}",
        object_type="property",
        object_id=prop.id,
        org_id=prop.org_id,
        detail=detail,
    )
    return []
