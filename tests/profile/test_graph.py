from __future__ import annotations

import logging
from pathlib import Path

import orjson
import pytest

from collector.control.settings import Settings
from collector.profile.apply import Limits
from collector.profile.identities import profile_id_for
from collector.profile.projector import project_once
from tests.profile.lakefixture import (
    EVENTS,
    ORG,
    RECORDS,
    Lake,
    dump,
    ids,
    make_control,
    rows,
    settings_for,
)


def _profile_of(settings: Settings, ns: str, ident: str) -> str:
    [(pid,)] = rows(
        settings, "SELECT profile_id FROM identities WHERE namespace = ? AND id = ?", (ns, ident)
    )
    return str(pid)


def test_a_message_with_two_identities_merges_their_graphs_and_logs_it(
    settings: Settings, lake: Lake
) -> None:
    lake.event(ids(ECID="laptop"), event_id="v1")
    lake.event(ids(ECID="phone"), event_id="v2")
    lake.record({"identityMap": ids(ECID="phone"), "loyalty": {"tier": "gold"}})
    project_once(settings)
    laptop, phone = _profile_of(settings, "ecid", "laptop"), _profile_of(settings, "ecid", "phone")
    assert laptop != phone

    lake.event(ids(ECID="laptop", Email="jane@example.com"), event_id="v3")
    linking = lake.event(ids(ECID="phone", email="jane@example.com"), event_id="v4")
    project_once(settings)

    survivor = _profile_of(settings, "ecid", "laptop")
    assert {
        _profile_of(settings, ns, i) for ns, i in [("ecid", "phone"), ("email", "jane@example.com")]
    } == {survivor}
    assert rows(settings, "SELECT id, identity_count FROM profiles") == [(survivor, 3)]
    # The graph is named after the smallest identity hash, whatever the order of links.
    assert survivor == min(
        profile_id_for(ns, i, ORG)
        for ns, i in [("ecid", "laptop"), ("ecid", "phone"), ("email", "jane@example.com")]
    )
    # Events and record fragments followed the merge.
    assert rows(settings, "SELECT DISTINCT profile_id FROM experience_events") == [(survivor,)]
    assert rows(settings, "SELECT profile_id FROM profile_fragments") == [(survivor,)]
    [(entity,)] = rows(settings, "SELECT entity FROM profiles")
    assert orjson.loads(entity)["loyalty"] == {"tier": "gold"}
    merges = rows(
        settings,
        "SELECT from_profile_id, into_profile_id, profile_id, identity_count, xaction_id,"
        " merged_ms FROM profile_merges WHERE kind = 'merge'",
    )
    assert len(merges) == 1
    absorbed, into, current, count, xid, merged_ms = merges[0]
    assert {absorbed, into} == {laptop, phone} or into == survivor
    assert current == survivor and count == 3
    assert xid == linking["xactionId"] and merged_ms == linking["receivedTimeMs"]


def test_graph_names_do_not_depend_on_the_order_of_links(tmp_path: Path) -> None:
    messages = [
        ids(ECID="a"),
        ids(ECID="b"),
        ids(ECID="a", Email="x@y.z"),
        ids(ECID="c", CRMID="42"),
        ids(Email="x@y.z", CRMID="42"),
    ]
    dumps = []
    for name, order in (("forward", messages), ("backward", messages[::-1])):
        s = settings_for(tmp_path / name)
        make_control(s)
        lake = Lake(s)
        for n, identity_map in enumerate(order):
            lake.event(identity_map, event_id=f"v{messages.index(identity_map)}", received_ms=n)
        project_once(s)
        dumps.append(
            (
                rows(s, "SELECT namespace, id, profile_id FROM identities ORDER BY 1, 2"),
                rows(s, "SELECT id, identity_count FROM profiles ORDER BY id"),
                rows(s, "SELECT event_id, profile_id FROM experience_events ORDER BY 1"),
            )
        )
    assert dumps[0] == dumps[1]
    assert sorted(count for _, count in dumps[0][1]) == [1, 4]  # b stays alone


def test_a_graph_never_exceeds_fifty_identities(
    settings: Settings, lake: Lake, caplog: pytest.LogCaptureFixture
) -> None:
    lake.event({"ECID": [{"id": f"big{n}"} for n in range(50)]}, event_id="full")
    lake.event({"ECID": [{"id": f"other{n}"} for n in range(3)]}, event_id="small")
    project_once(settings)
    big = _profile_of(settings, "ecid", "big0")
    assert rows(settings, "SELECT identity_count FROM profiles WHERE id = ?", (big,)) == [(50,)]

    refused_new = lake.event(ids(ECID=["big1", "newcomer"]), event_id="one-more")
    refused_merge = lake.event(ids(ECID=["big2", "other0"]), event_id="merge-two")
    with caplog.at_level(logging.WARNING, logger="collector.profile.graph"):
        project_once(settings)

    assert rows(settings, "SELECT identity_count FROM profiles WHERE id = ?", (big,)) == [(50,)]
    assert _profile_of(settings, "ecid", "newcomer") != big  # a graph of its own
    assert _profile_of(settings, "ecid", "other0") != big
    refused = rows(
        settings,
        "SELECT profile_id, graph_size, namespace, id, other_size, xaction_id FROM refused_links"
        " ORDER BY seq",
    )
    assert refused == [
        (big, 50, "ecid", "newcomer", 1, refused_new["xactionId"]),
        (big, 50, "ecid", "other0", 3, refused_merge["xactionId"]),
    ]
    assert sum("identity link refused" in r.message for r in caplog.records) == 2
    # The messages still landed (in the lake, and as events of the graph they resolved to).
    assert rows(
        settings,
        "SELECT event_id, profile_id FROM experience_events WHERE event_id IN"
        " ('one-more', 'merge-two') ORDER BY event_id",
    ) == [("merge-two", big), ("one-more", big)]
    assert rows(settings, "SELECT MAX(identity_count) FROM profiles") == [(50,)]


def test_one_message_with_too_many_identities_fills_one_graph(
    settings: Settings, lake: Lake
) -> None:
    lake.event({"ECID": [{"id": f"id{n:02d}"} for n in range(60)]}, event_id="flood")
    project_once(settings)
    assert rows(settings, "SELECT MAX(identity_count), COUNT(*) FROM profiles") == [(50, 11)]
    assert rows(settings, "SELECT COUNT(*) FROM refused_links") == [(10,)]


def test_a_configurable_cap(tmp_path: Path) -> None:
    s = settings_for(tmp_path)
    make_control(s)
    Lake(s).event({"ECID": [{"id": f"id{n}"} for n in range(5)]})
    project_once(s, limits=Limits(graph_max_identities=3))
    assert rows(s, "SELECT identity_count FROM profiles ORDER BY 1") == [(1,), (1,), (3,)]


def test_malformed_identities_never_reach_the_graph(settings: Settings, lake: Lake) -> None:
    lake.event({"ECID": [{"id": ""}, {"id": 12}, "x"], "Email": "nope"}, event_id="only-bad")
    lake.event({"ECID": [{"id": "good"}, {"id": None}], "Phone": [{}]}, event_id="mixed")
    lake.event({"": [{"id": "x"}]}, event_id="no-namespace")
    lake.record({"identityMap": [{"id": "list-not-map"}], "n": 1})
    project_once(settings)
    assert rows(settings, "SELECT namespace, id FROM identities") == [("ecid", "good")]
    assert rows(settings, "SELECT event_id FROM experience_events") == [("mixed",)]
    counters = dict(rows(settings, "SELECT name, value FROM projector_counters"))
    assert counters["no_identity"] == 3
    assert counters["malformed_identities"] == 8


def test_primary_and_authenticated_state_are_kept(settings: Settings, lake: Lake) -> None:
    lake.event({"ECID": [{"id": "e1", "primary": True, "authenticatedState": "ambiguous"}]})
    lake.event(
        {
            "ECID": [{"id": "e1", "primary": True}],
            "Email": [{"id": "j@x.com", "authenticatedState": "authenticated"}],
        }
    )
    project_once(settings)
    assert rows(
        settings, "SELECT namespace, id, is_primary, authenticated_state FROM identities ORDER BY 1"
    ) == [("ecid", "e1", 1, "ambiguous"), ("email", "j@x.com", 0, "authenticated")]
    lake.event({"Email": [{"id": "j@x.com", "authenticatedState": "loggedOut"}]})
    project_once(settings)
    assert rows(
        settings, "SELECT authenticated_state FROM identities WHERE namespace = 'email'"
    ) == [("loggedOut",)]


def test_merges_inside_one_batch_match_merges_across_batches(tmp_path: Path) -> None:
    def build(root: Path, batch: int) -> Path:
        s = settings_for(root, projector_batch_size=batch)
        make_control(s)
        lake = Lake(s)
        for n in range(12):
            lake.event(ids(ECID=f"d{n}"), event_id=f"a{n}")
            lake.record({"identityMap": ids(ECID=f"d{n}"), "n": {"v": n}, "k": [n]})
        for n in range(0, 12, 2):
            lake.event(ids(ECID=[f"d{n}", f"d{n + 1}"]), event_id=f"b{n}")
        lake.event(ids(ECID=["d0", "d2", "d4"]), event_id="c")
        lake.record({"identityMap": ids(ECID="d4"), "n": {"w": 1}}, dataset_id=RECORDS)
        project_once(s)
        return s.profile_db_path

    one = dump(build(tmp_path / "one", 1000))
    small = dump(build(tmp_path / "small", 3))
    for table in ("identities", "profiles", "experience_events", "profile_fragments"):
        assert one[table] == small[table], table
    assert len(one["profiles"]) == 1 + 5 - 2  # d0..d5 joined; pairs d6/7, d8/9, d10/11
    assert rows(settings_for(tmp_path / "one"), "SELECT COUNT(*) FROM experience_events") == [
        (12 + 6 + 1,)
    ]
    assert EVENTS  # events and records share graphs


def test_stored_graphs_renamed_twice_in_one_batch_move_to_the_final_name(tmp_path: Path) -> None:
    def build(root: Path, batch: int) -> dict[str, list[tuple[object, ...]]]:
        s = settings_for(root, projector_batch_size=batch)
        make_control(s)
        lake = Lake(s)
        for name in ("p", "q", "r", "s"):
            lake.event(ids(ECID=name), event_id=f"first-{name}")
            lake.record({"identityMap": ids(ECID=name), name: {"seen": True}})
        project_once(s)  # four stored graphs with events and fragments
        lake.event(ids(ECID=["p", "q"]), event_id="pq")
        lake.event(ids(ECID=["q", "r"]), event_id="qr")
        lake.event(ids(ECID="s", Email="s@example.com"), event_id="s-mail")
        lake.event(ids(ECID=["r", "s"]), event_id="rs")
        project_once(s)
        return dump(s.profile_db_path)

    together, apart = build(tmp_path / "together", 1000), build(tmp_path / "apart", 1)
    assert together == apart
    final = min(
        profile_id_for(ns, i, ORG)
        for ns, i in [
            ("ecid", "p"),
            ("ecid", "q"),
            ("ecid", "r"),
            ("ecid", "s"),
            ("email", "s@example.com"),
        ]
    )
    assert {row[4] for row in together["experience_events"]} == {final}
    assert {row[0] for row in together["profile_fragments"]} == {final}
    assert [row[0] for row in together["profiles"]] == [final]
