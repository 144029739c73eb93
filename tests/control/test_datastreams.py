"""collector/control/datastreams.py: editing a datastream's origins and deleting it, on a real
control.db, with the control plane that shares the connection kept current."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest

from collector.control.datastreams import Datastreams, explicit
from collector.control.plane import ControlPlane, ControlPlaneError
from collector.control.settings import Settings
from collector.guard.tokens import TokenStore
from tests.conftest import ORG, WEB


@pytest.fixture
def streams(settings: Settings) -> Iterator[Datastreams]:
    control = ControlPlane(settings.control_db_path)
    try:
        yield Datastreams(control)
    finally:
        control.close()


def _audit(settings: Settings, action: str, object_id: str) -> list[str]:
    """The actors of ``action`` on ``object_id``, oldest first."""
    with sqlite3.connect(settings.control_db_path) as conn:
        rows = conn.execute(
            "SELECT actor FROM audit_log WHERE action = ? AND object_id = ? ORDER BY seq",
            (action, object_id),
        ).fetchall()
    conn.close()
    return [str(a) for (a,) in rows]


def test_set_origins_replaces_the_inlets_list_and_is_audited(
    streams: Datastreams, settings: Settings
) -> None:
    stream = streams.create(
        org_id=ORG, name="web", dataset_id=WEB, origins=("https://a.example.com",), actor="user:x"
    )
    assert _audit(settings, "inlet.create", stream.inlet_id) == ["user:x"]
    inlet = streams.set_origins(
        stream.id, ["https://b.example.com/", "http://localhost:3000"], actor="user:y"
    )
    assert inlet.allowed_origins == ("https://b.example.com", "http://localhost:3000")
    # the control plane on the same connection sees the change at once
    cached = streams.control.inlet(stream.inlet_id)
    assert cached is not None and cached.allowed_origins == inlet.allowed_origins
    assert _audit(settings, "inlet.update", stream.inlet_id) == ["user:y"]


@pytest.mark.parametrize(
    ("origin", "message"),
    [
        ("*", "not allowed for a datastream"),
        ("https://*.example.com", "not allowed for a datastream"),
        ("https://Shop.example.com", "must be lowercase"),
        ("https://shop.example.com/path", "is not valid"),
    ],
)
def test_set_origins_refuses_what_the_edge_routes_cannot_answer(
    streams: Datastreams, origin: str, message: str
) -> None:
    stream = streams.create(
        org_id=ORG, name="web", dataset_id=WEB, origins=("https://a.example.com",)
    )
    with pytest.raises(ControlPlaneError, match=message):
        streams.set_origins(stream.id, ["https://ok.example.com", origin])
    inlet = streams.control.inlet(stream.inlet_id)
    assert inlet is not None and inlet.allowed_origins == ("https://a.example.com",)
    with pytest.raises(ControlPlaneError, match="no datastream"):
        streams.set_origins("00000000-0000-0000-0000-000000000000", [])


def test_explicit_keeps_exact_origins_in_order_without_duplicates() -> None:
    assert explicit(
        ["https://b.example.com", "https://a.example.com/", "https://b.example.com"]
    ) == (
        "https://b.example.com",
        "https://a.example.com",
    )
    assert explicit([]) == ()


def test_delete_removes_the_datastream_and_its_inlet_at_once(
    streams: Datastreams, settings: Settings
) -> None:
    stream = streams.create(org_id=ORG, name="web", dataset_id=WEB)
    token = TokenStore(settings.control_db_path)
    try:
        issued = token.create(stream.inlet_id, "t")
        assert streams.control.inlet(stream.inlet_id) is not None  # cached before the delete
        streams.delete(stream.id, actor="user:z")
        assert streams.get(stream.id) is None
        assert streams.control.inlet(stream.inlet_id) is None
        assert token.inlet_of(issued.secret) is None
    finally:
        token.close()
    assert _audit(settings, "inlet.delete", stream.inlet_id) == ["user:z"]
    with pytest.raises(ControlPlaneError, match="no datastream"):
        streams.delete(stream.id)
