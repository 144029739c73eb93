"""A pytest plugin: a real collector for a website's own test suite.

Installed with the package (entry point ``pytest11``), or named in a test module or the root
``conftest.py`` with ``pytest_plugins = ["collector.testing"]``. The session fixture
``xdm_collector`` starts ``collector serve`` on a free loopback port over a temporary data
directory with the demo seeded, and answers questions about what arrived through the debug
API (``GET /debug/events``)::

    def test_checkout_is_tracked(xdm_collector):
        ...  # drive the site, whose tag sends to xdm_collector.collection_url
        event = xdm_collector.wait_for_event(eventType="commerce.purchases", identity=ecid)
        assert event["status"] == "good"

``start_collector`` gives the same object outside pytest (a context manager).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

_ALIASES = {"event_type": "eventType"}
_FILTERS = ("inlet", "dataset", "status", "eventType", "identity", "since", "limit")


class CollectorTimeout(AssertionError):
    """No event matched in time; the message lists what did arrive."""


class Collector:
    """A running ``collector serve``: its URLs and ids, and helpers over the debug API."""

    def __init__(
        self, data_dir: Path, *, port: int | None = None, env: Mapping[str, str] | None = None
    ) -> None:
        from collector.control import seed
        from collector.control.plane import ControlPlane
        from collector.control.settings import Settings
        from collector.tags.demo import DEMO_PROPERTY

        self.data_dir = data_dir
        self.port = port or _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        control = ControlPlane(Settings(data_dir=data_dir).control_db_path)
        try:
            made = seed.ensure_demo(control, public_url=self.url)
            inlets = control.inlets(seed.DEMO_ORG)
            if made is not None:  # every request of a test comes from one address
                control.set_inlet_limits(made.inlet.id, {"per_ip_per_second": 0})
        finally:
            control.close()
        self._headers = _debug_credential(Settings(data_dir=data_dir), seed.DEMO_ORG)
        self.org_id = seed.DEMO_ORG
        self.inlet_ids = [i.id for i in inlets]
        self.inlet_id = self.inlet_ids[0]
        self.dataset_id = seed.WEB_EVENTS
        self.schema_id = seed.WEB_EVENTS_SCHEMA
        self.tag_url = f"{self.url}/tags/{DEMO_PROPERTY}/production.js"
        self._env = {
            # Defaults for a test run; the caller's environment (passed on whole) may override.
            "COLLECTOR_RUN_PROJECTOR": "false",
            "COLLECTOR_DEBUG_POLL_MS": "50",
            **os.environ,
            "COLLECTOR_SEED_DEMO": "true",  # the demo's tag property, for tag_url
            **(env or {}),
            "COLLECTOR_PUBLIC_URL": self.url,
        }
        self.log_path = data_dir / "collector.log"
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def collection_url(self) -> str:
        """Where the demo inlet receives messages (``POST``)."""
        return f"{self.url}/collection/{self.inlet_id}"

    # -- process ---------------------------------------------------------------------

    def start(self, timeout: float = 30.0) -> Collector:
        command = [sys.executable, "-m", "collector", "serve", "--host", "127.0.0.1"]
        command += ["--port", str(self.port), "--data-dir", str(self.data_dir)]
        with self.log_path.open("ab") as log:
            self._proc = subprocess.Popen(
                command, env=self._env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"collector exited early:\n{self.log()}")
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(self.url + "/health", timeout=1) as answer,
            ):
                if answer.status == 200:
                    return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"collector did not start in {timeout}s:\n{self.log()}")

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def __enter__(self) -> Collector:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the debug API ---------------------------------------------------------------

    def events(self, **filters: Any) -> list[dict[str, Any]]:
        """Recent events, newest first: ``inlet``, ``dataset``, ``status`` ("good"/"bad"),
        ``eventType`` (or ``event_type``), ``identity`` (id or ``NS:id``), ``since`` (ms or
        ISO 8601), ``limit``."""
        query: dict[str, str] = {}
        for key, value in filters.items():
            name = _ALIASES.get(key, key)
            if name not in _FILTERS:
                raise TypeError(f"unknown filter {key!r}; expected one of {', '.join(_FILTERS)}")
            if value is not None:
                query[name] = str(value)
        answer = self._get("/debug/events?" + urllib.parse.urlencode(query))
        events: list[dict[str, Any]] = answer["events"]
        return events

    def event(self, key: str) -> dict[str, Any] | None:
        """One event by ``xactionId`` or ``_id`` (with its profile), or None."""
        try:
            return self._get("/debug/events/" + urllib.parse.quote(key, safe=":"))
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return None
            raise

    def wait_for_event(
        self,
        *,
        timeout: float = 5.0,
        where: Callable[[dict[str, Any]], bool] | None = None,
        **filters: Any,
    ) -> dict[str, Any]:
        """The newest event that matches ``filters`` (and ``where``), waiting up to
        ``timeout`` seconds; raises ``CollectorTimeout`` (an AssertionError) otherwise."""
        deadline = time.monotonic() + timeout
        while True:
            found = [e for e in self.events(**filters) if where is None or where(e)]
            if found:
                return found[0]
            if time.monotonic() >= deadline:
                recent = self.events(limit=10)
                summary = "\n".join(
                    f"  {e['status']} {e['eventType']} {e['xactionId']} {e['reason'] or ''}"
                    for e in recent
                )
                raise CollectorTimeout(
                    f"no event matched {filters} within {timeout}s; the latest were:\n"
                    f"{summary or '  (none)'}"
                )
            time.sleep(0.05)

    def _get(self, path: str) -> dict[str, Any]:
        request = urllib.request.Request(self.url + path, headers=self._headers)
        with urllib.request.urlopen(request, timeout=10) as answer:
            value: dict[str, Any] = json.loads(answer.read())
        return value


def _debug_credential(settings: Any, org_id: str) -> dict[str, str]:
    """A credential of the demo org with ``debug:read`` and a token for it (the real stores)."""
    from collector.guard.access_tokens import request_headers

    return request_headers(
        settings.control_db_path,
        org_id,
        ["debug:read"],
        name="collector.testing",
        ttl_seconds=settings.access_token_ttl,
    )


def start_collector(data_dir: Path, *, env: Mapping[str, str] | None = None) -> Collector:
    """A collector over ``data_dir`` (created), not yet started: use it with ``with``."""
    data_dir.mkdir(parents=True, exist_ok=True)
    return Collector(data_dir, env=env)


@pytest.fixture(scope="session")
def xdm_collector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Collector]:
    """A real collector for the whole test session, on a temporary data directory."""
    with start_collector(tmp_path_factory.mktemp("xdm-collector")) as running:
        yield running


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
