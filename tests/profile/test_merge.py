from __future__ import annotations

import itertools
from typing import Any

import orjson
from hypothesis import given
from hypothesis import strategies as st

from collector.profile import merge


def _merged(*records: tuple[dict[str, Any], int, str]) -> dict[str, Any]:
    return merge.strip(merge.merge_all(merge.stamp(e, t, x) for e, t, x in records))


def test_newer_wins_field_by_field_and_objects_merge_deeply() -> None:
    old = (
        {"person": {"name": {"firstName": "Jane", "lastName": "Doe"}}, "tier": "gold"},
        1,
        "1:1:1",
    )
    new = ({"person": {"name": {"lastName": "Smith"}, "gender": "female"}}, 2, "2:1:1")
    expected = {
        "person": {"name": {"firstName": "Jane", "lastName": "Smith"}, "gender": "female"},
        "tier": "gold",
    }
    assert _merged(old, new) == expected
    assert _merged(new, old) == expected  # arrival order does not matter


def test_arrays_are_replaced_not_concatenated() -> None:
    old = ({"interests": ["running", "cycling"], "x": {"tags": [1, 2, 3]}}, 10, "a")
    new = ({"interests": ["chess"]}, 20, "b")
    assert _merged(old, new) == {"interests": ["chess"], "x": {"tags": [1, 2, 3]}}
    assert _merged(new, old) == {"interests": ["chess"], "x": {"tags": [1, 2, 3]}}


def test_equal_times_break_ties_by_natural_xaction_order() -> None:
    first = ({"v": "first"}, 5, "1700000000000:4711:9")
    second = ({"v": "second"}, 5, "1700000000000:4711:10")  # 10 > 9 numerically
    assert _merged(first, second) == {"v": "second"}
    assert _merged(second, first) == {"v": "second"}
    batch_a = ({"v": "a"}, 5, "1700000000000:4711:18-2")
    batch_b = ({"v": "b"}, 5, "1700000000000:4711:18-10")
    assert _merged(batch_b, batch_a) == {"v": "b"}


def test_a_newer_leaf_replaces_an_older_object_and_not_the_reverse() -> None:
    obj = ({"address": {"city": "Paris", "zip": "75001"}}, 1, "a")
    leaf = ({"address": "unknown"}, 2, "b")
    assert _merged(obj, leaf) == {"address": "unknown"}
    assert _merged(leaf, obj) == {"address": "unknown"}
    newer_obj = ({"address": {"city": "Lyon"}}, 3, "c")
    assert _merged(leaf, newer_obj) == {"address": {"city": "Lyon"}}


def test_project_keeps_only_the_requested_paths() -> None:
    entity = {"person": {"name": {"firstName": "J", "lastName": "D"}, "gender": "f"}, "a": 1}
    assert merge.project(entity, ["person.name.firstName", "a"]) == {
        "person": {"name": {"firstName": "J"}},
        "a": 1,
    }
    assert merge.project(entity, ["person.name", "person.gender"]) == {
        "person": {"name": {"firstName": "J", "lastName": "D"}, "gender": "f"}
    }
    assert merge.project(entity, ["missing", "a.b", "person.nope"]) == {}


_small = st.integers(-1000, 1000)
_leaf = st.one_of(_small, st.text(max_size=3), st.lists(_small, max_size=2))
_entity = st.recursive(
    st.dictionaries(st.sampled_from("abc"), _leaf, max_size=3),
    lambda children: st.dictionaries(
        st.sampled_from("abc"), st.one_of(_leaf, children), max_size=3
    ),
    max_leaves=8,
)


@given(st.lists(st.tuples(_entity, st.integers(0, 3)), min_size=1, max_size=4))
def test_the_merge_does_not_depend_on_arrival_order(
    records: list[tuple[dict[str, Any], int]],
) -> None:
    stamped = [(e, t, f"1:1:{i}") for i, (e, t) in enumerate(records)]
    results = {
        orjson.dumps(_merged(*order), option=orjson.OPT_SORT_KEYS)
        for order in itertools.permutations(stamped)
    }
    # Objects and leaves at the same path are the one case where order can matter; the
    # generated entities mix them freely, so only check shapes without such conflicts.
    if not _conflicts([e for e, _ in records]):
        assert len(results) == 1


def _conflicts(entities: list[dict[str, Any]]) -> bool:
    kinds: dict[tuple[str, ...], set[bool]] = {}

    def walk(node: dict[str, Any], path: tuple[str, ...]) -> None:
        for k, v in node.items():
            kinds.setdefault((*path, k), set()).add(isinstance(v, dict))
            if isinstance(v, dict):
                walk(v, (*path, k))

    for e in entities:
        walk(e, ())
    return any(len(v) > 1 for v in kinds.values())
