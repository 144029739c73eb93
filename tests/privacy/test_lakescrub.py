"""Privacy jobs against real lake files: what is rewritten, what waits, what is kept."""

from __future__ import annotations

import time
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from collector.cli import main
from collector.control import audit
from collector.control import sqlite as control_sqlite
from collector.control.settings import Settings
from collector.lake import rotation
from collector.lake.segments import read_records, segments
from collector.lake.writer import Lake as LakeWriter
from collector.lake.writer import LakeEntry
from collector.privacy import jobs
from collector.privacy.runner import JobRunner
from collector.profile.projector import Projector
from collector.profile.store import ProfileStore, connect_reader
from tests.profile.lakefixture import (
    BASE_MS,
    EVENTS,
    NOT_PROFILE,
    ORG,
    Lake,
    ids,
    make_control,
    rows,
    settings_for,
)

JANE = "jane@example.com"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    s = settings_for(tmp_path)
    make_control(s)
    return s


@pytest.fixture
def lake(settings: Settings) -> Lake:
    return Lake(settings)


def _cli(settings: Settings, *args: str) -> str:
    result = CliRunner().invoke(main, [*args, "--data-dir", str(settings.data_dir)])
    assert result.exit_code == 0, result.output
    return result.output


def _erase(settings: Settings, email: str = JANE) -> str:
    out = _cli(
        settings, "profiles", "erase", "--org", ORG, "--ns", "Email", "--id", email, "--json"
    )
    job_id: str = orjson.loads(out)["jobId"]
    return job_id


def _job(settings: Settings, job_id: str) -> jobs.Job:
    conn = connect_reader(settings.profile_db_path)
    try:
        found = jobs.get(conn, job_id)
    finally:
        conn.close()
    assert found is not None
    return found


def _lines(settings: Settings) -> list[dict[str, object]]:
    return [r for p in segments(settings.lake_dir) for r in read_records(p)]


def test_only_the_persons_acked_lines_of_that_org_leave_the_lake(
    settings: Settings, lake: Lake
) -> None:
    lake.event(ids(ECID="jane-laptop", Email=JANE), event_id="j1", received_ms=BASE_MS + 1)
    lake.event(ids(ECID="jane-laptop"), event_id="j2", received_ms=BASE_MS + 2)  # same graph
    lake.event(ids(ECID="bob"), event_id="b1", received_ms=BASE_MS + 3)
    other = lake.line(EVENTS, {"_id": "o1", "identityMap": ids(Email=JANE)})
    other["orgId"] = "OTHER@AdobeOrg"  # the same address in another org is another person
    lake.write(EVENTS, other)
    lake.event(ids(Email=JANE), event_id="nope", dataset_id=NOT_PROFILE)  # not profile-enabled
    projector = Projector(settings)
    try:
        projector.catch_up()
        job_id = _erase(settings)
        # Sent after the job was created: new data, ingested again (as AEP does).
        lake.event(ids(Email=JANE), event_id="later", received_ms=int(time.time() * 1000) + 60_000)
        runner = JobRunner(projector, settings, settle_seconds=0)
        assert runner.run_pending() == 0  # the new line is not read by the projector yet
        assert _job(settings, job_id).status == "processing"
        projector.catch_up()
        assert runner.run_pending() == 1
        # The projector's checkpoints follow the rewritten segments.
        for segment, offset in rows(settings, "SELECT segment, offset FROM checkpoints"):
            assert (settings.lake_dir / segment).stat().st_size == offset
            assert projector.tail.offsets[segment] == offset
        assert projector.catch_up() == 0
    finally:
        projector.close()

    kept = sorted(str(r["entity"]["_id"]) for r in _lines(settings))  # type: ignore[index]
    assert kept == ["b1", "later", "o1"]
    done = _job(settings, job_id)
    assert done.status == "complete" and done.identity is None
    assert done.result["lakeLines"] == 3 and done.result["identitiesErased"] == 2
    assert rows(settings, "SELECT org_id, namespace, id FROM identities ORDER BY 1, 3") == [
        (ORG, "ecid", "bob"),
        (ORG, "email", JANE),  # "later": a new profile
        ("OTHER@AdobeOrg", "email", JANE),
    ]
    listed = orjson.loads(_cli(settings, "privacy", "jobs", "--json"))
    assert [j["jobId"] for j in listed] == [job_id] and listed[0]["status"] == "complete"
    assert job_id in _cli(settings, "privacy", "jobs")
    shown = orjson.loads(_cli(settings, "privacy", "show", job_id))
    assert shown["userIds"] == [
        {"namespace": "email", "type": "standard", "isDeletedClientSide": False, "value": None}
    ]
    conn = control_sqlite.connect(settings.control_db_path)
    try:
        logged = audit.entries(conn, object_type="privacy_job", object_id=job_id)
    finally:
        conn.close()
    assert [e.action for e in logged] == ["privacy.erase.request", "privacy.erase.complete"]
    assert logged[0].actor.startswith("cli:") and logged[0].org_id == ORG
    assert JANE not in str([e.to_dict() for e in logged])


def test_a_segment_a_writer_holds_waits_for_the_writer_to_rotate(settings: Settings) -> None:
    writer = LakeWriter(settings)
    try:
        line = Lake(settings).line(EVENTS, {"_id": "j", "identityMap": ids(Email=JANE)})
        bob = Lake(settings).line(EVENTS, {"_id": "b", "identityMap": ids(Email="bob@x.example")})
        now = int(time.time() * 1000)
        line["receivedTimeMs"] = bob["receivedTimeMs"] = now - 1000
        writer.append_blocking(
            [LakeEntry(EVENTS, now - 1000, orjson.dumps(d)) for d in (line, bob)]
        )
        [held] = segments(settings.lake_dir)
        projector = Projector(settings)
        try:
            projector.catch_up()
            job_id = _erase(settings)
            runner = JobRunner(projector, settings, settle_seconds=0)
            assert runner.run_pending() == 0
            job = _job(settings, job_id)
            assert job.status == "processing" and "still open" in job.result["waiting"]
            assert (settings.data_dir / rotation.FILE).exists()
            assert [str(r["entity"]["_id"]) for r in read_records(held)] == ["j", "b"]  # type: ignore[index]
            deadline = time.monotonic() + 10
            while runner.run_pending() == 0:  # the writer closes it within half a second
                assert time.monotonic() < deadline, "the writer did not rotate"
                time.sleep(0.2)
        finally:
            projector.close()
        assert [str(r["entity"]["_id"]) for r in read_records(held)] == ["b"]  # type: ignore[index]
        # The writer goes on in a new segment.
        writer.append_blocking([LakeEntry(EVENTS, now, orjson.dumps(bob))])
        assert len(segments(settings.lake_dir)) == 2
    finally:
        writer.close()


def test_bad_requests_and_no_projector(settings: Settings) -> None:
    result = CliRunner().invoke(
        main,
        [
            "profiles",
            "erase",
            "--org",
            ORG,
            "--ns",
            "email",
            "--id",
            " ",
            "--data-dir",
            str(settings.data_dir),
        ],
    )
    assert result.exit_code != 0 and "identity" in result.output
    missing = CliRunner().invoke(
        main, ["privacy", "show", "nope", "--data-dir", str(settings.data_dir)]
    )
    assert missing.exit_code != 0 and "no privacy job" in missing.output
    # Without a running projector a job waits; the API shows it as processing.
    store = ProfileStore.open(settings)
    job_id = _erase(settings)
    with store.reader() as conn:
        found = jobs.get(conn, job_id, ORG)
        assert found is not None and found.status == "processing"
        assert jobs.get(conn, job_id, "OTHER@AdobeOrg") is None
