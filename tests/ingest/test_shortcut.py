"""``Shortcut`` matches exactly the paths the router sends to the streaming POST endpoints,
with the same inlet id; the app's answers and samples through it are the routes' own."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.routing import Match, Route
from starlette.testclient import TestClient

from collector.ingest import routes
from collector.ingest.routes import Streaming
from collector.ingest.shortcut import match
from tests.conftest import INLET, web_event

SEGMENTS = st.sampled_from(
    ["collection", "batch", "data", "foundation", "import", "", "x", "a b", "é", INLET]
)
PATHS = st.one_of(
    st.lists(SEGMENTS, max_size=7).map(lambda parts: "/" + "/".join(parts)),
    st.text(alphabet="/abchtionlcx", max_size=40),
)


def routed(path: str) -> tuple[Streaming, str] | None:
    """What the router does with ``POST path``: the first route that fully matches."""
    scope: dict[str, Any] = {"type": "http", "method": "POST", "path": path, "root_path": ""}
    for route in routes.routes():
        assert isinstance(route, Route)
        found, child = route.matches(scope)
        if found is Match.FULL:
            endpoint = child["endpoint"]
            return (
                (endpoint, child["path_params"]["inlet_id"])
                if isinstance(endpoint, Streaming)
                else None
            )
    return None


@settings(max_examples=3000, deadline=None)
@given(PATHS)
def test_the_shortcut_matches_what_the_router_matches(path: str) -> None:
    assert match(path) == routed(path)


def test_known_paths() -> None:
    assert match(f"/collection/{INLET}") == (routes.SINGLE, INLET)
    assert match(f"/data/foundation/import/collection/batch/{INLET}") == (routes.BATCH, INLET)
    assert match("/collection/batch") == (routes.SINGLE, "batch")
    assert match(f"/collection/{INLET}/") is None
    assert match("/collection/") is None


def test_answers_and_samples_through_the_shortcut(client: TestClient) -> None:
    r = client.post(f"/collection/{INLET}", json=web_event())
    assert r.status_code == 200 and r.json()["inletId"] == INLET
    r = client.post(f"/collection/batch/{INLET}", json={"messages": [web_event()]})
    assert r.status_code == 207
    assert client.get(f"/collection/{INLET}").status_code == 405  # the router's answer
    assert client.post(f"/collection/{INLET}/").status_code != 200
    text = client.app.state.observer.metrics.render().decode()  # type: ignore[attr-defined]
    assert 'code="200",method="POST",route="/collection/{inlet_id}"' in text
    assert 'code="207",method="POST",route="/collection/batch/{inlet_id}"' in text
