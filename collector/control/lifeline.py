"""Child processes die with their parent: no orphan keeps acknowledging or holding the port.

Killing only the master of ``collector serve --workers N`` must not leave workers that keep
serving on the inherited socket (a restart then fails to bind), nor a projector behind them.
``follow(parent_pid)`` is called at the start of such a child:

- on Linux, ``prctl(PR_SET_PDEATHSIG, SIGTERM)``: the kernel sends SIGTERM when the parent
  dies, which uvicorn and the projector turn into their graceful shutdown;
- everywhere, a watchdog thread that polls ``os.getppid()`` and sends the same SIGTERM when
  the process was re-parented, then SIGKILL if it is still alive ``kill_after`` seconds later.

A parent that died before ``follow`` ran is noticed at once (``getppid`` already differs).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import signal
import sys
import threading
import time

log = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1


def follow(parent_pid: int, *, interval: float = 0.5, kill_after: float = 20.0) -> None:
    """End this process (SIGTERM, later SIGKILL) when ``parent_pid`` is no longer its parent."""
    set_parent_death_signal(signal.SIGTERM)
    threading.Thread(
        target=_watch,
        args=(parent_pid, interval, kill_after),
        name="parent-watch",
        daemon=True,
    ).start()


def set_parent_death_signal(sig: signal.Signals) -> bool:
    """Ask Linux to send ``sig`` when the parent dies; False where that is not available."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return bool(libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


def _watch(parent_pid: int, interval: float, kill_after: float) -> None:
    while os.getppid() == parent_pid:
        time.sleep(interval)
    log.warning("parent process %d is gone: shutting down", parent_pid)
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(kill_after)
    os.kill(os.getpid(), signal.SIGKILL)
