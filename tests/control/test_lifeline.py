"""Killing only the master of ``collector serve --workers 2`` takes its workers and projector."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import time
from pathlib import Path

from tests.server import LiveServer


def _children() -> dict[int, int]:
    """pid -> parent pid of every live (not zombie) process."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        if state not in ("Z", "X"):
            found[int(entry)] = int(ppid)
    return found


def _descendants(root: int) -> set[int]:
    parents = _children()
    tree: set[int] = set()
    frontier = {root}
    while frontier:
        frontier = {pid for pid, ppid in parents.items() if ppid in frontier} - tree
        tree |= frontier
    return tree


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def test_workers_and_projector_exit_when_only_the_master_is_killed(tmp_path: Path) -> None:
    server = LiveServer(
        tmp_path / "data", workers=2, env={"COLLECTOR_RUN_PROJECTOR": "true"}
    ).start()
    assert server.proc is not None
    master = server.proc.pid
    tree: set[int] = set()
    try:
        deadline = time.monotonic() + 20
        workers: set[int] = set()
        projectors: set[int] = set()
        while time.monotonic() < deadline:  # two workers, and a projector under one of them
            tree = _descendants(master)
            parents = _children()
            workers = {p for p in tree if parents.get(p) == master and "spawn" in _cmdline(p)}
            projectors = {p for p in tree if parents.get(p) in workers}
            if len(workers) == 2 and projectors:
                break
            time.sleep(0.2)
        assert len(workers) == 2 and len(projectors) == 1, [(p, _cmdline(p)) for p in tree]

        os.kill(master, signal.SIGKILL)  # only the master
        server.proc.wait(timeout=10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and (tree & set(_children())):
            time.sleep(0.1)
        left = tree & set(_children())
        assert not left, [(p, _cmdline(p)) for p in left]

        with socket.socket() as s:  # as a restart binds it (uvicorn sets SO_REUSEADDR too)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", server.port))
            s.listen()
    finally:
        for pid in (tree | {master}) & set(_children()):  # only what this test started
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    with LiveServer(tmp_path / "data", port=server.port):  # restarts on the same port
        pass
