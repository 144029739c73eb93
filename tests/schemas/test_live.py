"""LiveRegistry: the change stamp is looked at once per interval on the validation path and
at once for an unknown schema id; only changed tenant schemas are compiled again; a tenant
file that stops loading leaves the registry as it was."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from collector.control.settings import Settings
from collector.schemas.compose import compose_schema
from collector.schemas.live import LiveRegistry
from collector.schemas.loader import SchemaLoadError
from collector.schemas.tenant import TenantSchemas

ORG = "DEMO@AdobeOrg"
EVENT = "https://ns.xdm-collector.dev/classes/experienceevent"
GROUPS = "https://ns.xdm-collector.dev/fieldgroups/"
SCHEMA = "https://ns.xdm-collector.dev/demo/schemas/" + "a" * 32
ENTITY = {"_id": "e1", "timestamp": "2026-11-22T10:00:00Z", "web": {"webPageDetails": {}}}


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _document(registry: LiveRegistry, *groups: str) -> dict[str, Any]:
    return compose_schema(
        registry,
        EVENT,
        [GROUPS + g for g in groups],
        schema_id=SCHEMA,
        title="t",
        replace=registry.knows(SCHEMA),
    )


def _counting(registry: LiveRegistry, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    stats: list[int] = []
    real = registry.tenants.stamp

    def stamp() -> Any:
        stats.append(1)
        return real()

    monkeypatch.setattr(registry.tenants, "stamp", stamp)
    return stats


def test_refresh_is_bounded_and_incremental(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(data_dir=tmp_path)
    clock = Clock()
    worker = LiveRegistry(settings.schemas_dir, tmp_path, clock=clock)
    other = LiveRegistry(settings.schemas_dir, tmp_path, clock=clock)  # another process
    stats = _counting(other, monkeypatch)
    bundled = {f.id: other._entries[f.id].validator for f in other.files()}

    TenantSchemas(tmp_path).write(ORG, _document(worker, "web-details"))
    # an unknown id: the stamp at once, then the answer
    assert other.validate(SCHEMA, ENTITY) == [] and len(stats) == 1
    assert other.reloads == 1
    assert all(
        other._entries[i].validator is v for i, v in bundled.items()
    )  # nothing else recompiled
    first = other._entries[SCHEMA].validator

    # known schemas: no stat for a thousand messages within the interval
    for _ in range(1000):
        other.validate(SCHEMA, ENTITY)
    assert len(stats) == 1

    TenantSchemas(tmp_path).write(ORG, _document(worker, "web-details", "channel"))
    channel = {**ENTITY, "channel": {"_id": "web", "mode": "push"}}
    assert other.validate(SCHEMA, channel) != []  # not seen before the interval passed
    clock.now += 1.0
    assert other.validate(SCHEMA, channel) == [] and len(stats) == 2
    assert other._entries[SCHEMA].validator is not first
    assert all(other._entries[i].validator is v for i, v in bundled.items())

    # a hand-broken file: the registry keeps what it had, and says so in the log
    path = other.path(SCHEMA)
    path.write_text("{", encoding="utf-8")
    TenantSchemas(tmp_path).remove(ORG, "https://ns.xdm-collector.dev/demo/schemas/none")
    clock.now += 1.0
    assert other.validate(SCHEMA, channel) == []
    with pytest.raises(SchemaLoadError):  # a new process refuses to start on it
        LiveRegistry(settings.schemas_dir, tmp_path)

    # deleting: gone at the next look
    path.unlink()
    TenantSchemas(tmp_path).remove(ORG, SCHEMA)
    clock.now += 1.0
    other.validate("https://ns.xdm-collector.dev/schemas/web-events", ENTITY)
    assert not other.knows(SCHEMA)
