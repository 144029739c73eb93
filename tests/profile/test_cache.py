"""The projector's in-memory graph rows and its optimistic duplicate check change no result."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from collector.control.settings import Settings
from collector.profile import erasure, ledger, merge
from collector.profile.projector import Projector, project_once
from collector.profile.store import connect_writer
from tests.profile.lakefixture import (
    BASE_MS,
    ORG,
    OTHER_RECORDS,
    RECORDS,
    Lake,
    dump,
    ids,
    make_control,
    rows,
    settings_for,
)


def _traffic(lake: Lake, start: int, count: int) -> None:
    for n in range(start, start + count):
        person = n % 5
        identity_map = ids(ECID=f"device{person}-{n % 3}")
        if n % 4 == 0:
            identity_map["Email"] = [{"id": f"p{person}@example.com", "primary": n % 8 == 0}]
        lake.event(identity_map, event_id=f"evt-{n}")
        if n % 6 == 0:
            lake.record(
                {"identityMap": ids(Email=f"p{person}@example.com"), "n": {"v": n}, "k": [n]},
                dataset_id=RECORDS if n % 12 else OTHER_RECORDS,
            )


def _live(root: Path, cache: int, rounds: int = 8) -> Settings:
    """A projector that stays up while the lake grows, with a cache of ``cache`` identities."""
    settings = settings_for(root, projector_batch_size=3, projector_cache_identities=cache)
    make_control(settings)
    lake = Lake(settings)
    projector = Projector(settings)
    for r in range(rounds):
        _traffic(lake, r * 7, 7)
        projector.step()
    projector.catch_up()
    projector.close()
    return settings


def test_any_cache_size_builds_the_same_store(tmp_path: Path) -> None:
    built = [dump(_live(tmp_path / str(size), size).profile_db_path) for size in (0, 2, 10_000)]
    assert built[0]["profile_merges"]  # the traffic links graphs across batches
    assert built[0] == built[1] == built[2]


def test_an_erasure_by_another_connection_reaches_a_running_projector(
    settings: Settings, lake: Lake
) -> None:
    projector = Projector(settings)
    lake.event(ids(ECID="jane-laptop", Email="jane@example.com"), received_ms=BASE_MS + 1)
    projector.step()
    conn = connect_writer(settings.profile_db_path)
    key = ledger.secret(settings.data_dir)
    erased = erasure.erase(conn, key, ORG, "Email", "jane@example.com", BASE_MS + 10)
    assert erased.profile_id is not None
    conn.close()

    lake.event(ids(ECID="jane-laptop"), event_id="back", received_ms=BASE_MS + 20)
    assert projector.step() == 1
    projector.close()
    # A new profile with its own rows, not the erased one the projector had seen.
    assert rows(
        settings,
        "SELECT p.identity_count, e.event_id FROM identities i JOIN profiles p"
        " ON p.id = i.profile_id JOIN experience_events e ON e.profile_id = p.id",
    ) == [(1, "back")]


def test_a_duplicate_event_links_nothing_even_in_a_later_batch(
    settings: Settings, lake: Lake
) -> None:
    projector = Projector(settings)
    lake.event(ids(ECID="a"), event_id="v1")
    projector.step()
    lake.event(ids(ECID="a", Email="x@example.com"), event_id="v1")  # same _id, new identity
    lake.event(ids(ECID="b"), event_id="v2")
    assert projector.step() == 2
    projector.close()
    assert rows(settings, "SELECT namespace, id FROM identities ORDER BY id") == [
        ("ecid", "a"),
        ("ecid", "b"),
    ]
    assert rows(settings, "SELECT event_id FROM experience_events ORDER BY event_id") == [
        ("v1",),
        ("v2",),
    ]
    counters = dict(rows(settings, "SELECT name, value FROM projector_counters"))
    assert counters["duplicate_events"] == 1 and counters["events_applied"] == 2


def test_a_failed_batch_leaves_nothing_cached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real: Callable[..., object] = merge.stamp

    def fragile(entity: dict[str, object], *args: object) -> object:
        if entity.get("poison"):
            raise RuntimeError("boom")
        return real(entity, *args)

    monkeypatch.setattr(merge, "stamp", fragile)

    def build(root: Path, live: bool) -> Path:
        settings = settings_for(root, projector_batch_size=4)
        make_control(settings)
        lake = Lake(settings)
        projector = Projector(settings) if live else None
        for n in range(6):
            lake.event(ids(ECID=f"d{n}", Email=f"p{n % 2}@example.com"), event_id=f"v{n}")
            if n == 2:  # links a new identity, then fails: the batch is applied one by one
                lake.record({"identityMap": ids(ECID=["d0", "fresh"]), "poison": True})
            lake.event(ids(ECID=["fresh", f"d{n}"]), event_id=f"w{n}")
            if projector is not None:
                projector.step()
            else:
                project_once(settings)
        if projector is not None:
            projector.catch_up()
            projector.close()
        return settings.profile_db_path

    live, fresh = dump(build(tmp_path / "live", True)), dump(build(tmp_path / "fresh", False))
    assert dict(live["projector_counters"])["failed_messages"] == 1  # type: ignore[call-overload]
    assert live == fresh


def test_the_cache_is_bounded(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, projector_cache_identities=8)
    make_control(settings)
    lake = Lake(settings)
    projector = Projector(settings)
    for n in range(40):
        lake.event(ids(ECID=f"v{n}"))
        projector.step()
        assert len(projector.cache) <= 8
    projector.close()
    assert rows(settings, "SELECT COUNT(*) FROM identities") == [(40,)]


def test_returning_visitors_and_a_merge_of_their_graphs_in_one_batch(tmp_path: Path) -> None:
    """Profile rows are read only for messages that can change a graph; the rest still land."""

    def build(root: Path, cache: int, batch: int) -> dict[str, list[tuple[object, ...]]]:
        settings = settings_for(root, projector_cache_identities=cache, projector_batch_size=batch)
        make_control(settings)
        lake = Lake(settings)
        projector = Projector(settings)
        for name in ("a", "b", "c"):
            lake.event(ids(ECID=name), event_id=f"first-{name}")
        projector.step()
        lake.event(ids(ECID="a"), event_id="again-a")  # a returning visitor: no profile read
        lake.event(ids(ECID="b", Email="b@example.com"), event_id="b-mail")  # one new identity
        lake.event(ids(ECID=["a", "b"]), event_id="ab")  # merges two stored graphs
        lake.event(ids(ECID="b"), event_id="again-b")
        lake.record({"identityMap": ids(ECID="c"), "v": 1})
        lake.event(ids(ECID=["c", "a"]), event_id="ca")
        projector.catch_up()
        projector.close()
        return dump(settings.profile_db_path)

    together = build(tmp_path / "together", 10_000, 1_000)
    assert together == build(tmp_path / "uncached", 0, 1_000)
    assert together == build(tmp_path / "one-by-one", 10_000, 1)
    [(_, _org, _sandbox, _, count, *_)] = together["profiles"]
    assert count == 4  # a, b, b@example.com, c in one graph
