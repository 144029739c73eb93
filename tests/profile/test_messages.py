"""``Parser.parse_many`` (the projector's path) gives exactly what ``parse`` gives line by line."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from collector.profile.catalog import DatasetInfo
from collector.profile.identities import FALLBACK_FIELDS, IdentityField
from collector.profile.messages import CorruptLine, Message, Parser, parse

EVENTS = DatasetInfo("d" * 24, "s", "event", (), (), "ORG@AdobeOrg")
MARKED = DatasetInfo(
    "d" * 24, "s", "event", (), (IdentityField(("person", "crm"), "CRM", True),), "ORG@AdobeOrg"
)
RECORDS = DatasetInfo("d" * 24, "s", "record", FALLBACK_FIELDS, (), "ORG@AdobeOrg")
AUTO = DatasetInfo("d" * 24, "s", "auto", FALLBACK_FIELDS, (), "ORG@AdobeOrg")


def _line(entity: object, **fields: object) -> bytes:
    line: dict[str, object] = {"xactionId": "1:1:1", "receivedTimeMs": 1_700_000_000_000}
    line.update(fields)
    line["entity"] = entity
    return orjson.dumps(line)


def _same(lines: list[bytes], dataset: DatasetInfo) -> list[Message | CorruptLine]:
    many = Parser().parse_many([memoryview(line) for line in lines], dataset)
    one: list[Message | CorruptLine] = []
    for line in lines:
        try:
            one.append(parse(line, dataset))
        except CorruptLine as exc:
            one.append(exc)
    assert len(many) == len(one)
    for got, want in zip(many, one, strict=True):
        if isinstance(want, CorruptLine):
            assert isinstance(got, CorruptLine)
            assert str(got) == str(want)
        else:
            assert got == want
    return many


def test_a_regular_event_and_every_irregular_line_parse_as_parse_does() -> None:
    regular = {
        "_id": "e1",
        "timestamp": "2026-11-22T10:00:00.000Z",
        "identityMap": {
            " Email ": [{"id": "a@x.com", "authenticatedState": "authenticated"}],
            "ECID": [{"id": "1" * 38, "primary": True, "authenticatedState": "ambiguous"}],
        },
        "person": {"crm": "C-1"},
    }
    irregular: list[bytes] = [
        _line({"identityMap": {"ECID": [{"id": "e"}], "ecid": [{"id": "e", "primary": True}]}}),
        _line({"identityMap": {"ECID": {"id": "e"}}}),
        _line({"identityMap": {"ECID": ["e"]}}),
        _line({"identityMap": {"ECID": [{"id": 7}, {"id": "ok"}]}}),
        _line({"identityMap": {"ECID": [{"id": "  "}]}}),
        _line({"identityMap": {"ECID": [{"id": "x" * 1025}]}}),
        _line({"identityMap": {"ECID": [{"id": "x" * 1024, "extra": {"a": [1, None]}}]}}),
        _line({"identityMap": None, "_id": "e2"}),
        _line({"identityMap": {"  ": [{"id": "e"}]}}),
        _line({"identityMap": {"N" * 129: [{"id": "e"}]}}),
        _line({"identityMap": [{"id": "e"}]}),
        _line({"identityMap": {"ECID": [{"id": "e", "authenticatedState": "weird"}]}}),
        _line({"identityMap": {"ECID": [{"id": "e", "authenticatedState": ["x"]}]}}),
        _line({"identityMap": {"ECID": [{"id": "e", "primary": 1}]}}),
        _line({"identityMap": {"ECID": []}}),
        _line({"_id": "", "timestamp": "not a time"}),
        _line({"_id": 5, "timestamp": "2026-11-22T10:00:00"}),
        _line(regular, xactionId=""),
        _line(regular, orgId="OTHER@AdobeOrg", inletId="i" * 64),
        _line([1, 2]),
        _line("text"),
        b'{"xactionId":"1:1:1","receivedTimeMs":1,"entity":{"a":"\xff"}}',
        b'{"xactionId":"1:1:1","receivedTimeMs":1,"entity":{}',
        b'{"xactionId":"1:1:1","receivedTimeMs":"1","entity":{}}',
        b'{"receivedTimeMs":1,"entity":{}}',
        b"",
        b"[]",
    ]
    lines = [_line(regular), *irregular, _line(regular, xactionId="1:1:2")]
    for dataset in (EVENTS, MARKED, RECORDS, AUTO):
        results = _same(lines, dataset)
        assert isinstance(results[0], Message)
    events = _same(lines, EVENTS)
    first = events[0]
    assert isinstance(first, Message)
    assert [(i.namespace, i.code, i.primary) for i in first.identities] == [
        ("ecid", "ECID", True),
        ("email", "Email", False),
    ]
    assert first.entity_json == orjson.dumps(regular).decode()
    assert sum(isinstance(r, CorruptLine) for r in events) == 9


def test_regular_events_do_not_take_the_line_by_line_path(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[object] = []
    parser = Parser()
    monkeypatch.setattr(parser, "parse", lambda line, dataset: calls.append(line))
    entity = {"_id": "e1", "identityMap": {"ECID": [{"id": "v1"}], "Email": [{"id": "a@x.com"}]}}
    lines = [_line(entity, xactionId=f"1:1:{i}") for i in range(3)]
    longest = {"identityMap": {"ECID": [{"id": "x" * 1024, "extra": [1], "primary": 1}]}}
    lines += [_line(longest), _line({"identityMap": None})]
    assert all(isinstance(m, Message) for m in parser.parse_many(lines, EVENTS))
    assert calls == []
    parser.parse_many([_line({"identityMap": {"ECID": [{"id": 1}]}})], EVENTS)
    assert len(calls) == 1
    parser.parse_many([_line({"identityMap": {"ECID": [{"id": "x" * 1025}]}})], EVENTS)
    assert len(calls) == 2


_ids = st.one_of(
    st.text(max_size=6),
    st.sampled_from([" ", "x" * 1025, "a@x.com"]),
    st.integers(-5, 5),
    st.none(),
)
_items = st.one_of(
    st.fixed_dictionaries(
        {"id": _ids},
        optional={
            "primary": st.one_of(st.booleans(), st.integers(0, 1), st.none()),
            "authenticatedState": st.one_of(
                st.sampled_from(["ambiguous", "authenticated", "loggedOut", "other"]),
                st.integers(-5, 5),
            ),
        },
    ),
    st.text(max_size=3),
)
_maps = st.one_of(
    st.dictionaries(
        st.sampled_from(["ECID", "ecid", "Email", " Email", "", "  ", "crmId"]),
        st.one_of(st.lists(_items, max_size=3), _items),
        max_size=3,
    ),
    st.none(),
    st.lists(st.integers(-5, 5), max_size=1),
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries(
            {},
            optional={
                "_id": st.one_of(st.text(max_size=4), st.integers(-5, 5)),
                "timestamp": st.sampled_from(
                    ["2026-11-22T10:00:00.123Z", "2026-11-22T10:00:00", "2026-13-01", "", 5]
                ),
                "identityMap": _maps,
            },
        ),
        max_size=6,
    )
)
def test_any_event_lines_parse_as_parse_does(entities: list[dict[str, Any]]) -> None:
    _same([_line(entity, xactionId=f"1:1:{i}") for i, entity in enumerate(entities)], EVENTS)
