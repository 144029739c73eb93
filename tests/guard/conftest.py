"""Fixtures of the guard tests: a frozen clock for the limiter, inlets, tokens, servers."""

from __future__ import annotations

import types
from collections.abc import Iterator
from typing import Any

import limits.storage.memory
import limits.strategies
import pytest
from starlette.testclient import TestClient

from collector.control import seed
from collector.control.plane import ControlPlane, Inlet
from collector.control.settings import Settings
from collector.guard import ratelimit
from collector.guard.tokens import TokenStore


class FakeClock:
    """Wall and monotonic time that only move when a test says so."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:  # a minute starts here
        self.now = start

    def time(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """Freeze the time the limiter sees (the ``limits`` memory storage reads ``time.time``)."""
    fake = FakeClock()
    namespace = types.SimpleNamespace(time=fake.time, monotonic=fake.monotonic)
    for module in (limits.storage.memory, limits.strategies, ratelimit):
        monkeypatch.setattr(module, "time", namespace)
    return fake


def make_inlet(settings: Settings, **kwargs: Any) -> Inlet:
    """An inlet of the demo org writing to the web-events dataset, with optional limits."""
    limit_values = {k: kwargs.pop(k) for k in list(kwargs) if k.endswith(("_second", "_minute"))}
    control = ControlPlane(settings.control_db_path)
    try:
        inlet = control.create_inlet(
            org_id=seed.DEMO_ORG,
            name=kwargs.pop("name", "guarded"),
            default_dataset_id=seed.WEB_EVENTS,
            **kwargs,
        )
        if limit_values:
            inlet = control.set_inlet_limits(inlet.id, limit_values)
        return inlet
    finally:
        control.close()


def issue_token(settings: Settings, inlet_id: str, name: str = "") -> tuple[str, str]:
    """(token id, secret) of a new token for ``inlet_id``."""
    store = TokenStore(settings.control_db_path)
    try:
        issued = store.create(inlet_id, name)
        return issued.token.id, issued.secret
    finally:
        store.close()


@pytest.fixture
def limited(settings: Settings, clock: FakeClock) -> Iterator[TestClient]:
    """The app with the limiter's clock frozen (``clock``), started with its lifespan."""
    from collector.app import create_app

    with TestClient(create_app(settings)) as test_client:
        yield test_client


_SUMMARY = pytest.StashKey[list[str]]()


def report(config: pytest.Config, text: str) -> None:
    """Print ``text`` in the terminal summary (numbers a run should show, e.g. cases tried)."""
    config.stash.setdefault(_SUMMARY, []).append(text)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    lines = config.stash.get(_SUMMARY, [])
    if lines:
        terminalreporter.write_sep("-", "guard")
        for text in lines:
            terminalreporter.write_line(text)
