from __future__ import annotations

import csv
import io
import re
import sqlite3
import threading
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner

from collector.control.settings import Settings
from collector.profile.cli import profiles, project, replay, sql
from collector.profile.projector import project_once, run_projector
from tests.profile.lakefixture import (
    BASE_MS,
    EVENTS,
    ORG,
    Lake,
    ids,
    rows,
)

README = Path(__file__).resolve().parents[2] / "README.md"
DAY = 86_400_000
JANE_ECID = "11111111111111111111111111111111111111"


def _run(command: Any, *args: str) -> Any:
    result = CliRunner().invoke(command, list(args), catch_exceptions=False)
    return result


def _sql(settings: Settings, query: str, fmt: str = "--json") -> Any:
    result = _run(sql, query, fmt, "--data-dir", str(settings.data_dir))
    assert result.exit_code == 0, result.output
    return orjson.loads(result.output) if fmt == "--json" else result.output


@pytest.fixture
def populated(settings: Settings, lake: Lake) -> Settings:
    def view(ecid: str, url: str, ts: int, **more: Any) -> None:
        lake.event(
            ids(ECID=ecid, **more),
            timestamp_ms=ts,
            eventType="web.webpagedetails.pageViews",
            web={"webPageDetails": {"URL": url}},
        )

    view(JANE_ECID, "https://shop.example.com/", BASE_MS)
    view(JANE_ECID, "https://shop.example.com/shoes", BASE_MS + 60_000)
    view("bob-device", "https://shop.example.com/", BASE_MS + 120_000)
    view("jane-phone", "https://shop.example.com/shoes", BASE_MS + DAY)
    lake.event(
        ids(ECID="jane-phone", Email="jane@example.com"),
        timestamp_ms=BASE_MS + DAY + 1,
        eventType="userAccount.login",
    )
    view(JANE_ECID, "https://shop.example.com/shoes", BASE_MS + DAY + 2, Email="jane@example.com")
    project_once(settings)
    return settings


def _queries() -> list[str]:
    text = README.read_text()
    section = text[text.index("## Query the profile store with SQL") :]
    section = section[: section.index("\n## ", 1)]
    return re.findall(r"```sql\n(.*?)```", section, re.S)


def test_the_five_documented_queries(populated: Settings) -> None:
    queries = _queries()
    assert len(queries) == 5
    per_day, timeline, person, pages, merged = (_sql(populated, q) for q in queries)

    assert per_day == [
        {"org_id": ORG, "day": "2026-01-01", "events": 3, "profiles": 2},
        {"org_id": ORG, "day": "2026-01-02", "events": 3, "profiles": 1},  # merged by then
    ]
    assert [(r["at"], r["event_type"], r["url"]) for r in timeline] == [
        ("2026-01-01T00:00:00Z", "web.webpagedetails.pageViews", "https://shop.example.com/"),
        ("2026-01-01T00:01:00Z", "web.webpagedetails.pageViews", "https://shop.example.com/shoes"),
        ("2026-01-02T00:00:00Z", "web.webpagedetails.pageViews", "https://shop.example.com/shoes"),
        ("2026-01-02T00:00:00Z", "userAccount.login", None),
        ("2026-01-02T00:00:00Z", "web.webpagedetails.pageViews", "https://shop.example.com/shoes"),
    ]
    assert [(r["namespace"], r["id"]) for r in person] == [
        ("ecid", JANE_ECID),
        ("ecid", "jane-phone"),
        ("email", "jane@example.com"),
    ]
    assert pages == [
        {"url": "https://shop.example.com/shoes", "views": 3, "visitors": 1},
        {"url": "https://shop.example.com/", "views": 2, "visitors": 2},
    ]
    [merge] = merged
    [(jane,)] = rows(populated, "SELECT profile_id FROM identities WHERE id = 'jane@example.com'")
    assert merge["into_profile_id"] == jane and merge["identity_count"] == 3
    assert merge["org_id"] == ORG
    assert merge["merged_at"] == "2026-01-01T00:00:00Z"  # receivedTimeMs of the linking message


def test_formats(populated: Settings) -> None:
    query = "SELECT namespace, id FROM identities ORDER BY namespace, id"
    as_csv = list(csv.reader(io.StringIO(_sql(populated, query, "--csv"))))
    assert as_csv[0] == ["namespace", "id"] and ["ecid", "bob-device"] in as_csv
    table = _sql(populated, query, "--table").splitlines()
    assert table[0].split() == ["namespace", "id"] and table[1].split()[0] == "ecid"
    assert any("jane@example.com" in line for line in table)
    default = _run(sql, query, "--data-dir", str(populated.data_dir))
    assert default.output.splitlines()[0].split() == ["namespace", "id"]


def test_the_control_plane_is_attached_read_only(populated: Settings) -> None:
    result = _sql(
        populated,
        "SELECT d.id, COUNT(*) AS n FROM experience_events e"
        " JOIN control.datasets d ON d.id = e.dataset_id GROUP BY d.id",
    )
    assert result == [{"id": EVENTS, "n": 6}]


@pytest.mark.parametrize(
    "statement",
    [
        "DELETE FROM experience_events",
        "INSERT INTO erasure_ledger VALUES ('a', 'b', 'c', 1, 'j')",
        "DROP TABLE profiles",
        "UPDATE control.datasets SET profile_enabled = 0",
        "CREATE TABLE x (a)",
        "PRAGMA query_only = OFF; DELETE FROM profiles",
        "UPDATE sqlite_master SET sql = ''",
    ],
)
def test_sql_cannot_write(populated: Settings, statement: str) -> None:
    result = _run(sql, statement, "--data-dir", str(populated.data_dir))
    assert result.exit_code != 0
    assert rows(populated, "SELECT COUNT(*) FROM experience_events") == [(6,)]
    assert rows(populated, "SELECT COUNT(*) FROM profiles") == [(2,)]


def test_profiles_show(populated: Settings) -> None:
    result = _run(
        profiles,
        "show",
        "--org",
        ORG,
        "--ns",
        "EMAIL",
        "--id",
        "jane@example.com",
        "--data-dir",
        str(populated.data_dir),
    )
    assert result.exit_code == 0, result.output
    [(pid, doc)] = orjson.loads(result.output).items()
    assert doc["entityId"] == pid and len(doc["identityGraph"]) == 3
    assert [e["timestamp"] for e in doc["events"]][:2] == [BASE_MS + DAY + 2, BASE_MS + DAY + 1]
    missing = _run(
        profiles,
        *("show", "--org", ORG, "--ns", "ecid", "--id", "nobody"),
        *("--data-dir", str(populated.data_dir)),
    )
    assert missing.exit_code != 0 and "no profile" in missing.output
    other_org = _run(
        profiles,
        *("show", "--org", "OTHER@AdobeOrg", "--ns", "email", "--id", "jane@example.com"),
        *("--data-dir", str(populated.data_dir)),
    )
    assert other_org.exit_code != 0 and "no profile" in other_org.output


def test_replay_command(populated: Settings) -> None:
    before = rows(populated, "SELECT * FROM identities ORDER BY namespace, id")
    result = _run(replay, "--data-dir", str(populated.data_dir))
    assert result.exit_code == 0, result.output
    assert "replayed 6 lake lines" in result.output
    assert rows(populated, "SELECT * FROM identities ORDER BY namespace, id") == before


def _count(settings: Settings, table: str) -> int:
    try:
        return int(rows(settings, f"SELECT COUNT(*) FROM {table}")[0][0])
    except sqlite3.OperationalError:  # the projector is still creating the store
        return -1


def test_project_runs_until_stopped(settings: Settings, lake: Lake) -> None:
    lake.event(ids(ECID="x"), event_id="v1")
    stop = threading.Event()
    worker = threading.Thread(target=run_projector, args=(settings, stop))
    worker.start()
    try:
        for _ in range(1000):
            if _count(settings, "experience_events") == 1:
                break
            stop.wait(0.01)
        lake.event(ids(ECID="x"), event_id="v2")
        for _ in range(1000):
            if _count(settings, "experience_events") == 2:
                break
            stop.wait(0.01)
        assert _count(settings, "experience_events") == 2
    finally:
        stop.set()
        worker.join(10)
    assert not worker.is_alive()
    assert project.name == "project"


@pytest.mark.parametrize(
    ("statement", "refused"),
    [
        ("ATTACH DATABASE '{dir}/evil.db' AS evil", "ATTACH or VACUUM INTO '{dir}/evil.db'"),
        ("VACUUM INTO '{dir}/copy.db'", "ATTACH or VACUUM INTO '{dir}/copy.db'"),
        ("VACUUM", "VACUUM"),
        ("DETACH DATABASE control", "DETACH on control"),
        ("PRAGMA user_version = 7", "PRAGMA user_version = 7"),
        ("PRAGMA journal_mode = DELETE", "PRAGMA journal_mode = DELETE"),
        ("PRAGMA query_only = OFF", "PRAGMA query_only = OFF"),
        ("BEGIN IMMEDIATE", "transaction on BEGIN"),
        ("DELETE FROM profiles", "DELETE on profiles"),
        ("PRAGMA writable_schema = ON", "PRAGMA writable_schema = ON"),
        ("CREATE TEMP TABLE t (a)", "INSERT on sqlite_temp_master"),
    ],
)
def test_sql_refuses_statements_that_write_or_create_files(
    populated: Settings, tmp_path: Path, statement: str, refused: str
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    result = _run(sql, statement.format(dir=outside), "--data-dir", str(populated.data_dir))
    assert result.exit_code != 0
    assert f"read-only: {refused.format(dir=outside)} is not allowed" in result.output
    assert list(outside.iterdir()) == []  # no file was created anywhere
    assert rows(populated, "PRAGMA user_version") != [(7,)]
    assert rows(populated, "SELECT COUNT(*) FROM profiles") == [(2,)]


@pytest.mark.parametrize(
    "query",
    [
        "PRAGMA table_info(profiles)",
        "SELECT name FROM pragma_table_info('profiles')",
        "SELECT * FROM pragma_database_list",
        "PRAGMA control.table_info(datasets)",
        "PRAGMA user_version",
        "PRAGMA database_list",
        "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 3)"
        " SELECT COUNT(*) AS c FROM n",
        "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name LIMIT 1",
    ],
)
def test_sql_still_allows_reads_and_reporting_pragmas(populated: Settings, query: str) -> None:
    assert isinstance(_sql(populated, query), list)
