"""Settings come from the environment in one place: no other module reads a variable."""

from __future__ import annotations

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "collector"
READS = re.compile(r"os\.getenv|os\.environ\.get\(|os\.environ\[[^\]]+\](?!\s*=)|in os\.environ")


def test_only_settings_reads_the_environment() -> None:
    readers = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if path.name != "settings.py" and READS.search(path.read_text())
    ]
    assert readers == []


def test_the_pattern_finds_a_read() -> None:
    assert READS.search('x = os.environ.get("COLLECTOR_X")')
    assert READS.search('if "A" in os.environ:')
    assert not READS.search('os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(path)')
