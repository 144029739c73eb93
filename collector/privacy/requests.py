"""Asking for an erasure: the one entry point of the API and the CLI.

``erase`` validates the identity, writes a ``processing`` job to the profile store and an
audit entry (``privacy.erase.request``) to the control plane, and returns the job's document.
The person is erased in the background (``runner.py``); the answer does not wait for it.
"""

from __future__ import annotations

from typing import Any

from collector.control import audit
from collector.control import sqlite as control_sqlite
from collector.control.settings import Settings
from collector.errors import InvalidMessageFormat
from collector.privacy import jobs
from collector.profile.identities import MAX_CODE_LENGTH, MAX_ID_LENGTH
from collector.profile.store import ProfileStore


class BadErasure(InvalidMessageFormat):
    title = "Bad Request"
    type = "http://ns.adobe.com/aep/errors/privacy/bad-request"

    @property
    def message(self) -> str:
        return self.detail


def erase(
    store: ProfileStore,
    settings: Settings,
    *,
    org: str,
    namespace: str,
    identity: str,
    actor: str,
    ip: str | None = None,
) -> dict[str, Any]:
    if not namespace.strip() or len(namespace.strip()) > MAX_CODE_LENGTH:
        raise BadErasure(f"the namespace must be 1 to {MAX_CODE_LENGTH} characters")
    if not identity or identity.isspace() or len(identity) > MAX_ID_LENGTH:
        raise BadErasure(f"the identity must be 1 to {MAX_ID_LENGTH} characters")
    with store.writer() as conn:
        job = jobs.create(
            conn,
            org=org,
            namespace=namespace,
            identity=identity,
            now_ms=store.now_ms(),
            submitted_by=actor,
        )
    control = control_sqlite.connect(settings.control_db_path)
    try:
        audit.record(
            control,
            actor=actor,
            action="privacy.erase.request",
            object_type="privacy_job",
            object_id=job.job_id,
            org_id=org,
            ip=ip,
            detail={"namespace": job.namespace},
        )
    finally:
        control.close()
    return jobs.document(job)
