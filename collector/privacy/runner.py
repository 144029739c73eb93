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
3. the job forgets the identity (phase ``wipe``), the store is rewritten (VACUUM) and its WAL
   truncated, once for every job that got there in the same tick; only then is the job
   ``complete`` (a reader that keeps the WAL from being truncated delays it to a later tick),
   and the completion is written to the audit log (``control.db``).

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
WIPE = "wipe"  # the person is gone from the store's rows and the lake; the files are next


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
        self._clean: dict[str, set[str]] = {}  # job id -> segments found without the person

    def tick(self) -> int:
        """Work on pending jobs if ``every`` seconds passed; return how many completed."""
        now = self._monotonic()
        if now - self._last < self.every:
            return 0
        self._last = now
        return self.run_pending()

    def run_pending(self) -> int:
        conn = self.projector.conn
        lake_done: list[tuple[jobs.Job, dict[str, Any]]] = []
        wiping: list[tuple[jobs.Job, dict[str, Any]]] = []
        for job in jobs.processing(conn):
            if job.result.get("phase") == WIPE:
                wiping.append((job, dict(job.result)))
                continue
            try:
                result = self._work(job)
            except sqlite3.OperationalError:
                raise
            except Exception as exc:
                log.exception("privacy job %s failed", job.job_id)
                self._failed(job, exc)
                continue
            if result is not None:
                lake_done.append((job, result))
        if lake_done:
            self._forget(lake_done)
            wiping += lake_done
        if not wiping:
            return 0
        # The store still holds earlier copies of the rows (free pages, the WAL): a job is
        # complete only once they are gone too.
        wiped = erasure.wipe(conn)
        self.projector.erased.reload(conn)  # VACUUM may renumber the ledger's rowids
        if not wiped:
            log.warning("privacy jobs: a reader kept the WAL from being truncated; will retry")
            return 0
        self._complete(wiping)
        return len(wiping)

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)

    def _work(self, job: jobs.Job) -> dict[str, Any] | None:
        """Advance one job; its result once the person is gone from the store's rows and
        from the lake (``run_pending`` then wipes the store's files, for every such job)."""
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
            clean=self._clean.setdefault(job.job_id, set()),
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
        self._clean.pop(job.job_id, None)
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

    def _forget(self, finished: list[tuple[jobs.Job, dict[str, Any]]]) -> None:
        conn = self.projector.conn
        conn.execute("PRAGMA secure_delete=ON")  # the identity of each row is zeroed
        try:
            conn.execute("BEGIN IMMEDIATE")
            for job, result in finished:
                result.pop("identities", None)
                result.pop("waiting", None)
                result["phase"] = WIPE
                jobs.forget(conn, job.job_id, result, self._now_ms())
            conn.execute("COMMIT")
        finally:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            conn.execute("PRAGMA secure_delete=FAST")

    def _complete(self, finished: list[tuple[jobs.Job, dict[str, Any]]]) -> None:
        conn = self.projector.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            for job, result in finished:
                result.pop("phase", None)
                jobs.finish(conn, job.job_id, "complete", result, self._now_ms())
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
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
