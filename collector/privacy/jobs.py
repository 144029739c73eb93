"""Privacy jobs: a person's erasure, asked for now and carried out in the background.

A job is a row of ``privacy_jobs`` in ``profile.db``. ``create`` writes it with status
``processing``; the job runner (``runner.py``, inside the projector process) erases the person
from the profile store, the lake, failed records and torn tails, then marks it ``complete``.
The identity asked for is kept only while the job runs: at completion it is cleared (and the
row's old content zeroed, ``secure_delete``), so a finished job names its namespace, never the
person. ``document`` renders a job in the shape of AEP's Privacy Service job objects.
"""

from __future__ import annotations

import secrets
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from collector.profile.identities import SANDBOX, normalise_namespace

PRODUCT = "ProfileService"


@dataclass(frozen=True, slots=True)
class Job:
    job_id: str
    org_id: str
    sandbox: str
    action: str
    namespace: str
    identity: str | None  # None once the job is complete
    status: str
    created_ms: int
    modified_ms: int
    completed_ms: int | None
    submitted_by: str
    result: dict[str, Any]


_COLUMNS = (
    "job_id, org_id, sandbox, action, namespace, identity, status, created_ms, modified_ms,"
    " completed_ms, submitted_by, result"
)


def new_job_id() -> str:
    return secrets.token_hex(16)


def create(
    conn: sqlite3.Connection,
    *,
    org: str,
    namespace: str,
    identity: str,
    now_ms: int,
    submitted_by: str,
) -> Job:
    """A new deletion job for one identity of ``org`` (``conn``: a profile-store writer)."""
    job = Job(
        new_job_id(),
        org,
        SANDBOX,
        "delete",
        normalise_namespace(namespace),
        identity,
        "processing",
        now_ms,
        now_ms,
        None,
        submitted_by,
        {},
    )
    conn.execute(
        f"INSERT INTO privacy_jobs ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            job.job_id,
            job.org_id,
            job.sandbox,
            job.action,
            job.namespace,
            job.identity,
            job.status,
            job.created_ms,
            job.modified_ms,
            job.completed_ms,
            job.submitted_by,
            "{}",
        ),
    )
    return job


def get(conn: sqlite3.Connection, job_id: str, org: str | None = None) -> Job | None:
    """One job; with ``org``, only that org's (a job of another org is not found)."""
    sql = f"SELECT {_COLUMNS} FROM privacy_jobs WHERE job_id = ?"
    params: list[str] = [job_id]
    if org is not None:
        sql += " AND org_id = ? AND sandbox = ?"
        params += [org, SANDBOX]
    row = conn.execute(sql, params).fetchone()
    return _job(row) if row else None


def listing(conn: sqlite3.Connection, org: str | None = None, limit: int = 1000) -> list[Job]:
    """Jobs, newest first; with ``org``, only that org's."""
    where = " WHERE org_id = ?" if org is not None else ""
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM privacy_jobs{where} ORDER BY created_ms DESC, job_id LIMIT ?",
        [*([org] if org is not None else []), limit],
    ).fetchall()
    return [_job(r) for r in rows]


def processing(conn: sqlite3.Connection) -> list[Job]:
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM privacy_jobs WHERE status = 'processing' ORDER BY created_ms"
    ).fetchall()
    return [_job(r) for r in rows]


def save_progress(conn: sqlite3.Connection, job_id: str, result: dict[str, Any], now: int) -> None:
    conn.execute(
        "UPDATE privacy_jobs SET result = ?, modified_ms = ? WHERE job_id = ?",
        (orjson.dumps(result).decode(), now, job_id),
    )


def forget(conn: sqlite3.Connection, job_id: str, result: dict[str, Any], now: int) -> None:
    """The person is gone from the store and the lake: the job stops naming them."""
    conn.execute(
        "UPDATE privacy_jobs SET identity = NULL, result = ?, modified_ms = ? WHERE job_id = ?",
        (orjson.dumps(result).decode(), now, job_id),
    )


def finish(
    conn: sqlite3.Connection, job_id: str, status: str, result: dict[str, Any], now: int
) -> None:
    """Mark a job complete (or error) and forget the identity it named."""
    conn.execute(
        "UPDATE privacy_jobs SET status = ?, identity = NULL, result = ?, modified_ms = ?,"
        " completed_ms = ? WHERE job_id = ?",
        (status, orjson.dumps(result).decode(), now, now, job_id),
    )


def document(job: Job) -> dict[str, Any]:
    """The job as AEP's Privacy Service shows one (``GET /data/core/privacy/jobs/{jobId}``)."""
    result = job.result
    summary = {k: v for k, v in result.items() if k != "identities"}
    if job.status == "complete":
        message, code = "Success", "PRVCY-6000-200"
        detail = (
            f"Erased {summary.get('profiles', 0)} profile(s), {summary.get('events', 0)}"
            f" event(s), {summary.get('lakeLines', 0)} lake line(s) in"
            f" {summary.get('segments', 0)} segment(s), {summary.get('tornTails', 0)} torn tail(s)"
        )
    elif job.status == "error":
        message, code = "Failed", "PRVCY-6000-500"
        detail = str(result.get("error", "the job failed"))
    else:
        message, code = "Processing", "PRVCY-6000-202"
        detail = str(result.get("waiting", "the job is being processed"))
    user_id: dict[str, Any] = {"namespace": job.namespace, "type": "standard"}
    if job.identity is not None:
        user_id["value"] = job.identity
    else:
        user_id["isDeletedClientSide"] = False
        user_id["value"] = None  # the identity is not kept once the person is erased
    return {
        "jobId": job.job_id,
        "requestId": job.job_id,
        "action": job.action,
        "status": job.status,
        "submittedBy": job.submitted_by,
        "createdDate": iso(job.created_ms),
        "lastModifiedDate": iso(job.modified_ms),
        "userIds": [user_id],
        "productResponses": [
            {
                "product": PRODUCT,
                "retryCount": int(result.get("attempts", 0)),
                "processedDate": iso(job.completed_ms) if job.completed_ms else None,
                "productStatusResponse": {
                    "status": job.status,
                    "message": message,
                    "responseMsgCode": code,
                    "responseMsgDetail": detail,
                    "results": summary,
                },
            }
        ],
        "imsOrgId": job.org_id,
        "sandboxName": job.sandbox,
    }


def iso(ms: int) -> str:
    return (
        datetime.fromtimestamp(ms / 1000, UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


def _job(row: tuple[Any, ...]) -> Job:
    (
        job_id,
        org,
        sandbox,
        action,
        namespace,
        identity,
        status,
        created,
        modified,
        completed,
        by,
        result,
    ) = row
    return Job(
        str(job_id),
        str(org),
        str(sandbox),
        str(action),
        str(namespace),
        None if identity is None else str(identity),
        str(status),
        int(created),
        int(modified),
        None if completed is None else int(completed),
        str(by),
        orjson.loads(result),
    )
