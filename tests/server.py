"""A real ``collector serve`` subprocess on a free loopback port, for end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from pathlib import Path

from collector.control import seed
from tests.demo import INLET, seed_demo

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    """Starts ``collector serve --demo`` on 127.0.0.1; ``stop`` or ``kill`` ends it.

    The demo inlet's id is ``inlet_id`` (seeded before the first start, ``tests.demo.INLET``
    by default); ``inlet_id=None`` lets ``serve --demo`` pick a random one, which ``start``
    then reads back from control.db. ``demo=False`` runs a plain ``collector serve``.
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        port: int | None = None,
        workers: int = 1,
        env: Mapping[str, str] | None = None,
        demo: bool = True,
        inlet_id: str | None = INLET,
        tls: tuple[Path, Path] | None = None,
    ) -> None:
        """``tls`` is (certificate chain, private key): the server then speaks HTTPS."""
        self.data_dir = data_dir
        self.port = port or free_port()
        self.tls = tls
        self.base_url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self.workers = workers
        self.env = {**os.environ, "COLLECTOR_RUN_PROJECTOR": "false", **(env or {})}
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = data_dir.parent / f"server-{self.port}.log"
        self.demo = demo
        self.inlet_id = inlet_id if demo else None

    def start(self, timeout: float = 30.0) -> LiveServer:
        if self.proc is not None and self.proc.poll() is None:
            return self  # already running: never start a second process on the same port
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.demo and self.inlet_id is not None:
            public_url = self.env.get("COLLECTOR_PUBLIC_URL", self.base_url)
            seed_demo(self.data_dir / "control.db", public_url, self.inlet_id)
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "collector",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--data-dir",
                str(self.data_dir),
                "--workers",
                str(self.workers),
                *(["--demo"] if self.demo else []),
                *self._tls_args(),
            ],
            cwd=REPO,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log()}")
            try:
                # Loopback only: the throw-away certificate is not checked here.
                insecure = ssl._create_unverified_context() if self.tls else None
                with urllib.request.urlopen(
                    self.base_url + "/health", timeout=1, context=insecure
                ) as r:
                    if r.status == 200:
                        if self.demo:
                            self.inlet_id = seed.demo_inlet_id(self.data_dir / "control.db")
                        return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server did not start in {timeout}s:\n{self.log()}")

    def _tls_args(self) -> list[str]:
        if self.tls is None:
            return []
        return ["--ssl-certfile", str(self.tls[0]), "--ssl-keyfile", str(self.tls[1])]

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL the whole process group: no shutdown code runs."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
