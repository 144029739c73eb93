"""Rate limits, counted by the ``limits`` library (sliding-window-counter strategy).

Storage is ``memory://`` by default (one process); ``redis://host:port`` shares the budgets
across worker processes and machines. A sliding window counter costs two counters per
limit and O(1) work per hit whatever the limit (a moving window keeps one entry per unit
of budget, which a raised benchmark limit turns into megabytes of list shifting).

When the shared storage fails, requests are let through (fail open) and a warning is logged:
losing the limiter must not lose data. After a failure the storage is left alone for a second
so that an unreachable Redis does not add a connection attempt to every request.
"""

from __future__ import annotations

import inspect
import logging
import math
import time
from collections.abc import Callable
from typing import Any, NamedTuple

from limits import RateLimitItem, RateLimitItemPerMinute, RateLimitItemPerSecond
from limits.errors import StorageError
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import SlidingWindowCounterRateLimiter

from collector.errors import RateLimited

log = logging.getLogger(__name__)

_PAUSE_AFTER_FAILURE = 1.0
_SWEEP_EVERY = 5.0
_WARN_EVERY = 10.0
# Connection and read timeouts for a shared Redis storage, in seconds.
_REDIS_TIMEOUT = 0.25
# Limit items kept (one per quota and identity) before the cache starts over.
_MAX_ITEMS = 10_000
_UNITS = {"requests": "requests", "messages": "messages", "sync": "synchronous validations"}


class Quota(NamedTuple):
    """``amount`` units per ``per`` ("second" or "minute"), counted under ``name``.

    A tuple: built and hashed on every request, it must be cheap.
    """

    name: str
    amount: int
    per: str = "second"


class RateLimits:
    """Counts hits against quotas; raises ``RateLimited`` (429) with its headers when over."""

    def __init__(
        self,
        storage_uri: str = "memory://",
        *,
        storage: Storage | None = None,
        clock: Callable[[], float] | None = None,
        monotonic: Callable[[], float] | None = None,
    ) -> None:
        self.storage = storage if storage is not None else _open_storage(storage_uri)
        self._limiter = SlidingWindowCounterRateLimiter(self.storage)
        self._items: dict[tuple[Quota, tuple[str, ...]], RateLimitItem] = {}
        self._clock = clock or time.time
        self._monotonic = monotonic or time.monotonic
        self._failures = _failure_types(self.storage)
        self._paused_until = float("-inf")
        self._warned_at = float("-inf")

    def acquire(
        self, quota: Quota, *identity: str, cost: int = 1, report: bool = False
    ) -> dict[str, str]:
        """Consume ``cost`` units of ``quota`` for ``identity``.

        Returns the ``RateLimit-*`` headers when ``report`` is set (one more storage read),
        else nothing. A cost larger than the whole quota is charged as the whole quota, so a
        big batch passes through an idle window instead of being refused forever.
        """
        if quota.amount <= 0 or self._monotonic() < self._paused_until:
            return {}
        item = self._items.get((quota, identity))
        if item is None:
            if len(self._items) >= _MAX_ITEMS:  # per-IP identities come and go
                self._items.clear()
            item = self._items[(quota, identity)] = _item(quota, identity)
        try:
            if not self._limiter.hit(item, *identity, cost=min(cost, quota.amount)):
                raise _refusal(quota, self._headers(item, identity, refused=True))
            return self._headers(item, identity, refused=False) if report else {}
        except self._failures as exc:
            self._storage_failed(exc)
            return {}

    def _headers(
        self, item: RateLimitItem, identity: tuple[str, ...], *, refused: bool
    ) -> dict[str, str]:
        stats = self._limiter.get_window_stats(item, *identity)
        reset = max(0, math.ceil(stats.reset_time - self._clock()))
        headers = {
            "ratelimit-limit": str(item.amount),
            "ratelimit-remaining": str(0 if refused else stats.remaining),
            "ratelimit-reset": str(max(1, reset) if refused else reset),
        }
        if refused:
            headers["retry-after"] = headers["ratelimit-reset"]
        return headers

    def _storage_failed(self, exc: BaseException) -> None:
        now = self._monotonic()
        self._paused_until = now + _PAUSE_AFTER_FAILURE
        if now - self._warned_at >= _WARN_EVERY:
            self._warned_at = now
            log.warning("rate limit storage failed, letting requests through: %s", exc)

    def close(self) -> None:
        """Stop the memory storage's expiry timer; close a Redis connection pool."""
        timer = getattr(self.storage, "timer", None)
        if timer is not None:
            timer.cancel()
        client: Any = getattr(self.storage, "storage", None)
        if client is not None and hasattr(client, "close"):
            client.close()


def _refusal(quota: Quota, headers: dict[str, str]) -> RateLimited:
    unit = _UNITS.get(quota.name, "requests from this client")
    return RateLimited(
        f"Too many {unit}: the limit is {quota.amount} per {quota.per}; "
        f"retry after {headers['retry-after']} s",
        headers=headers,
    )


class _PerSecond(RateLimitItemPerSecond):
    """A limit item bound to one identity: its storage key is built once, not per hit."""

    __slots__ = ("_key",)

    def __init__(self, amount: int, namespace: str, identity: tuple[str, ...]) -> None:
        RateLimitItem.__init__(self, amount, namespace=namespace)
        self._key = RateLimitItem.key_for(self, *identity)

    def key_for(self, *identifiers: bytes | str | int | float) -> str:
        return self._key


class _PerMinute(RateLimitItemPerMinute):
    __slots__ = ("_key",)
    __init__ = _PerSecond.__init__
    key_for = _PerSecond.key_for


def _item(quota: Quota, identity: tuple[str, ...]) -> RateLimitItem:
    kind = _PerMinute if quota.per == "minute" else _PerSecond
    return kind(quota.amount, f"xdmc-{quota.name}", identity)


class InlineExpiryMemoryStorage(MemoryStorage):
    """The ``limits`` memory storage, sweeping expired keys inline instead of from a thread.

    ``MemoryStorage.incr`` starts a ``threading.Timer`` every 10 ms while hits keep coming,
    and ``Thread.start()`` blocks the event loop until the new thread runs: measured as the
    largest single cost of a single-message request. The library already expires a key
    lazily when it is read; this sweeps the keys nobody reads again (visitors gone, in
    per-IP limits) once per ``_SWEEP_EVERY`` seconds, on the caller's thread.
    """

    def __init__(self, uri: str | None = None, **options: Any) -> None:
        super().__init__(uri, **options)
        self.timer.cancel()  # the one the base class starts; no other is ever started
        self._next_sweep = 0.0

    def _MemoryStorage__schedule_expiry(self) -> None:  # the base class's private hook
        now = time.monotonic()
        if now >= self._next_sweep:
            self._next_sweep = now + _SWEEP_EVERY
            self._MemoryStorage__expire_events()  # type: ignore[attr-defined]


# ``Storage.__init_subclass__`` wraps these methods in an error translator for every subclass,
# so a subclass of MemoryStorage would run its (already wrapped) methods through a second
# layer on every hit. In-process counting has no storage errors to translate (whatever it
# raises is one of ``base_exceptions``, which ``RateLimits.acquire`` catches as it catches
# ``StorageError``): use the plain methods, which saves ~0.9 us per limit checked.
for _name in (
    "incr",
    "get",
    "get_expiry",
    "check",
    "reset",
    "clear",
    "acquire_sliding_window_entry",
    "get_sliding_window",
    "clear_sliding_window",
):
    setattr(InlineExpiryMemoryStorage, _name, inspect.unwrap(getattr(MemoryStorage, _name)))


def _open_storage(uri: str) -> Storage:
    if uri.split(":", 1)[0] == "memory":
        return InlineExpiryMemoryStorage(uri, wrap_exceptions=True)
    options: dict[str, float | str | bool] = {"wrap_exceptions": True}
    if uri.split(":", 1)[0] in ("redis", "rediss", "redis+unix"):
        options |= {"socket_timeout": _REDIS_TIMEOUT, "socket_connect_timeout": _REDIS_TIMEOUT}
    storage = storage_from_string(uri, **options)
    if not isinstance(storage, Storage):
        raise ValueError(f"rate limit storage {uri!r} is asynchronous; use a synchronous scheme")
    return storage


def _failure_types(storage: Storage) -> tuple[type[BaseException], ...]:
    base = storage.base_exceptions
    return (StorageError, *(base if isinstance(base, tuple) else (base,)))
