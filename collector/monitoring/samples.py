"""Where Prometheus samples of every process go (no ``prometheus_client`` import here).

``prometheus_client`` picks its multiprocess mode when it is first imported, from
``PROMETHEUS_MULTIPROC_DIR``; ``collector serve`` prepares the directory and sets the variable
before anything imports the library, so that workers and the projector all write there.
"""

from __future__ import annotations

from pathlib import Path

from collector.control.settings import Settings


def metrics_dir(settings: Settings) -> Path:
    return settings.data_dir / "metrics"


def prepare_multiprocess_dir(path: Path) -> None:
    """Empty the samples directory of an earlier run (done before any worker starts)."""
    path.mkdir(parents=True, exist_ok=True)
    for old in path.glob("*.db"):
        old.unlink()
