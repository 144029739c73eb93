from __future__ import annotations

import os
import signal
import sqlite3
import time

from collector.control.settings import Settings
from collector.profile.process import ProjectorProcess
from tests.profile.lakefixture import Lake, ids, rows


def _events(settings: Settings) -> int:
    try:
        return int(rows(settings, "SELECT COUNT(*) FROM experience_events")[0][0])
    except sqlite3.OperationalError:
        return -1


def _wait_for(settings: Settings, count: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if _events(settings) == count:
            return
        time.sleep(0.05)
    raise AssertionError(f"expected {count} events, found {_events(settings)}")


def test_the_process_projects_is_restarted_when_it_dies_and_stops(
    settings: Settings, lake: Lake
) -> None:
    lake.event(ids(ECID="a"), event_id="v1")
    process = ProjectorProcess(settings, restart_delay=0.1)
    assert process.start()
    sibling = ProjectorProcess(settings)  # another worker of the same server
    assert not sibling.start() and sibling.pid is None
    sibling.stop()
    try:
        _wait_for(settings, 1)
        first = process.pid
        assert first is not None and first != os.getpid()
        os.kill(first, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and (process.pid == first or not process.is_alive()):
            time.sleep(0.05)
        assert process.restarts == 1 and process.pid != first and process.is_alive()
        lake.event(ids(ECID="a"), event_id="v2")
        _wait_for(settings, 2)
    finally:
        process.stop(timeout=20)
    assert not process.is_alive()
    assert process.restarts == 1  # a requested stop is not a crash
    again = ProjectorProcess(settings)  # the lock was released
    assert again.start()
    again.stop()
