"""The lake is a contract for engines: DuckDB reads every acknowledged message, with the
partition columns, using the README's snippet as written."""

from __future__ import annotations

import datetime
import os
import re
from pathlib import Path
from typing import Any

import orjson
from starlette.testclient import TestClient

from collector.control.settings import Settings
from collector.lake.layout import HOUR_MS
from collector.lake.writer import Lake, LakeEntry
from tests.conftest import INLET, WEB, web_event

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_snippet() -> str:
    text = README.read_text()
    section = text[text.index("## Read the lake") :]
    section = section[: section.index("\n## ", 1)]
    return re.findall(r"```python\n(.*?)```", section, re.S)[0]


def run_snippet(settings: Settings) -> list[tuple[Any, ...]]:
    """The README's DuckDB snippet, run from the data directory's parent."""
    scope: dict[str, Any] = {}
    here = os.getcwd()
    os.chdir(settings.data_dir.parent)
    try:
        exec(readme_snippet(), scope)
    finally:
        os.chdir(here)
    rows: list[tuple[Any, ...]] = scope["rows"]
    return rows


def test_duckdb_reads_every_acked_message(client: TestClient, settings: Settings) -> None:
    assert settings.data_dir.name == "data" and WEB == "5e0000000000000000000001"
    acked = []
    for n in range(3):
        r = client.post(f"/collection/{INLET}", json=web_event(eventType=f"e{n}"))
        assert r.status_code == 200
        acked.append((r.json()["xactionId"], r.json()["receivedTimeMs"]))
    batch = {"messages": [web_event(eventType="b0"), web_event(eventType="b1")]}
    r = client.post(f"/collection/batch/{INLET}", json=batch)
    assert r.status_code == 207
    acked += [(x["xactionId"], r.json()["receivedTimeMs"]) for x in r.json()["responses"]]
    # an earlier hour of the same dataset, written by the lake writer itself
    earlier_ms = acked[0][1] - 5 * HOUR_MS
    line = {"xactionId": "earlier-1", "receivedTimeMs": earlier_ms, "datasetId": WEB}
    line["entity"] = {"_id": "earlier", "eventType": "old"}
    lake = Lake(settings)
    try:
        lake.append_blocking([LakeEntry(WEB, earlier_ms, orjson.dumps(line))])
    finally:
        lake.close()
    acked.insert(0, ("earlier-1", earlier_ms))

    rows = run_snippet(settings)

    assert [row[2] for row in rows] == [xaction_id for xaction_id, _ in acked]
    for (date, hour, *_), (_, received_ms) in zip(rows, acked, strict=True):
        at = datetime.datetime.fromtimestamp(received_ms / 1000, datetime.UTC)
        assert (date, hour) == (at.date(), at.hour)
    assert [row[4] for row in rows] == ["old", "e0", "e1", "e2", "b0", "b1"]
    assert rows[0][3] == "earlier"


def test_duckdb_sees_a_new_line_once_acknowledged(client: TestClient, settings: Settings) -> None:
    client.post(f"/collection/{INLET}", json=web_event())
    assert len(run_snippet(settings)) == 1
    client.post(f"/collection/{INLET}", json=web_event())
    assert len(run_snippet(settings)) == 2
