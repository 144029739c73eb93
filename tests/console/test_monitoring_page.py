"""``/console/monitoring`` on the real app: the org's per-minute counters (written to
``monitoring.db`` as the collector's processes write them) as charts and tables for the last
hour, day and week, narrowed by inlet or dataset, the per-dataset lake totals, and org
scoping."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

from starlette.testclient import TestClient

from collector.control.settings import Settings
from collector.monitoring.observer import monitoring_db
from collector.monitoring.series import MinuteCounters, ttp_bucket
from tests.conftest import INLET, ORG, WEB, web_event
from tests.console.signed import OTHER_ORG, sign_in


def totals(page: str) -> dict[str, int]:
    found = re.findall(r'<dd data-metric="(\w+)">(\d+)</dd>', page)
    return {name: int(value) for name, value in found}


def table(page: str, chart: str) -> list[list[str]]:
    body = re.search(rf'<table id="table-{chart}">.*?<tbody>(.*?)</tbody>', page, re.S)
    assert body is not None, page
    return [
        re.findall(r"<t[hd][^>]*>([^<]*)</t[hd]>", row)
        for row in re.findall(r"<tr>(.*?)</tr>", body.group(1))
    ]


def test_the_series_numbers_on_the_page(client: TestClient, settings: Settings) -> None:
    assert client.post(f"/collection/{INLET}", json=web_event()).status_code == 200
    minute = (int(time.time()) // 60 - 2) * 60
    counters = MinuteCounters(monitoring_db(settings), clock=lambda: float(minute))
    counters.add("received", 7, org=ORG, inlet=INLET)
    counters.add("accepted", 5, org=ORG, inlet=INLET, dataset=WEB)
    counters.add("failed:invalid", 2, org=ORG, inlet=INLET, dataset=WEB)
    counters.add("rejected:400", 1, org=ORG, inlet=INLET)
    counters.add("rejected:413", 2, org=ORG, inlet=INLET)
    counters.add("throttled", 4, org=ORG, inlet=INLET)
    counters.add(ttp_bucket(80), 9, org=ORG, dataset=WEB)
    counters.add(ttp_bucket(4000), 1, org=ORG, dataset=WEB)
    counters.add("received", 1000, org=OTHER_ORG, inlet="b" * 64)
    counters.close()

    assert client.get("/console/monitoring", follow_redirects=False).status_code == 303
    sign_in(client, settings, "viewer")
    page = client.get("/console/monitoring")
    assert page.status_code == 200
    for control in re.findall(r'<(?:input|select) id="([^"]+)"', page.text):
        assert f'<label for="{control}">' in page.text
    assert 'href="/console/monitoring" aria-current="page">Monitoring' in page.text
    expected = {"received": 7, "accepted": 5, "failed": 2, "rejected": 3, "throttled": 4}
    assert totals(page.text) == expected
    assert page.text.count('<svg id="chart-') == 2 and "<polyline" in page.text

    label = datetime.fromtimestamp(minute, UTC).strftime("%H:%M")
    rows = table(page.text, "messages")
    assert len(rows) == 60 and rows[0][0] != label
    assert [r for r in rows if r[0] == label] == [[label, "7", "5", "2", "3", "4"]]
    assert [r for r in rows if r[0] != label and r[1:] != ["0"] * 5] == []
    latency = table(page.text, "latency")
    assert [r for r in latency if r[0] == label] == [[label, "100", "5000"]]
    assert {tuple(r[1:]) for r in latency if r[0] != label} == {("—", "—")}

    week = client.get("/console/monitoring", params={"range": "week"})
    assert totals(week.text) == expected and len(table(week.text, "messages")) == 168
    day = client.get("/console/monitoring", params={"range": "day"})
    assert totals(day.text) == expected and len(table(day.text, "messages")) == 96
    by_dataset = client.get("/console/monitoring", params={"dataset": WEB})
    assert totals(by_dataset.text) == {**dict.fromkeys(expected, 0), "accepted": 5, "failed": 2}
    by_inlet = client.get("/console/monitoring", params={"inlet": INLET})
    assert totals(by_inlet.text) == expected

    datasets = re.search(r'<table id="datasets">.*?</table>', page.text, re.S)
    assert datasets is not None
    web_row = re.search(rf"{WEB}</span></th><td>(\d+)</td><td>(\d+)</td>", datasets.group(0))
    assert web_row is not None and web_row.groups() == ("1", "0")  # the lake's lines

    bad = client.get("/console/monitoring", params={"range": "year"})
    assert bad.status_code == 400 and "hour, day or week" in bad.text
    assert client.get("/console/monitoring", params={"dataset": "0" * 24}).status_code == 404
    assert client.get("/console/monitoring", params={"inlet": "c" * 64}).status_code == 404

    sign_in(client, settings, "admin", OTHER_ORG)
    other = client.get("/console/monitoring")
    assert totals(other.text) == {**dict.fromkeys(expected, 0), "received": 1000}
    assert WEB not in other.text
    assert client.get("/console/monitoring", params={"dataset": WEB}).status_code == 404
