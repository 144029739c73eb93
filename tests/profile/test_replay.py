from __future__ import annotations

import dataclasses
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from collector.control.settings import Settings
from collector.profile import erasure, ledger
from collector.profile.projector import Projector, ProjectorLocked, project_once, projector_lock
from collector.profile.replay import replay
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

REPO = Path(__file__).resolve().parents[2]


def _traffic(lake: Lake, start: int, count: int) -> None:
    """A mix of events and records of three datasets, with links between people."""
    for n in range(start, start + count):
        person = n % 7
        identity_map = ids(ECID=f"device{person}-{n % 2}")
        if n % 5 == 0:
            identity_map["Email"] = [{"id": f"person{person}@example.com", "primary": True}]
        lake.event(
            identity_map,
            event_id=f"evt-{n}",
            eventType="web.webpagedetails.pageViews",
            web={"webPageDetails": {"URL": f"https://shop.example.com/p{n % 4}"}},
        )
        if n % 4 == 0:
            lake.record(
                {
                    "identityMap": ids(Email=f"person{person}@example.com"),
                    "person": {"name": {"firstName": f"P{person}", "lastName": f"L{n}"}},
                    "tags": [n],
                },
                dataset_id=RECORDS if n % 8 else OTHER_RECORDS,
            )


def test_replay_rebuilds_the_same_store_as_the_live_projector(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, projector_batch_size=4)
    make_control(settings)
    lake = Lake(settings)
    live = Projector(settings)
    # The live projector sees the lake grow in many small rounds.
    for round_start in range(0, 60, 6):
        _traffic(lake, round_start, 6)
        live.step()
    live.catch_up()
    live.close()
    before = dump(settings.profile_db_path)
    assert len(before["profiles"]) >= 7 and len(before["experience_events"]) == 60
    assert before["profile_merges"]  # the traffic did link graphs

    result = replay(settings)
    assert result.lines > 0
    assert dump(settings.profile_db_path) == before
    # The swapped-in store is a normal WAL store the projector can continue.
    _traffic(lake, 60, 5)
    assert project_once(settings) > 0
    conn = connect_writer(settings.profile_db_path)
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    conn.close()


def test_an_erasure_survives_replay(tmp_path: Path) -> None:
    now = [BASE_MS + 1_000]
    settings = settings_for(tmp_path)
    make_control(settings)
    lake = Lake(settings)
    lake.event(ids(ECID="jane-laptop"), event_id="j1", received_ms=BASE_MS + 1)
    lake.event(
        ids(ECID="jane-laptop", Email="jane@example.com"), event_id="j2", received_ms=BASE_MS + 2
    )
    lake.record(
        {"identityMap": ids(Email="jane@example.com"), "person": {"gender": "f"}},
        received_ms=BASE_MS + 3,
    )
    lake.event(ids(ECID="bob"), event_id="b1", received_ms=BASE_MS + 4)
    project_once(settings)

    conn = connect_writer(settings.profile_db_path)
    key = ledger.secret(settings.data_dir)
    erased = erasure.erase(conn, key, ORG, "Email", "jane@example.com", now[0])
    conn.close()
    assert erased.profile_id is not None and erased.events == 2
    assert sorted(erased.identities) == [("ecid", "jane-laptop"), ("email", "jane@example.com")]
    assert rows(settings, "SELECT namespace, id FROM identities") == [("ecid", "bob")]
    assert rows(settings, "SELECT COUNT(*) FROM profile_fragments") == [(0,)]

    # Sent before the erasure but projected after it (lag): skipped. Sent after: a new profile.
    lake.event(ids(ECID="jane-laptop"), event_id="late", received_ms=BASE_MS + 500)
    lake.event(ids(ECID="jane-laptop"), event_id="after", received_ms=BASE_MS + 2_000)
    project_once(settings)
    live = dump(settings.profile_db_path)
    assert [r for r in live["experience_events"] if "jane" in str(r)] != []
    assert rows(settings, "SELECT event_id FROM experience_events ORDER BY event_id") == [
        ("after",),
        ("b1",),
    ]

    replay(settings)
    replayed = dump(settings.profile_db_path)
    # Bookkeeping differs by design: live applied Jane's messages before erasing them (counted,
    # and their xactionIds remembered), the replay skipped them. Everything else is identical.
    bookkeeping = {"projector_counters", "applied_records"}
    assert {k: v for k, v in replayed.items() if k not in bookkeeping} == {
        k: v for k, v in live.items() if k not in bookkeeping
    }
    assert dict(replayed["projector_counters"])["erased_skipped"] == 4  # type: ignore[call-overload]
    assert rows(settings, "SELECT COUNT(*) FROM erasure_ledger") == [(2,)]
    # The ledger holds keyed hashes, never the identities.
    assert "jane" not in str(rows(settings, "SELECT * FROM erasure_ledger"))


def test_replay_of_some_datasets_then_catch_up(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    make_control(settings)
    lake = Lake(settings)
    _traffic(lake, 0, 16)
    project_once(settings)
    full = dump(settings.profile_db_path)

    replay(settings, [RECORDS])
    assert rows(settings, "SELECT DISTINCT dataset_id FROM profile_fragments") == [(RECORDS,)]
    assert rows(settings, "SELECT COUNT(*) FROM experience_events") == [(0,)]
    project_once(settings)  # the other datasets are projected from their beginning
    assert dump(settings.profile_db_path)["experience_events"] == full["experience_events"]


def test_replay_refuses_while_a_projector_runs(settings: Settings) -> None:
    with projector_lock(settings), pytest.raises(ProjectorLocked):
        replay(settings)


def test_a_projector_killed_mid_run_resumes_exactly_once(tmp_path: Path) -> None:
    settings = settings_for(tmp_path / "killed", projector_batch_size=200)
    make_control(settings)
    lake = Lake(settings)
    _traffic(lake, 0, 3_000)
    code = (
        "import sys; from pathlib import Path; from collector.control.settings import Settings;"
        "from collector.profile.projector import project_once;"
        "project_once(Settings(data_dir=Path(sys.argv[1]), schemas_dir=Path(sys.argv[2]),"
        " projector_batch_size=200))"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    child = subprocess.Popen(
        [sys.executable, "-c", code, str(settings.data_dir), str(settings.schemas_dir)], env=env
    )
    deadline = time.monotonic() + 60
    progressed = 0
    while time.monotonic() < deadline and child.poll() is None:
        if settings.profile_db_path.exists():
            try:
                progressed = rows(settings, "SELECT COUNT(*) FROM experience_events")[0][0]
            except Exception:
                progressed = 0
            if progressed >= 400:
                break
        time.sleep(0.01)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL  # killed mid-run, not finished
    assert 0 < rows(settings, "SELECT COUNT(*) FROM experience_events")[0][0] < 3_000

    project_once(settings)
    clean = dataclasses.replace(settings, data_dir=tmp_path / "clean")
    shutil.copytree(settings.lake_dir, clean.lake_dir)
    shutil.copy(settings.control_db_path, clean.control_db_path)
    project_once(clean)
    killed, reference = dump(settings.profile_db_path), dump(clean.profile_db_path)
    assert len(reference["experience_events"]) == 3_000
    assert killed == reference
