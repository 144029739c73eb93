"""The projector's page cache is larger only while it catches up (full batches)."""

from __future__ import annotations

import dataclasses

from collector.control.settings import Settings
from collector.profile import store
from collector.profile.projector import CATCH_UP_CACHE_MB, Projector
from tests.profile.lakefixture import Lake, ids


def _cache_mb(projector: Projector) -> int:
    (pages,) = projector.conn.execute("PRAGMA cache_size").fetchone()
    return int(-pages // 1024)


def test_full_batches_get_the_catch_up_cache_and_the_rest_the_usual_one(
    settings: Settings,
) -> None:
    small = dataclasses.replace(settings, projector_batch_size=2)
    lake = Lake(small)
    for n in range(5):
        lake.event(ids(ECID=f"e{n % 2}"), event_id=f"v{n}")
    projector = Projector(small)
    try:
        assert _cache_mb(projector) == store.CACHE_MB
        sizes = []
        for _ in range(4):
            projector.step()
            sizes.append(_cache_mb(projector))
        assert sizes == [CATCH_UP_CACHE_MB, CATCH_UP_CACHE_MB, store.CACHE_MB, store.CACHE_MB]
        lake.event(ids(ECID="e9"), event_id="v9")
        lake.event(ids(ECID="e9"), event_id="v10")
        assert projector.step() == 2
        assert _cache_mb(projector) == CATCH_UP_CACHE_MB
        assert projector.step() == 0  # nothing pending: back to the usual cache
        assert _cache_mb(projector) == store.CACHE_MB
        (count,) = projector.conn.execute("SELECT COUNT(*) FROM experience_events").fetchone()
        assert count == 7
    finally:
        projector.close()
