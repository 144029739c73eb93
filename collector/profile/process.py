"""``ProjectorProcess``: runs the projector in its own process and keeps it running.

A SQLite writer thread inside the busy web worker collapses under the GIL (DESIGN.md), so the
projector is a separate process (``spawn`` context: no inherited sockets or locks). Only one
process per data directory supervises a projector (a lock file: with several uvicorn workers
the first one to start wins, the others skip). A supervisor thread restarts the projector, with
back-off, whenever it exits without being asked to. ``stop`` sends SIGTERM, which the child
turns into "finish the current batch, then exit"; SIGKILL only as a last resort. (A shared
``multiprocessing.Event`` is not used: a child killed while waiting on it leaves the event's
condition blocked for every later ``set``.)
"""

from __future__ import annotations

import fcntl
import logging
import multiprocessing
import os
import signal
import threading
from multiprocessing.context import SpawnProcess
from typing import IO

from collector.control.lifeline import set_parent_death_signal
from collector.control.settings import Settings

log = logging.getLogger(__name__)


def _child_main(settings: Settings, parent_pid: int) -> None:
    """The projector process: SIGTERM (or the parent's death) stops it after its batch."""
    stop = threading.Event()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    set_parent_death_signal(signal.SIGTERM)  # Linux: the kernel tells us at once
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s projector %(name)s: %(message)s",
    )

    def orphan_watch() -> None:
        while not stop.wait(1.0):
            if os.getppid() != parent_pid:
                stop.set()

    threading.Thread(target=orphan_watch, name="orphan-watch", daemon=True).start()
    if os.getppid() != parent_pid:  # the parent died before the signal was asked for
        stop.set()
    from collector.profile.projector import run_projector

    run_projector(settings, stop)


class ProjectorProcess:
    def __init__(
        self,
        settings: Settings,
        *,
        restart_delay: float = 0.5,
        max_restart_delay: float = 30.0,
    ) -> None:
        self.settings = settings
        self._ctx = multiprocessing.get_context("spawn")
        self._stopping = threading.Event()
        self._process: SpawnProcess | None = None
        self._thread: threading.Thread | None = None
        self._restart_delay = restart_delay
        self._max_restart_delay = max_restart_delay
        self.restarts = 0
        self._lock: IO[str] | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def is_alive(self) -> bool:
        return self._process is not None and self._process.is_alive()

    def start(self) -> bool:
        """Start the projector unless another process (a sibling worker) supervises one."""
        if self._thread is not None:
            return True
        if not self._take_supervisor_lock():
            log.info("another process supervises the projector of %s", self.settings.data_dir)
            return False
        self._spawn()
        self._thread = threading.Thread(
            target=self._supervise, name="projector-supervisor", daemon=True
        )
        self._thread.start()
        return True

    def _take_supervisor_lock(self) -> bool:
        path = self.settings.profile_db_path.with_name(
            self.settings.profile_db_path.name + ".supervisor.lock"
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        lock = path.open("a")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            return False
        self._lock = lock
        return True

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        process = self._process
        if process is not None:
            if process.is_alive():
                process.terminate()
            process.join(timeout)
            if process.is_alive():
                log.warning("projector did not stop in %.0f s: killing it", timeout)
                process.kill()
                process.join(timeout)
            process.close()
            self._process = None
        if self._lock is not None:
            self._lock.close()  # releases the supervisor lock
            self._lock = None

    def _spawn(self) -> None:
        process = self._ctx.Process(
            target=_child_main, args=(self.settings, os.getpid()), name="collector-projector"
        )
        process.start()
        self._process = process
        log.info("projector process started (pid %s)", process.pid)

    def _supervise(self) -> None:
        delay = self._restart_delay
        while not self._stopping.is_set():
            process = self._process
            if process is None:
                return
            process.join(0.2)
            if process.is_alive() or self._stopping.is_set():
                continue
            log.error(
                "projector process %s exited with %s: restarting in %.1f s",
                process.pid,
                process.exitcode,
                delay,
            )
            if self._stopping.wait(delay):
                return
            process.close()
            self.restarts += 1
            self._spawn()
            delay = min(delay * 2, self._max_restart_delay)
