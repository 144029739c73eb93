"""collector/guard/ratelimit.py: quotas counted by ``limits``, 429s with their headers."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator

import pytest

from collector.errors import RateLimited
from collector.guard.ratelimit import Quota, RateLimits
from tests.guard.conftest import FakeClock


@pytest.fixture
def limits(clock: FakeClock) -> Iterator[RateLimits]:
    rate_limits = RateLimits("memory://")
    yield rate_limits
    rate_limits.close()


def refused(limits: RateLimits, quota: Quota, *identity: str, cost: int = 1) -> RateLimited:
    with pytest.raises(RateLimited) as caught:
        limits.acquire(quota, *identity, cost=cost)
    return caught.value


def test_a_quota_refuses_the_hit_past_its_amount(limits: RateLimits) -> None:
    quota = Quota("requests", 3)
    for _ in range(3):
        assert limits.acquire(quota, "inlet-a") == {}
    err = refused(limits, quota, "inlet-a")
    assert err.status == 429
    assert err.headers == {
        "ratelimit-limit": "3",
        "ratelimit-remaining": "0",
        "ratelimit-reset": err.headers["retry-after"],
        "retry-after": err.headers["retry-after"],
    }
    assert int(err.headers["retry-after"]) >= 1
    assert "the limit is 3 per second" in err.detail
    problem = err.problem()
    assert problem["status"] == 429 and problem["title"] == "Too Many Requests"


def test_identities_have_their_own_budgets(limits: RateLimits) -> None:
    quota = Quota("requests", 1)
    limits.acquire(quota, "inlet-a")
    limits.acquire(quota, "inlet-b")
    limits.acquire(quota, "inlet-c", "198.51.100.7")
    limits.acquire(quota, "inlet-c", "198.51.100.8")
    refused(limits, quota, "inlet-a")
    refused(limits, quota, "inlet-c", "198.51.100.7")


def test_quotas_of_different_names_do_not_share(limits: RateLimits) -> None:
    limits.acquire(Quota("requests", 1), "inlet-a")
    limits.acquire(Quota("messages", 1), "inlet-a")
    refused(limits, Quota("messages", 1), "inlet-a")


def test_the_window_slides(limits: RateLimits, clock: FakeClock) -> None:
    quota = Quota("requests", 4)
    for _ in range(4):
        limits.acquire(quota, "i")
    refused(limits, quota, "i")
    # 1.5 s later the previous window still weighs half: 4 * 0.5 = 2 units in use.
    clock.advance(1.5)
    limits.acquire(quota, "i")
    limits.acquire(quota, "i")
    refused(limits, quota, "i")
    clock.advance(1.0)
    for _ in range(3):
        limits.acquire(quota, "i")


def test_a_batch_costs_its_messages(limits: RateLimits, clock: FakeClock) -> None:
    quota = Quota("messages", 10)
    clock.advance(0.5)
    headers = limits.acquire(quota, "i", cost=7, report=True)
    assert headers == {"ratelimit-limit": "10", "ratelimit-remaining": "3", "ratelimit-reset": "1"}
    err = refused(limits, quota, "i", cost=4)
    assert err.headers["ratelimit-remaining"] == "0"
    assert limits.acquire(quota, "i", cost=3, report=True)["ratelimit-remaining"] == "0"


def test_a_batch_larger_than_the_quota_fits_an_idle_window(
    limits: RateLimits, clock: FakeClock
) -> None:
    quota = Quota("messages", 10)
    headers = limits.acquire(quota, "i", cost=25, report=True)
    assert headers["ratelimit-remaining"] == "0"
    refused(limits, quota, "i")
    clock.advance(2.0)
    limits.acquire(quota, "i", cost=25)


def test_per_minute_quota_reports_seconds_to_wait(limits: RateLimits, clock: FakeClock) -> None:
    quota = Quota("sync", 2, "minute")
    clock.advance(20.0)
    limits.acquire(quota, "i")
    limits.acquire(quota, "i")
    err = refused(limits, quota, "i")
    # 20 s into the minute: the current window ends in 40 s.
    assert err.headers["retry-after"] == "40"
    assert "per minute" in err.detail and "synchronous validations" in err.detail


def test_zero_means_no_limit(limits: RateLimits) -> None:
    for _ in range(100):
        assert limits.acquire(Quota("requests", 0), "i", report=True) == {}


def test_an_unreachable_storage_lets_requests_through(caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    limits = RateLimits(f"redis://127.0.0.1:{port}")
    try:
        with caplog.at_level(logging.WARNING, logger="collector.guard.ratelimit"):
            for _ in range(5):
                assert limits.acquire(Quota("requests", 1), "i", report=True) == {}
        warnings = [r for r in caplog.records if "rate limit storage failed" in r.message]
        assert len(warnings) == 1
    finally:
        limits.close()


def test_async_storage_is_refused() -> None:
    with pytest.raises(ValueError, match="asynchronous"):
        RateLimits("async+memory://")


def test_memory_storage_starts_no_threads_under_load() -> None:
    """limits' own memory storage starts a Timer thread every 10 ms; ours never does."""
    import threading

    from collector.guard.ratelimit import InlineExpiryMemoryStorage, Quota, RateLimits

    limits = RateLimits("memory://")
    assert isinstance(limits.storage, InlineExpiryMemoryStorage)
    started = []
    real_start = threading.Thread.start

    def spy(self: threading.Thread) -> None:
        started.append(self)
        real_start(self)

    threading.Thread.start = spy  # type: ignore[method-assign]
    try:
        for i in range(2000):
            limits.acquire(Quota("requests", 10**6), f"inlet-{i % 7}")
    finally:
        threading.Thread.start = real_start  # type: ignore[method-assign]
    assert started == []


def test_memory_storage_sweeps_keys_nobody_reads_again() -> None:
    from collector.guard.ratelimit import InlineExpiryMemoryStorage

    storage = InlineExpiryMemoryStorage("memory://")
    storage.incr("gone", expiry=0.001)
    assert "gone" in storage.storage
    storage._next_sweep = 0.0  # as if the sweep interval had passed
    import time as _time

    _time.sleep(0.01)
    storage.incr("other", expiry=10)
    assert "gone" not in storage.storage and "other" in storage.storage


def test_memory_storage_methods_are_not_wrapped() -> None:
    """In-process counting runs the memory storage's own methods, without the error
    translators ``Storage.__init_subclass__`` puts around every subclass's methods."""
    import inspect

    from limits.storage import MemoryStorage

    from collector.guard.ratelimit import InlineExpiryMemoryStorage

    for name in ("incr", "get", "get_expiry", "check", "reset", "clear"):
        plain = getattr(InlineExpiryMemoryStorage, name)
        assert not hasattr(plain, "__wrapped__")
        assert plain is inspect.unwrap(getattr(MemoryStorage, name))
