"""Tenant schemas: each org's dataset schemas, stored under the data directory.

    store = TenantSchemas(settings.data_dir)
    store.write(org_id, document)          # <data dir>/schemas/<org>/<name>.schema.json
    store.remove(org_id, schema_id)
    store.stamp()                          # changes whenever a tenant schema changes

Files are written atomically (a temporary file renamed over the old one). Every change bumps
the change stamp ``<data dir>/schemas/.version`` (a counter, replaced by a rename), under a
lock file so that changes from several processes are serialized. Registries
(``collector.schemas.live.LiveRegistry``) compare the stamp's inode, size and modification
time with the ones they loaded to know when to reload.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from collector.schemas.loader import SCHEMA_SUFFIX, SchemaFile, read_schema_files

ID_BASE = "https://ns.xdm-collector.dev"
Stamp = tuple[int, int, int]
_SAFE_ORG = re.compile(r"[A-Za-z0-9][A-Za-z0-9@._-]{0,127}")


class TenantSchemas:
    """The tenant schema files of every org, under ``<data dir>/schemas``."""

    def __init__(self, data_dir: Path) -> None:
        self.root = data_dir / "schemas"
        self.stamp_path = self.root / ".version"

    def org_dir(self, org_id: str) -> Path:
        """The org's directory: the org id itself when it is a safe file name."""
        if _SAFE_ORG.fullmatch(org_id) and not org_id.endswith("."):
            return self.root / org_id
        return self.root / ("org-" + hashlib.sha256(org_id.encode()).hexdigest()[:32])

    def owns(self, org_id: str, path: Path) -> bool:
        """Whether the schema file ``path`` is one of the org's tenant schemas."""
        return path.parent == self.org_dir(org_id)

    def is_tenant(self, path: Path) -> bool:
        return path.parent.parent == self.root

    def files(self) -> list[SchemaFile]:
        """Every org's tenant schema files, checked (``SchemaLoadError`` on a bad one)."""
        if not self.root.is_dir():
            return []
        return read_schema_files(self.root)

    def write(self, org_id: str, document: dict[str, Any]) -> Path:
        """Write (or replace) one of the org's schemas and bump the stamp."""
        path = self.org_dir(org_id) / file_name(str(document["$id"]))
        data = (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode()
        with self._locked():
            path.parent.mkdir(parents=True, exist_ok=True)
            _replace(path, data)
            self._bump()
        return path

    def remove(self, org_id: str, schema_id: str) -> None:
        """Delete one of the org's schemas and bump the stamp."""
        with self._locked():
            (self.org_dir(org_id) / file_name(schema_id)).unlink(missing_ok=True)
            self._bump()

    def stamp(self) -> Stamp | None:
        """The change stamp's identity (one ``stat``); ``None`` before the first change."""
        try:
            st = os.stat(self.stamp_path)
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_size, st.st_mtime_ns)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "a+b") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _bump(self) -> None:
        try:
            current = int(self.stamp_path.read_text(encoding="ascii").strip() or "0")
        except (FileNotFoundError, ValueError):
            current = 0
        _replace(self.stamp_path, f"{current + 1}\n".encode())


def new_schema_id(org_id: str) -> str:
    """A fresh ``$id`` for one of the org's schemas: ``<base>/<tenant>/schemas/<32 hex>``."""
    return f"{ID_BASE}/{tenant_id(org_id)}/schemas/{uuid.uuid4().hex}"


def tenant_id(org_id: str) -> str:
    """The org's tenant name, as AEP's ``_<tenant>`` namespace: letters and digits of the
    org id (before ``@``), lower case."""
    name = re.sub(r"[^a-z0-9]", "", org_id.split("@", 1)[0].lower())[:40]
    return name or "tenant"


def file_name(schema_id: str) -> str:
    segment = urlsplit(schema_id).path.rstrip("/").rsplit("/", 1)[-1]
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in segment)[:96]
    digest = hashlib.sha256(schema_id.encode()).hexdigest()[:8]
    return f"{safe or 'schema'}-{digest}{SCHEMA_SUFFIX}"


def _replace(path: Path, data: bytes) -> None:
    """Write ``path`` atomically: a temporary file in the same directory, synced, renamed."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
