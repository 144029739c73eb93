"""What the pipeline, the lake and the projector report: one object per process.

``Observer`` counts into both sinks at once: the Prometheus metrics (``metrics.py``) and the
per-minute series in ``monitoring.db`` (``series.py``). The pipeline tallies a request's
messages first and reports once per request, so a batch of a hundred costs a handful of
counter updates, not a hundred. The series are flushed about once a second by ``run``.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from collector.control.settings import Settings
from collector.monitoring.metrics import Metrics
from collector.monitoring.samples import metrics_dir
from collector.monitoring.series import MinuteCounters, ttp_bucket

FLUSH_SECONDS = 1.0
_MAX_DATASETS = 4096


def monitoring_db(settings: Settings) -> Path:
    return settings.data_dir / "monitoring.db"


class Observer:
    def __init__(self, settings: Settings, *, clock: Callable[[], float] = time.time) -> None:
        self.metrics = Metrics(metrics_dir(settings))
        self.counters = MinuteCounters(
            monitoring_db(settings), retention_days=settings.monitoring_retention_days, clock=clock
        )
        self._clock = clock
        # The labelled message counters of each (dataset, kind) seen (bounded: see ``_count``).
        self._messages: dict[tuple[str, str], Any] = {}

    # -- what is reported ----------------------------------------------------------------

    def request(
        self,
        *,
        org: str,
        inlet: str,
        outcomes: Counter[tuple[str, str]],
        received: int,
        size: int,
    ) -> None:
        """One request's messages: ``outcomes`` counts (dataset, outcome) pairs, outcome
        ``accepted``, ``failed:invalid`` (kept in ``_failed``) or ``failed:<reason>``."""
        self.counters.add("received", received, org=org, inlet=inlet)
        self.counters.add("bytes", size, org=org, inlet=inlet)
        for (dataset, outcome), n in outcomes.items():
            self.counters.add(outcome, n, org=org, inlet=inlet, dataset=dataset)
            self._count(dataset, "accepted" if outcome == "accepted" else "failed", n)

    def _count(self, dataset: str, kind: str, n: int) -> None:
        counter = self._messages.get((dataset, kind))
        if counter is None:
            counter = self.metrics.messages.labels(dataset, kind)
            if len(self._messages) < _MAX_DATASETS:
                self._messages[(dataset, kind)] = counter
        counter.inc(n)

    def refused(self, *, org: str, inlet: str, status: int) -> None:
        """A whole request refused (``throttled`` for 429s, else ``rejected:<status>``)."""
        self.counters.add("throttled" if status == 429 else f"rejected:{status}", org=org,
                          inlet=inlet)  # fmt: skip

    def fsync(self, seconds: float) -> None:
        self.metrics.fsync.observe(seconds)

    def projected(self, applied: Iterable[tuple[str, str, int]]) -> None:
        """Messages now in the profile store, as (org, dataset, received ms): the delay from
        acknowledgement to profile goes to the histogram, the newest one's to the lag gauge."""
        now_ms = self._clock() * 1000
        newest: int | None = None
        tally: Counter[tuple[str, str, str]] = Counter()
        for org, dataset, received_ms in applied:
            tally[(org, dataset, ttp_bucket(max(0.0, now_ms - received_ms)))] += 1
            newest = received_ms if newest is None else max(newest, received_ms)
        for (org, dataset, bucket), n in tally.items():
            self.counters.add(bucket, n, org=org, dataset=dataset)
        if newest is not None:
            self.metrics.projector_lag.set(max(0.0, (now_ms - newest) / 1000))

    # -- life ----------------------------------------------------------------------------

    def flush(self) -> int:
        return self.counters.flush()

    async def run(self) -> None:
        """Flush the series about once a second until cancelled (the app's lifespan)."""
        while True:
            await asyncio.sleep(FLUSH_SECONDS)
            await asyncio.to_thread(self.flush)

    def close(self) -> None:
        self.counters.close()
        self.metrics.close()
