"""An entity sent with a duplicate member is stored with each member once, the last value
(as orjson read and validated it): DuckDB, the README's lake reader, refuses a line whose
object repeats a key (``read_json``) and its JSON functions take the first one, so a lake line
must never carry the client's bytes as they are when they repeat a key."""

from __future__ import annotations

from pathlib import Path

import duckdb
import orjson
import pytest
from starlette.testclient import TestClient

from collector.control.settings import Settings
from tests.conftest import INLET, accepted, web_event
from tests.lake.test_engines import run_snippet


def _with_duplicate() -> bytes:
    """A web event whose entity holds ``eventType`` twice, the valid value last."""
    message = orjson.dumps(web_event(eventType="web.webpagedetails.pageViews"))
    return message.replace(b'"eventType":', b'"eventType":"first.value","eventType":', 1)


@pytest.mark.parametrize("route", ["single", "batch"])
def test_a_duplicate_member_is_stored_once_with_the_last_value(
    client: TestClient, settings: Settings, route: str
) -> None:
    raw = _with_duplicate()
    assert raw.count(b'"eventType":') == 2
    if route == "single":
        r = client.post(f"/collection/{INLET}", content=raw)
        assert r.status_code == 200 and r.json()["validation"] == {"status": "pass"}
    else:
        r = client.post(f"/collection/batch/{INLET}", content=b'{"messages":[' + raw + b"]}")
        assert r.status_code == 207 and r.json()["responses"][0]["validation"] == {"status": "pass"}
    (record,) = accepted(settings)
    assert record["entity"]["eventType"] == "web.webpagedetails.pageViews"
    assert [row[4] for row in run_snippet(settings)] == ["web.webpagedetails.pageViews"]


def test_duckdb_refuses_or_misreads_a_repeated_key(tmp_path: Path) -> None:
    """Why the test above matters: what DuckDB does with the client's bytes kept as sent."""
    path = tmp_path / "line.jsonl"
    path.write_bytes(b'{"entity":{"eventType":"first","eventType":"last"}}\n')
    with pytest.raises(duckdb.Error, match="duplicate key"):
        duckdb.execute(f"SELECT entity.eventType FROM read_json('{path}')").fetchall()
    first = duckdb.execute(
        f"SELECT json_extract_string(entity, '$.eventType') "
        f"FROM read_json('{path}', columns = {{'entity': 'JSON'}})"
    ).fetchall()
    assert first == [("first",)]
    assert orjson.loads(path.read_bytes())["entity"]["eventType"] == "last"
