"""``collector failed list|show|groups`` over the failed records real requests left in the lake
(collector/monitoring/failures.py), and ``failed revalidate`` still working beside them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner, Result
from starlette.testclient import TestClient

from collector.cli import main
from collector.control.settings import Settings
from collector.monitoring import failures
from collector.monitoring.events import leaf_violations
from tests.conftest import INLET, WEB, web_event


def run(settings: Settings, *args: str, ok: bool = True) -> Result:
    result = CliRunner().invoke(main, ["failed", *args, "--data-dir", str(settings.data_dir)])
    if ok:
        assert result.exit_code == 0, result.output
    return result


def post(client: TestClient, message: Any) -> str:
    answer = client.post(f"/collection/{INLET}", json=message)
    xaction_id: str = answer.json().get("xactionId", "")
    return xaction_id


def item(sku: object) -> dict[str, Any]:
    return {"SKU": sku, "quantity": 1, "priceTotal": 1.0}


@pytest.fixture
def lake(client: TestClient) -> dict[str, str]:
    """Three kinds of failures, newest last: two type errors, items, an unknown format."""
    ids = {
        "first": post(client, web_event(eventType=5)),
        "second": post(client, web_event(eventType=6, web=3)),
        "items": post(client, web_event(productListItems=[item("a"), item(7), item(8)])),
        "good": post(client, web_event()),
    }
    answer = client.post(f"/collection/{INLET}", json={"not": "xdm"})
    assert answer.status_code == 400
    return ids


def test_list_newest_first_with_the_first_violation(settings: Settings, lake: dict) -> None:
    rows = json.loads(run(settings, "list", "--json").output)
    assert len(rows) == 4
    assert rows[0]["reason"] == "Message has unknown xdm format"
    assert rows[0]["violation"] is None
    assert [r["xactionId"] for r in rows[1:]] == [lake["items"], lake["second"], lake["first"]]
    assert rows[3]["violation"] == "#/eventType: expected type: String, found: Long"
    assert rows[3]["datasetId"] == WEB and rows[3]["time"].endswith("Z")
    table = run(settings, "list").output.splitlines()
    assert table[0].split() == ["time", "xactionId", "datasetId", "reason", "violation"]
    assert lake["first"] in table[4]


def test_list_filters(settings: Settings, lake: dict) -> None:
    def listed(*args: str) -> list[str]:
        return [r["xactionId"] for r in json.loads(run(settings, "list", "--json", *args).output)]

    assert len(listed("--reason", "UNKNOWN XDM")) == 1
    assert listed("--reason", "invalid", "--limit", "1") == [lake["items"]]
    assert len(listed("--dataset", WEB)) == 4
    assert listed("--dataset", "5e00000000000000000000ff") == []
    assert listed("--since", "2999-01-01") == []
    since = lake["second"].split(":")[0]
    assert listed("--since", since, "--reason", "invalid") == [lake["items"], lake["second"]]
    bad = run(settings, "list", "--since", "soon", ok=False)
    assert bad.exit_code == 2 and "--since" in bad.output
    assert "no failed messages" in run(settings, "list", "--since", "2999-01-01").output
    escape = run(settings, "list", "--dataset", "../..", ok=False)
    assert escape.exit_code == 2 and "dataset id" in escape.output


def test_show_prints_the_stored_record(settings: Settings, lake: dict) -> None:
    record = json.loads(run(settings, "show", lake["second"], "--json").output)
    assert record["xactionId"] == lake["second"]
    assert record["entity"]["web"] == 3
    leaves = leaf_violations(record["_validationErrors"])  # two: wrapped in a "#" entry
    assert {v["pointerToViolation"] for v in leaves} == {"#/eventType", "#/web"}
    text = run(settings, "show", lake["second"]).output
    assert "violation: #/web [type]" in text
    missing = run(settings, "show", "1700000000000:1:1", ok=False)
    assert missing.exit_code == 1 and "no failed record" in missing.output
    assert run(settings, "show", lake["good"], ok=False).exit_code == 1  # accepted, not failed


def test_groups_by_pointer_and_keyword_with_samples(settings: Settings, lake: dict) -> None:
    groups = json.loads(run(settings, "groups", "--json").output)
    by_rule = {(g["pointer"], g["keyword"], g["reason"]): g for g in groups}
    event_type = by_rule[("#/eventType", "type", None)]
    assert event_type["count"] == 2
    assert event_type["sampleXactionIds"] == [lake["second"], lake["first"]]
    skus = by_rule[("#/productListItems/*/SKU", "type", None)]
    assert (skus["count"], skus["sampleXactionIds"]) == (1, [lake["items"]])  # once per record
    assert by_rule[(None, None, "Message has unknown xdm format")]["count"] == 1
    assert groups[0] == event_type  # the largest first
    assert "#/eventType [type]" in run(settings, "groups").output


def test_groups_keep_three_samples(client: TestClient, settings: Settings) -> None:
    for n in range(5):
        post(client, web_event(eventType=n))
    (group,) = failures.groups(settings.lake_dir, WEB)
    assert group.count == 5 and len(group.samples) == 3


def test_revalidate_still_runs(settings: Settings, lake: dict) -> None:
    summary = json.loads(run(settings, "revalidate", "--dataset", WEB, "--json").output)
    assert summary["failedRecords"] == 3 and summary["stillInvalid"] == 3
