"""The projector: tails the lake of profile-enabled datasets into the profile store.

Each step reads up to ``projector_batch_size`` whole lines (or whatever is available), applies
them in one transaction, and stores the new offset of every segment it read (``checkpoints``)
in that same transaction: after a crash the store holds exactly the messages before the
checkpoint, so nothing is applied twice or skipped. When nothing is pending it sleeps
``projector_poll_ms``; when lines keep coming it loops without sleeping, so small batches go
through as soon as they are acknowledged.

Only one projector writes a store: ``run_projector`` holds an exclusive lock on
``profile.db.projector.lock`` (``collector replay`` takes the same lock). Between batches the
loop also runs the privacy jobs (``collector/privacy/runner.py``): they rewrite lake segments
whose checkpoints only this process may move.
"""

from __future__ import annotations

import fcntl
import gc
import logging
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol, cast

from collector.control.settings import Settings
from collector.profile import store
from collector.profile.allowlist import InletAllowlist
from collector.profile.apply import Limits, apply_batch, save_counters
from collector.profile.catalog import Catalog, DatasetInfo
from collector.profile.checkpointer import Checkpointer
from collector.profile.graphstate import GraphCache
from collector.profile.ledger import Ledger
from collector.profile.messages import CorruptLine, Message, Parser
from collector.profile.store import connect_writer
from collector.profile.tail import Chunk, LakeTail

log = logging.getLogger(__name__)

_WAL_KEEP_BYTES = 128 << 20  # the WAL file is cut back to this after a checkpoint caught up
CATCH_UP_CACHE_MB = 256  # SQLite page cache while catching up (see ``_cache_for``)


class StopEvent(Protocol):
    def is_set(self) -> bool: ...

    def wait(self, timeout: float | None = None) -> bool: ...


class ProjectorLocked(RuntimeError):
    """Another projector (or a replay) holds the store."""


class Projector:
    def __init__(
        self,
        settings: Settings,
        *,
        db_path: Path | None = None,
        only_datasets: Iterable[str] | None = None,
        limits: Limits | None = None,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        on_applied: Callable[[list[tuple[str, str, int]]], None] | None = None,
    ) -> None:
        """``on_applied`` is told (org, dataset, received ms) of each batch's messages once
        they are committed (monitoring's time to profile; None for replays and tests)."""
        self.settings = settings
        self._on_applied = on_applied
        self.limits = limits or Limits()
        self._clock = clock
        self._only = frozenset(only_datasets) if only_datasets is not None else None
        path = db_path or settings.profile_db_path
        self.conn = connect_writer(path)
        self.conn.execute("PRAGMA wal_autocheckpoint=0")  # see checkpointer.py
        self.conn.execute(f"PRAGMA journal_size_limit={_WAL_KEEP_BYTES}")
        self._checkpointer = Checkpointer(path)
        self.catalog = Catalog(
            settings.control_db_path,
            settings.schemas_dir,
            clock=monotonic,
            data_dir=settings.data_dir,
        )
        self.allowlist = InletAllowlist(settings.control_db_path, clock=monotonic)
        offsets = dict(self.conn.execute("SELECT segment, offset FROM checkpoints").fetchall())
        self.tail = LakeTail(settings.lake_dir, offsets, clock=monotonic)
        self.erased = Ledger(settings.data_dir)
        self._parser = Parser()
        self.cache = GraphCache(settings.projector_cache_identities)
        self._data_version = -1
        self._behind = False

    def close(self) -> None:
        self._checkpointer.close()
        self.conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        self.conn.close()

    def step(self) -> int:
        """Apply one batch; return the number of lines consumed (0: nothing pending)."""
        datasets = self.catalog.datasets()
        if self._only is not None:
            datasets = {k: v for k, v in datasets.items() if k in self._only}
        # A batch makes no reference cycles, and collecting its 100k+ fresh objects (with the
        # graph cache behind them) while it is built would cost more than building it.
        with _no_gc():
            chunks = self.tail.read(datasets, self.settings.projector_batch_size)
            if not chunks:
                self._cache_for(behind=False)
                self._checkpointer.idle()
                return 0
            lines = sum(len(c.lines) for c in chunks)
            self._cache_for(behind=lines >= self.settings.projector_batch_size)
            counters: Counter[str] = Counter()
            self._step(chunks, datasets, counters)
            self.tail.advance(chunks)
            del chunks
        behind = lines >= self.settings.projector_batch_size
        self._checkpointer.committed(self.conn, behind=behind)
        return max(1, lines)

    def _cache_for(self, *, behind: bool) -> None:
        """A larger page cache while catching up (full batches), the usual one otherwise.

        A full batch dirties more pages than the usual cache holds (its rows, every leaf of
        the profile index it lands on, the rows of relabelled profiles): past it SQLite writes
        pages to the WAL in mid-transaction and reads them back. Measured on 10k profiles,
        256 MB cut the page writes by 12% and the page reads by 44%. The cache only holds
        copies of pages: its size changes nothing of what is written or when it is durable,
        and back at the usual size SQLite frees the pages above it."""
        if behind != self._behind:
            self._behind = behind
            size = CATCH_UP_CACHE_MB if behind else store.CACHE_MB
            self.conn.execute(f"PRAGMA cache_size=-{size * 1024}")

    def _step(
        self, chunks: list[Chunk], datasets: dict[str, DatasetInfo], counters: Counter[str]
    ) -> None:
        messages = self._parse(chunks, datasets, counters)
        with self._transaction():
            self._check_data_version()
            self._refresh_erasures()
            try:
                with self._savepoint():
                    self._apply(messages, counters)
            except sqlite3.OperationalError:
                raise
            except Exception:  # a message the code cannot handle: apply one by one
                log.exception("batch failed, applying its %d messages one by one", len(messages))
                self.cache.clear()
                counters = Counter({"corrupt_lines": counters["corrupt_lines"]})
                for message in messages:
                    try:
                        with self._savepoint():
                            self._apply([message], counters)
                    except sqlite3.OperationalError:
                        raise
                    except Exception:
                        log.exception("skipping message %s", message.xaction_id)
                        self.cache.clear()
                        counters["failed_messages"] += 1
            save_counters(self.conn, counters)
            self._checkpoint(chunks)
        self.cache.trim()
        if self._on_applied is not None and messages:
            self._on_applied([(m.org_id, m.dataset_id, m.received_ms) for m in messages])

    def catch_up(self) -> int:
        """Apply batches until nothing is pending; return the number of lines consumed."""
        total = 0
        while n := self.step():
            total += n
        return total

    def _parse(
        self, chunks: list[Chunk], datasets: dict[str, DatasetInfo], counters: Counter[str]
    ) -> list[Message]:
        parser = self._parser
        lists = self.allowlist.lists()
        messages: list[Message] = []
        for chunk in chunks:
            info = datasets.get(chunk.dataset_id)
            if info is None:
                continue
            corrupt = parser.corrupt
            parsed = parser.parse_many(chunk.lines, info)
            if parser.corrupt == corrupt and not lists:  # the usual chunk: nothing to look at
                messages.extend(cast("list[Message]", parsed))
                continue
            for index, message in enumerate(parsed):
                if isinstance(message, CorruptLine):
                    counters["corrupt_lines"] += 1
                    log.warning(
                        "skipping corrupt lake line %s ending at byte %d: %s",
                        chunk.segment,
                        chunk.offset_after(index),
                        message,
                    )
                    continue
                allowed = lists.get(message.inlet_id) if message.inlet_id and lists else None
                if allowed is not None:
                    _drop_identities(message, allowed, counters)
                messages.append(message)
        return messages

    def _apply(self, messages: list[Message], counters: Counter[str]) -> None:
        apply_batch(
            self.conn,
            messages,
            limits=self.limits,
            erased=self.erased,
            counters=counters,
            applied_at=self._now_iso(),
            cache=self.cache,
        )

    def _check_data_version(self) -> None:
        """Forget cached graph rows when another connection wrote to the store (an erasure)."""
        (version,) = self.conn.execute("PRAGMA data_version").fetchone()
        if version != self._data_version:
            self.cache.clear()
            self._data_version = version

    def _refresh_erasures(self) -> None:
        self.erased.refresh(self.conn)

    def _checkpoint(self, chunks: list[Chunk]) -> None:
        now = self._now_iso()
        self.conn.executemany(
            "INSERT INTO checkpoints VALUES (?, ?, ?, ?) ON CONFLICT(segment) DO UPDATE SET"
            " offset = excluded.offset, updated_at = excluded.updated_at",
            [(c.segment, c.dataset_id, c.end, now) for c in chunks],
        )

    def _now_iso(self) -> str:
        return datetime.fromtimestamp(self._clock(), UTC).isoformat(timespec="milliseconds")

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """One batch; the graph cache is cleared unless it commits."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
            self.conn.execute("COMMIT")
        except BaseException:
            self.cache.clear()
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise

    @contextmanager
    def _savepoint(self) -> Iterator[None]:
        self.conn.execute("SAVEPOINT batch")
        try:
            yield
        except BaseException:
            self.cache.clear()
            self.conn.execute("ROLLBACK TO batch")
            self.conn.execute("RELEASE batch")
            raise
        self.conn.execute("RELEASE batch")


def _drop_identities(message: Message, allowed: frozenset[str], counters: Counter[str]) -> None:
    """Ignore identities of namespaces the message's inlet may not assert (they are counted)."""
    kept = [i for i in message.identities if i.namespace in allowed]
    if len(kept) != len(message.identities):
        counters["identities_not_allowed"] += len(message.identities) - len(kept)
        message.identities = kept


@contextmanager
def _no_gc() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def project_once(settings: Settings, **kwargs: object) -> int:
    """Project everything pending, then return (tests, ``collector replay``)."""
    projector = Projector(settings, **kwargs)  # type: ignore[arg-type]
    try:
        return projector.catch_up()
    finally:
        projector.close()


def projector_lock_path(settings: Settings) -> Path:
    return settings.profile_db_path.with_name(settings.profile_db_path.name + ".projector.lock")


@contextmanager
def projector_lock(settings: Settings, *, wait: StopEvent | None = None) -> Iterator[None]:
    """Hold the single-writer lock; without ``wait`` fail at once if it is taken."""
    path = projector_lock_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as f:
        while True:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if wait is None:
                    raise ProjectorLocked(f"{path} is held by another projector") from None
                if wait.wait(0.5):
                    raise ProjectorLocked("stopped while waiting for the projector lock") from None
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def run_projector(settings: Settings, stop_event: StopEvent) -> None:
    """Project until ``stop_event`` is set (the body of ``collector project`` and the process)."""
    try:
        with projector_lock(settings, wait=stop_event):
            from collector.monitoring.observer import Observer

            observer = Observer(settings)
            projector = Projector(settings, on_applied=observer.projected)
            log.info("projector started on %s", settings.profile_db_path)
            try:
                _loop(projector, settings, stop_event, observer.flush)
            finally:
                projector.close()
                observer.close()
    except ProjectorLocked:
        return


def _loop(
    projector: Projector,
    settings: Settings,
    stop_event: StopEvent,
    flush: Callable[[], object] = lambda: None,
) -> None:
    from collector.privacy.runner import JobRunner

    jobs = JobRunner(projector, settings)  # privacy jobs run between batches
    poll = settings.projector_poll_ms / 1000
    flushed = time.monotonic()
    while not stop_event.is_set():
        if time.monotonic() - flushed >= 1.0:  # the monitoring series, about once a second
            flush()
            flushed = time.monotonic()
        try:
            consumed = projector.step()
            jobs.tick()
        except sqlite3.OperationalError as exc:  # busy or locked: try again shortly
            log.warning("projector step failed, retrying: %s", exc)
            stop_event.wait(max(poll, 0.1))
            continue
        if consumed == 0:
            stop_event.wait(poll)
