"""collector failed revalidate: promote failed records after a schema fix, exactly once."""

from __future__ import annotations

import fcntl
import json
import shutil
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from collector.app import create_app
from collector.control.plane import ControlPlane
from collector.control.settings import Settings
from collector.lake.segments import read_records, segments
from collector.lake.writer import Lake, LakeEntry
from collector.schemas import SchemaRegistry
from collector.schemas.cli import failed
from collector.schemas.failed import LEDGER, RevalidationError, revalidate
from tests.conftest import INLET, lake_records, web_event
from tests.conftest import WEB as WEB_DATASET
from tests.demo import with_demo

from .conftest import SCHEMAS, WEB

DATASET = "d" * 24
RECEIVED = 1_732_269_600_123
PROMOTED_AT = 1_800_000_000_000


def event(n: int, **extra: Any) -> dict[str, Any]:
    return {"_id": f"e-{n}", "timestamp": "2026-11-22T10:00:00Z", **extra}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    schemas = tmp_path / "schemas"
    shutil.copytree(SCHEMAS, schemas)
    settings = Settings(data_dir=tmp_path / "data", schemas_dir=schemas, run_projector=False)
    control = ControlPlane(settings.control_db_path)
    control.create_org("ACME@AdobeOrg", "Acme")
    control.create_dataset(org_id="ACME@AdobeOrg", name="Web", schema_id=WEB, dataset_id=DATASET)
    control.close()
    return settings


def write_failed(settings: Settings, registry: SchemaRegistry, entities: list[Any]) -> None:
    """Failed lines as the ingest pipeline writes them, plus one rejected for another reason."""
    lines = []
    for n, entity in enumerate(entities):
        record = {
            "xactionId": f"{RECEIVED}:1:{n}",
            "receivedTimeMs": RECEIVED,
            "inletId": "a" * 64,
            "datasetId": DATASET,
            "schemaId": WEB,
            "orgId": "ACME@AdobeOrg",
            "authenticatedRequest": False,
            "header": {"schemaRef": {"id": WEB}, "datasetId": DATASET},
            "entity": entity,
            "client": {"ip": None},
            "reason": "Message is invalid",
            "_validationErrors": registry.validate(WEB, entity),
        }
        assert record["_validationErrors"], entity
        lines.append(record)
    lines.append(
        {"xactionId": f"{RECEIVED}:1:99", "reason": "Message has unknown xdm format", "raw": "x"}
    )
    lake = Lake(settings)
    try:
        lake.append_blocking(
            [LakeEntry(f"_failed/{DATASET}", RECEIVED, orjson.dumps(r)) for r in lines]
        )
    finally:
        lake.close()


def accepted(settings: Settings) -> list[dict[str, Any]]:
    return [r for p in segments(settings.lake_dir, DATASET) for r in read_records(p)]


def fix_schema(settings: Settings) -> SchemaRegistry:
    """The schema fix: the demo tenant group learns a field the senders already use."""
    path = settings.schemas_dir / "fieldgroups" / "demo-web-events.schema.json"
    document = json.loads(path.read_text())
    tenant = document["definitions"]["demo-web-events"]["properties"]["_demo"]
    tenant["properties"]["favouriteColour"] = {"title": "Favourite colour", "type": "string"}
    path.write_text(json.dumps(document))
    return SchemaRegistry.load(settings.schemas_dir)


def test_promotes_what_the_fixed_schema_accepts_exactly_once(settings: Settings) -> None:
    before = SchemaRegistry.load(settings.schemas_dir)
    entities = [
        event(0, _demo={"favouriteColour": "blue"}),
        event(1, _demo={"favouriteColour": "green", "loggedIn": True}),
        event(2, _demo={"favouriteColour": 7}),
        {"timestamp": "2026-11-22T10:00:00Z"},
    ]
    write_failed(settings, before, entities)

    unchanged = revalidate(settings, DATASET, registry=before, clock_ms=lambda: PROMOTED_AT)
    assert (unchanged.failed, unchanged.promoted, len(unchanged.still_invalid)) == (4, [], 4)
    assert accepted(settings) == []

    fixed = fix_schema(settings)
    dry = revalidate(settings, DATASET, registry=fixed, dry_run=True)
    assert dry.promoted == [f"{RECEIVED}:1:0", f"{RECEIVED}:1:1"] and accepted(settings) == []

    result = revalidate(settings, DATASET, registry=fixed, clock_ms=lambda: PROMOTED_AT)
    assert result.promoted == [f"{RECEIVED}:1:0", f"{RECEIVED}:1:1"]
    assert sorted(result.still_invalid) == [f"{RECEIVED}:1:2", f"{RECEIVED}:1:3"]
    assert result.still_invalid[f"{RECEIVED}:1:2"][0]["message"] == (
        "expected type: String, found: Long"
    )
    lines = accepted(settings)
    assert [line["entity"] for line in lines] == entities[:2]
    first = lines[0]
    assert "reason" not in first and "_validationErrors" not in first
    assert first["promotedFromFailed"] is True and first["promotedTimeMs"] == PROMOTED_AT
    assert first["receivedTimeMs"] == RECEIVED and first["schemaId"] == WEB
    assert first["header"] == {"schemaRef": {"id": WEB}, "datasetId": DATASET}
    (segment,) = segments(settings.lake_dir, DATASET)
    assert "date=2027-01-15/hour=08" in str(segment)  # filed under the promotion hour

    again = revalidate(settings, DATASET, registry=fixed)
    assert (again.promoted, again.already_promoted, again.failed) == ([], 2, 4)
    assert len(accepted(settings)) == 2


def test_interrupted_run_is_settled_from_the_lake(settings: Settings) -> None:
    """A run died after the lake append, before its done lines: nothing is promoted twice."""
    write_failed(
        settings,
        SchemaRegistry.load(settings.schemas_dir),
        [event(0, _demo={"favouriteColour": "x"}), event(1, _demo={"favouriteColour": "y"})],
    )
    fixed = fix_schema(settings)
    revalidate(settings, DATASET, registry=fixed, clock_ms=lambda: PROMOTED_AT)
    ledger = settings.lake_dir / "_failed" / DATASET / LEDGER
    entries = [json.loads(line) for line in ledger.read_text().splitlines()]
    assert [e["state"] for e in entries] == ["intent", "intent", "done", "done"]
    # Keep the intents and the first promotion's done line, as if the run died halfway...
    ledger.write_text("".join(json.dumps(e) + "\n" for e in entries[:3]) + '{"xactionId": "torn')
    result = revalidate(settings, DATASET, registry=fixed)
    assert (result.promoted, result.already_promoted) == ([], 2)
    assert len(accepted(settings)) == 2
    # ...and when the lake append itself never happened, the record is promoted again.
    shutil.rmtree(settings.lake_dir / DATASET)
    ledger.write_text("".join(json.dumps(e) + "\n" for e in entries[:2]))
    result = revalidate(settings, DATASET, registry=fixed)
    assert len(result.promoted) == 2 and len(accepted(settings)) == 2


def test_unknown_dataset_and_concurrent_runs(settings: Settings) -> None:
    with pytest.raises(RevalidationError, match=r"dataset 0{24} not found"):
        revalidate(settings, "0" * 24)
    ledger = settings.lake_dir / "_failed" / DATASET / LEDGER
    ledger.parent.mkdir(parents=True)
    with ledger.open("a") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        with pytest.raises(RevalidationError, match="another revalidation"):
            revalidate(settings, DATASET)


def test_cli(settings: Settings) -> None:
    write_failed(
        settings,
        SchemaRegistry.load(settings.schemas_dir),
        [event(0, _demo={"favouriteColour": "x"})],
    )
    fix_schema(settings)
    runner = CliRunner()
    args = ["--data-dir", str(settings.data_dir), "--schemas-dir", str(settings.schemas_dir)]
    shown = runner.invoke(failed, ["revalidate", "--dataset", DATASET, "--dry-run", *args])
    assert shown.exit_code == 0, shown.output
    assert "1 invalid records, would promote 1, 0 promoted before, 0 still invalid" in shown.output
    done = runner.invoke(failed, ["revalidate", "--dataset", DATASET, "--json", *args])
    assert done.exit_code == 0, done.output
    summary = json.loads(done.output)
    assert (summary["promoted"], summary["promotedXactionIds"]) == (1, [f"{RECEIVED}:1:0"])
    missing = runner.invoke(failed, ["revalidate", "--dataset", "0" * 24, *args])
    assert missing.exit_code == 1 and "not found" in missing.output


def test_end_to_end_through_the_collector(tmp_path: Path) -> None:
    """Messages the running collector filed as invalid are promoted after a schema fix."""
    schemas_dir = tmp_path / "schemas"
    shutil.copytree(SCHEMAS, schemas_dir)
    settings = Settings(data_dir=tmp_path / "data", schemas_dir=schemas_dir, run_projector=False)
    settings = with_demo(settings)
    messages = [web_event(_demo={"favouriteColour": c}) for c in ("red", "blue")] + [web_event()]
    with TestClient(create_app(settings)) as client:
        response = client.post(f"/collection/batch/{INLET}", json={"messages": messages})
        assert response.status_code == 207
    failed_lines = lake_records(settings, f"_failed/{WEB_DATASET}")
    assert [line["_validationErrors"][0]["message"] for line in failed_lines] == [
        "extraneous key [favouriteColour] is not permitted"
    ] * 2
    assert len(lake_records(settings, WEB_DATASET)) == 1

    fix_schema(settings)
    runner = CliRunner()
    args = ["revalidate", "--dataset", WEB_DATASET, "--json"]
    env = {"COLLECTOR_DATA_DIR": str(settings.data_dir), "COLLECTOR_SCHEMAS_DIR": str(schemas_dir)}
    first = json.loads(runner.invoke(failed, args, env=env).output)
    assert (first["failedRecords"], first["promoted"]) == (2, 2)
    second = json.loads(runner.invoke(failed, args, env=env).output)
    assert (second["promoted"], second["alreadyPromoted"]) == (0, 2)
    lines = lake_records(settings, WEB_DATASET)
    promoted = [line for line in lines if line.get("promotedFromFailed")]
    assert [p["xactionId"] for p in promoted] == [f["xactionId"] for f in failed_lines]
    assert [p["entity"]["_demo"] for p in promoted] == [
        {"favouriteColour": "red"},
        {"favouriteColour": "blue"},
    ]
    assert set(promoted[0]) - set(lines[0]) == {"promotedFromFailed", "promotedTimeMs"}
    # The collector restarted on the fixed schema accepts such messages directly.
    with TestClient(create_app(settings)) as client:
        client.post(f"/collection/batch/{INLET}", json={"messages": messages[:1]})
    assert len(lake_records(settings, f"_failed/{WEB_DATASET}")) == 2
