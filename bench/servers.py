"""The servers under test, as subprocesses on free loopback ports.

``collector`` runs the real ``collector serve`` on a fresh data directory with the projector
off and the per-inlet rate limits raised out of the way; ``bare`` runs bench/bare_app.py
under uvicorn with the options ``collector serve`` uses. Both live in their own process
group so ``stop`` ends every worker.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from collector.control import seed
from collector.control.plane import ControlPlane

REPO = Path(__file__).resolve().parent.parent
UNLIMITED = "10000000"
# The demo inlet id of the collector under test (``collector serve --demo`` picks a random one).
INLET = "be4c" * 16
# The uvicorn options of `collector serve` (collector/cli.py), for the bare endpoint.
_UVICORN_OPTIONS = [
    "--loop",
    "uvloop",
    "--http",
    "httptools",
    "--no-access-log",
    "--timeout-keep-alive",
    "5",
    "--log-level",
    "warning",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """One server subprocess; ``start`` returns once ``probe`` answers 200."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log_path: Path) -> None:
        self.name = name
        self.argv = argv
        self.env = env
        self.log_path = log_path
        self.port = int(argv[argv.index("--port") + 1])
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, probe_path: str, probe_body: bytes, timeout: float = 60.0) -> Server:
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                self.argv,
                cwd=REPO,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited early:\n{self.log()}")
            if _answers(self.base_url + probe_path, probe_body):
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} did not start in {timeout}s:\n{self.log()}")

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def cpu_seconds(self) -> float:
        """User + system CPU time so far of every process of this server (its session)."""
        return _session_cpu(self.pid)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


def collector(data_dir: Path, workers: int, log_dir: Path) -> Server:
    """``collector serve --demo`` on a data dir seeded with the demo inlet ``INLET``."""
    port = free_port()
    control = ControlPlane(data_dir / "control.db")
    try:
        seed.ensure_demo(control, public_url=f"http://127.0.0.1:{port}", inlet_id=INLET)
    finally:
        control.close()
    env = {
        **os.environ,
        "COLLECTOR_RUN_PROJECTOR": "false",
        "COLLECTOR_RATE_LIMIT_REQUESTS_PER_SECOND": UNLIMITED,
        "COLLECTOR_RATE_LIMIT_MESSAGES_PER_SECOND": UNLIMITED,
        "COLLECTOR_RATE_LIMIT_PER_IP_PER_SECOND": "0",
        "COLLECTOR_LOG_LEVEL": "warning",
    }
    argv = [
        sys.executable,
        "-m",
        "collector",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--data-dir",
        str(data_dir),
        "--workers",
        str(workers),
        "--demo",
    ]
    return Server(f"collector (workers={workers})", argv, env, log_dir / f"collector-{port}.log")


def bare(workers: int, log_dir: Path) -> Server:
    port = free_port()
    argv = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "bench.bare_app:create_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        *_UVICORN_OPTIONS,
    ]
    return Server(f"bare (workers={workers})", argv, dict(os.environ), log_dir / f"bare-{port}.log")


def _answers(url: str, body: bytes) -> bool:
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            return int(response.status) == 200
    except (urllib.error.URLError, OSError):
        return False


_TICKS = os.sysconf("SC_CLK_TCK")


def _session_cpu(session: int) -> float:
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        # After the command name: state ppid pgrp session ... utime(12) stime(13).
        if int(fields[3]) == session:
            total += int(fields[11]) + int(fields[12])
    return total / _TICKS
