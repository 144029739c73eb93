"""Prometheus metrics with the official ``prometheus_client``, correct across uvicorn workers.

``collector serve`` points ``PROMETHEUS_MULTIPROC_DIR`` at ``<data dir>/metrics`` (emptied at
start) before any worker starts, so every worker and the projector write their samples to
memory-mapped files there and ``GET /metrics`` sums them (``MultiProcessCollector``). An app
created without ``collector serve`` (tests, an embedding program) keeps them in memory.

Names (the Grafana dashboard in ``collector/monitoring/grafana.json`` is built on them):

- ``http_requests_total{route,method,code}`` and ``http_request_duration_seconds{route,method}``;
- ``collector_messages_total{dataset,outcome}``: ``accepted``, ``failed`` (kept in ``_failed``);
- ``collector_lake_fsync_seconds``: one observation per group commit;
- ``collector_projector_lag_seconds``: acknowledgement to profile of the last batch applied.
"""

from __future__ import annotations

import os
from pathlib import Path

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)

CONTENT_TYPE = CONTENT_TYPE_LATEST
_LATENCY_BUCKETS = (
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
)  # fmt: skip


def multiprocess_mode() -> bool:
    """Whether ``prometheus_client`` was imported with ``PROMETHEUS_MULTIPROC_DIR`` set."""
    return values.ValueClass is not values.MutexValue


class Metrics:
    """The collector's metrics, registered in a registry of their own (one per app)."""

    def __init__(self, samples_dir: Path) -> None:
        self.samples_dir = samples_dir
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "http_requests",
            "HTTP requests answered, by route template, method and status code.",
            ["route", "method", "code"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "http_request_duration_seconds",
            "Time from the request's arrival to the end of its response.",
            ["route", "method"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.messages = Counter(
            "collector_messages",
            "Messages by dataset and outcome (accepted, or failed and kept in _failed).",
            ["dataset", "outcome"],
            registry=self.registry,
        )
        self.fsync = Histogram(
            "collector_lake_fsync_seconds",
            "Duration of each group commit's write and fdatasync.",
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.projector_lag = Gauge(
            "collector_projector_lag_seconds",
            "Acknowledgement to profile of the newest event of the last batch applied.",
            multiprocess_mode="livemax",
            registry=self.registry,
        )

    def render(self) -> bytes:
        """The text exposition format, summed over every process in multiprocess mode."""
        if not multiprocess_mode():
            return bytes(generate_latest(self.registry))
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=str(self.samples_dir))  # type: ignore[no-untyped-call]
        return bytes(generate_latest(registry))

    def close(self) -> None:
        """Drop this process's live gauges from the sums (a worker or projector exiting)."""
        if multiprocess_mode():
            multiprocess.mark_process_dead(os.getpid(), str(self.samples_dir))  # type: ignore[no-untyped-call]
