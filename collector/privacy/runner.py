"""Carrying out privacy jobs, inside the projector process (the single writer of the store).

The projector's loop calls ``JobRunner.tick`` between batches; at most every ``every``
seconds it works on each ``processing`` job:

1. the profile store (once): ``collector.profile.erasure.erase`` removes the graph of the
   identity in the job's org and writes its identities to the HMAC ledger. The graph's values
   are kept in the job row while it runs (the lake pass needs them);
2. the lake, from ``settle_seconds`` after the job was created (a message received before the
   job may still be on its way to the lake until then): ``lakescrub.scrub`` rewrites every
   segment that holds the person's lines and deletes their torn tails. Segments a writer still
   holds or the projector has not read yet are left for a later tick (the writers are asked to
   rotate); rewritten segments get their new size as the projector's checkpoint;
3. completion: the job forgets the identity, the WAL is checkpointed and truncated, and the
   completion is written to the audit log (``control.db``).

A job that raises is retried at the next tick; after ``max_attempts`` it ends in ``error``.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from collector.control import audit
from collector.control import sqlite as control_sqlite
from collector.control.settings import Settings
from collector.lake import rotation
from collector.privacy import jobs, lakescrub
from collector.profile import erasure
from collector.profile.ledger import secret

if TYPE_CHECKING:
    from collector.profile.projector import Projector

log = logging.getLogger(__name__)

ACTOR = "system:privacy-jobs"


class JobRunner:
    def __init__(
        self,
        projector: Projector,
        settings: Settings,
        *,
        every: float = 1.0,
        settle_seconds: float | None = None,
        max_attempts: int = 20,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.projector = projector
        self.settings = settings
        self.every = every
        self.settle_ms = int(
            1000 * (settings.request_timeout_seconds if settle_seconds is None else settle_seconds)
        )
        self.max_attempts = max_attempts
        self._clock = clock
        self._monotonic = monotonic
        self._last = float("-inf")
        self._key: bytes | None = None

    def tick(self) -> int:
        """Work on pending jobs if ``every`` seconds passed; return how many completed."""
        now = self._monotonic()
        if now - self._last < self.every:
            return 0
        self._last = now
        return self.run_pending()

    def run_pending(self) -> int:
        done = 0
        conn = self.projector.conn
        finished: list[tuple[jobs.Job, dict[str, Any]]] = []
        for job in jobs.processing(conn):
            try:
                result = self._work(job)
            except sqlite3.OperationalError:
                raise
            except Exception as exc:
                log.exception("privacy job %s failed", job.job_id)
                self._failed(job, exc)
                continue
            if result is not None:
                finished.append((job, result))
        if finished:
            self._complete(finished)
            done = len(finished)
        return done

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)

    def _work(self, job: jobs.Job) -> dict[str, Any] | None:
        """Advance one job; its result once nothing of the person is left but the store's
        free space and WAL (``_complete`` wipes those, once for every job of the tick)."""
        conn = self.projector.conn
        result = dict(job.result)
        if job.identity is None:
            raise RuntimeError("a processing job without an identity")
        if "identities" not in result:
            if self._key is None:
                self._key = secret(self.settings.data_dir)

            def record(erased: erasure.Erased) -> None:  # in the erasure's transaction
                result.update(
                    identities=[list(i) for i in erased.identities],
                    profiles=0 if erased.profile_id is None else 1,
                    identitiesErased=len(erased.identities),
                    events=erased.events,
                    lakeLines=0,
                    segments=0,
                    tornTails=0,
                )
                jobs.save_progress(conn, job.job_id, result, self._now_ms())

            erasure.erase(
                conn,
                self._key,
                job.org_id,
                job.namespace,
                job.identity,
                job.created_ms,
                job.job_id,
                before_commit=record,
            )
            self.projector.cache.clear()  # its own writes do not change data_version
        if self._now_ms() < job.created_ms + self.settle_ms:
            return None
        values = lakescrub.needles([str(i[1]) for i in result["identities"]])
        datasets = self.projector.catalog.datasets()
        tail = self.projector.tail
        progress = lakescrub.scrub(
            self.settings.lake_dir,
            job.org_id,
            values,
            job.created_ms,
            read_offsets=tail.offsets,
            tailed=lambda segment: segment.split("/", 1)[0] in datasets,
        )
        self._moved_checkpoints(progress.rewritten)
        result["lakeLines"] = int(result.get("lakeLines", 0)) + progress.lines
        result["segments"] = int(result.get("segments", 0)) + progress.segments
        result["tornTails"] = int(result.get("tornTails", 0)) + progress.torn
        if progress.held or progress.unread:
            if progress.held:
                rotation.request(self.settings.data_dir)
            result["waiting"] = (
                f"{len(progress.held)} segment(s) still open for writing,"
                f" {len(progress.unread)} not yet read by the projector"
            )
            jobs.save_progress(conn, job.job_id, result, self._now_ms())
            return None
        return result

    def _moved_checkpoints(self, rewritten: dict[str, int]) -> None:
        """A rewritten segment the projector had read to its end: it has read the new one."""
        if not rewritten:
            return
        conn, offsets = self.projector.conn, self.projector.tail.offsets
        moved = [(size, segment) for segment, size in rewritten.items() if segment in offsets]
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.executemany("UPDATE checkpoints SET offset = ? WHERE segment = ?", moved)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        for size, segment in moved:
            offsets[segment] = size

    def _complete(self, finished: list[tuple[jobs.Job, dict[str, Any]]]) -> None:
        conn = self.projector.conn
        conn.execute("PRAGMA secure_delete=ON")  # the identity of each row is zeroed
        try:
            conn.execute("BEGIN IMMEDIATE")
            for job, result in finished:
                result.pop("identities", None)
                result.pop("waiting", None)
                jobs.finish(conn, job.job_id, "complete", result, self._now_ms())
            conn.execute("COMMIT")
        finally:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            conn.execute("PRAGMA secure_delete=FAST")
        erasure.wipe(conn)
        self.projector.erased.reload(conn)  # VACUUM may renumber the ledger's rowids
        for job, result in finished:
            self._audit(job, "privacy.erase.complete", result)
            log.info("privacy job %s complete", job.job_id)

    def _failed(self, job: jobs.Job, exc: Exception) -> None:
        conn = self.projector.conn
        result = dict(job.result)
        result["attempts"] = int(result.get("attempts", 0)) + 1
        if result["attempts"] < self.max_attempts:
            jobs.save_progress(conn, job.job_id, result, self._now_ms())
            return
        result.pop("identities", None)
        result["error"] = f"{type(exc).__name__}: {exc}"
        conn.execute("PRAGMA secure_delete=ON")
        try:
            jobs.finish(conn, job.job_id, "error", result, self._now_ms())
        finally:
            conn.execute("PRAGMA secure_delete=FAST")
        self._audit(job, "privacy.erase.error", result)

    def _audit(self, job: jobs.Job, action: str, result: dict[str, Any]) -> None:
        conn = control_sqlite.connect(self.settings.control_db_path)
        try:
            audit.record(
                conn,
                actor=ACTOR,
                action=action,
                object_type="privacy_job",
                object_id=job.job_id,
                org_id=job.org_id,
                detail={"namespace": job.namespace, **result},
            )
        finally:
            conn.close()
