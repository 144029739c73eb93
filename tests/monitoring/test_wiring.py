"""Monitoring wired into the app: the series, /metrics, /monitoring/series, the access log."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from collector.app import create_app
from collector.cli import main
from collector.control.settings import Settings
from tests.access import grant
from tests.conftest import INLET, ORG, WEB, web_event
from tests.server import LiveServer

BATCH = f"/collection/batch/{INLET}"


def _invalid() -> dict[str, Any]:
    message = web_event()
    message["body"]["xdmEntity"]["web"] = {"webPageDetails": {"name": 5}}
    return message


def _series(client: TestClient, headers: dict[str, str], **query: str) -> dict[str, int]:
    client.app.state.observer.flush()  # type: ignore[attr-defined]
    r = client.get("/monitoring/series", params=query, headers=headers)
    assert r.status_code == 200, r.text
    return {row["metric"]: sum(v for _, v in row["points"] if v) for row in r.json()["series"]}


def test_a_batch_is_counted_in_its_minute_and_in_the_metrics(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        reader = grant(settings.control_db_path, ORG, ["monitoring:read"]).headers
        minute = int(time.time()) // 60 * 60
        r = client.post(BATCH, json={"messages": [web_event(), _invalid()]})
        assert r.status_code == 207
        assert client.post(f"/collection/{INLET}", content=b"{").status_code == 400
        totals = _series(client, reader, start=str(minute - 60), end=str(minute + 120))
        assert totals["received"] == 2
        assert totals["accepted"] == 1
        assert totals["failed:invalid"] == 1
        assert totals["bytes"] > 0
        assert totals["rejected:400"] == 1
        by_dataset = _series(client, reader, dataset=WEB)
        assert by_dataset == {"accepted": 1, "failed:invalid": 1}
        other = grant(settings.control_db_path, "OTHER@AdobeOrg", ["monitoring:read"]).headers
        assert _series(client, other) == {}

        metrics = client.get("/metrics", headers={"authorization": reader["Authorization"]})
        assert metrics.status_code == 200
        text = metrics.text
        route = 'route="/collection/batch/{inlet_id}"'
        assert f'http_requests_total{{code="207",method="POST",{route}}} 1.0' in text
        assert f'collector_messages_total{{dataset="{WEB}",outcome="accepted"}} 1.0' in text
        assert f'collector_messages_total{{dataset="{WEB}",outcome="failed"}} 1.0' in text
        assert "collector_lake_fsync_seconds_count 1.0" in text


def test_metrics_need_a_monitoring_token_unless_public(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        assert client.get("/metrics").status_code == 401
        wrong = grant(settings.control_db_path, ORG, ["profile:read"]).headers
        assert client.get("/metrics", headers=wrong).status_code == 403
    public = Settings(**{**settings.__dict__, "metrics_public": True})
    with TestClient(create_app(public)) as client:
        assert client.get("/metrics").status_code == 200


@pytest.mark.parametrize(
    "query",
    [{"step": "30"}, {"step": "61"}, {"start": "10", "end": "5"}, {"start": "x"},
     {"start": "0", "end": "9000000", "step": "60"}, {"inlet": "a/b"}, {"nope": "1"}],
)  # fmt: skip
def test_bad_series_queries_are_400(settings: Settings, query: dict[str, str]) -> None:
    with TestClient(create_app(settings)) as client:
        reader = grant(settings.control_db_path, ORG, ["monitoring:read"]).headers
        r = client.get("/monitoring/series", params=query, headers=reader)
        assert r.status_code == 400, r.text
        assert r.headers["content-type"] == "application/problem+json"
        assert client.get("/monitoring/series").status_code == 401


def test_collector_stats_prints_the_same_counts(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        client.post(BATCH, json={"messages": [web_event(), web_event(), _invalid()]})
    result = CliRunner().invoke(
        main, ["stats", "--since", "10m", "--json", "--data-dir", str(settings.data_dir)]
    )
    assert result.exit_code == 0, result.output
    totals = {
        row["metric"]: sum(v for _, v in row["points"] if v)
        for row in orjson.loads(result.output)["series"]
    }
    assert (totals["received"], totals["accepted"], totals["failed:invalid"]) == (3, 2, 1)
    table = CliRunner().invoke(
        main, ["stats", "--since", "10m", "--step", "1h", "--data-dir", str(settings.data_dir)]
    )
    assert table.exit_code == 0 and "received" in table.output.splitlines()[0]


@pytest.mark.slow
def test_two_workers_and_the_projector_share_one_metrics_endpoint(tmp_path: Path) -> None:
    """prometheus_client's multiprocess mode: every worker's samples are summed."""
    log = tmp_path / "access.jsonl"
    env = {"COLLECTOR_RUN_PROJECTOR": "true", "COLLECTOR_ACCESS_LOG": str(log)}
    with LiveServer(tmp_path / "data", workers=2, env=env) as live:
        token = grant(live.data_dir / "control.db", ORG, ["monitoring:read"])
        sent = 40
        for _ in range(sent):  # new connections spread over the two workers
            r = httpx.post(f"{live.base_url}/collection/{INLET}", json=web_event())
            assert r.status_code == 200
        bad = httpx.post(f"{live.base_url}/collection/{INLET}", content=b"{", headers={
            "content-type": "application/json", "x-request-id": "req-42"})  # fmt: skip
        assert bad.status_code == 400 and bad.json()["requestId"] == "req-42"
        deadline = time.monotonic() + 20
        while True:  # the projector reports once it has applied the events
            text = httpx.get(f"{live.base_url}/metrics", headers=token.headers).text
            if "collector_projector_lag_seconds" in text and "\ncollector_projector_lag" in text:
                break
            assert time.monotonic() < deadline, text
            time.sleep(0.2)
        for _ in range(5):  # whichever worker answers, the sums are the same
            text = httpx.get(f"{live.base_url}/metrics", headers=token.headers).text
            line = 'http_requests_total{code="200",method="POST",route="/collection/{inlet_id}"}'
            assert f"{line} {float(sent)}" in text
        pids = {p.name.split("_")[-1] for p in (live.data_dir / "metrics").glob("*.db")}
        assert len(pids) >= 2  # more than one process wrote samples
    lines = [orjson.loads(x) for x in log.read_bytes().splitlines()]
    assert any(e["requestId"] == "req-42" and e["status"] == 400 for e in lines)
    assert sum(1 for e in lines if e["route"] == "/collection/{inlet_id}") == sent + 1
