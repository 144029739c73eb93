"""A schema registry that follows the tenant schemas other processes write.

    registry = LiveRegistry.open(settings)     # bundled schemas + every org's tenant schemas

Each uvicorn worker, the projector and the CLI load the registry once. When a tenant schema
is created, changed or deleted (``collector.schemas.tenant``), the change stamp
``<data dir>/schemas/.version`` changes; a ``LiveRegistry`` looks at it (one ``stat``) at most
once per ``interval`` seconds on the validation path, and at once when it is asked for a
schema id it does not know (then answers again). When the stamp moved it rereads the tenant
files and compiles only the schemas whose document changed: the bundled schemas and the
unchanged tenant schemas keep their compiled validators. A tenant file that no longer loads
leaves the registry as it was (logged), so a bad edit by hand cannot stop ingestion.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from collector.control.settings import Settings
from collector.schemas.loader import SchemaLoadError, read_schema_files
from collector.schemas.registry import SchemaRegistry, _Entry
from collector.schemas.tenant import TenantSchemas
from collector.schemas.violations import MAX_CAUSES, Violation

log = logging.getLogger(__name__)


class LiveRegistry(SchemaRegistry):
    """The bundled schemas of ``schemas_dir`` and the tenant schemas under ``data_dir``."""

    def __init__(
        self,
        schemas_dir: Path,
        data_dir: Path,
        *,
        interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.tenants = TenantSchemas(data_dir)
        self._bundled = read_schema_files(schemas_dir)
        self._interval = interval
        self._clock = clock
        self._lock = threading.Lock()
        self._stamp = self.tenants.stamp()
        self.reloads = 0
        super().__init__([*self._bundled, *self.tenants.files()])
        self._next_check = clock() + interval

    @classmethod
    def open(cls, settings: Settings) -> LiveRegistry:
        return cls(settings.schemas_dir, settings.data_dir)

    def refresh(self) -> bool:
        """Reload the tenant schemas if the stamp moved; ``True`` when something was reloaded."""
        with self._lock:
            self._next_check = self._clock() + self._interval
            stamp = self.tenants.stamp()
            if stamp == self._stamp:
                return False
            try:
                files = [*self._bundled, *self.tenants.files()]
                self._install(files, reuse=self._entries)
            except SchemaLoadError as exc:
                log.error("tenant schemas not reloaded: %s", exc)
                return False
            self._stamp = stamp
            self.reloads += 1
            return True

    def owner_dir(self, schema_id: str) -> Path | None:
        """The tenant directory of a tenant schema (``None`` for a bundled or unknown one)."""
        if not self.knows(schema_id):
            return None
        path = self.path(schema_id)
        return path.parent if self.tenants.is_tenant(path) else None

    def visible_to(self, org_id: str, schema_id: str) -> bool:
        """Whether the org may see the schema: a bundled one, or one of its tenant schemas."""
        owner = self.owner_dir(schema_id)
        return owner is None or owner == self.tenants.org_dir(org_id)

    def knows(self, schema_id: str) -> bool:
        if super().knows(schema_id):
            return True
        return self.refresh() and super().knows(schema_id)

    def validate(
        self,
        schema_id: str,
        entity: Any,
        limit: int = MAX_CAUSES,
        *,
        extra: Sequence[Violation] = (),
    ) -> list[dict[str, Any]]:
        if self._clock() >= self._next_check:
            self.refresh()
        entry = self._entries.get(schema_id)
        if entry is not None and not extra and entry.is_valid(entity):
            return []  # the common case without the base method's call
        return super().validate(schema_id, entity, limit, extra=extra)

    def _entry(self, schema_id: str) -> _Entry:
        if not super().knows(schema_id):
            self.refresh()
        return super()._entry(schema_id)
